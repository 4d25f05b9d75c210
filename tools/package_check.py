"""Build the sdist and the wheel, install each in a fresh venv, and run the demo from it.

    python -m tools.package_check            # CI runs this after the tests (.ci/run)

What a user gets from ``pip install tcpsim-*.whl`` must work without this folder: the built-in
scenarios, ``py.typed`` and the capture lesson 6 falls back on are package data, and a missing one
shows up here, not in a classroom.  Exit status 0 when both install and run, 1 otherwise.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the wheel must carry beside the modules.
PACKAGE_DATA = (
    "simulator/py.typed",
    "simulator/sim/scenarios/three_way_handshake.toml",
    "simulator/present/samples/linux-loopback.pcap",
)
# Run in the fresh venv, from a folder that is not the project's (so nothing is imported from here).
SMOKE = (
    ["tcpsim", "demo", "--no-pause"],
    ["tcpsim", "show", "three_way_handshake"],
    [
        "python",
        "-c",
        "from importlib import resources; import simulator; "
        "assert resources.files('simulator.present').joinpath('samples/linux-loopback.pcap').is_file(); "
        "assert len(simulator.builtin_names()) >= 24",
    ],
)


def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=True, **kwargs)  # type: ignore[call-overload]


def build(out: Path) -> tuple[Path, Path]:
    run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)])
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist


def missing_data(wheel: Path) -> list[str]:
    names = set(zipfile.ZipFile(wheel).namelist())
    return [name for name in PACKAGE_DATA if name not in names]


def try_install(artifact: Path, work: Path) -> list[str]:
    """Install ``artifact`` in a new venv and run the smoke commands; the failures, one line each."""
    venv = work / f"venv-{artifact.suffix.strip('.')}"
    run([sys.executable, "-m", "venv", str(venv)])
    bin_dir = venv / "bin"
    run([str(bin_dir / "pip"), "install", "--quiet", str(artifact)])
    failures = []
    for command in SMOKE:
        done = subprocess.run([str(bin_dir / command[0]), *command[1:]], capture_output=True, text=True, cwd=work)
        if done.returncode != 0 or (command[0] == "tcpsim" and not done.stdout.strip()):
            failures.append(f"{artifact.name}: {' '.join(command[:3])} failed: {done.stderr.strip()[-300:]}")
    return failures


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="tcpsim-package-") as tmp:
        work = Path(tmp)
        wheel, sdist = build(work / "dist")
        failures = [f"{wheel.name} lacks {name}" for name in missing_data(wheel)]
        for artifact in (wheel, sdist):
            failures += try_install(artifact, work)
        for line in failures:
            print(line, file=sys.stderr)
        print(f"{wheel.name}, {sdist.name}: " + ("install and run the demo" if not failures else "FAILED"))
        return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
