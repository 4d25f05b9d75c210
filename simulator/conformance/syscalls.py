"""The system calls a packetdrill script makes, read from its text and run on the runner's host.

Each call reads its arguments as packetdrill writes them (``write(4, ..., 1000)``,
``sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=0}, 0)``,
``poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 100)``), asks the host (``host.py``) what it
does and returns, and says what the model lacks by name (``NeedsFeature``).  A call that blocks
hands the driver a ``ready`` function, asked again after every event until it answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from ..model.errors import ScenarioError
from ..model.fastopen import FastOpenBits
from ..model.states import State
from .epoll import EpollSet, Interest, parse_events
from .host import Host, Return, Socket
from .script import Failed, Feature, Line, NeedsFeature, ScriptError

MAX_CALL_BYTES = 1 << 24  # the most one system call may write or read

# Socket options that change nothing the model or the runner could check: the machine's environment.
ENVIRONMENT_OPTIONS = frozenset(
    {"SO_REUSEADDR", "SO_REUSEPORT", "SO_MARK", "IP_FREEBIND", "IP_MTU_DISCOVER", "IPV6_V6ONLY"}
)
OPTION_FEATURES = {
    "SO_TIMESTAMPING": Feature.TIMESTAMPING,
    "TCP_FASTOPEN_KEY": Feature.FAST_OPEN,
    "TCP_FASTOPEN_NO_COOKIE": Feature.FAST_OPEN,
    "TCP_MD5SIG": Feature.MD5,
    "IP_TOS": Feature.IP_FIELDS,
    "IPV6_TCLASS": Feature.IP_FIELDS,
}
# Socket options the model has a setting for: the EndpointConfig fields each one sets.
OPTION_SETTINGS: dict[str, Callable[[int], dict[str, Any]]] = {
    "TCP_NOOPT": lambda v: {"no_options": bool(v)},
    "TCP_KEEPINIT": lambda v: {"connect_timeout": float(v)},
    "SO_RCVBUF": lambda v: {"recv_buffer": v, "fixed_recv_buffer": True},  # locked: no autotuning
    "TCP_NODELAY": lambda v: {"nagle": not v},
    "TCP_USER_TIMEOUT": lambda v: {"user_timeout": v / 1000 if v else None},  # milliseconds; 0: off
    "TCP_MAXSEG": lambda v: {"mss": v},
    "TCP_SYNCNT": lambda v: {"syn_retries": v},
    "SO_KEEPALIVE": lambda v: {"keepalive": bool(v)},
    "TCP_KEEPIDLE": lambda v: {"keepalive_idle": float(v)},
    "TCP_KEEPINTVL": lambda v: {"keepalive_interval": float(v)},
    "TCP_KEEPCNT": lambda v: {"keepalive_probes": v},
    "TCP_FASTOPEN": lambda v: {"fastopen_queue": v},  # a listener's Fast Open queue (RFC 7413 5.1)
}
SEND_FLAG_FEATURES: dict[str, Feature] = {}
# the flag bits a script may write as a number (Linux's include/linux/socket.h)
_MSG_BITS = {
    0x40: "MSG_DONTWAIT",
    0x80: "MSG_EOR",
    0x8000: "MSG_MORE",
    0x4000000: "MSG_ZEROCOPY",
    0x20000000: "MSG_FASTOPEN",
}


def _flag_names(text: str) -> str:
    """Send flags as names: a script may write them as a number (``0x20000000`` for MSG_FASTOPEN)."""
    try:
        value = int(text.strip(), 0) if len(text.strip()) < 12 else None
    except ValueError:
        return text
    if value is None:
        return text
    return "|".join(name for bit, name in _MSG_BITS.items() if value & bit) or text


def _set_sndbuf(host: Host, sock: Socket, value: str) -> None:
    host.set_sndbuf(sock, int(value.strip("[] ")) if value.strip("[] ").isdigit() else 0)


def _set_linger(host: Host, sock: Socket, value: str) -> None:
    """SO_LINGER as packetdrill writes it: ``{onoff=1, linger=0}``."""
    fields = dict(re.findall(r"(\w+)\s*=\s*(\d+)", value))
    sock.linger = int(fields.get("linger", "0")[:9]) if fields.get("onoff", "0") != "0" else None


def _number(text: str) -> int | None:
    """A number as a script writes it, decimal or hexadecimal (``[0xffffffff]``); ``None`` if it is not one."""
    text = text.strip("[] ")
    try:
        return int(text, 0) if len(text) <= 12 else None
    except ValueError:
        return None


def _set_notsent_lowat(host: Host, sock: Socket, value: str) -> None:
    """TCP_NOTSENT_LOWAT: bytes (0: the sysctl's, net.ipv4.tcp_notsent_lowat)."""
    number = _number(value)
    sock.notsent_lowat = number if number is not None and 0 <= number <= 0xFFFFFFFF else 0


def _set_zerocopy(host: Host, sock: Socket, value: str) -> None:
    """SO_ZEROCOPY: MSG_ZEROCOPY writes are then numbered, and their completion queued on the error queue."""
    sock.zerocopy = _number(value) not in (0, None)


def _set_inq(host: Host, sock: Socket, value: str) -> None:
    """TCP_INQ: recvmsg() then reports the bytes left to read in a TCP_CM_INQ control message."""
    sock.inq = value.strip("[] ") not in ("0", "")


# Socket options the host keeps on the socket itself.
HOST_OPTIONS: dict[str, Callable[[Host, Socket, str], None]] = {
    "SO_SNDBUF": _set_sndbuf,
    "SO_LINGER": _set_linger,
    "TCP_INQ": _set_inq,
    "TCP_NOTSENT_LOWAT": _set_notsent_lowat,
    "SO_ZEROCOPY": _set_zerocopy,
}
NO_CHECK_CALLS = frozenset({"socket", "bind", "listen", "setsockopt", "fcntl"})  # set-up, not a check


class Driver(Protocol):
    """What a system call needs of the runner that drives it."""

    host: Host
    now: float
    last_fd: int | None

    def wait(
        self, line: Line, call: str, expected: Return, ready: Callable[[], Return | None], deadline: float | None
    ) -> None: ...

    def skip(self, what: str) -> None: ...

    def count_environment(self, what: str) -> None: ...


Call = Callable[[Driver, Line, list[str], Return], Return | None]


def lookup(name: str) -> Call | None:
    """The function for a system call, or ``None`` if the runner does not have it."""
    return CALLS.get(name)


def _sock(run: Driver, line: Line, fd_text: str) -> Socket:
    fd = int(fd_text) if fd_text.lstrip("-").isdigit() and len(fd_text) < 10 else -1
    sock = run.host.lookup(fd)
    if sock is None:
        raise Failed(line.number, f"line {line.number}: file descriptor {fd_text[:20]} is not an open socket")
    return sock


def _int_arg(text: str, line: Line, *, limit: int = MAX_CALL_BYTES) -> int:
    value = text.strip("[] ")
    if not value.isdigit() or len(value) > 12:
        return 0
    if int(value) > limit:
        raise ScriptError(f"line {line.number}: {value} bytes is beyond the runner's budget ({limit} per call)")
    return int(value)


def _iov_sizes(text: str, line: Line) -> tuple[int, ...]:
    """The sizes of a msghdr's iovecs: ``msg_iov(2)=[{..., 100}, {..., 200}]``."""
    return tuple(_int_arg(n, line) for n in re.findall(r"\{\s*\.\.\.\s*,\s*(\d+)\s*\}", text))


def _iov_total(text: str, line: Line) -> int:
    """The bytes of a msghdr's iovecs."""
    return sum(_iov_sizes(text, line))


def _buffers_after(buffers: tuple[int, ...], skip: int) -> tuple[int, ...]:
    """The iovecs of a write still to take once ``skip`` bytes are taken."""
    left: list[int] = []
    for size in buffers:
        cut = min(size, skip)
        skip -= cut
        if size > cut:
            left.append(size - cut)
    return tuple(left)


def _null_buffer(args: list[str]) -> bool:
    """A call's buffer written ``NULL``: an address the kernel cannot copy from or to (EFAULT)."""
    return len(args) > 1 and args[1].strip() == "NULL"


def _would_block(expected: Return) -> Return:
    return -1, "EAGAIN" if expected[1] == "EAGAIN" else "EWOULDBLOCK"


# ---------------------------------------------------------------- descriptors and options
def socket(run: Driver, line: Line, args: list[str], expected: Return) -> Return:
    if len(args) > 1 and "SOCK_DGRAM" in args[1]:
        raise NeedsFeature(Feature.UDP, f"line {line.number}: a UDP socket needs {Feature.UDP}")
    fd = run.host.new_fd(expected[0])
    run.host.open_socket(fd, nonblocking=len(args) > 1 and "SOCK_NONBLOCK" in args[1])
    run.last_fd = fd
    return fd, None


def fcntl(run: Driver, line: Line, args: list[str], expected: Return) -> Return:
    sock = _sock(run, line, args[0])
    if args[1] == "F_GETFL":
        return (0x02 | (0x800 if sock.nonblocking else 0)), None  # O_RDWR, O_NONBLOCK
    if args[1] == "F_SETFL":
        sock.nonblocking = "O_NONBLOCK" in args[2]
        return 0, None
    run.skip("fcntl")
    return expected


def setsockopt(run: Driver, line: Line, args: list[str], expected: Return) -> Return:
    sock = _sock(run, line, args[0])
    option = args[2]
    value = _int_arg(args[3], line, limit=1 << 31) if len(args) > 3 else 0
    if option in OPTION_FEATURES:
        feature = OPTION_FEATURES[option]
        raise NeedsFeature(feature, f"line {line.number}: setsockopt {option} needs {feature}")
    if option in ENVIRONMENT_OPTIONS:
        run.count_environment(f"setsockopt {option}")
        return 0, None
    if option in HOST_OPTIONS:
        HOST_OPTIONS[option](run.host, sock, args[3] if len(args) > 3 else "")
        return 0, None
    if option == "TCP_FASTOPEN_CONNECT":  # Linux's do_tcp_setsockopt: only with the client bit
        if not run.host.config.fastopen & FastOpenBits.CLIENT:
            return -1, "EOPNOTSUPP"
        sock.fastopen_connect = bool(value)
        return 0, None
    if option == "TCP_CORK":  # not a setting: a state of the socket that uncorking ends with a push
        sock.endpoint.set_cork(bool(value), run.now)
        return 0, None
    if option not in OPTION_SETTINGS:
        wanted = f"the socket option {option}"
        raise NeedsFeature(wanted, f"line {line.number}: setsockopt {option} needs {wanted}")
    if option == "SO_RCVBUF":
        value = run.host.set_rcvbuf(sock, value)  # the window's share of what the kernel stores
    try:
        new = replace(sock.endpoint.config, **OPTION_SETTINGS[option](value))
    except ScenarioError as exc:
        raise NeedsFeature(f"{option} of {value} ({exc})") from None
    run.host.configure(sock, new)
    if option == "SO_RCVBUF":
        sock.endpoint.recv_buffer = value
    if option == "TCP_NODELAY" and value:
        sock.endpoint.push(run.now)  # Linux pushes what waits (__tcp_sock_set_nodelay: TCP_NAGLE_PUSH)
    return 0, None


def getsockopt(run: Driver, line: Line, args: list[str], expected: Return) -> Return:
    sock = _sock(run, line, args[0])
    option, want = args[2], args[3].strip("[]")
    if option == "SO_ERROR":
        got = run.host.so_error(sock)
    elif option == "SO_RCVBUF":
        got = str(run.host.rcvbuf(sock))
    elif option == "TCP_MAXSEG":
        got = str(run.host.maxseg(sock))
    elif option == "TCP_NOTSENT_LOWAT":  # the socket's own, 0 if unset (do_tcp_getsockopt)
        got = want if _number(want) == sock.notsent_lowat else str(sock.notsent_lowat)
    elif option == "SO_SNDBUF" and sock.sndbuf is not None:
        got = str(sock.sndbuf)
    elif option == "SO_SNDBUF":
        raise NeedsFeature(Feature.SEND_BUFFER, f"line {line.number}: getsockopt {option} needs {Feature.SEND_BUFFER}")
    elif option in OPTION_FEATURES:
        feature = OPTION_FEATURES[option]
        raise NeedsFeature(feature, f"line {line.number}: getsockopt {option} needs {feature}")
    else:
        wanted = f"the socket option {option}"
        raise NeedsFeature(wanted, f"line {line.number}: getsockopt {option} needs {wanted}")
    if got != want:
        raise Failed(line.number, f"line {line.number}: {option} is {got}, but the script expects {want}")
    return expected


def ioctl(run: Driver, line: Line, args: list[str], expected: Return) -> Return:
    sock = _sock(run, line, args[0])
    request, want = args[1], args[2].strip("[]") if len(args) > 2 else ""
    if request in ("SIOCINQ", "FIONREAD"):
        if sock.listening:
            return -1, "EINVAL"
        got = sock.endpoint.readable
    elif request in ("SIOCOUTQ", "TIOCOUTQ"):
        got = run.host.queued_out(sock)
    elif request == "SIOCOUTQNSD":
        got = sock.endpoint.unsent
    else:
        wanted = f"the ioctl {request}"
        raise NeedsFeature(wanted, f"line {line.number}: needs {wanted}")
    if str(got) != want:
        raise Failed(line.number, f"line {line.number}: {request} is {got}, but the script expects {want}")
    return expected


# ---------------------------------------------------------------- connections
def bind(run: Driver, line: Line, args: list[str], expected: Return) -> Return:
    return run.host.bind_local(_sock(run, line, args[0]))


def listen(run: Driver, line: Line, args: list[str], expected: Return) -> Return:
    backlog = _int_arg(args[1], line, limit=1 << 31) if len(args) > 1 else 0
    return run.host.listen_local(_sock(run, line, args[0]), run.now, backlog)


def accept(run: Driver, line: Line, args: list[str], expected: Return) -> Return | None:
    sock = _sock(run, line, args[0])

    def ready() -> Return | None:
        got = run.host.accept(sock, expected[0])
        if got is not None:
            run.last_fd = got[0]
        return got

    got = ready()
    if got is not None:
        return got
    if sock.nonblocking:
        return _would_block(expected)
    run.wait(line, "accept", expected, ready, None)
    return None


def connect(run: Driver, line: Line, args: list[str], expected: Return) -> Return | None:
    sock = _sock(run, line, args[0])
    got = run.host.connect_remote(sock, run.now)
    if got is not None:
        return got
    if sock.nonblocking:
        return -1, "EINPROGRESS"
    run.wait(line, "connect", expected, lambda: run.host.connected(sock), None)
    return None


def shutdown(run: Driver, line: Line, args: list[str], expected: Return) -> Return:
    return run.host.shutdown(_sock(run, line, args[0]), args[1], run.now)


def close(run: Driver, line: Line, args: list[str], expected: Return) -> Return:
    if args and args[0].isdigit() and run.host.epolls.pop(int(args[0]), None) is not None:
        return 0, None  # an epoll instance
    return run.host.close(_sock(run, line, args[0]), run.now)


# ---------------------------------------------------------------- data
def read(
    run: Driver,
    line: Line,
    args: list[str],
    expected: Return,
    flags: str = "",
    returned: Callable[[Socket], None] | None = None,
) -> Return | None:
    """read(), recv(): ``returned`` is told of the socket when the call returns (what recvmsg's control
    messages report is read then)."""
    sock = _sock(run, line, args[0])
    amount = _int_arg(args[2], line) if len(args) > 2 else 0
    if _null_buffer(args) and amount > 0 and sock.endpoint.readable:
        return -1, "EFAULT"  # tcp_recvmsg: the copy to the user fails, the data stays queued

    def ready() -> Return | None:
        got = run.host.receive(sock, amount, flags, run.now)
        if got is not None and returned is not None:
            returned(sock)
        return None if got is None else got[0]

    got = ready()
    if got is not None:
        return got
    if sock.nonblocking or "MSG_DONTWAIT" in flags:
        return _would_block(expected)
    run.wait(line, line.text.partition("(")[0].strip(), expected, ready, None)
    return None


def recv(run: Driver, line: Line, args: list[str], expected: Return) -> Return | None:
    return read(run, line, args, expected, args[3] if len(args) > 3 else "")


_CM_INQ = re.compile(r"msg_control=\[\{\s*cmsg_level=SOL_TCP,\s*cmsg_type=TCP_CM_INQ,\s*cmsg_data=(\d+)\s*\}\]")


_ZEROCOPY_NOTICE = re.compile(
    r"cmsg_data=\{\s*ee_errno=0,\s*ee_origin=SO_EE_ORIGIN_ZEROCOPY,\s*ee_type=0,\s*"
    r"ee_code=SO_EE_CODE_ZEROCOPY_COPIED,\s*ee_info=(\d+),\s*ee_data=(\d+)\s*\}"
)


def recvmsg(run: Driver, line: Line, args: list[str], expected: Return) -> Return | None:
    """recvmsg(): the control messages the runner reads are TCP_INQ's (TCP_CM_INQ: tcp_recvmsg's
    tcp_inq_hint, the bytes left to read once the call has taken its own) and, from the error queue,
    MSG_ZEROCOPY's completion notices."""
    flags = args[2] if len(args) > 2 else ""
    inq = _CM_INQ.search(args[1]) if len(args) > 1 else None
    if "MSG_ERRQUEUE" in flags and len(args) > 1:
        return _error_queue(run, line, args, expected)
    if len(args) < 2 or ("msg_control" in args[1] and inq is None) or "MSG_ERRQUEUE" in flags:
        raise NeedsFeature(Feature.CMSG, f"line {line.number}: recvmsg with control messages needs {Feature.CMSG}")

    def check_inq(sock: Socket) -> None:
        if inq is None:
            return
        if not sock.inq:
            raise Failed(line.number, f"line {line.number}: a TCP_CM_INQ message, but TCP_INQ is not set")
        got = run.host.inq_hint(sock)
        if str(got) != inq.group(1):
            raise Failed(line.number, f"line {line.number}: TCP_CM_INQ is {got}, but the script expects {inq.group(1)}")

    return read(run, line, [args[0], "...", str(_iov_total(args[1], line))], expected, flags, check_inq)


def write(
    run: Driver, line: Line, args: list[str], expected: Return, flags: str = "", buffers: tuple[int, ...] = ()
) -> Return | None:
    sock = _sock(run, line, args[0])
    flags = _flag_names(flags)
    for flag, feature in SEND_FLAG_FEATURES.items():
        if flag in flags:
            raise NeedsFeature(feature, f"line {line.number}: {flag} needs {feature}")
    amount = _int_arg(args[2], line) if len(args) > 2 else 0
    if _null_buffer(args) and amount > 0:
        return run.host.send_refused(sock) or (-1, "EFAULT")  # the copy from the user fails: nothing is queued
    if expected == (-1, "EFAULT"):
        raise NeedsFeature(Feature.EFAULT, f"line {line.number}: a bad buffer pointer needs {Feature.EFAULT}")
    _needs_a_send_buffer(sock, line, amount, expected)

    written = 0
    if sock.deferred is not None or (
        "MSG_FASTOPEN" in flags and (sock.endpoint.state is State.SYN_SENT or not sock.used)
    ):
        return _fast_open(run, line, sock, args, amount, flags, expected)

    def returned(got: Return) -> Return:
        if got[0] > 0 and "MSG_ZEROCOPY" in flags:
            run.host.zerocopy_write(sock)
        return got

    def ready() -> Return | None:  # a blocking write returns once the send buffer has taken every byte
        nonlocal written
        got = run.host.send(
            sock,
            b"y" * (amount - written),
            run.now,
            more="MSG_MORE" in flags,
            eor="MSG_EOR" in flags,
            buffers=_buffers_after(buffers, written) if "MSG_ZEROCOPY" in flags else (),
        )
        if got is not None and got[1] is not None:
            return returned((written, None)) if written else got  # what was taken is reported, the error next time
        written += got[0] if got is not None else 0
        return returned((written, None)) if written >= amount else None

    got = ready()
    if got is not None:
        return got
    if sock.nonblocking or "MSG_DONTWAIT" in flags:
        return returned((written, None)) if written else _would_block(expected)
    run.wait(line, "write", expected, ready, None)
    return None


def _fast_open(
    run: Driver, line: Line, sock: Socket, args: list[str], amount: int, flags: str, expected: Return
) -> Return | None:
    """sendto(MSG_FASTOPEN) on a socket not yet connected (Linux's tcp_sendmsg_fastopen): it connects, the
    SYN carrying what data it may (RFC 7413 4.1.3).  Non-blocking, it returns what the SYN took, or
    EINPROGRESS; blocking, it waits for the handshake (or its error), then sends the rest."""
    if sock.endpoint.state is State.SYN_SENT:
        return -1, "EALREADY"  # its connect finds one under way (__inet_stream_connect)
    if any("AF_UNSPEC" in arg for arg in args[4:]):
        return -1, "EOPNOTSUPP"  # tcp_sendmsg_fastopen refuses an AF_UNSPEC address
    got = run.host.fast_open_remote(sock, b"y" * amount, run.now)  # (a deferred connect()'s SYN too)
    if got is not None and got[1] is not None:
        return got
    if got is not None and got[0] > 0 and "MSG_ZEROCOPY" in flags:  # the SYN's data is a zerocopy write's
        run.host.zerocopy_write(sock)  # (tcp_sendmsg_fastopen passes the write's uarg on to the SYN's skb)
    if sock.nonblocking or "MSG_DONTWAIT" in flags:
        return got or (-1, "EINPROGRESS")
    written = got[0] if got is not None else 0
    sock.endpoint.write_pending = written < amount  # the data left will carry the ACK (sk_write_pending)

    def ready() -> Return | None:
        nonlocal written
        connected = run.host.connected(sock)
        if connected is None or connected[1] is not None:
            return connected  # still connecting, or the connection failed: its error
        sent = run.host.send(sock, b"y" * (amount - written), run.now) if written < amount else (0, None)
        written += sent[0] if sent is not None and sent[1] is None else 0
        return (written, None) if written >= amount else None

    run.wait(line, "sendto", expected, ready, None)
    return None


def _needs_a_send_buffer(sock: Socket, line: Line, amount: int, expected: Return) -> None:
    """A write the script expects to block or to take part of the data: the model's send buffer has no limit."""
    if sock.sndbuf is not None or sock.write_shut or sock.endpoint.state not in (State.ESTABLISHED, State.CLOSE_WAIT):
        return
    lowat = Host.notsent_lowat(sock)
    if lowat is not None and lowat < sock.endpoint.unsent + amount:  # the low-water mark may stop the write
        return
    if expected[1] in ("EAGAIN", "EWOULDBLOCK") or 0 <= expected[0] < amount or line.end is not None:
        raise NeedsFeature(
            Feature.SEND_BUFFER,
            f"line {line.number}: the script expects write() to block or to take part: needs {Feature.SEND_BUFFER}",
        )


def send(run: Driver, line: Line, args: list[str], expected: Return) -> Return | None:
    return write(run, line, args, expected, args[3] if len(args) > 3 else "")


def sendmsg(run: Driver, line: Line, args: list[str], expected: Return) -> Return | None:
    sizes = _iov_sizes(args[1], line) if len(args) > 1 else ()
    return write(run, line, [args[0], "...", str(sum(sizes))], expected, args[2] if len(args) > 2 else "", sizes)


def _error_queue(run: Driver, line: Line, args: list[str], expected: Return) -> Return:
    """recvmsg(MSG_ERRQUEUE): MSG_ZEROCOPY's notice ``[ee_info, ee_data]``, the numbers of the writes whose
    pages are released; always "copied" (SO_EE_CODE_ZEROCOPY_COPIED), as over packetdrill's tun device.
    Never blocks: EAGAIN when nothing is queued."""
    sock = _sock(run, line, args[0])
    wanted = _ZEROCOPY_NOTICE.search(args[1])
    if "msg_control" in args[1] and wanted is None and not re.search(r"msg_control=\[\s*\]", args[1]):
        raise NeedsFeature(Feature.CMSG, f"line {line.number}: recvmsg with control messages needs {Feature.CMSG}")
    notice = run.host.zerocopy_notice(sock)
    if notice is None:
        return -1, "EAGAIN"
    if wanted is not None and notice != (int(wanted.group(1)), int(wanted.group(2))):
        raise Failed(
            line.number,
            f"line {line.number}: the zerocopy notice is ee_info={notice[0]}, ee_data={notice[1]}, "
            f"but the script expects ee_info={wanted.group(1)}, ee_data={wanted.group(2)}",
        )
    return 0, None


# ---------------------------------------------------------------- epoll
def epoll_create(run: Driver, line: Line, args: list[str], expected: Return) -> Return:
    fd = run.host.new_fd(expected[0])
    run.host.epolls[fd] = EpollSet()
    return fd, None


def _epoll(run: Driver, line: Line, fd_text: str) -> EpollSet:
    found = run.host.epolls.get(int(fd_text)) if fd_text.isdigit() and len(fd_text) < 10 else None
    if found is None:
        raise Failed(line.number, f"line {line.number}: file descriptor {fd_text[:20]} is not an epoll instance")
    return found


def _event_fields(text: str) -> dict[str, str]:
    """``{events=EPOLLIN|EPOLLET, fd=4}`` as its fields."""
    return dict(re.findall(r"(\w+)\s*=\s*([\w|\s]+?)\s*(?:,|\}|$)", text))


def epoll_ctl(run: Driver, line: Line, args: list[str], expected: Return) -> Return:
    """EPOLL_CTL_ADD, EPOLL_CTL_MOD (which arms an EPOLLONESHOT socket again), EPOLL_CTL_DEL."""
    epset = _epoll(run, line, args[0])
    op = args[1] if len(args) > 1 else ""
    sock = _sock(run, line, args[2] if len(args) > 2 else "-1")
    events, modes = parse_events(_event_fields(args[3]).get("events", "") if len(args) > 3 else "")
    if op == "EPOLL_CTL_ADD":
        if sock.fd in epset.interests:
            return -1, "EEXIST"
        epset.interests[sock.fd] = Interest(sock, events, modes)
    elif op == "EPOLL_CTL_MOD":
        if sock.fd not in epset.interests:
            return -1, "ENOENT"
        epset.interests[sock.fd] = Interest(sock, events, modes)
    elif op == "EPOLL_CTL_DEL":
        if epset.interests.pop(sock.fd, None) is None:
            return -1, "ENOENT"
    else:
        return -1, "EINVAL"
    return 0, None


def epoll_wait(run: Driver, line: Line, args: list[str], expected: Return) -> Return | None:
    """The sockets ready, compared with the script's one ``{events=..., fd=...}`` (or ``ptr=0`` for none)."""
    epset = _epoll(run, line, args[0])
    wanted = _event_fields(args[1]) if len(args) > 1 else {}
    limit = int(args[2]) if len(args) > 2 and args[2].isdigit() and len(args[2]) < 6 else 1
    timeout = int(args[3]) if len(args) > 3 and args[3].lstrip("-").isdigit() and len(args[3]) < 10 else -1
    start = run.now

    def ready() -> Return | None:
        found = epset.ready(run.host, limit)
        if not found and (timeout < 0 or run.now < start + timeout / 1000):
            return None
        if found and "events" in wanted:
            fd, revents = found[0]
            want, _ = parse_events(wanted["events"])
            if revents != want or wanted.get("fd", str(fd)) != str(fd):
                got = "|".join(sorted("E" + e for e in revents))
                raise Failed(
                    line.number,
                    f"line {line.number}: epoll_wait() reports {got} for fd {fd}, "
                    f"but the script expects {wanted['events']} for fd {wanted.get('fd', '?')}",
                )
        return len(found), None

    got = ready()
    if got is not None:
        return got
    run.wait(line, "epoll_wait", expected, ready, start + timeout / 1000 if timeout >= 0 else None)
    return None


# ---------------------------------------------------------------- poll
def poll(run: Driver, line: Line, args: list[str], expected: Return) -> Return | None:
    entries = re.findall(r"\{([^{}]*)\}", args[0])
    timeout = int(args[2]) if len(args) > 2 and args[2].lstrip("-").isdigit() and len(args[2]) < 10 else -1
    wanted = [dict(re.findall(r"(\w+)\s*=\s*([\w|\s]+?)\s*(?:,|$)", entry)) for entry in entries]
    socks = [_sock(run, line, w.get("fd", "-1")) for w in wanted]
    start = run.now

    def ready() -> Return | None:
        events = [run.host.revents(s, w.get("events", "")) for s, w in zip(socks, wanted, strict=True)]
        count = sum(1 for e in events if e)
        if count == 0 and (timeout < 0 or run.now < start + timeout / 1000):
            return None
        for w, got in zip(wanted, events, strict=True):
            want = {f.strip() for f in w.get("revents", "0").split("|")} - {"0"}
            if "revents" in w and got != want:
                raise Failed(
                    line.number,
                    f"line {line.number}: poll() revents are {'|'.join(sorted(got)) or '0'}, "
                    f"but the script expects {w['revents']}",
                )
        return count, None

    got = ready()
    if got is not None:
        return got
    run.wait(line, "poll", expected, ready, start + timeout / 1000 if timeout >= 0 else None)
    return None


CALLS: dict[str, Call] = {
    "socket": socket,
    "fcntl": fcntl,
    "setsockopt": setsockopt,
    "getsockopt": getsockopt,
    "ioctl": ioctl,
    "bind": bind,
    "listen": listen,
    "accept": accept,
    "accept4": accept,
    "connect": connect,
    "shutdown": shutdown,
    "close": close,
    "read": read,
    "recv": recv,
    "recvfrom": recv,
    "recvmsg": recvmsg,
    "write": write,
    "send": send,
    "sendto": send,
    "sendmsg": sendmsg,
    "poll": poll,
    "epoll_create": epoll_create,
    "epoll_create1": epoll_create,
    "epoll_ctl": epoll_ctl,
    "epoll_wait": epoll_wait,
}
