"""The commands that read a capture: read, check, compare, scenario-from."""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from ..capture.outputs import replacing
from ..model.errors import TcpsimError
from .options import (
    UsageError,
    add_run_options,
    count,
    nonempty,
    output_path,
    report_options,
    require,
    scenario_from_args,
)
from .options import jobs as job_count

if TYPE_CHECKING:
    from ..capture.checkpool import Checked
    from ..capture.connections import Connection, Tally


def read_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("capture", type=nonempty, help="a pcap or pcapng file, or - for standard input")
    parser.add_argument("--absolute", action="store_true", help="absolute sequence numbers (default: relative)")


def read(args: argparse.Namespace) -> int:
    from ..capture.connections import read, zeek_state
    from ..capture.reader import CaptureError

    capture = read(args.capture, partial=True)
    if not capture.connections:
        others = count(capture.packets, "packet")
        raise CaptureError(f"{capture.path}: no TCP in this capture ({others}{_unread(capture.not_read)})")
    print(
        f"{capture.path}: {capture.packets} packets ({capture.link_type}), {capture.tcp_packets} TCP in "
        f"{count(len(capture.connections), 'connection')}, {capture.skipped} not TCP (skipped)"
        + (f": {capture.not_read}" if capture.skipped else "")
    )
    for i, conn in enumerate(capture.connections, 1):
        print(
            f"connection {i}: {conn.a[0]}:{conn.a[1]} <-> {conn.b[0]}:{conn.b[1]}, {len(conn.packets)} packets, "
            f"Zeek state {zeek_state(conn)}"
        )
        t0 = conn.packets[0].time
        for p in conn.packets:
            seg = p.segment
            arrow = "->" if (seg.src_addr, seg.src_port) == conn.a else "<-"
            seq = int(seg.seq) if args.absolute else conn.relative_seq(seg)
            ack = int(seg.ack) if args.absolute else conn.relative_ack(seg)
            text = f"{seg.flags.names} seq={seq}" + (f" ack={ack}" if seg.flags & 0x10 else "")
            text += f" len={len(seg.payload)} win={seg.window}" + (" (truncated)" if p.truncated else "")
            print(f"  {p.number:>6} {p.time - t0:9.6f} {arrow} {text}")
    if capture.damage:
        raise CaptureError(f"{capture.damage}; the packets before it are shown above")
    return 0


def _unread(summary: str) -> str:
    """The skipped packets named, for a message that says there is no TCP: "; not read: 4 ARP, 2 GRE ..."."""
    return f", not read: {summary}" if summary else ""


def check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("capture", type=nonempty, help="a pcap or pcapng file, or - for standard input")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--connection", type=int, metavar="N", help="only connection N (as tcpsim read numbers them)")
    which.add_argument("--port", type=int, metavar="P", help="only connections with port P on either side")
    numbers = parser.add_mutually_exclusive_group()
    numbers.add_argument("--relative", action="store_true", help="seq/ack relative to each ISN (the default)")
    numbers.add_argument("--absolute", action="store_true", help="absolute 32-bit seq/ack")
    report_options(parser)
    parser.add_argument(
        "--jobs",
        type=job_count,
        metavar="N",
        help="worker processes (default: one per core, up to 8, for a capture of 4 MB or more, else 1)",
    )


def check(args: argparse.Namespace) -> int:
    from ..capture.checkpool import check_parallel, check_serial, workers_for
    from ..capture.connections import Tally
    from ..capture.reader import STDIN, CaptureError, name_of
    from ..system.lifetime import ending_on_signals

    def wanted(conn: Connection) -> bool:
        if args.connection is not None:
            return bool(conn.number == args.connection)
        return args.port is None or args.port in (conn.a[1], conn.b[1])

    # A check makes millions of short-lived objects and next to no reference cycles: the cycle
    # collector's default pace (every 700 allocations) costs more than a tenth of the time.
    gc.set_threshold(10_000, 10, 10)
    tally = Tally()
    # standard input can be read once: by one process; a connection's number is known only to a process that
    # follows them all (and one connection is checked by one process anyway)
    single = args.capture == STDIN or args.connection is not None
    jobs = 1 if single else args.jobs if args.jobs is not None else workers_for(args.capture)
    options = {"relative": not args.absolute, "wanted": wanted, "brief": args.brief, "as_json": args.json}
    checked = (
        check_parallel(args.capture, tally, workers=jobs, **options)
        if jobs > 1
        else check_serial(args.capture, tally, **options)
    )
    found = conforming = packets = 0
    damage: CaptureError | None = None
    try:
        # SIGTERM ends it as Ctrl-C does: the workers are stopped and their folder removed (see system.lifetime)
        with ending_on_signals(), closing(checked):
            for report in _progress(checked, tally, Path(args.capture), quiet=args.json):
                found += 1
                conforming += report.conforms
                packets += report.packets
                if args.json:  # JSON streams too: each connection as it is checked
                    opening = f'{{\n  "capture": {json.dumps(name_of(args.capture))},\n  "connections": [\n'
                    sys.stdout.write(opening if found == 1 else ",")
                    report.write(sys.stdout)
                else:
                    report.write(sys.stdout)
                    sys.stdout.write("\n\n")
    except CaptureError as exc:
        if not found:
            raise
        damage = exc  # the connections before the damage are reported: say so, then fail
    if not found:
        what = (
            f"no connection {args.connection}: it has {count(tally.connections, 'TCP connection')}, numbered from 1"
            if args.connection is not None
            else f"no TCP connection on port {args.port}"
            if args.port is not None
            else "no TCP in this capture"
        )
        from ..capture.connections import unread_summary

        counts = f"{count(tally.packets, 'packet')}, {tally.tcp} TCP{_unread(unread_summary(tally.unread))}"
        error = f"{name_of(args.capture)}: {what} ({counts})"
        if args.json:  # a document on standard output whatever happened, the error in it too
            document = {"capture": name_of(args.capture), "connections": [], "summary": what, "error": error}
            print(json.dumps(document, indent=2))
        raise CaptureError(error)
    summary = (
        f"{name_of(args.capture)}: {count(found, 'connection')}, {count(packets, 'packet')}: "
        f"{conforming} conform{'s' if conforming == 1 else ''} to the model, {found - conforming} depart"
    )
    if args.json:
        error = f',\n  "error": {json.dumps(str(damage))}' if damage is not None else ""
        print(f'\n  ],\n  "summary": {json.dumps(summary)}{error}\n}}')
    else:
        print(summary)
    if damage is not None:
        verb = "is" if found == 1 else "are"
        raise CaptureError(f"{damage}; the {count(found, 'connection')} before it {verb} checked above")
    return 0 if conforming == found else 1


def _progress(reports: Iterator[Checked], tally: Tally, path: Path, *, quiet: bool) -> Iterator[Checked]:
    """The reports as they come, with a progress bar (packets, rate, time left) on a terminal for long runs."""
    size = path.stat().st_size if path.is_file() else 0
    if quiet or not sys.stdout.isatty() or size < 2_000_000:
        yield from reports
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("checking"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} packets  {task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("check", total=None, rate="")
        for report in reports:
            yield report
            per_packet = tally.captured_bytes / max(tally.packets, 1) + 16  # frame plus its record header
            speed = bar.tasks[0].speed
            bar.update(
                task,
                completed=tally.packets,
                total=max(size / per_packet, tally.packets),
                rate=f"{speed:,.0f}/s" if speed else "",
            )


def compare_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("capture", type=nonempty, help="a pcap or pcapng file, or - for standard input")
    add_run_options(parser)
    parser.add_argument("--connection", type=int, metavar="N", help="which connection (default 1; see tcpsim read)")
    parser.add_argument("-o", "--output", metavar="OUT.svg|.png|.pdf", help="also draw the two-column ladder")


def compare(args: argparse.Namespace) -> int:
    from ..capture.compare import compare, reasons, same_per_direction
    from ..capture.compare import render as render_rows
    from ..capture.reader import name_of

    if args.output is not None:
        output_path("compare", "-o", args.output, (".svg", ".png", ".pdf"))
        require("matplotlib", "plot", "tcpsim compare -o")
    conn, note = _connection(args.capture, args.connection)
    rows = compare(conn, scenario_from_args(args).run())
    number = args.connection or 1
    print(f"capture: {name_of(args.capture)}, connection {number}; model: {args.scenario} (relative numbers)")
    print("\n".join(render_rows(rows) + reasons(rows)))
    if args.output:
        from ..present.plot.comparison import figure
        from ..present.plot.style import save

        drawing = figure(rows, left=Path(name_of(args.capture)).name, right=Path(args.scenario).name)
        print(f"wrote {save(drawing, args.output)}")
    _say(note)
    return 0 if same_per_direction(rows) else 1


def scenario_from_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("capture", type=nonempty, help="a pcap or pcapng file, or - for standard input")
    parser.add_argument("--connection", type=int, metavar="N", help="which connection (default 1; see tcpsim read)")
    parser.add_argument("-o", "--output", required=True, metavar="FILE.toml", help="the scenario file ('-': print)")


def scenario_from(args: argparse.Namespace) -> int:
    from ..capture.reader import name_of
    from ..capture.scenario_from import scenario_from

    if args.output != "-":
        output_path("scenario-from", "-o", args.output, (".toml",))
    conn, note = _connection(args.capture, args.connection)
    name = Path(args.output).stem if args.output != "-" else "from_capture"
    text = scenario_from(conn, name=name, source=f"{name_of(args.capture)}, connection {args.connection or 1}")
    if args.output == "-":
        sys.stdout.write(text)
        _say(note)
        return 0
    try:
        with replacing(args.output) as temporary:
            temporary.write_text(text, encoding="utf-8")
    except TcpsimError as exc:
        raise UsageError(f"tcpsim scenario-from: {exc}") from None
    print(f"wrote {args.output}: run it with tcpsim run {args.output}, compare with tcpsim compare")
    _say(note)
    return 0


def _say(note: str) -> None:
    if note:
        print(note, file=sys.stderr)


def _connection(path: str, number: int | None) -> tuple[Connection, str]:
    """Connection ``number`` of the capture (without one, the first, and a word when there are more), and a
    note to print once the command has done its work if the capture is damaged after some packets (a
    capture cut short: the packets before the damage are used)."""
    from ..capture.connections import read
    from ..capture.reader import name_of

    capture = read(path, partial=True)
    connections = capture.connections
    if number is None and len(connections) > 1:
        print(
            f"note: {name_of(path)} has {len(connections)} TCP connections; this is connection 1 "
            "(choose one with --connection N; tcpsim read lists them)",
            file=sys.stderr,
        )
    chosen = 1 if number is None else number
    if not 1 <= chosen <= len(connections):
        raise UsageError(
            f"tcpsim: --connection {chosen}, but {name_of(path)} has {count(len(connections), 'TCP connection')} "
            "(numbered from 1; see tcpsim read)"
        )
    note = f"note: {capture.damage}; the packets before it are used" if capture.damage else ""
    return connections[chosen - 1], note
