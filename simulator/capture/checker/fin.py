"""The FIN's state moves (RFC 9293 sections 3.10.4 and 3.10.7.4)."""

from __future__ import annotations

from .observer import S, _Observer

_FIN_SENT = {S.ESTABLISHED: S.FIN_WAIT_1, S.CLOSE_WAIT: S.LAST_ACK, S.SYN_RECEIVED: S.FIN_WAIT_1}  # CLOSE (3.10.4)
_FIN_ACKED = {S.FIN_WAIT_1: S.FIN_WAIT_2, S.CLOSING: S.TIME_WAIT, S.LAST_ACK: S.CLOSED}
_FIN_UNACKED = {after: before for before, after in _FIN_ACKED.items()}
# RFC 9293 section 3.10.7.4, eighth check: the FIN bit
_FIN_RECEIVED = {
    S.ESTABLISHED: S.CLOSE_WAIT,
    S.SYN_RECEIVED: S.CLOSE_WAIT,
    S.FIN_WAIT_1: S.CLOSING,
    S.FIN_WAIT_2: S.TIME_WAIT,
}


def _receive_fin(r: _Observer) -> None:
    """RFC 9293 section 3.10.7.4, eighth check: the FIN bit."""
    r.state = _FIN_RECEIVED.get(r.state, r.state)
