"""The one segment type that flows through the model, network, trace and edges."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields

from .seq import SeqNum


class Flags(enum.IntFlag):
    """TCP header control bits (RFC 9293 section 3.1, RFC 3168 for ECE/CWR)."""

    FIN = 0x01
    SYN = 0x02
    RST = 0x04
    PSH = 0x08
    ACK = 0x10
    URG = 0x20
    ECE = 0x40
    CWR = 0x80

    @property
    def letters(self) -> str:
        """Flags as Scapy writes them: ``"SA"`` for SYN+ACK, ``"FA"`` for FIN+ACK."""
        return "".join(letter for bit, letter in _LETTERS if self & bit)

    @property
    def names(self) -> str:
        """Flags as a textbook writes them: ``"SYN,ACK"``, ``"FIN,ACK"``."""
        return FLAG_NAMES[int(self) & 0xFF]

    @classmethod
    def parse(cls, text: str) -> Flags:
        """Read flags written as letters (``"SA"``) or names (``"SYN,ACK"``, ``"syn+ack"``)."""
        text = text.strip().upper()
        if not text or text in {"NONE", "."}:
            return cls(0)
        parts = [p for p in text.replace("+", ",").replace("|", ",").split(",") if p]
        if len(parts) > 1 or parts[0] in cls.__members__:
            try:
                return cls(sum(cls[p.strip()] for p in parts))
            except KeyError as exc:
                raise ValueError(f"unknown TCP flag {exc.args[0]!r}") from None
        value = cls(0)
        by_letter = {letter: bit for bit, letter in _LETTERS}
        for ch in parts[0]:
            if ch not in by_letter:
                raise ValueError(f"unknown TCP flag letter {ch!r} in {text!r} (use F S R P A U E C)")
            value |= by_letter[ch]
        return value


class Ecn(enum.IntEnum):
    """The ECN field of the IP header (RFC 3168 section 5): whether the packet's transport is ECN-capable
    (ECT), and whether a router marked it Congestion Experienced (CE) instead of dropping it."""

    NOT_ECT = 0
    ECT1 = 1
    ECT0 = 2
    CE = 3


# The bits as plain ints, for tests made on every packet of a capture (``Flags & Flags`` is a
# Python call, ``int & int`` is not).
FIN_BIT, SYN_BIT, RST_BIT, ACK_BIT, URG_BIT, ECE_BIT, CWR_BIT = 0x01, 0x02, 0x04, 0x10, 0x20, 0x40, 0x80
PSH_BIT = 0x08

# Speed: Python's IntFlag builds a new member through Enum.__call__ for every
# ``&`` and ``|`` (about 1 us each); the hot path does millions of them.  All
# 256 values are made once here and the operators become table look-ups.
ALL_FLAGS: tuple[Flags, ...] = tuple(Flags(i) for i in range(256))
_ALL_FLAGS = ALL_FLAGS


def _and(a: int, b: int) -> Flags:
    return _ALL_FLAGS[int.__and__(a, b) & 0xFF]


def _or(a: int, b: int) -> Flags:
    return _ALL_FLAGS[int.__or__(a, b) & 0xFF]


def _xor(a: int, b: int) -> Flags:
    return _ALL_FLAGS[int.__xor__(a, b) & 0xFF]


def _invert(a: int) -> Flags:
    return _ALL_FLAGS[~int(a) & 0xFF]


for _name, _function in (
    ("__and__", _and),
    ("__rand__", _and),
    ("__or__", _or),
    ("__ror__", _or),
    ("__xor__", _xor),
    ("__rxor__", _xor),
    ("__invert__", _invert),
    ("__bool__", int.__bool__),
):
    setattr(Flags, _name, _function)

# Scapy's letter order, so that a trace and a Scapy packet print alike.
_LETTERS = (
    (Flags.FIN, "F"),
    (Flags.SYN, "S"),
    (Flags.RST, "R"),
    (Flags.PSH, "P"),
    (Flags.ACK, "A"),
    (Flags.URG, "U"),
    (Flags.ECE, "E"),
    (Flags.CWR, "C"),
)
# Textbook order: control bits first, then ACK, then the rest.
_NAMES = (
    (Flags.SYN, "SYN"),
    (Flags.FIN, "FIN"),
    (Flags.RST, "RST"),
    (Flags.PSH, "PSH"),
    (Flags.ACK, "ACK"),
    (Flags.URG, "URG"),
    (Flags.ECE, "ECE"),
    (Flags.CWR, "CWR"),
)
# every value's name, made once (the checker and the ladders ask for it for every segment)
FLAG_NAMES: tuple[str, ...] = tuple(
    ",".join(name for bit, name in _NAMES if i & int(bit)) or "none" for i in range(256)
)


@dataclass(frozen=True, slots=True)
class FastOpen:
    """The TCP Fast Open option (RFC 7413 section 4.1.1): a cookie, or none (a cookie request).

    ``experimental``: sent as the shared experimental option (kind 254, ExID 0xF989, RFC 6994) that
    Linux still answers in kind, not as kind 34.
    """

    cookie: bytes = b""
    experimental: bool = False


@dataclass(frozen=True, slots=True)
class Options:
    """TCP options (RFC 9293 section 3.2, RFC 7323, RFC 2018).

    ``None`` or empty means the option is absent.
    """

    mss: int | None = None
    wscale: int | None = None
    sack_permitted: bool = False
    sack_blocks: tuple[tuple[SeqNum, SeqNum], ...] = ()
    timestamps: tuple[int, int] | None = None
    fastopen: FastOpen | None = None  # RFC 7413: absent (None), a cookie request (no cookie) or a cookie

    def __bool__(self) -> bool:
        return (
            self.mss is not None
            or self.wscale is not None
            or self.sack_permitted
            or bool(self.sack_blocks)
            or self.timestamps is not None
            or self.fastopen is not None
        )

    def describe(self) -> str:
        """Options as tcpdump prints them: ``mss 1460,wscale 7,sackOK``."""
        parts: list[str] = []
        if self.mss is not None:
            parts.append(f"mss {self.mss}")
        if self.sack_permitted:
            parts.append("sackOK")
        if self.timestamps is not None:
            parts.append(f"TS val {self.timestamps[0]} ecr {self.timestamps[1]}")
        if self.wscale is not None:
            parts.append(f"wscale {self.wscale}")
        if self.sack_blocks:
            blocks = " ".join(f"{int(a)}:{int(b)}" for a, b in self.sack_blocks)
            parts.append(f"sack {blocks}")
        if self.fastopen is not None:
            name = "FOEXP" if self.fastopen.experimental else "FO"
            parts.append(f"{name} {self.fastopen.cookie.hex()}".rstrip())
        return ",".join(parts)


NO_OPTIONS = Options()
# The sequence space SYN and FIN take, for each value of the flags (a table: SEG.LEN is asked often).
_CONTROL_LEN: tuple[int, ...] = tuple((i & SYN_BIT != 0) + (i & FIN_BIT != 0) for i in range(256))
ZERO = SeqNum(0)
NO_FLAGS = Flags(0)


@dataclass(frozen=True, slots=True)
class Segment:
    """One TCP segment.  Immutable: a retransmission is a new value.

    Addresses are carried so that captures and multi-host simulations can be
    demultiplexed; the model itself only needs the ports.
    """

    src_port: int
    dst_port: int
    seq: SeqNum
    ack: SeqNum = ZERO
    flags: Flags = NO_FLAGS
    window: int = 0
    options: Options = field(default=NO_OPTIONS)
    payload: bytes = b""
    src_addr: str = ""
    dst_addr: str = ""
    urgent: int = 0
    ecn: Ecn = Ecn.NOT_ECT  # the IP header's ECN field (RFC 3168 section 5)

    @property
    def len(self) -> int:
        """SEG.LEN: octets of sequence space, counting SYN and FIN (RFC 9293 section 3.4)."""
        return len(self.payload) + _CONTROL_LEN[self.flags]

    @property
    def end(self) -> SeqNum:
        """The sequence number just past this segment: SEG.SEQ + SEG.LEN."""
        return self.seq + self.len

    def with_flags(self, flags: Flags) -> Segment:
        """The same segment with other control bits (``dataclasses.replace``, without its cost)."""
        return Segment(
            self.src_port,
            self.dst_port,
            self.seq,
            self.ack,
            flags,
            self.window,
            self.options,
            self.payload,
            self.src_addr,
            self.dst_addr,
            self.urgent,
            self.ecn,
        )

    def has(self, flags: Flags) -> bool:
        """True when every bit of ``flags`` is set on this segment."""
        return (self.flags & flags) == flags

    def label(self, *, isn_self: int | None = None, isn_peer: int | None = None) -> str:
        """A short label for ladders: ``SYN,ACK seq=5000 ack=1001``.

        Given the sender's and receiver's initial sequence numbers, the numbers
        are shown relative to them, as Wireshark does.
        """
        seq = int(self.seq) if isn_self is None else self.seq.since(isn_self)
        parts = [self.flags.names, f"seq={seq}"]
        if self.flags & Flags.ACK:
            ack = int(self.ack) if isn_peer is None else self.ack.since(isn_peer)
            parts.append(f"ack={ack}")
        if self.payload:
            parts.append(f"len={len(self.payload)}")
        return " ".join(parts)


# Speed: a frozen dataclass's generated ``__init__`` stores each field with ``object.__setattr__``; every
# segment sent is built once, and that was 6% of a bulk run.  Storing through the slots' own descriptors
# takes half the time.  Same signature and defaults as the generated one (tests/test_segment.py checks it).
_STORE = tuple(Segment.__dict__[f.name].__set__ for f in fields(Segment))
(
    _set_src_port,
    _set_dst_port,
    _set_seq,
    _set_ack,
    _set_flags,
    _set_window,
    _set_options,
    _set_payload,
    _set_src_addr,
    _set_dst_addr,
    _set_urgent,
    _set_ecn,
) = _STORE


def _segment_init(
    self: Segment,
    src_port: int,
    dst_port: int,
    seq: SeqNum,
    ack: SeqNum = ZERO,
    flags: Flags = NO_FLAGS,
    window: int = 0,
    options: Options = NO_OPTIONS,
    payload: bytes = b"",
    src_addr: str = "",
    dst_addr: str = "",
    urgent: int = 0,
    ecn: Ecn = Ecn.NOT_ECT,
) -> None:
    _set_src_port(self, src_port)
    _set_dst_port(self, dst_port)
    _set_seq(self, seq)
    _set_ack(self, ack)
    _set_flags(self, flags)
    _set_window(self, window)
    _set_options(self, options)
    _set_payload(self, payload)
    _set_src_addr(self, src_addr)
    _set_dst_addr(self, dst_addr)
    _set_urgent(self, urgent)
    _set_ecn(self, ecn)


Segment.__init__ = _segment_init  # type: ignore[method-assign]
