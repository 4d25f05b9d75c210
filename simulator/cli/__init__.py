"""The ``tcpsim`` command: one table of subcommands, each a pair of functions.

A command's ``*_arguments`` function adds its options to its parser; its handler takes the parsed
arguments and returns the exit status. Every mistake in the input gives one line on standard
error and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .. import __version__
from ..model.errors import TcpsimError
from . import capture_commands as captures
from . import conformance_commands as conformance
from . import live_commands as live
from . import scenario_commands as scenarios
from .options import Parser, UsageError

Handler = Callable[[argparse.Namespace], int]


@dataclass(frozen=True, slots=True)
class Command:
    """One subcommand: its name, its one-line help, how it reads its arguments, what it does."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    handler: Handler


# In the order ``tcpsim --help`` lists them.
COMMANDS: tuple[Command, ...] = (
    Command("list", "list the built-in scenarios", scenarios.list_arguments, scenarios.list_scenarios),
    Command(
        "run",
        "run a scenario and print its ladder with explanations (or JSON)",
        scenarios.run_arguments,
        scenarios.run,
    ),
    Command(
        "demo",
        "step through a scenario one segment per key press (for a projector)",
        scenarios.demo_arguments,
        scenarios.demo,
    ),
    Command(
        "diagram",
        "draw a ladder, state or time-sequence diagram (SVG, PNG or PDF)",
        scenarios.diagram_arguments,
        scenarios.diagram,
    ),
    Command(
        "diagrams",
        "draw all three diagrams of every built-in scenario, with an index",
        scenarios.diagrams_arguments,
        scenarios.diagrams,
    ),
    Command(
        "export",
        "write a run as a pcap or pcapng capture (explanations as comments)",
        scenarios.export_arguments,
        scenarios.export,
    ),
    Command(
        "read",
        "list the TCP connections and segments of a pcap or pcapng file",
        captures.read_arguments,
        captures.read,
    ),
    Command(
        "check",
        "replay every connection of a capture through the model: explain or flag",
        captures.check_arguments,
        captures.check,
    ),
    Command(
        "compare",
        "line up a captured connection with a simulated run, side by side",
        captures.compare_arguments,
        captures.compare,
    ),
    Command(
        "scenario-from",
        "write a scenario file that replays a captured connection",
        captures.scenario_from_arguments,
        captures.scenario_from,
    ),
    Command(
        "probe",
        "test a TCP port on loopback: open, closed or filtered, packet by packet",
        live.probe_arguments,
        live.probe,
    ),
    Command(
        "capture",
        "run a command in a private network namespace, capture its TCP, check it",
        live.capture_arguments,
        live.capture,
    ),
    Command(
        "live",
        "the model plays one endpoint, the Linux kernel the other (TUN in a namespace)",
        live.live_arguments,
        live.live,
    ),
    Command(
        "show", "print a built-in scenario's TOML file (a start for your own)", scenarios.show_arguments, scenarios.show
    ),
    Command(
        "packetdrill",
        "run packetdrill scripts against the model (the model is the stack)",
        conformance.packetdrill_arguments,
        conformance.packetdrill,
    ),
    Command("profiles", "list the named profiles (stack choices)", scenarios.profiles_arguments, scenarios.profiles),
)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="tcpsim", description="A packet-level TCP simulator for teaching.")
    parser.add_argument("--version", action="version", version=f"tcpsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for command in COMMANDS:
        command.arguments(sub.add_parser(command.name, help=command.help))
    return parser


_HANDLERS: dict[str, Handler] = {command.name: command.handler for command in COMMANDS}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        return _HANDLERS[args.command](args)
    except TcpsimError as exc:
        print(f"error: {exc}" if not isinstance(exc, UsageError) else str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
