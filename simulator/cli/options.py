"""The parser, the argument types, and the options several commands share.

Every mistake in the input gives one line on standard error and exit status 2: ``Parser`` raises
``UsageError`` where argparse would print its usage, and ``main`` prints the one line.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
from pathlib import Path
from typing import NoReturn

from ..model.errors import TcpsimError
from ..model.profiles import PROFILES
from ..sim.scenario import Scenario, load


class UsageError(TcpsimError):
    """A command-line argument that cannot be used."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog.split()[0]} --help)")


def probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a probability between 0 and 1")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0.0 < value <= 3600.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 3600 seconds")
    return value


def jobs(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes between 1 and 64")
    return int(text)


def u32(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not 0 <= value < 1 << 32:
        raise argparse.ArgumentTypeError(f"{text} is not a 32-bit sequence number (0..4294967295)")
    return value


def output_path(command: str, option: str, text: str, suffixes: tuple[str, ...]) -> Path:
    """An output the command will write, checked before any work starts: a file name (not empty, not a
    folder), with one of ``suffixes``, in a folder that exists."""
    path = Path(text)
    if not text.strip() or text.endswith(("/", os.sep)) or path.name in ("", ".", "..") or path.is_dir():
        raise UsageError(f"tcpsim {command}: {option} {text!r} is not a file name")
    if path.suffix.lower() not in suffixes:
        names = ", ".join(suffixes[:-1]) + (" or " if len(suffixes) > 1 else "") + suffixes[-1]
        raise UsageError(f"tcpsim {command}: {option} {text}: the file must end in {names}")
    if not path.parent.is_dir():
        raise UsageError(f"tcpsim {command}: {option} {text}: there is no folder {path.parent}")
    return path


def folder_path(command: str, option: str, text: str) -> Path:
    """A folder the command writes into (made if missing): not empty, not a file."""
    path = Path(text)
    if not text.strip():
        raise UsageError(f"tcpsim {command}: {option} {text!r} is not a folder name")
    if path.exists() and not path.is_dir():
        raise UsageError(f"tcpsim {command}: {option} {text} is a file, not a folder")
    return path


def nonempty(text: str) -> str:
    """An argument that must say something (a file name, an endpoint's name): "" is a mistake, not a default."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is empty")
    return text


def utf8_file(text: str) -> io.StringIO:
    """A text file read whole as UTF-8 (a quiz's answers): one line if it cannot be read or decoded."""
    try:
        return io.StringIO(Path(nonempty(text)).read_bytes().decode("utf-8"))
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read {text}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise argparse.ArgumentTypeError(f"{text} is not UTF-8 text (byte {exc.start})") from None


def add_run_options(parser: argparse.ArgumentParser, default_scenario: str | None = None) -> None:
    """The options every command that runs a scenario accepts."""
    help_text = "a built-in scenario name (see 'tcpsim list') or a scenario .toml file"
    if default_scenario is None:
        parser.add_argument("scenario", type=nonempty, help=help_text)
    else:
        parser.add_argument(
            "scenario", type=nonempty, nargs="?", default=default_scenario, help=f"{help_text} ({default_scenario})"
        )
    parser.add_argument("--seed", type=int, help="seed of the random generator (loss, duplication, ISNs)")
    parser.add_argument("--loss", type=probability, help="probability that the network loses a segment, on every path")
    parser.add_argument("--isn-client", type=u32, metavar="N", help="initial sequence number of the endpoint 'client'")
    parser.add_argument("--isn-server", type=u32, metavar="N", help="initial sequence number of the endpoint 'server'")
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


def report_options(parser: argparse.ArgumentParser) -> None:
    """The options of a check's report (tcpsim check, and tcpsim capture, which checks what it captured)."""
    parser.add_argument("--json", action="store_true", help="the check's report as JSON")
    parser.add_argument("--brief", action="store_true", help="one line per packet, without the explanations")


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(module: str, extra: str, command: str) -> None:
    """One clear line (exit status 2) when an optional library is not installed."""
    if not installed(module):
        raise UsageError(f"{command} needs {module}, which is not installed: pip install -e '.[{extra}]'")


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
