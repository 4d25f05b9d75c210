"""Run packetdrill scripts against the model: the model endpoint is the system under test.

Supported: the script options ``--ip_version``, ``--tolerance_usecs`` and
``--mtu``; ``#ifdef``/``#ifndef``/``#else``/``#endif`` (symbols from the
profile); absolute, relative (``+0.1``), wildcard (``*``) and range
(``1.0...6.0``) times; ``<`` and ``>`` packets; the socket calls socket,
bind, listen, accept, connect, read/recv, write/send, shutdown, close,
fcntl, getsockopt and setsockopt (common options); ``%{ assert tcpi_state ==
TCPI_... }%``; and the FreeBSD shell commands ``sysctl -w`` (the variables the
model has a setting for), ``sockstat ... | grep -c STATE | grep N`` and
``tcpdrop -s TIME_WAIT``.  Every other shell command, Python block or option
is skipped and counted.  Time is virtual.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..model.endpoint import Endpoint
from ..model.errors import ScenarioError, TcpsimError, UserCallError
from ..model.keys import ErrorKey
from ..model.notes import NoteKind
from ..model.profiles import DEFAULT_PROFILE, Profile, profile
from ..model.segment import Flags, Options, Segment
from ..model.seq import SeqNum
from ..model.states import State

LOCAL_PORT = 8080  # the port of the system under test, bound or connecting (and its address below)
REMOTE_PORT = 55555  # the script's side of the connection
ADDRESSES = {"ipv4": ("192.0.2.1", "192.0.2.2"), "ipv6": ("2001:db8::1", "2001:db8::2")}
REMOTE_ISN = 1_000_000  # where the script's relative sequence numbers start
LOCAL_ISN = 2_000_000  # the ISS of every endpoint the runner creates
# The errno of a failed connection: as SO_ERROR reports it, and as a pending connect() returns it.
_SO_ERROR = {ErrorKey.RESET: "ECONNRESET", ErrorKey.REFUSED: "ECONNREFUSED", ErrorKey.TIMEOUT: "ETIMEDOUT"}
_CONNECT_ERROR = {ErrorKey.RESET: "ECONNREFUSED", ErrorKey.REFUSED: "ECONNREFUSED", ErrorKey.TIMEOUT: "ETIMEDOUT"}

_FLAG_LETTERS = {
    "S": Flags.SYN,
    ".": Flags.ACK,
    "F": Flags.FIN,
    "R": Flags.RST,
    "P": Flags.PSH,
    "U": Flags.URG,
    "E": Flags.ECE,
    "W": Flags.CWR,
}
_TCPI = {
    "TCPI_CLOSED": State.CLOSED,
    "TCPI_LISTEN": State.LISTEN,
    "TCPI_SYN_SENT": State.SYN_SENT,
    "TCPI_SYN_RECEIVED": State.SYN_RECEIVED,
    "TCPI_ESTABLISHED": State.ESTABLISHED,
    "TCPI_FIN_WAIT1": State.FIN_WAIT_1,
    "TCPI_FIN_WAIT2": State.FIN_WAIT_2,
    "TCPI_CLOSE_WAIT": State.CLOSE_WAIT,
    "TCPI_CLOSING": State.CLOSING,
    "TCPI_LAST_ACK": State.LAST_ACK,
    "TCPI_TIME_WAIT": State.TIME_WAIT,
}
_SOCKSTAT = {
    "TIME_WAIT": State.TIME_WAIT,
    "SYN_RCVD": State.SYN_RECEIVED,
    "CLOSED": State.CLOSED,
    "ESTABLISHED": State.ESTABLISHED,
    "LISTEN": State.LISTEN,
    "SYN_SENT": State.SYN_SENT,
    "FIN_WAIT_1": State.FIN_WAIT_1,
    "FIN_WAIT_2": State.FIN_WAIT_2,
    "CLOSE_WAIT": State.CLOSE_WAIT,
    "CLOSING": State.CLOSING,
    "LAST_ACK": State.LAST_ACK,
}


class ScriptError(TcpsimError):
    """A line of a packetdrill script that the runner cannot read."""


class _Failed(Exception):
    """A line did not hold (internal)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


class _NotApplicable(Exception):
    """The script needs something the model cannot mean anything for (internal)."""


# ------------------------------------------------------------------ parsing
@dataclass(frozen=True, slots=True)
class Line:
    """One event line of a script."""

    number: int
    kind: str  # "packet", "syscall", "shell", "python"
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


_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
# A time, or a range of times: ``1.0...6.0``, or ``+.3~+.303`` (the newer spelling of a range)
_TIME = re.compile(rf"^\s*(\*|[+]?\s*{_NUMBER}(?:\s*(?:\.\.\.|~)\s*[+]?{_NUMBER})?)\s+(.*)$")


def parse(text: str, *, path: str = "<script>", defines: frozenset[str] = frozenset()) -> Script:
    """Read a packetdrill script (with ``#ifdef`` resolved against ``defines``)."""
    options: dict[str, str] = {}
    lines: list[Line] = []
    keep: list[bool] = []  # the #if stack
    in_python = False
    python_start = 0
    python: list[str] = []
    init: str | None = None
    cleanup: str | None = None
    cleanup_line = 0
    command: list[str] | None = None
    call: tuple[tuple[int, str], list[str]] | None = None  # a timed line over several: (number, time), lines
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("#"):
            directive = stripped.split()
            if directive[0] in ("#ifdef", "#ifndef"):
                if len(directive) < 2:
                    raise ScriptError(f"line {number}: {directive[0]} needs a symbol")
                present = directive[1] in defines
                keep.append(present if directive[0] == "#ifdef" else not present)
            elif directive[0] == "#else":
                if not keep:
                    raise ScriptError(f"line {number}: #else without #ifdef")
                keep[-1] = not keep[-1]
            elif directive[0] == "#endif":
                if not keep:
                    raise ScriptError(f"line {number}: #endif without #ifdef")
                keep.pop()
            continue
        if not all(keep):
            continue
        if in_python:
            python.append(raw)
            if "}%" in raw:
                in_python = False
                lines[-1] = replace(lines[-1], text="\n".join(python))
            continue
        if command is not None:  # a back-quoted command over several lines: up to its closing quote
            command.append(raw.strip())
            if "`" not in raw:
                continue
            raw, command = " ".join(command), None
        line = _strip_comment(raw).strip()
        if not line:
            continue
        if line.startswith("`") and line.count("`") % 2:
            command = [line]
            continue
        if line.startswith("--"):
            name, _, value = line[2:].partition("=")
            options[name.strip()] = value.strip()
            continue
        if call is not None:  # a system call whose arguments run over several lines
            call[1].append(line)
            if _unfinished(" ".join(call[1])):
                continue
            (number, when), parts, call = call[0], call[1], None
            line = when + " " + " ".join(parts)
        match = _TIME.match(line)
        if match is not None and not match.group(2).startswith("%{") and _unfinished(match.group(2)):
            call = ((number, match.group(1)), [match.group(2)])
            continue
        if match is None and line.startswith("`") and line.endswith("`"):
            if not lines and init is None:
                init = line
            elif cleanup is None:
                cleanup, cleanup_line = line, number
            else:
                raise ScriptError(f"line {number}: only one untimed command may end a script")
            continue
        if cleanup is not None:
            raise ScriptError(f"line {cleanup_line}: an untimed command must start or end the script")
        if match is None:
            raise ScriptError(f"line {number}: cannot read the time at the start of {line!r}")
        stamp, body = match.groups()
        relative, start, end = _time(stamp)
        kind = _kind(body)
        if kind == "python" and "}%" not in body:
            in_python, python_start, python = True, number, [body]
        lines.append(Line(number, kind, relative, start, end, body))
    if keep:
        raise ScriptError("the script ends inside an #ifdef (no #endif)")
    if in_python:
        raise ScriptError(f"line {python_start}: %{{ without }}%")
    if command is not None:
        raise ScriptError("the script ends inside a back-quoted command (no closing `)")
    if call is not None:
        raise ScriptError(f"line {call[0][0]}: the script ends inside this call's arguments (a bracket left open)")
    return Script(path, options, tuple(lines), init, cleanup)


def _unfinished(text: str) -> bool:
    """A line that goes on below: a bracket still open (outside quoted strings), or a back-quote."""
    depth, quoted = 0, False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "([{":
            depth += 1
        elif not quoted and ch in ")]}":
            depth -= 1
    return depth > 0 or text.count("`") % 2 == 1


def _strip_comment(line: str) -> str:
    in_backquote = False
    for i, ch in enumerate(line):
        if ch == "`":
            in_backquote = not in_backquote
        elif ch == "/" and line[i : i + 2] == "//" and not in_backquote:
            return line[:i]
    return line


def _time(stamp: str) -> tuple[bool, float | None, float | None]:
    if stamp == "*":
        return False, None, None
    start, _, end = stamp.replace("~", "...").partition("...")
    relative = start.strip().startswith("+")
    value = float(start.strip().lstrip("+").strip())
    return relative, value, float(end.strip().lstrip("+")) if end else None


def _kind(body: str) -> str:
    if body.startswith(("<", ">")):
        return "packet"
    if body.startswith("`"):
        return "shell"
    if body.startswith("%{"):
        return "python"
    return "syscall"


_PACKET = re.compile(
    r"^(?P<dir>[<>])\s*(?P<flags>[SFRPUEW.]+|-)\s+(?:(?P<start>\d+):(?P<end>\d+)|(?P<any>\.\.\.))\((?P<len>\d+)\)"
    r"(?:\s+ack\s+(?P<ack>\d+))?(?:\s+win\s+(?P<win>\d+))?\s*(?:<(?P<opts>[^>]*)>)?\s*$"
)


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


def parse_packet(body: str, number: int) -> PacketSpec:
    match = _PACKET.match(body)
    if match is None:
        raise ScriptError(f"line {number}: cannot read the packet {body!r}")
    flags = Flags(0)
    for letter in match["flags"].strip("-"):  # "-": no flags at all
        flags |= _FLAG_LETTERS[letter]
    start = int(match["start"]) if match["start"] is not None else None
    length = int(match["len"])
    if start is not None and int(match["end"]) - start != length:
        raise ScriptError(f"line {number}: {match['start']}:{match['end']} does not span {length} bytes")
    return PacketSpec(
        inbound=match["dir"] == "<",
        flags=flags,
        start=start,
        length=length,
        ack=int(match["ack"]) if match["ack"] is not None else None,
        window=int(match["win"]) if match["win"] is not None else None,
        options=match["opts"].strip() if match["opts"] is not None else None,
    )


def parse_options(text: str) -> Options:
    """``mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0`` as Options (nop/eol ignored)."""
    mss = wscale = None
    sack = False
    timestamps = None
    blocks: list[tuple[SeqNum, SeqNum]] = []
    for part in (p.strip() for p in text.split(",")):
        words = part.split()
        if not words or words[0] in ("nop", "eol"):
            continue
        if words[0] == "mss":
            mss = int(words[1])
        elif words[0] == "wscale":
            wscale = int(words[1])
        elif words[0] == "sackOK":
            sack = True
        elif words[0] == "TS":
            timestamps = (int(words[2]), int(words[4]))
        elif words[0] == "sack":  # SACK blocks, left:right each (RFC 2018)
            blocks += [(SeqNum(int(a)), SeqNum(int(b))) for a, _, b in (w.partition(":") for w in words[1:])]
        elif words[0] in ("FO", "FOEXP"):
            raise _NotApplicable("needs TCP Fast Open (the FO option, RFC 7413), which the model does not have")
        elif words[0] == "md5":
            raise _NotApplicable("needs TCP MD5 signatures (RFC 2385), which the model does not have")
        else:
            raise ScriptError(f"unknown TCP option {part!r}")
    return Options(mss=mss, wscale=wscale, sack_permitted=sack, sack_blocks=tuple(blocks), timestamps=timestamps)


# ------------------------------------------------------------------ results
@dataclass(slots=True)
class Result:
    """The outcome of one script."""

    path: str
    status: str  # "pass", "fail", "n/a", "error"
    message: str = ""
    line: int | None = None
    skipped: int = 0  # lines the model cannot mean anything for
    skipped_kinds: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "line": self.line,
            "message": self.message,
            "skipped": self.skipped,
            "skipped_kinds": dict(sorted(self.skipped_kinds.items())),
        }


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How strictly outbound packets are compared."""

    profile: str = DEFAULT_PROFILE
    compare_window: bool = False
    compare_options: bool = False
    tolerance_usecs: int | None = None  # overrides the scripts' own --tolerance_usecs


# ------------------------------------------------------------------ running
@dataclass(slots=True)
class _Socket:
    fd: int
    endpoint: Endpoint
    nonblocking: bool = False
    listening: bool = False
    bound: bool = False
    backlog: list[Endpoint] = field(default_factory=list)  # accepted-to-be connections
    children: list[Endpoint] = field(default_factory=list)  # embryonic ones too
    closed: bool = False


@dataclass(slots=True)
class _Pending:
    """A blocking call that has not returned yet."""

    line: Line
    fd: int
    call: str
    expected: tuple[int, str | None]
    start: float
    arg: int = 0


def run_script(path: str | Path, options: RunOptions | None = None) -> Result:
    """Run one script file; never raises for a bad script (it becomes a result)."""
    options = options or RunOptions()
    path = str(path)
    try:
        prof = profile(options.profile)
        text = Path(path).read_text(encoding="utf-8")
        script = parse(text, path=path, defines=prof.defines)
        return _Runner(script, prof, options).run()
    except (OSError, UnicodeDecodeError) as exc:
        return Result(path, "error", f"cannot read the script: {exc}")
    except ScriptError as exc:
        return Result(path, "error", str(exc))


class _Runner:
    def __init__(self, script: Script, prof: Profile, options: RunOptions) -> None:
        self.script = script
        self.options = options
        self.defines = prof.defines
        self.freebsd = "FreeBSD" in prof.defines
        self.config = prof.config
        usecs = options.tolerance_usecs
        written = script.options.get("tolerance_usecs", "4000")
        if usecs is None and not written.isdigit():
            raise ScriptError(f"{script.path}: --tolerance_usecs={written} is not a whole number of microseconds")
        self.tolerance = (usecs if usecs is not None else int(written)) / 1e6
        version = script.options.get("ip_version", "ipv4")
        if version not in ADDRESSES:
            raise ScriptError(f"{script.path}: --ip_version={version} is not ipv4 or ipv6")
        self.local_addr, self.remote_addr = ADDRESSES[version]
        if "mtu" in script.options:
            try:
                self.config = replace(self.config, mtu=int(script.options["mtu"]))
            except (ValueError, ScenarioError) as exc:
                raise ScriptError(f"{script.path}: --mtu={script.options['mtu']}: {exc}") from None
        self.now = 0.0
        self.last = 0.0  # time of the previous line, for relative times
        self.sockets: dict[int, _Socket] = {}
        self.endpoints: list[Endpoint] = []
        self.outbound: list[tuple[float, Segment]] = []
        self.pending: list[_Pending] = []
        self.last_fd: int | None = None
        self.local_isn = 0  # learnt from the model's first SYN, as packetdrill does
        self.result = Result(script.path, "pass")
        self.recvspace: int | None = None

    # -------------------------------------------------------------- driver
    def run(self) -> Result:
        try:
            for command in (self.script.init, self.script.cleanup):
                if command is not None:  # the machine's environment, set up and torn down around the test
                    self._skip("init or cleanup command")
            for line in self.script.lines:
                try:
                    self._line(line)
                except (ValueError, IndexError, KeyError, OverflowError) as exc:  # a malformed line
                    raise ScriptError(f"line {line.number}: cannot read {line.text[:60]!r} ({exc})") from None
            self._finish()
        except _Failed as failure:
            self.result.status, self.result.line, self.result.message = "fail", failure.line, str(failure)
        except _NotApplicable as na:
            self.result.status, self.result.message = "n/a", str(na)
        except ScriptError as exc:
            self.result.status, self.result.message = "error", str(exc)
        return self.result

    def _line(self, line: Line) -> None:
        if line.time is None:
            when = None
        else:
            when = self.last + line.time if line.relative else line.time
            self.last = when
        if line.kind == "packet":
            spec = parse_packet(line.text, line.number)
            if spec.inbound:
                self._advance(when if when is not None else self.now, line)
                self._inject(spec, line)
            else:
                self._expect(spec, line, when)
            return
        self._advance(when if when is not None else self.now, line)
        if line.kind == "syscall":
            self._syscall(line, when if when is not None else self.now)
        elif line.kind == "shell":
            self._shell(line)
        else:
            self._python(line)

    def _skip(self, what: str) -> None:
        self.result.skipped += 1
        self.result.skipped_kinds[what] = self.result.skipped_kinds.get(what, 0) + 1

    def _advance(self, to: float, line: Line) -> None:
        """Run the model's timers up to ``to``; anything sent before then was not expected."""
        self._run_timers(to)
        self.now = max(self.now, to)
        for sent_at, seg in self.outbound:
            if sent_at < to - self.tolerance or line.kind != "packet":
                raise _Failed(
                    line.number,
                    f"line {line.number}: before this line the model sent {self._describe(seg)} at "
                    f"t={sent_at:.3f} s, which the script does not expect",
                )
        self._check_pending(line)

    def _run_timers(self, to: float) -> None:
        while True:
            due: list[tuple[float, int]] = []
            for i, ep in enumerate(self.endpoints):
                deadline = ep.next_timer()
                if deadline is not None and deadline <= to:
                    due.append((deadline, i))
            if not due:
                return
            t, i = min(due)
            self.now = max(self.now, t)
            self.endpoints[i].on_timer(t)
            self._collect(t)
            self._check_pending(None)

    def _collect(self, t: float) -> None:
        for ep in list(self.endpoints):
            for note in ep.drain():
                if note.kind is NoteKind.SEND and note.segment is not None:
                    self.outbound.append((t, note.segment))

    def _finish(self) -> None:
        for call in self.pending:
            raise _Failed(call.line.number, f"line {call.line.number}: {call.call}() never returned")

    # ------------------------------------------------------------- packets
    def _inject(self, spec: PacketSpec, line: Line) -> None:
        if spec.start is None:
            raise ScriptError(f"line {line.number}: an injected packet needs its sequence numbers")
        ack = SeqNum(self.local_isn + spec.ack) if spec.ack is not None else SeqNum(0)
        opts = parse_options(spec.options) if spec.options not in (None, "...") else Options()
        seg = Segment(
            REMOTE_PORT,
            LOCAL_PORT,
            SeqNum(REMOTE_ISN + spec.start),
            ack,
            spec.flags,
            spec.window if spec.window is not None else 65535,
            opts,
            b"x" * spec.length,
            self.remote_addr,
            self.local_addr,
        )
        ep = self._demux(seg)
        if ep is None:
            return  # no socket at all: a real host would answer with RST; scripts never test it
        ep.on_segment(seg, self.now)
        self._collect(self.now)
        self._after_segment(ep)

    def _demux(self, seg: Segment) -> Endpoint | None:
        for ep in self.endpoints:
            if ep.remote_port == seg.src_port and ep.port == seg.dst_port and ep.state is not State.CLOSED:
                if not (ep.takes_new_syn(seg) and self._listener() is not None):
                    return ep
                ep.end_time_wait(self.now)  # the SYN reopens the connection (RFC 1122 4.2.2.13)
                ep.drain()
        for sock in self.sockets.values():
            if sock.listening and not sock.closed and sock.endpoint.state is State.LISTEN:
                if not seg.flags & Flags.SYN or seg.flags & (Flags.ACK | Flags.RST):
                    return sock.endpoint  # LISTEN's own rules (RST ignored, ACK reset)
                # each incarnation starts above the last one's sequence numbers (RFC 1122 4.2.2.13)
                isn = LOCAL_ISN + 1_000_000 * len(self.endpoints)
                child = Endpoint(f"fd{sock.fd}-child", self.local_addr, LOCAL_PORT, isn, sock.endpoint.config)
                child.explaining = False
                child.listen(self.now)
                child.drain()
                sock.children.append(child)
                self.endpoints.append(child)
                return child
        for ep in reversed(self.endpoints):
            if ep.port == seg.dst_port:
                return ep  # a closed connection answers as CLOSED (RFC 9293 3.10.7.1)
        return None

    def _listener(self) -> _Socket | None:
        for sock in self.sockets.values():
            if sock.listening and not sock.closed and sock.endpoint.state is State.LISTEN:
                return sock
        return None

    def _after_segment(self, ep: Endpoint) -> None:
        for sock in self.sockets.values():
            if ep in sock.children and ep.state not in (State.LISTEN, State.SYN_RECEIVED):
                sock.children.remove(ep)
                if ep.state is not State.CLOSED:
                    sock.backlog.append(ep)

    def _expect(self, spec: PacketSpec, line: Line, when: float | None) -> None:
        if when is None:  # "*": whenever the model next sends something
            while not self.outbound:
                pending = [t for ep in self.endpoints if (t := ep.next_timer()) is not None]
                if not pending:
                    break
                self._run_timers(min(pending))
        else:
            self._run_timers(when + self.tolerance)
        if not self.outbound:
            at = f"at t={when:.3f} s" if when is not None else "now"
            raise _Failed(
                line.number,
                f"line {line.number}: expected the model to send {line.text[1:].strip()} {at}, but it sent nothing",
            )
        sent_at, seg = self.outbound.pop(0)
        problem = self._mismatch(spec, seg)
        if problem is not None:
            raise _Failed(
                line.number,
                f"line {line.number}: expected {line.text[1:].strip()}, but the model sent {self._describe(seg)}: "
                f"{problem}",
            )
        if when is not None and abs(sent_at - when) > self.tolerance:
            raise _Failed(
                line.number,
                f"line {line.number}: the model sent {self._describe(seg)} at t={sent_at:.3f} s, "
                f"but the script expects it at t={when:.3f} s (tolerance {self.tolerance * 1000:g} ms)",
            )
        self.now = max(self.now, sent_at)
        if when is None:
            self.last = sent_at  # after "*", relative times count from when it happened

    def _mismatch(self, spec: PacketSpec, seg: Segment) -> str | None:
        if seg.flags != spec.flags:
            return f"the flags are {_letters(seg.flags)}, not {_letters(spec.flags)}"
        if spec.flags & Flags.SYN and spec.start is not None and spec.start == 0:
            self.local_isn = int(seg.seq)  # learn the ISN, as packetdrill does
        elif spec.flags & Flags.SYN and spec.start is None:
            self.local_isn = int(seg.seq)
        if spec.start is not None:
            rel = seg.seq.since(self.local_isn)
            if rel != spec.start:
                return f"its sequence number is {rel}, not {spec.start}"
        if len(seg.payload) != spec.length:
            return f"it carries {len(seg.payload)} bytes, not {spec.length}"
        if spec.ack is not None:
            rel_ack = seg.ack.since(REMOTE_ISN)
            if rel_ack != spec.ack:
                return f"it acknowledges {rel_ack}, not {spec.ack}"
        if self.options.compare_window and spec.window is not None and seg.window != spec.window:
            return f"its window is {seg.window}, not {spec.window}"
        if self.options.compare_options and spec.options not in (None, "..."):
            want = parse_options(spec.options or "")
            got = seg.options
            if (want.mss, want.wscale, want.sack_permitted, want.timestamps is not None) != (
                got.mss,
                got.wscale,
                got.sack_permitted,
                got.timestamps is not None,
            ):
                return f"its options are <{got.describe()}>, not <{spec.options}>"
        return None

    def _describe(self, seg: Segment) -> str:
        seq = seg.seq.since(self.local_isn)
        text = f"{_letters(seg.flags)} {seq}:{seq + len(seg.payload)}({len(seg.payload)})"
        if seg.flags & Flags.ACK:
            text += f" ack {seg.ack.since(REMOTE_ISN)}"
        return f"{text} win {seg.window} ({seg.flags.names})"

    # ----------------------------------------------------------- syscalls
    _CALL = re.compile(r"^(\w+)\((.*)\)\s*=\s*(-?\w+)\s*(\w+)?.*$")

    def _syscall(self, line: Line, when: float) -> None:
        match = self._CALL.match(line.text)
        if match is None:
            raise ScriptError(f"line {line.number}: cannot read the system call {line.text!r}")
        name, args_text, ret_text, errno = match.groups()
        args = [a.strip() for a in _split_args(args_text)]
        try:
            ret = int(ret_text, 0)
        except ValueError:
            ret = 0
        expected = (ret, errno if ret == -1 else None)
        handler = getattr(self, f"_call_{name}", None)
        if handler is None:
            raise _NotApplicable(f"uses {name}(), which the runner does not model")
        if args and args[0].isdigit():
            self.last_fd = int(args[0])
        got = handler(line, args, expected)
        if got is None:  # a blocking call that waits
            return
        self._compare_return(line, name, got, expected)
        if line.end is not None:
            raise _Failed(
                line.number,
                f"line {line.number}: {name}() returned at once, but the script expects it "
                f"to block until t={line.end:.3f} s",
            )

    def _compare_return(
        self, line: Line, name: str, got: tuple[int, str | None], expected: tuple[int, str | None]
    ) -> None:
        if got != expected:
            raise _Failed(
                line.number,
                f"line {line.number}: {name}() returned {_ret(got)}, but the script expects {_ret(expected)}",
            )

    def _sock(self, line: Line, fd_text: str) -> _Socket:
        fd = int(fd_text)
        sock = self.sockets.get(fd)
        if sock is None or sock.closed:
            raise _Failed(line.number, f"line {line.number}: file descriptor {fd} is not an open socket")
        return sock

    def _call_socket(self, line: Line, args: list[str], expected: tuple[int, str | None]) -> tuple[int, str | None]:
        fd = self._free_fd()
        ep = Endpoint(f"fd{fd}", self.local_addr, 0, LOCAL_ISN, self.config)
        ep.explaining = False
        self.sockets[fd] = _Socket(fd, ep)
        self.endpoints.append(ep)
        self.last_fd = fd
        return fd, None

    def _free_fd(self) -> int:
        fd = 3
        while fd in self.sockets and not self.sockets[fd].closed:
            fd += 1
        return fd

    def _call_fcntl(self, line: Line, args: list[str], expected: tuple[int, str | None]) -> tuple[int, str | None]:
        sock = self._sock(line, args[0])
        if args[1] == "F_GETFL":
            return (0x02 | (0x04 if sock.nonblocking else 0)), None
        if args[1] == "F_SETFL":
            sock.nonblocking = "O_NONBLOCK" in args[2]
            return 0, None
        self._skip("fcntl")
        return expected

    def _call_setsockopt(self, line: Line, args: list[str], expected: tuple[int, str | None]) -> tuple[int, str | None]:
        sock = self._sock(line, args[0])
        option = args[2]
        value = int(args[3].strip("[]"), 0) if args[3].strip("[]").lstrip("-").isdigit() else 0
        cfg = sock.endpoint.config
        if option == "TCP_NOOPT":
            sock.endpoint.config = replace(cfg, no_options=bool(value))
        elif option == "TCP_KEEPINIT":
            sock.endpoint.config = replace(cfg, connect_timeout=float(value))
        elif option == "SO_RCVBUF":
            sock.endpoint.config = replace(cfg, recv_buffer=value)
            sock.endpoint.recv_buffer = value
        elif option == "TCP_NODELAY" or option == "SO_REUSEADDR" or option == "SO_REUSEPORT":
            pass
        else:
            self._skip(f"setsockopt {option}")
            return expected
        return 0, None

    def _call_getsockopt(self, line: Line, args: list[str], expected: tuple[int, str | None]) -> tuple[int, str | None]:
        sock = self._sock(line, args[0])
        option = args[2]
        want = args[3].strip("[]")
        if option == "SO_ERROR":
            error = sock.endpoint.error
            got = "0" if error is None else _SO_ERROR[error]
            sock.endpoint.error = None  # reading SO_ERROR clears it
            if got != want:
                raise _Failed(line.number, f"line {line.number}: SO_ERROR is {got}, but the script expects {want}")
            return expected
        if option == "SO_RCVBUF":
            got_value = sock.endpoint.recv_buffer
            if str(got_value) != want:
                raise _Failed(
                    line.number, f"line {line.number}: SO_RCVBUF is {got_value}, but the script expects {want}"
                )
            return expected
        self._skip(f"getsockopt {option}")
        return expected

    def _call_bind(self, line: Line, args: list[str], expected: tuple[int, str | None]) -> tuple[int, str | None]:
        sock = self._sock(line, args[0])
        sock.endpoint.port = LOCAL_PORT
        sock.bound = True
        return 0, None

    def _call_listen(self, line: Line, args: list[str], expected: tuple[int, str | None]) -> tuple[int, str | None]:
        sock = self._sock(line, args[0])
        if sock.endpoint.port == 0:
            sock.endpoint.port = LOCAL_PORT
        sock.endpoint.listen(self.now)
        sock.endpoint.drain()
        sock.listening = True
        return 0, None

    def _call_accept(
        self, line: Line, args: list[str], expected: tuple[int, str | None]
    ) -> tuple[int, str | None] | None:
        sock = self._sock(line, args[0])
        if sock.backlog:
            ep = sock.backlog.pop(0)
            fd = self._free_fd()
            self.sockets[fd] = _Socket(fd, ep)
            self.last_fd = fd
            return fd, None
        if sock.nonblocking:
            return -1, "EWOULDBLOCK" if expected[1] != "EAGAIN" else "EAGAIN"
        self.pending.append(_Pending(line, sock.fd, "accept", expected, self.now))
        return None

    def _call_connect(
        self, line: Line, args: list[str], expected: tuple[int, str | None]
    ) -> tuple[int, str | None] | None:
        sock = self._sock(line, args[0])
        ep = sock.endpoint
        ep.port = LOCAL_PORT  # the script's packets are addressed to it, bound or not
        try:
            ep.connect(self.remote_addr, REMOTE_PORT, self.now)
        except UserCallError:
            return -1, "EISCONN"
        self._collect(self.now)
        if sock.nonblocking:
            return -1, "EINPROGRESS"
        self.pending.append(_Pending(line, sock.fd, "connect", expected, self.now))
        return None

    def _call_read(
        self, line: Line, args: list[str], expected: tuple[int, str | None]
    ) -> tuple[int, str | None] | None:
        sock = self._sock(line, args[0])
        amount = int(args[2]) if len(args) > 2 and args[2].isdigit() else None
        data = sock.endpoint.receive(amount, self.now)
        self._collect(self.now)
        if data:
            return len(data), None
        if sock.endpoint.eof or sock.endpoint.state is State.CLOSED:
            if sock.endpoint.error is ErrorKey.RESET:
                sock.endpoint.error = None
                return -1, "ECONNRESET"
            return 0, None
        if sock.nonblocking:
            return -1, "EWOULDBLOCK" if expected[1] != "EAGAIN" else "EAGAIN"
        self.pending.append(_Pending(line, sock.fd, "read", expected, self.now, amount or 0))
        return None

    _call_recv = _call_read

    def _call_write(self, line: Line, args: list[str], expected: tuple[int, str | None]) -> tuple[int, str | None]:
        sock = self._sock(line, args[0])
        amount = int(args[2]) if len(args) > 2 and args[2].isdigit() else 0
        try:
            sock.endpoint.send(b"y" * amount, self.now)
        except UserCallError:
            return -1, "EPIPE"
        self._collect(self.now)
        return amount, None

    _call_send = _call_write

    def _call_shutdown(self, line: Line, args: list[str], expected: tuple[int, str | None]) -> tuple[int, str | None]:
        sock = self._sock(line, args[0])
        how = args[1]
        if how in ("SHUT_WR", "SHUT_RDWR"):
            try:
                sock.endpoint.close(self.now)
            except UserCallError:
                return -1, "ENOTCONN"
        self._collect(self.now)
        return 0, None

    def _call_close(self, line: Line, args: list[str], expected: tuple[int, str | None]) -> tuple[int, str | None]:
        sock = self._sock(line, args[0])
        sock.closed = True
        ep = sock.endpoint
        if sock.listening:
            for child in sock.children + sock.backlog:
                self._abort_unaccepted(child)
            if ep.state is State.LISTEN:
                ep.close(self.now)
        elif ep.state is not State.CLOSED:
            ep.close(self.now, read_too=True)  # in the closing states this only stops reading
        self._collect(self.now)
        return 0, None

    def _abort_unaccepted(self, ep: Endpoint) -> None:
        """Closing a listening socket drops the connections nobody accepted."""
        if ep.state is State.SYN_RECEIVED:
            ep.crash(self.now)  # an embryonic connection is forgotten silently
        elif ep.state is not State.CLOSED:
            ep.abort(self.now)

    def _check_pending(self, line: Line | None) -> None:
        for call in list(self.pending):
            sock = self.sockets[call.fd]
            ep = sock.endpoint
            got: tuple[int, str | None] | None = None
            if call.call == "connect":
                if ep.state in (State.ESTABLISHED, State.CLOSE_WAIT):
                    got = (0, None)
                elif ep.state is State.CLOSED:
                    got = (-1, "ECONNREFUSED" if ep.error is None else _CONNECT_ERROR[ep.error])
                    ep.error = None
            elif call.call == "accept" and sock.backlog:
                child = sock.backlog.pop(0)
                fd = self._free_fd()
                self.sockets[fd] = _Socket(fd, child)
                got = (fd, None)
            elif call.call == "read" and (ep.readable or ep.eof or ep.state is State.CLOSED):
                data = ep.receive(call.arg or None, self.now)
                got = (len(data), None)
            if got is None:
                continue
            self.pending.remove(call)
            self._compare_return(call.line, call.call, got, call.expected)
            if call.line.end is not None:
                end = (call.start - (call.line.time or 0.0) if call.line.relative else 0.0) + call.line.end
                if abs(self.now - end) > self.tolerance:
                    raise _Failed(
                        call.line.number,
                        f"line {call.line.number}: {call.call}() returned at t={self.now:.3f} s, "
                        f"but the script expects t={end:.3f} s",
                    )

    # -------------------------------------------------------- shell, python
    _SYSCTL = re.compile(r"^`sysctl -w ([\w.]+)=(-?\d+)`$")
    _SOCKSTAT = re.compile(r"grep -c (\w+) \| grep (\d+)`$")

    def _shell(self, line: Line) -> None:
        text = line.text.strip()
        sysctl = self._SYSCTL.match(text)
        if sysctl is not None:
            if not self._sysctl(sysctl.group(1), int(sysctl.group(2))):
                self._skip(f"sysctl {sysctl.group(1)}")
            return
        stat = self._SOCKSTAT.search(text)
        if text.startswith("`sockstat") and stat is not None and stat.group(1) in _SOCKSTAT:
            state = _SOCKSTAT[stat.group(1)]
            count = sum(1 for ep in self.endpoints if ep.state is state and (state is not State.CLOSED or ep.port))
            if state is State.CLOSED:
                count = sum(1 for s in self.sockets.values() if not s.closed and s.endpoint.state is State.CLOSED)
            if count != int(stat.group(2)):
                raise _Failed(
                    line.number,
                    f"line {line.number}: {count} connection(s) of the model are in {state}, "
                    f"the script expects {stat.group(2)}",
                )
            return
        if text == "`tcpdrop -s TIME_WAIT`":
            for ep in self.endpoints:
                if ep.state is State.TIME_WAIT:
                    ep.crash(self.now)
                    ep.drain()
            return
        self._skip("shell command")

    def _sysctl(self, name: str, value: int) -> bool:
        """Apply a FreeBSD sysctl the model has a setting for; False if it has none."""
        cfg = self.config
        short = name.removeprefix("net.inet.tcp.")
        if short == "insecure_syn":
            cfg = replace(cfg, rfc5961_syn=not value)
        elif short == "insecure_rst":
            cfg = replace(cfg, rfc5961_rst=not value)
        elif short == "drop_synfin":
            cfg = replace(cfg, drop_synfin=bool(value))
        elif short == "rexmit_initial":
            cfg = replace(cfg, initial_rto=value / 1000)
        elif short == "rexmit_slop":
            cfg = replace(cfg, rto_slop=value / 1000)
        elif short == "keepinit":
            cfg = replace(cfg, connect_timeout=value / 1000)
        elif short == "recvspace":
            cfg = replace(
                cfg, recv_buffer=value, window_scale=cfg.window_scale if value <= 65535 else cfg.window_scale or 14
            )
        elif short == "ecn.enable":
            cfg = replace(cfg, ecn=value == 1)  # 1: ask for ECN; 2: only answer (not modelled)
        elif short == "ecn.maxretries":
            cfg = replace(cfg, ecn_syn_retries=value)
        elif short == "rexmit_drop_options":
            cfg = replace(cfg, syn_options_retries=3 if value else None)
        elif short == "sack.enable":
            cfg = replace(cfg, sack_permitted=bool(value))
        elif short == "rfc1323":
            base = self.config
            cfg = replace(
                cfg,
                timestamps=bool(value) and base.timestamps,
                window_scale=(base.window_scale or 6) if value else None,
                recv_buffer=base.recv_buffer if value else min(base.recv_buffer, 65535),
            )
        else:
            return False
        self.config = cfg
        return True

    _ASSERT = re.compile(r"^%\{\s*assert\s+tcpi_state\s*==\s*(TCPI_\w+)\s*\}%$")

    def _python(self, line: Line) -> None:
        match = self._ASSERT.match(line.text.strip())
        if match is None or match.group(1) not in _TCPI:
            self._skip("python block")
            return
        if self.last_fd is None or self.last_fd not in self.sockets:
            raise _Failed(line.number, f"line {line.number}: no socket to ask for its state")
        sock = self.sockets[self.last_fd]
        ep = sock.endpoint
        if sock.listening and sock.children:
            ep = sock.children[-1]
        want = _TCPI[match.group(1)]
        if ep.state is not want:
            raise _Failed(
                line.number, f"line {line.number}: the connection is in {ep.state}, the script asserts {want}"
            )


def _split_args(text: str) -> list[str]:
    args, depth, current = [], 0, ""
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            args.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        args.append(current)
    return args


def _letters(flags: Flags) -> str:
    text = "".join(letter for letter, bit in _FLAG_LETTERS.items() if flags & bit and letter != ".")
    return text + "." if flags & Flags.ACK else text or "(none)"


def _ret(value: tuple[int, str | None]) -> str:
    return f"-1 {value[1]}" if value[0] == -1 else str(value[0])


# -------------------------------------------------------------- many scripts
def run_paths(paths: list[str], options: RunOptions | None = None) -> list[Result]:
    """Run every script named or found under the folders named, in order."""
    return [run_script(path, options) for path in find_scripts(paths)]


def find_scripts(paths: list[str]) -> list[Path]:
    """Every .pkt file named or under the folders named, sorted."""
    found: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found.extend(sorted(path.rglob("*.pkt")))
        elif path.is_file():
            found.append(path)
        else:
            raise ScriptError(f"{p}: no such script or folder")
    return found


def summarize(results: list[Result]) -> list[tuple[str, dict[str, int]]]:
    """Counts of pass/fail/n/a/error per directory (relative to their common folder), in order."""
    table: dict[str, dict[str, int]] = {}
    parents = [Path(r.path).parent for r in results]
    root = Path(os.path.commonpath(parents)) if parents else Path()
    if len(set(parents)) > 1 and root in parents:
        root = root.parent
    for r in results:
        folder = str(Path(r.path).parent)
        with contextlib.suppress(ValueError):
            folder = str(Path(r.path).parent.relative_to(root.parent if len(set(parents)) == 1 else root))
        row = table.setdefault(folder, {"pass": 0, "fail": 0, "n/a": 0, "error": 0})
        row[r.status] += 1
    return sorted(table.items())
