"""The packetdrill runner's host: its sockets, their connections, and the demultiplexer between them.

A script talks to one host (the system under test) through descriptors, and sends it segments.
This module is that host, built on the model's ``Endpoint``: a socket table by descriptor,
listeners with their embryonic and accept queues, the socket calls' semantics (what a read,
write, shutdown or close does and returns, with Linux's errno values), ``poll``'s revents and
``tcp_info``.  It knows nothing of scripts, times or expectations: the runner
(``packetdrill.py``) drives it, and the system calls (``syscalls.py``) call it.  It is the seam
where the model's own socket layer (issue 22, "one socket layer") will take its place.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from ..model.config import EndpointConfig
from ..model.endpoint import Endpoint
from ..model.errors import UserCallError
from ..model.keys import ErrorKey
from ..model.notes import NoteKind
from ..model.segment import Flags, Segment
from ..model.states import State

LOCAL_PORT = 8080  # the port of the system under test, bound or connecting
REMOTE_PORT = 55555  # the script's side of the connection
LOCAL_ISN = 2_000_000  # the ISS of every endpoint the host creates
Return = tuple[int, str | None]  # a system call's return value and errno

# The errno of a failed connection: as SO_ERROR reports it, and as a pending connect() returns it.
SO_ERROR = {ErrorKey.RESET: "ECONNRESET", ErrorKey.REFUSED: "ECONNREFUSED", ErrorKey.TIMEOUT: "ETIMEDOUT"}
CONNECT_ERROR = {ErrorKey.RESET: "ECONNREFUSED", ErrorKey.REFUSED: "ECONNREFUSED", ErrorKey.TIMEOUT: "ETIMEDOUT"}
# tcpi_state as Linux numbers it (include/net/tcp_states.h); FreeBSD scripts name them TCPI_*.
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
TCPI = {
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
_TIMESTAMPS_OPTION = 12  # TCPOLEN_TSTAMP_ALIGNED


@dataclass(slots=True)
class Socket:
    """A socket of the host: the script's descriptor, its options and its connection."""

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

    @property
    def connection(self) -> Endpoint:
        """The connection ``tcp_info`` describes: a listener's newest child, else its own."""
        return self.children[-1] if self.listening and self.children else self.endpoint


class Host:
    """The system under test: sockets by descriptor over the model's endpoints."""

    def __init__(self, local_addr: str, remote_addr: str, config: EndpointConfig) -> None:
        self.local_addr = local_addr
        self.remote_addr = remote_addr
        self.config = config  # for new sockets (sysctls change it)
        self.sockets: dict[int, Socket] = {}
        self.endpoints: list[Endpoint] = []
        self._peer_timestamps: dict[int, bool] = {}  # by id(endpoint): the peer's SYN offered timestamps

    # ------------------------------------------------------------ descriptors
    def lookup(self, fd: int) -> Socket | None:
        sock = self.sockets.get(fd)
        return None if sock is None or sock.closed else sock

    def new_fd(self, wanted: int) -> int:
        """The script's number for a new descriptor (packetdrill maps it to the kernel's), or the lowest free."""
        if wanted >= 3 and self.lookup(wanted) is None:
            return wanted
        fd = 3
        while self.lookup(fd) is not None:
            fd += 1
        return fd

    def open(self, fd: int, *, nonblocking: bool) -> Socket:
        """socket(): a new socket under descriptor ``fd``."""
        ep = self._endpoint(f"fd{fd}", 0, self.config)
        sock = Socket(fd, ep, nonblocking=nonblocking)
        self.sockets[fd] = sock
        return sock

    def _endpoint(self, name: str, port: int, config: EndpointConfig, isn: int = LOCAL_ISN) -> Endpoint:
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
        fresh = Endpoint(ep.name, ep.addr, ep.port, LOCAL_ISN, cfg)
        fresh.explaining = False
        self.endpoints[self.endpoints.index(ep)] = fresh
        sock.endpoint = fresh

    # ------------------------------------------------------------ socket calls
    def bind(self, sock: Socket) -> Return:
        sock.endpoint.port = LOCAL_PORT
        sock.bound = True
        return 0, None

    def listen(self, sock: Socket, now: float) -> Return:
        if sock.listening:
            return 0, None
        if sock.endpoint.port == 0:
            sock.endpoint.port = LOCAL_PORT
        sock.endpoint.listen(now)
        sock.endpoint.drain()
        sock.listening = sock.used = True
        return 0, None

    def accept(self, sock: Socket, wanted_fd: int) -> Return | None:
        """The next established connection as a new descriptor, or ``None`` if there is none yet."""
        if not sock.backlog:
            return None
        child = sock.backlog.pop(0)
        fd = self.new_fd(wanted_fd)
        self.sockets[fd] = Socket(fd, child, used=True)
        return fd, None

    def connect(self, sock: Socket, now: float) -> Return | None:
        """Start an active open; a return at once for an error, ``None`` while it is under way."""
        ep = sock.endpoint
        if ep.state is State.SYN_SENT:
            return -1, "EALREADY"
        if ep.state is not State.CLOSED or sock.used:
            return -1, "EISCONN"
        ep.port = LOCAL_PORT  # the script's packets are addressed to it, bound or not
        ep.connect(self.remote_addr, REMOTE_PORT, now)
        sock.used = True
        return None

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

    @staticmethod
    def receive(sock: Socket, amount: int, flags: str, now: float) -> Return | None:
        """What a read returns now (MSG_PEEK, MSG_WAITALL honoured), or ``None`` if it would block."""
        ep = sock.endpoint
        ended = ep.eof or ep.state is State.CLOSED or sock.read_shut
        if ep.readable and ("MSG_WAITALL" not in flags or ep.readable >= amount or ended):
            n = min(amount, ep.readable)
            if "MSG_PEEK" in flags:
                return n, None  # the data stays queued
            return len(ep.receive(n, now)), None
        if ep.state is State.CLOSED and ep.error is not None:
            error, ep.error = ep.error, None
            return -1, SO_ERROR[error]
        if sock.listening or (ep.state is State.CLOSED and ep.remote_port == 0):
            return -1, "ENOTCONN"
        if ended:
            return 0, None
        return None

    @staticmethod
    def send(sock: Socket, amount: int, now: float, *, more: bool = False) -> Return | None:
        """What a write returns now; ``None`` while the connection is still being set up."""
        ep = sock.endpoint
        if sock.write_shut:
            return -1, "EPIPE"
        if ep.state in (State.SYN_SENT, State.SYN_RECEIVED):  # wait for the connection (sk_stream_wait_connect)
            return (-1, "EAGAIN") if sock.nonblocking else None
        if ep.state is State.CLOSED and ep.error is not None:
            error, ep.error = ep.error, None
            return -1, SO_ERROR[error]
        if ep.state is State.CLOSED and ep.remote_port == 0:
            return -1, "ENOTCONN"  # net/ipv4/tcp.c: tcp_sendmsg_locked, a socket never connected
        try:
            ep.send(b"y" * amount, now, more=more)
        except UserCallError:
            return -1, "EPIPE"
        return amount, None

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
            for child in sock.children + sock.backlog:
                self._abort_unaccepted(child, now)
            if ep.state is State.LISTEN:
                ep.close(now)
        elif ep.state is not State.CLOSED:
            ep.close(now, read_too=True)  # in the closing states this only stops reading
        return 0, None

    @staticmethod
    def _abort_unaccepted(ep: Endpoint, now: float) -> None:
        """Closing a listening socket drops the connections nobody accepted."""
        if ep.state is State.SYN_RECEIVED:
            ep.crash(now)  # an embryonic connection is forgotten silently
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
        connected = ep.state not in (State.CLOSED, State.LISTEN, State.SYN_SENT)
        return ep.snd_mss if connected else (ep.config.mss or 536)

    @staticmethod
    def queued_out(sock: Socket) -> int:
        """SIOCOUTQ: bytes not yet acknowledged, sent or not (tcp_ioctl)."""
        ep = sock.endpoint
        in_flight = ep.snd_nxt.since(int(ep.snd_una))
        in_flight -= (1 if ep.state is State.SYN_SENT else 0) + (1 if ep.fin_sent and not ep.fin_acked else 0)
        return max(in_flight, 0) + ep.unsent

    @staticmethod
    def revents(sock: Socket, events: str) -> set[str]:
        """poll()'s answer for one socket (net/ipv4/tcp.c: tcp_poll)."""
        ep = sock.endpoint
        got: set[str] = set()
        synchronized = ep.state not in (State.CLOSED, State.LISTEN, State.SYN_SENT, State.SYN_RECEIVED)
        if ep.readable or ep.eof or sock.read_shut or (sock.listening and sock.backlog):
            got.add("POLLIN")
        if synchronized or sock.write_shut:
            got.add("POLLOUT")
        if ep.eof or sock.read_shut:
            got.add("POLLRDHUP")
        if ep.error is not None:
            got.add("POLLERR")
        if (ep.state is State.CLOSED and ep.remote_port != 0) or (sock.read_shut and sock.write_shut):
            got.add("POLLHUP")
        asked = {f.strip() for f in events.split("|")}
        return {e for e in got if e in asked or e in ("POLLERR", "POLLHUP")}

    def tcp_info(self, ep: Endpoint) -> dict[str, int]:
        """The ``tcp_info`` fields the model has (struct tcp_info, include/uapi/linux/tcp.h)."""
        rto = ep.rto
        values = {
            "tcpi_state": LINUX_STATE[ep.state],
            "tcpi_rto": round(rto.rto * 1e6),
            "tcpi_backoff": rto.backoff,
            "tcpi_probes": ep.probes_out,
            "tcpi_snd_mss": ep.snd_mss,
            "tcpi_rtt": round((rto.srtt or 0.0) * 1e6),
            "tcpi_rttvar": round(rto.rttvar * 1e6),
        }
        if ep.state not in (State.CLOSED, State.LISTEN, State.SYN_SENT):
            # tp->advmss: our MSS option less the timestamps option once both sides use it (tcp_input.c)
            both = ep.config.timestamps and not ep.config.no_options and self._peer_timestamps.get(id(ep), False)
            values["tcpi_advmss"] = ep.adv_mss - (_TIMESTAMPS_OPTION if both else 0)
        values.update({name: LINUX_STATE[state] for name, state in TCPI.items()})
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
        """A segment from the script's side: to its connection or listener; False if no socket takes it."""
        ep = self._demux(seg, now)
        if ep is None:
            return False  # no socket at all: a real host would answer with RST; scripts never test it
        if seg.flags & Flags.SYN:
            self._peer_timestamps[id(ep)] = seg.options.timestamps is not None
        ep.on_segment(seg, now)
        for sock in self.sockets.values():  # an embryonic connection that completes joins the accept queue
            if ep in sock.children and ep.state not in (State.LISTEN, State.SYN_RECEIVED):
                sock.children.remove(ep)
                if ep.state is not State.CLOSED:
                    sock.backlog.append(ep)
        return True

    def _demux(self, seg: Segment, now: float) -> Endpoint | None:
        for ep in self.endpoints:
            if ep.remote_port == seg.src_port and ep.port == seg.dst_port and ep.state is not State.CLOSED:
                if not (ep.takes_new_syn(seg) and self._listener() is not None):
                    return ep
                ep.end_time_wait(now)  # the SYN reopens the connection (RFC 1122 4.2.2.13)
                ep.drain()
        listener = self._listener()
        if listener is not None:
            if not seg.flags & Flags.SYN or seg.flags & (Flags.ACK | Flags.RST):
                return listener.endpoint  # LISTEN's own rules (RST ignored, ACK reset)
            # each incarnation starts above the last one's sequence numbers (RFC 1122 4.2.2.13)
            isn = LOCAL_ISN + 1_000_000 * len(self.endpoints)
            child = self._endpoint(f"fd{listener.fd}-child", LOCAL_PORT, listener.endpoint.config, isn)
            child.listen(now)
            child.drain()
            listener.children.append(child)
            return child
        for ep in reversed(self.endpoints):
            if ep.port == seg.dst_port:
                return ep  # a closed connection answers as CLOSED (RFC 9293 3.10.7.1)
        return None

    def _listener(self) -> Socket | None:
        for sock in self.sockets.values():
            if sock.listening and not sock.closed and sock.endpoint.state is State.LISTEN:
                return sock
        return None

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
