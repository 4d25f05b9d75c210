"""The commands that run a scenario, or show what the model has: list, show, run, demo, diagram, diagrams,
export, profiles."""

from __future__ import annotations

import argparse
import sys
import textwrap
from enum import Enum
from pathlib import Path

from ..model.profiles import DEFAULT_PROFILE, PROFILES, settings
from ..model.settings import SOURCES
from ..present.textladder import render
from ..sim.scenario import builtin_names, load
from .options import UsageError, add_run_options, require, scenario_from_args


def list_arguments(parser: argparse.ArgumentParser) -> None:
    """``tcpsim list`` takes no arguments."""


def list_scenarios(args: argparse.Namespace) -> int:
    for name in builtin_names():
        scenario = load(name)
        figure = f" [{scenario.figure}]" if scenario.figure else ""
        print(f"{name:<28} {scenario.title}{figure}")
    return 0


def show_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario")


def show(args: argparse.Namespace) -> int:
    from importlib import resources

    if args.scenario not in builtin_names():
        raise UsageError(f"tcpsim show: no built-in scenario called {args.scenario!r} (see tcpsim list)")
    sys.stdout.write((resources.files("simulator.sim.scenarios") / f"{args.scenario}.toml").read_text("utf-8"))
    return 0


def run_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_options(parser)
    parser.add_argument("--json", action="store_true", help="print the JSON trace instead of the ladder")
    parser.add_argument("--relative", action="store_true", help="show sequence numbers relative to each ISN")
    parser.add_argument("--verbose", action="store_true", help="also show timers, RTT samples and data delivery")
    parser.add_argument("--brief", action="store_true", help="no explanations, just the ladder")


def run(args: argparse.Namespace) -> int:
    scenario = scenario_from_args(args)
    trace = scenario.run()
    if args.json:
        sys.stdout.write(trace.to_json())
    else:
        if scenario.lesson and not args.brief:
            print(scenario.lesson + "\n")
        sys.stdout.write(render(trace, relative=args.relative, verbose=args.verbose, explain=not args.brief))
    return 0


def demo_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_options(parser, default_scenario="three_way_handshake")
    parser.add_argument("--no-pause", action="store_true", help="print every step in order and exit")
    parser.add_argument("--relative", action="store_true", help="sequence numbers relative to each ISN")
    parser.add_argument("--quiz", action="store_true", help="ask flags, seq, ack and next state before each segment")
    parser.add_argument("--answers", type=argparse.FileType("r"), metavar="FILE", help="quiz answers, one per line")


def demo(args: argparse.Namespace) -> int:
    trace = scenario_from_args(args).run()
    from ..present.demo import run_demo

    return run_demo(trace, relative=args.relative, pause=not args.no_pause, quiz_mode=args.quiz, answers=args.answers)


def diagram_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_options(parser)
    parser.add_argument("--kind", choices=("ladder", "states", "timeseq", "cwnd"), default="ladder")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.svg|.png|.pdf")
    parser.add_argument("--relative", action="store_true", help="sequence numbers relative to each ISN")


def diagram(args: argparse.Namespace) -> int:
    trace = scenario_from_args(args).run()
    require("matplotlib", "plot", "tcpsim diagram")
    from ..present.plot import draw, save

    if Path(args.output).suffix.lower() not in (".svg", ".png", ".pdf"):
        raise UsageError(f"tcpsim diagram: {args.output}: the output must end in .svg, .png or .pdf")
    print(save(draw(args.kind, trace, relative=args.relative), args.output))
    return 0


def diagrams_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="diagrams", metavar="DIR")


def diagrams(args: argparse.Namespace) -> int:
    require("matplotlib", "plot", "tcpsim diagrams")
    from ..present.gallery import write_gallery

    for path in write_gallery(Path(args.out)):
        print(path)
    return 0


def export_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_options(parser)
    parser.add_argument("-o", "--output", required=True, metavar="OUT.pcap|OUT.pcapng")
    parser.add_argument("--at", metavar="ENDPOINT", help="the host the capture is taken on (default: the first)")
    parser.add_argument("--no-drops", action="store_true", help="leave out its segments the network lost")


def export(args: argparse.Namespace) -> int:
    trace = scenario_from_args(args).run()
    require("scapy", "scapy", "tcpsim export")
    from ..capture.export import export as write_capture

    if Path(args.output).suffix.lower() not in (".pcap", ".pcapng"):
        raise UsageError(f"tcpsim export: {args.output}: the capture must end in .pcap or .pcapng")
    count = write_capture(trace, args.output, at=args.at, drops=not args.no_drops)
    print(f"{args.output}: {count} packets")
    return 0


def profiles_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true", help="every setting, not only those in which profiles differ")


def profiles(args: argparse.Namespace) -> int:
    for prof in PROFILES.values():
        default = " (default)" if prof.name == DEFAULT_PROFILE else ""
        print(f"{prof.name}{default}\n  " + "\n  ".join(textwrap.wrap(prof.description, 96)))
    names = " / ".join(PROFILES)
    which = "Every setting" if args.all else "Where the profiles differ"
    print(f"\n{which} ({names}), and where each choice comes from:")
    for name, values in settings(every=args.all):
        source = SOURCES[name]
        print(f"\n  {name:<22} " + " / ".join(_shown(v) for v in values.values()))
        print("    " + "\n    ".join(textwrap.wrap(source.what, 94)))
        rfc = source.rfc if source.rfc.startswith("RFC") else f"The RFCs: {source.rfc}"
        origin = f"{rfc}. Linux: {source.linux}. FreeBSD: {source.freebsd}."
        print("    " + "\n    ".join(textwrap.wrap(origin, 94)))
    return 0


def _shown(value: object) -> str:
    """A setting's value as a person reads it: on/off, none, the enum's word, the number."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "none"
    if isinstance(value, Enum):
        return str(value.value)
    return f"{value:g}" if isinstance(value, float) else str(value)
