"""Application scripts: what the program on each host asks of its TCP.

A script is a list of steps run in order.  A step either acts at once
(``send``, ``close``, ...) or waits (``wait``, ``wait_for_bytes``,
``wait_for_eof``, and ``connect``/``listen``, which wait like blocking
``connect()`` and ``accept()`` until the connection is established).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..model.endpoint import Endpoint
from ..model.errors import UserCallError
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
_OPEN_STATES = frozenset({State.ESTABLISHED, State.CLOSE_WAIT})


class Application:
    """Runs one script against one endpoint; the network calls ``run`` whenever
    something may have changed, and ``wake_at`` says when a ``wait`` ends."""

    def __init__(
        self,
        endpoint: Endpoint,
        script: list[Step],
        address_of: dict[str, tuple[str, int]],
        *,
        pause_after_sending: bool = False,
    ) -> None:
        self.endpoint = endpoint
        self.pause_after_sending = pause_after_sending  # loopback: return after a step that sent a segment
        self.paused = False
        self.script = script
        self.address_of = address_of
        self.position = 0
        self.received = 0  # bytes read by the application so far
        self.wake_at: float | None = None
        self.failure: str | None = None  # why the script stopped early
        self.reported = False  # the failure has been written to the trace
        self._waiting_since: float | None = None
        self.read_data = bytearray()
        self._sent_of_step = 0  # bytes of the current send step the send buffer has taken

    @property
    def done(self) -> bool:
        return self.position >= len(self.script) or self.failure is not None

    def run(self, now: float) -> None:
        """Carry out steps until one has to wait."""
        ep = self.endpoint
        if ep.config.auto_read and ep.readable:
            self._read(None, now)
        while not self.done:
            step = self.script[self.position]
            if ep.error is not None and step.action not in _AFTER_FAILURE:
                self.failure = f"connection {ep.error}"
                return
            try:
                if not self._do(step, now):
                    return
            except UserCallError as exc:
                self.failure = str(exc)
                return
            self.position += 1
            self._waiting_since = None
            if self.pause_after_sending and ep.has_sends:
                self.paused = True
                return

    def _do(self, step: Step, now: float) -> bool:
        """Perform or test ``step``; False means "wait and call again"."""
        ep = self.endpoint
        action = step.action
        if action == Action.WAIT:
            if self._waiting_since is None:
                self._waiting_since = now
                self.wake_at = now + step.seconds
            if now < self._waiting_since + step.seconds:
                return False
            self.wake_at = None
            return True
        if action == Action.LISTEN:
            if self._waiting_since is None:
                self._waiting_since = now
                if ep.state is not State.LISTEN:
                    ep.listen(now)
            return self._established_or_failed()
        if action == Action.CONNECT:
            if self._waiting_since is None:
                self._waiting_since = now
                addr, port = self.address_of[step.peer]
                ep.connect(addr, port, now, iss=step.isn)
            return self._established_or_failed()
        if action == Action.WAIT_FOR_BYTES:
            return self.received >= (step.amount or 0) or self._stream_over()
        if action == Action.WAIT_FOR_EOF:
            return (ep.eof and not ep.readable) or self._stream_over()
        if action == Action.SEND:  # a blocking send: wait while the send buffer is full
            self._sent_of_step += ep.send(step.data[self._sent_of_step :], now)
            if self._sent_of_step < len(step.data):
                return False
            self._sent_of_step = 0
        elif action == Action.READ:
            self._read(step.amount, now)
        elif action == Action.SHUTDOWN:
            ep.close(now)
        elif action == Action.CLOSE:
            ep.close(now, read_too=True)
        elif action == Action.ABORT:
            ep.abort(now)
        elif action == Action.CRASH:
            ep.crash(now)
        return True

    def _established_or_failed(self) -> bool:
        ep = self.endpoint
        if ep.state in _OPEN_STATES or ep.state in (State.FIN_WAIT_1, State.FIN_WAIT_2):
            return True
        if ep.error is not None:
            self.failure = f"connection {ep.error}"
            return True
        return False

    def _stream_over(self) -> bool:
        """No more data can come: a wait for data ends (and the script goes on)."""
        ep = self.endpoint
        if ep.error is not None:
            self.failure = f"connection {ep.error}"
            return True
        return ep.state is State.CLOSED

    def _read(self, amount: int | None, now: float) -> None:
        data = self.endpoint.receive(amount, now)
        self.received += len(data)
        self.read_data += data
