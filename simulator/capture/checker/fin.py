"""The FIN's state moves, read off the state diagram (``model.states.TRANSITIONS``, RFC 9293 Figure 5 and
sections 3.10.4 and 3.10.7.4): the checker and the model move on the same arrows."""

from __future__ import annotations

from ...model.states import TRANSITIONS, State
from .observer import _Observer


def _moves(event: str, action: str | None = None) -> dict[State, State]:
    """The arrows of ``event`` (and ``action``, if given), source to target."""
    return {t.source: t.target for t in TRANSITIONS if t.event == event and action in (None, t.action)}


_FIN_SENT = _moves("CLOSE", "snd FIN")  # CLOSE (3.10.4): ESTABLISHED, CLOSE-WAIT, SYN-RECEIVED
_FIN_ACKED = _moves("rcv ACK of FIN")  # FIN-WAIT-1, CLOSING, LAST-ACK
_FIN_UNACKED = {after: before for before, after in _FIN_ACKED.items()}  # its FIN again: the ACK had not reached it
_FIN_RECEIVED = _moves("rcv FIN")  # the eighth check, the FIN bit (3.10.7.4)


def _receive_fin(r: _Observer) -> None:
    """RFC 9293 section 3.10.7.4, eighth check: the FIN bit."""
    r.state = _FIN_RECEIVED.get(r.state, r.state)
