"""The commands that make real traffic: probe, capture, live (loopback or a private namespace)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..sim.scenario import load
from ..system.lifetime import ending_on_signals
from .capture_commands import check
from .options import UsageError, count, installed, nonempty, output_path, probability, report_options, require, seconds


def probe_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", nargs="?", metavar="HOST:PORT", help="a loopback address and port: 127.0.0.1:8080")
    parser.add_argument(
        "--example", choices=("open", "closed", "filtered"), help="probe port 5000 in a private namespace set up so"
    )
    parser.add_argument("--timeout", type=seconds, default=5.0, metavar="S", help="give up connecting after S (5)")
    parser.add_argument("--json", action="store_true", help="the result as JSON")


def probe(args: argparse.Namespace) -> int:
    from ..live.probe import EXAMPLE_PORT, parse_target, render, to_json
    from ..live.probe import probe as probe_port

    if (args.target is None) == (args.example is None):
        raise UsageError("tcpsim probe: give HOST:PORT or --example open|closed|filtered (see tcpsim probe --help)")
    host, port = parse_target(args.target) if args.target is not None else ("127.0.0.1", EXAMPLE_PORT)
    with ending_on_signals():
        result = probe_port(host, port, timeout=args.timeout, example=args.example)
    if args.json:
        print(json.dumps(to_json(result), indent=2))
    else:
        print("\n".join(render(result)))
    return 0


def capture_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o", "--output", default="tcpsim-capture.pcap", metavar="OUT.pcap", help="(tcpsim-capture.pcap)"
    )
    parser.add_argument("--mtu", type=int, metavar="N", help="the namespace loopback's MTU (default 65536)")
    parser.add_argument("--no-offload", action="store_true", help="TSO/GSO/GRO off: MSS-sized segments as on a link")
    parser.add_argument(
        "--loss", type=probability, default=0.0, metavar="P", help="lose TCP packets with chance P (after capture)"
    )
    report_options(parser)
    parser.add_argument("command_line", nargs=argparse.REMAINDER, metavar="-- COMMAND ...")


def capture(args: argparse.Namespace) -> int:
    from ..live.record import record

    command = args.command_line[1:] if args.command_line[:1] == ["--"] else args.command_line
    if not command:
        raise UsageError("tcpsim capture: give the command to run after --, e.g. tcpsim capture -- python3 demo.py")
    if args.mtu is not None and not 68 <= args.mtu <= 65536:
        raise UsageError(f"tcpsim capture: --mtu {args.mtu} is not between 68 and 65536")
    output_path("capture", "-o", args.output, (".pcap", ".cap"))
    try:
        # with --json, stdout is the JSON document alone: the command's output goes to stderr
        with ending_on_signals():
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
    except SystemExit as ended:  # SIGTERM or SIGHUP (see system.lifetime): everything is cleaned up
        print(f"stopped: the namespace is gone; the capture so far is in {args.output}", file=sys.stderr)
        raise ended
    outcome = "succeeded" if done.status == 0 else f"exited with status {done.status}"
    lines = sys.stderr if args.json else sys.stdout  # with --json, stdout is the document alone
    where = f"in namespace {done.namespace}, now deleted"
    print(f"{' '.join(command)}: {outcome} ({where}); capture: {done.pcap}", file=lines)
    if done.dropped:
        print(
            f"tcpdump: {count(done.dropped, 'packet')} dropped by the kernel before tcpdump read them: the check "
            "shows the gaps they leave as 'previous segment not captured' and 'ACKed segment that wasn't captured'",
            file=lines,
        )
    lines.flush()
    check_args = argparse.Namespace(
        capture=str(done.pcap), connection=None, port=None, absolute=False, json=args.json, brief=args.brief, jobs=None
    )
    status = check(check_args)
    return status if done.status == 0 else max(status, 1)


def live_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenario", type=nonempty, help="a built-in scenario name (see 'tcpsim list') or a scenario .toml file"
    )
    parser.add_argument(
        "--kernel", type=nonempty, default="server", metavar="ENDPOINT", help="the endpoint Linux plays (server)"
    )
    parser.add_argument("--pcap", default="tcpsim-live.pcapng", metavar="OUT.pcapng", help="(tcpsim-live.pcapng)")
    parser.add_argument(
        "-o", "--output", default="tcpsim-live.svg", metavar="OUT.svg|.png|.pdf", help="the ladder ('-': none)"
    )


def live(args: argparse.Namespace) -> int:
    require("scapy", "scapy", "tcpsim live")
    draw = args.output != "-"
    output_path("live", "--pcap", args.pcap, (".pcapng",))
    if draw:
        output_path("live", "-o", args.output, (".svg", ".png", ".pdf"))
    if draw and args.output != "tcpsim-live.svg":
        require("matplotlib", "plot", "tcpsim live -o")
    elif draw and not installed("matplotlib"):
        draw = False
        print("(no ladder diagram: matplotlib is not installed, pip install -e '.[plot]')")
    from ..live.session import agrees, report, run_live

    scenario = load(args.scenario)
    if args.kernel not in (spec.name for spec in scenario.endpoints):
        names = ", ".join(spec.name for spec in scenario.endpoints)
        raise UsageError(f"tcpsim live: --kernel {args.kernel}, but {scenario.name}'s endpoints are {names}")
    print(f"{scenario.name}: Linux plays {args.kernel}, the model the other endpoint (times in seconds)")
    with ending_on_signals():
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
