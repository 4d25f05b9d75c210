"""Every command's output on every built-in scenario, written to a folder, and two such folders compared.

    python -m tools.golden write /tmp/before       # before a change that must not change outputs
    python -m tools.golden write /tmp/after
    python -m tools.golden compare /tmp/before /tmp/after

``write`` runs ``tcpsim`` (the one on the PATH) as a user would: run in each profile, with
--json, --relative --verbose, --brief and loss; show; demo --no-pause; export at either end with
and without loss; the three diagrams; then read, check (three ways), scenario-from and compare on
every capture kept in tests/data and every capture it exported; and packetdrill on the suites in
../shared when they are there.  ``compare`` reads every file byte for byte (the folders' own names,
which some outputs print, are set aside) and exits 1 when any differs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITES = (
    (ROOT.parent / "shared" / "tcp-testsuite", "freebsd"),
    (ROOT.parent / "shared" / "packetdrill-linux" / "gtests" / "net" / "tcp", "linux"),
)
Job = tuple[str, list[str]]


def scenario_jobs(name: str, out: Path) -> list[Job]:
    jobs: list[Job] = [(f"{name}.run.{p}", ["run", name, "--profile", p]) for p in ("rfc", "linux", "freebsd")]
    jobs += [
        (f"{name}.run.json", ["run", name, "--json"]),
        (f"{name}.run.rel", ["run", name, "--relative", "--verbose"]),
        (f"{name}.run.brief", ["run", name, "--brief"]),
        (f"{name}.run.loss", ["run", name, "--loss", "0.2", "--seed", "7"]),
        (f"{name}.show", ["show", name]),
        (f"{name}.demo", ["demo", name, "--no-pause"]),
        (f"{name}.export.txt", ["export", name, "-o", str(out / f"{name}.pcapng")]),
        (
            f"{name}.exportl.txt",
            ["export", name, "--loss", "0.3", "--seed", "3", "--at", "server", "-o", str(out / f"{name}.loss.pcap")],
        ),
    ]
    return jobs + [
        (f"{name}.diagram.{kind}", ["diagram", name, "--kind", kind, "-o", str(out / f"{name}.{kind}.svg")])
        for kind in ("ladder", "states", "timeseq")
    ]


def capture_jobs(capture: Path, out: Path) -> list[Job]:
    b, c = capture.name, str(capture)
    return [
        (f"cap.{b}.read", ["read", c]),
        (f"cap.{b}.check", ["check", c]),
        (f"cap.{b}.checkjson", ["check", c, "--json"]),
        (f"cap.{b}.brief", ["check", c, "--brief", "--absolute"]),
        (f"cap.{b}.sf", ["scenario-from", c, "-o", str(out / f"{b}.toml")]),
    ]


def run_all(jobs: list[Job], out: Path) -> None:
    def one(job: Job) -> None:
        name, args = job
        done = subprocess.run(["tcpsim", *args], capture_output=True, text=True, cwd=out)
        (out / f"{name}.out").write_text(f"rc={done.returncode}\n--stdout\n{done.stdout}\n--stderr\n{done.stderr}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, jobs))


def write(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    listed = subprocess.run(["tcpsim", "list"], capture_output=True, text=True, check=True).stdout
    names = [line.split()[0] for line in listed.splitlines() if line.strip()]
    jobs: list[Job] = [("list", ["list"]), ("profiles", ["profiles"]), ("help", ["--help"])]
    for name in names:
        jobs += scenario_jobs(name, out)
    run_all(jobs, out)
    kept = sorted((ROOT / "tests" / "data").glob("*.pcap*"))
    exported = sorted(out.glob("*.pcap*"))
    later = [job for capture in kept + exported for job in capture_jobs(capture, out)]
    later += [(f"cap.{c.name}.compare", ["compare", str(c), "graceful_close"]) for c in kept]
    later += [(f"cmp.{n}", ["compare", str(out / f"{n}.pcapng"), n]) for n in names]
    run_all(later, out)
    suites = [(path, profile) for path, profile in SUITES if path.is_dir()]
    run_all(
        [(f"pd.{profile}", ["packetdrill", str(path), "--profile", profile, "--json"]) for path, profile in suites], out
    )
    print(f"{out}: {len(list(out.iterdir()))} files from {len(jobs) + len(later) + len(suites)} commands")
    return 0


def compare(a: Path, b: Path) -> int:
    names_a = {p.name for p in a.iterdir()}
    names_b = {p.name for p in b.iterdir()}
    differ = sorted(names_a ^ names_b)
    for name in sorted(names_a & names_b):
        left = (a / name).read_bytes().replace(str(a).encode(), b"DIR")
        right = (b / name).read_bytes().replace(str(b).encode(), b"DIR")
        if left != right:
            differ.append(name)
    print(
        f"{len(names_a & names_b)} files compared, {len(differ)} differ" + (": " + " ".join(differ) if differ else "")
    )
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.golden", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("write").add_argument("folder", type=Path)
    both = sub.add_parser("compare")
    both.add_argument("before", type=Path)
    both.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.action == "write":
        return write(args.folder.resolve())
    for folder in (args.before, args.after):
        if not folder.is_dir():
            print(f"python -m tools.golden: {folder} is not a folder", file=sys.stderr)
            return 2
    return compare(args.before, args.after)


if __name__ == "__main__":
    raise SystemExit(main())
