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
from ..model.errors import ScenarioError, UserCallError
from ..model.profiles import DEFAULT_PROFILE, Profile, profile
from ..model.segment import Ecn, FastOpen, Flags, Options, Segment
from ..model.seq import SeqNum
from ..model.sockets import rules_for
from ..model.states import State
from . import syscalls, sysctls, tcpinfo
from .host import LOCAL_PORT, REMOTE_PORT, TCPI, Host, Return
from .script import (
    FLAG_LETTERS,
    Failed,
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

# the host's address and the script's: packetdrill's own defaults for IPv4 (--local_ip, --remote_ip), which
# Linux's Fast Open cookies are made from
ADDRESSES = {"ipv4": ("192.168.0.1", "192.0.2.1"), "ipv6": ("2001:db8::1", "2001:db8::2")}
REMOTE_ISN = 1_000_000  # where the script's relative sequence numbers start
NEW_DESCRIPTOR_CALLS = frozenset({"socket", "accept", "accept4", "epoll_create", "epoll_create1"})
MAX_EVENTS = 100_000  # model events (timer expiries, segments sent) one script may cause: past it, a runaway
MAX_EVENTS_AT_ONCE = 10_000  # events at one instant of virtual time: past it, the model is not getting anywhere
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
# the script options the runner applies
_READ_OPTIONS = frozenset({"ip_version", "tolerance_usecs", "mtu", "local_ip", "remote_ip"})


class Outcome(enum.StrEnum):
    """How one script ended."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"  # the script cannot be read, or ran away
    NEEDS_FEATURE = "needs-feature"  # it needs something the model does not have, named in ``feature``
    VACUOUS = "vacuous"  # it passed, but not one of its checks could be performed


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


def _tolerance(script: Script, options: RunOptions) -> float:
    """Seconds a packet may come early or late: the option given, else the script's, else 4 ms."""
    if options.tolerance_usecs is not None:
        return options.tolerance_usecs / 1e6
    written = script.options.get("tolerance_usecs", "4000")
    if not (written.isdigit() and len(written) < 10):
        raise ScriptError(
            f"line {script.option_lines.get('tolerance_usecs', 0)}: --tolerance_usecs={written[:20]} "
            "is not a whole number of microseconds"
        )
    return int(written) / 1e6


PACKETDRILL_TICK = 0.001


def _config(script: Script, prof: Profile) -> EndpointConfig:
    """The profile's settings as the script's options change them."""
    # The script is the application: it reads only with read() lines, so unread data fills the buffer.
    config = replace(prof.config, auto_read=False)
    if config.timer_tick is not None:  # Google's scripts are timed on kernels with CONFIG_HZ=1000: 1 ms jiffies
        config = replace(config, timer_tick=PACKETDRILL_TICK)
    if "mtu" in script.options:
        try:
            config = replace(config, mtu=int(script.options["mtu"][:8]))
        except (ValueError, ScenarioError) as exc:
            where = f"line {script.option_lines.get('mtu', 0)}"
            raise ScriptError(f"{where}: --mtu={script.options['mtu'][:20]}: {exc}") from None
    return config


# packetdrill's names for the IP header's ECN field (RFC 3168 5); ect01: either ECT codepoint
_CODEPOINTS = {
    "noecn": (Ecn.NOT_ECT,),
    "ect0": (Ecn.ECT0,),
    "ect1": (Ecn.ECT1,),
    "ect01": (Ecn.ECT0, Ecn.ECT1),
    "ce": (Ecn.CE,),
}


def _codepoints(ip: str) -> tuple[Ecn, ...] | None:
    """The ECN codepoints an IP annotation such as ``[ect0]`` allows; None: it says something else."""
    return _CODEPOINTS.get(ip.strip().lower())


def _expects_packet(line: Line) -> bool:
    """An outbound packet line (``> ...``), where packetdrill compares what the host sent."""
    return line.kind == LineKind.PACKET and line.text.lstrip().startswith(">")


def _new_socket(line: Line) -> bool:
    """A socket() call: the socket it makes is the one under test from then on (run_syscall_socket)."""
    return line.kind == LineKind.SYSCALL and line.text.lstrip().startswith("socket(")


def _read_by_a_new_socket(lines: tuple[Line, ...]) -> frozenset[int]:
    """The lines after which packetdrill next reads the host's packets only once a socket() call has made a new
    socket under test: what was sent before then, by a socket no longer under test, it passes over unread."""
    marked: set[int] = set()
    new_socket_first = False
    for line in reversed(lines):
        if _expects_packet(line):
            new_socket_first = False
        elif _new_socket(line):
            new_socket_first = True
        if new_socket_first:
            marked.add(line.number)
    return frozenset(marked)


class _Runner:
    """Drives the host through a script's lines in virtual time, and judges what comes out."""

    def __init__(self, script: Script, prof: Profile, options: RunOptions) -> None:
        self.script = script
        self.options = options
        self.tolerance = _tolerance(script, options)
        config = _config(script, prof)
        version = script.options.get("ip_version", "ipv4")
        if version not in ADDRESSES:
            raise ScriptError(
                f"line {script.option_lines.get('ip_version', 0)}: --ip_version={version[:20]} is not ipv4 or ipv6"
            )
        self.base = config  # the profile's settings, before any sysctl
        local, remote = ADDRESSES[version]
        local, remote = script.options.get("local_ip", local), script.options.get("remote_ip", remote)
        self.host = Host(local, remote, config, rules_for(prof.name))
        self.now = 0.0
        self.last = 0.0  # time of the previous line, for relative times
        self.outbound: list[tuple[float, Segment]] = []
        self.local_drop = False  # a qdisc that drops every packet: nothing the model sends reaches the tun
        self.pending: list[_Pending] = []
        self.last_fd: int | None = None
        self._fds: dict[int, int] = {}  # the script's number for a descriptor -> the model's, where they differ
        self.local_isn = 0  # learnt from the model's SYN, as packetdrill does
        self.script_local_isn = 0  # the number the script writes on that SYN (socket->script.local_isn)
        self.remote_isn = REMOTE_ISN  # moved by an injected SYN,ACK's own number (S. 123:123 then 1:501: 124:624)
        self._numbered = True  # the script's side has its ISN (packetdrill's socket->live.remote_isn); a listen()
        # leaves it to the first SYN that listener gets
        self.remote_port = REMOTE_PORT  # the script side's port; each listener's first packet comes from a new one
        self._ts_vals: dict[int, int] = {}  # the script's TS val -> the host's, as the ">" lines matched them
        self._first_ts: tuple[int, int] | None = None  # the first such pair
        self._syn_unanswered = False  # the host's SYN was read and no SYN,ACK sent yet (SOCKET_ACTIVE_SYN_SENT),
        # though the connection may have left SYN-SENT (a simultaneous open's SYN)
        self._listeners_served = 0
        self.result = Result(script.path, Outcome.PASS)
        self.events = 0
        self.instant, self.events_at_instant = 0.0, 0  # events without time moving on: a loop
        self.line: Line | None = None  # the line being run, for an error's line number
        self._last_expected = max((x.number for x in script.lines if _expects_packet(x)), default=0)
        self._unread_after = _read_by_a_new_socket(script.lines)
        for name in sorted(set(script.options) - _READ_OPTIONS):  # addresses, TSO and timestamp clocks
            self.count_environment(f"option --{name[:40]}")

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
        except Failed as failure:
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

    def skip(self, what: str) -> None:
        """A line whose check the model cannot perform: counted, not failed."""
        self.result.skipped += 1
        self.result.skipped_kinds[what] = self.result.skipped_kinds.get(what, 0) + 1

    def count_environment(self, what: str) -> None:
        """Something of the real machine the model has nothing for: counted, not failed."""
        self.result.environment[what] = self.result.environment.get(what, 0) + 1

    def _advance(self, to: float, line: Line) -> None:
        """Run the model's timers up to ``to``; a segment sent long before then was not expected."""
        self._run_timers(to)
        self.now = max(self.now, to)
        if line.number > self._last_expected or line.number in self._unread_after:
            return  # packetdrill reads what was sent only at a ">" line: with none left, it is never compared
            # (nor when a new socket under test comes first: see _syscall)
        for sent_at, seg in self.outbound:  # packetdrill compares it with the next ">" line: one too old fails
            if sent_at < to - self.tolerance:
                raise Failed(
                    line.number,
                    f"line {line.number}: before this line the model sent {self._describe(seg)} at "
                    f"t={sent_at:.3f} s, which the script does not expect",
                )
        self._check_pending()

    def _run_timers(self, to: float) -> None:
        """Fire the model's timers, and the time-outs of blocked calls, in time order up to ``to``."""
        while True:
            due = self.host.next_timer(to)
            timeouts = [call.deadline for call in self.pending if call.deadline is not None and call.deadline <= to]
            if timeouts and (due is None or min(timeouts) < due[0]):
                self._event()
                self.now = max(self.now, min(timeouts))
                self._check_pending()
                continue
            if due is None:
                return
            t, ep = due
            self._event()
            self.now = max(self.now, t)
            ep.on_timer(t)
            self._collect(t)
            self._check_pending()

    def _event(self) -> None:
        self.events += 1
        if self.events > MAX_EVENTS:
            raise _Runaway(
                f"a runaway: more than {MAX_EVENTS} model events (timer expiries, segments) by t={self.now:.3f} s"
            )
        if self.now != self.instant:
            self.instant, self.events_at_instant = self.now, 0
        self.events_at_instant += 1
        if self.events_at_instant > MAX_EVENTS_AT_ONCE:
            raise _Runaway(f"no progress: more than {MAX_EVENTS_AT_ONCE} model events at t={self.now:.3f} s")

    def _collect(self, t: float) -> None:
        for seg in self.host.sent():
            self._event()
            if not self.local_drop:
                self.outbound.append((t, seg))

    def _finish(self) -> None:
        """A blocking call still waiting after the last line returns when the model lets it."""
        while self.pending:
            deadlines = [t for ep in self.host.endpoints if (t := ep.next_timer()) is not None]
            deadlines += [call.deadline for call in self.pending if call.deadline is not None]
            if not deadlines:
                call = self.pending[0]
                raise Failed(call.line.number, f"line {call.line.number}: {call.call}() never returned")
            self._run_timers(min(deadlines))

    # ------------------------------------------------------- environment
    _SOCKSTAT_COUNT = re.compile(r"grep -c (\w+) \| grep (\d+)`$")
    _DROP_ALL = re.compile(r"tc qdisc add dev tun0 root pfifo limit 0\b")

    def _environment(self, command: str | None, line: Line | None, number: int = 0) -> bool:
        """Read the sysctls of a shell command: settings where the model has them, else environment."""
        if command is None:
            return False
        base_dir = Path(self.script.path).parent
        found = False
        if "tcp_metrics flush" in command:  # the Fast Open cookie cache is emptied (tcp_metrics.c)
            self.host.fastopen_cache.clear()
        for name, value in sysctls.assignments(command, base_dir):
            found = True
            try:
                cfg = sysctls.apply(self.host.config, name, value, self.base)
            except sysctls.SysctlError as exc:
                where = f"line {line.number if line is not None else number}: "
                raise ScriptError(f"{where}sysctl {name}={value[:30]}: {exc}") from None
            if cfg is None:
                self.count_environment(f"sysctl {name}")
            else:
                self.host.config = cfg
                self.result.settings[name] = value.strip().strip('"')[:40]
        if line is None:
            self.count_environment("init or cleanup command")
        return found

    def _shell(self, line: Line) -> None:
        text = line.text.strip()
        stat = self._SOCKSTAT_COUNT.search(text)
        if text.startswith("`sockstat") and stat is not None and stat.group(1) in _SOCKSTAT:
            state, want = _SOCKSTAT[stat.group(1)], int(stat.group(2))
            count = self.host.count_in(state)
            self.result.checks += 1
            if count != want:
                raise Failed(
                    line.number,
                    f"line {line.number}: {count} connection(s) of the model are in {state}, the script expects {want}",
                )
            return
        if text == "`tcpdrop -s TIME_WAIT`":
            self.host.drop_time_wait(self.now)
            return
        if self._DROP_ALL.search(text):  # the host's own queue drops all: TCP sees its transmits fail
            self.local_drop = True
            for ep in self.host.endpoints:
                ep.local_congestion = True
            return
        if not self._environment(text, line):
            self.skip("shell command")

    # ------------------------------------------------------------- packets
    def _inject(self, spec: PacketSpec, line: Line) -> None:
        if spec.start is None:
            raise ScriptError(f"line {line.number}: an injected packet needs its sequence numbers")
        ecn = self._inbound_ip(spec)
        # packetdrill maps an inbound ACK field from the script's numbering even when it is not written
        # (run_packet.c, map_inbound_packet): "." without "ack N" acknowledges the ISN itself
        acks = spec.ack is not None or spec.flags & Flags.ACK
        ack = SeqNum(self._local(spec.ack or 0, spec.flags)) if acks else SeqNum(0)
        opts = parse_options(spec.options, line.number) if spec.options not in (None, "...") else Options()
        if opts.timestamps is not None and acks and opts.timestamps[1]:  # the echo reply, in the host's clock
            opts = replace(opts, timestamps=(opts.timestamps[0], self._live_ecr(opts.timestamps[1])))
        if opts.sack_blocks:  # SACK blocks count from the model's ISN too (map_inbound_sack_option)
            isn = self.local_isn
            opts = replace(
                opts, sack_blocks=tuple((SeqNum(isn + int(a)), SeqNum(isn + int(b))) for a, b in opts.sack_blocks)
            )
        # A SYN's sequence number is taken as written; the script's side numbers its other packets from its ISN
        # (socket.h, remote_seq_script_to_live_offset): the number of the SYN,ACK to a connect() under way, or
        # of the first packet to a listener, which makes the socket under test (handle_listen_for_script_packet).
        syn = bool(spec.flags & Flags.SYN)
        if not self._numbered:  # a new socket under test, from a new port (run_packet.c next_ephemeral_port)
            self.remote_port = REMOTE_PORT + self._listeners_served
            self._listeners_served += 1
        if not self._numbered or (syn and spec.flags & Flags.ACK and (self._connecting() or self._syn_unanswered)):
            self.remote_isn = REMOTE_ISN + spec.start
            self._numbered = True
            self._syn_unanswered = False
        seg = Segment(
            self.remote_port,
            LOCAL_PORT,
            SeqNum(REMOTE_ISN + spec.start if syn else self.remote_isn + spec.start),
            ack,
            spec.flags,
            spec.window if spec.window is not None else 65535,
            opts,
            b"x" * spec.length,
            self.host.remote_addr,
            self.host.local_addr,
            ecn=ecn,
        )
        if not self.host.deliver(seg, self.now):
            return
        self._event()
        self._collect(self.now)
        self._check_pending()

    def _connecting(self) -> bool:
        return any(ep.state is State.SYN_SENT for ep in self.host.endpoints)

    def _inbound_ip(self, spec: PacketSpec) -> Ecn:
        """IP-level fields of an injected packet: its ECN field (RFC 3168 5); the others a TCP does not read."""
        if spec.ip is None:
            return Ecn.NOT_ECT
        marks = _codepoints(spec.ip)
        if marks is None:
            self.skip("IP field of an injected packet")
            return Ecn.NOT_ECT
        return marks[0]

    def _expect(self, spec: PacketSpec, line: Line, when: float | None) -> None:
        if spec.ip is not None and _codepoints(spec.ip) is None:
            raise NeedsFeature(Feature.IP_FIELDS, f"line {line.number}: checking [{spec.ip}] needs {Feature.IP_FIELDS}")
        if when is None:  # "*": whenever the model next sends something
            while not self.outbound:
                pending = [t for ep in self.host.endpoints if (t := ep.next_timer()) is not None]
                if not pending:
                    break
                self._run_timers(min(pending))
        else:  # packetdrill takes a packet already sent at once; it waits up to the tolerance for one not yet sent
            self._run_timers(when)
            if not self.outbound:
                self._run_timers(when + self.tolerance)
        if not self.outbound:
            at = f"at t={when:.3f} s" if when is not None else "now"
            raise Failed(
                line.number,
                f"line {line.number}: expected the model to send {line.text[1:].strip()} {at}, but it sent nothing",
            )
        sent_at, seg = self._next_outbound(spec)
        problem = self._mismatch(spec, seg, line.number)
        if problem is not None:
            raise Failed(
                line.number,
                f"line {line.number}: expected {line.text[1:].strip()}, but the model sent {self._describe(seg)}: "
                f"{problem}",
            )
        if when is not None and abs(sent_at - when) > self.tolerance:
            raise Failed(
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
        Only the last may add FIN (and PSH): the FIN Linux joins to the last skb queued (tcp_send_fin) goes
        out on the last segment cut from its frame, as GSO cuts it (tcp_gso_segment).
        """
        sent_at, seg = self.outbound.pop(0)
        if spec.start is None or len(seg.payload) >= spec.length or not seg.payload:
            return sent_at, seg
        merged = seg
        for taken, (at, nxt) in enumerate(self.outbound, 1):
            fits = len(merged.payload) + len(nxt.payload) <= spec.length
            last_only = Flags.PSH | Flags.FIN
            same = nxt.flags & ~last_only == merged.flags & ~last_only and nxt.ack == merged.ack
            same = same and not merged.flags & Flags.FIN
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
        marks = _codepoints(spec.ip) if spec.ip is not None else None
        if marks is not None and seg.ecn not in marks:
            return f"its ECN field is {seg.ecn.name}, not [{spec.ip}]"
        if spec.flags & Flags.SYN:  # learn the ISN, and the number the script gives it, as packetdrill does
            self.local_isn, self.script_local_isn = int(seg.seq), spec.start or 0
            self._syn_unanswered = self._syn_unanswered or not spec.flags & Flags.ACK
        if spec.start is not None:
            rel = self._script_seq(seg)
            if rel != spec.start:
                return f"its sequence number is {rel}, not {spec.start}"
        if len(seg.payload) != spec.length:
            return f"it carries {len(seg.payload)} bytes, not {spec.length}"
        if spec.ack is not None:
            rel_ack = self._script_ack(seg)
            if rel_ack != spec.ack:
                return f"it acknowledges {rel_ack}, not {spec.ack}"
        if spec.options not in (None, "..."):  # the Fast Open option is always compared (RFC 7413)
            want_fo, got_fo = parse_options(spec.options or "", number).fastopen, seg.options.fastopen
            if want_fo != got_fo:
                return f"its Fast Open option is {_fast_open(got_fo)}, not {_fast_open(want_fo)}"
        if self.options.compare_window and spec.window is not None and seg.window != spec.window:
            return f"its window is {seg.window}, not {spec.window}"
        self._map_ts_val(spec, seg, number)
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

    def _map_ts_val(self, spec: PacketSpec, seg: Segment, number: int) -> None:
        """Remember the host's TS val for the one the script writes (run_packet.c, set_outbound_ts_val_mapping):
        an injected packet's echo reply is mapped back to it."""
        if spec.options in (None, "...") or "TS val" not in (spec.options or "") or seg.options.timestamps is None:
            return
        want = parse_options(spec.options or "", number).timestamps
        if want is not None:
            self._ts_vals.setdefault(want[0], seg.options.timestamps[0])
            if self._first_ts is None:
                self._first_ts = (want[0], seg.options.timestamps[0])

    def _live_ecr(self, ecr: int) -> int:
        """An injected packet's TS echo reply in the host's clock: the TS val the script's value stands for, or
        one as far from the first TS val the host sent as the script's is from the script's first
        (map_inbound_packet; packetdrill's tcp_ts_ecr_scaled); as written before any."""
        if ecr in self._ts_vals:
            return self._ts_vals[ecr]
        if self._first_ts is None:
            return ecr
        return (ecr - self._first_ts[0] + self._first_ts[1]) & 0xFFFFFFFF

    def _describe(self, seg: Segment) -> str:
        seq = self._script_seq(seg)
        text = f"{_letters(seg.flags)} {seq}:{seq + len(seg.payload)}({len(seg.payload)})"
        if seg.flags & Flags.ACK:
            text += f" ack {self._script_ack(seg)}"
        return f"{text} win {seg.window} ({seg.flags.names})"

    def _script_seq(self, seg: Segment) -> int:
        """The model's sequence number as the script writes it: a SYN's as the script numbered it, any other
        from the model's ISN (socket.h, local_seq_live_to_script_offset)."""
        return seg.seq.since(self.local_isn) + (self.script_local_isn if seg.flags & Flags.SYN else 0)

    def _local(self, written: int, flags: Flags) -> int:
        """A number the script writes for the model's side (an ACK field) as the model's own: from its ISN, or
        on a SYN as the script numbered the model's SYN (local_seq_script_to_live_offset)."""
        return self.local_isn + written - (self.script_local_isn if flags & Flags.SYN else 0)

    def _script_ack(self, seg: Segment) -> int:
        """The ACK field as the script writes it: a SYN's as the script's side numbered its own SYN, any other
        from that side's ISN (socket.h, remote_seq_live_to_script_offset: no offset for a SYN)."""
        return seg.ack.since(REMOTE_ISN if seg.flags & Flags.SYN else self.remote_isn)

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
        call = syscalls.lookup(name)
        if call is None:
            feature = f"the system call {name}()"
            raise NeedsFeature(feature, f"line {line.number}: needs {feature}, which the runner does not model")
        if args and args[0].isdigit() and len(args[0]) < 10:  # the script's descriptor, as the model numbered it
            args[0] = str(self._fds.get(int(args[0]), int(args[0])))
        if args and args[0].isdigit() and int(args[0]) not in self.host.epolls:
            self.last_fd = int(args[0])
        got = call(self, line, args, expected)
        if name in NEW_DESCRIPTOR_CALLS and got is not None and got[0] >= 0 and expected[0] >= 0:
            self._fds[expected[0]] = got[0]  # packetdrill maps a script's descriptor to the live one (script_fd)
            got = (expected[0], got[1])
        if name == "listen" and got is not None and got[0] == 0:  # the listener is now the socket under test
            self._numbered = False
        if name == "socket" and got is not None and got[0] >= 0:  # a new socket under test: what the others
            self.outbound.clear()  # sent, packetdrill's sniffer drops unread (and Host.sent from now on)
            self._ts_vals.clear()  # (and its TS val mapping is its own: socket->ts_val_map)
            self._first_ts = None
        self._collect(self.now)
        if got is None:  # a blocking call that waits
            self._check_pending()
            return
        self._returned(line, name, got, expected, self.now)

    def _returned(self, line: Line, name: str, got: Return, expected: Return, start: float) -> None:
        """Compare a call's return, and when it returned with the range the script gives."""
        if got != expected and not (expected == (-1, None) and got[0] == -1):  # -1 without errno: any errno
            raise Failed(
                line.number,
                f"line {line.number}: {name}() returned {_ret(got)}, but the script expects {_ret(expected)}",
            )
        if name not in syscalls.NO_CHECK_CALLS:
            self.result.checks += 1
        if line.end is None:
            return
        end = (start - (line.time or 0.0) if line.relative else 0.0) + line.end
        if abs(self.now - end) > self.tolerance:
            raise Failed(
                line.number,
                f"line {line.number}: {name}() returned at t={self.now:.3f} s, but the script expects t={end:.3f} s",
            )

    def wait(
        self,
        line: Line,
        call: str,
        expected: Return,
        ready: Callable[[], Return | None],
        deadline: float | None = None,
    ) -> None:
        """A blocking call: ``ready`` is asked after every event until it returns."""
        self.pending.append(_Pending(line, call, expected, self.now, ready, deadline))

    def _check_pending(self) -> None:
        for call in list(self.pending):
            if call not in self.pending:
                continue
            got = call.ready()
            if got is None:
                continue
            self.pending.remove(call)
            self._collect(self.now)  # a read that opens the window may send an update
            self._returned(call.line, call.call, got, call.expected, call.start)

    # ------------------------------------------------------------- python
    def _python(self, line: Line) -> None:
        try:
            asserts = tcpinfo.assertions(line.text)
        except tcpinfo.Unreadable:
            self.skip("python block")
            return
        sock = self.host.lookup(self.last_fd) if self.last_fd is not None else None
        if sock is None and self.last_fd is not None:
            sock = self.host.sockets.get(self.last_fd)
        if sock is None:
            raise Failed(line.number, f"line {line.number}: no socket to ask for its tcp_info")
        ep = sock.connection
        values = self.host.tcp_info(ep, self.now)
        for check in asserts:
            missing = sorted(tcpinfo.names(check.test) - values.keys() - tcpinfo.CONSTANTS.keys())
            if missing:
                feature = f"TCP_INFO {missing[0]}"
                raise NeedsFeature(feature, f"line {line.number}: asserts on {missing[0]}, which the model lacks")
            try:
                good = tcpinfo.holds(check.test, values)
            except tcpinfo.Unreadable:
                self.skip("python block")
                continue
            if not good:
                raise Failed(line.number, f"line {line.number}: {_assert_message(check, values, ep)}")
            self.result.checks += 1


def _assert_message(check: tcpinfo.Assertion, values: dict[str, int], ep: Endpoint) -> str:
    state = re.fullmatch(r"tcpi_state == (TCPI_\w+)", check.text)
    if state is not None:
        return f"the connection is in {ep.state}, the script asserts {TCPI[state.group(1)]}"
    shown = ", ".join(f"{n}={values[n]}" for n in sorted(tcpinfo.names(check.test)) if n.startswith("tcpi_"))
    return f"assert {check.text} does not hold ({shown})"


def _fast_open(option: FastOpen | None) -> str:
    if option is None:
        return "absent"
    return f"{'FOEXP' if option.experimental else 'FO'} {option.cookie.hex() or '(a cookie request)'}"


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
