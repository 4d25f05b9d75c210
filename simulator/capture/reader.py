"""Reading captures (pcap and pcapng): records, and the TCP segment inside each frame.

Standard library only, and fast: the file is memory-mapped and read record by record, and only
the IP and TCP headers are parsed (no packet dissection).  Link types: Ethernet (with VLAN
tags, stacked too, and PPPoE sessions), raw IP, IPv4, IPv6, Linux cooked SLL and SLL2, BSD null
and loopback.  A frame that is not read (another link type, ethertype or protocol, TCP inside a
tunnel) is named by ``not_tcp``, for the summary.  A damaged file
gives one ``CaptureError`` naming the packet.  ``connections`` groups the segments by connection.
"""

from __future__ import annotations

import mmap
import os
import shutil
import signal
import socket
import struct
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from ..model.errors import TcpsimError
from ..model.segment import ALL_FLAGS, NO_OPTIONS, Options, Segment
from ..model.seq import SeqNum

ETHERNET, NULL, RAW, RAW_ALT, LOOP, SLL, IPV4, IPV6, SLL2 = 1, 0, 101, 12, 108, 113, 228, 229, 276


LINK_TYPES = {
    ETHERNET: "Ethernet",
    NULL: "BSD null",
    RAW: "raw IP",
    RAW_ALT: "raw IP",
    LOOP: "BSD loopback",
    SLL: "Linux cooked (SLL)",
    IPV4: "IPv4",
    IPV6: "IPv6",
    SLL2: "Linux cooked (SLL2)",
}


MAX_RECORD = 1 << 18  # larger records are corruption, not packets


class CaptureError(TcpsimError):
    """A capture file that cannot be read as it is."""


STDIN = "-"  # the capture path that reads standard input: tcpdump -w - | tcpsim check -


def name_of(path: str | Path) -> str:
    """A capture's name in messages."""
    return "standard input" if str(path) == STDIN else str(path)


@contextmanager
def mapped(path: Path) -> Iterator[bytes]:
    """The file's bytes, memory-mapped: pages are read as they are used, never the whole file at once.
    Standard input is first copied to a nameless temporary file, to be mapped the same way."""
    if str(path) == STDIN and sys.stdin.isatty():
        raise CaptureError("standard input is a terminal: pipe a capture in (tcpdump -w - ... | tcpsim check -)")
    try:
        with _opened(path) as f:
            if os.fstat(f.fileno()).st_size == 0:
                yield b""
                return
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                yield mapped  # type: ignore[misc]  # an mmap slices like bytes
    except (OSError, ValueError) as exc:
        raise CaptureError(f"cannot read {name_of(path)}: {getattr(exc, 'strerror', None) or exc}") from None


@contextmanager
def _opened(path: Path) -> Iterator[IO[bytes]]:
    """The file, or standard input's bytes copied to a nameless temporary file."""
    if str(path) != STDIN:
        with path.open("rb") as f:
            yield f
        return
    with tempfile.TemporaryFile() as f:
        with _ctrl_c_ends_the_capture():
            shutil.copyfileobj(sys.stdin.buffer, f)
        f.flush()
        yield f


@contextmanager
def _ctrl_c_ends_the_capture() -> Iterator[None]:
    """While standard input is read, a first Ctrl-C does not stop tcpsim.  In a pipeline
    (``tcpdump -w - | tcpsim check -``) the same Ctrl-C stops the capturing program, which
    writes its last packets and closes the pipe: the capture is then read to its end and
    checked, instead of being lost.  A second Ctrl-C stops tcpsim."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals
        return
    presses = 0

    def pressed(signum: int, frame: object) -> None:
        nonlocal presses
        presses += 1
        if presses > 1:
            raise KeyboardInterrupt
        print("tcpsim: reading the rest of the capture, then checking it (Ctrl-C again to stop)", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, pressed)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# --------------------------------------------------------------- file formats
def records(data: bytes) -> Iterator[tuple[int, float, int, bytes, int]]:
    """(packet number, time, link type, frame bytes, original length) of every packet."""
    if len(data) < 4:
        raise CaptureError("not a capture: the file is empty or too short")
    magic = data[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        yield from _pcapng(data)
    elif magic in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"):
        yield from _pcap(data)
    else:
        raise CaptureError("not a pcap or pcapng file (unknown magic number)")


def _pcap(data: bytes) -> Iterator[tuple[int, float, int, bytes, int]]:
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    if len(data) < 24:
        raise CaptureError("the pcap file header is truncated")
    link = struct.unpack_from(endian + "I", data, 20)[0] & 0x0FFFFFFF
    record = struct.Struct(endian + "IIII")
    scale = 1e-9 if nano else 1e-6
    pos, number, end, released = 24, 0, len(data), 0
    while pos < end:
        number += 1
        if pos + 16 > end:
            raise CaptureError(f"packet {number}: the capture is truncated (the record header is cut off)")
        sec, frac, caplen, wirelen = record.unpack_from(data, pos)
        pos += 16
        if caplen > MAX_RECORD:
            raise CaptureError(f"packet {number}: the record claims {caplen} bytes; the file is corrupt")
        if pos + caplen > end:
            raise CaptureError(f"packet {number}: the capture is truncated ({end - pos} of {caplen} bytes)")
        yield number, sec + frac * scale, link, data[pos : pos + caplen], wirelen
        pos += caplen
        if pos - released >= _RELEASE:
            released = _release(data, released, pos)


def _pcapng(data: bytes) -> Iterator[tuple[int, float, int, bytes, int]]:
    pos, end, number, released = 0, len(data), 0, 0
    endian = "<"
    interfaces: list[tuple[int, float]] = []  # (link type, seconds per tick)
    while pos < end:
        if pos + 12 > end:
            raise CaptureError(f"packet {number + 1}: the capture is truncated (a block header is cut off)")
        block_type = struct.unpack_from(endian + "I", data, pos)[0]
        if block_type == 0x0A0D0D0A:  # section header: its byte order
            bom = data[pos + 8 : pos + 12]
            endian = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">" if bom == b"\x1a\x2b\x3c\x4d" else ""
            if not endian:
                raise CaptureError("the pcapng section header is corrupt (byte-order magic)")
            interfaces = []
        length = struct.unpack_from(endian + "I", data, pos + 4)[0]
        if length < 12 or length % 4 or length > MAX_RECORD + 64:
            raise CaptureError(f"packet {number + 1}: a pcapng block has an impossible length ({length}); corrupt")
        if pos + length > end:
            raise CaptureError(f"packet {number + 1}: the capture is truncated (a block is cut off)")
        body = data[pos + 8 : pos + length - 4]
        if block_type == 1:  # interface description
            if len(body) < 8:
                raise CaptureError(f"packet {number + 1}: an interface description block is too short; corrupt")
            link = struct.unpack_from(endian + "H", body, 0)[0]
            interfaces.append((link, _tsresol(body[8:], endian)))
        elif block_type in (6, 3):  # enhanced / simple packet
            number += 1
            if block_type == 6:
                if len(body) < 20:
                    raise CaptureError(f"packet {number}: the packet block is too short; corrupt")
                iface, high, low, caplen, wirelen = struct.unpack_from(endian + "IIIII", body, 0)
                frame_start = 20
            else:
                if len(body) < 4:
                    raise CaptureError(f"packet {number}: the packet block is too short; corrupt")
                iface, high, low, wirelen = 0, 0, 0, struct.unpack_from(endian + "I", body, 0)[0]
                caplen, frame_start = min(wirelen, len(body) - 4), 4
            if iface >= len(interfaces):
                raise CaptureError(f"packet {number}: it names interface {iface}, which the file never describes")
            if frame_start + caplen > len(body):
                raise CaptureError(f"packet {number}: the packet is longer than its block; corrupt")
            link, tick = interfaces[iface]
            yield number, ((high << 32) | low) * tick, link, body[frame_start : frame_start + caplen], wirelen
        pos += length
        if pos - released >= _RELEASE:
            released = _release(data, released, pos)


_RELEASE = 1 << 24  # bytes read between hand-backs of the mapped file's pages


_DONTNEED: int | None = getattr(mmap, "MADV_DONTNEED", None)  # not on Windows


def _release(data: bytes, start: int, pos: int) -> int:
    """Hand back the mapped pages of ``data[start:pos]``, read already: the kernel still caches them,
    but they stop counting as this process's memory, so a large file does not look like a large
    process.  Returns where the next hand-back starts."""
    upto = pos - pos % mmap.PAGESIZE
    if isinstance(data, mmap.mmap) and upto > start and _DONTNEED is not None:
        data.madvise(_DONTNEED, start, upto - start)
        return upto
    return start


def _tsresol(options: bytes, endian: str) -> float:
    pos = 0
    while pos + 4 <= len(options):
        code, size = struct.unpack_from(endian + "HH", options, pos)
        if code == 0:
            break
        if code == 9 and size >= 1 and pos + 4 < len(options):  # (an option cut short is not read)
            value = options[pos + 4]
            return 2.0 ** -(value & 0x7F) if value & 0x80 else 10.0**-value
        pos += 4 + size + (-size % 4)
    return 1e-6


# ------------------------------------------------------------------ headers
# source address, destination address (as on the wire), the TCP bytes captured, and the TCP length the IP
# header gives (-1 where it gives none: a TSO super-packet with total length 0, an IPv6 jumbogram)
Located = tuple[bytes, bytes, bytes, int]

_IPV4_TYPE, _IPV6_TYPE, _VLAN_TYPES = 0x0800, 0x86DD, (0x8100, 0x88A8, 0x9100)
_PPPOE_SESSION = 0x8864
_PPP_IP = {0x0021: _IPV4_TYPE, 0x0057: _IPV6_TYPE}  # PPP protocol numbers (RFC 1332, RFC 5072)


def tcp_in_frame(link: int, frame: bytes) -> Located | None:
    """Where the TCP bytes of one link-layer frame are, or None if it is not TCP over IP
    (``not_tcp`` says what it is instead)."""
    if link == ETHERNET:
        if len(frame) < 14:
            return None
        kind = int.from_bytes(frame[12:14], "big")
        if kind in (_IPV4_TYPE, _IPV6_TYPE):  # the common case first
            return _tcp_in_ip(frame[14:])
        return _by_ethertype(kind, frame, 14)
    if link in (RAW, RAW_ALT, IPV4, IPV6):
        return _tcp_in_ip(frame)
    if link in (NULL, LOOP):
        return _tcp_in_ip(frame[4:]) if len(frame) > 4 else None
    if link == SLL:
        return _by_ethertype(int.from_bytes(frame[14:16], "big"), frame, 16) if len(frame) > 16 else None
    if link == SLL2:
        return _by_ethertype(int.from_bytes(frame[0:2], "big"), frame, 20) if len(frame) > 20 else None
    return None


def _by_ethertype(kind: int, frame: bytes, pos: int) -> Located | None:
    """The TCP after an ethertype at ``pos``: through VLAN tags (802.1Q, QinQ) and PPPoE sessions (RFC 2516)."""
    kind, pos = _unwrapped(kind, frame, pos)
    return _tcp_in_ip(frame[pos:]) if kind in (_IPV4_TYPE, _IPV6_TYPE) else None


def _unwrapped(kind: int, frame: bytes, pos: int) -> tuple[int, int]:
    """The ethertype (or PPP protocol turned ethertype) and position of what VLAN tags and PPPoE carry."""
    while kind in _VLAN_TYPES and len(frame) >= pos + 4:  # a tag: 2 bytes TCI, then the next ethertype
        kind, pos = int.from_bytes(frame[pos + 2 : pos + 4], "big"), pos + 4
    if kind == _PPPOE_SESSION and len(frame) >= pos + 8:  # version/type, code, session, length; PPP protocol
        protocol = int.from_bytes(frame[pos + 6 : pos + 8], "big")
        return _PPP_IP.get(protocol, -protocol - 1), pos + 8  # (negative: a PPP protocol, see not_tcp)
    return kind, pos


def parse_ip(packet: bytes) -> Segment | None:
    """The TCP segment of an IPv4 or IPv6 packet (headers parsed directly), or None."""
    located = _tcp_in_ip(packet)
    return parse_tcp(located[2], address(located[0]), address(located[1])) if located is not None else None


_IPV6_SKIPPED = (0, 43, 60)  # hop-by-hop, routing, destination options: 8 + 8 * length bytes each
_IPV6_FRAGMENT = 44


def _tcp_in_ip(packet: bytes) -> Located | None:
    if not packet:
        return None
    version = packet[0] >> 4
    if version == 4:
        if len(packet) < 20:
            return None
        version_ihl, total, fragment, protocol, src, dst = _IPV4.unpack_from(packet)
        ihl = (version_ihl & 0x0F) * 4
        if protocol != 6 or ihl < 20 or fragment & 0x1FFF:  # TCP, first fragment
            return None
        if total >= ihl:
            return src, dst, packet[ihl:total], total - ihl
        return src, dst, packet[ihl:], -1  # total length 0: a TSO/GSO packet captured before it was cut up
    if version == 6:
        if len(packet) < 40:
            return None
        next_header, pos = _ipv6_upper(packet)
        if next_header != 6:
            return None
        src, dst = packet[8:24], packet[24:40]
        payload = int.from_bytes(packet[4:6], "big")
        if payload == 0:  # a jumbogram (RFC 2675; Linux BIG TCP): the length is in a hop-by-hop option
            return src, dst, packet[pos:], -1
        return src, dst, packet[pos : 40 + payload], max(40 + payload - pos, 0)
    return None


def _ipv6_upper(packet: bytes) -> tuple[int, int]:
    """The upper-layer protocol of an IPv6 packet and where it starts, past the extension headers; -1 for
    a fragment after the first (its first bytes are not the upper layer's header)."""
    next_header, pos = packet[6], 40
    while len(packet) >= pos + 8:
        if next_header in _IPV6_SKIPPED:
            next_header, pos = packet[pos], pos + 8 + packet[pos + 1] * 8
        elif next_header == _IPV6_FRAGMENT:  # RFC 8200 4.5: next header, reserved, offset and flags, id
            if int.from_bytes(packet[pos + 2 : pos + 4], "big") >> 3:
                return -1, pos
            next_header, pos = packet[pos], pos + 8
        else:
            break
    return next_header, pos


# What a frame that is not read carries, named for the summary (``not_tcp``).
_ETHERTYPES = {0x0806: "ARP", 0x8035: "RARP", 0x88CC: "LLDP", 0x8863: "PPPoE discovery", 0x888E: "EAPOL",
               0x8847: "MPLS", 0x8848: "MPLS", 0x88E5: "MACsec", 0x22F0: "AVTP", 0x893A: "IEEE 1905"}  # fmt: skip
_PROTOCOLS = {1: "ICMP", 2: "IGMP", 4: "IP in IP", 17: "UDP", 41: "IPv6 in IP", 47: "GRE", 50: "IPsec ESP",
              51: "IPsec AH", 58: "ICMPv6", 89: "OSPF", 103: "PIM", 112: "VRRP", 132: "SCTP"}  # fmt: skip
_TUNNEL_PORTS = {4789: "VXLAN", 6081: "Geneve", 2152: "GTP-U", 4790: "VXLAN-GPE", 8472: "VXLAN (Linux)"}
_ICMP_ERRORS = {(4, 3), (4, 4), (4, 5), (4, 11), (4, 12), (6, 1), (6, 2), (6, 3), (6, 4)}  # (IP version, type)


def not_tcp(link: int, frame: bytes) -> str:
    """What a frame that ``tcp_in_frame`` does not read carries, in a few words (for the summary)."""
    if link == ETHERNET:
        if len(frame) < 14:
            return "a frame too short for Ethernet"
        kind, pos = _unwrapped(int.from_bytes(frame[12:14], "big"), frame, 14)
    elif link in (RAW, RAW_ALT, IPV4, IPV6):
        kind, pos = _version_type(frame), 0
    elif link in (NULL, LOOP):
        kind, pos = _version_type(frame[4:]), 4
    elif link in (SLL, SLL2):
        start, at = (16, 14) if link == SLL else (20, 0)
        if len(frame) <= start:
            return "a frame too short for its link type"
        kind, pos = _unwrapped(int.from_bytes(frame[at : at + 2], "big"), frame, start)
    else:
        return f"link type {link} (not read by tcpsim)"
    if kind < 0:
        return f"PPP protocol 0x{-kind - 1:04x}"
    if kind not in (_IPV4_TYPE, _IPV6_TYPE):
        return _ETHERTYPES.get(kind, f"ethertype 0x{kind:04x}")
    return _not_tcp_in_ip(frame[pos:])


def _version_type(packet: bytes) -> int:
    version = packet[0] >> 4 if packet else 0
    return _IPV4_TYPE if version == 4 else _IPV6_TYPE if version == 6 else 0


def _not_tcp_in_ip(packet: bytes) -> str:
    version = packet[0] >> 4 if packet else 0
    if version == 4 and len(packet) >= 20:
        ihl = (packet[0] & 0x0F) * 4
        if int.from_bytes(packet[6:8], "big") & 0x1FFF:
            return "an IPv4 fragment after the first"
        protocol, body = packet[9], packet[ihl:]
    elif version == 6 and len(packet) >= 40:
        protocol, pos = _ipv6_upper(packet)
        if protocol == -1:
            return "an IPv6 fragment after the first"
        body = packet[pos:]
    else:
        return "a packet too short for IP" if version in (4, 6) else f"IP version {version}"
    if protocol == 6:
        return "TCP with a header too short to read"
    if protocol == 17 and len(body) >= 8:
        ports = int.from_bytes(body[0:2], "big"), int.from_bytes(body[2:4], "big")
        tunnel = next((_TUNNEL_PORTS[p] for p in ports[::-1] if p in _TUNNEL_PORTS), None)
        if tunnel is not None:
            return f"{tunnel} (a tunnel over UDP; TCP inside it is not read)"
    if protocol == 47:
        return "GRE (a tunnel; TCP inside it is not read)"
    if protocol in (1, 58) and body and (version, body[0]) in _ICMP_ERRORS:
        quoted = body[8:]
        inner = _tcp_in_ip(quoted) if quoted else None
        quotes_tcp = inner is not None or (len(quoted) >= 20 and quoted[9] == 6 and quoted[0] >> 4 == 4)
        return "an ICMP error" + (" quoting a TCP segment (not read)" if quotes_tcp else "")
    return _PROTOCOLS.get(protocol, f"IP protocol {protocol}")


_IPV4 = struct.Struct("!BxH2xHxB2x4s4s")  # version and IHL, total length, fragment, protocol, addresses


_ADDRESSES: dict[bytes, str] = {}  # a capture has few addresses: format each once
formatted = _ADDRESSES.get  # an address's text if made already, else None (``address`` makes it): no call a packet


def address(raw: bytes) -> str:
    text = _ADDRESSES.get(raw)
    if text is None:
        if len(_ADDRESSES) > 65536:
            _ADDRESSES.clear()
        text = _ADDRESSES[raw] = socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)
    return text


_TCP = struct.Struct("!HHIIHHHH")


TCP_START = struct.Struct("!HHIIHH")  # ports, seq, ack, data offset and flags, window


PORTS = struct.Struct("!HH")


NEW_INT = int.__new__


def parse_tcp(tcp: bytes, src: str, dst: str) -> Segment | None:
    """The segment in a TCP header and payload, or None if the header is too short to be one."""
    if not whole_header(tcp):
        return None
    sport, dport = PORTS.unpack_from(tcp)
    return segment_of(tcp, (src, sport), (dst, dport))


def whole_header(tcp: bytes) -> bool:
    """Long enough for a TCP header, and its data offset at least the 20 bytes of one."""
    return len(tcp) >= 20 and tcp[12] >> 4 >= 5


def segment_of(tcp: bytes, sender: tuple[str, int], receiver: tuple[str, int]) -> Segment:
    """The segment in TCP bytes whose header is known to be complete."""
    _, _, seq, ack, off_flags, window, _, urgent = _TCP.unpack_from(tcp, 0)
    offset = (off_flags >> 12) * 4
    options = header_options(tcp, offset)
    return Segment(
        sender[1],
        receiver[1],
        NEW_INT(SeqNum, seq),  # already 32 bits: SeqNum's masking __new__ is not needed
        NEW_INT(SeqNum, ack),
        ALL_FLAGS[off_flags & 0xFF],
        window,
        options,
        tcp[offset:],
        sender[0],
        receiver[0],
        urgent,
    )


def header_options(tcp: bytes, offset: int) -> Options:
    """The options of TCP bytes whose header is ``offset`` bytes long (cut short by the snap length, maybe)."""
    return _options(tcp[20 : min(offset, len(tcp))]) if offset > 20 else NO_OPTIONS


def _options(raw: bytes) -> Options:
    if not raw:
        return Options()
    mss = wscale = None
    sack_ok = False
    timestamps = None
    blocks: list[tuple[SeqNum, SeqNum]] = []
    pos = 0
    while pos < len(raw):
        kind = raw[pos]
        if kind == 0:
            break
        if kind == 1:
            pos += 1
            continue
        if pos + 1 >= len(raw):
            break
        size = raw[pos + 1]
        if size < 2 or pos + size > len(raw):
            break
        body = raw[pos + 2 : pos + size]
        if kind == 2 and size == 4:
            mss = int.from_bytes(body, "big")
        elif kind == 3 and size == 3:
            wscale = body[0]
        elif kind == 4:
            sack_ok = True
        elif kind == 8 and size == 10:
            timestamps = (int.from_bytes(body[:4], "big"), int.from_bytes(body[4:], "big"))
        elif kind == 5:
            blocks += [
                (SeqNum(int.from_bytes(body[i : i + 4], "big")), SeqNum(int.from_bytes(body[i + 4 : i + 8], "big")))
                for i in range(0, len(body) - 7, 8)
            ]
        pos += size
    return Options(mss=mss, wscale=wscale, sack_permitted=sack_ok, timestamps=timestamps, sack_blocks=tuple(blocks))
