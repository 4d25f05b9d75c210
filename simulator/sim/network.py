"""A deterministic discrete-event network that joins endpoints.

Virtual time only.  Events sit in a heap ordered by (time, order, counter): at one
instant what applications cause comes first, then timers, then (on a loopback
network) what the timers sent and the applications' next steps (see ``_push``);
the counter makes events of one order first-in first-out, so a run is the same
every time.  All randomness comes from one ``random.Random(seed)``.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

from ..model.config import EndpointConfig
from ..model.endpoint import Endpoint, closed_reply
from ..model.errors import ScenarioError
from ..model.explain import explain
from ..model.keys import InfoKey
from ..model.notes import NOT_RECORDED, Note, NoteKind, TcbView
from ..model.segment import Ecn, Flags, Segment
from ..model.seq import SeqNum
from ..model.sockets import LINUX_RULES, Socket, SocketHost, SocketRules
from .app import SOMAXCONN, Action, Application, ModelSocket, Step
from .bottleneck import BottleneckParams, DropTailQueue
from .explain import SENTENCES, NetKey, say
from .trace import EndpointInfo, EventKind, Explainer, Trace, TraceEvent

HEADER_BYTES = 40  # IPv4 + TCP headers without options, for serialization delay
# A fault's action is named by the event it causes.
_FAULT_ACTIONS = (EventKind.DROP, EventKind.DUPLICATE, EventKind.DELAY)
_ECT = (Ecn.ECT0, Ecn.ECT1)  # an ECN-capable transport (RFC 3168 5): a router may mark it


@dataclass(frozen=True, slots=True)
class LinkParams:
    """One direction of the path between two hosts."""

    latency: float = 0.05  # one-way delay, seconds
    jitter: float = 0.0  # extra delay, uniform in [0, jitter)
    loss: float = 0.0  # probability a segment is lost
    duplicate: float = 0.0  # probability a segment is delivered twice
    reorder: float = 0.0  # probability a segment is held back ...
    reorder_delay: float = 0.0  # ... by this much more (0: one more latency)
    bandwidth: float | None = None  # bytes per second; None: no serialization delay

    def __post_init__(self) -> None:
        for name in ("loss", "duplicate", "reorder"):
            p = getattr(self, name)
            if not 0.0 <= p <= 1.0:
                raise ScenarioError(f"{name} must be a probability between 0 and 1, not {p}")
        for name in ("latency", "jitter", "reorder_delay"):
            if not 0 <= getattr(self, name) < math.inf:  # (NaN fails this too)
                raise ScenarioError(f"{name} must be a finite number of seconds, not negative")
        if self.bandwidth is not None and not 0 < self.bandwidth < math.inf:
            raise ScenarioError("bandwidth must be a positive number of bytes per second")


@dataclass(frozen=True, slots=True)
class Fault:
    """A scripted fault: act on the ``nth`` .. ``nth+count-1`` matching segments.

    A segment matches when it is sent by ``sender`` (any if empty), its flags
    are exactly ``flags`` (any if None), it carries data or not as ``data``
    says (either if None), and it is or is not a retransmission as
    ``retransmission`` says (either if None).
    """

    action: str  # "drop", "duplicate" or "delay": the kind of event it causes
    sender: str = ""
    flags: Flags | None = None
    data: bool | None = None
    retransmission: bool | None = None
    nth: int = 1
    count: int = 1
    delay: float = 0.0

    def __post_init__(self) -> None:
        if self.action not in _FAULT_ACTIONS:
            raise ScenarioError(f"unknown fault action {self.action!r} (use drop, duplicate, delay or inject)")
        if self.nth < 1 or self.count < 1:
            raise ScenarioError("a fault's nth and count must be at least 1")

    def matches(self, seg: Segment, sender: str, retransmission: bool) -> bool:
        """True if ``seg`` is one of the segments this fault counts."""
        if self.sender and self.sender != sender:
            return False
        if self.flags is not None and seg.flags != self.flags:
            return False
        if self.data is not None and bool(seg.payload) != self.data:
            return False
        return self.retransmission is None or retransmission == self.retransmission

    def acts_on(self, seen: int) -> bool:
        """True for the ``seen``-th matching segment if it is one to act on."""
        return self.nth <= seen < self.nth + self.count

    def describe(self) -> str:
        what = self.flags.names if self.flags is not None else ("data segment" if self.data else "segment")
        if self.data and self.flags is not None:
            what += " data segment"
        who = f" sent by {self.sender}" if self.sender else ""
        which = (
            _ordinal(self.nth) if self.count == 1 else f"{_ordinal(self.nth)} to {_ordinal(self.nth + self.count - 1)}"
        )
        return f"the {which} {what}{who}"


@dataclass(frozen=True, slots=True)
class Injection:
    """A segment the scenario puts on the wire at ``at``, as if ``sender`` sent it
    long ago (RFC 9293 Figure 8: an old duplicate SYN)."""

    at: float
    sender: str
    receiver: str
    flags: Flags
    seq: int
    ack: int = 0
    window: int = 65535
    payload: bytes = b""
    why: str = SENTENCES[NetKey.OLD_DUPLICATE]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# Heap entry kinds
_ARRIVE, _TIMER, _APP, _INJECT, _RELEASE = 0, 1, 2, 3, 4
# Order of events due at the same instant (see Network._push)
_ORDER_NOW, _ORDER_RELEASE, _ORDER_TIMER, _BACKLOG, _ORDER_NEXT_STEP = 0, 1, 2, 3, 4


class Network:
    """Endpoints, the links between their hosts, and the clock."""

    def __init__(
        self,
        *,
        seed: int = 0,
        default_link: LinkParams | None = None,
        faults: list[Fault] | None = None,
        bottleneck: BottleneckParams | None = None,
        record: bool = True,
        scenario: str = "",
        title: str = "",
        loopback: bool = False,
    ) -> None:
        self.rng = random.Random(seed)
        # Linux's loopback: a segment is handled by its receiver inside the sender's system call, so an
        # application's next step waits until every segment due at that instant has been handled.
        self.loopback = loopback
        self._from_timer = False  # the event being handled is a timer, or follows from one
        self.now = 0.0
        self.default_link = default_link or LinkParams()
        self.links: dict[tuple[str, str], LinkParams] = {}
        self.faults = list(faults or [])
        self._fault_seen = [0] * len(self.faults)
        self.bottleneck = DropTailQueue(bottleneck) if bottleneck is not None else None
        self.record = record
        self.trace = Trace(scenario=scenario, seed=seed, title=title)
        self.endpoints: dict[str, Endpoint] = {}
        self.apps: dict[str, Application] = {}
        self.address_of: dict[str, tuple[str, int]] = {}
        self.segments_sent = 0
        self.segments_delivered = 0
        self._heap: list[tuple[float, int, int, int, object]] = []
        self._counter = 0
        self._busy_until: dict[tuple[str, str], float] = {}
        self._timer_at: dict[str, float] = {}
        self._hosts: dict[str, _Host] = {}  # each host's socket layer, by its address
        self._forking: list[tuple[ModelSocket, list[Step]]] = []  # servers that take every connection
        self._spawned: dict[str, int] = {}
        self._views: dict[str, TcbView] = {}
        self._peer: dict[str, str] = {}
        self._host_names: dict[str, str] = {}
        self.isn_source: Callable[[], int] = lambda: self.rng.randrange(1 << 32)

    # --------------------------------------------------------------- set-up
    def add(
        self,
        endpoint: Endpoint,
        script: list[Step] | None = None,
        *,
        start: float = 0.0,
        accept_many: bool = False,
        backlog: int = SOMAXCONN,
        rules: SocketRules = LINUX_RULES,
    ) -> Endpoint:
        """Attach an endpoint (and the application script that drives it) as a socket of its host.

        ``accept_many``: the program takes every connection its listening socket accepts, each with the
        steps after ``listen`` (a process per connection); ``backlog`` is its listen() backlog, and
        ``rules`` the host's socket rules (its first endpoint's profile)."""
        if endpoint.name in self.endpoints:
            raise ScenarioError(f"two endpoints are called {endpoint.name!r}")
        key = (endpoint.addr, endpoint.port)
        if any(not e.name.startswith(endpoint.name + "#") for e in self._on_port(key)):
            raise ScenarioError(f"{endpoint.name}: address {endpoint.addr}:{endpoint.port} is already taken")
        self.endpoints[endpoint.name] = endpoint
        endpoint.explaining = self.record
        self.address_of[endpoint.name] = key
        host = self._host(endpoint.addr, rules)
        sock = host.attach(endpoint)
        self._host_names.setdefault(endpoint.addr, endpoint.name)
        self._views[endpoint.name] = endpoint.tcb()
        self.trace.endpoints.append(EndpointInfo(endpoint.name, endpoint.addr, endpoint.port, int(endpoint.iss)))
        if script is not None:
            backend = ModelSocket(host, sock, self.address_of, backlog=backlog, spawn_isn=lambda: self.isn_source())
            self.apps[endpoint.name] = Application(backend, script, pause_after_sending=self.loopback)
            self._push(start, _APP, endpoint)
            listens = [i for i, step in enumerate(script) if step.action == Action.LISTEN]
            if accept_many and listens:
                self._forking.append((backend, script[listens[0] + 1 :]))
        return endpoint

    def set_link(self, src: str, dst: str, params: LinkParams) -> None:
        """Set the path from endpoint ``src``'s host to endpoint ``dst``'s host."""
        self.links[(self.address_of[src][0], self.address_of[dst][0])] = params

    def inject(self, injection: Injection) -> None:
        """Schedule a foreign segment (see ``Injection``)."""
        for name in (injection.sender, injection.receiver):
            if name not in self.endpoints:
                raise ScenarioError(f"inject: no endpoint called {name!r}")
        self._push(injection.at, _INJECT, injection)

    # ------------------------------------------------------------------ run
    def run(self, until: float | None = None, max_events: int = 1_000_000) -> Trace:
        """Process events until none are left (or ``until``); returns the trace."""
        heap = self._heap
        handled = 0
        while heap:
            time, order, _, kind, obj = heap[0]
            if until is not None and time > until:
                break
            heapq.heappop(heap)
            self.now = time
            handled += 1
            if handled > max_events:
                raise ScenarioError(f"the run did not settle after {max_events} events (is a script waiting forever?)")
            self._from_timer = order >= _BACKLOG
            if kind == _ARRIVE:
                self._arrive(obj, time)  # type: ignore[arg-type]
            elif kind == _TIMER:
                self._timer(obj, time)  # type: ignore[arg-type]
            elif kind == _APP:
                self._run_app(obj, time)  # type: ignore[arg-type]
            elif kind == _RELEASE:
                obj.release(time)  # type: ignore[attr-defined]
                self._settle(obj, time, run_app=False)  # type: ignore[arg-type]
            else:
                self._do_inject(obj, time)  # type: ignore[arg-type]
        if until is not None and heap:
            self.trace.stopped_at = until  # events were still pending
            self.now = max(self.now, until)
        self.trace.warnings = self._unfired_faults()
        return self.trace

    def _unfired_faults(self) -> list[str]:
        """A scripted fault that never acted is a mistake in the scenario, not a quiet success: say so."""
        out = []
        for i, (fault, seen) in enumerate(zip(self.faults, self._fault_seen, strict=True), 1):
            if seen >= fault.nth:
                continue
            matched = f"{seen} segment{'' if seen == 1 else 's'} matched" if seen else "no segment matched"
            hint = say(NetKey.FLAGS_MATCH_EXACTLY) if fault.flags is not None else ""
            out.append(say(NetKey.FAULT_NEVER_FIRED, number=i, fault=fault.describe(), matched=matched, hint=hint))
        return out

    def _push(self, time: float, kind: int, obj: object, *, order: int | None = None) -> None:
        # At one instant: what applications cause first, then (on loopback) the end of the application's
        # call that caused it, then timers (a kernel's timer never fires
        # before its deadline has passed: Linux rounds it up to the next jiffy), then on loopback
        # what the timers sent (the receive softirq after the timer softirq), then an application's
        # next step on loopback.
        self._counter += 1
        if order is None:
            order = _ORDER_TIMER if kind == _TIMER else _ORDER_NOW
        heapq.heappush(self._heap, (time, order, self._counter, kind, obj))

    def _timer(self, ep: Endpoint, now: float) -> None:
        if self._timer_at.get(ep.name) == now:
            del self._timer_at[ep.name]
        deadline = ep.next_timer()
        if deadline is not None and deadline <= now:
            ep.on_timer(now)
        self._from_timer = True
        self._settle(ep, now)

    def _run_app(self, ep: Endpoint, now: float) -> None:
        self._settle(ep, now, run_app=True, woken=True)

    def _settle(self, ep: Endpoint, now: float, *, run_app: bool = True, woken: bool = False) -> None:
        """Hand on what ``ep`` produced; let its application react, until quiet.

        On loopback an application that a segment or a timer wakes runs only once every segment
        due at that instant has been handled (the scheduler runs it after the softirqs)."""
        app = self.apps.get(ep.name)
        while True:
            notes = ep.drain()
            if notes:
                self._handle_notes(ep, notes, now)
            if app is None or not run_app:
                break
            if self.loopback and not woken:
                if not app.done:
                    self._push(now, _APP, ep, order=_ORDER_NEXT_STEP)
                break
            position, wake = app.position, app.wake_at
            app.run(now)
            if app.failure is not None and not app.reported:
                app.reported = True
                why = say(NetKey.APP_STOPS, name=ep.name, why=app.failure)
                self._event(now, EventKind.ERROR, ep.name, why, ep.name)
            if app.wake_at is not None and app.wake_at != wake:
                self._push(app.wake_at, _APP, ep)
            if app.paused:  # loopback: the segments go first, the next step after all they cause
                app.paused = False
                # what they cause comes back inside the application's call, which holds the socket until
                # all of it is handled (release_sock after the receive softirq)
                ep.own()
                self._handle_notes(ep, ep.drain(), now)
                self._push(now, _RELEASE, ep, order=_ORDER_RELEASE)
                self._push(now, _APP, ep, order=_ORDER_NEXT_STEP)
                break
            if not ep.has_notes and app.position == position:
                break
        self._arm(ep)
        self._hosts[ep.addr].table.register(ep)  # (every endpoint's host exists: add() or _Host._child made it)

    def _arm(self, ep: Endpoint) -> None:
        deadline = ep.next_timer()
        if deadline is None:
            return
        scheduled = self._timer_at.get(ep.name)
        if scheduled is None or deadline < scheduled:
            self._timer_at[ep.name] = deadline
            self._push(deadline, _TIMER, ep)

    def _host(self, addr: str, rules: SocketRules = LINUX_RULES) -> _Host:
        """The socket layer of the host at ``addr`` (``rules``: its socket rules, when it is new)."""
        host = self._hosts.get(addr)
        if host is None:
            host = self._hosts[addr] = _Host(self, addr, rules)
        return host

    def _on_port(self, local: tuple[str, int]) -> list[Endpoint]:
        host = self._hosts.get(local[0])
        return host.table.ports.get(local, []) if host is not None else []

    # ------------------------------------------------------------ wire side
    def _handle_notes(self, ep: Endpoint, notes: list[Note], now: float) -> None:
        name = ep.name
        if not self.record:  # a bulk run: only the segments matter (no views, no sentences)
            for note in notes:
                if note.kind is NoteKind.SEND:
                    assert note.segment is not None
                    self._transmit(note.segment, name, now, note.retransmission)
            return
        # One batch comes from one call into the endpoint: the same peer and RTO for every sentence.
        peer, rto = self._peer_name(ep), ep.rto.rto
        for note in notes:
            self._views[name] = note.tcb if note.shown is None else note.shown
            why: Explainer = partial(explain, note, name, peer, rto=rto)  # written when first read
            kind = note.kind
            if kind is NoteKind.SEND:
                assert note.segment is not None
                self._event(now, EventKind.SEND, name, why, name, note.segment, note.retransmission, note.key)
                self._transmit(note.segment, name, now, note.retransmission)
            else:
                trace_kind = EventKind.ECN if note.key is InfoKey.CE_RECEIVED else _TRACE_KIND[kind]
                self._event(now, trace_kind, name, why, name, note.segment, key=note.key)

    def _peer_name(self, ep: Endpoint) -> str:
        peer = self._peer.get(ep.name)
        if peer is None:
            others = self._on_port((ep.remote_addr, ep.remote_port))
            peer = others[0].name if others else (self._host_names.get(ep.remote_addr) or "the peer")
        return peer

    def _event(
        self,
        now: float,
        kind: EventKind,
        name: str,
        text: str | Explainer,
        who: str,
        segment: Segment | None = None,
        retransmission: bool = False,
        key: str = "",
    ) -> None:
        mine, peer = self._views.get(who), self._peer.get(who)
        views: tuple[tuple[str, TcbView], ...] = () if mine is None else ((who, mine),)
        if peer is not None:
            views += ((peer, self._views[peer]),)
        self.trace.events.append(TraceEvent(now, kind, name, text, segment, retransmission, views, key))

    def _transmit(self, seg: Segment, sender: str, now: float, retransmission: bool) -> None:
        """Put a segment on the link towards its destination, applying faults."""
        self.segments_sent += 1
        path = (seg.src_addr, seg.dst_addr)
        link = self.links.get(path, self.default_link)
        rng = self.rng
        for i, fault in enumerate(self.faults):
            if not fault.matches(seg, sender, retransmission):
                continue
            self._fault_seen[i] += 1
            if fault.acts_on(self._fault_seen[i]):
                if fault.action == EventKind.DROP:
                    self._drop(seg, sender, now, say(NetKey.FAULT_DROP, fault=fault.describe()))
                    return
                if fault.action == EventKind.DUPLICATE:
                    why = say(NetKey.FAULT_DUPLICATE, fault=fault.describe())
                    self._note_event(now, EventKind.DUPLICATE, sender, seg, why)
                    self._schedule_arrival(seg, link, path, now, 0.0)
                else:
                    why = say(NetKey.FAULT_DELAY, fault=fault.describe(), delay=fault.delay)
                    self._note_event(now, EventKind.DELAY, sender, seg, why)
                    self._schedule_arrival(seg, link, path, now, fault.delay)
                    return
        if link.loss and rng.random() < link.loss:
            self._drop(seg, sender, now, say(NetKey.RANDOM_LOSS, p=link.loss))
            return
        extra = 0.0
        if link.reorder and rng.random() < link.reorder:
            extra = link.reorder_delay or link.latency
        queue = self.bottleneck
        if queue is not None and sender in queue.params.senders:
            if seg.ecn in _ECT and queue.marks(now):  # RFC 3168 5: marked Congestion Experienced, not dropped
                seg = replace(seg, ecn=Ecn.CE)
            crossing = queue.enter(HEADER_BYTES + len(seg.payload), now)
            if crossing is None:
                self._drop(seg, sender, now, queue.describe_full())
                return
            extra += crossing
        self._schedule_arrival(seg, link, path, now, extra)
        if link.duplicate and rng.random() < link.duplicate:
            self._note_event(now, EventKind.DUPLICATE, sender, seg, say(NetKey.RANDOM_DUPLICATE, p=link.duplicate))
            self._schedule_arrival(seg, link, path, now, 0.0)

    def _schedule_arrival(
        self, seg: Segment, link: LinkParams, path: tuple[str, str], now: float, extra: float
    ) -> None:
        depart = now
        if link.bandwidth is not None:
            depart = max(now, self._busy_until.get(path, 0.0)) + (HEADER_BYTES + len(seg.payload)) / link.bandwidth
            self._busy_until[path] = depart
        delay = link.latency + extra
        if link.jitter:
            delay += self.rng.random() * link.jitter
        # On loopback a segment sent by a timer waits in the backlog until every timer due now has run
        # (the timer softirq before the receive softirq).
        order = _BACKLOG if self.loopback and self._from_timer else _ORDER_NOW
        self._push(depart + delay, _ARRIVE, seg, order=order)

    def _drop(self, seg: Segment, sender: str, now: float, why: str) -> None:
        self._note_event(now, EventKind.DROP, sender, seg, why)

    def _note_event(self, now: float, kind: EventKind, who: str, seg: Segment, why: str) -> None:
        if self.record:
            self._event(now, kind, who, why, who, seg)

    def _do_inject(self, inj: Injection, now: float) -> None:
        src = self.endpoints[inj.sender]
        dst = self.endpoints[inj.receiver]
        seg = Segment(
            src.port,
            dst.port,
            SeqNum(inj.seq),
            SeqNum(inj.ack),
            inj.flags,
            inj.window,
            payload=inj.payload,
            src_addr=src.addr,
            dst_addr=dst.addr,
        )
        why = say(NetKey.INJECTED, why=inj.why[:1].upper() + inj.why[1:], label=seg.label(), sender=inj.sender)
        self._note_event(now, EventKind.INJECT, inj.sender, seg, why)
        path = (seg.src_addr, seg.dst_addr)
        self._schedule_arrival(seg, self.links.get(path, self.default_link), path, now, 0.0)

    def _arrive(self, seg: Segment, now: float) -> None:
        self.segments_delivered += 1
        host = self._host(seg.dst_addr)
        ep = host.table.demux(seg, now, self._settle_reopened)  # RFC 9293 3.10.7 (model/sockets.py)
        if ep is None:
            self._no_endpoint(seg, now)
            return
        if self.record:  # who talks to whom, for the trace's "both endpoints" views
            sender = self._sender_name(seg)
            if sender:
                self._peer[ep.name] = sender
                self._peer.setdefault(sender, ep.name)
        if self.loopback:  # the sender's skbs still kept share their data with what the receiver holds
            origin = self._sender(seg)
            ep.loopback_peer_una = origin.snd_una if origin is not None else None
            ep.arrived_alone = origin is not None and origin.sent_alone(seg.seq)
        ep.on_segment(seg, now)
        host.settle(ep)  # a connection that completes joins its listener's accept queue
        if self._forking:
            self._fork()
        self._settle(ep, now)

    def _fork(self) -> None:
        """A server that takes every connection accepts each one its listening socket has queued, and runs
        the steps after ``listen`` on it; the endpoint that listened is its own program's (``ModelSocket``)."""
        for server, script in self._forking:
            listener = server.listener
            if listener is None:
                continue
            for child in [ep for ep in listener.backlog if ep is not listener.endpoint]:
                got = server.host.accept(listener, 0, which=child)
                assert got is not None
                backend = ModelSocket(server.host, server.host.sockets[got[0]], self.address_of)
                self.apps[child.name] = Application(backend, list(script), pause_after_sending=self.loopback)

    def _no_endpoint(self, seg: Segment, now: float) -> None:
        """A segment no endpoint takes: a SYN a full accept queue drops, else the closed port's answer."""
        owner = self._host_names.get(seg.dst_addr, seg.dst_addr)
        if self._host(seg.dst_addr).table.overflows(seg):
            if self.record:  # Linux drops it without a word (tcp_conn_request: sk_acceptq_is_full)
                text = say(NetKey.ACCEPT_QUEUE_FULL, owner=owner)
                self._event(now, EventKind.DELIVER, owner, text, owner, seg)
            return
        answer = closed_reply(seg)
        if self.record:
            said = NetKey.NO_ENDPOINT_FOR_RST if answer[0] is None else NetKey.NO_ENDPOINT
            text = say(said, addr=seg.dst_addr, port=seg.dst_port)
            self._event(now, EventKind.DELIVER, owner, text, owner, seg)
        if answer[0] is not None:
            reply, key = answer
            note = Note(NoteKind.SEND, key, self._views.get(owner, NOT_RECORDED), reply)
            if self.record:  # no key: the host answers, not an endpoint
                why = partial(explain, note, owner, self._sender_name(seg))
                self._event(now, EventKind.SEND, owner, why, owner, reply)
            self._transmit(reply, owner, now, False)

    def _sender(self, seg: Segment) -> Endpoint | None:
        """The connected endpoint that sent ``seg``, if one of this network's."""
        host = self._hosts.get(seg.src_addr)
        table = host.table if host is not None else None
        return table.conns.get((seg.src_addr, seg.src_port, seg.dst_addr, seg.dst_port)) if table is not None else None

    def _sender_name(self, seg: Segment) -> str:
        ep = self._sender(seg)
        if ep is not None:
            return ep.name
        others = self._on_port((seg.src_addr, seg.src_port))
        return others[0].name if others else ""

    def _settle_reopened(self, ep: Endpoint) -> None:
        """Hand on what a TIME-WAIT connection that a new SYN ended produced (at ``now``: arrivals run then)."""
        self._settle(ep, self.now, run_app=False)

    def new_connection(self, template: Endpoint, isn: int, now: float) -> Endpoint:
        """The endpoint of a connection a listening socket of ``template``'s takes: ``NAME#2``, ``NAME#3``, ...,
        recorded in the trace from its LISTEN on."""
        n = self._spawned.get(template.name, 1) + 1
        self._spawned[template.name] = n
        child = Endpoint(f"{template.name}#{n}", template.addr, template.port, isn, template.config)
        child.explaining = self.record
        self.endpoints[child.name] = child
        self._views[child.name] = child.tcb()
        self.trace.endpoints.append(EndpointInfo(child.name, child.addr, child.port, int(child.iss)))
        child.listen(now, for_listener=True)
        self._settle(child, now, run_app=False)
        return child


_HOST_CONFIG = EndpointConfig()  # (frozen: one value serves every host, built once, not per connection)


class _Host(SocketHost):
    """A host of the simulated network: its socket layer, whose new connections the network names and
    records."""

    def __init__(self, net: Network, addr: str, rules: SocketRules) -> None:
        super().__init__(addr, _HOST_CONFIG, rules)  # (its sockets are the scenario's endpoints')
        self.net = net

    def _child(self, sock: Socket, now: float, isn: int) -> Endpoint:
        child = self.net.new_connection(sock.endpoint, isn, now)
        self.endpoints.append(child)
        self.table.add(child)
        return child


# The trace's kind of event for each kind of note but SEND.
_TRACE_KIND = {
    NoteKind.RECEIVE: EventKind.DELIVER,
    NoteKind.STATE: EventKind.STATE,
    NoteKind.TIMER_SET: EventKind.TIMER_SET,
    NoteKind.TIMER_CANCEL: EventKind.TIMER_CANCEL,
    NoteKind.TIMER_FIRED: EventKind.TIMER_FIRED,
    NoteKind.DATA: EventKind.DATA,
    NoteKind.EOF: EventKind.EOF,
    NoteKind.ERROR: EventKind.ERROR,
    NoteKind.INFO: EventKind.RTT,
    NoteKind.CONGESTION: EventKind.CWND,
    NoteKind.APP: EventKind.APP,
}
