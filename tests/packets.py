"""Wire bytes for a hand-made segment, built with ``struct``: the checker's tests need no Scapy.

The layout is the one ``simulator.capture.export`` gives through Scapy (options in Linux's order
and padding, IPv4 with DF and TTL 64, IPv6 with hop limit 64, checksums right);
``tests/test_packets.py`` holds the two to the same bytes.
"""

from __future__ import annotations

import ipaddress
import struct

from simulator.model.segment import Options, Segment

DEFAULT_ADDRESSES = ("10.0.0.1", "10.0.0.2")
_NOP, _EOL = b"\x01", b"\x00"


def option_bytes(opts: Options) -> bytes:
    """TCP options in the order and padding Linux uses (mss, sackOK, TS, nop, wscale), then SACK blocks."""
    out = b""
    if opts.mss is not None:
        out += struct.pack("!BBH", 2, 4, opts.mss)
    timestamps = struct.pack("!BBII", 8, 10, *opts.timestamps) if opts.timestamps is not None else b""
    if opts.sack_permitted and timestamps:
        out += b"\x04\x02" + timestamps
    elif timestamps:
        out += _NOP * 2 + timestamps
    elif opts.sack_permitted:
        out += _NOP * 2 + b"\x04\x02"
    if opts.wscale is not None:
        out += _NOP + struct.pack("!BBB", 3, 3, opts.wscale)
    if opts.sack_blocks:
        edges = [int(v) for block in opts.sack_blocks for v in block]
        out += _NOP * 2 + struct.pack(f"!BB{len(edges)}I", 5, 2 + 4 * len(edges), *edges)
    return out + _EOL * (-len(out) % 4)


def _checksum(data: bytes) -> int:
    data += b"\x00" * (len(data) % 2)
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ip_packet(seg: Segment) -> bytes:
    """An IPv4 or IPv6 packet carrying ``seg`` (addresses from the segment, or the defaults)."""
    src = ipaddress.ip_address(seg.src_addr or DEFAULT_ADDRESSES[0])
    dst = ipaddress.ip_address(seg.dst_addr or DEFAULT_ADDRESSES[1])
    options = option_bytes(seg.options)
    offset_flags = ((20 + len(options)) // 4) << 12 | int(seg.flags)
    header = struct.pack(
        "!HHIIHHHH", seg.src_port, seg.dst_port, int(seg.seq), int(seg.ack), offset_flags, seg.window, 0, seg.urgent
    )
    tcp = header + options + seg.payload
    pseudo = src.packed + dst.packed
    if src.version == 6:
        pseudo += struct.pack("!IxxxB", len(tcp), 6)
    else:
        pseudo += struct.pack("!xBH", 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", _checksum(pseudo + tcp)) + tcp[18:]
    if src.version == 6:
        return struct.pack("!IHBB", 6 << 28, len(tcp), 6, 64) + src.packed + dst.packed + tcp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src.packed, dst.packed)
    return ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:] + tcp


def pcap(segments: list[Segment], snaplen: int = 65535) -> bytes:
    """A raw-IP pcap (link type 101) of ``segments``, one a second, cut to ``snaplen``."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 101)]
    for i, seg in enumerate(segments):
        raw = ip_packet(seg)
        out.append(struct.pack("<IIII", i, 0, min(len(raw), snaplen), len(raw)) + raw[:snaplen])
    return b"".join(out)
