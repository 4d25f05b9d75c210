"""The command line: ``tcpsim list``, ``tcpsim run``, ``tcpsim show``.

Every mistake in the input gives one line on standard error and exit status 2.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from .. import __version__
from ..conformance.packetdrill import Result, RunOptions, find_scripts, run_script, summarize
from ..model.errors import TcpsimError
from ..model.profiles import DEFAULT_PROFILE, PROFILES
from ..present.textladder import render
from ..sim.scenario import Scenario, builtin_names, load

if TYPE_CHECKING:
    from ..capture.checkpool import Checked
    from ..capture.reader import Connection, Tally


class UsageError(TcpsimError):
    """A command-line argument that cannot be used."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog.split()[0]} --help)")


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a probability between 0 and 1")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0.0 < value <= 3600.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 3600 seconds")
    return value


def _report_options(parser: argparse.ArgumentParser) -> None:
    """The options of a check's report (tcpsim check, and tcpsim capture, which checks what it captured)."""
    parser.add_argument("--json", action="store_true", help="the check's report as JSON")
    parser.add_argument("--brief", action="store_true", help="one line per packet, without the explanations")


def _jobs(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes between 1 and 64")
    return int(text)


def _u32(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not 0 <= value < 1 << 32:
        raise argparse.ArgumentTypeError(f"{text} is not a 32-bit sequence number (0..4294967295)")
    return value


def add_run_options(parser: argparse.ArgumentParser, default_scenario: str | None = None) -> None:
    """The options every command that runs a scenario accepts."""
    help_text = "a built-in scenario name (see 'tcpsim list') or a scenario .toml file"
    if default_scenario is None:
        parser.add_argument("scenario", help=help_text)
    else:
        parser.add_argument("scenario", nargs="?", default=default_scenario, help=f"{help_text} ({default_scenario})")
    parser.add_argument("--seed", type=int, help="seed of the random generator (loss, duplication, ISNs)")
    parser.add_argument("--loss", type=_probability, help="probability that the network loses a segment, on every path")
    parser.add_argument("--isn-client", type=_u32, metavar="N", help="initial sequence number of the endpoint 'client'")
    parser.add_argument("--isn-server", type=_u32, metavar="N", help="initial sequence number of the endpoint 'server'")
    parser.add_argument(
        "--profile", choices=sorted(PROFILES), help="put every endpoint on this stack's choices (see tcpsim profiles)"
    )


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """Load the scenario and apply --seed, --loss and the ISN options."""
    scenario = load(args.scenario)
    isns = {}
    if args.isn_client is not None:
        isns["client"] = args.isn_client
    if args.isn_server is not None:
        isns["server"] = args.isn_server
    return scenario.with_options(seed=args.seed, loss=args.loss, isns=isns, profile_name=args.profile)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tcpsim", description="A packet-level TCP simulator for teaching.")
    parser.add_argument("--version", action="version", version=f"tcpsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    sub.add_parser("list", help="list the built-in scenarios")
    run = sub.add_parser("run", help="run a scenario and print its ladder with explanations (or JSON)")
    add_run_options(run)
    run.add_argument("--json", action="store_true", help="print the JSON trace instead of the ladder")
    run.add_argument("--relative", action="store_true", help="show sequence numbers relative to each ISN")
    run.add_argument("--verbose", action="store_true", help="also show timers, RTT samples and data delivery")
    run.add_argument("--brief", action="store_true", help="no explanations, just the ladder")
    demo = sub.add_parser("demo", help="step through a scenario one segment per key press (for a projector)")
    add_run_options(demo, default_scenario="three_way_handshake")
    demo.add_argument("--no-pause", action="store_true", help="print every step in order and exit")
    demo.add_argument("--relative", action="store_true", help="sequence numbers relative to each ISN")
    demo.add_argument("--quiz", action="store_true", help="ask flags, seq, ack and next state before each segment")
    demo.add_argument("--answers", type=argparse.FileType("r"), metavar="FILE", help="quiz answers, one per line")
    diagram = sub.add_parser("diagram", help="draw a ladder, state or time-sequence diagram (SVG, PNG or PDF)")
    add_run_options(diagram)
    diagram.add_argument("--kind", choices=("ladder", "states", "timeseq"), default="ladder")
    diagram.add_argument("-o", "--output", required=True, metavar="OUT.svg|.png|.pdf")
    diagram.add_argument("--relative", action="store_true", help="sequence numbers relative to each ISN")
    diagrams = sub.add_parser("diagrams", help="draw all three diagrams of every built-in scenario, with an index")
    diagrams.add_argument("--out", default="diagrams", metavar="DIR")
    export = sub.add_parser("export", help="write a run as a pcap or pcapng capture (explanations as comments)")
    add_run_options(export)
    export.add_argument("-o", "--output", required=True, metavar="OUT.pcap|OUT.pcapng")
    export.add_argument("--at", metavar="ENDPOINT", help="the host the capture is taken on (default: the first)")
    export.add_argument("--no-drops", action="store_true", help="leave out its segments the network lost")
    read = sub.add_parser("read", help="list the TCP connections and segments of a pcap or pcapng file")
    read.add_argument("capture", help="a pcap or pcapng file, or - for standard input")
    read.add_argument("--absolute", action="store_true", help="absolute sequence numbers (default: relative)")
    check = sub.add_parser("check", help="replay every connection of a capture through the model: explain or flag")
    check.add_argument("capture", help="a pcap or pcapng file, or - for standard input")
    which = check.add_mutually_exclusive_group()
    which.add_argument("--connection", type=int, metavar="N", help="only connection N (as tcpsim read numbers them)")
    which.add_argument("--port", type=int, metavar="P", help="only connections with port P on either side")
    numbers = check.add_mutually_exclusive_group()
    numbers.add_argument("--relative", action="store_true", help="seq/ack relative to each ISN (the default)")
    numbers.add_argument("--absolute", action="store_true", help="absolute 32-bit seq/ack")
    _report_options(check)
    check.add_argument(
        "--jobs",
        type=_jobs,
        metavar="N",
        help="worker processes (default: one per core, up to 8, for a capture of 4 MB or more, else 1)",
    )
    compare = sub.add_parser("compare", help="line up a captured connection with a simulated run, side by side")
    compare.add_argument("capture", help="a pcap or pcapng file, or - for standard input")
    add_run_options(compare)
    compare.add_argument("--connection", type=int, default=1, metavar="N", help="which connection (default 1)")
    compare.add_argument("-o", "--output", metavar="OUT.svg|.png|.pdf", help="also draw the two-column ladder")
    replay = sub.add_parser("scenario-from", help="write a scenario file that replays a captured connection")
    replay.add_argument("capture", help="a pcap or pcapng file, or - for standard input")
    replay.add_argument("--connection", type=int, default=1, metavar="N", help="which connection (default 1)")
    replay.add_argument("-o", "--output", required=True, metavar="FILE.toml", help="the scenario file ('-': print)")
    probe = sub.add_parser("probe", help="test a TCP port on loopback: open, closed or filtered, packet by packet")
    probe.add_argument("target", nargs="?", metavar="HOST:PORT", help="a loopback address and port: 127.0.0.1:8080")
    probe.add_argument(
        "--example", choices=("open", "closed", "filtered"), help="probe port 5000 in a private namespace set up so"
    )
    probe.add_argument("--timeout", type=_seconds, default=5.0, metavar="S", help="give up connecting after S (5)")
    probe.add_argument("--json", action="store_true", help="the result as JSON")
    cap = sub.add_parser("capture", help="run a command in a private network namespace, capture its TCP, check it")
    cap.add_argument("-o", "--output", default="tcpsim-capture.pcap", metavar="OUT.pcap", help="(tcpsim-capture.pcap)")
    cap.add_argument("--mtu", type=int, metavar="N", help="the namespace loopback's MTU (default 65536)")
    cap.add_argument("--no-offload", action="store_true", help="TSO/GSO/GRO off: MSS-sized segments as on a link")
    cap.add_argument(
        "--loss", type=_probability, default=0.0, metavar="P", help="lose TCP packets with chance P (after capture)"
    )
    _report_options(cap)
    cap.add_argument("command_line", nargs=argparse.REMAINDER, metavar="-- COMMAND ...")
    live = sub.add_parser("live", help="the model plays one endpoint, the Linux kernel the other (TUN in a namespace)")
    live.add_argument("scenario", help="a built-in scenario name (see 'tcpsim list') or a scenario .toml file")
    live.add_argument("--kernel", default="server", metavar="ENDPOINT", help="the endpoint Linux plays (server)")
    live.add_argument("--pcap", default="tcpsim-live.pcapng", metavar="OUT.pcapng", help="(tcpsim-live.pcapng)")
    live.add_argument(
        "-o", "--output", default="tcpsim-live.svg", metavar="OUT.svg|.png|.pdf", help="the ladder ('-': none)"
    )
    show = sub.add_parser("show", help="print a built-in scenario's TOML file (a start for your own)")
    show.add_argument("scenario")
    pd = sub.add_parser("packetdrill", help="run packetdrill scripts against the model (the model is the stack)")
    pd.add_argument("paths", nargs="+", metavar="SCRIPT.pkt|DIR")
    pd.add_argument("--profile", choices=sorted(PROFILES), default=DEFAULT_PROFILE, help="the stack's choices")
    pd.add_argument("--json", action="store_true", help="results as JSON")
    pd.add_argument("--verbose", action="store_true", help="one line for every script, not just the failures")
    pd.add_argument("--compare-window", action="store_true", help="also compare the window of sent segments")
    pd.add_argument("--compare-options", action="store_true", help="also compare the TCP options sent")
    pd.add_argument("--tolerance_usecs", "--tolerance-usecs", type=int, metavar="N", help="timing tolerance")
    profiles = sub.add_parser("profiles", help="list the named profiles (stack choices)")
    profiles.set_defaults()
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        return _dispatch(args)
    except TcpsimError as exc:
        print(f"error: {exc}" if not isinstance(exc, UsageError) else str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "list":
        for name in builtin_names():
            scenario = load(name)
            figure = f" [{scenario.figure}]" if scenario.figure else ""
            print(f"{name:<28} {scenario.title}{figure}")
        return 0
    if args.command == "show":
        from importlib import resources

        if args.scenario not in builtin_names():
            raise UsageError(f"tcpsim show: no built-in scenario called {args.scenario!r} (see tcpsim list)")
        sys.stdout.write((resources.files("simulator.sim.scenarios") / f"{args.scenario}.toml").read_text("utf-8"))
        return 0
    handler = _HANDLERS.get(args.command)
    if handler is not None:
        return handler(args)
    if args.command == "diagrams":
        _require("matplotlib", "plot", "tcpsim diagrams")
        from ..present.gallery import write_gallery

        for path in write_gallery(Path(args.out)):
            print(path)
        return 0
    if args.command == "profiles":
        for prof in PROFILES.values():
            default = " (default)" if prof.name == DEFAULT_PROFILE else ""
            print(f"{prof.name}{default}\n  " + "\n  ".join(textwrap.wrap(prof.description, 96)))
        return 0
    scenario = scenario_from_args(args)
    trace = scenario.run()
    if args.command == "export":
        _require("scapy", "scapy", "tcpsim export")
        from ..capture.export import export

        if Path(args.output).suffix.lower() not in (".pcap", ".pcapng"):
            raise UsageError(f"tcpsim export: {args.output}: the capture must end in .pcap or .pcapng")
        count = export(trace, args.output, at=args.at, drops=not args.no_drops)
        print(f"{args.output}: {count} packets")
        return 0
    if args.command == "diagram":
        _require("matplotlib", "plot", "tcpsim diagram")
        from ..present.plot import draw, save

        if Path(args.output).suffix.lower() not in (".svg", ".png", ".pdf"):
            raise UsageError(f"tcpsim diagram: {args.output}: the output must end in .svg, .png or .pdf")
        print(save(draw(args.kind, trace, relative=args.relative), args.output))
        return 0
    if args.command == "demo":
        from ..present.demo import run_demo

        return run_demo(
            trace, relative=args.relative, pause=not args.no_pause, quiz_mode=args.quiz, answers=args.answers
        )
    if args.json:
        sys.stdout.write(trace.to_json())
    else:
        if scenario.lesson and not args.brief:
            print(scenario.lesson + "\n")
        sys.stdout.write(render(trace, relative=args.relative, verbose=args.verbose, explain=not args.brief))
    return 0


def _packetdrill(args: argparse.Namespace) -> int:
    options = RunOptions(
        profile=args.profile,
        compare_window=args.compare_window,
        compare_options=args.compare_options,
        tolerance_usecs=args.tolerance_usecs,
    )
    scripts = find_scripts(args.paths)
    if not scripts:
        raise UsageError(f"tcpsim packetdrill: no .pkt scripts in {' '.join(args.paths)}")
    results = [run_script(path, options) for path in scripts]
    table = summarize(results)
    if args.json:
        summary = {folder: counts for folder, counts in table}
        data = {"profile": args.profile, "results": [r.to_dict() for r in results], "summary": summary}
        print(json.dumps(data, indent=1))
    else:
        for r in results:
            if r.status != "pass" or args.verbose:
                print(f"{r.status.upper():5} {r.path}")
                if r.message:
                    print("      " + "\n      ".join(textwrap.wrap(r.message, 100)))
        print(_table(table, results))
        failed = sum(1 for r in results if r.status == "fail")
        if args.profile != "freebsd" and failed > len(results) / 2 and _written_for_freebsd(scripts):
            print("hint: these scripts are written for FreeBSD (sysctl net.inet...): try --profile freebsd")
    return 0 if all(r.status in ("pass", "n/a") for r in results) else 1


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _require(module: str, extra: str, command: str) -> None:
    """One clear line (exit status 2) when an optional library is not installed."""
    if not _installed(module):
        raise UsageError(f"{command} needs {module}, which is not installed: pip install -e '.[{extra}]'")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _read(args: argparse.Namespace) -> int:
    from ..capture.reader import CaptureError, read, zeek_state

    capture = read(args.capture)
    if not capture.connections:
        others = _count(capture.packets, "packet")
        raise CaptureError(f"{capture.path}: no TCP in this capture ({others} of other kinds)")
    print(
        f"{capture.path}: {capture.packets} packets ({capture.link_type}), {capture.tcp_packets} TCP in "
        f"{_count(len(capture.connections), 'connection')}, {capture.skipped} not TCP (skipped)"
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
    return 0


def _connection(path: str, number: int) -> Connection:
    from ..capture.reader import name_of, read

    connections = read(path).connections
    if not 1 <= number <= len(connections):
        raise UsageError(
            f"tcpsim: --connection {number}, but {name_of(path)} has {_count(len(connections), 'TCP connection')} "
            "(numbered from 1; see tcpsim read)"
        )
    return connections[number - 1]


def _compare(args: argparse.Namespace) -> int:
    from ..capture.compare import compare, same_per_direction
    from ..capture.compare import render as render_rows
    from ..capture.reader import name_of

    if args.output:
        _require("matplotlib", "plot", "tcpsim compare -o")
    conn = _connection(args.capture, args.connection)
    rows = compare(conn, scenario_from_args(args).run())
    print(f"capture: {name_of(args.capture)}, connection {args.connection}; model: {args.scenario} (relative numbers)")
    print("\n".join(render_rows(rows)))
    if args.output:
        from ..present.plot.comparison import figure
        from ..present.plot.style import save

        drawing = figure(rows, left=Path(name_of(args.capture)).name, right=Path(args.scenario).name)
        print(f"wrote {save(drawing, args.output)}")
    return 0 if same_per_direction(rows) else 1


def _scenario_from(args: argparse.Namespace) -> int:
    from ..capture.reader import name_of
    from ..capture.scenario_from import scenario_from

    conn = _connection(args.capture, args.connection)
    name = Path(args.output).stem if args.output != "-" else "from_capture"
    text = scenario_from(conn, name=name, source=f"{name_of(args.capture)}, connection {args.connection}")
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"tcpsim scenario-from: cannot write {args.output}: {exc.strerror}") from None
    print(f"wrote {args.output}: run it with tcpsim run {args.output}, compare with tcpsim compare")
    return 0


def _probe(args: argparse.Namespace) -> int:
    from ..live.probe import EXAMPLE_PORT, parse_target, probe, render, to_json

    if (args.target is None) == (args.example is None):
        raise UsageError("tcpsim probe: give HOST:PORT or --example open|closed|filtered (see tcpsim probe --help)")
    host, port = parse_target(args.target) if args.target else ("127.0.0.1", EXAMPLE_PORT)
    result = probe(host, port, timeout=args.timeout, example=args.example)
    if args.json:
        print(json.dumps(to_json(result), indent=2))
    else:
        print("\n".join(render(result)))
    return 0


def _capture(args: argparse.Namespace) -> int:
    from ..live.record import record

    command = args.command_line[1:] if args.command_line[:1] == ["--"] else args.command_line
    if not command:
        raise UsageError("tcpsim capture: give the command to run after --, e.g. tcpsim capture -- python3 demo.py")
    if args.mtu is not None and not 68 <= args.mtu <= 65536:
        raise UsageError(f"tcpsim capture: --mtu {args.mtu} is not between 68 and 65536")
    try:
        # with --json, stdout is the JSON document alone: the command's output goes to stderr
        done = record(
            command,
            Path(args.output),
            mtu=args.mtu,
            offloads=not args.no_offload,
            loss=args.loss,
            stdout=sys.stderr if args.json else None,
        )
    except KeyboardInterrupt:
        print(f"interrupted: the namespace is gone; the capture so far is in {args.output}", file=sys.stderr)
        return 130
    outcome = "succeeded" if done.status == 0 else f"exited with status {done.status}"
    lines = sys.stderr if args.json else sys.stdout  # with --json, stdout is the document alone
    where = f"in namespace {done.namespace}, now deleted"
    print(f"{' '.join(command)}: {outcome} ({where}); capture: {done.pcap}", file=lines)
    if done.dropped:
        print(
            f"tcpdump: {_count(done.dropped, 'packet')} dropped by the kernel before tcpdump read them: the check "
            "shows the gaps they leave as 'previous segment not captured' and 'ACKed segment that wasn't captured'",
            file=lines,
        )
    lines.flush()
    check_args = argparse.Namespace(
        capture=str(done.pcap), connection=None, port=None, absolute=False, json=args.json, brief=args.brief, jobs=None
    )
    status = _check(check_args)
    return status if done.status == 0 else max(status, 1)


def _live(args: argparse.Namespace) -> int:
    _require("scapy", "scapy", "tcpsim live")
    draw = args.output != "-"
    if draw and args.output != "tcpsim-live.svg":
        _require("matplotlib", "plot", "tcpsim live -o")
    elif draw and not _installed("matplotlib"):
        draw = False
        print("(no ladder diagram: matplotlib is not installed, pip install -e '.[plot]')")
    from ..live.session import agrees, report, run_live

    scenario = load(args.scenario)
    if args.kernel not in (spec.name for spec in scenario.endpoints):
        names = ", ".join(spec.name for spec in scenario.endpoints)
        raise UsageError(f"tcpsim live: --kernel {args.kernel}, but {scenario.name}'s endpoints are {names}")
    print(f"{scenario.name}: Linux plays {args.kernel}, the model the other endpoint (times in seconds)")
    run = run_live(scenario, args.kernel, Path(args.pcap), say=lambda line: print(line, flush=True))
    for who, failure in (
        (f"Linux's {run.kernel}", run.kernel_failure),
        (f"the model's {run.model}", run.model_failure),
    ):
        if failure:
            print(f"{who} application stopped: {failure}")
    print("\n".join(report(run)))
    print(f"wrote {args.pcap} (every packet commented; open it in Wireshark or check it with tcpsim check)")
    if draw:
        from ..present.plot.comparison import figure
        from ..present.plot.style import save

        path = save(figure(run.rows, left=f"Linux as {run.kernel} (live)", right="model (simulated)"), args.output)
        print(f"wrote {path}")
    return 0 if agrees(run) else 1


def _check(args: argparse.Namespace) -> int:
    from ..capture.checkpool import check_parallel, check_serial, workers_for
    from ..capture.reader import STDIN, CaptureError, Tally, name_of

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
            f"no connection {args.connection}"
            if args.connection is not None
            else f"no TCP connection on port {args.port}"
            if args.port is not None
            else "no TCP in this capture"
        )
        raise CaptureError(f"{name_of(args.capture)}: {what} ({_count(tally.packets, 'packet')}, {tally.tcp} TCP)")
    summary = (
        f"{name_of(args.capture)}: {_count(found, 'connection')}, {_count(packets, 'packet')}: "
        f"{conforming} conform{'s' if conforming == 1 else ''} to the model, {found - conforming} depart"
    )
    if args.json:
        error = f',\n  "error": {json.dumps(str(damage))}' if damage is not None else ""
        print(f'\n  ],\n  "summary": {json.dumps(summary)}{error}\n}}')
    else:
        print(summary)
    if damage is not None:
        verb = "is" if found == 1 else "are"
        raise CaptureError(f"{damage}; the {_count(found, 'connection')} before it {verb} checked above")
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


def _table(table: list[tuple[str, dict[str, int]]], results: list[Result]) -> str:
    width = max([len(folder) for folder, _ in table] + [9])
    lines = [f"{'directory':<{width}}  {'pass':>5} {'fail':>5} {'n/a':>5} {'error':>5} {'total':>6}"]
    totals = {"pass": 0, "fail": 0, "n/a": 0, "error": 0}
    for folder, counts in table:
        for key in totals:
            totals[key] += counts[key]
        lines.append(
            f"{folder:<{width}}  {counts['pass']:>5} {counts['fail']:>5} {counts['n/a']:>5} {counts['error']:>5} "
            f"{sum(counts.values()):>6}"
        )
    n = len(results)
    share = 100.0 * totals["pass"] / n if n else 0.0
    lines.append(
        f"{'total':<{width}}  {totals['pass']:>5} {totals['fail']:>5} {totals['n/a']:>5} {totals['error']:>5} "
        f"{n:>6}  ({share:.1f}% pass)"
    )
    skipped: dict[str, int] = {}
    for r in results:
        for kind, count in r.skipped_kinds.items():
            skipped[kind] = skipped.get(kind, 0) + count
    if skipped:
        parts = ", ".join(f"{count} {kind}" for kind, count in sorted(skipped.items()))
        lines.append(f"lines skipped (nothing for the model to do): {sum(skipped.values())} ({parts})")
    return "\n".join(lines)


def _written_for_freebsd(scripts: list[Path]) -> bool:
    return any("net.inet.tcp" in path.read_text(encoding="utf-8", errors="replace") for path in scripts[:20])


_HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "packetdrill": _packetdrill,
    "read": _read,
    "check": _check,
    "compare": _compare,
    "scenario-from": _scenario_from,
    "probe": _probe,
    "capture": _capture,
    "live": _live,
}


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
