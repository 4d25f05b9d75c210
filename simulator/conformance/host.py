"""The packetdrill runner's host: the model's socket layer with a script's conventions.

A script talks to one host (the system under test) through descriptors, and sends it segments.
The host is the model's ``SocketHost`` (``model/sockets.py``: the connection table, listeners,
the socket calls and their errno values); this module adds what packetdrill fixes: the port the
host binds or connects from, the script's own port, the ISNs of the connections it creates, and
the names FreeBSD scripts give the ``tcpi_state`` values.
"""

from __future__ import annotations

from ..model.config import EndpointConfig
from ..model.endpoint import Endpoint
from ..model.segment import Segment
from ..model.sockets import LINUX_RULES, LINUX_STATE, Return, Socket, SocketHost, SocketRules
from ..model.states import State
from .epoll import EpollSet

__all__ = ["LOCAL_PORT", "REMOTE_PORT", "TCPI", "Host", "Return", "Socket"]

LOCAL_PORT = 8080  # the port of the system under test, bound or connecting
REMOTE_PORT = 55555  # the script's side of the connection
LOCAL_ISN = 2_000_000  # the ISS of every endpoint the host creates
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


class Host(SocketHost):
    """The system under test: one address, talking to the script's address and port."""

    def __init__(
        self, local_addr: str, remote_addr: str, config: EndpointConfig, rules: SocketRules = LINUX_RULES
    ) -> None:
        super().__init__(local_addr, config, rules)
        self.remote_addr = remote_addr
        self.epolls: dict[int, EpollSet] = {}  # epoll instances, by descriptor
        self.under_test_from = 0  # endpoints before this index belong to sockets no longer under test

    def new_fd(self, wanted: int) -> int:
        """``wanted`` if neither a socket nor an epoll instance holds it, else the lowest free descriptor."""

        def taken(fd: int) -> bool:
            return self.lookup(fd) is not None or fd in self.epolls

        if wanted >= 3 and not taken(wanted):
            return wanted
        fd = 3
        while taken(fd):
            fd += 1
        return fd

    def open_socket(self, fd: int, *, nonblocking: bool) -> Socket:
        """socket(): every endpoint the host creates starts at the same ISS.  The new socket is the one under
        test: packetdrill maps later packets to it alone (run_system_call.c, run_syscall_socket)."""
        self.under_test_from = len(self.endpoints)
        return self.open(fd, nonblocking=nonblocking, isn=LOCAL_ISN)

    def sent(self) -> list[Segment]:
        """What the sockets under test sent: what an earlier socket sends (the FIN of one closed before the
        next socket() call) packetdrill's sniffer passes over unread (run_packet.c, sniff_outbound_live_packet
        keeps only packets of the socket under test, or of its connect)."""
        for ep in self.endpoints[: self.under_test_from]:
            ep.drain()
        return super().sent()

    def bind_local(self, sock: Socket) -> Return:
        return self.bind(sock, LOCAL_PORT)

    def listen_local(self, sock: Socket, now: float, backlog: int) -> Return:
        if sock.endpoint.port == 0:
            self.bind(sock, LOCAL_PORT)
        # each incarnation starts above the last one's sequence numbers (RFC 1122 4.2.2.13)
        return self.listen(sock, now, backlog, lambda: LOCAL_ISN + 1_000_000 * len(self.endpoints))

    def connect_remote(self, sock: Socket, now: float) -> Return | None:
        if sock.endpoint.port != LOCAL_PORT and sock.endpoint.state is State.CLOSED and not sock.used:
            sock.endpoint.port = LOCAL_PORT  # the script's packets are addressed to it, bound or not
        return self.connect(sock, (self.remote_addr, REMOTE_PORT), now)

    def fast_open_remote(self, sock: Socket, data: bytes, now: float) -> Return | None:
        """sendto(MSG_FASTOPEN) to the script's side (RFC 7413 4.1.3)."""
        if sock.endpoint.port != LOCAL_PORT and sock.endpoint.state is State.CLOSED and not sock.used:
            sock.endpoint.port = LOCAL_PORT
        return self.send_fast_open(sock, (self.remote_addr, REMOTE_PORT), data, now)

    def tcp_info(self, ep: Endpoint, now: float | None = None) -> dict[str, int]:
        """``tcp_info``, with the TCPI_* names FreeBSD scripts compare ``tcpi_state`` with."""
        values = super().tcp_info(ep, now)
        values.update({name: LINUX_STATE[state] for name, state in TCPI.items()})
        return values
