"""The checker's verdicts on every capture the project keeps, recorded, and compared with a record.

    python -m tools.checker_golden write      # record tests/data/checker-golden.json (on purpose only)
    python -m tools.checker_golden compare    # exit 1, naming the first difference, when any differs

The captures: those kept in tests/data and in simulator/present/samples; every built-in
scenario exported at each of its ends (as ``tcpsim export --at`` writes it), without loss, with
``--loss 0.3 --seed 3`` (as tools/golden.py exports it) and on a messy link (loss, duplication
and reordering, five seeds); and the benchmark's generated captures, smaller (many short
connections, and one transfer long enough to be checked through the checker's window and
spooled to a file).

What is recorded for every connection: its place in the report's order, its addresses, Zeek
state and verdict; for every packet: its number, labels, the states of both sides before and
after it, and its departure.  The sentences (explanations and notes) are recorded as one digest
per capture: a rebuild of the checker may change their wording only on purpose, and then the
record is written again.  This is the safety net of issue 23 (tests/test_checker_golden.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "tests" / "data" / "checker-golden.json"
KEPT = (ROOT / "tests" / "data", ROOT / "simulator" / "present" / "samples")
MESSY_SEEDS = (1, 2, 3, 4, 5)
ROWS_UP_TO = 3000  # packets: a larger capture is recorded as a digest of its rows (and its label counts)


def captures(folder: Path) -> Iterator[tuple[str, Path]]:
    """(name, path) of every capture to hold, those made here written into ``folder``."""
    from benchmarks.capture_import import make_capture, make_transfer
    from simulator import builtin_names, load
    from simulator.capture.export import export

    for kept in KEPT:
        for path in sorted(kept.glob("*.pcap*")):
            yield f"{kept.relative_to(ROOT)}/{path.name}", path
    for name in builtin_names():
        scenario = load(name)
        variants = [("plain", scenario), ("loss", scenario.with_options(seed=3, loss=0.3))]
        for seed in MESSY_SEEDS:
            link = replace(scenario.link, loss=0.15, duplicate=0.1, reorder=0.2)
            links = tuple((a, b, replace(p, loss=0.15, duplicate=0.1, reorder=0.2)) for a, b, p in scenario.links)
            variants.append((f"messy{seed}", replace(scenario, seed=seed, link=link, links=links)))
        for variant, runnable in variants:
            trace = runnable.run()
            for end in (e.name for e in trace.endpoints):
                path = folder / f"{name}.{variant}.{end}.pcap"
                export(trace, path, at=end)
                yield f"scenario {name} {variant} at {end}", path
    many, transfer = folder / "many.pcap", folder / "transfer.pcap"
    make_capture(many, 20_000)
    make_transfer(transfer, 25_000)
    yield "benchmark: 20,000 packets of short connections", many
    yield "benchmark: one transfer of 25,000 data segments", transfer


def verdicts(path: Path) -> dict[str, object]:
    """What the checker says of one capture, as ``tcpsim check`` checks it (streaming, swept)."""
    from simulator.capture.checker import checked_in_order
    from simulator.capture.connections import Tally
    from simulator.capture.reader import CaptureError

    sentences = hashlib.sha256()
    rows: list[list[object]] = []
    conns: list[list[object]] = []
    labels: dict[str, int] = {}
    error = None
    try:
        for order, report in checked_in_order(path, Tally()):
            conns.append([list(order), list(report.a), list(report.b), report.zeek_state, report.verdict])
            for note in report.notes:
                sentences.update(note.encode() + b"\0")
            for p in report.packets:
                rows.append([p.number, list(p.labels), [s.value for s in p.before + p.after], p.departure])
                sentences.update(p.explanation.encode() + b"\0")
                for label in p.labels:
                    labels[label] = labels.get(label, 0) + 1
    except CaptureError as exc:
        error = str(exc)
    record: dict[str, object] = {"connections": conns, "error": error, "sentences": sentences.hexdigest()}
    if len(rows) <= ROWS_UP_TO:
        record["packets"] = rows
    else:
        record["packets_digest"] = hashlib.sha256(json.dumps(rows).encode()).hexdigest()
        record["labels"] = dict(sorted(labels.items()))
    return record


def record_all() -> dict[str, dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="tcpsim-golden-") as tmp:
        return {name: verdicts(path) for name, path in captures(Path(tmp))}


def differences(want: dict[str, dict[str, object]], got: dict[str, dict[str, object]]) -> list[str]:
    """One line per capture whose record differs (the first field that does, and its first packet)."""
    out = [f"{name}: not recorded" for name in got if name not in want]
    out += [f"{name}: recorded, not made now" for name in want if name not in got]
    for name in (n for n in want if n in got):
        a, b = want[name], got[name]
        for field in ("error", "connections", "packets", "packets_digest", "labels", "sentences"):
            if a.get(field) == b.get(field):
                continue
            where = ""
            if field == "packets":
                rows = [(x, y) for x, y in zip(a[field], b[field], strict=False) if x != y]  # type: ignore[call-overload]
                where = f": was {rows[0][0]}, is {rows[0][1]}" if rows else ": the count differs"
            out.append(f"{name}: {field} differ{where}")
            break
    return out


def dumps(records: dict[str, dict[str, object]]) -> str:
    """The record as JSON, a capture to a line (a change shows as the lines of the captures it changed)."""
    lines = [f"{json.dumps(name)}: {json.dumps(record, sort_keys=True)}" for name, record in sorted(records.items())]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.checker_golden", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("write", "compare"))
    parser.add_argument("--record", type=Path, default=RECORD)
    args = parser.parse_args(argv)
    got = record_all()
    if args.action == "write":
        args.record.write_text(dumps(got))
        print(f"{args.record}: {len(got)} captures recorded")
        return 0
    want = json.loads(args.record.read_text())
    found = differences(want, got)
    print("\n".join(found) if found else f"{len(got)} captures: the checker's verdicts are as recorded")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
