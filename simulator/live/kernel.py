"""The kernel's side of a live run: a scenario endpoint's script carried out with real sockets.

Each step maps to the socket call a program would make: ``listen`` is
bind+listen+accept, ``connect`` is connect(), ``send`` is send(), ``read`` is
recv(), ``shutdown`` is shutdown(SHUT_WR), ``close`` is close(), and ``abort``
is close() with SO_LINGER set to 0 (which makes Linux send a RST).  The
sockets are non-blocking; ``step`` does whatever can be done now.
"""

from __future__ import annotations

import os
import socket
import struct

from ..sim.app import Action, Step
from .namespace import LiveError


class KernelApp:
    """Runs one endpoint's script against Linux."""

    def __init__(
        self, script: list[Step], local: tuple[str, int], peer: tuple[str, int], *, auto_read: bool, rcvbuf: int | None
    ) -> None:
        _check(script)
        self.script = script
        self.local = local
        self.peer = peer
        self.auto_read = auto_read
        self.rcvbuf = rcvbuf
        self.position = 0
        self.received = 0
        self.eof = False
        self.failure: str | None = None
        self.listener: socket.socket | None = None
        self.sock: socket.socket | None = None
        # made now (the caller is inside the namespace), used by the first listen or connect
        self._fresh: socket.socket | None = self._socket()
        self.outgoing = bytearray()
        self.wake_at: float | None = None
        self._connecting = False
        self.closed = False

    @property
    def done(self) -> bool:
        return self.position >= len(self.script) or self.failure is not None

    def sockets(self) -> list[socket.socket]:
        return [s for s in (self.listener, self.sock, self._fresh) if s is not None and s.fileno() >= 0]

    def wants_to_write(self) -> bool:
        return bool(self.outgoing) or self._connecting

    def step(self, now: float) -> None:
        """Carry out steps until one has to wait."""
        self._pump()
        while not self.done:
            try:
                if not self._do(self.script[self.position], now):
                    return
            except OSError as exc:
                self.failure = f"{exc.strerror or exc}"
                return
            self.position += 1
            self.wake_at = None

    def _socket(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        sock.setblocking(False)
        sock.bind(self.local)
        return sock

    def _do(self, step: Step, now: float) -> bool:
        action = step.action
        if action == Action.LISTEN:
            if self.listener is None:
                self.listener, self._fresh = self._fresh, None
                if self.listener is None:  # (refused by _check; kept for a caller that skips it)
                    raise LiveError("the kernel's script listens twice")
                self.listener.listen(1)
            try:
                self.sock, _ = self.listener.accept()
            except BlockingIOError:
                return False
            self.sock.setblocking(False)
            return True
        if action == Action.CONNECT:
            if self.sock is None:
                self.sock, self._fresh = self._fresh, None
                if self.sock is None:
                    raise LiveError("the kernel's script connects twice")
                self.sock.connect_ex(self.peer)
                self._connecting = True
                return False
            error = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if error:
                self.failure = f"connect() failed: {os.strerror(error)}"
                return True
            try:
                self.sock.getpeername()
            except OSError:
                return False
            self._connecting = False
            return True
        if action == Action.WAIT:
            if self.wake_at is None:
                self.wake_at = now + step.seconds
            return now >= self.wake_at
        if self.sock is None:
            raise LiveError("the kernel's script uses the connection before listen or connect")
        if action == Action.SEND:
            self.outgoing += step.data
            self._pump()
        elif action == Action.READ:
            self._read(step.amount)
        elif action == Action.WAIT_FOR_BYTES:
            return self.received >= (step.amount or 0) or self.eof
        elif action == Action.WAIT_FOR_EOF:
            return self.eof
        elif action in (Action.SHUTDOWN, Action.CLOSE, Action.ABORT):
            if self.outgoing and action != Action.ABORT:
                return False  # the data goes first, as the model's send buffer would send it
            if action == Action.SHUTDOWN:
                self.sock.shutdown(socket.SHUT_WR)
            else:
                if action == Action.ABORT:
                    self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                elif not self.eof:
                    self._read(None)  # close() with unread data would make Linux send a RST
                self.sock.close()
                self.closed = True
        return True

    def _pump(self) -> None:
        """Move pending bytes into the kernel and, when the application reads by itself, read."""
        sock = self.sock
        if sock is None or self.closed:
            return
        if self.outgoing and not self._connecting:
            try:
                sent = sock.send(self.outgoing)
                del self.outgoing[:sent]
            except (BlockingIOError, InterruptedError):
                pass
        if self.auto_read:
            self._read(None)

    def _read(self, amount: int | None) -> None:
        sock = self.sock
        if sock is None or self.closed or self.eof:
            return
        while amount is None or amount > 0:
            try:
                data = sock.recv(65536 if amount is None else amount)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionError as exc:
                self.failure = (exc.strerror or str(exc)).lower()
                self.eof = True
                return
            if not data:
                self.eof = True
                return
            self.received += len(data)
            if amount is not None:
                amount -= len(data)

    def close(self) -> None:
        for sock in self.sockets():
            sock.close()


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
