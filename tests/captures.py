"""Hand-made captures for the checker's tests: segments between a client and a server, written as a pcap."""

from __future__ import annotations

from pathlib import Path

from simulator import Flags, Segment, SeqNum
from simulator.capture.checker import ConnectionReport, check
from simulator.capture.connections import read
from simulator.model.segment import NO_OPTIONS

from .packets import pcap

DATA = Path(__file__).parent / "data"


CLIENT, SERVER = ("10.0.0.1", 40000), ("10.0.0.2", 80)


def reports(path: Path) -> list[ConnectionReport]:
    return [check(conn) for conn in read(path).connections]


def write(path: Path, segments: list[Segment], snaplen: int = 65535) -> Path:
    """A raw-IP pcap of ``segments``, built directly (no Scapy: see tests/packets.py)."""
    path.write_bytes(pcap(segments, snaplen))
    return path


def seg(flags, seq, ack=0, data=b"", *, back=False, window=65535, options=NO_OPTIONS):
    src, dst = (SERVER, CLIENT) if back else (CLIENT, SERVER)
    return Segment(
        src[1],
        dst[1],
        SeqNum(seq),
        SeqNum(ack),
        Flags.parse(flags),
        window,
        options,
        data,
        src[0],
        dst[0],
    )


def handshake() -> list[Segment]:
    return [seg("S", 100), seg("SA", 500, 101, back=True), seg("A", 101, 501)]


def close(client_seq: int = 101, server_seq: int = 501) -> list[Segment]:
    """The client closes first and the server answers with its FIN: the client ends in TIME-WAIT."""
    return [
        seg("FA", client_seq, server_seq),
        seg("FA", server_seq, client_seq + 1, back=True),
        seg("A", client_seq + 1, server_seq + 1),
    ]


def ignored_rst(path: Path, segments: list[Segment], *, because: str) -> ConnectionReport:
    """The report of ``segments``, whose last is a RST outside the window that the receiver rightly ignores."""
    (report,) = reports(write(path, segments))
    assert report.conforms, [(p.number, p.departure) for p in report.departures]
    rst = report.packets[-1]
    assert rst.labels == ("RST", "RST outside the window") and because in rst.explanation
    return report


def fast_open(taken: bool) -> list[Segment]:
    """TCP Fast Open (RFC 7413): 5 bytes ride on the SYN; the SYN,ACK takes them, or only the SYN."""
    if taken:
        return [seg("S", 100, data=b"hello"), seg("SA", 500, 106, back=True), seg("A", 106, 501)]
    return [seg("S", 100, data=b"hello"), seg("SA", 500, 101, back=True), seg("PA", 101, 501, b"hello")]
