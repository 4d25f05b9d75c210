"""Segments as real IPv4/IPv6 packets (Scapy), each one checked against the model.

``to_packet(seg)`` builds a Scapy packet; ``packet_bytes(seg)`` builds it,
dissects the bytes again and compares every field with the segment (flags,
seq, ack, window, options, payload, ports, addresses, valid checksums), so a
mismatch is an error that names the field.  ``from_packet(pkt)`` goes back.
``export(trace, path)`` writes a run as pcap or pcapng (Scapy is imported
only here; the model never needs it).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.packet import Packet, Raw

from ..model.errors import TcpsimError
from ..model.segment import Ecn, Flags, Options, Segment
from ..model.seq import SeqNum
from ..sim.trace import Trace
from .analysis import captured
from .outputs import replacing

# Capture timestamps start here (2025-01-01 00:00:00 UTC) so that files are reproducible.
EPOCH = 1735689600
DEFAULT_ADDRESSES = ("10.0.0.1", "10.0.0.2")


class PacketMismatch(TcpsimError):
    """A crafted packet does not say what the model's segment says."""


def tcp_options(opts: Options) -> list[tuple[str, Any]]:
    """Options in the order and padding Linux uses (mss, sackOK, TS, nop, wscale)."""
    out: list[tuple[str, Any]] = []
    if opts.mss is not None:
        out.append(("MSS", opts.mss))
    if opts.sack_permitted and opts.timestamps is not None:
        out += [("SAckOK", b""), ("Timestamp", opts.timestamps)]
    elif opts.timestamps is not None:
        out += [("NOP", None), ("NOP", None), ("Timestamp", opts.timestamps)]
    elif opts.sack_permitted:
        out += [("NOP", None), ("NOP", None), ("SAckOK", b"")]
    if opts.wscale is not None:
        out += [("NOP", None), ("WScale", opts.wscale)]
    if opts.sack_blocks:
        blocks = tuple(int(v) for block in opts.sack_blocks for v in block)
        out += [("NOP", None), ("NOP", None), ("SAck", blocks)]
    return out


def to_packet(seg: Segment) -> Packet:
    """An IPv4 or IPv6 packet carrying ``seg`` (addresses from the segment, or the defaults)."""
    src = seg.src_addr or DEFAULT_ADDRESSES[0]
    dst = seg.dst_addr or DEFAULT_ADDRESSES[1]
    ecn = int(seg.ecn)  # the ECN field: the low two bits of the traffic class (RFC 3168 5)
    ip: Packet = (
        IPv6(src=src, dst=dst, hlim=64, tc=ecn)
        if ":" in src
        else IP(src=src, dst=dst, ttl=64, id=0, flags="DF", tos=ecn)
    )
    tcp = TCP(
        sport=seg.src_port,
        dport=seg.dst_port,
        seq=int(seg.seq),
        ack=int(seg.ack),
        flags=int(seg.flags),
        window=seg.window,
        urgptr=seg.urgent,
        options=tcp_options(seg.options),
    )
    pkt = ip / tcp
    if seg.payload:
        pkt = pkt / Raw(load=seg.payload)
    return pkt


def from_packet(pkt: Packet) -> Segment:
    """The segment inside a dissected Scapy packet (IPv4 or IPv6 with TCP)."""
    if TCP not in pkt:
        raise TcpsimError("the packet carries no TCP segment")
    ip = pkt[IP] if IP in pkt else pkt[IPv6]
    ecn = Ecn(int(ip.tos if IP in pkt else ip.tc) & 3)
    tcp = pkt[TCP]
    mss = wscale = None
    sack_ok = False
    timestamps = None
    blocks: list[tuple[SeqNum, SeqNum]] = []
    for name, value in tcp.options:
        if name == "MSS":
            mss = int(value)
        elif name == "WScale":
            wscale = int(value)
        elif name == "SAckOK":
            sack_ok = True
        elif name == "Timestamp":
            timestamps = (int(value[0]), int(value[1]))
        elif name == "SAck":
            blocks += [(SeqNum(value[i]), SeqNum(value[i + 1])) for i in range(0, len(value) - 1, 2)]
    payload = bytes(tcp.payload) if tcp.payload else b""
    return Segment(
        src_port=int(tcp.sport),
        dst_port=int(tcp.dport),
        seq=SeqNum(int(tcp.seq)),
        ack=SeqNum(int(tcp.ack)),
        flags=Flags(int(tcp.flags)),
        window=int(tcp.window),
        options=Options(
            mss=mss, wscale=wscale, sack_permitted=sack_ok, timestamps=timestamps, sack_blocks=tuple(blocks)
        ),
        payload=payload,
        src_addr=str(ip.src),
        dst_addr=str(ip.dst),
        urgent=int(tcp.urgptr),
        ecn=ecn,
    )


def packet_bytes(seg: Segment) -> bytes:
    """The wire bytes of ``seg``, dissected again and checked field by field."""
    raw = bytes(to_packet(seg))
    check(seg, raw)
    return raw


def check(seg: Segment, raw: bytes) -> None:
    """Raise PacketMismatch naming the first field where ``raw`` and ``seg`` disagree."""
    pkt: Packet = IPv6(raw) if raw[0] >> 4 == 6 else IP(raw)
    if TCP not in pkt:
        raise PacketMismatch("the packet does not dissect as TCP")
    back = from_packet(pkt)
    expected_addrs = (seg.src_addr or DEFAULT_ADDRESSES[0], seg.dst_addr or DEFAULT_ADDRESSES[1])
    pairs = [
        ("source address", expected_addrs[0], back.src_addr),
        ("destination address", expected_addrs[1], back.dst_addr),
        ("source port", seg.src_port, back.src_port),
        ("destination port", seg.dst_port, back.dst_port),
        ("flags", seg.flags, back.flags),
        ("seq", int(seg.seq), int(back.seq)),
        ("ack", int(seg.ack), int(back.ack)),
        ("window", seg.window, back.window),
        ("urgent pointer", seg.urgent, back.urgent),
        ("ECN field", seg.ecn, back.ecn),
        ("options", seg.options, back.options),
        ("payload", seg.payload, back.payload),
    ]
    for field, want, got in pairs:
        if want != got:
            raise PacketMismatch(f"the crafted packet's {field} is {got!r}, the model's segment says {want!r}")
    for layer in (IP, TCP):  # IPv6 has no header checksum; TCP's covers its pseudo-header
        if layer not in pkt:
            continue
        stored = pkt[layer].chksum
        rebuilt = pkt.copy()
        del rebuilt[layer].chksum  # Scapy computes it afresh
        if type(pkt)(bytes(rebuilt))[layer].chksum != stored:
            raise PacketMismatch(f"the {layer.__name__} checksum {stored:#06x} is wrong")


# ------------------------------------------------------------------ export
def packets(trace: Trace, *, at: str | None = None, drops: bool = True, relative: bool = False) -> Iterable[Packet]:
    """The packets a capture on endpoint ``at`` (default: the first) would hold, with comments
    (their numbers relative to each ISN with ``relative``, as Wireshark shows the packets).

    Like tcpdump on that host: its own segments when they leave (also those
    the network then loses; ``drops=False`` leaves them out), and the other
    side's segments when they arrive (a duplicate twice, reordered ones in
    the order they came, lost ones not at all).
    """
    for step, outgoing in captured(trace, at, drops=drops):
        event = step.event
        seg = event.segment
        assert seg is not None
        pkt = to_packet(seg)
        check(seg, bytes(pkt))
        pkt.time = EPOCH + round(event.time, 6)
        why = event.explained(relative=relative)
        comment = f"{event.endpoint if outgoing else event.endpoint + ' receives'}: {why}"
        if outgoing and step.fate is not None:
            comment += f" [{step.fate.explained(relative=relative)}]"
        pkt.comments = [comment.encode("utf-8")]
        yield pkt


def _link_type(trace: Trace, at: str | None) -> int:
    """Raw IPv4 or IPv6 (228, 229), by the capturing host's address: what Scapy would guess from the first
    packet, said outright so that a capture with no packet at all needs no guess (and no warning)."""
    from scapy.data import DLT_IPV4, DLT_IPV6

    host = next((e for e in trace.endpoints if at is None or e.name == at), None)
    return DLT_IPV6 if host is not None and ":" in host.address else DLT_IPV4


def export(trace: Trace, path: str | Path, *, at: str | None = None, drops: bool = True, relative: bool = False) -> int:
    """Write ``trace`` as captured on endpoint ``at`` (default: the first), as .pcap or
    .pcapng (comments only fit in pcapng); returns the packet count."""
    from scapy.utils import PcapNgWriter, PcapWriter

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".pcap", ".pcapng"):
        raise TcpsimError(f"{path}: the capture must end in .pcap or .pcapng")
    names = [e.name for e in trace.endpoints]
    if at is not None and at not in names:  # checked before any file is opened
        raise TcpsimError(f"no endpoint called {at!r} to capture at (endpoints: {', '.join(names)})")
    count = 0
    with replacing(path) as temporary:
        try:
            writer = (
                PcapNgWriter(str(temporary))
                if suffix == ".pcapng"
                else PcapWriter(str(temporary), linktype=_link_type(trace, at), sync=False)
            )
            with writer:
                for pkt in packets(trace, at=at, drops=drops, relative=relative):
                    if suffix == ".pcap":
                        pkt.comments = None
                    writer.write(pkt)
                    count += 1
        except OSError as exc:
            raise TcpsimError(f"cannot write {path}: {exc.strerror or exc}") from None
    return count
