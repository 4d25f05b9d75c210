"""Reading captures (pcap and pcapng) into segments, grouped by connection.

Standard library only, and fast: the file is read record by record and only
the IP and TCP headers are parsed (no packet dissection).  Link types:
Ethernet (with VLAN tags), raw IP, IPv4, IPv6, Linux cooked SLL and SLL2,
BSD null and loopback.  Non-TCP packets are skipped and counted; a damaged
file gives one ``CaptureError`` naming the packet.
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
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ..model.errors import TcpsimError
from ..model.segment import ACK_BIT, ALL_FLAGS, FIN_BIT, NO_OPTIONS, RST_BIT, SYN_BIT, Options, Segment
from ..model.seq import HALF, SeqNum

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
LATE = 5.0  # seconds after a SYN reuses a 4-tuple that packets of the connection it replaced are told apart
SYN_ACK = SYN_BIT | ACK_BIT
FIN_RST = FIN_BIT | RST_BIT
RST_ACK = RST_BIT | ACK_BIT


class CaptureError(TcpsimError):
    """A capture file that cannot be read as it is."""


class Packet:
    """One TCP packet of a capture.

    Its ``segment`` is built from the TCP bytes the first time it is asked for: a reader that only
    follows a connection (by time, flags and sender) never pays for options and payload.
    """

    __slots__ = (
        "_segment", "_tcp", "ack", "captured", "flags", "length", "number", "receiver", "sender", "seq", "time",
        "truncated", "window",
    )  # fmt: skip

    def __init__(
        self,
        number: int,
        time: float,
        tcp: bytes,
        sender: tuple[str, int],
        receiver: tuple[str, int],
        flags: int,
        captured: int,
        length: int,
        seq: SeqNum,
        ack: SeqNum,
        window: int,
    ) -> None:
        self.number = number  # 1-based, as Wireshark counts
        self.time = time  # seconds since the epoch
        self.flags = flags  # the TCP header's control bits, as a plain int
        self.seq = seq  # the header's numbers, read without building the segment
        self.ack = ack  # (the raw field, also when the ACK bit is off)
        self.window = window  # as the header carries it, not scaled
        self.sender = sender  # (address, port) it came from
        self.receiver = receiver  # (address, port) it went to
        self.captured = captured  # payload bytes the capture kept
        self.length = length  # payload bytes on the wire (more than ``captured`` when truncated)
        self.truncated = length > captured  # the capture kept less than the packet (snaplen)
        self._tcp = tcp
        self._segment: Segment | None = None

    @property
    def segment(self) -> Segment:
        seg = self._segment
        if seg is None:
            seg = self._segment = _segment(self._tcp, self.sender, self.receiver)
            self._tcp = b""  # the segment holds what is needed now
        return seg

    @property
    def options(self) -> Options:
        """The TCP options, read from the header alone (no segment is built for them)."""
        if self._segment is not None:
            return self._segment.options
        return _header_options(self._tcp, (self._tcp[12] >> 4) * 4)

    @property
    def options_cut(self) -> bool:
        """The snap length cut the TCP header short: some of its options are not in the capture."""
        tcp = self._tcp
        return bool(tcp) and len(tcp) < (tcp[12] >> 4) * 4

    def drop_payload(self) -> None:
        """Forget the payload's bytes, keeping the header and the counts (``captured``, ``length``):
        a checker holding a long connection then holds its headers, not its data.  The segment
        built afterwards has an empty payload."""
        if self._segment is None:
            self._tcp = self._tcp[: (self._tcp[12] >> 4) * 4]

    def __repr__(self) -> str:
        return f"Packet({self.number}, {self.time!r}, {self.segment!r})"


@dataclass(slots=True)
class Connection:
    """Both directions of one TCP connection (a 4-tuple, split again when a new SYN reuses it)."""

    a: tuple[str, int]  # the side that sent the first packet seen
    b: tuple[str, int]
    packets: list[Packet] = field(default_factory=list)
    isn: dict[tuple[str, int], SeqNum] = field(default_factory=dict)  # first seq (SYN's if seen) per side
    number: int = 0  # 1-based, in the order connections first appear in the capture (0: not known, see Share)
    first: int = 0  # the number of its first packet
    opener: tuple[str, int] | None = None  # the side whose SYN (without ACK) the capture holds
    ended: bool = False  # a FIN or RST seen
    # The connection this one replaced on its 4-tuple (a new SYN reused the ports after it ended), while its
    # late packets may still come, and the capture time until which they are looked for (see _older).
    earlier: Connection | None = None
    earlier_until: float = 0.0
    late: int = 0  # its packets that came after a new SYN had reused its 4-tuple

    def relative_seq(self, seg: Segment) -> int:
        """``seg.seq`` relative to its sender's ISN (as Wireshark shows it)."""
        base = self.isn.get((seg.src_addr, seg.src_port))
        return seg.seq.relative_to(base) if base is not None else int(seg.seq)

    def relative_ack(self, seg: Segment) -> int:
        """``seg.ack`` relative to the receiver's ISN (0 when the ACK flag is off)."""
        if not int(seg.flags) & ACK_BIT:
            return 0
        base = self.isn.get((seg.dst_addr, seg.dst_port))
        return seg.ack.relative_to(base) if base is not None else int(seg.ack)


@dataclass(slots=True)
class Capture:
    """A capture file's TCP connections, in the order they first appear."""

    path: str
    link_type: str
    connections: list[Connection]
    packets: int  # all packets in the file
    tcp_packets: int
    skipped: int  # packets that are not TCP over IPv4/IPv6


def read(path: str | Path) -> Capture:
    """Read a pcap or pcapng file into connections (one CaptureError if it is damaged)."""
    tally = Tally()
    connections: list[Connection] = []
    for conn, packet, new in stream(path, tally):
        if new:
            connections.append(conn)
        conn.packets.append(packet)
    return Capture(name_of(path), tally.link_type, connections, tally.packets, tally.tcp, tally.skipped)


@dataclass(slots=True)
class Tally:
    """What a stream has counted so far."""

    packets: int = 0  # all packets (the number of the last one)
    tcp: int = 0
    skipped: int = 0  # not TCP over IPv4/IPv6
    connections: int = 0
    captured_bytes: int = 0  # frame bytes read so far (for a progress estimate)
    links: set[str] = field(default_factory=set)

    @property
    def link_type(self) -> str:
        return ", ".join(sorted(self.links)) or "none"


Key = tuple[tuple[str, int], tuple[str, int]]


@dataclass(slots=True)
class Share:
    """A part of a capture: the connections whose 4-tuple falls to ``index`` of ``count`` (both
    directions of a 4-tuple fall alike, and so do all the connections that reuse it); the other
    packets are located, then passed over.  And what the reader learns of the whole capture on
    the way: where every ``sweep_every``-th TCP packet is (a checker looks for finished
    connections there, at the same packets whatever its share), and, a share seeing only its own
    connections and so unable to number them, where each of its connections began: the parent
    process, which hears from every share, numbers them (``checkpool``)."""

    index: int
    count: int
    sweep_every: int = 0  # 0: no sweeps
    sweeps: deque[tuple[int, float]] = field(default_factory=deque)  # (number, time) of those packets not yet taken
    starts: list[int] = field(default_factory=list)  # first packet of each connection begun (emptied by the worker)
    oldest_open: int = 0  # first packet of the oldest connection not yet reported (kept by the checker)


def key_of(conn: Connection) -> Key:
    """The 4-tuple a connection is filed under, the same from either direction."""
    return (conn.a, conn.b) if conn.a <= conn.b else (conn.b, conn.a)


def stream(
    path: str | Path, tally: Tally, current: dict[Key, Connection] | None = None, share: Share | None = None
) -> Iterator[tuple[Connection, Packet, bool]]:
    """Each TCP packet of a capture with its connection (and whether that connection is new), one at a time.

    The connection's ``packets`` list is left to the caller: memory stays with what it keeps.
    ``current`` (the caller's, if given) maps each 4-tuple to its latest connection; a caller that
    deletes a finished connection from it keeps memory to the connections still open (a later
    packet on that 4-tuple then starts a new connection).  With a ``share``, only that share's
    connections (the counts in ``tally``, but for ``packets``, ``skipped`` and the bytes, are the share's too).
    """
    with _mapped(Path(path)) as data:
        try:
            yield from _demux(data, tally, {} if current is None else current, share)
        except CaptureError as exc:
            raise CaptureError(f"{name_of(path)}: {exc}") from None  # which file, when a student has several


STDIN = "-"  # the capture path that reads standard input: tcpdump -w - | tcpsim check -


def name_of(path: str | Path) -> str:
    """A capture's name in messages."""
    return "standard input" if str(path) == STDIN else str(path)


@contextmanager
def _mapped(path: Path) -> Iterator[bytes]:
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


def _demux(
    data: bytes, tally: Tally, current: dict[Key, Connection], share: Share | None
) -> Iterator[tuple[Connection, Packet, bool]]:
    seen_links: set[int] = set()
    share = share if share is not None else Share(0, 1)  # the whole capture, no sweeps
    count, index, every, since_sweep = share.count, share.index, share.sweep_every, 0
    sweeps, starts = share.sweeps, share.starts
    for number, time, link, frame, wire_len in records(data):
        tally.packets = number
        tally.captured_bytes += len(frame)
        if link not in seen_links:
            seen_links.add(link)
            tally.links.add(LINK_TYPES.get(link, str(link)))
        located = _tcp_in_frame(link, frame)
        if located is None or not _whole_header(located[2]):
            tally.skipped += 1
            continue
        src_raw, dst_raw, tcp = located
        sport, dport, seq, ack, off_flags, window = _TCP_START.unpack_from(tcp)
        since_sweep += 1
        if since_sweep == every:
            since_sweep = 0
            sweeps.append((number, time))
        # Another share's (the sum is the same from either direction; hashes agree in forked workers)
        if count > 1 and (hash(src_raw) + hash(dst_raw) + sport + dport) % count != index:
            continue
        src_addr, dst_addr = _address(src_raw), _address(dst_raw)
        offset = (off_flags >> 12) * 4
        tally.tcp += 1
        src, dst = (src_addr, sport), (dst_addr, dport)
        key = (src, dst) if src <= dst else (dst, src)
        conn = current.get(key)
        flags = off_flags & 0xFF
        syn = flags & SYN_ACK
        if (
            conn is not None
            and conn.earlier is not None
            and (older := _older(conn, src, dst, seq, ack, flags, time)) is not None
        ):
            conn, new = older, False  # a late packet of a connection a new SYN replaced
            older.late += 1
        else:
            new = (
                conn is None
                or (syn == SYN_BIT and conn.isn.get(src, seq) != seq)
                or (syn == SYN_ACK and _answers_a_missed_syn(conn, src, dst, seq, ack))
            )
        if new:
            # a first packet, or a SYN with a new ISN on a 4-tuple seen before (port reuse)
            tally.connections += 1
            replaced = conn
            conn = current[key] = Connection(src, dst, number=0 if count > 1 else tally.connections, first=number)
            if replaced is not None and replaced.ended:  # (one that has not ended is half-open: RFC 9293 Figure 11)
                conn.earlier, conn.earlier_until = replaced, time + LATE
            if count > 1:
                starts.append(number)
        assert conn is not None
        seq_num, ack_num = _SEQ(SeqNum, seq), _SEQ(SeqNum, ack)  # already 32 bits
        if syn & SYN_BIT:
            conn.isn[src] = seq_num  # the ISN itself
            if syn == SYN_ACK and dst not in conn.isn:
                conn.isn[dst] = ack_num - 1  # the SYN was not captured: its ISN is the SYN,ACK's ack - 1
            elif syn == SYN_BIT:
                conn.opener = src
        elif src not in conn.isn:
            conn.isn[src] = seq_num  # the capture started mid-connection: count from here
        elif flags & ACK_BIT and dst not in conn.isn and conn.opener == src:
            conn.isn[dst] = ack_num - 1  # its ACK of a SYN,ACK the capture missed: that ISN is ack - 1
        if flags & FIN_RST:
            conn.ended = True
        captured = len(tcp) - offset if len(tcp) > offset else 0
        # The payload on the wire: the TCP bytes the snap length cut off, less the header's part of them
        # (a short snap length can cut into the options: a SACK block, say, is not data).
        length = max(len(tcp) + wire_len - len(frame) - offset, 0) if wire_len > len(frame) else captured
        ends = (conn.a, conn.b) if src == conn.a else (conn.b, conn.a)  # the connection's tuples: none kept per packet
        packet = Packet(number, time, tcp, *ends, flags, captured, length, seq_num, ack_num, window)
        yield conn, packet, new


def _answers_a_missed_syn(conn: Connection, src: tuple[str, int], dst: tuple[str, int], seq: int, ack: int) -> bool:
    """A SYN,ACK with another ISN that answers the SYN of a new connection on these ports, which the capture missed:
    after the connection on them has ended, its ack answers none of that connection's SYNs; where the capture has
    seen nothing of the peer's numbers, its ISN lies ahead of what its sender used before (Linux, taking a new
    SYN in TIME-WAIT, starts past the old SND.NXT; one a little below is the same SYN,ACK sent again, see the
    checker's missed SYN,ACK)."""
    isn, peer_isn = conn.isn.get(src), conn.isn.get(dst)
    if isn is None or isn == seq:
        return False
    if peer_isn is None:
        return 0 < SeqNum(seq).since(isn) < HALF
    return conn.ended and SeqNum(ack) - 1 != peer_isn


def _older(
    conn: Connection, src: tuple[str, int], dst: tuple[str, int], seq: int, ack: int, flags: int, time: float
) -> Connection | None:
    """The older connection on ``conn``'s 4-tuple that a packet belongs to, if any: a packet of it delayed
    on the way (reordered), or an answer to one, that comes after a new SYN replaced it (the ports reused,
    maybe again and again).

    A side's new ISN lies past all it sent in the connection before (Linux, accepting a SYN in
    TIME-WAIT, starts 65,537 past the old SND.NXT; RFC 9293 section 3.4.1 asks for as much), so a
    seq before a connection's ISN for its sender, or an ack not past its ISN for the receiver, is of an
    older connection, and the newest of them whose numbers it fits is its own.  A new ISN below the
    old one tells nothing (a stack in TIME-WAIT answers such a SYN with an ACK of the old numbers: the
    new attempt's story)."""
    owner = None
    while conn.earlier is not None and _before_its_own(conn, src, dst, seq, ack, flags, time):
        owner = conn = conn.earlier
    if owner is None:
        return None
    isn, peer_isn = owner.isn.get(src), owner.isn.get(dst)
    if isn is not None and _seq_tells(seq, flags):
        return owner if SeqNum(seq) >= isn else None
    if flags & ACK_BIT and peer_isn is not None:
        return owner if SeqNum(ack) > peer_isn else None
    return owner


def _before_its_own(
    conn: Connection, src: tuple[str, int], dst: tuple[str, int], seq: int, ack: int, flags: int, time: float
) -> bool:
    """Whether a packet's numbers come before ``conn``'s own (so it belongs to an earlier connection).  A
    side that has not yet answered the new SYN can only send it a SYN,ACK or a RST,ACK: a RST without ACK
    from it answers a late segment of before (RFC 9293 section 3.10.7.1: its seq is that segment's ack).
    The earlier connection is let go after ``LATE`` seconds, or once the new one has sent a quarter of
    the sequence space: its numbers could then wrap into the earlier ones."""
    earlier = conn.earlier
    assert earlier is not None
    old, new = earlier.isn.get(src), conn.isn.get(src)
    if time > conn.earlier_until or (new is not None and HALF // 2 < SeqNum(seq).since(new) < HALF):
        conn.earlier = None
        return False
    if new is not None and _seq_tells(seq, flags):
        return old is not None and old < new and SeqNum(seq) < new
    if flags & ACK_BIT:
        old_peer, new_peer = earlier.isn.get(dst), conn.isn.get(dst)
        return old_peer is not None and new_peer is not None and old_peer < new_peer and SeqNum(ack - 1) < new_peer
    return not flags & SYN_BIT and old is not None


def _seq_tells(seq: int, flags: int) -> bool:
    """Whether a segment's seq says where its sender is: not for <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, the
    answer of a closed port to a segment without ACK (RFC 9293 section 3.10.7.1), whose ack says which it answers."""
    return seq != 0 or flags & RST_ACK != RST_ACK


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
        if code == 9 and size >= 1:
            value = options[pos + 4]
            return 2.0 ** -(value & 0x7F) if value & 0x80 else 10.0**-value
        pos += 4 + size + (-size % 4)
    return 1e-6


# ------------------------------------------------------------------ headers
Located = tuple[bytes, bytes, bytes]  # source address, destination address (as on the wire), the TCP bytes


def _tcp_in_frame(link: int, frame: bytes) -> Located | None:
    """Where the TCP bytes of one link-layer frame are, or None if it is not TCP over IP."""
    if link == ETHERNET:
        if len(frame) < 14:
            return None
        kind, pos = int.from_bytes(frame[12:14], "big"), 14
        while kind in (0x8100, 0x88A8) and len(frame) >= pos + 4:  # VLAN tags
            kind, pos = int.from_bytes(frame[pos + 2 : pos + 4], "big"), pos + 4
        return _tcp_in_ip(frame[pos:]) if kind in (0x0800, 0x86DD) else None
    if link in (RAW, RAW_ALT, IPV4, IPV6):
        return _tcp_in_ip(frame)
    if link in (NULL, LOOP):
        return _tcp_in_ip(frame[4:]) if len(frame) > 4 else None
    if link == SLL:
        return _tcp_in_ip(frame[16:]) if len(frame) > 16 and frame[14:16] in (b"\x08\x00", b"\x86\xdd") else None
    if link == SLL2:
        return _tcp_in_ip(frame[20:]) if len(frame) > 20 and frame[0:2] in (b"\x08\x00", b"\x86\xdd") else None
    return None


def parse_ip(packet: bytes) -> Segment | None:
    """The TCP segment of an IPv4 or IPv6 packet (headers parsed directly), or None."""
    located = _tcp_in_ip(packet)
    return parse_tcp(located[2], _address(located[0]), _address(located[1])) if located is not None else None


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
        tcp = packet[ihl:total] if total >= ihl else packet[ihl:]
    elif version == 6:
        if len(packet) < 40:
            return None
        next_header, pos = packet[6], 40
        while next_header in (0, 43, 60) and len(packet) >= pos + 8:  # hop-by-hop, routing, destination options
            next_header, pos = packet[pos], pos + 8 + packet[pos + 1] * 8
        if next_header != 6:
            return None
        src, dst = packet[8:24], packet[24:40]
        tcp = packet[pos : 40 + int.from_bytes(packet[4:6], "big")]
    else:
        return None
    return src, dst, tcp


_IPV4 = struct.Struct("!BxH2xHxB2x4s4s")  # version and IHL, total length, fragment, protocol, addresses
_ADDRESSES: dict[bytes, str] = {}  # a capture has few addresses: format each once


def _address(raw: bytes) -> str:
    text = _ADDRESSES.get(raw)
    if text is None:
        if len(_ADDRESSES) > 65536:
            _ADDRESSES.clear()
        text = _ADDRESSES[raw] = socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)
    return text


_TCP = struct.Struct("!HHIIHHHH")
_TCP_START = struct.Struct("!HHIIHH")  # ports, seq, ack, data offset and flags, window
_PORTS = struct.Struct("!HH")
_SEQ = int.__new__


def parse_tcp(tcp: bytes, src: str, dst: str) -> Segment | None:
    """The segment in a TCP header and payload, or None if the header is too short to be one."""
    if not _whole_header(tcp):
        return None
    sport, dport = _PORTS.unpack_from(tcp)
    return _segment(tcp, (src, sport), (dst, dport))


def _whole_header(tcp: bytes) -> bool:
    """Long enough for a TCP header, and its data offset at least the 20 bytes of one."""
    return len(tcp) >= 20 and tcp[12] >> 4 >= 5


def _segment(tcp: bytes, sender: tuple[str, int], receiver: tuple[str, int]) -> Segment:
    """The segment in TCP bytes whose header is known to be complete."""
    _, _, seq, ack, off_flags, window, _, urgent = _TCP.unpack_from(tcp, 0)
    offset = (off_flags >> 12) * 4
    options = _header_options(tcp, offset)
    return Segment(
        sender[1],
        receiver[1],
        _SEQ(SeqNum, seq),  # already 32 bits: SeqNum's masking __new__ is not needed
        _SEQ(SeqNum, ack),
        ALL_FLAGS[off_flags & 0xFF],
        window,
        options,
        tcp[offset:],
        sender[0],
        receiver[0],
        urgent,
    )


def _header_options(tcp: bytes, offset: int) -> Options:
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


def zeek_state(conn: Connection) -> str:
    """The connection's summary in Zeek's conn_state vocabulary (conn.log); see ``ZeekHistory``."""
    history = ZeekHistory(conn.a, conn.b)
    for p in conn.packets:
        history.add(p)
    return history.state


class ZeekHistory:
    """What Zeek's conn_state is made of, gathered packet by packet (a checker streaming a long
    connection keeps this, not the packets).

    S0 attempt, no reply; REJ attempt rejected (RST); S1 established, not closed;
    SF established and closed by both FINs; S2 / S3 only the originator / responder
    closed; RSTO / RSTR originator / responder reset it; RSTOS0 originator SYN then
    RST with no SYN,ACK; SH originator SYN then FIN with no SYN,ACK; RSTRH / SHR a
    SYN,ACK then RST / FIN without the SYN; OTH no handshake seen (midstream).
    """

    __slots__ = ("_a", "_first_rst", "_originator", "_sent")

    _SYN, _SYN_ACK, _FIN = 1, 2, 4  # what a side was seen to send

    def __init__(self, a: tuple[str, int], b: tuple[str, int]) -> None:
        self._a = a
        self._sent = {a: 0, b: 0}  # per side: the bits above (one entry for a socket connected to itself)
        self._originator: tuple[str, int] | None = None  # the sender of the first SYN without ACK
        self._first_rst: tuple[str, int] | None = None

    def add(self, p: Packet) -> None:
        flags = p.flags
        if not flags & (SYN_BIT | FIN_BIT | RST_BIT):
            return
        sent = self._sent
        if flags & SYN_BIT:
            if flags & ACK_BIT:
                sent[p.sender] |= self._SYN_ACK
                if self._originator is None:  # it answers a SYN the capture missed (Zeek turns the connection round)
                    self._originator = p.receiver
            else:
                sent[p.sender] |= self._SYN
                if self._originator is None:
                    self._originator = p.sender
        if flags & RST_BIT and self._first_rst is None:
            self._first_rst = p.sender
        if flags & FIN_BIT:
            sent[p.sender] |= self._FIN

    @property
    def state(self) -> str:
        orig = self._originator or self._a
        # the responder is the other end (none, for a socket connected to itself)
        sent_orig, sent_resp = self._sent[orig], next((v for k, v in self._sent.items() if k != orig), 0)
        # the responder answers with a SYN,ACK (or with a SYN of its own, in a simultaneous open)
        syn, syn_ack = bool(sent_orig & self._SYN), bool(sent_resp & (self._SYN_ACK | self._SYN))
        first_rst = None if self._first_rst is None else "orig" if self._first_rst == orig else "resp"
        fin_orig, fin_resp = bool(sent_orig & self._FIN), bool(sent_resp & self._FIN)
        if syn and not syn_ack:
            if first_rst == "resp":
                return "REJ"
            if first_rst == "orig":
                return "RSTOS0"
            return "SH" if fin_orig else "S0"
        if syn_ack and not syn:
            if first_rst == "resp":
                return "RSTRH"
            return "SHR" if fin_resp else "OTH"
        if not syn:
            return "OTH"
        if first_rst is not None:
            return "RSTO" if first_rst == "orig" else "RSTR"
        if fin_orig and fin_resp:
            return "SF"
        if fin_orig or fin_resp:
            return "S2" if fin_orig else "S3"
        return "S1"
