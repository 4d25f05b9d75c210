"""Run packetdrill scripts against the model: the model endpoint is the system under test.

The language is packetdrill's own (``simulator/conformance/script.py`` reads it): options,
untimed init and cleanup commands, absolute, relative, wildcard and ranged times, TCP packets
(with IP-level fields), system calls and ``%{ }%`` assertions.  The runner plays the host:
descriptors the script names are mapped to its sockets as packetdrill maps them to the kernel's;
blocking calls return at the moment the model makes them complete; time is virtual.

Every script ends in one outcome: pass, fail, error (the script cannot be read, or runs away),
needs-feature (it needs something the model does not have, named), or vacuous (it passed without a
single check performed).  ``sysctl`` settings the model has become profile settings
(``simulator/conformance/sysctls.py``); the others are the machine's environment, counted.
"""

from __future__ import annotations

import contextlib
import enum
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..model.config import EndpointConfig
from ..model.endpoint import Endpoint
from ..model.errors import ScenarioError, TcpsimError, UserCallError
from ..model.keys import ErrorKey
from ..model.notes import NoteKind
from ..model.profiles import DEFAULT_PROFILE, Profile, profile
from ..model.segment import Flags, Options, Segment
from ..model.seq import SeqNum
from ..model.states import State
from . import sysctls, tcpinfo
from .script import (
    FLAG_LETTERS,
    Feature,
    Line,
    LineKind,
    NeedsFeature,
    PacketSpec,
    Script,
    ScriptError,
    parse,
    parse_options,
    parse_packet,
    split_args,
)

__all__ = [
    "Feature",
    "Line",
    "Outcome",
    "PacketSpec",
    "Result",
    "RunOptions",
    "Script",
    "ScriptError",
    "find_scripts",
    "parse",
    "parse_options",
    "parse_packet",
    "run_paths",
    "run_script",
    "summarize",
]

LOCAL_PORT = 8080  # the port of the system under test, bound or connecting (and its address below)
REMOTE_PORT = 55555  # the script's side of the connection
ADDRESSES = {"ipv4": ("192.0.2.1", "192.0.2.2"), "ipv6": ("2001:db8::1", "2001:db8::2")}
REMOTE_ISN = 1_000_000  # where the script's relative sequence numbers start
LOCAL_ISN = 2_000_000  # the ISS of every endpoint the runner creates
MAX_EVENTS = 100_000  # model events (timer expiries, segments sent) one script may cause: past it, a runaway
MAX_CALL_BYTES = 1 << 24  # the most one system call may write or read
# The errno of a failed connection: as SO_ERROR reports it, and as a pending connect() returns it.
_SO_ERROR = {ErrorKey.RESET: "ECONNRESET", ErrorKey.REFUSED: "ECONNREFUSED", ErrorKey.TIMEOUT: "ETIMEDOUT"}
_CONNECT_ERROR = {ErrorKey.RESET: "ECONNREFUSED", ErrorKey.REFUSED: "ECONNREFUSED", ErrorKey.TIMEOUT: "ETIMEDOUT"}
# tcpi_state as Linux numbers it (include/net/tcp_states.h); FreeBSD scripts name them TCPI_*.
_LINUX_STATE = {
    State.ESTABLISHED: 1,
    State.SYN_SENT: 2,
    State.SYN_RECEIVED: 3,
    State.FIN_WAIT_1: 4,
    State.FIN_WAIT_2: 5,
    State.TIME_WAIT: 6,
    State.CLOSED: 7,
    State.CLOSE_WAIT: 8,
    State.LAST_ACK: 9,
    State.LISTEN: 10,
    State.CLOSING: 11,
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
# Socket options that change nothing the model or the runner could check: the machine's environment.
_ENVIRONMENT_OPTIONS = frozenset(
    {"SO_REUSEADDR", "SO_REUSEPORT", "SO_MARK", "IP_FREEBIND", "IP_MTU_DISCOVER", "SO_SNDBUF", "IPV6_V6ONLY"}
)
_OPTION_FEATURES = {
    "TCP_USER_TIMEOUT": Feature.USER_TIMEOUT,
    "TCP_NOTSENT_LOWAT": Feature.NOTSENT_LOWAT,
    "TCP_CORK": Feature.CORK,
    "SO_ZEROCOPY": Feature.ZEROCOPY,
    "SO_TIMESTAMPING": Feature.TIMESTAMPING,
    "TCP_FASTOPEN": Feature.FAST_OPEN,
    "TCP_FASTOPEN_CONNECT": Feature.FAST_OPEN,
    "TCP_FASTOPEN_KEY": Feature.FAST_OPEN,
    "TCP_FASTOPEN_NO_COOKIE": Feature.FAST_OPEN,
    "TCP_MD5SIG": Feature.MD5,
    "TCP_INQ": Feature.TCP_INQ,
    "SO_LINGER": Feature.LINGER,
    "IP_TOS": Feature.IP_FIELDS,
    "IPV6_TCLASS": Feature.IP_FIELDS,
}
# Socket options the model has a setting for: the EndpointConfig fields each one sets.
_OPTION_SETTINGS: dict[str, Callable[[int], dict[str, Any]]] = {
    "TCP_NOOPT": lambda v: {"no_options": bool(v)},
    "TCP_KEEPINIT": lambda v: {"connect_timeout": float(v)},
    "SO_RCVBUF": lambda v: {"recv_buffer": v},
    "TCP_MAXSEG": lambda v: {"mss": v},
    "TCP_SYNCNT": lambda v: {"syn_retries": v},
    "SO_KEEPALIVE": lambda v: {"keepalive": bool(v)},
    "TCP_KEEPIDLE": lambda v: {"keepalive_idle": float(v)},
    "TCP_KEEPINTVL": lambda v: {"keepalive_interval": float(v)},
    "TCP_KEEPCNT": lambda v: {"keepalive_probes": v},
}
_SEND_FLAG_FEATURES = {"MSG_FASTOPEN": Feature.FAST_OPEN, "MSG_ZEROCOPY": Feature.ZEROCOPY, "MSG_MORE": Feature.CORK}
_READ_OPTIONS = frozenset({"ip_version", "tolerance_usecs", "mtu"})  # the script options the runner applies
_NO_CHECK_CALLS = frozenset({"socket", "bind", "listen", "setsockopt", "fcntl"})  # set-up, not a check


class Outcome(enum.StrEnum):
    """How one script ended."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"  # the script cannot be read, or ran away
    NEEDS_FEATURE = "needs-feature"  # it needs something the model does not have, named in ``feature``
    VACUOUS = "vacuous"  # it passed, but not one of its checks could be performed


class _Failed(Exception):
    """A line did not hold (internal)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


class _Runaway(ScriptError):
    """A script that makes the model run without end (internal)."""


# ------------------------------------------------------------------ results
@dataclass(slots=True)
class Result:
    """The outcome of one script."""

    path: str
    status: str  # an Outcome
    message: str = ""
    line: int | None = None
    skipped: int = 0  # lines whose check the model cannot mean anything for
    skipped_kinds: dict[str, int] = field(default_factory=dict)
    feature: str | None = None  # what a needs-feature script needs
    checks: int = 0  # packets compared, return values and assertions checked
    environment: dict[str, int] = field(default_factory=dict)  # sysctls and commands of the machine, not modelled
    settings: dict[str, str] = field(default_factory=dict)  # sysctls read as profile settings

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": str(self.status),
            "line": self.line,
            "message": self.message,
            "feature": self.feature,
            "checks": self.checks,
            "skipped": self.skipped,
            "skipped_kinds": dict(sorted(self.skipped_kinds.items())),
            "environment": dict(sorted(self.environment.items())),
            "settings": dict(sorted(self.settings.items())),
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
    """A socket of the runner's host: the script's descriptor, its options and its connection."""

    fd: int  # the descriptor as the script names it (packetdrill maps it to the kernel's)
    endpoint: Endpoint
    nonblocking: bool = False
    listening: bool = False
    bound: bool = False
    used: bool = False  # connect() or listen() has put its connection to use
    backlog: list[Endpoint] = field(default_factory=list)  # accepted-to-be connections
    children: list[Endpoint] = field(default_factory=list)  # embryonic ones too
    closed: bool = False
    read_shut: bool = False  # shutdown(SHUT_RD): reads return what is queued, then 0
    write_shut: bool = False


Return = tuple[int, str | None]


@dataclass(slots=True)
class _Pending:
    """A blocking call that has not returned yet: ``ready`` says its return once it can."""

    line: Line
    call: str
    expected: Return
    start: float
    ready: Callable[[], Return | None]
    deadline: float | None = None  # when it times out (poll's timeout), if ever


def run_script(path: str | Path, options: RunOptions | None = None) -> Result:
    """Run one script file; never raises for a bad script (it becomes a result)."""
    try:
        return _run_script(str(path), options or RunOptions())
    except Exception as exc:  # the batch boundary: one script's surprise must not end the others
        return Result(str(path), Outcome.ERROR, f"the runner could not run this script ({type(exc).__name__}: {exc})")


def _run_script(path: str, options: RunOptions) -> Result:
    try:
        prof = profile(options.profile)
        text = Path(path).read_text(encoding="utf-8", errors="replace")  # a bad byte is its line's error
        script = parse(text, path=path, defines=prof.defines)
        return _Runner(script, prof, options).run()
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return Result(path, Outcome.ERROR, f"cannot read the script: {exc}")
    except NeedsFeature as exc:
        return Result(path, Outcome.NEEDS_FEATURE, str(exc), feature=exc.feature)
    except (ScriptError, ScenarioError) as exc:
        return Result(path, Outcome.ERROR, str(exc), line=_line_of(str(exc)))
    except RecursionError:
        return Result(path, Outcome.ERROR, "the script nests too deeply to read")


class _Runner:
    def __init__(self, script: Script, prof: Profile, options: RunOptions) -> None:
        self.script = script
        self.options = options
        # The script is the application: it reads only with read() lines, so unread data fills the buffer.
        self.config = replace(prof.config, auto_read=False)
        usecs = options.tolerance_usecs
        written = script.options.get("tolerance_usecs", "4000")
        if usecs is None and not (written.isdigit() and len(written) < 10):
            raise ScriptError(
                f"line {script.option_lines.get('tolerance_usecs', 0)}: --tolerance_usecs={written[:20]} "
                "is not a whole number of microseconds"
            )
        self.tolerance = (usecs if usecs is not None else int(written)) / 1e6
        version = script.options.get("ip_version", "ipv4")
        if version not in ADDRESSES:
            raise ScriptError(
                f"line {script.option_lines.get('ip_version', 0)}: --ip_version={version[:20]} is not ipv4 or ipv6"
            )
        self.local_addr, self.remote_addr = ADDRESSES[version]
        if "mtu" in script.options:
            try:
                self.config = replace(self.config, mtu=int(script.options["mtu"][:8]))
            except (ValueError, ScenarioError) as exc:
                where = f"line {script.option_lines.get('mtu', 0)}"
                raise ScriptError(f"{where}: --mtu={script.options['mtu'][:20]}: {exc}") from None
        self.base = self.config  # the profile's settings, before any sysctl
        self.now = 0.0
        self.last = 0.0  # time of the previous line, for relative times
        self.sockets: dict[int, _Socket] = {}
        self.endpoints: list[Endpoint] = []
        self.outbound: list[tuple[float, Segment]] = []
        self.pending: list[_Pending] = []
        self.last_fd: int | None = None
        self.local_isn = 0  # learnt from the model's first SYN, as packetdrill does
        self.result = Result(script.path, Outcome.PASS)
        self.events = 0
        self.peer_timestamps: dict[int, bool] = {}  # by id(endpoint): the script's SYN offered timestamps
        self.line: Line | None = None  # the line being run, for an error's line number
        for name in sorted(set(script.options) - _READ_OPTIONS):  # addresses, TSO and timestamp clocks
            self._count_environment(f"option --{name[:40]}")

    # -------------------------------------------------------------- driver
    def run(self) -> Result:
        try:
            self._environment(self.script.init, None, self.script.init_line)
            for line in self.script.lines:
                self.line = line
                try:
                    self._line(line)
                except (ValueError, IndexError, KeyError, OverflowError, TypeError, ZeroDivisionError) as exc:
                    raise ScriptError(f"line {line.number}: cannot read {line.text[:60]!r} ({exc})") from None
            self._finish()
            self._environment(self.script.cleanup, None, self.script.cleanup_line)
        except _Failed as failure:
            self.result.status, self.result.line, self.result.message = Outcome.FAIL, failure.line, str(failure)
        except NeedsFeature as need:
            self.result.status, self.result.feature = Outcome.NEEDS_FEATURE, need.feature
            self.result.message = str(need)
            self.result.line = self.line.number if self.line is not None else None
        except (ScriptError, ScenarioError, UserCallError) as exc:
            self.result.status, self.result.message = Outcome.ERROR, str(exc)
            self.result.line = _line_of(str(exc)) or (self.line.number if self.line is not None else None)
        except (RecursionError, MemoryError, ArithmeticError, ValueError, TypeError, KeyError, IndexError) as exc:
            where = f"line {self.line.number}: " if self.line is not None else ""
            self.result.status, self.result.message = Outcome.ERROR, f"{where}{type(exc).__name__}: {exc}"
            self.result.line = self.line.number if self.line is not None else None
        if self.result.status is Outcome.PASS and self.result.checks == 0:
            self.result.status = Outcome.VACUOUS
            self.result.message = "it passed without one check performed: every line that checks was skipped"
        return self.result

    def _line(self, line: Line) -> None:
        if line.time is None:
            when = None
        else:
            when = self.last + line.time if line.relative else line.time
            self.last = when
        if line.kind == LineKind.PACKET:
            spec = parse_packet(line.text, line.number)
            if spec.inbound:
                self._advance(when if when is not None else self.now, line)
                self._inject(spec, line)
            else:
                self._expect(spec, line, when)
            return
        self._advance(when if when is not None else self.now, line)
        if line.kind == LineKind.SYSCALL:
            self._syscall(line)
        elif line.kind == LineKind.SHELL:
            self._shell(line)
        else:
            self._python(line)

    def _skip(self, what: str) -> None:
        self.result.skipped += 1
        self.result.skipped_kinds[what] = self.result.skipped_kinds.get(what, 0) + 1

    def _count_environment(self, what: str) -> None:
        self.result.environment[what] = self.result.environment.get(what, 0) + 1

    def _advance(self, to: float, line: Line) -> None:
        """Run the model's timers up to ``to``; anything sent before then was not expected."""
        self._run_timers(to)
        self.now = max(self.now, to)
        for sent_at, seg in self.outbound:  # packetdrill compares it with the next ">" line: one too old fails
            if sent_at < to - self.tolerance:
                raise _Failed(
                    line.number,
                    f"line {line.number}: before this line the model sent {self._describe(seg)} at "
                    f"t={sent_at:.3f} s, which the script does not expect",
                )
        self._check_pending()

    def _run_timers(self, to: float) -> None:
        """Fire the model's timers, and the time-outs of blocked calls, in time order up to ``to``."""
        while True:
            due: list[tuple[float, int]] = []
            for i, ep in enumerate(self.endpoints):
                deadline = ep.next_timer()
                if deadline is not None and deadline <= to:
                    due.append((deadline, i))
            timeouts = [call.deadline for call in self.pending if call.deadline is not None and call.deadline <= to]
            if timeouts and (not due or min(timeouts) < min(due)[0]):
                self._event()
                self.now = max(self.now, min(timeouts))
                self._check_pending()
                continue
            if not due:
                return
            t, i = min(due)
            self._event()
            self.now = max(self.now, t)
            self.endpoints[i].on_timer(t)
            self._collect(t)
            self._check_pending()

    def _event(self) -> None:
        self.events += 1
        if self.events > MAX_EVENTS:
            raise _Runaway(
                f"a runaway: more than {MAX_EVENTS} model events (timer expiries, segments) by t={self.now:.3f} s"
            )

    def _collect(self, t: float) -> None:
        for ep in list(self.endpoints):
            for note in ep.drain():
                if note.kind is NoteKind.SEND and note.segment is not None:
                    self._event()
                    self.outbound.append((t, note.segment))

    def _finish(self) -> None:
        """A blocking call still waiting after the last line returns when the model lets it."""
        while self.pending:
            deadlines = [t for ep in self.endpoints if (t := ep.next_timer()) is not None]
            deadlines += [call.deadline for call in self.pending if call.deadline is not None]
            if not deadlines:
                call = self.pending[0]
                raise _Failed(call.line.number, f"line {call.line.number}: {call.call}() never returned")
            self._run_timers(min(deadlines))

    # ------------------------------------------------------- environment
    _SOCKSTAT_COUNT = re.compile(r"grep -c (\w+) \| grep (\d+)`$")

    def _environment(self, command: str | None, line: Line | None, number: int = 0) -> bool:
        """Read the sysctls of a shell command: settings where the model has them, else environment."""
        if command is None:
            return False
        base_dir = Path(self.script.path).parent
        found = False
        for name, value in sysctls.assignments(command, base_dir):
            found = True
            try:
                cfg = sysctls.apply(self.config, name, value, self.base)
            except sysctls.SysctlError as exc:
                where = f"line {line.number if line is not None else number}: "
                raise ScriptError(f"{where}sysctl {name}={value[:30]}: {exc}") from None
            if cfg is None:
                self._count_environment(f"sysctl {name}")
            else:
                self.config = cfg
                self.result.settings[name] = value.strip().strip('"')[:40]
        if line is None:
            self._count_environment("init or cleanup command")
        return found

    def _shell(self, line: Line) -> None:
        text = line.text.strip()
        stat = self._SOCKSTAT_COUNT.search(text)
        if text.startswith("`sockstat") and stat is not None and stat.group(1) in _SOCKSTAT:
            self._sockstat(line, _SOCKSTAT[stat.group(1)], int(stat.group(2)))
            return
        if text == "`tcpdrop -s TIME_WAIT`":
            for ep in self.endpoints:
                if ep.state is State.TIME_WAIT:
                    ep.crash(self.now)
                    ep.drain()
            return
        if not self._environment(text, line):
            self._skip("shell command")

    def _sockstat(self, line: Line, state: State, want: int) -> None:
        count = sum(1 for ep in self.endpoints if ep.state is state and (state is not State.CLOSED or ep.port))
        if state is State.CLOSED:
            count = sum(1 for s in self.sockets.values() if not s.closed and s.endpoint.state is State.CLOSED)
        self.result.checks += 1
        if count != want:
            raise _Failed(
                line.number,
                f"line {line.number}: {count} connection(s) of the model are in {state}, the script expects {want}",
            )

    # ------------------------------------------------------------- packets
    def _inject(self, spec: PacketSpec, line: Line) -> None:
        if spec.start is None:
            raise ScriptError(f"line {line.number}: an injected packet needs its sequence numbers")
        self._inbound_ip(spec, line)
        # packetdrill maps an inbound ACK field from the script's numbering even when it is not written
        # (run_packet.c, map_inbound_packet): "." without "ack N" acknowledges the ISN itself
        ack = SeqNum(self.local_isn + (spec.ack or 0)) if spec.ack is not None or spec.flags & Flags.ACK else SeqNum(0)
        opts = parse_options(spec.options, line.number) if spec.options not in (None, "...") else Options()
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
        if seg.flags & Flags.SYN:
            self.peer_timestamps[id(ep)] = opts.timestamps is not None
        self._event()
        ep.on_segment(seg, self.now)
        self._collect(self.now)
        self._after_segment(ep)
        self._check_pending()

    def _inbound_ip(self, spec: PacketSpec, line: Line) -> None:
        """IP-level fields of an injected packet: a CE mark needs ECN; the others a TCP does not read."""
        if spec.ip is None:
            return
        if spec.ip.split()[0].lower() == "ce":
            raise NeedsFeature(Feature.ECN_CE, f"line {line.number}: a CE-marked packet needs {Feature.ECN_CE}")
        self._skip("IP field of an injected packet")

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
        if spec.ip is not None:
            raise NeedsFeature(Feature.IP_FIELDS, f"line {line.number}: checking [{spec.ip}] needs {Feature.IP_FIELDS}")
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
        sent_at, seg = self._next_outbound(spec)
        problem = self._mismatch(spec, seg, line.number)
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
        self.result.checks += 1
        self.now = max(self.now, sent_at)
        if when is None:
            self.last = sent_at  # after "*", relative times count from when it happened

    def _next_outbound(self, spec: PacketSpec) -> tuple[float, Segment]:
        """The model's next segment; several back to back where the script expects one longer packet.

        Linux hands a TSO/GSO super-packet of several MSS to the tun device packetdrill reads, which a
        network card would cut into segments; the model sends the segments themselves.  Segments sent
        at the same time, each following on from the last with the same ACK, are read as that one packet.
        """
        sent_at, seg = self.outbound.pop(0)
        if spec.start is None or len(seg.payload) >= spec.length or not seg.payload:
            return sent_at, seg
        merged = seg
        for taken, (at, nxt) in enumerate(self.outbound, 1):
            fits = len(merged.payload) + len(nxt.payload) <= spec.length
            same = (nxt.flags | Flags.PSH) == (merged.flags | Flags.PSH) and nxt.ack == merged.ack
            if not (fits and same and at == sent_at and nxt.seq == merged.seq + len(merged.payload)):
                break
            merged = replace(merged, payload=merged.payload + nxt.payload, flags=nxt.flags, window=nxt.window)
            if len(merged.payload) == spec.length:
                del self.outbound[:taken]
                return sent_at, merged
        return sent_at, seg

    def _mismatch(self, spec: PacketSpec, seg: Segment, number: int) -> str | None:
        if seg.flags != spec.flags:
            return f"the flags are {_letters(seg.flags)}, not {_letters(spec.flags)}"
        if spec.flags & Flags.SYN and (spec.start is None or spec.start == 0):
            self.local_isn = int(seg.seq)  # learn the ISN, as packetdrill does
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
            want = parse_options(spec.options or "", number)
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
    _CALL = re.compile(r"^(\w+)\((.*)\)\s*=\s*(-?[\w.]+)\s*(\w+)?.*$", re.DOTALL)

    def _syscall(self, line: Line) -> None:
        match = self._CALL.match(line.text)
        if match is None:
            raise ScriptError(f"line {line.number}: cannot read the system call {line.text[:60]!r}")
        name, args_text, ret_text, errno = match.groups()
        args = split_args(args_text)
        try:
            ret = int(ret_text, 0) if len(ret_text) < 20 else 0
        except ValueError:
            ret = 0
        expected = (ret, errno if ret == -1 else None)
        handler = getattr(_Calls, name, None) if not name.startswith("_") else None
        if handler is None:
            if name.startswith("epoll_"):
                raise NeedsFeature(Feature.EPOLL, f"line {line.number}: {name}() needs {Feature.EPOLL}")
            feature = f"the system call {name}()"
            raise NeedsFeature(feature, f"line {line.number}: needs {feature}, which the runner does not model")
        if args and args[0].isdigit():
            self.last_fd = int(args[0])
        got = handler(self, line, args, expected)
        if got is None:  # a blocking call that waits
            self._check_pending()
            return
        self._returned(line, name, got, expected, self.now)

    def _returned(self, line: Line, name: str, got: Return, expected: Return, start: float) -> None:
        """Compare a call's return, and when it returned with the range the script gives."""
        if got != expected:
            raise _Failed(
                line.number,
                f"line {line.number}: {name}() returned {_ret(got)}, but the script expects {_ret(expected)}",
            )
        if name not in _NO_CHECK_CALLS:
            self.result.checks += 1
        if line.end is None:
            return
        end = (start - (line.time or 0.0) if line.relative else 0.0) + line.end
        if abs(self.now - end) > self.tolerance:
            raise _Failed(
                line.number,
                f"line {line.number}: {name}() returned at t={self.now:.3f} s, but the script expects t={end:.3f} s",
            )

    def _wait(
        self,
        line: Line,
        call: str,
        expected: Return,
        ready: Callable[[], Return | None],
        deadline: float | None = None,
    ) -> None:
        self.pending.append(_Pending(line, call, expected, self.now, ready, deadline))

    def _check_pending(self) -> None:
        for call in list(self.pending):
            if call not in self.pending:
                continue
            got = call.ready()
            if got is None:
                continue
            self.pending.remove(call)
            self._returned(call.line, call.call, got, call.expected, call.start)

    def _sock(self, line: Line, fd_text: str) -> _Socket:
        fd = int(fd_text) if fd_text.lstrip("-").isdigit() and len(fd_text) < 10 else -1
        sock = self.sockets.get(fd)
        if sock is None or sock.closed:
            raise _Failed(line.number, f"line {line.number}: file descriptor {fd_text[:20]} is not an open socket")
        return sock

    def _new_fd(self, expected: Return) -> int:
        """The script's number for a new descriptor (packetdrill maps it to the kernel's), or the lowest free."""
        if expected[0] >= 3 and (expected[0] not in self.sockets or self.sockets[expected[0]].closed):
            return expected[0]
        fd = 3
        while fd in self.sockets and not self.sockets[fd].closed:
            fd += 1
        return fd

    def _configure(self, sock: _Socket, cfg: EndpointConfig) -> None:
        """New socket options: an unused socket gets a fresh connection built with them."""
        ep = sock.endpoint
        if sock.used:
            ep.config = cfg
            return
        fresh = Endpoint(ep.name, ep.addr, ep.port, LOCAL_ISN, cfg)
        fresh.explaining = False
        self.endpoints[self.endpoints.index(ep)] = fresh
        sock.endpoint = fresh

    def _receive(self, sock: _Socket, amount: int, flags: str) -> Return | None:
        """What a read returns now, or ``None`` if it would block."""
        ep = sock.endpoint
        waitall = "MSG_WAITALL" in flags
        ended = ep.eof or ep.state is State.CLOSED or sock.read_shut
        if ep.readable and (not waitall or ep.readable >= amount or ended):
            n = min(amount, ep.readable)
            if "MSG_PEEK" in flags:
                return n, None  # the data stays queued
            data = ep.receive(n, self.now)
            self._collect(self.now)
            return len(data), None
        if ep.state is State.CLOSED and ep.error is not None:
            error, ep.error = ep.error, None
            return -1, _SO_ERROR[error]
        if ep.state is State.CLOSED and ep.remote_port == 0 and not sock.listening:
            return -1, "ENOTCONN"
        if sock.listening:
            return -1, "ENOTCONN"
        if ended:
            return 0, None
        return None

    def _send(self, line: Line, sock: _Socket, amount: int, expected: Return) -> Return | None:
        if expected == (-1, "EFAULT"):
            raise NeedsFeature(Feature.EFAULT, f"line {line.number}: a bad buffer pointer needs {Feature.EFAULT}")
        ep = sock.endpoint
        if ep.state in (State.SYN_SENT, State.SYN_RECEIVED):  # wait for the connection (sk_stream_wait_connect)
            if sock.nonblocking:
                return -1, "EAGAIN"
            return None
        blocks = expected[1] in ("EAGAIN", "EWOULDBLOCK") or 0 <= expected[0] < amount or line.end is not None
        if blocks and ep.state in (State.ESTABLISHED, State.CLOSE_WAIT) and not sock.write_shut:
            raise NeedsFeature(
                Feature.SEND_BUFFER,
                f"line {line.number}: the script expects write() to block or to take part: needs {Feature.SEND_BUFFER}",
            )
        if ep.state is State.CLOSED and ep.error is not None:
            error, ep.error = ep.error, None
            return -1, _SO_ERROR[error]
        if ep.state is State.CLOSED and ep.remote_port == 0:
            return -1, "ENOTCONN"  # net/ipv4/tcp.c: tcp_sendmsg_locked, a socket never connected
        try:
            ep.send(b"y" * amount, self.now)
        except UserCallError:
            return -1, "EPIPE"
        self._collect(self.now)
        return amount, None

    def _tcp_info(self, ep: Endpoint) -> dict[str, int]:
        """The ``tcp_info`` fields the model has (struct tcp_info, include/uapi/linux/tcp.h)."""
        rto = ep.rto
        values = {
            "tcpi_state": _LINUX_STATE[ep.state],
            "tcpi_rto": round(rto.rto * 1e6),
            "tcpi_backoff": rto.backoff,
            "tcpi_snd_mss": ep.snd_mss,
            "tcpi_rtt": round((rto.srtt or 0.0) * 1e6),
            "tcpi_rttvar": round(rto.rttvar * 1e6),
        }
        if ep.state not in (State.CLOSED, State.LISTEN, State.SYN_SENT):
            # tp->advmss: our MSS option less the timestamps option once both sides use it (tcp_input.c)
            both = ep.config.timestamps and not ep.config.no_options and self.peer_timestamps.get(id(ep), False)
            values["tcpi_advmss"] = ep.adv_mss - (12 if both else 0)
        values.update({name: _LINUX_STATE[state] for name, state in _TCPI.items()})
        return values

    def _python(self, line: Line) -> None:
        try:
            asserts = tcpinfo.assertions(line.text)
        except tcpinfo.Unreadable:
            self._skip("python block")
            return
        if self.last_fd is None or self.last_fd not in self.sockets:
            raise _Failed(line.number, f"line {line.number}: no socket to ask for its tcp_info")
        sock = self.sockets[self.last_fd]
        ep = sock.endpoint
        if sock.listening and sock.children:
            ep = sock.children[-1]
        values = self._tcp_info(ep)
        for check in asserts:
            missing = sorted(tcpinfo.names(check.test) - values.keys() - tcpinfo.CONSTANTS.keys())
            if missing:
                feature = f"TCP_INFO {missing[0]}"
                raise NeedsFeature(feature, f"line {line.number}: asserts on {missing[0]}, which the model lacks")
            try:
                good = tcpinfo.holds(check.test, values)
            except tcpinfo.Unreadable:
                self._skip("python block")
                continue
            if not good:
                raise _Failed(line.number, f"line {line.number}: {self._assert_message(check, values, ep)}")
            self.result.checks += 1

    @staticmethod
    def _assert_message(check: tcpinfo.Assertion, values: dict[str, int], ep: Endpoint) -> str:
        state = re.fullmatch(r"tcpi_state == (TCPI_\w+)", check.text)
        if state is not None:
            return f"the connection is in {ep.state}, the script asserts {_TCPI[state.group(1)]}"
        shown = ", ".join(f"{n}={values[n]}" for n in sorted(tcpinfo.names(check.test)) if n.startswith("tcpi_"))
        return f"assert {check.text} does not hold ({shown})"


def _int_arg(text: str, line: Line, *, limit: int = MAX_CALL_BYTES) -> int:
    value = text.strip("[] ")
    if not value.isdigit() or len(value) > 12:
        return 0
    if int(value) > limit:
        raise ScriptError(f"line {line.number}: {value} bytes is beyond the runner's budget ({limit} per call)")
    return int(value)


def _iov_total(text: str, line: Line) -> int:
    """The bytes of a msghdr's iovecs: ``msg_iov(2)=[{..., 100}, {..., 200}]``."""
    return sum(_int_arg(n, line) for n in re.findall(r"\{\s*\.\.\.\s*,\s*(\d+)\s*\}", text))


_POLL_IN, _POLL_OUT = "POLLIN", "POLLOUT"


class _Calls:
    """The system calls, one function each: ``(runner, line, args, expected)`` -> return, or None to wait."""

    @staticmethod
    def socket(run: _Runner, line: Line, args: list[str], expected: Return) -> Return:
        if len(args) > 1 and "SOCK_DGRAM" in args[1]:
            raise NeedsFeature(Feature.UDP, f"line {line.number}: a UDP socket needs {Feature.UDP}")
        fd = run._new_fd(expected)
        ep = Endpoint(f"fd{fd}", run.local_addr, 0, LOCAL_ISN, run.config)
        ep.explaining = False
        run.sockets[fd] = _Socket(fd, ep, nonblocking=len(args) > 1 and "SOCK_NONBLOCK" in args[1])
        run.endpoints.append(ep)
        run.last_fd = fd
        return fd, None

    @staticmethod
    def fcntl(run: _Runner, line: Line, args: list[str], expected: Return) -> Return:
        sock = run._sock(line, args[0])
        if args[1] == "F_GETFL":
            return (0x02 | (0x800 if sock.nonblocking else 0)), None
        if args[1] == "F_SETFL":
            sock.nonblocking = "O_NONBLOCK" in args[2]
            return 0, None
        run._skip("fcntl")
        return expected

    @staticmethod
    def setsockopt(run: _Runner, line: Line, args: list[str], expected: Return) -> Return:
        sock = run._sock(line, args[0])
        option = args[2]
        value = _int_arg(args[3], line, limit=1 << 31) if len(args) > 3 else 0
        cfg = sock.endpoint.config
        if option in _OPTION_FEATURES:
            feature = _OPTION_FEATURES[option]
            raise NeedsFeature(feature, f"line {line.number}: setsockopt {option} needs {feature}")
        if option in _ENVIRONMENT_OPTIONS or option == "TCP_NODELAY":  # the model never delays a small segment
            run._count_environment(f"setsockopt {option}")
            return 0, None
        changes = _OPTION_SETTINGS[option](value) if option in _OPTION_SETTINGS else {}
        if not changes:
            wanted = f"the socket option {option}"
            raise NeedsFeature(wanted, f"line {line.number}: setsockopt {option} needs {wanted}")
        try:
            new = replace(cfg, **changes)
        except ScenarioError as exc:
            raise NeedsFeature(f"{option} of {value} ({exc})") from None
        run._configure(sock, new)
        if option == "SO_RCVBUF":
            sock.endpoint.recv_buffer = value
        return 0, None

    @staticmethod
    def getsockopt(run: _Runner, line: Line, args: list[str], expected: Return) -> Return:
        sock = run._sock(line, args[0])
        option, want = args[2], args[3].strip("[]")
        ep = sock.endpoint
        if option == "SO_ERROR":
            error = ep.error
            got = "0" if error is None else _SO_ERROR[error]
            ep.error = None  # reading SO_ERROR clears it
        elif option == "SO_RCVBUF":
            got = str(ep.recv_buffer)
        elif option == "TCP_MAXSEG":  # net/ipv4/tcp.c do_tcp_getsockopt: mss_cache, or user_mss before a connection
            connected = ep.state not in (State.CLOSED, State.LISTEN, State.SYN_SENT)
            got = str(ep.snd_mss if connected else (ep.config.mss or 536))
        elif option in _OPTION_FEATURES or option == "SO_SNDBUF":
            feature = Feature.SEND_BUFFER if option == "SO_SNDBUF" else _OPTION_FEATURES[option]
            raise NeedsFeature(feature, f"line {line.number}: getsockopt {option} needs {feature}")
        else:
            wanted = f"the socket option {option}"
            raise NeedsFeature(wanted, f"line {line.number}: getsockopt {option} needs {wanted}")
        if got != want:
            raise _Failed(line.number, f"line {line.number}: {option} is {got}, but the script expects {want}")
        return expected

    @staticmethod
    def ioctl(run: _Runner, line: Line, args: list[str], expected: Return) -> Return:
        sock = run._sock(line, args[0])
        request, want = args[1], args[2].strip("[]") if len(args) > 2 else ""
        ep = sock.endpoint
        if request in ("SIOCINQ", "FIONREAD"):
            if sock.listening:
                return -1, "EINVAL"
            got = ep.readable
        elif request in ("SIOCOUTQ", "TIOCOUTQ"):  # bytes not yet acknowledged, sent or not (tcp_ioctl)
            in_flight = ep.snd_nxt.since(int(ep.snd_una))
            in_flight -= (1 if ep.state is State.SYN_SENT else 0) + (1 if ep.fin_sent and not ep.fin_acked else 0)
            got = max(in_flight, 0) + ep.unsent
        elif request == "SIOCOUTQNSD":
            got = ep.unsent
        else:
            wanted = f"the ioctl {request}"
            raise NeedsFeature(wanted, f"line {line.number}: needs {wanted}")
        if str(got) != want:
            raise _Failed(line.number, f"line {line.number}: {request} is {got}, but the script expects {want}")
        return expected

    @staticmethod
    def bind(run: _Runner, line: Line, args: list[str], expected: Return) -> Return:
        sock = run._sock(line, args[0])
        sock.endpoint.port = LOCAL_PORT
        sock.bound = True
        return 0, None

    @staticmethod
    def listen(run: _Runner, line: Line, args: list[str], expected: Return) -> Return:
        sock = run._sock(line, args[0])
        if sock.listening:
            return 0, None
        if sock.endpoint.port == 0:
            sock.endpoint.port = LOCAL_PORT
        sock.endpoint.listen(run.now)
        sock.endpoint.drain()
        sock.listening = sock.used = True
        return 0, None

    @staticmethod
    def accept(run: _Runner, line: Line, args: list[str], expected: Return) -> Return | None:
        sock = run._sock(line, args[0])

        def ready() -> Return | None:
            if not sock.backlog:
                return None
            child = sock.backlog.pop(0)
            fd = run._new_fd(expected)
            run.sockets[fd] = _Socket(fd, child, used=True)
            run.last_fd = fd
            return fd, None

        got = ready()
        if got is not None:
            return got
        if sock.nonblocking:
            return -1, "EAGAIN" if expected[1] == "EAGAIN" else "EWOULDBLOCK"
        run._wait(line, "accept", expected, ready)
        return None

    accept4 = accept

    @staticmethod
    def connect(run: _Runner, line: Line, args: list[str], expected: Return) -> Return | None:
        sock = run._sock(line, args[0])
        ep = sock.endpoint
        if ep.state is State.SYN_SENT:
            return -1, "EALREADY"
        if ep.state is not State.CLOSED or sock.used:
            return -1, "EISCONN"
        ep.port = LOCAL_PORT  # the script's packets are addressed to it, bound or not
        ep.connect(run.remote_addr, REMOTE_PORT, run.now)
        sock.used = True
        run._collect(run.now)
        if sock.nonblocking:
            return -1, "EINPROGRESS"

        def ready() -> Return | None:
            if ep.state in (State.ESTABLISHED, State.CLOSE_WAIT):
                return 0, None
            if ep.state is State.CLOSED:
                error, ep.error = ep.error, None
                return -1, "ECONNREFUSED" if error is None else _CONNECT_ERROR[error]
            return None

        run._wait(line, "connect", expected, ready)
        return None

    @staticmethod
    def read(run: _Runner, line: Line, args: list[str], expected: Return, flags: str = "") -> Return | None:
        sock = run._sock(line, args[0])
        amount = _int_arg(args[2], line) if len(args) > 2 else 0

        def ready() -> Return | None:
            return run._receive(sock, amount, flags)

        got = ready()
        if got is not None:
            return got
        if sock.nonblocking or "MSG_DONTWAIT" in flags:
            return -1, "EAGAIN" if expected[1] == "EAGAIN" else "EWOULDBLOCK"
        run._wait(line, line.text.partition("(")[0].strip(), expected, ready)
        return None

    @staticmethod
    def recv(run: _Runner, line: Line, args: list[str], expected: Return) -> Return | None:
        return _Calls.read(run, line, args, expected, args[3] if len(args) > 3 else "")

    recvfrom = recv

    @staticmethod
    def recvmsg(run: _Runner, line: Line, args: list[str], expected: Return) -> Return | None:
        flags = args[2] if len(args) > 2 else ""
        if "msg_control" in args[1] or "MSG_ERRQUEUE" in flags:
            raise NeedsFeature(Feature.CMSG, f"line {line.number}: recvmsg with control messages needs {Feature.CMSG}")
        total = _iov_total(args[1], line)
        return _Calls.read(run, line, [args[0], "...", str(total)], expected, flags)

    @staticmethod
    def write(run: _Runner, line: Line, args: list[str], expected: Return, flags: str = "") -> Return | None:
        sock = run._sock(line, args[0])
        for flag, feature in _SEND_FLAG_FEATURES.items():
            if flag in flags:
                raise NeedsFeature(feature, f"line {line.number}: {flag} needs {feature}")
        amount = _int_arg(args[2], line) if len(args) > 2 else 0
        if sock.write_shut:
            return -1, "EPIPE"
        got = run._send(line, sock, amount, expected)
        if got is not None:
            return got

        def ready() -> Return | None:
            if sock.endpoint.state is State.SYN_SENT or sock.endpoint.state is State.SYN_RECEIVED:
                return None
            return run._send(line, sock, amount, expected)

        run._wait(line, "write", expected, ready)
        return None

    @staticmethod
    def send(run: _Runner, line: Line, args: list[str], expected: Return) -> Return | None:
        return _Calls.write(run, line, args, expected, args[3] if len(args) > 3 else "")

    @staticmethod
    def sendto(run: _Runner, line: Line, args: list[str], expected: Return) -> Return | None:
        return _Calls.write(run, line, args, expected, args[3] if len(args) > 3 else "")

    @staticmethod
    def sendmsg(run: _Runner, line: Line, args: list[str], expected: Return) -> Return | None:
        total = _iov_total(args[1], line) if len(args) > 1 else 0
        return _Calls.write(run, line, [args[0], "...", str(total)], expected, args[2] if len(args) > 2 else "")

    @staticmethod
    def shutdown(run: _Runner, line: Line, args: list[str], expected: Return) -> Return:
        sock = run._sock(line, args[0])
        how, ep = args[1], sock.endpoint
        if (ep.state is State.CLOSED and ep.remote_port == 0) or ep.state is State.SYN_SENT:
            return -1, "ENOTCONN"
        if how in ("SHUT_RD", "SHUT_RDWR"):
            sock.read_shut = True
        if how in ("SHUT_WR", "SHUT_RDWR") and not sock.write_shut:
            sock.write_shut = True
            with contextlib.suppress(UserCallError):
                ep.close(run.now)
        run._collect(run.now)
        return 0, None

    @staticmethod
    def close(run: _Runner, line: Line, args: list[str], expected: Return) -> Return:
        sock = run._sock(line, args[0])
        sock.closed = True
        ep = sock.endpoint
        if sock.listening:
            for child in sock.children + sock.backlog:
                _abort_unaccepted(run, child)
            if ep.state is State.LISTEN:
                ep.close(run.now)
        elif ep.state is not State.CLOSED:
            ep.close(run.now, read_too=True)  # in the closing states this only stops reading
        run._collect(run.now)
        return 0, None

    @staticmethod
    def poll(run: _Runner, line: Line, args: list[str], expected: Return) -> Return | None:
        entries = re.findall(r"\{([^{}]*)\}", args[0])
        timeout = int(args[2]) if len(args) > 2 and args[2].lstrip("-").isdigit() and len(args[2]) < 10 else -1
        wanted = [dict(re.findall(r"(\w+)\s*=\s*([\w|\s]+?)\s*(?:,|$)", entry)) for entry in entries]
        socks = [run._sock(line, w.get("fd", "-1")) for w in wanted]

        def ready() -> Return | None:
            events = [_revents(s, w.get("events", "")) for s, w in zip(socks, wanted, strict=True)]
            count = sum(1 for e in events if e)
            if count == 0 and (timeout < 0 or run.now < start + timeout / 1000):
                return None
            for w, got in zip(wanted, events, strict=True):
                want = {f.strip() for f in w.get("revents", "0").split("|")} - {"0"}
                if "revents" in w and got != want:
                    raise _Failed(
                        line.number,
                        f"line {line.number}: poll() revents are {'|'.join(sorted(got)) or '0'}, "
                        f"but the script expects {w['revents']}",
                    )
            return count, None

        start = run.now
        got = ready()
        if got is not None:
            return got
        run._wait(line, "poll", expected, ready, start + timeout / 1000 if timeout >= 0 else None)
        return None


def _revents(sock: _Socket, events: str) -> set[str]:
    """poll()'s answer for one socket (net/ipv4/tcp.c: tcp_poll)."""
    ep = sock.endpoint
    got: set[str] = set()
    synchronized = ep.state not in (State.CLOSED, State.LISTEN, State.SYN_SENT, State.SYN_RECEIVED)
    if ep.readable or ep.eof or sock.read_shut or (sock.listening and sock.backlog):
        got.add(_POLL_IN)
    if (synchronized and ep.state not in (State.CLOSED,)) or sock.write_shut:
        got.add(_POLL_OUT)
    if ep.eof or sock.read_shut:
        got.add("POLLRDHUP")
    if ep.error is not None:
        got.add("POLLERR")
    if (ep.state is State.CLOSED and ep.remote_port != 0) or (sock.read_shut and sock.write_shut):
        got.add("POLLHUP")
    asked = {f.strip() for f in events.split("|")}
    return {e for e in got if e in asked or e in ("POLLERR", "POLLHUP")}


def _abort_unaccepted(run: _Runner, ep: Endpoint) -> None:
    """Closing a listening socket drops the connections nobody accepted."""
    if ep.state is State.SYN_RECEIVED:
        ep.crash(run.now)  # an embryonic connection is forgotten silently
    elif ep.state is not State.CLOSED:
        ep.abort(run.now)


def _line_of(message: str) -> int | None:
    """The line an error message names ("line 12: ..."), if it names one."""
    match = re.match(r"line (\d+)", message)
    return int(match.group(1)) if match is not None else None


def _letters(flags: Flags) -> str:
    text = "".join(letter for letter, bit in FLAG_LETTERS.items() if flags & bit and letter != ".")
    return text + "." if flags & Flags.ACK else text or "(none)"


def _ret(value: Return) -> str:
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
    """Counts of each outcome per directory (relative to their common folder), in order."""
    table: dict[str, dict[str, int]] = {}
    parents = [Path(r.path).parent for r in results]
    root = Path(os.path.commonpath(parents)) if parents else Path()
    if len(set(parents)) > 1 and root in parents:
        root = root.parent
    for r in results:
        folder = str(Path(r.path).parent)
        with contextlib.suppress(ValueError):
            folder = str(Path(r.path).parent.relative_to(root.parent if len(set(parents)) == 1 else root))
        row = table.setdefault(folder, {str(outcome): 0 for outcome in Outcome})
        row[str(r.status)] += 1
    return sorted(table.items())


_ = TcpsimError  # re-exported errors keep their module
