"""Reading a packetdrill script: its options, init and cleanup commands, and timed events.

The grammar is packetdrill's own (``syntax.md`` in the packetdrill repository):
``script: opt_options opt_init_command events opt_cleanup_command``.  Every error names its line.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from ..model.errors import TcpsimError
from ..model.segment import FastOpen, Flags, Options
from ..model.seq import SeqNum

MAX_TIME = 86_400.0  # a script's times beyond one day of virtual time are read as a mistake
# The symbols packetdrill's own runner defines for Linux's scripts (-D, gtests/net/packetdrill/run_all.py):
# the cookie Linux gives packetdrill's IPv4 addresses under the key defaults.sh sets
COOKIE_DEFINES = {"TFO_COOKIE": "3021b9d889017eeb"}
MAX_LENGTH = 1 << 20  # the longest packet a line may describe (a TSO super-packet is far shorter)

FLAG_LETTERS = {
    "S": Flags.SYN,
    ".": Flags.ACK,
    "F": Flags.FIN,
    "R": Flags.RST,
    "P": Flags.PSH,
    "U": Flags.URG,
    "E": Flags.ECE,
    "W": Flags.CWR,
}


class ScriptError(TcpsimError):
    """A line of a packetdrill script that the runner cannot read."""


class Failed(Exception):
    """A line of the script did not hold; the message says how (internal)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


class NeedsFeature(Exception):
    """The script needs something the model does not have; ``feature`` names it (internal)."""

    def __init__(self, feature: str, message: str = "") -> None:
        super().__init__(message or f"needs a feature the model does not have: {feature}")
        self.feature = feature


class Feature(enum.StrEnum):
    """Features a script may need that the model (or the runner) does not have, by name."""

    FAST_OPEN = "TCP Fast Open (RFC 7413)"
    MD5 = "TCP MD5 signatures (RFC 2385)"
    ICMP = "ICMP messages to TCP (RFC 1122 4.2.3.9, path MTU discovery)"
    UDP = "UDP and UDP-encapsulated TCP"
    ENCAPSULATION = "tunnels (GRE, MPLS, IP in IP)"
    IP_FIELDS = "IP header fields (TOS, ECN codepoint, TTL)"
    SEND_BUFFER = "a send buffer limit (SO_SNDBUF: write() that blocks or is partial)"
    USER_TIMEOUT = "TCP_USER_TIMEOUT (RFC 5482)"
    CORK = "TCP_CORK / MSG_MORE"
    TIMESTAMPING = "SO_TIMESTAMPING"
    CMSG = "control messages (recvmsg msg_control)"
    EFAULT = "invalid user pointers (EFAULT)"
    LINGER = "SO_LINGER"


class LineKind(enum.StrEnum):
    """What one timed line of a script is."""

    PACKET = "packet"
    SYSCALL = "syscall"
    SHELL = "shell"
    PYTHON = "python"


@dataclass(frozen=True, slots=True)
class Line:
    """One event line of a script."""

    number: int
    kind: str  # a LineKind
    relative: bool
    time: float | None  # None: any time ("*")
    end: float | None  # a range's end ("1.0...6.0"), relative like the start
    text: str


@dataclass(frozen=True, slots=True)
class Script:
    """A parsed script: its options and its event lines."""

    path: str
    options: dict[str, str]
    lines: tuple[Line, ...]
    # The untimed shell commands packetdrill's grammar allows before the first event and after the
    # last (``script: opt_options opt_init_command events opt_cleanup_command``): the environment.
    init: str | None = None
    cleanup: str | None = None
    init_line: int = 0  # where each begins, for an error's line number
    cleanup_line: int = 0
    option_lines: dict[str, int] = field(default_factory=dict)


_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
# A time, or a range of times: ``1.0...6.0``, or ``+.3~+.303`` (the newer spelling of a range)
_TIME = re.compile(rf"^\s*(\*|[+]?\s*{_NUMBER}(?:\s*(?:\.\.\.|~)\s*[+]?{_NUMBER})?)\s+(.*)$")


@dataclass(slots=True)
class _Reader:
    """The parser's state while it goes through the script's lines."""

    defines: frozenset[str]
    options: dict[str, str]
    lines: list[Line]
    keep: list[bool]  # the #if stack
    opened: list[int]  # the line of each #ifdef still open
    in_python: bool = False
    python_start: int = 0
    python: list[str] | None = None
    init: str | None = None
    init_line: int = 0
    cleanup: str | None = None
    cleanup_line: int = 0
    option_lines: dict[str, int] = field(default_factory=dict)
    command: list[str] | None = None
    command_start: int = 0
    call: tuple[int, str, list[str]] | None = None  # a timed line over several: number, time, parts


def parse(text: str, *, path: str = "<script>", defines: frozenset[str] = frozenset()) -> Script:
    """Read a packetdrill script (with ``#ifdef`` resolved against ``defines``)."""
    reader = _Reader(defines, {}, [], [], [])
    for number, raw in enumerate(text.splitlines(), 1):
        _read_line(reader, number, raw)
    if reader.keep:
        raise ScriptError(f"line {reader.opened[-1]}: this #ifdef has no #endif")
    if reader.in_python:
        raise ScriptError(f"line {reader.python_start}: %{{ without }}%")
    if reader.command is not None:
        raise ScriptError(f"line {reader.command_start}: the script ends inside a back-quoted command (no closing `)")
    if reader.call is not None:
        raise ScriptError(f"line {reader.call[0]}: the script ends inside this call's arguments (a bracket left open)")
    return Script(
        path,
        reader.options,
        tuple(reader.lines),
        reader.init,
        reader.cleanup,
        reader.init_line,
        reader.cleanup_line,
        reader.option_lines,
    )


def _directive(reader: _Reader, number: int, stripped: str) -> None:
    directive = stripped.split()
    if directive[0] in ("#ifdef", "#ifndef"):
        if len(directive) < 2:
            raise ScriptError(f"line {number}: {directive[0]} needs a symbol")
        present = directive[1] in reader.defines
        reader.keep.append(present if directive[0] == "#ifdef" else not present)
        reader.opened.append(number)
    elif directive[0] == "#else":
        if not reader.keep:
            raise ScriptError(f"line {number}: #else without #ifdef")
        reader.keep[-1] = not reader.keep[-1]
    elif directive[0] == "#endif":
        if not reader.keep:
            raise ScriptError(f"line {number}: #endif without #ifdef")
        reader.keep.pop()
        reader.opened.pop()


def _read_line(reader: _Reader, number: int, raw: str) -> None:
    stripped = raw.strip()
    if stripped.startswith("#") and not reader.in_python and reader.command is None:
        _directive(reader, number, stripped)
        return
    if not all(reader.keep):
        return
    if reader.in_python and reader.python is not None:
        reader.python.append(raw)
        if "}%" in raw:
            reader.in_python = False
            reader.lines[-1] = replace(reader.lines[-1], text="\n".join(reader.python))
        return
    if reader.command is not None:  # a back-quoted command over several lines: up to its closing quote
        reader.command.append(raw.strip())
        if "`" not in raw:
            return
        raw, reader.command = " ".join(reader.command), None
        number = reader.command_start
    line = _strip_comment(raw).strip()
    if not line:
        return
    if line.startswith("`") and line.count("`") % 2:
        reader.command, reader.command_start = [line], number
        return
    if line.startswith("--") and not reader.lines:
        name, _, value = line[2:].partition("=")
        reader.options[name.strip()] = value.strip()
        reader.option_lines[name.strip()] = number
        return
    if reader.call is not None:  # a system call whose arguments run over several lines
        reader.call[2].append(line)
        if _unfinished(" ".join(reader.call[2])):
            return
        number, when, parts = reader.call
        reader.call = None
        line = when + " " + " ".join(parts)
    match = _TIME.match(line)
    if match is not None and not match.group(2).startswith("%{") and _unfinished(match.group(2)):
        reader.call = (number, match.group(1), [match.group(2)])
        return
    if match is None and line.startswith("`") and line.endswith("`"):
        _untimed_command(reader, number, line)
        return
    if reader.cleanup is not None:
        raise ScriptError(f"line {reader.cleanup_line}: an untimed command must start or end the script")
    if match is None:
        raise ScriptError(f"line {number}: cannot read the time at the start of {line[:60]!r}")
    stamp, body = match.groups()
    relative, start, end = _time(stamp, number)
    kind = _kind(body)
    if kind is LineKind.PYTHON and "}%" not in body:
        reader.in_python, reader.python_start, reader.python = True, number, [body]
    reader.lines.append(Line(number, kind, relative, start, end, body))


def _untimed_command(reader: _Reader, number: int, line: str) -> None:
    if not reader.lines and reader.init is None:
        reader.init, reader.init_line = line, number
    elif reader.cleanup is None:
        reader.cleanup, reader.cleanup_line = line, number
    else:
        raise ScriptError(f"line {number}: only one untimed command may end a script")


def _unfinished(text: str) -> bool:
    """A line that goes on below: a bracket still open (outside quoted strings), or a back-quote."""
    if text.count("(") == text.count(")") and "[" not in text and "{" not in text and "`" not in text:
        return False
    depths = [depth for _, depth, _ in _scanned(text)]
    return (bool(depths) and depths[-1] > 0) or text.count("`") % 2 == 1


def _scanned(text: str) -> Iterator[tuple[str, int, bool]]:
    """Each character with the bracket depth after it and whether it is inside a quoted string."""
    depth, quoted = 0, False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "([{":
            depth += 1
        elif not quoted and ch in ")]}":
            depth -= 1
        yield ch, depth, quoted


def _strip_comment(line: str) -> str:
    if "//" not in line:
        return line
    in_backquote = False
    for i, ch in enumerate(line):
        if ch == "`":
            in_backquote = not in_backquote
        elif ch == "/" and line[i : i + 2] == "//" and not in_backquote:
            return line[:i]
    return line


def _seconds(text: str, number: int) -> float:
    value = float(text.strip().lstrip("+").strip())
    if not math.isfinite(value) or value > MAX_TIME:
        raise ScriptError(f"line {number}: the time {text.strip()} is beyond the runner's budget ({MAX_TIME:g} s)")
    return value


def _time(stamp: str, number: int) -> tuple[bool, float | None, float | None]:
    if stamp == "*":
        return False, None, None
    start, _, end = stamp.replace("~", "...").partition("...")
    relative = start.strip().startswith("+")
    return relative, _seconds(start, number), _seconds(end, number) if end else None


def _kind(body: str) -> LineKind:
    if body.startswith(("<", ">")):
        return LineKind.PACKET
    if body.startswith("`"):
        return LineKind.SHELL
    if body.startswith("%{"):
        return LineKind.PYTHON
    return LineKind.SYSCALL


# ------------------------------------------------------------------ packets
_IP_INFO = r"(?:[\[(](?P<ip>[^\])]*)[\])]\s*)?"
_PACKET = re.compile(
    rf"^(?P<dir>[<>])\s*{_IP_INFO}(?P<flags>[SFRPUEW.]+|-)\s+(?:(?P<start>\d+):(?P<end>\d+)|(?P<any>\.\.\.))"
    r"\((?P<len>\d+)\)(?:\s+ack\s+(?P<ack>\d+))?(?:\s+win\s+(?P<win>\d+))?(?:\s+urg\s+(?P<urg>\d+))?"
    r"\s*(?:<(?P<opts>[^>]*)>)?\s*$"
)
_OTHER_PACKET = re.compile(rf"^(?P<dir>[<>])\s*{_IP_INFO}(?P<proto>icmp|udp|gre|mpls|ipv4|ipv6)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PacketSpec:
    """A ``<`` or ``>`` line: what to inject, or what the model must send."""

    inbound: bool
    flags: Flags
    start: int | None  # relative sequence number (None: "...", any)
    length: int
    ack: int | None
    window: int | None
    options: str | None  # None: not given; "..." any
    ip: str | None = None  # the IP-level fields written in brackets: "ect0", "tos 0x4", "ttl 4"


def parse_packet(body: str, number: int) -> PacketSpec:
    """A TCP packet line; ICMP, UDP and other encapsulations need a feature the model lacks."""
    match = _PACKET.match(body)
    if match is None:
        other = _OTHER_PACKET.match(body)
        if other is not None:
            proto = other["proto"].lower()
            feature = {"icmp": Feature.ICMP, "udp": Feature.UDP}.get(proto, Feature.ENCAPSULATION)
            raise NeedsFeature(feature, f"line {number}: a {proto} packet: needs {feature}")
        raise ScriptError(f"line {number}: cannot read the packet {body[:80]!r}")
    flags = Flags(0)
    for letter in match["flags"].strip("-"):  # "-": no flags at all
        flags |= FLAG_LETTERS[letter]
    start = _bounded(match["start"], 1 << 32, "sequence number", number) if match["start"] is not None else None
    length = _bounded(match["len"], MAX_LENGTH, "length", number)
    if start is not None and _bounded(match["end"], 1 << 33, "sequence number", number) - start != length:
        raise ScriptError(f"line {number}: {match['start']}:{match['end']} does not span {length} bytes")
    return PacketSpec(
        inbound=match["dir"] == "<",
        flags=flags,
        start=start,
        length=length,
        ack=_bounded(match["ack"], 1 << 32, "ack", number) if match["ack"] is not None else None,
        window=_bounded(match["win"], 1 << 16, "window", number) if match["win"] is not None else None,
        options=match["opts"].strip() if match["opts"] is not None else None,
        ip=match["ip"].strip() if match["ip"] is not None else None,
    )


def _bounded(text: str, limit: int, what: str, number: int) -> int:
    if len(text) > 12 or int(text) >= limit:
        raise ScriptError(f"line {number}: the {what} {text[:20]} does not fit its field (< {limit})")
    return int(text)


def parse_options(text: str, number: int = 0) -> Options:
    """``mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0`` as Options (nop/eol ignored)."""
    mss = wscale = None
    sack = False
    fastopen = None
    timestamps = None
    blocks: list[tuple[SeqNum, SeqNum]] = []
    where = f"line {number}: " if number else ""
    for part in (p.strip() for p in text.split(",")):
        words = part.split()
        if not words or words[0] in ("nop", "eol"):
            continue
        try:
            if words[0] == "mss":
                mss = _bounded(words[1], 1 << 16, "MSS", number)
            elif words[0] == "wscale":
                wscale = _bounded(words[1], 256, "window scale", number)
            elif words[0] == "sackOK":
                sack = True
            elif words[0] == "TS" and words[1] == "val" and words[3] == "ecr":
                timestamps = (_bounded(words[2], 1 << 32, "TS val", number), _bounded(words[4], 1 << 32, "ecr", number))
            elif words[0] == "sack":  # SACK blocks, left:right each (RFC 2018)
                pairs = [w.partition(":") for w in words[1:]]
                blocks += [
                    (SeqNum(_bounded(a, 1 << 32, "SACK", number)), SeqNum(_bounded(b, 1 << 32, "SACK", number)))
                    for a, _, b in pairs
                ]
            elif words[0] in ("FO", "FOEXP"):  # TCP Fast Open (RFC 7413 4.1.1), as kind 34 or experimental
                experimental = words[0] == "FOEXP"
                fastopen = FastOpen(_cookie(words[1:], where, experimental), experimental)
            elif words[0] == "md5":
                raise NeedsFeature(Feature.MD5, f"{where}the md5 option: needs {Feature.MD5}")
            else:
                raise ScriptError(f"{where}unknown TCP option {part!r}")
        except (IndexError, ValueError):
            raise ScriptError(f"{where}cannot read the TCP option {part!r}") from None
    return Options(
        mss=mss,
        wscale=wscale,
        sack_permitted=sack,
        sack_blocks=tuple(blocks),
        timestamps=timestamps,
        fastopen=fastopen,
    )


def _cookie(words: list[str], where: str, experimental: bool) -> bytes:
    """A Fast Open cookie written in hex (or as a symbol packetdrill's runner defines); none: a request.
    It may be as long as the option space holds (packetdrill's MAX_TCP_FAST_OPEN_COOKIE_BYTES: 40 less the
    option's kind and length, and the experimental form's magic): a script may send one longer than RFC
    7413's 16 bytes, which the model then ignores as Linux does."""
    if not words:
        return b""
    text = COOKIE_DEFINES.get(words[0], words[0])
    room = 40 - (4 if experimental else 2)
    if len(words) > 1 or len(text) % 2 or len(text) > 2 * room:
        raise ScriptError(f"{where}cannot read the Fast Open cookie {' '.join(words)[:40]!r}")
    return bytes.fromhex(text)  # (a ValueError is the caller's "cannot read the TCP option")


def split_args(text: str) -> list[str]:
    """A call's arguments, split at the commas outside brackets and quotes."""
    args: list[str] = []
    current = ""
    for ch, depth, quoted in _scanned(text):
        if ch == "," and depth == 0 and not quoted:
            args.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        args.append(current.strip())
    return args
