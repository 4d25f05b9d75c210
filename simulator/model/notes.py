"""What an endpoint reports back to whoever drives it: the sans-IO output."""

from __future__ import annotations

import enum
from typing import NamedTuple

from .keys import (
    AppKey,
    CongestionKey,
    DataKey,
    EofKey,
    ErrorKey,
    InfoKey,
    NoteKey,
    ReceiveKey,
    SendKey,
    StateKey,
    TimerKey,
)
from .segment import Segment
from .seq import SeqNum
from .states import State
from .timers import Timer


class NoteKind(enum.Enum):
    """The kinds of things an endpoint can report."""

    # Members compare by identity, so hash by identity too (Enum's own hash goes through the
    # member name; the network looks every note's kind up in a table).
    __hash__ = object.__hash__

    SEND = "send"  # a segment to put on the wire
    RECEIVE = "receive"  # what the endpoint did with an arriving segment
    STATE = "state"  # a move between states
    TIMER_SET = "timer_set"
    TIMER_CANCEL = "timer_cancel"
    TIMER_FIRED = "timer_fired"
    DATA = "data"  # bytes became readable for the application
    EOF = "eof"  # the peer's FIN: the application reads end of stream
    ERROR = "error"  # the connection failed (reset, refused, timed out)
    INFO = "info"  # a change worth telling (RTT sample, window update)
    CONGESTION = "congestion"  # cwnd or ssthresh changed (see ``congestion``)
    APP = "app"  # a user call (OPEN, SEND, CLOSE, ...)


# The keys a note of each kind carries (see ``keys``).
KEY_OF: dict[NoteKind, type[NoteKey]] = {
    NoteKind.SEND: SendKey,
    NoteKind.RECEIVE: ReceiveKey,
    NoteKind.STATE: StateKey,
    NoteKind.TIMER_SET: TimerKey,
    NoteKind.TIMER_CANCEL: TimerKey,
    NoteKind.TIMER_FIRED: TimerKey,
    NoteKind.DATA: DataKey,
    NoteKind.EOF: EofKey,
    NoteKind.ERROR: ErrorKey,
    NoteKind.INFO: InfoKey,
    NoteKind.CONGESTION: CongestionKey,
    NoteKind.APP: AppKey,
}


class TcbView(NamedTuple):
    """The RFC 9293 section 3.3.1 variables of one endpoint at one moment."""

    state: State
    iss: SeqNum
    irs: SeqNum
    snd_una: SeqNum
    snd_nxt: SeqNum
    snd_wnd: int
    rcv_nxt: SeqNum
    rcv_wnd: int
    # RFC 5681 section 2, in bytes; cwnd is None when no congestion control limits the sender
    cwnd: int | None = None
    ssthresh: int | None = None  # None: not yet set ("arbitrarily high")
    flight_size: int = 0  # SND.NXT - SND.UNA


class Note(NamedTuple):
    """One report.  ``key`` and ``args`` select and fill a sentence in ``explain``.

    ``key`` is of the enum ``KEY_OF[kind]``.  An immutable value, like ``TcbView``: a named tuple
    rather than a frozen dataclass because every segment sent builds one, and a frozen dataclass's
    ``__init__`` (one ``object.__setattr__`` per field) costs about four times a tuple's.
    """

    kind: NoteKind
    key: NoteKey
    tcb: TcbView
    segment: Segment | None = None
    args: tuple[tuple[str, object], ...] = ()
    timer: Timer | None = None
    deadline: float | None = None
    old_state: State | None = None
    retransmission: bool = False
    # The TCB to show beside the event when it is not ``tcb`` (which the sentence reads): an
    # arrival shows the TCB as it stood at its first consequence, so no number steps backwards.
    shown: TcbView | None = None

    def with_segment(self, segment: Segment) -> Note:
        """The same report about another segment."""
        kind, key, tcb, _, args, timer, deadline, old_state, retransmission, shown = self
        return Note(kind, key, tcb, segment, args, timer, deadline, old_state, retransmission, shown)


# The view SEND notes carry when the endpoint is not explaining (bulk runs).
NOT_RECORDED = TcbView(State.CLOSED, SeqNum(0), SeqNum(0), SeqNum(0), SeqNum(0), 0, SeqNum(0), 0)
