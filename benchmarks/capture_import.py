"""Benchmark: reading a 1,000,000-packet capture into segments, beside tshark on the same file.

    python -m benchmarks.capture_import            # 1,000,000 packets
    python -m benchmarks.capture_import -n 100000

The capture holds many short connections (handshake, a request, a reply, a
three-way close: 10 packets each), made from the model's own graceful_close
run with the client's address and port changed per connection (the checksums
are left as they were: neither reader checks them).  tshark reads it with
``tshark -r FILE -T fields -e tcp.seq``, which decodes every packet.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import count, islice
from pathlib import Path

from simulator import Flags, Segment, SeqNum, load
from simulator.capture.connections import read
from simulator.capture.export import packet_bytes


def write_raw_pcap(path: Path, records: Iterable[tuple[int, int, bytes]]) -> int:
    """Write (seconds, microseconds, raw IP packet) records as a pcap; returns how many were written."""
    record = struct.Struct("<IIII")
    written = 0
    with path.open("wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        for seconds, micros, frame in records:
            f.write(record.pack(seconds, micros, len(frame), len(frame)))
            f.write(frame)
            written += 1
    return written


def make_capture(path: Path, packets: int) -> int:
    """Write ``packets`` packets of short connections as a raw-IP pcap; returns the count written."""
    return write_raw_pcap(path, islice(_short_connections(), packets))


def _short_connections() -> Iterator[tuple[int, int, bytes]]:
    template = [packet_bytes(e.segment) for e in load("graceful_close").run().events if e.kind == "send" and e.segment]
    client_first = [raw[20:22] == (40000).to_bytes(2, "big") for raw in template]
    for conn in count():
        port = (1024 + conn % 60000).to_bytes(2, "big")
        client = bytes((10, (conn >> 16) & 255, (conn >> 8) & 255, conn & 255))  # a new host per connection
        for i, raw in enumerate(template):
            frame = bytearray(raw)
            frame[20 if client_first[i] else 22 : 22 if client_first[i] else 24] = port
            frame[12 if client_first[i] else 16 : 16 if client_first[i] else 20] = client
            yield conn // 1000, (conn % 1000) * 1000 + i, bytes(frame)


def make_transfer(path: Path, segments: int, size: int = 1400) -> int:
    """Write one connection that carries ``segments`` data segments of ``size`` bytes, an ACK for
    every second one, as a raw-IP pcap; returns the number of packets written."""
    frames = _transfer(segments, size)
    return write_raw_pcap(path, ((n // 1_000_000, n % 1_000_000, frame) for n, frame in enumerate(frames)))


def _transfer(segments: int, size: int) -> Iterator[bytes]:
    client, server = ("10.0.0.1", 40000), ("10.0.0.2", 47000)  # no well-known port: tshark would parse the data

    def raw(seq: int, ack: int, flags: Flags, payload: bytes = b"", reply: bool = False) -> bytes:
        (src, sport), (dst, dport) = (server, client) if reply else (client, server)
        seg = Segment(sport, dport, SeqNum(seq), SeqNum(ack), flags, 65535, payload=payload, src_addr=src, dst_addr=dst)
        return packet_bytes(seg)

    data, ack = raw(1001, 5001, Flags.PSH | Flags.ACK, b"x" * size), raw(5001, 1001, Flags.ACK, reply=True)
    yield raw(1000, 0, Flags.SYN)
    yield raw(5000, 1001, Flags.SYN | Flags.ACK, reply=True)
    yield raw(1001, 5001, Flags.ACK)
    seq = 1001
    for i in range(segments):
        frame = bytearray(data)
        struct.pack_into("!I", frame, 24, seq)  # the TCP seq field (checksums left as they were)
        yield bytes(frame)
        seq += size
        if i % 2:
            frame = bytearray(ack)
            struct.pack_into("!I", frame, 28, seq)  # the TCP ack field
            yield bytes(frame)
    yield raw(seq, 5001, Flags.FIN | Flags.ACK)
    yield raw(5001, seq + 1, Flags.FIN | Flags.ACK, reply=True)
    yield raw(seq + 1, 5002, Flags.ACK)


@contextmanager
def generated_capture(argv: list[str] | None, description: str | None) -> Iterator[tuple[Path, int]]:
    """Parse ``-n/--packets`` and yield a temporary capture of that many packets and its packet count."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--packets", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "many.pcap"
        yield path, make_capture(path, args.packets)


def main(argv: list[str] | None = None) -> int:
    with generated_capture(argv, __doc__) as (path, count):
        size = path.stat().st_size / 1e6
        start = time.perf_counter()
        capture = read(path)
        # a packet's segment is parsed when first asked for: ask, so that every packet is decoded as tshark's are
        decoded = sum(len(p.segment.payload) >= 0 for conn in capture.connections for p in conn.packets)
        ours = time.perf_counter() - start
        assert decoded == count
        assert capture.tcp_packets == count
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"capture import benchmark: {count:,} packets, {size:.0f} MB, {len(capture.connections):,} connections")
        print(f"{'reader':<44}{'seconds':>9}{'packets/s':>13}")
        print(f"{'tcpsim capture.read (segments, connections)':<44}{ours:>9.2f}{count / ours:>13,.0f}")
        tshark = shutil.which("tshark")
        if tshark is None:
            print("tshark: not installed (apt-get install tshark), no comparison")
        else:
            start = time.perf_counter()
            subprocess.run(
                [tshark, "-r", str(path), "-T", "fields", "-e", "tcp.seq"],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            theirs = time.perf_counter() - start
            print(f"{'tshark -r FILE -T fields -e tcp.seq':<44}{theirs:>9.2f}{count / theirs:>13,.0f}")
            verdict = "faster" if ours < theirs else "slower"
            print(f"tcpsim is {theirs / ours:.1f}x tshark's speed ({verdict}); goal: faster than tshark")
        print(f"peak memory (max RSS) of this process: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
