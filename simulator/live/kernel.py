"""The kernel's back end of the application interpreter: a scenario endpoint's script on a real socket.

The steps are carried out by the one interpreter of ``sim/app.py``; this module answers its calls
with the socket call a program would make: ``listen`` is bind+listen+accept, ``connect`` is
connect(), ``send`` is send() (the interpreter calls it again while the send buffer is full, as a
blocking send waits), ``fill`` is send() until EAGAIN, ``read`` is recv(), ``shutdown`` is
shutdown(SHUT_WR), ``close`` is close(), and ``abort`` is close() with SO_LINGER set to 0 (which
makes Linux send a RST).  The socket is non-blocking; the interpreter does whatever can be done now.
"""

from __future__ import annotations

import errno
import os
import socket
import struct

from ..sim.app import Action, Interpreter, Step
from .namespace import LiveError


class KernelSocket:
    """The interpreter's calls on one real socket: listen/accept or connect, then the connection."""

    refused: tuple[type[Exception], ...] = (OSError,)

    def __init__(
        self,
        local: tuple[str, int],
        peer: tuple[str, int],
        *,
        auto_read: bool,
        rcvbuf: int | None,
        sndbuf: int | None = None,
    ) -> None:
        self.local = local
        self.peer = peer
        self._auto_read = auto_read
        self.listener: socket.socket | None = None
        self.sock: socket.socket | None = None
        self.eof = False
        self.connecting = False
        self.closed = False
        self._error: OSError | None = None
        # made now (the caller is inside the namespace), used by the first listen or connect
        self._fresh: socket.socket | None = self._socket(rcvbuf, sndbuf)

    def _socket(self, rcvbuf: int | None, sndbuf: int | None) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if sndbuf is not None:  # the model's send_buffer is what Linux stores: twice what is asked
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, max(sndbuf // 2, 1))
        sock.setblocking(False)
        sock.bind(self.local)
        return sock

    def sockets(self) -> list[socket.socket]:
        return [s for s in (self.listener, self.sock, self._fresh) if s is not None and s.fileno() >= 0]

    # ------------------------------------------------------------ what the interpreter reads
    @property
    def auto_read(self) -> bool:
        return self._auto_read

    @property
    def readable(self) -> bool:
        return self.sock is not None and not self.closed and not self.eof

    @property
    def sent_something(self) -> bool:
        return False

    def error(self) -> str | None:
        return None if self._error is None else (self._error.strerror or str(self._error)).lower()

    def errno(self) -> str | None:
        code = self._error.errno if self._error is not None else None
        return None if code is None else errno.errorcode.get(code, str(code))

    # ------------------------------------------------------------ opening
    def listen(self, now: float) -> None:
        self.listener, self._fresh = self._fresh, None
        if self.listener is None:  # (refused by _check(); kept for a caller that skips it)
            raise LiveError("the kernel's script listens twice")
        self.listener.listen(1)

    def connect(self, peer: str, isn: int | None, now: float) -> None:
        self.sock, self._fresh = self._fresh, None
        if self.sock is None:
            raise LiveError("the kernel's script connects twice")
        self.sock.connect_ex(self.peer)
        self.connecting = True

    def opened(self) -> bool:
        if self.listener is not None and self.sock is None:
            return self._accepted()
        sock = self._connection()
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            self._error = OSError(code, os.strerror(code))
            return False
        try:
            sock.getpeername()
        except OSError:
            return False
        self.connecting = False
        return True

    def _accepted(self) -> bool:
        assert self.listener is not None
        try:
            self.sock, _ = self.listener.accept()
        except BlockingIOError:
            return False
        self.sock.setblocking(False)
        return True

    def _connection(self) -> socket.socket:
        if self.sock is None:
            raise LiveError("the kernel's script uses the connection before listen or connect")
        return self.sock

    # ------------------------------------------------------------ data
    def send(self, data: bytes, now: float) -> int:
        if self.connecting and not self.opened():
            return 0
        try:
            return self._connection().send(data)
        except (BlockingIOError, InterruptedError):
            return 0

    def read(self, amount: int | None, now: float) -> bytes:
        if self.sock is None or self.closed or self.eof or self._error is not None:
            return b""
        got = bytearray()
        while amount is None or len(got) < amount:
            try:
                data = self.sock.recv(65536 if amount is None else amount - len(got))
            except (BlockingIOError, InterruptedError):
                break
            except ConnectionError as exc:  # a RST: the error, not an end of stream
                self._error = exc
                break
            if not data:
                self.eof = True
                break
            got += data
        return bytes(got)

    def at_eof(self) -> bool:
        return self.eof

    def stream_over(self) -> bool:
        return self.eof or self._error is not None

    # ------------------------------------------------------------ endings
    def shutdown(self, now: float) -> None:
        self._connection().shutdown(socket.SHUT_WR)

    def close(self, now: float) -> None:
        sock = self._connection()
        if not self.eof:
            self.read(None, now)  # close() with unread data would make Linux send a RST
        sock.close()
        self.closed = True

    def abort(self, now: float) -> None:
        sock = self._connection()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        self.closed = True

    def crash(self, now: float) -> None:
        raise LiveError("the kernel cannot be made to crash: choose --kernel for the other side")

    def shut(self) -> None:
        for sock in self.sockets():
            sock.close()


class KernelApp(Interpreter):
    """Runs one endpoint's script against Linux: the interpreter on a ``KernelSocket``."""

    def __init__(
        self,
        script: list[Step],
        local: tuple[str, int],
        peer: tuple[str, int],
        *,
        auto_read: bool,
        rcvbuf: int | None,
        sndbuf: int | None = None,
    ) -> None:
        _check(script)
        self.kernel = KernelSocket(local, peer, auto_read=auto_read, rcvbuf=rcvbuf, sndbuf=sndbuf)
        super().__init__(self.kernel, script)

    @property
    def sock(self) -> socket.socket | None:
        return self.kernel.sock

    @property
    def closed(self) -> bool:
        return self.kernel.closed

    @property
    def eof(self) -> bool:
        return self.kernel.eof

    def sockets(self) -> list[socket.socket]:
        return self.kernel.sockets()

    def wants_to_write(self) -> bool:
        """A connect() under way, or a send step waiting for room in the send buffer."""
        at = self.script[self.position] if not self.done else None
        return self.kernel.connecting or (at is not None and at.action == Action.SEND)

    def step(self, now: float) -> None:
        """Carry out steps until one has to wait."""
        self.run(now)

    def close(self) -> None:
        self.kernel.shut()


_OPENS = (Action.LISTEN, Action.CONNECT)
_NEEDS_NOTHING = (Action.WAIT,)


def _check(script: list[Step]) -> None:
    """Refuse, before any socket is made, a script the kernel cannot carry out: one socket is opened once
    (listen or connect), before the connection is used; the kernel cannot crash."""
    opened = False
    for number, step in enumerate(script, 1):
        if step.action == Action.CRASH:
            raise LiveError("the kernel cannot be made to crash: choose --kernel for the other side")
        if step.action in _OPENS:
            if opened:
                raise LiveError(f"the kernel's script opens a second connection at step {number} ({step.action})")
            opened = True
        elif step.action not in _NEEDS_NOTHING and not opened:
            raise LiveError(
                f"the kernel's script uses the connection at step {number} ({step.action}) before listen or connect"
            )
