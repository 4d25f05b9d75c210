"""Every command, driven with broken input: one line and exit status 2, never a traceback, a hang or a lost file.

Each case is made from a seed (so a failure names the seed that reproduces it): a built-in scenario
file with values broken (NaN, infinities, wrong types, huge counts, deep nesting, a cut), a capture
with bytes flipped or cut, a packetdrill script with lines broken, or options that make no sense.
The command runs in this process through ``simulator.cli.main`` (fast), with a time bound.  What must
hold for every case:

- the command returns (no exception escapes ``main``), within ``BOUND`` seconds;
- exit status 0, 1 (a check or comparison that departs) or 2; with 2, one line on standard error;
- an output file the command was to replace is left exactly as it was when the command fails,
  and no temporary file is left beside it.

The quick loop runs ``QUICK`` cases; the slow test runs ``TCPSIM_FUZZ_CASES`` (3000 by default; set it
higher for a longer hunt: ``TCPSIM_FUZZ_CASES=50000 pytest -m slow tests/test_command_fuzz.py``).
"""

from __future__ import annotations

import io
import os
import random
import re
import signal
import struct
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.sim.scenario import builtin_names

from .packets import pcap as raw_ip_pcap

BOUND = 30  # seconds one command may take on a loaded machine before it counts as a hang
QUICK = 150
SLOW = int(os.environ.get("TCPSIM_FUZZ_CASES", "3000"))
DATA = Path(__file__).parent / "data"
PACKETDRILL = Path("/work/shared/packetdrill-linux")
SENTINEL = b"the student's own file, which a failed command must leave as it was"

BAD_VALUES = [
    "nan", "inf", "-inf", "+nan", "-1", "0", "-0.0", "1e308", "1e-300", "18446744073709551616", "4294967296",
    "100000000", "true", "false", '"true"', '""', '"x"', "[]", "{}", "[1, 2]", "{ a = 1 }", "0.5", "-7.5",
    "1979-05-27T07:32:00Z", "07:32:00", '"' + "x" * 5000 + '"', "[[[[[[[[[[1]]]]]]]]]]", '"10.0.0.1"',
    '"::1"', '"localhost"', '"server.example"', "65535", "65536", "1073741824", '"S"', '"SA"', '"nonsense"',
]  # fmt: skip
BAD_STEPS = [
    "send 100000000", "send 0", "send -5", "send 1e9", "wait nan", "wait inf", "wait -1", "wait 1e300",
    "read -1", "read 0", "read 99999999999999999999", "connect", "connect nobody", "connect server isn=-1",
    "connect server isn=4294967296", "connect server isn=nan", "listen now", "close 5", "wait_for_bytes x",
    "send", "frobnicate", "'unclosed", "send ²", "wait ²",
]  # fmt: skip
EXTRA_TABLES = [
    '[[fault]]\naction = "drop"\nfrom = "client"\nflags = "S"\ndata = "true"\n',
    '[[fault]]\naction = "delay"\ndelay = nan\n',
    '[[fault]]\naction = "drop"\nnth = 1.5\ncount = true\n',
    '[[fault]]\naction = ["drop"]\n',
    '[[fault]]\naction = "duplicate"\ncount = 1000000000\n',
    '[[inject]]\nat = "soon"\nfrom = "client"\nto = "server"\nflags = "S"\nseq = 1\n',
    '[[inject]]\nat = 2\nfrom = "client"\nto = "server"\nflags = "S"\nseq = "x"\n',
    '[[inject]]\nat = 2\nfrom = "client"\nto = "server"\nflags = "S"\nseq = 1\nlen = 1000000000\n',
    '[[inject]]\nat = inf\nfrom = "client"\nto = "server"\nflags = 5\nseq = 1\nwindow = 70000\n',
    '[[inject]]\nat = 2\nfrom = ["client"]\nto = "server"\nflags = "S"\nseq = 1\n',
    '[[inject]]\nat = 2\nfrom = "client"\nto = "server"\nflags = "S"\nseq = 1\nack = -1\n',
    "until = 1e300\n",
    "seed = true\n",
    "[network]\nlatency = nan\n",
    "[network]\nbandwidth = 1e-300\n",
    '[network."client->server"]\nloss = 2\n',
    "x = " + "[" * 2000 + "]" * 2000 + "\n",
    ".".join(["a"] * 30_000) + " = 1\n",
]


@dataclass(frozen=True, slots=True)
class Case:
    seed: int
    argv: list[str]
    allowed: frozenset[int]
    output: Path | None = None  # a file the command was to write (holding SENTINEL beforehand)


class Hang(Exception):
    pass


@contextmanager
def bounded(seconds: int) -> Iterator[None]:
    def ring(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# ------------------------------------------------------------------ the broken inputs
def _builtin_texts() -> list[str]:
    folder = resources.files("simulator.sim.scenarios")
    return [(folder / f"{name}.toml").read_text("utf-8") for name in builtin_names()]


TEXTS = _builtin_texts()
ASSIGNMENT = re.compile(r"^(\s*[A-Za-z_\"][\w.\"\- >]*=\s*)(.+)$", re.MULTILINE)
STEP = re.compile(r'"((?:listen|connect|send|wait|read|close|shutdown|abort|wait_for_eof|wait_for_bytes)[^"]*)"')


def broken_scenario(rng: random.Random) -> str:
    text = rng.choice(TEXTS)
    for _ in range(rng.randint(1, 3)):
        text = rng.choice((_bad_value, _bad_step, _extra_table, _byte_damage))(rng, text)
    return text


def _bad_value(rng: random.Random, text: str) -> str:
    lines = list(ASSIGNMENT.finditer(text))
    if not lines:
        return text
    line = rng.choice(lines)
    return text[: line.start(2)] + rng.choice(BAD_VALUES) + text[line.end(2) :]


def _bad_step(rng: random.Random, text: str) -> str:
    steps = list(STEP.finditer(text))
    if not steps:
        return text
    step = rng.choice(steps)
    return text[: step.start(1)] + rng.choice(BAD_STEPS).replace('"', "'") + text[step.end(1) :]


def _extra_table(rng: random.Random, text: str) -> str:
    extra = rng.choice(EXTRA_TABLES)
    return extra + text if not extra.startswith("[") else text + "\n" + extra


def _byte_damage(rng: random.Random, text: str) -> str:
    cut = rng.randrange(len(text) + 1)
    if rng.random() < 0.5:
        return text[:cut]
    junk = "".join(rng.choice("[]{}=\"'.#\n\\ \t0x,\u00e9\u0000") for _ in range(rng.randint(1, 8)))
    return text[:cut] + junk + text[cut + rng.randint(0, 5) :]


def _captures() -> list[bytes]:
    from simulator import Flags, Segment, SeqNum

    a, b = "10.0.0.1", "10.0.0.2"
    handshake = [
        Segment(40000, 80, SeqNum(100), flags=Flags.SYN, src_addr=a, dst_addr=b),
        Segment(80, 40000, SeqNum(500), SeqNum(101), Flags.SYN | Flags.ACK, src_addr=b, dst_addr=a),
        Segment(40000, 80, SeqNum(101), SeqNum(501), Flags.ACK, src_addr=a, dst_addr=b),
        Segment(40000, 80, SeqNum(101), SeqNum(501), Flags.ACK | Flags.PSH, payload=b"hello", src_addr=a, dst_addr=b),
        Segment(80, 40000, SeqNum(501), SeqNum(106), Flags.ACK | Flags.FIN, src_addr=b, dst_addr=a),
    ]
    return [*(p.read_bytes() for p in sorted(DATA.glob("*.pcap*"))), raw_ip_pcap(handshake)]


CAPTURES = _captures()


def broken_capture(rng: random.Random) -> bytes:
    data = bytearray(rng.choice(CAPTURES))
    for _ in range(rng.randint(1, 6)):
        kind = rng.random()
        pos = rng.randrange(len(data))
        if kind < 0.5:
            data[pos] ^= rng.randrange(1, 256)
        elif kind < 0.7:
            del data[pos:]
            if not data:
                break
        elif kind < 0.85:  # a record or block length, made large
            data[pos : pos + 4] = struct.pack("<I", rng.choice([0, 3, 0xFFFFFFFF, 1 << 18, 1 << 31]))
        else:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
    return bytes(data)


def _packetdrill_texts() -> list[str]:
    scripts = sorted(PACKETDRILL.rglob("*.pkt"))[:40] if PACKETDRILL.is_dir() else []
    return [p.read_text("utf-8", "replace") for p in scripts] or ["0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"]


PACKETDRILL_TEXTS = _packetdrill_texts()


def broken_packetdrill(rng: random.Random) -> str:
    lines = rng.choice(PACKETDRILL_TEXTS).splitlines(keepends=True)
    for _ in range(rng.randint(1, 3)):
        if not lines:
            break
        i = rng.randrange(len(lines))
        choice = rng.random()
        if choice < 0.4:
            lines[i] = _byte_damage(rng, lines[i])
        elif choice < 0.7:
            lines[i] = re.sub(r"\d+", lambda m: rng.choice(["nan", "-1", "99999999999999999999", "0", "1e9"]), lines[i])
        else:
            del lines[i:]
    return "".join(lines)


BAD_OPTIONS = [
    ["--seed", "x"], ["--seed", ""], ["--loss", "nan"], ["--loss", "2"], ["--loss", ""], ["--isn-client", "-1"],
    ["--isn-server", "4294967296"], ["--isn-client", "²"], ["--profile", "bogus"], ["--profile", ""],
]  # fmt: skip


def make_case(seed: int, folder: Path) -> Case:
    """The seed-th case: a command, its broken input, and what it may answer."""
    rng = random.Random(seed)
    kind = rng.choice(["scenario"] * 6 + ["capture"] * 3 + ["packetdrill", "options"])
    folder.mkdir(parents=True, exist_ok=True)
    if kind in ("scenario", "options"):
        path = folder / f"case{seed}.toml"
        path.write_text(broken_scenario(rng) if kind == "scenario" else rng.choice(TEXTS), "utf-8")
        extra = rng.choice(BAD_OPTIONS) if kind == "options" else []
        command = rng.choice(["run", "run", "export", "export", "demo", "diagram"] if kind == "scenario" else ["run"])
        if command == "diagram" and rng.random() < 0.8:  # matplotlib is slow: fewer diagrams
            command = "run"
        if command == "run":
            return Case(
                seed, ["run", str(path), *extra, *rng.choice([[], ["--json"], ["--verbose"]])], frozenset({0, 2})
            )
        if command == "demo":
            return Case(seed, ["demo", str(path), "--no-pause"], frozenset({0, 2}))
        output = folder / ("out.pcap" if command == "export" else "out.svg")
        output.write_bytes(SENTINEL)
        at = rng.choice([[], [], ["--at", ""], ["--at", "nobody"], ["--at", "server"]]) if command == "export" else []
        return Case(seed, [command, str(path), "-o", str(output), *at], frozenset({0, 2}), output)
    if kind == "capture":
        path = folder / f"case{seed}.pcap"
        path.write_bytes(broken_capture(rng))
        command = rng.choice(["read", "check", "check", "compare", "scenario-from"])
        if command == "scenario-from":
            output = folder / "out.toml"
            output.write_bytes(SENTINEL)
            return Case(seed, [command, str(path), "-o", str(output)], frozenset({0, 2}), output)
        if command == "compare":
            return Case(seed, [command, str(path), "three_way_handshake"], frozenset({0, 1, 2}))
        flags = rng.choice([[], ["--json"], ["--brief"], ["--absolute"]])
        return Case(seed, [command, str(path), *flags], frozenset({0, 1, 2} if command == "check" else {0, 2}))
    path = folder / f"case{seed}.pkt"
    path.write_text(broken_packetdrill(rng), "utf-8")
    return Case(seed, ["packetdrill", str(path)], frozenset({0, 1, 2}))


def run_case(case: Case) -> str:
    """Run one case; returns what went wrong ("" if nothing did)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with bounded(BOUND), redirect_stdout(out), redirect_stderr(err):
            status = main(case.argv)
    except Hang as exc:
        return f"a hang: {exc}"
    except BaseException as exc:
        return f"an exception out of main: {type(exc).__name__}: {str(exc)[:300]}"
    message = err.getvalue()
    if status not in case.allowed:
        return f"exit status {status}: {message[:300]}"
    if "Traceback" in message:
        return f"a traceback: {message[:500]}"
    if status == 2 and message.strip().count("\n") != 0:
        return f"more than one line on standard error: {message[:500]}"
    if case.output is not None and status != 0:
        if case.output.read_bytes() != SENTINEL:
            return f"the output file was changed though the command failed ({status})"
        leftovers = [p.name for p in case.output.parent.glob(f".{case.output.name}.*")]
        if leftovers:
            return f"temporary files left: {leftovers}"
    return ""


def _fuzz(cases: range, tmp_path: Path) -> None:
    failures = []
    for seed in cases:
        case = make_case(seed, tmp_path / str(seed % 50))
        problem = run_case(case)
        if problem:
            failures.append(f"seed {seed}: tcpsim {' '.join(case.argv)}\n  {problem}")
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures[:20])


@pytest.fixture(autouse=True)
def _plot_backend() -> None:
    pytest.importorskip("scapy")


def test_a_few_broken_inputs_to_every_command_give_one_line_and_exit_2(tmp_path):
    _fuzz(range(QUICK), tmp_path)


@pytest.mark.slow
def test_thousands_of_broken_inputs_to_every_command_give_one_line_and_exit_2(tmp_path):
    _fuzz(range(QUICK, QUICK + SLOW), tmp_path)


def test_the_case_maker_makes_every_kind_of_case(tmp_path):
    """The fuzz test is only as good as its cases: each command and each kind of damage is made."""
    commands = {make_case(seed, tmp_path).argv[0] for seed in range(300)}
    assert commands >= {"run", "export", "demo", "diagram", "read", "check", "compare", "scenario-from", "packetdrill"}
    assert len(PACKETDRILL_TEXTS) > 1 or not PACKETDRILL.is_dir()
