"""Application scripts: what the program on each host asks of its TCP, and their one interpreter.

A script is a list of steps run in order.  A step either acts at once
(``send``, ``close``, ...) or waits (``wait``, ``wait_for_bytes``,
``wait_for_eof``, and ``connect``/``listen``, which wait like blocking
``connect()`` and ``accept()`` until the connection is established).

``Interpreter`` carries the steps out against a ``Backend``: the model's socket layer (``ModelSocket``,
calls on a host's ``SocketHost``, as the packetdrill runner makes them) or the real kernel's
(``live/kernel.py``).  Both answer the
same calls, and the interpreter writes down what the application saw (``seen``: bytes read, end
of stream, a non-blocking send's count and EAGAIN, the error that stopped it), so that one script
run on both can be compared.
"""

from __future__ import annotations

import enum
import errno as errno_codes
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ..model.endpoint import Endpoint
from ..model.errors import UserCallError
from ..model.sockets import SO_ERROR, Return, Socket, SocketHost
from ..model.states import State


class Action(enum.StrEnum):
    """What one step of a script does, in the words a scenario file uses."""

    LISTEN = "listen"  # passive OPEN, then wait like accept()
    CONNECT = "connect"  # active OPEN, then wait like a blocking connect()
    SEND = "send"
    READ = "read"
    WAIT = "wait"  # a pause
    WAIT_FOR_BYTES = "wait_for_bytes"
    WAIT_FOR_EOF = "wait_for_eof"
    SHUTDOWN = "shutdown"  # close for sending only (SHUT_WR)
    CLOSE = "close"  # close(): no more sending or reading
    ABORT = "abort"
    CRASH = "crash"  # the host forgets the connection
    FILL = "fill"  # non-blocking sends of N bytes until one fails with EAGAIN (the send buffer is full)


# The steps that go on after the connection failed.
_AFTER_FAILURE = frozenset({Action.WAIT, Action.CRASH, Action.CONNECT, Action.LISTEN})


@dataclass(frozen=True, slots=True)
class Step:
    """One line of an application script."""

    action: Action
    peer: str = ""  # connect: the endpoint to connect to
    data: bytes = b""  # send
    amount: int | None = None  # read (None: everything), wait_for_bytes
    seconds: float = 0.0  # wait
    isn: int | None = None  # connect after a crash: the new ISN

    def describe(self) -> str:
        """The step as a scenario file writes it."""
        if self.action == Action.CONNECT:
            return f"connect to {self.peer}"
        if self.action == Action.SEND:
            return f"send {len(self.data)} bytes"
        if self.action == Action.FILL:
            return f"send {len(self.data)} bytes at a time, without blocking, until the send buffer is full"
        if self.action == Action.WAIT:
            return f"wait {self.seconds:g} s"
        if self.action == Action.WAIT_FOR_BYTES:
            return f"wait until {self.amount} bytes have arrived"
        if self.action == Action.READ:
            return "read everything" if self.amount is None else f"read {self.amount} bytes"
        return self.action.replace("_", " ")


def request_reply(request: bytes, reply: bytes, server: str = "server") -> tuple[list[Step], list[Step]]:
    """The scripts of the simplest conversation: the client sends ``request``,
    the server answers ``reply``, the client closes first, the server closes
    on end of stream.  Returns (client script, server script)."""
    client_script = [
        Step(Action.CONNECT, peer=server),
        Step(Action.SEND, data=request),
        Step(Action.WAIT_FOR_BYTES, amount=len(reply)),
        Step(Action.CLOSE),
    ]
    server_script = [
        Step(Action.LISTEN),
        Step(Action.WAIT_FOR_BYTES, amount=len(request)),
        Step(Action.SEND, data=reply),
        Step(Action.WAIT_FOR_EOF),
        Step(Action.CLOSE),
    ]
    return client_script, server_script


ACTIONS = frozenset(Action)
SOMAXCONN = 4096  # listen()'s backlog unless a scenario gives one (Linux's net.core.somaxconn since 5.4)
FILL_LIMIT = 4096  # a fill step whose peer reads as fast as it sends stops after this many sends
_OPEN_STATES = frozenset({State.ESTABLISHED, State.CLOSE_WAIT})


class Backend(Protocol):
    """The socket an interpreter drives: each call returns at once; a step that must wait asks again."""

    refused: tuple[type[Exception], ...]  # what a call the socket refuses raises

    @property
    def auto_read(self) -> bool: ...

    @property
    def readable(self) -> bool: ...

    @property
    def sent_something(self) -> bool: ...

    def error(self) -> str | None: ...  # the connection's failure, as the application is told it

    def errno(self) -> str | None: ...  # the same, as the errno name a program would see

    def listen(self, now: float) -> None: ...

    def connect(self, peer: str, isn: int | None, now: float) -> None: ...

    def opened(self) -> bool: ...  # the connection is established (accept() or connect() would return)

    def send(self, data: bytes, now: float) -> int: ...  # bytes the send buffer took (0: none, EAGAIN)

    def read(self, amount: int | None, now: float) -> bytes: ...

    def at_eof(self) -> bool: ...  # the peer's FIN has been read: recv() returns 0

    def stream_over(self) -> bool: ...  # no more data can come

    def shutdown(self, now: float) -> None: ...

    def close(self, now: float) -> None: ...

    def abort(self, now: float) -> None: ...

    def crash(self, now: float) -> None: ...


class ModelSocket:
    """The model's back end: one program's sockets on its host's ``SocketHost`` (``model/sockets.py``),
    called as the packetdrill runner calls them.

    ``sock`` is the socket the script's steps act on: the one the program connects, or, for a program
    that listens, the listening socket until ``accept()`` returns its connection.  The program's first
    connection is the endpoint that listened (RFC 9293's passive OPEN: the TCB in LISTEN becomes the
    connection); other connections wait in the listening socket's accept queue for ``accept()``.
    """

    refused: tuple[type[Exception], ...] = (UserCallError,)

    def __init__(
        self,
        host: SocketHost,
        sock: Socket,
        address_of: dict[str, tuple[str, int]],
        *,
        backlog: int = SOMAXCONN,
        spawn_isn: Callable[[], int] = lambda: 0,
    ) -> None:
        self.host = host
        self.sock = sock
        self.listener: Socket | None = None  # the listening socket, once the program has listened
        self.address_of = address_of
        self.backlog = backlog
        self.spawn_isn = spawn_isn
        self._errno: str | None = None  # a call the socket refused

    @property
    def endpoint(self) -> Endpoint:
        return self.sock.endpoint

    @property
    def auto_read(self) -> bool:
        return self.sock.endpoint.auto_read  # (sock.endpoint, not self.endpoint: asked on every run)

    @property
    def readable(self) -> bool:
        return self.sock.endpoint.readable > 0

    @property
    def sent_something(self) -> bool:
        return self.sock.endpoint.has_sends

    def error(self) -> str | None:
        error = self.sock.endpoint.error
        return None if error is None else f"connection {error}"

    def errno(self) -> str | None:
        error = self.endpoint.error
        return self._errno if error is None else SO_ERROR[error]

    def _done(self, got: Return | None) -> None:
        """A call's return: an errno is the step's failure."""
        if got is not None and got[1] is not None:
            self._errno = got[1]
            raise UserCallError(f"{self.endpoint.name}: {os.strerror(getattr(errno_codes, got[1]))} ({got[1]})")

    def listen(self, now: float) -> None:
        """socket(), bind() and listen(): then the step waits in accept()."""
        if self.listener is not None:
            return
        self._done(self.host.listen(self.sock, now, self.backlog, self.spawn_isn, own_first=True))
        self.listener = self.sock

    def connect(self, peer: str, isn: int | None, now: float) -> None:
        if self.sock.used and self.endpoint.state is State.CLOSED:  # the program starts again on its port
            self.sock = self.host.attach(self.endpoint)
        self._done(self.host.connect(self.sock, self.address_of[peer], now, iss=isn))

    def opened(self) -> bool:
        if self.sock is self.listener:  # in accept(): the connection the listening endpoint became
            got = self.host.accept(self.sock, 0, which=self.sock.endpoint)
            if got is None:
                return False
            self.sock = self.host.sockets[got[0]]
        state = self.endpoint.state
        return state in _OPEN_STATES or state in (State.FIN_WAIT_1, State.FIN_WAIT_2)

    def send(self, data: bytes, now: float) -> int:
        got = self.host.send(self.sock, data, now)
        self._done(got)
        return 0 if got is None else got[0]

    def read(self, amount: int | None, now: float) -> bytes:
        readable = self.endpoint.readable
        if not readable:
            return b""
        got = self.host.receive(self.sock, readable if amount is None else amount, "", now)
        return b"" if got is None else got[1]

    def at_eof(self) -> bool:
        return self.endpoint.eof and not self.endpoint.readable

    def stream_over(self) -> bool:
        return self.sock.endpoint.state is State.CLOSED

    def shutdown(self, now: float) -> None:
        self._done(self.host.shutdown(self.sock, "SHUT_WR", now))

    def close(self, now: float) -> None:
        self._done(self.host.close(self.sock, now))

    def abort(self, now: float) -> None:
        self.sock.linger = 0  # SO_LINGER with a zero timeout: close() resets
        self._done(self.host.close(self.sock, now))

    def crash(self, now: float) -> None:
        """The host forgets the connection (and the program its listening socket); the program then runs
        again on a new socket over the same port."""
        listening = [] if self.listener is None or self.listener is self.sock else [self.listener]
        self.host.crash([self.sock, *listening], now)
        self.sock, self.listener = self.host.attach(self.endpoint), None


class Interpreter:
    """Runs one script against one back end; the driver calls ``run`` whenever something may have
    changed, and ``wake_at`` says when a ``wait`` ends."""

    def __init__(self, backend: Backend, script: list[Step], *, pause_after_sending: bool = False) -> None:
        self.backend = backend
        self.pause_after_sending = pause_after_sending  # loopback: return after a step that sent a segment
        self.paused = False
        self.script = script
        self.position = 0
        self.received = 0  # bytes read by the application so far
        self.wake_at: float | None = None
        self.failure: str | None = None  # why the script stopped early
        self.reported = False  # the failure has been written to the trace
        self._waiting_since: float | None = None
        self.read_data = bytearray()
        self.seen: list[str] = []  # what the application saw beside the bytes it read: EOF, EAGAIN, errors
        self._sent_of_step = 0  # bytes of the current send step the send buffer has taken
        self._filled = self._fills = 0  # bytes the sends of the current fill step handed over, and the sends

    @property
    def done(self) -> bool:
        return self.position >= len(self.script) or self.failure is not None

    def run(self, now: float) -> None:
        """Carry out steps until one has to wait."""
        backend = self.backend
        if backend.auto_read and backend.readable:
            self._read(None, now)
        script = self.script
        while self.position < len(script) and self.failure is None:  # (not self.done: asked on every event)
            step = script[self.position]
            if backend.error() is not None and step.action not in _AFTER_FAILURE:
                self._fail(backend.error())
                return
            try:
                if not self._do(step, now):
                    return
            except backend.refused as exc:
                self._fail(getattr(exc, "strerror", None) or str(exc))
                return
            self.position += 1
            self._waiting_since = None
            if self.pause_after_sending and backend.sent_something:
                self.paused = True
                return

    def _fail(self, why: str | None) -> None:
        self.failure = why
        self.seen.append(f"error {self.backend.errno() or why}")

    def _do(self, step: Step, now: float) -> bool:
        """Perform or test ``step``; False means "wait and call again"."""
        action = step.action
        if action == Action.WAIT:
            return self._wait(step.seconds, now)
        if action in (Action.LISTEN, Action.CONNECT):
            if self._waiting_since is None:
                self._waiting_since = now
                if action == Action.LISTEN:
                    self.backend.listen(now)
                else:
                    self.backend.connect(step.peer, step.isn, now)
            return self._established_or_failed()
        if action == Action.WAIT_FOR_BYTES:
            return self.received >= (step.amount or 0) or self._stream_over()
        if action == Action.WAIT_FOR_EOF:
            return self._saw_eof() or self._stream_over()
        if action == Action.SEND:  # a blocking send: wait while the send buffer is full
            return self._send(step.data, now)
        if action == Action.FILL:
            return self._fill(step.data, now)
        if action == Action.READ:
            self._read(step.amount, now)
        else:
            self._end(action, now)
        return True

    def _wait(self, seconds: float, now: float) -> bool:
        if self._waiting_since is None:
            self._waiting_since = now
            self.wake_at = now + seconds
        if now < self._waiting_since + seconds:
            return False
        self.wake_at = None
        return True

    def _send(self, data: bytes, now: float) -> bool:
        self._sent_of_step += self.backend.send(data[self._sent_of_step :], now)
        if self._sent_of_step < len(data):
            return False
        self._sent_of_step = 0
        return True

    def _fill(self, data: bytes, now: float) -> bool:
        """Non-blocking sends of ``data`` until one takes nothing (EAGAIN); a partial one counts.  On loopback
        what a send put on the wire is handled before the next send, as inside the sender's system call."""
        while self._fills < FILL_LIMIT and (taken := self.backend.send(data, now)):
            self._filled += taken
            self._fills += 1
            if self.pause_after_sending and self.backend.sent_something:
                self.paused = True
                return False
        self.seen.append(f"sent {self._filled}, then " + ("EAGAIN" if self._fills < FILL_LIMIT else "gave up"))
        self._filled = self._fills = 0
        return True

    def _end(self, action: Action, now: float) -> None:
        backend = self.backend
        if action == Action.SHUTDOWN:
            backend.shutdown(now)
        elif action == Action.CLOSE:
            backend.close(now)
        elif action == Action.ABORT:
            backend.abort(now)
        elif action == Action.CRASH:
            backend.crash(now)

    def _established_or_failed(self) -> bool:
        if self.backend.opened():
            return True
        if self.backend.error() is not None:
            self._fail(self.backend.error())
            return True
        return False

    def _saw_eof(self) -> bool:
        if not self.backend.at_eof():
            return False
        if "eof" not in self.seen:
            self.seen.append("eof")
        return True

    def _stream_over(self) -> bool:
        """No more data can come: a wait for data ends (and the script goes on)."""
        if self.backend.error() is not None:
            self._fail(self.backend.error())
            return True
        return self.backend.stream_over()

    def _read(self, amount: int | None, now: float) -> None:
        data = self.backend.read(amount, now)
        self.received += len(data)
        self.read_data += data


class Application(Interpreter):
    """The interpreter on the model's socket layer: one program on a host of the simulated network."""

    backend: ModelSocket

    def __init__(self, backend: ModelSocket, script: list[Step], *, pause_after_sending: bool = False) -> None:
        super().__init__(backend, script, pause_after_sending=pause_after_sending)

    @property
    def endpoint(self) -> Endpoint:
        """The connection the program's steps act on now."""
        return self.backend.endpoint
