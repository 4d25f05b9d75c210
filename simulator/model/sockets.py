"""The model's socket layer: one host's connections, listeners and socket calls, sans I/O.

A host owns a table of its connections by 4-tuple and of its endpoints by local port
(``ConnectionTable``): the demultiplexer of RFC 9293 3.10.7, with TIME-WAIT reuse
(RFC 1122 4.2.2.13) and the answer of a closed port (3.10.7.1).  Over it, ``SocketHost`` gives
the socket calls a program makes (socket, bind, listen, accept, connect, send, recv, shutdown,
close, setsockopt/getsockopt, poll) with their real semantics: a call either returns now, as
``(value, errno)`` with Linux's errno names, or answers ``None``: "it would block"; a blocking
caller asks again after every event and so completes at the moment the event happens, a
non-blocking one turns ``None`` into EAGAIN (``would_block``).  No clock, no randomness: the
caller passes ``now`` and the initial sequence numbers.

The scenario network (``sim/network.py``) keeps one ``SocketHost`` per host address, and the
scenarios' application steps (``sim/app.py``) are calls on it; the packetdrill runner's host
(``conformance/host.py``) is a ``SocketHost`` too.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from . import fastopen
from .chrono import ChronoKind
from .config import EndpointConfig
from .congestion import Phase
from .endpoint import Endpoint, closed_reply
from .errors import UserCallError
from .fastopen import FastOpenBits
from .keys import ErrorKey
from .notes import NoteKind
from .segment import ACK_BIT, RST_BIT, SYN_BIT, Flags, Segment
from .seq import SeqNum
from .skbmem import zerocopy_skbs
from .states import State

Return = tuple[int, str | None]  # a system call's return value and errno
FourTuple = tuple[str, int, str, int]  # local address, local port, remote address, remote port
Local = tuple[str, int]

# The errno of a failed connection: as SO_ERROR reports it, and as a pending connect() returns it.
SO_ERROR = {ErrorKey.RESET: "ECONNRESET", ErrorKey.REFUSED: "ECONNREFUSED", ErrorKey.TIMEOUT: "ETIMEDOUT"}
CONNECT_ERROR = {ErrorKey.RESET: "ECONNREFUSED", ErrorKey.REFUSED: "ECONNREFUSED", ErrorKey.TIMEOUT: "ETIMEDOUT"}
# tcpi_state as Linux numbers it (include/net/tcp_states.h).
LINUX_STATE = {
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
_TIMESTAMPS_OPTION = 12  # TCPOLEN_TSTAMP_ALIGNED
INFINITE_SSTHRESH = 0x7FFFFFFF  # TCP_INFINITE_SSTHRESH: ssthresh before any loss


class CaState(enum.IntEnum):
    """tcpi_ca_state: Linux's congestion-control state (include/net/tcp.h, enum tcp_ca_state)."""

    OPEN = 0  # nothing amiss
    DISORDER = 1  # SACKs or duplicate ACKs, or a retransmission out, but no recovery yet
    CWR = 2  # cwnd reduced for an ECN echo or a local congestion signal
    RECOVERY = 3  # fast recovery (RFC 6582, RFC 6675)
    LOSS = 4  # after a retransmission timeout


def ca_state(ep: Endpoint) -> CaState:
    """The state Linux would report for ``ep`` (tcp_fastretrans_alert's states)."""
    phase = ep.cc.phase
    if phase is Phase.LOSS:
        return CaState.LOSS
    if phase is Phase.FAST_RECOVERY:
        return CaState.RECOVERY
    if ep.cc.cwr_until is not None:  # reducing for an ECN echo (tcp_enter_cwr)
        return CaState.CWR
    return CaState.DISORDER if ep.disordered else CaState.OPEN


_SYNCHRONIZING = (State.SYN_SENT, State.SYN_RECEIVED)
_UNCONNECTED = (State.CLOSED, State.LISTEN, State.SYN_SENT)


# ------------------------------------------------------------------------------------------ profile rules
class AcceptOverflow(enum.StrEnum):
    """When a listener's accept queue counts as full, so that a new SYN is dropped."""

    LINUX = "linux"  # sk_acceptq_is_full: more than backlog connections wait (include/net/sock.h)
    FREEBSD = "freebsd"  # sonewconn: more than 3/2 of the backlog (sys/kern/uipc_socket.c)


@dataclass(frozen=True, slots=True)
class SocketRules:
    """A stack's socket-layer choices, by profile name (``RULES``)."""

    buffer_doubled: bool  # SO_SNDBUF/SO_RCVBUF store twice what is asked (Linux's sock_setsockopt)
    min_sndbuf: int  # the smallest send buffer a setsockopt leaves (SOCK_MIN_SNDBUF)
    min_rcvbuf: int  # the smallest receive buffer a setsockopt leaves (SOCK_MIN_RCVBUF)
    accept_overflow: AcceptOverflow
    # Linux wakes a writer blocked on a full send buffer only once a third of it is free again
    # (sk_stream_write_space: sk_stream_wspace >= sk_stream_min_wspace, i.e. free >= queued / 2).
    write_wakeup_third: bool
    # A write on a socket never connected: Linux's tcp_sendmsg_locked waits for the connection
    # (sk_stream_wait_connect), which fails with EPIPE outside SYN-SENT and SYN-RECEIVED; FreeBSD's
    # sosend_generic answers ENOTCONN.
    unconnected_write: str = "EPIPE"

    def queue_full(self, waiting: int, backlog: int) -> bool:
        """True if a listener with ``waiting`` connections to accept takes no more."""
        if self.accept_overflow is AcceptOverflow.FREEBSD:
            return waiting > 3 * backlog // 2
        return waiting > backlog


LINUX_RULES = SocketRules(True, 4608, 2304, AcceptOverflow.LINUX, True)
RULES = {
    "linux": LINUX_RULES,
    "freebsd": SocketRules(False, 2048, 0, AcceptOverflow.FREEBSD, False, "ENOTCONN"),
}


def rules_for(profile_name: str) -> SocketRules:
    """The socket rules of a profile; the profiles that are not a kernel's take Linux's."""
    return RULES.get(profile_name, LINUX_RULES)


# ------------------------------------------------------------------------------------------ the table
@dataclass(slots=True)
class Listener:
    """A port that takes new connections.

    ``endpoint`` is a listening socket's own endpoint, which stays in LISTEN while each SYN gets a new
    endpoint from ``spawn``; without one (a scenario's listening socket, ``SocketHost.listen`` with
    ``own_first``) the endpoint in LISTEN on the port takes the SYN itself and ``spawn`` is asked only
    when none is free.
    """

    spawn: Callable[[Segment, float], Endpoint | None]
    endpoint: Endpoint | None = None


class ConnectionTable:
    """One host's connections by 4-tuple and its endpoints by local port; the demultiplexer."""

    def __init__(self) -> None:
        self.conns: dict[FourTuple, Endpoint] = {}
        self.ports: dict[Local, list[Endpoint]] = {}
        self.listeners: dict[Local, Listener] = {}

    def add(self, ep: Endpoint) -> None:
        """An endpoint bound to its local address and port."""
        on_port = self.ports.setdefault((ep.addr, ep.port), [])
        if ep not in on_port:
            on_port.append(ep)

    def register(self, ep: Endpoint) -> None:
        """Enter a connection under its 4-tuple once it has a peer (the newest incarnation wins)."""
        if ep.remote_port and ep.state is not State.CLOSED and ep.state is not State.LISTEN:
            self.conns[(ep.addr, ep.port, ep.remote_addr, ep.remote_port)] = ep

    def forget(self, ep: Endpoint) -> None:
        """Take an endpoint off its port (a late segment may still reach it through its 4-tuple)."""
        on_port = self.ports.get((ep.addr, ep.port), [])
        if ep in on_port:
            on_port.remove(ep)

    def connection(self, seg: Segment) -> Endpoint | None:
        """The connection ``seg`` belongs to by its 4-tuple, in whatever state."""
        return self.conns.get((seg.dst_addr, seg.dst_port, seg.src_addr, seg.src_port))

    def demux(self, seg: Segment, now: float, reopened: Callable[[Endpoint], object]) -> Endpoint | None:
        """The endpoint an arriving segment is for (RFC 9293 section 3.10.7), or ``None``: a closed port.

        ``reopened`` is told of a TIME-WAIT connection a new SYN ends (RFC 1122 4.2.2.13)."""
        ep = self.connection(seg)
        local = (seg.dst_addr, seg.dst_port)
        listener = self.listeners.get(local)
        if ep is not None and ep.state is not State.CLOSED:
            if listener is None or not ep.takes_new_syn(seg):
                return ep
            ep.end_time_wait(now)  # a new incarnation takes its place (RFC 1122 4.2.2.13)
            reopened(ep)
        candidates = self.ports.get(local, ())
        bits = int(seg.flags)  # (tests on a plain int: ``Flags & Flags`` is a Python call)
        syn = bits & (SYN_BIT | ACK_BIT) == SYN_BIT
        for cand in candidates:
            if cand.state is State.LISTEN:
                if listener is not None and cand is listener.endpoint and syn and not bits & RST_BIT:
                    return listener.spawn(seg, now)
                return cand  # LISTEN's own rules (RFC 9293 3.10.7.2)
        if syn and listener is not None and listener.endpoint is None:
            return listener.spawn(seg, now)  # (a SYN,RST too: the new endpoint's LISTEN ignores it)
        if ep is not None:
            return ep  # the deleted TCB answers as CLOSED (RFC 9293 3.10.7.1)
        for cand in candidates:
            if not cand.remote_port or (cand.remote_addr, cand.remote_port) == (seg.src_addr, seg.src_port):
                return cand
        return None

    def overflows(self, seg: Segment) -> bool:
        """True for a SYN that a port's listener took no connection for: its accept queue is full, and the
        SYN is dropped unanswered (Linux's tcp_conn_request; FreeBSD's syncache_add after sonewconn)."""
        syn = bool(seg.flags & Flags.SYN) and not seg.flags & (Flags.ACK | Flags.RST)
        return syn and (seg.dst_addr, seg.dst_port) in self.listeners


def closed_port_reply(seg: Segment) -> Segment | None:
    """What a host answers for a port with no socket: a RST, except to a RST (RFC 9293 3.10.7.1)."""
    return closed_reply(seg)[0]


# ------------------------------------------------------------------------------------------ sockets
@dataclass(slots=True)
class Socket:
    """A socket of a host: its descriptor, its options and its connection."""

    fd: int
    endpoint: Endpoint
    nonblocking: bool = False
    listening: bool = False
    bound: bool = False
    used: bool = False  # connect() or listen() has put its connection to use
    backlog_limit: int = 0  # listen()'s backlog
    backlog: list[Endpoint] = field(default_factory=list)  # established, not yet accepted
    children: list[Endpoint] = field(default_factory=list)  # embryonic (SYN-RECEIVED)
    closed: bool = False
    read_shut: bool = False  # shutdown(SHUT_RD): reads return what is queued, then 0
    write_shut: bool = False
    sndbuf: int | None = None  # SO_SNDBUF as the kernel stores it; None: no limit
    rcvbuf: int | None = None  # SO_RCVBUF as the kernel stores it; None: never set
    inq: bool = False  # TCP_INQ: recvmsg reports the bytes left to read
    notsent_lowat: int = 0  # TCP_NOTSENT_LOWAT; 0: the sysctl's (the connection's notsent_lowat)
    zerocopy: bool = False  # SO_ZEROCOPY: a MSG_ZEROCOPY write is told of on the error queue when acknowledged
    zerocopy_sent: int = 0  # MSG_ZEROCOPY writes so far: the next one's number
    zerocopy_pending: list[tuple[int, SeqNum]] = field(default_factory=list)  # (number, end) not yet acknowledged
    errqueue: list[tuple[int, int]] = field(default_factory=list)  # completions not read: [first, last] numbers
    zerocopy_done: int = 0  # MSG_ZEROCOPY writes completed so far (each queued a notice or extended one)
    nospace: bool = False  # a write could not take all it was given (SOCK_NOSPACE): room will wake it
    write_wakeups: int = 0  # times room came back after that (sk_stream_write_space)
    write_blocked: bool = False  # a writer waits for room (Linux wakes it only once a third is free)
    linger: int | None = None  # SO_LINGER's seconds when on; 0 makes close() abort
    fastopen_connect: bool = False  # TCP_FASTOPEN_CONNECT: connect() may wait for the first write's data
    deferred: tuple[str, int] | None = None  # where a connect() so deferred goes (Linux's DEFER_CONNECT)

    @property
    def connection(self) -> Endpoint:
        """The connection ``tcp_info`` describes: a listener's newest child, else its own."""
        return self.children[-1] if self.listening and self.children else self.endpoint


def tcpi_options(ep: Endpoint) -> int:
    """tcp_info's options bits (tcp_get_info): timestamps, SACK, window scale, data on the SYN acknowledged."""
    bits = (1 if ep.ts_ok else 0) | (2 if ep.sack_ok else 0) | (4 if ep.wscale_ok else 0)
    return bits | (32 if ep.syn_data_acked else 0)  # TCPI_OPT_SYN_DATA


def would_block(sock: Socket, got: Return | None, flags: str = "") -> Return | None:
    """A call that would block: EAGAIN for a non-blocking socket (or MSG_DONTWAIT), else still ``None``."""
    if got is None and (sock.nonblocking or "MSG_DONTWAIT" in flags):
        return -1, "EAGAIN"
    return got


class SocketHost:
    """A host's sockets over the model's endpoints: the socket calls, with Linux's errno values."""

    def __init__(self, addr: str, config: EndpointConfig, rules: SocketRules = LINUX_RULES) -> None:
        self.local_addr = addr
        self.config = config  # for new sockets (sysctls change it)
        self.rules = rules
        self.table = ConnectionTable()
        self.sockets: dict[int, Socket] = {}
        self.endpoints: list[Endpoint] = []
        self._peer_timestamps: dict[int, bool] = {}  # by id(endpoint): the peer's SYN offered timestamps
        self.fastopen_cache: dict[str, fastopen.CachedServer] = {}  # by server address (tcp_metrics.c)

    # ------------------------------------------------------------ descriptors
    def lookup(self, fd: int) -> Socket | None:
        sock = self.sockets.get(fd)
        return None if sock is None or sock.closed else sock

    def new_fd(self, wanted: int) -> int:
        """``wanted`` if it is free (packetdrill maps a script's number to the kernel's), else the lowest free."""
        if wanted >= 3 and self.lookup(wanted) is None:
            return wanted
        fd = 3
        while self.lookup(fd) is not None:
            fd += 1
        return fd

    def open(self, fd: int, *, nonblocking: bool, isn: int) -> Socket:
        """socket(): a new socket under descriptor ``fd``."""
        sock = Socket(fd, self._endpoint(f"fd{fd}", 0, self.config, isn), nonblocking=nonblocking)
        self.sockets[fd] = sock
        return sock

    def attach(self, ep: Endpoint) -> Socket:
        """A socket over an endpoint made elsewhere (a scenario's, with its own name, port and ISN), bound to
        its port."""
        fd = self.new_fd(0)
        sock = self.sockets[fd] = Socket(fd, ep, bound=True)
        if ep not in self.endpoints:
            self.endpoints.append(ep)
        self.table.add(ep)
        return sock

    def _endpoint(self, name: str, port: int, config: EndpointConfig, isn: int) -> Endpoint:
        ep = Endpoint(name, self.local_addr, port, isn, config)
        ep.explaining = False
        self.endpoints.append(ep)
        return ep

    def configure(self, sock: Socket, cfg: EndpointConfig) -> None:
        """New socket options: an unused socket gets a fresh connection built with them."""
        ep = sock.endpoint
        if sock.used:
            ep.config = cfg
            return
        fresh = Endpoint(ep.name, ep.addr, ep.port, int(ep.iss), cfg)
        fresh.explaining = False
        self.endpoints[self.endpoints.index(ep)] = fresh
        on_port = self.table.ports.get((ep.addr, ep.port), [])
        if ep in on_port:
            on_port[on_port.index(ep)] = fresh
        sock.endpoint = fresh

    def set_sndbuf(self, sock: Socket, value: int) -> None:
        """SO_SNDBUF: Linux stores twice the value asked, and no less than SOCK_MIN_SNDBUF (sock_setsockopt)."""
        sock.sndbuf = max(value * 2 if self.rules.buffer_doubled else value, self.rules.min_sndbuf)

    def set_rcvbuf(self, sock: Socket, value: int) -> int:
        """SO_RCVBUF: Linux stores twice the value asked, and no less than SOCK_MIN_RCVBUF (sock_setsockopt,
        __sock_set_rcvbuf), for the skbs' overhead as well as the data; the window it offers is the data's
        share, about half (tcp_win_from_space with the default scaling ratio), so about what was asked.
        Returns that share: the receive buffer the model's window is made from."""
        if not self.rules.buffer_doubled:
            sock.rcvbuf = max(value, self.rules.min_rcvbuf)
            return sock.rcvbuf
        sock.rcvbuf = max(value * 2, self.rules.min_rcvbuf)
        return sock.rcvbuf // 2

    def rcvbuf(self, sock: Socket) -> int:
        """SO_RCVBUF as getsockopt answers it: Linux's stored (doubled) value once set; otherwise, and on
        FreeBSD (which rounds the buffer to whole segments at the handshake), the connection's buffer."""
        if sock.rcvbuf is not None and self.rules.buffer_doubled:
            return sock.rcvbuf
        return sock.endpoint.recv_buffer

    # ------------------------------------------------------------ connections
    def bind(self, sock: Socket, port: int) -> Return:
        sock.endpoint.port = port
        sock.bound = True
        self.table.add(sock.endpoint)
        return 0, None

    def listen(
        self, sock: Socket, now: float, backlog: int, spawn_isn: Callable[[], int], *, own_first: bool = False
    ) -> Return:
        """listen(): the socket's endpoint enters LISTEN; each SYN gets a child, up to the backlog.

        With ``own_first`` the socket's own endpoint takes the first SYN itself, as RFC 9293's passive
        OPEN does (the TCB in LISTEN becomes the connection), and joins the accept queue like a child;
        the SYNs that find it busy get children."""
        if sock.listening:
            sock.backlog_limit = backlog
            return 0, None
        if sock.endpoint.state is not State.CLOSED:
            return -1, "EINVAL"
        sock.endpoint.listen(now)
        sock.listening = sock.used = True
        sock.backlog_limit = backlog
        local = (sock.endpoint.addr, sock.endpoint.port)
        spawn = lambda _seg, t: self._spawn(sock, t, spawn_isn())  # noqa: E731
        self.table.listeners[local] = Listener(spawn, None if own_first else sock.endpoint)
        if own_first:
            sock.children.append(sock.endpoint)
        return 0, None

    def _spawn(self, sock: Socket, now: float, isn: int) -> Endpoint | None:
        """A SYN for a listener: a new embryonic connection, unless the accept queue is full (then dropped)."""
        if self.rules.queue_full(len(sock.backlog), sock.backlog_limit):
            return None
        child = self._child(sock, now, isn)
        # RFC 7413 5.1, Linux's tcp_fastopen_queue_check: at most fastopen_queue Fast Open children wait
        # for their handshake to end (tcp_fastopen 0x400: a listener without TCP_FASTOPEN gets its backlog)
        cfg = sock.endpoint.config
        limit = cfg.fastopen_queue or (sock.backlog_limit if cfg.fastopen & FastOpenBits.SERVER_WO_SOCKOPT1 else 0)
        if limit != cfg.fastopen_queue:
            child.config = replace(child.config, fastopen_queue=limit)
        waiting = [ep for ep in sock.children + sock.backlog if ep.fastopen_child and ep.state is State.SYN_RECEIVED]
        child.fastopen_queue_full = len(waiting) >= limit
        sock.children.append(child)
        return child

    def _child(self, sock: Socket, now: float, isn: int) -> Endpoint:
        """The endpoint of a new connection to ``sock``, in LISTEN (a host that names its connections
        and records what they do overrides this)."""
        child = self._endpoint(f"fd{sock.fd}-child", sock.endpoint.port, sock.endpoint.config, isn)
        child.listen(now, for_listener=True)
        return child

    def accept(self, sock: Socket, wanted_fd: int, which: Endpoint | None = None) -> Return | None:
        """The next established connection (or ``which``, once established) as a new descriptor, or
        ``None`` if there is none yet."""
        if not sock.listening:
            return -1, "EINVAL"
        if which is not None and which not in sock.backlog:
            return None
        if not sock.backlog:
            return None
        child = sock.backlog.pop(0 if which is None else sock.backlog.index(which))
        fd = self.new_fd(wanted_fd)
        self.sockets[fd] = Socket(fd, child, used=True, sndbuf=sock.sndbuf, rcvbuf=sock.rcvbuf, zerocopy=sock.zerocopy)
        return fd, None

    def connect(
        self,
        sock: Socket,
        remote: Local,
        now: float,
        iss: int | None = None,
        *,
        fast_open: fastopen.ClientSyn | None = None,
    ) -> Return | None:
        """Start an active open; a return at once for an error, ``None`` while it is under way.
        ``iss``: a new initial sequence number (a host that crashed connects again)."""
        ep = sock.endpoint
        if ep.state is State.SYN_SENT:
            return -1, "EALREADY"
        if ep.state is not State.CLOSED or sock.used:
            return -1, "EISCONN"
        if sock.deferred is not None and fast_open is None:  # connect() again on a deferred connect (SS_CONNECTING
            return -1, "EISCONN"  # with DEFER_CONNECT: __inet_stream_connect; a write sends the SYN)
        if sock.fastopen_connect and fast_open is None and sock.deferred is None:
            fast_open = fastopen.client_syn(self.config.fastopen, self._cached(remote), b"", ep.adv_mss)
            if fast_open.option is None or fast_open.option.cookie:  # tcp_fastopen_defer_connect: a cookie
                sock.deferred = remote  # (or none needed): the first write sends the SYN with its data
                return 0, None
        sock.deferred = None
        if not sock.bound:
            self.table.add(ep)
        ep.connect(*remote, now, iss=iss, fast_open=fast_open)
        sock.used = True
        self.table.register(ep)
        return None

    def send_fast_open(self, sock: Socket, remote: Local, data: bytes, now: float) -> Return | None:
        """sendto(MSG_FASTOPEN) on a socket not yet connected (Linux's tcp_sendmsg_fastopen): connect, the
        SYN asking for a cookie or carrying the data a cached cookie allows (RFC 7413 4.1.3).  Returns
        the bytes the SYN took, an error, or ``None`` when the SYN took none (EINPROGRESS, or wait)."""
        if not self.config.fastopen & FastOpenBits.CLIENT:
            return -1, "EOPNOTSUPP"
        syn = fastopen.client_syn(self.config.fastopen, self._cached(remote), data, sock.endpoint.adv_mss)
        got = self.connect(sock, remote, now, fast_open=syn)
        if got is not None:
            return got
        return (len(syn.data), None) if syn.data else None

    def _cached(self, remote: Local) -> fastopen.CachedServer:
        return self.fastopen_cache.get(remote[0], fastopen.CachedServer())

    def _learn_fast_open(self, ep: Endpoint) -> None:
        """A Fast Open SYN,ACK's cookie and MSS go to the cache (tcp_fastopen_cache_set)."""
        answered, ep.fastopen_answered = ep.fastopen_answered, None
        if answered is not None:
            cached = self.fastopen_cache.get(ep.remote_addr, fastopen.CachedServer())
            self.fastopen_cache[ep.remote_addr] = fastopen.learned(answered, cached)

    @staticmethod
    def connected(sock: Socket) -> Return | None:
        """How a connect() under way ends, once it has: 0, or the errno; ``None`` while it goes on."""
        ep = sock.endpoint
        if ep.state in (State.ESTABLISHED, State.CLOSE_WAIT):
            return 0, None
        if ep.state is State.CLOSED:
            error, ep.error = ep.error, None
            return -1, "ECONNREFUSED" if error is None else CONNECT_ERROR[error]
        return None

    # ------------------------------------------------------------ data
    @staticmethod
    def receive(sock: Socket, amount: int, flags: str, now: float) -> tuple[Return, bytes] | None:
        """What a read returns now, and the bytes it took (MSG_PEEK, MSG_WAITALL honoured); ``None``: it blocks."""
        ep = sock.endpoint
        if sock.deferred is not None:
            return None  # a deferred connect: nothing to read yet (a non-blocking read: EAGAIN)
        ended = ep.eof or ep.state is State.CLOSED or sock.read_shut
        if ep.readable and ("MSG_WAITALL" not in flags or ep.readable >= amount or ended):
            n = min(amount, ep.readable)
            if "MSG_PEEK" in flags:
                return (n, None), b""  # the data stays queued
            data = ep.receive(n, now)
            return (len(data), None), data
        if ep.state is State.CLOSED and ep.error is not None:
            error, ep.error = ep.error, None
            return (-1, SO_ERROR[error]), b""
        if sock.listening or (ep.state is State.CLOSED and ep.remote_port == 0):
            return (-1, "ENOTCONN"), b""
        if ended:
            return (0, None), b""
        return None

    def send(
        self,
        sock: Socket,
        data: bytes,
        now: float,
        *,
        more: bool = False,
        eor: bool = False,
        buffers: tuple[int, ...] = (),
    ) -> Return | None:
        """What a write returns now: the bytes the send buffer took; ``None`` while it must wait for room.
        ``more`` is MSG_MORE: more data follows, so the write's end is not pushed; ``eor`` is MSG_EOR: the
        write's end is a record's, once the buffer has taken the last of it.  ``buffers``: the sizes of a
        MSG_ZEROCOPY write's user buffers (its iovecs), on a socket with SO_ZEROCOPY: see ``zerocopy_skbs``."""
        ep = sock.endpoint
        refused = self.send_refused(sock)
        if refused is not None:
            return refused
        if ep.state in _SYNCHRONIZING and not ep.fastopen_child:  # wait for the connection (sk_stream_wait_connect)
            return None  # (a Fast Open child writes at once: tcp_passive_fastopen)
        if not data:
            return 0, None
        room = self.send_room(sock)
        if room <= 0:
            sock.write_blocked = sock.nospace = True
            return None
        try:
            taken = self._take_skbs(sock, data[:room], now, more=more, eor=eor and room >= len(data), buffers=buffers)
        except UserCallError:
            return -1, "EPIPE"
        if taken == 0:
            sock.write_blocked = sock.nospace = True
            return None
        sock.write_blocked = False
        if taken < len(data):
            sock.nospace = True  # tcp_sendmsg_locked's wait_for_space: SOCK_NOSPACE
        return taken, None

    def _take_skbs(
        self, sock: Socket, data: bytes, now: float, *, more: bool, eor: bool, buffers: tuple[int, ...]
    ) -> int:
        """The bytes a write hands the connection, a MSG_ZEROCOPY write's skb by skb: each skb out of page
        fragments ends pushed, and no segment crosses its end, as after MSG_EOR (``zerocopy_skbs``)."""
        if not (buffers and sock.zerocopy):
            return self._take(sock, data, now, more=more, eor=eor)
        skbs = zerocopy_skbs(buffers, len(data), max(sock.endpoint.size_goal(), 1))
        taken = 0
        for i, size in enumerate(skbs):
            last = i == len(skbs) - 1
            got = self._take(sock, data[taken : taken + size], now, more=more and last, eor=eor if last else True)
            taken += got
            if got < size:
                break
        return taken

    def _take(self, sock: Socket, data: bytes, now: float, *, more: bool, eor: bool) -> int:
        """The bytes a write hands the connection.  Under a low-water mark of unsent bytes, Linux's write fills
        packet buffers of ``size_goal`` bytes, each sent as the window allows, and starts a new one only while
        fewer than the mark wait unsent (tcp_sendmsg_locked: sk_stream_memory_free, tcp_stream_memory_free);
        the buffer already started is filled first.  The model keeps no buffers: the last one's bytes are the
        unsent ones beyond a whole number of goals."""
        ep = sock.endpoint
        lowat = self.notsent_lowat(sock)
        if lowat is None:
            return ep.send(data, now, more=more, eor=eor)
        taken = 0
        while taken < len(data):
            goal = ep.size_goal()
            room = goal - ep.unsent % goal if ep.unsent % goal else goal
            if room == goal and ep.unsent >= lowat:
                break  # a new buffer, and too much waits unsent
            chunk = data[taken : taken + room]
            last = taken + len(chunk) == len(data)
            taken += ep.send(chunk, now, more=more and last, eor=eor and last)
        return taken

    @staticmethod
    def zerocopy_write(sock: Socket) -> None:
        """A MSG_ZEROCOPY write has returned: it takes the next number, and is complete once all it queued is
        acknowledged (msg_zerocopy_realloc; the socket needs SO_ZEROCOPY, else the flag is ignored)."""
        if not sock.zerocopy:
            return
        ep = sock.endpoint
        sock.zerocopy_pending.append((sock.zerocopy_sent, ep.snd_nxt + ep.unsent))
        sock.zerocopy_sent += 1

    @staticmethod
    def _settle_zerocopy(sock: Socket) -> None:
        """Queue the notices of the MSG_ZEROCOPY writes now acknowledged.  A write's pages are released when the
        ACK frees its last packet buffer (__msg_zerocopy_callback); a notice that follows on from the last one
        still queued extends it (skb_zerocopy_notify_extend)."""
        una = sock.endpoint.snd_una
        while sock.zerocopy_pending and sock.zerocopy_pending[0][1] <= una:
            number = sock.zerocopy_pending.pop(0)[0]
            sock.zerocopy_done += 1
            queue = sock.errqueue
            if queue and queue[-1][1] + 1 == number:
                queue[-1] = (queue[-1][0], number)
            else:
                queue.append((number, number))

    def zerocopy_notice(self, sock: Socket) -> tuple[int, int] | None:
        """recvmsg(MSG_ERRQUEUE): the oldest completion notice, numbers ``first`` to ``last``; ``None``: none."""
        self._settle_zerocopy(sock)
        return sock.errqueue.pop(0) if sock.errqueue else None

    def wakeups(self, sock: Socket) -> tuple[int, int, str, ErrorKey | None, int, int]:
        """What has happened to a socket that wakes a waiter (sk_data_ready, sk_state_change, sk_error_report):
        data or a FIN in order (RCV.NXT), new connections to accept, the state, an error, zerocopy notices,
        and room for a writer that found none.
        An edge-triggered epoll reports a socket again only when this has changed."""
        self._settle_zerocopy(sock)
        if sock.nospace and self.send_room(sock) > 0 and self._lowat_writeable(sock):
            sock.nospace = False  # tcp_check_space, sk_stream_write_space: writable again, a writer is woken
            sock.write_wakeups += 1
        ep = sock.endpoint
        return (int(ep.rcv_nxt), len(sock.backlog), ep.state.name, ep.error, sock.zerocopy_done, sock.write_wakeups)

    @staticmethod
    def notsent_lowat(sock: Socket) -> int | None:
        """tcp_notsent_lowat: the socket's TCP_NOTSENT_LOWAT, else the sysctl's; ``None``: no limit."""
        return sock.notsent_lowat or sock.endpoint.config.notsent_lowat

    def send_refused(self, sock: Socket) -> Return | None:
        """The errno of a write that cannot be done at all (net/ipv4/tcp.c: tcp_sendmsg_locked)."""
        ep = sock.endpoint
        if sock.write_shut:
            return -1, "EPIPE"
        if ep.state is State.CLOSED and ep.error is not None:
            error, ep.error = ep.error, None
            return -1, SO_ERROR[error]
        if ep.state is State.CLOSED and ep.remote_port == 0:
            return -1, self.rules.unconnected_write  # a socket never connected
        return None

    def send_room(self, sock: Socket) -> int:
        """Bytes the send buffer takes now.  A writer Linux put to sleep wakes only when a third is free."""
        if sock.sndbuf is None:
            return 1 << 62
        ep = sock.endpoint
        truesize = bool(ep.config.skb_overhead)  # counted in skb truesize, as Linux's sk_wmem_queued
        queued = ep.wmem_queued if truesize else self.queued_out(sock)
        room = sock.sndbuf - queued
        if sock.write_blocked and self.rules.write_wakeup_third and room < queued // 2:
            return 0
        if truesize and ep.state.synchronized:  # a write may fill the last skb past SO_SNDBUF (tcp_sendmsg_locked)
            return ep.send_buffer_takes(1 << 30, sock.sndbuf)
        return room

    # ------------------------------------------------------------ endings
    @staticmethod
    def shutdown(sock: Socket, how: str, now: float) -> Return:
        ep = sock.endpoint
        if (ep.state is State.CLOSED and ep.remote_port == 0) or ep.state is State.SYN_SENT:
            return -1, "ENOTCONN"
        if how in ("SHUT_RD", "SHUT_RDWR"):
            sock.read_shut = True
        if how in ("SHUT_WR", "SHUT_RDWR") and not sock.write_shut:
            sock.write_shut = True
            with contextlib.suppress(UserCallError):
                ep.close(now)
        return 0, None

    def close(self, sock: Socket, now: float) -> Return:
        sock.closed = True
        ep = sock.endpoint
        if sock.listening:
            self.table.listeners.pop((ep.addr, ep.port), None)
            for child in sock.children + sock.backlog:
                self._abort_unaccepted(child, now)
            if ep.state is State.LISTEN:
                ep.close(now)
        elif sock.linger == 0 and ep.state not in (State.CLOSED, State.TIME_WAIT):
            ep.abort(now)  # SO_LINGER with a zero timeout: close() resets (tcp_close, tcp_disconnect)
        elif ep.state is not State.CLOSED:
            ep.close(now, read_too=True)  # in the closing states this only stops reading
        return 0, None

    def crash(self, socks: list[Socket], now: float) -> None:
        """The host fails: these sockets' connections, and those queued on a listening one, are forgotten
        without a word (RFC 9293 Figure 9), each once, and the sockets with them."""
        forgotten: dict[int, Endpoint] = {}
        for sock in socks:
            if sock.listening:
                self.table.listeners.pop((sock.endpoint.addr, sock.endpoint.port), None)
            sock.closed = True
            for ep in (sock.endpoint, *sock.children, *sock.backlog):
                forgotten.setdefault(id(ep), ep)
        for ep in forgotten.values():
            ep.crash(now)

    @staticmethod
    def _abort_unaccepted(ep: Endpoint, now: float) -> None:
        """Closing a listening socket drops the connections nobody accepted."""
        if ep.state is State.SYN_RECEIVED and not ep.fastopen_child:
            ep.crash(now)  # an embryonic connection is forgotten silently (a Fast Open child is reset)
        elif ep.state is not State.CLOSED:
            ep.abort(now)

    # ------------------------------------------------------------ what a socket shows
    @staticmethod
    def so_error(sock: Socket) -> str:
        """SO_ERROR, which reading clears."""
        error, sock.endpoint.error = sock.endpoint.error, None
        return "0" if error is None else SO_ERROR[error]

    @staticmethod
    def maxseg(sock: Socket) -> int:
        """TCP_MAXSEG as Linux answers it (do_tcp_getsockopt): mss_cache, or user_mss before a connection."""
        ep = sock.endpoint
        return ep.snd_mss if ep.state not in _UNCONNECTED else (ep.config.mss or 536)

    @staticmethod
    def inq_hint(sock: Socket) -> int:
        """TCP_CM_INQ (tcp_inq_hint): bytes received in order and not read, RCV.NXT - copied_seq, so a FIN not
        yet read counts one; after a FIN at least 1, to tell the reader to go on and read the end."""
        ep = sock.endpoint
        return ep.readable + (1 if ep.eof else 0)

    @staticmethod
    def queued_out(sock: Socket) -> int:
        """SIOCOUTQ: bytes not yet acknowledged, sent or not (tcp_ioctl)."""
        ep = sock.endpoint
        in_flight = ep.snd_nxt.since(int(ep.snd_una))
        in_flight -= (1 if ep.state is State.SYN_SENT else 0) + (1 if ep.fin_sent and not ep.fin_acked else 0)
        return max(in_flight, 0) + ep.unsent

    def _lowat_writeable(self, sock: Socket) -> bool:
        """tcp_poll's test of the low-water mark (__tcp_stream_is_writeable with wake): twice the unsent bytes
        below it."""
        lowat = self.notsent_lowat(sock)
        return lowat is None or 2 * sock.endpoint.unsent < lowat

    def revents(self, sock: Socket, events: str) -> set[str]:
        """poll()'s answer for one socket (net/ipv4/tcp.c: tcp_poll)."""
        ep = sock.endpoint
        got: set[str] = set()
        synchronized = ep.state not in (State.CLOSED, State.LISTEN, State.SYN_SENT, State.SYN_RECEIVED)
        done = ep.state is State.CLOSED and ep.remote_port != 0  # tcp_done: sk_shutdown = SHUTDOWN_MASK, both
        # ways shut (a reset, even in SYN-SENT, or the end): reads and writes return at once, with the error
        if ep.readable or ep.eof or sock.read_shut or done or (sock.listening and sock.backlog):
            got.add("POLLIN")
        if (synchronized and self.send_room(sock) > 0 and self._lowat_writeable(sock)) or sock.write_shut or done:
            got.add("POLLOUT")
        elif sock.deferred is not None:  # TCP_FASTOPEN_CONNECT's deferred connect: POLLOUT, so that the
            got.add("POLLOUT")  # application writes and the SYN carries the data (tcp_poll, DEFER_CONNECT)
        if ep.eof or sock.read_shut or done:
            got.add("POLLRDHUP")
        self._settle_zerocopy(sock)
        if ep.error is not None or sock.errqueue:  # tcp_poll: sk_err, or the error queue not empty
            got.add("POLLERR")
        if done or (sock.read_shut and sock.write_shut):
            got.add("POLLHUP")
        asked = {f.strip() for f in events.split("|")}
        return {e for e in got if e in asked or e in ("POLLERR", "POLLHUP")}

    def tcp_info(self, ep: Endpoint, now: float | None = None) -> dict[str, int]:
        """The ``tcp_info`` fields the model has (struct tcp_info, include/uapi/linux/tcp.h); with ``now``, the
        ones that count time too."""
        rto = ep.rto
        values = {
            "tcpi_state": LINUX_STATE[ep.state],
            "tcpi_rto": round(rto.rto * 1e6),
            "tcpi_backoff": rto.backoff,
            "tcpi_probes": ep.probes_out,
            "tcpi_snd_mss": ep.snd_mss,
            "tcpi_delivered": ep.delivered_packets,
            "tcpi_rtt": round((rto.srtt or 0.0) * 1e6),
            "tcpi_rttvar": round(rto.rttvar * 1e6),
        }
        if ep.cc.active:  # Linux counts cwnd and ssthresh in packets (tp->snd_cwnd, tp->snd_ssthresh)
            values["tcpi_snd_cwnd"] = ep.cc.cwnd // ep.cc.mss
            ssthresh = ep.cc.ssthresh
            values["tcpi_snd_ssthresh"] = INFINITE_SSTHRESH if ssthresh is None else ssthresh // ep.cc.mss
            values["tcpi_ca_state"] = ca_state(ep)
        unacked, sacked, lost, retrans = ep.scoreboard()
        values.update(tcpi_unacked=unacked, tcpi_sacked=sacked, tcpi_lost=lost, tcpi_retrans=retrans)
        values.update(tcpi_reordering=ep.reordering, tcpi_reord_seen=ep.reord_seen)
        if now is not None and ep.state not in _UNCONNECTED:  # milliseconds since data came (tcp_get_info)
            values["tcpi_last_data_recv"] = round((now - ep.data_received_at) * 1000)
        if now is not None:  # microseconds (tcp_get_info_chrono_stats): busy is the sum of the three
            spent = {kind: round(ep.chrono.total(kind, now) * 1e6) for kind in ChronoKind if kind}
            values["tcpi_busy_time"] = sum(spent.values())
            values["tcpi_rwnd_limited"] = spent[ChronoKind.RWND_LIMITED]  # (sndbuf-limited time is not told apart)
        values["tcpi_options"] = tcpi_options(ep)
        if ep.state not in _UNCONNECTED:
            # tp->advmss: our MSS option less the timestamps option once both sides use it (tcp_input.c)
            both = ep.config.timestamps and not ep.config.no_options and self._peer_timestamps.get(id(ep), False)
            values["tcpi_advmss"] = ep.adv_mss - (_TIMESTAMPS_OPTION if both else 0)
        return values

    def count_in(self, state: State) -> int:
        """Connections in ``state`` (sockstat): CLOSED counts the open sockets never connected."""
        if state is State.CLOSED:
            return sum(1 for s in self.sockets.values() if not s.closed and s.endpoint.state is State.CLOSED)
        return sum(1 for ep in self.endpoints if ep.state is state)

    def drop_time_wait(self, now: float) -> None:
        """tcpdrop -s TIME_WAIT: forget every connection in TIME-WAIT."""
        for ep in self.endpoints:
            if ep.state is State.TIME_WAIT:
                ep.crash(now)
                ep.drain()

    # ------------------------------------------------------------ the network side
    def deliver(self, seg: Segment, now: float) -> bool:
        """A segment from the network: to its connection or listener; False if no socket takes it."""
        ep = self.table.demux(seg, now, Endpoint.drain)
        if ep is None:
            return False
        if seg.flags & Flags.SYN:
            self._peer_timestamps[id(ep)] = seg.options.timestamps is not None
        ep.on_segment(seg, now)
        self._learn_fast_open(ep)
        self.settle(ep)
        return True

    def settle(self, ep: Endpoint) -> None:
        """After ``ep`` handled a segment: enter it under its 4-tuple; an embryonic connection that completes
        joins its listener's accept queue, one that a RST sent back to LISTEN leaves its port."""
        self.table.register(ep)
        for sock in self.sockets.values():
            if ep not in sock.children:
                continue
            if ep.state is State.LISTEN and ep is not sock.endpoint:
                self.table.forget(ep)  # a late segment may still reach it through its 4-tuple
            elif ep.state not in (State.LISTEN, State.SYN_RECEIVED) or ep.fastopen_child:
                # a Fast Open child is accepted before its handshake ends (tcp_fastopen_create_child)
                sock.children.remove(ep)
                if ep.state is not State.CLOSED:
                    sock.backlog.append(ep)

    def next_timer(self, until: float) -> tuple[float, Endpoint] | None:
        """The earliest timer of any connection due by ``until``, and its connection."""
        due: tuple[float, Endpoint] | None = None
        for ep in self.endpoints:
            deadline = ep.next_timer()
            if deadline is not None and deadline <= until and (due is None or deadline < due[0]):
                due = (deadline, ep)
        return due

    def sent(self) -> list[Segment]:
        """The segments the connections have sent since the last call, in order."""
        segments = []
        for ep in list(self.endpoints):
            for note in ep.drain():
                if note.kind is NoteKind.SEND and note.segment is not None:
                    segments.append(note.segment)
        return segments
