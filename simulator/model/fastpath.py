"""Header prediction: the endpoint's fast path for the common segment (RFC 1323 appendix A, RFC 7323).

Most segments of a connection are boring.  On an established connection they come in order, carry an
ACK and perhaps data, and nothing else: no SYN, FIN, RST or URG, no SACK blocks, a timestamp no older
than the last one.  Van Jacobson noticed (1988; RFC 1323 appendix A "Header Prediction", kept in
RFC 7323 appendix C's list of changes) that a receiver can recognise such a segment with a handful of
comparisons and then do only what it needs, instead of walking every step of SEGMENT ARRIVES
(RFC 9293 section 3.10.7.4).  BSD's ``tcp_input`` and Linux's ``tcp_rcv_established`` both do this.

What the full steps would find for a predicted segment, and why they can be skipped:

1. *Sequence number* (first step): SEG.SEQ = RCV.NXT is acceptable in every one of the four cases of
   the acceptability test, whatever the window (a zero window takes a segment at RCV.NXT too).
2. *PAWS* (RFC 7323 section 5.3): checked here, with the same comparison; an older timestamp is not
   predicted and takes the full path.
3. *RST, security, SYN* (second to fourth steps): the bits are not set.
4. *ACK* (fifth step): SND.UNA =< SEG.ACK =< SND.NXT, so the ACK is neither "too old" (RFC 5961
   section 5.2) nor for unsent data; the endpoint's own ACK processing runs as it always does.
5. *URG, text, FIN* (sixth to eighth steps): no URG, no FIN; in-order data that fits the window,
   with nothing waiting in the reassembly queue, is delivered straight away.

Everything else (another state, a control bit, an old or future sequence number, SACK blocks, data
that must be trimmed or that fills a gap) goes through the full steps.  The fast path changes no
outcome, only the time taken: a test runs random conversations with it on and off and compares the
traces (``tests/test_endpoint_fastpath.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .keys import ReceiveKey
from .segment import Segment
from .seq import HALF, MASK, ts_before

if TYPE_CHECKING:  # (the endpoint imports this module: no import of it at run time)
    from .endpoint import Endpoint

# Switched off only by the test that compares the two paths.
ENABLED = True
# The header prediction flags: of the control bits, ACK alone (PSH may come along; ECE and CWR may not).
_ACK, _PSH, _ACK_PSH = 0x10, 0x08, 0x18
_isub = int.__sub__


_CE = 3  # segment.Ecn.CE: a congestion mark (RFC 3168 5)


def predicted(ep: Endpoint, seg: Segment) -> bool:
    """Is ``seg`` the segment an ESTABLISHED ``ep`` expects next (Linux: ``pred_flags`` and the seq test)?"""
    flags = int(seg.flags)
    if (flags != _ACK and flags != _ACK_PSH) or seg.seq != ep.rcv_nxt or seg.ecn == _CE:
        return False  # (a CE mark takes the slow path, which starts the ECN echo)
    ack = seg.ack  # SND.UNA =< SEG.ACK =< SND.NXT, on plain ints (RFC 1982; SeqNum's operators are Python calls)
    if (_isub(ack, ep.snd_una) & MASK) >= HALF or (_isub(ep.snd_nxt, ack) & MASK) >= HALF:
        return False
    options = seg.options
    if options.sack_blocks:
        return False
    if not ep._ts_ok:
        return options.timestamps is None
    ts = options.timestamps
    return ts is not None and not ts_before(ts[0], ep._ts_recent)  # PAWS passes (RFC 7323 5.3)


def arrive(ep: Endpoint, seg: Segment, now: float) -> ReceiveKey | None:
    """Handle a predicted segment on an ESTABLISHED connection; ``None``: not predicted, take the full steps."""
    if not ENABLED or not predicted(ep, seg):
        return None
    ts = seg.options.timestamps
    if ts is not None:
        ahead = _isub(seg.seq, ep._rcv_wup) & MASK  # SEG.SEQ =< Last.ACK.sent: not ahead of it on the circle
        if ahead == 0 or ahead > HALF:
            ep._ts_recent = ts[0]  # RFC 7323 4.3: the segment covers Last.ACK.sent (and its ACK is acceptable)
    key = ep._process_ack(seg, now)  # RFC 9293 3.10.7.4, fifth step
    if key is not None:
        return key
    if not seg.payload:
        return ReceiveKey.ACK_PROCESSED
    if ep._ooo or ep._read_closed or len(seg.payload) > ep.rcv_wnd:
        return ep._take_text(seg, now)  # a gap may fill, the text must be trimmed, or a RST is owed
    ep._deliver(seg, now)  # seventh step: in order, in the window
    return ReceiveKey.DATA_ACCEPTED
