"""A capture's TCP packets grouped by connection: a 4-tuple, split again when a new SYN reuses it.

``read`` gives every connection of a file; ``stream`` gives each packet with its connection as it
comes, for a checker that keeps memory to the connections still open.  Non-TCP packets are
skipped and counted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..model.segment import ACK_BIT, FIN_BIT, RST_BIT, SYN_BIT, Options, Segment
from ..model.seq import HALF, SeqNum
from .reader import (
    LINK_TYPES,
    MAX_RECORD,
    NEW_INT,
    PORTS,
    TCP_START,
    CaptureError,
    address,
    formatted,
    header_options,
    mapped,
    name_of,
    not_tcp,
    records,
    segment_of,
    tcp_in_frame,
    whole_header,
)

LATE = 5.0  # seconds after a SYN reuses a 4-tuple that packets of the connection it replaced are told apart


SYN_ACK = SYN_BIT | ACK_BIT


FIN_RST = FIN_BIT | RST_BIT


RST_ACK = RST_BIT | ACK_BIT


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
            seg = self._segment = segment_of(self._tcp, self.sender, self.receiver)
            self._tcp = b""  # the segment holds what is needed now
        return seg

    @property
    def options(self) -> Options:
        """The TCP options, read from the header alone (no segment is built for them)."""
        if self._segment is not None:
            return self._segment.options
        return header_options(self._tcp, (self._tcp[12] >> 4) * 4)

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
    unread: dict[str, int] = field(default_factory=dict)  # what the skipped packets carry, named: how many
    damage: str = ""  # with ``partial``: why the file could not be read to its end (its good packets are here)

    @property
    def not_read(self) -> str:
        """What was skipped, most first: "12 ARP, 3 GRE (a tunnel; ...)" ("" if nothing was)."""
        return unread_summary(self.unread)


def unread_summary(unread: dict[str, int], most: int = 4) -> str:
    ranked = sorted(unread.items(), key=lambda item: (-item[1], item[0]))
    text = ", ".join(f"{n} {what}" for what, n in ranked[:most])
    return text + (f", {sum(n for _, n in ranked[most:])} others" if len(ranked) > most else "")


def read(path: str | Path, *, partial: bool = False) -> Capture:
    """Read a pcap or pcapng file into connections (one CaptureError if it is damaged).  With ``partial``, a file
    damaged after some packets (a cut last record: the capturing program was killed) gives those packets, and
    the damage in ``Capture.damage``."""
    tally = Tally()
    connections: list[Connection] = []
    damage = ""
    try:
        for conn, packet, new in stream(path, tally):
            if new:
                connections.append(conn)
            conn.packets.append(packet)
    except CaptureError as exc:
        if not partial or not tally.packets:
            raise
        damage = str(exc)
    return Capture(
        name_of(path), tally.link_type, connections, tally.packets, tally.tcp, tally.skipped, tally.unread, damage
    )


@dataclass(slots=True)
class Tally:
    """What a stream has counted so far."""

    packets: int = 0  # all packets (the number of the last one)
    tcp: int = 0
    skipped: int = 0  # not TCP over IPv4/IPv6
    connections: int = 0
    captured_bytes: int = 0  # frame bytes read so far (for a progress estimate)
    links: set[str] = field(default_factory=set)
    unread: dict[str, int] = field(default_factory=dict)  # the skipped packets by what they carry (``not_tcp``)

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


def taken_at_client(packets: Sequence[Packet]) -> bool | None:
    """Where a capture of one connection was taken, told by its handshake's timing: at the client the
    SYN,ACK comes a round trip after the (last) SYN and the ACK follows at once; at the server, the other
    way round.  None without a SYN,ACK."""
    at = next((i for i, p in enumerate(packets) if p.flags & SYN_ACK == SYN_ACK), None)
    if at is None:
        return None
    synack = packets[at].time
    syn = next((p.time for p in reversed(packets[:at]) if p.flags & SYN_ACK == SYN_BIT), synack)
    ack = next((p.time for p in packets[at:] if not p.flags & SYN_BIT), synack)
    return synack - syn >= ack - synack


def stream(
    path: str | Path,
    tally: Tally,
    current: dict[Key, Connection] | None = None,
    share: Share | None = None,
    *,
    headers_only: bool = False,
) -> Iterator[tuple[Connection, Packet, bool]]:
    """Each TCP packet of a capture with its connection (and whether that connection is new), one at a time.

    The connection's ``packets`` list is left to the caller: memory stays with what it keeps.
    ``current`` (the caller's, if given) maps each 4-tuple to its latest connection; a caller that
    deletes a finished connection from it keeps memory to the connections still open (a later
    packet on that 4-tuple then starts a new connection).  With a ``share``, only that share's
    connections (the counts in ``tally``, but for ``packets``, ``skipped`` and the bytes, are the share's too).
    With ``headers_only``, each packet is made as ``Packet.drop_payload`` leaves it: its TCP header, not its data.
    """
    with mapped(Path(path)) as data:
        try:
            yield from _demux(data, tally, {} if current is None else current, share, headers_only)
        except CaptureError as exc:
            raise CaptureError(f"{name_of(path)}: {exc}") from None  # which file, when a student has several


def _demux(
    data: bytes, tally: Tally, current: dict[Key, Connection], share: Share | None, headers_only: bool
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
            tally.links.add(LINK_TYPES.get(link, f"link type {link}"))
        located = tcp_in_frame(link, frame)
        if located is None or not whole_header(located[2]):
            tally.skipped += 1
            what = not_tcp(link, frame) if located is None else "TCP with a header too short to read"
            tally.unread[what] = tally.unread.get(what, 0) + 1
            continue
        src_raw, dst_raw, tcp, tcp_length = located
        since_sweep += 1
        if since_sweep == every:
            since_sweep = 0
            sweeps.append((number, time))
        # Another share's (the sum is the same from either direction; hashes agree in forked workers): only
        # its ports are read
        if count > 1 and (hash(src_raw) + hash(dst_raw) + sum(PORTS.unpack_from(tcp))) % count != index:
            continue
        sport, dport, seq, ack, off_flags, window = TCP_START.unpack_from(tcp)
        src_addr, dst_addr = formatted(src_raw) or address(src_raw), formatted(dst_raw) or address(dst_raw)
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
        seq_num, ack_num = NEW_INT(SeqNum, seq), NEW_INT(SeqNum, ack)  # already 32 bits
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
        cut = wire_len - len(frame)  # bytes the snap length cut off, says the record
        length = captured if cut <= 0 else _cut_payload(captured, len(tcp), tcp_length, offset, cut)
        ends = (conn.a, conn.b) if src == conn.a else (conn.b, conn.a)  # the connection's tuples: none kept per packet
        header = tcp[:offset] if headers_only else tcp
        packet = Packet(number, time, header, *ends, flags, captured, length, seq_num, ack_num, window)
        yield conn, packet, new


def _cut_payload(captured: int, tcp_captured: int, tcp_length: int, offset: int, cut: int) -> int:
    """The payload's length on the wire of a packet the snap length cut short (by ``cut`` bytes, says the
    record).  The header's part of the TCP bytes is not payload (a short snap length can cut into the
    options: a SACK block, say, is not data).  The IP header's length is trusted over the record's
    original length, and neither beyond what one packet can be: a damaged record must not make a "SYN
    carrying 4,294,967,241 bytes"."""
    tcp_bytes = tcp_captured + min(cut, MAX_RECORD)  # what the record says: the TCP bytes captured, and the cut
    if tcp_length >= 0:  # the IP header says (not a TSO packet with total length 0)
        tcp_bytes = min(tcp_bytes, tcp_length)
    return max(tcp_bytes - offset, captured)


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
