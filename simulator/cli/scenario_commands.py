"""The commands that run a scenario, or show what the model has: list, show, run, demo, diagram, diagrams,
export, profiles."""

from __future__ import annotations

import argparse
import sys
import textwrap
from enum import Enum

from ..model.profiles import DEFAULT_PROFILE, PROFILES, settings
from ..model.settings import SOURCES
from ..present.textladder import render, terminal_width
from ..sim.scenario import builtin_names, load
from .options import (
    UsageError,
    add_run_options,
    folder_path,
    nonempty,
    output_path,
    require,
    scenario_from_args,
    utf8_file,
)


def list_arguments(parser: argparse.ArgumentParser) -> None:
    """``tcpsim list`` takes no arguments."""


def list_scenarios(args: argparse.Namespace) -> int:
    for name in builtin_names():
        scenario = load(name)
        figure = f" [{scenario.figure}]" if scenario.figure else ""
        print(f"{name:<28} {scenario.title}{figure}")
    return 0


def show_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", type=nonempty)


def show(args: argparse.Namespace) -> int:
    from importlib import resources

    if args.scenario not in builtin_names():
        raise UsageError(f"tcpsim show: no built-in scenario called {args.scenario!r} (see tcpsim list)")
    sys.stdout.write((resources.files("simulator.sim.scenarios") / f"{args.scenario}.toml").read_text("utf-8"))
    return 0


def run_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_options(parser)
    parser.add_argument("--json", action="store_true", help="print the JSON trace instead of the ladder")
    parser.add_argument(
        "--relative",
        action="store_true",
        help="sequence numbers relative to each ISN (with --json: in the sentences; segments keep the wire's)",
    )
    parser.add_argument("--verbose", action="store_true", help="also show timers, RTT samples and data delivery")
    parser.add_argument("--brief", action="store_true", help="no explanations, just the ladder")
    parser.add_argument(
        "--format",
        choices=("text", "markdown", "latex"),
        default="text",
        help="the ladder as text (fitted to the terminal), or as a Markdown or LaTeX table for slides",
    )


def run(args: argparse.Namespace) -> int:
    if args.json and args.format != "text":
        raise UsageError("tcpsim run: --json and --format are two different outputs: give one")
    scenario = scenario_from_args(args)
    trace = scenario.run()
    if args.json:
        sys.stdout.write(trace.to_json(relative=args.relative))
    elif args.format != "text":
        from ..present.slides import SlideFormat, render_slides

        fmt = SlideFormat(args.format)
        sys.stdout.write(
            render_slides(trace, fmt, relative=args.relative, explain=not args.brief, verbose=args.verbose)
        )
    else:
        width = terminal_width()
        if scenario.lesson and not args.brief:
            paragraphs = scenario.lesson.split("\n\n")
            print("\n\n".join(textwrap.fill(" ".join(p.split()), max(width, 40)) for p in paragraphs) + "\n")
        sys.stdout.write(
            render(trace, relative=args.relative, verbose=args.verbose, explain=not args.brief, width=width)
        )
    return 0


def demo_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_options(parser, default_scenario="three_way_handshake")
    parser.add_argument("--no-pause", action="store_true", help="print every step in order and exit")
    parser.add_argument("--relative", action="store_true", help="sequence numbers relative to each ISN")
    parser.add_argument("--quiz", action="store_true", help="ask flags, seq, ack and next state before each segment")
    parser.add_argument(
        "--segments", action="store_true", help="a step per segment only (the key s switches while it runs)"
    )
    parser.add_argument("--answers", type=utf8_file, metavar="FILE", help="quiz answers, one per line (UTF-8)")


def demo(args: argparse.Namespace) -> int:
    scenario = scenario_from_args(args)
    trace = scenario.run()
    from ..present.demo import run_demo

    return run_demo(
        trace,
        relative=args.relative,
        pause=not args.no_pause,
        quiz_mode=args.quiz,
        answers=args.answers,
        segments_only=args.segments,
        scenario=scenario,
    )


def diagram_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_options(parser)
    parser.add_argument("--kind", choices=("ladder", "states", "timeseq", "cwnd"), default="ladder")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.svg|.png|.pdf")
    parser.add_argument("--relative", action="store_true", help="sequence numbers relative to each ISN")
    parser.add_argument("--from", dest="start", metavar="T|step:N", help="ladder: start at this time (s) or step")
    parser.add_argument("--to", dest="end", metavar="T|step:N", help="ladder: stop at this time (s) or step")
    parser.add_argument("--width", type=inches, metavar="INCHES", help="the figure's width")
    parser.add_argument("--height", type=inches, metavar="INCHES", help="the figure's height")
    parser.add_argument(
        "--font-size", type=points, metavar="PT", help="the labels' size (8 by default); all text scales"
    )
    parser.add_argument(
        "--linear-time", action="store_true", help="ladder: time in proportion, quiet stretches not cut short"
    )


def inches(text: str) -> float:
    return _positive(text, "inches", 0.5, 200.0)


def points(text: str) -> float:
    return _positive(text, "points", 2.0, 72.0)


def _positive(text: str, unit: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of {unit}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{text} is not between {low:g} and {high:g} {unit}")
    return value


def diagram(args: argparse.Namespace) -> int:
    output_path("diagram", "-o", args.output, (".svg", ".png", ".pdf"))
    require("matplotlib", "plot", "tcpsim diagram")
    from ..present.plot import Bound, Look, draw, save

    if args.kind != "ladder" and (args.start or args.end or args.linear_time):
        raise UsageError("tcpsim diagram: --from, --to and --linear-time are for --kind ladder")
    look = Look(
        width=args.width,
        height=args.height,
        font_size=args.font_size,
        start=Bound.parse(args.start) if args.start else None,
        end=Bound.parse(args.end) if args.end else None,
        linear=args.linear_time,
    )
    trace = scenario_from_args(args).run()
    look.span(trace)  # a stretch outside the run is an error before anything is drawn
    print(save(draw(args.kind, trace, relative=args.relative, look=look), args.output))
    return 0


def diagrams_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="diagrams", metavar="DIR")


def diagrams(args: argparse.Namespace) -> int:
    out = folder_path("diagrams", "--out", args.out)
    require("matplotlib", "plot", "tcpsim diagrams")
    from ..present.gallery import write_gallery

    for path in write_gallery(out):
        print(path)
    return 0


def export_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_options(parser)
    parser.add_argument("-o", "--output", required=True, metavar="OUT.pcap|OUT.pcapng")
    parser.add_argument(
        "--at", type=nonempty, metavar="ENDPOINT", help="the host the capture is taken on (default: the first)"
    )
    parser.add_argument("--no-drops", action="store_true", help="leave out its segments the network lost")
    parser.add_argument(
        "--relative", action="store_true", help="packet comments count from each ISN, as Wireshark shows the numbers"
    )


def export(args: argparse.Namespace) -> int:
    output_path("export", "-o", args.output, (".pcap", ".pcapng"))
    trace = scenario_from_args(args).run()
    require("scapy", "scapy", "tcpsim export")
    from ..capture.export import export as write_capture

    count = write_capture(trace, args.output, at=args.at, drops=not args.no_drops, relative=args.relative)
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
