"""The checker's sentences, keyed by ``Why`` (as the model's are by its keys, ``model.explain``).

A packet's report holds a ``Sentence``, the key and the numbers it speaks of, and the words are
made only when the report is printed (``str(sentence)``): ``tcpsim check --brief`` never makes
them.  The header-prediction fast path (``fastpath``) says everything it says from here; the full
rules share these phrases, so both say the same words.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, NamedTuple

from ...model.seq import SeqNum
from ..connections import Packet
from .observer import _rel


class Why(StrEnum):
    """What a sentence explains."""

    DATA = "data"  # in-order data at SND.NXT
    PURE_ACK = "pure ACK"  # an ACK of new data, nothing else


def tso(length: int, mss: int | None) -> str:
    """What a segment larger than the MSS is, or ""."""
    if mss is not None and length > mss:
        return f"; {length} bytes is more than the MSS {mss}: a TSO/GSO super-segment the NIC or kernel cuts up later"
    return ""


def data_carried(p: Packet, base: SeqNum | None, data_end: SeqNum) -> str:
    """``N bytes of data, seq a..b`` (and how much the capture kept of them)."""
    length = p.length
    cut = f" (the capture kept {p.captured} of them)" if p.truncated else ""
    return f"{length} byte{'s' if length > 1 else ''} of data{cut}, seq {_rel(p.seq, base)}..{_rel(data_end, base)}; "


def will_ack(data_end: SeqNum, base: SeqNum | None) -> str:
    return f"the receiver will ack {_rel(data_end, base)}"


def every_byte_before(ack: SeqNum, base: SeqNum | None) -> str:
    return f"acknowledges every byte before {_rel(ack, base)}: the next byte it expects"


def whole(phrase: str) -> str:
    """A phrase as the report's sentence: a capital letter and a full stop."""
    return phrase[0].upper() + phrase[1:] + "."


def _data(p: Packet, base: SeqNum | None, data_end: SeqNum, mss: int | None) -> str:
    return whole(data_carried(p, base, data_end) + will_ack(data_end, base) + tso(p.length, mss))


def _pure_ack(ack: SeqNum, base: SeqNum | None) -> str:
    return whole(every_byte_before(ack, base))


CATALOGUE: dict[Why, Callable[..., str]] = {Why.DATA: _data, Why.PURE_ACK: _pure_ack}


class Sentence(NamedTuple):
    """A sentence not yet put into words: its key and what it speaks of."""

    why: Why
    args: tuple[Any, ...]

    def __str__(self) -> str:
        return CATALOGUE[self.why](*self.args)

    # A sentence is its words: a report read back from a spool file (words only) equals the one it was.
    def __eq__(self, other: object) -> bool:
        return str(self) == str(other) if isinstance(other, str | Sentence) else NotImplemented

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(str(self))
