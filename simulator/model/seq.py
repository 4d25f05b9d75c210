"""32-bit sequence numbers with wraparound-safe arithmetic.

TCP sequence numbers live on a circle of 2**32 values (RFC 9293 section 3.4:
"all arithmetic dealing with sequence numbers must be performed modulo
2**32").  Comparisons follow RFC 1982 serial-number arithmetic: ``a < b`` when
``b`` lies less than half the circle ahead of ``a``.
"""

from __future__ import annotations

MODULUS = 1 << 32
MASK = MODULUS - 1
HALF = 1 << 31


_new = int.__new__
_add = int.__add__
_sub = int.__sub__


class SeqNum(int):
    """A TCP sequence number: an ``int`` in ``0 .. 2**32-1`` that wraps.

    ``SeqNum(2**32 - 1) + 1 == SeqNum(0)`` and ``SeqNum(2**32 - 1) < SeqNum(0)``.
    Adding or subtracting an ``int`` gives a ``SeqNum``; the signed distance
    between two sequence numbers is ``b.since(a)``.  (The operators call the
    ``int`` slots directly: they sit in the model's hot path.)
    """

    __slots__ = ()

    def __new__(cls, value: int = 0) -> SeqNum:
        return _new(cls, value & MASK)

    def __add__(self, amount: int) -> SeqNum:
        return _new(SeqNum, _add(self, amount) & MASK)

    __radd__ = __add__

    def __sub__(self, amount: int) -> SeqNum:
        return _new(SeqNum, _sub(self, amount) & MASK)

    def since(self, earlier: int) -> int:
        """Signed distance ``self - earlier`` on the circle, in (-2**31, 2**31]."""
        d = _sub(self, earlier) & MASK
        return d - MODULUS if d > HALF else d

    def relative_to(self, base: int) -> int:
        """``self - base`` counted forward on the circle, in [0, 2**32): a relative sequence
        number as Wireshark shows it, which keeps counting up past 2**31 in a long transfer."""
        return _sub(self, base) & MASK

    # RFC 1982 section 3.2: i1 < i2 when 0 < (i2 - i1) mod 2**32 < 2**31.
    def __lt__(self, other: int) -> bool:
        return 0 < (_sub(other, self) & MASK) < HALF

    def __le__(self, other: int) -> bool:
        return (_sub(other, self) & MASK) < HALF

    def __gt__(self, other: int) -> bool:
        return 0 < (_sub(self, other) & MASK) < HALF

    def __ge__(self, other: int) -> bool:
        return (_sub(self, other) & MASK) < HALF

    def in_window(self, left: int, size: int) -> bool:
        """True when ``left <= self < left + size`` on the circle (size may be 0)."""
        return (_sub(self, left) & MASK) < size

    def __repr__(self) -> str:
        return f"SeqNum({int(self)})"

    __str__ = int.__repr__


def ts_before(a: int, b: int) -> bool:
    """Timestamp ``a`` is older than ``b``, modulo 2**32 (RFC 7323 5.2)."""
    return a != b and (a - b) & 0xFFFFFFFF >= 0x80000000
