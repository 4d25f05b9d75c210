"""What a segment is, in Wireshark's words: one vocabulary for the model's labels and the checker's.

A label's value is the word Wireshark's TCP analysis prints for it (its expert information, in
lower case where Wireshark does not capitalise it); a member named like one of Wireshark's
``tcp.analysis.*`` fields has that field (``Label.FAST_RETRANSMISSION.field`` is
``tcp.analysis.fast_retransmission``).  The checker's own words, for what Wireshark has no flag for
(``data``, ``pure ACK``, ``handshake``, ``old ACK``, ...), are in the same enum, without a field.
"""

from __future__ import annotations

from enum import StrEnum


class Label(StrEnum):
    # Wireshark's TCP analysis flags (tcp.analysis.<the member's name in lower case>)
    RETRANSMISSION = "retransmission"
    FAST_RETRANSMISSION = "fast retransmission"
    SPURIOUS_RETRANSMISSION = "spurious retransmission"
    DUPLICATE_ACK = "duplicate ACK"
    ZERO_WINDOW = "zero window"
    ZERO_WINDOW_PROBE = "zero window probe"
    ZERO_WINDOW_PROBE_ACK = "zero window probe ACK"
    KEEP_ALIVE = "keep-alive"
    KEEP_ALIVE_ACK = "keep-alive ACK"
    WINDOW_UPDATE = "window update"
    OUT_OF_ORDER = "out-of-order"
    LOST_SEGMENT = "previous segment not captured"
    ACK_LOST_SEGMENT = "ACKed segment that wasn't captured"
    # the checker's own words: what a segment is where Wireshark sets no flag
    HANDSHAKE = "handshake"
    DATA = "data"
    PURE_ACK = "pure ACK"
    FIN = "FIN"
    RST = "RST"
    RST_IN_WINDOW = "RST in window"
    RST_OUTSIDE_WINDOW = "RST outside the window"
    OLD_ACK = "old ACK"
    ACK_NEVER_SENT = "ACK of something never sent"

    @property
    def field(self) -> str | None:
        """Wireshark's display filter field for this label, or None where it has none."""
        return f"tcp.analysis.{self.name.lower()}" if self in WIRESHARK else None

    def numbered(self, n: int) -> str:
        """A counted label as the checker prints it: ``duplicate ACK (#2)``."""
        return f"{self.value} (#{n})"


WIRESHARK = frozenset(
    {
        Label.RETRANSMISSION,
        Label.FAST_RETRANSMISSION,
        Label.SPURIOUS_RETRANSMISSION,
        Label.DUPLICATE_ACK,
        Label.ZERO_WINDOW,
        Label.ZERO_WINDOW_PROBE,
        Label.ZERO_WINDOW_PROBE_ACK,
        Label.KEEP_ALIVE,
        Label.KEEP_ALIVE_ACK,
        Label.WINDOW_UPDATE,
        Label.OUT_OF_ORDER,
        Label.LOST_SEGMENT,
        Label.ACK_LOST_SEGMENT,
    }
)


def parse(text: str) -> Label:
    """The label of a printed one (``duplicate ACK (#3)`` is ``Label.DUPLICATE_ACK``)."""
    return Label(text.split(" (#", 1)[0])
