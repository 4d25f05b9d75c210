"""The eleven connection states and the table of moves between them.

The table is RFC 9293 Figure 5 plus the moves the text of section 3.10 adds
(resets, aborts, time-outs).  The endpoint refuses any move that is not in it,
and the state diagram is drawn from it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

_UNSYNCHRONIZED_NAMES = frozenset({"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED"})


class State(enum.Enum):
    """Connection states, RFC 9293 section 3.3.2."""

    # Members compare by identity, so hash by identity too (Enum's own hash
    # goes through the member name and is slow in the model's hot path).
    __hash__ = object.__hash__

    CLOSED = "CLOSED"
    LISTEN = "LISTEN"
    SYN_SENT = "SYN-SENT"
    SYN_RECEIVED = "SYN-RECEIVED"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT_1 = "FIN-WAIT-1"
    FIN_WAIT_2 = "FIN-WAIT-2"
    CLOSE_WAIT = "CLOSE-WAIT"
    CLOSING = "CLOSING"
    LAST_ACK = "LAST-ACK"
    TIME_WAIT = "TIME-WAIT"

    def __init__(self, value: str) -> None:
        # True once both sides' ISNs are known (RFC 9293 section 3.5.2).  A plain attribute of each
        # member: the endpoint asks for every segment, and a property would cost a call each time.
        self.synchronized = value not in _UNSYNCHRONIZED_NAMES

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Transition:
    """One arrow of the state diagram: ``event / action``."""

    source: State
    target: State
    event: str
    action: str = ""
    main: bool = True  # drawn in RFC 9293 Figure 5 (False: from the text of 3.10)


S = State
TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.CLOSED, S.LISTEN, "passive OPEN", "create TCB"),
    Transition(S.CLOSED, S.SYN_SENT, "active OPEN", "snd SYN"),
    Transition(S.LISTEN, S.SYN_RECEIVED, "rcv SYN", "snd SYN,ACK"),
    Transition(S.LISTEN, S.SYN_SENT, "SEND", "snd SYN"),
    Transition(S.LISTEN, S.CLOSED, "CLOSE", "delete TCB"),
    Transition(S.SYN_SENT, S.SYN_RECEIVED, "rcv SYN", "snd SYN,ACK"),
    Transition(S.SYN_SENT, S.ESTABLISHED, "rcv SYN,ACK", "snd ACK"),
    Transition(S.SYN_SENT, S.CLOSED, "CLOSE, rcv RST or time-out", "delete TCB"),
    Transition(S.SYN_RECEIVED, S.ESTABLISHED, "rcv ACK of SYN"),
    Transition(S.SYN_RECEIVED, S.FIN_WAIT_1, "CLOSE", "snd FIN"),
    Transition(S.SYN_RECEIVED, S.LISTEN, "rcv RST (passive open)", main=False),
    Transition(S.SYN_RECEIVED, S.CLOSED, "rcv RST, ABORT or time-out", "delete TCB", main=False),
    Transition(S.SYN_RECEIVED, S.CLOSE_WAIT, "rcv FIN", "snd ACK", main=False),
    Transition(S.ESTABLISHED, S.FIN_WAIT_1, "CLOSE", "snd FIN"),
    Transition(S.ESTABLISHED, S.CLOSE_WAIT, "rcv FIN", "snd ACK"),
    Transition(S.ESTABLISHED, S.CLOSED, "rcv RST, ABORT or time-out", "delete TCB", main=False),
    Transition(S.FIN_WAIT_1, S.FIN_WAIT_2, "rcv ACK of FIN"),
    Transition(S.FIN_WAIT_1, S.CLOSING, "rcv FIN", "snd ACK"),
    Transition(S.FIN_WAIT_1, S.TIME_WAIT, "rcv FIN + ACK of FIN", "snd ACK", main=False),
    Transition(S.FIN_WAIT_1, S.CLOSED, "rcv RST, ABORT or time-out", "delete TCB", main=False),
    Transition(S.FIN_WAIT_2, S.TIME_WAIT, "rcv FIN", "snd ACK"),
    Transition(S.FIN_WAIT_2, S.CLOSED, "rcv RST, ABORT or time-out", "delete TCB", main=False),
    Transition(S.CLOSE_WAIT, S.LAST_ACK, "CLOSE", "snd FIN"),
    Transition(S.CLOSE_WAIT, S.CLOSED, "rcv RST, ABORT or time-out", "delete TCB", main=False),
    Transition(S.CLOSING, S.TIME_WAIT, "rcv ACK of FIN"),
    Transition(S.CLOSING, S.CLOSED, "rcv RST, ABORT or time-out", "delete TCB", main=False),
    Transition(S.LAST_ACK, S.CLOSED, "rcv ACK of FIN", "delete TCB"),
    Transition(S.TIME_WAIT, S.CLOSED, "time-out = 2MSL", "delete TCB"),
)
del S

ALLOWED: frozenset[tuple[State, State]] = frozenset((t.source, t.target) for t in TRANSITIONS)
