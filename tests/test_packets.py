"""Real packets: the Scapy backend, pcap/pcapng export, and reading captures back."""

from __future__ import annotations

import dataclasses
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from simulator import Flags, Options, Segment, SeqNum, builtin_names, load
from simulator.capture.checker import check as check_connection
from simulator.capture.checker import render
from simulator.capture.connections import Tally, read, stream
from simulator.capture.reader import CaptureError, parse_ip
from simulator.live.pytest_plugin import tool_or_skip

from .packets import ip_packet, option_bytes

scapy = pytest.importorskip("scapy", reason="the packet backend needs Scapy (pip install -e '.[scapy]')")

from simulator.capture.analysis import captured  # noqa: E402
from simulator.capture.export import PacketMismatch, check, export, packet_bytes  # noqa: E402

u32 = st.integers(0, 2**32 - 1)
near_wrap = st.one_of(u32, st.integers(2**32 - 70000, 2**32 - 1))
options = st.builds(
    Options,
    mss=st.none() | st.integers(1, 65535),
    wscale=st.none() | st.integers(0, 14),
    sack_permitted=st.booleans(),
    timestamps=st.none() | st.tuples(u32, u32),
)
segments = st.builds(
    Segment,
    src_port=st.integers(1, 65535),
    dst_port=st.integers(1, 65535),
    seq=near_wrap.map(SeqNum),
    ack=near_wrap.map(SeqNum),
    flags=st.integers(0, 255).map(Flags),
    window=st.integers(0, 65535),
    options=options,
    payload=st.binary(max_size=1460),
    src_addr=st.sampled_from(["10.0.0.1", "192.0.2.7", "2001:db8::1"]),
    dst_addr=st.just(""),
).map(
    lambda s: Segment(
        **{
            **{f: getattr(s, f) for f in s.__dataclass_fields__},
            "dst_addr": "2001:db8::2" if ":" in s.src_addr else "10.0.0.2",
        }
    )
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segments)
def test_every_segment_survives_the_trip_to_packet_bytes_and_back(seg):
    raw = packet_bytes(seg)  # built, dissected again and compared field by field
    assert parse_ip(raw) == seg  # and the fast importer reads the same segment


sack_blocks = st.lists(st.tuples(u32.map(SeqNum), u32.map(SeqNum)), max_size=2).map(tuple)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segments, sack_blocks, st.integers(0, 65535))
def test_the_tests_own_packet_builder_writes_the_bytes_scapy_does(seg, blocks, urgent):
    """The checker's tests build their captures with struct (tests/packets.py), not Scapy: the same bytes."""
    seg = dataclasses.replace(seg, options=dataclasses.replace(seg.options, sack_blocks=blocks), urgent=urgent)
    assume(len(option_bytes(seg.options)) <= 40)
    assert ip_packet(seg) == packet_bytes(seg)


@pytest.mark.parametrize("src", ["10.0.0.1", "2001:db8::1"])
def test_the_ecn_field_is_written_in_the_ip_header_and_read_back(src):
    # RFC 3168 5: the low two bits of the IPv4 TOS byte or the IPv6 traffic class; 3 is CE
    from scapy.layers.inet import IP
    from scapy.layers.inet6 import IPv6

    from simulator.capture.export import from_packet
    from simulator.model.segment import Ecn

    dst = "2001:db8::2" if ":" in src else "10.0.0.2"
    seg = Segment(1, 2, SeqNum(5), SeqNum(6), Flags.ACK, 100, payload=b"x", src_addr=src, dst_addr=dst, ecn=Ecn.CE)
    raw = packet_bytes(seg)
    field = (raw[1] >> 4) & 3 if ":" in src else raw[1] & 3
    assert field == 3
    assert from_packet(IPv6(raw) if ":" in src else IP(raw)).ecn is Ecn.CE


def test_a_mismatch_names_the_field():
    seg = Segment(1234, 80, SeqNum(1000), SeqNum(0), Flags.SYN, 65535, Options(mss=1460), b"", "10.0.0.1", "10.0.0.2")
    raw = bytearray(packet_bytes(seg))
    raw[20 + 14 : 20 + 16] = (1000).to_bytes(2, "big")  # the TCP window field
    with pytest.raises(PacketMismatch, match="window is 1000, the model's segment says 65535"):
        check(seg, bytes(raw))
    raw = bytearray(packet_bytes(seg))
    raw[20 + 16] ^= 0xFF  # the TCP checksum alone
    with pytest.raises(PacketMismatch, match="TCP checksum"):
        check(seg, bytes(raw))


def test_export_is_reproducible_and_reads_back_as_the_segments_sent(tmp_path):
    trace = load("reordered_segments").run()
    a, b = tmp_path / "a.pcapng", tmp_path / "b.pcapng"
    export(trace, a)
    export(trace, b)
    assert a.read_bytes() == b.read_bytes()
    seen = [step.event.segment for step, _ in captured(trace)]  # as tcpdump on the client sees them
    for path in (a, tmp_path / "c.pcap"):
        export(trace, path)
        capture = read(path)
        got = sorted((p for c in capture.connections for p in c.packets), key=lambda p: p.number)
        assert [p.segment for p in got] == seen
        assert got[0].time == pytest.approx(1735689600.0)


def test_lost_segments_are_written_unless_asked_not_to(tmp_path):
    trace = load("lost_data_retransmit").run()
    assert export(trace, tmp_path / "all.pcap") == export(trace, tmp_path / "received.pcap", drops=False) + 1


@pytest.mark.parametrize("name", builtin_names())
@pytest.mark.external
def test_wireshark_finds_no_malformed_packets_or_bad_checksums(tmp_path, name):
    tshark = tool_or_skip("tshark")
    path = tmp_path / f"{name}.pcapng"
    export(load(name).run(), path)
    bad = subprocess.run(
        [
            tshark,
            "-r",
            str(path),
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
            "-Y",
            "_ws.malformed || tcp.checksum.status == 0 || ip.checksum.status == 0",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert bad == []
    comments = subprocess.run(
        [tshark, "-r", str(path), "-Y", "frame.comment", "-T", "fields", "-e", "frame.number"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len(comments) == sum(1 for _ in captured(load(name).run()))  # every packet explains itself


# -------------------------------------------------------------- reading
def _pcap(link: int, frames: list[bytes]) -> bytes:
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, link)
    for i, frame in enumerate(frames):
        out += struct.pack("<IIII", 100 + i, 0, len(frame), len(frame)) + frame
    return out


IP_PACKET = packet_bytes(
    Segment(
        40000,
        80,
        SeqNum(7),
        SeqNum(9),
        Flags.ACK | Flags.PSH,
        512,
        payload=b"hi",
        src_addr="10.0.0.1",
        dst_addr="10.0.0.2",
    )
)
UDP = bytes.fromhex("4500001c0000400040110000") + bytes(8) + bytes(8)


@pytest.mark.parametrize(
    ("link", "frame"),
    [
        (1, bytes(12) + b"\x08\x00" + IP_PACKET),  # Ethernet
        (1, bytes(12) + b"\x81\x00\x00\x05\x08\x00" + IP_PACKET),  # Ethernet with a VLAN tag
        (101, IP_PACKET),  # raw IP
        (228, IP_PACKET),  # IPv4
        (113, bytes(14) + b"\x08\x00" + IP_PACKET),  # Linux cooked
        (276, b"\x08\x00" + bytes(18) + IP_PACKET),  # Linux cooked v2
        (0, struct.pack("<I", 2) + IP_PACKET),  # BSD null
        (108, struct.pack(">I", 2) + IP_PACKET),  # BSD loopback
    ],
    ids=["ethernet", "vlan", "raw", "ipv4", "sll", "sll2", "null", "loop"],
)
def test_every_link_type_reads_the_same_segment(tmp_path, link, frame):
    path = tmp_path / "t.pcap"
    path.write_bytes(_pcap(link, [frame, b"\x00" * 30]))
    capture = read(path)
    assert capture.tcp_packets == 1 and capture.skipped == 1
    assert capture.connections[0].packets[0].segment.payload == b"hi"


def test_non_tcp_packets_are_skipped_and_counted(tmp_path):
    path = tmp_path / "mixed.pcap"
    path.write_bytes(_pcap(101, [UDP, IP_PACKET, UDP]))
    capture = read(path)
    assert (capture.packets, capture.tcp_packets, capture.skipped) == (3, 1, 2)


def test_a_truncated_capture_names_the_packet(tmp_path):
    data = _pcap(101, [IP_PACKET, IP_PACKET, IP_PACKET])
    path = tmp_path / "cut.pcap"
    path.write_bytes(data[:-10])
    with pytest.raises(CaptureError, match="packet 3: the capture is truncated"):
        read(path)


def test_a_file_that_is_not_a_capture_is_refused(tmp_path):
    path = tmp_path / "x.pcap"
    path.write_bytes(b"hello world, not a capture")
    with pytest.raises(CaptureError, match="not a pcap or pcapng file"):
        read(path)


def test_a_linux_capture_from_tcpdump_reads_as_the_model_predicts():
    # recorded from Linux loopback by the fidelity test's helpers (tests/test_linux_fidelity.py)
    capture = read(Path(__file__).parent / "data" / "linux-loopback.pcap")
    assert capture.link_type == "Ethernet" and len(capture.connections) == 1
    conn = capture.connections[0]
    flags = [p.segment.flags.letters for p in conn.packets]
    assert flags == ["S", "SA", "A", "PA", "A", "PA", "A", "FA", "FA", "A"]
    assert [conn.relative_ack(p.segment) for p in conn.packets][-3:] == [6, 7, 7]


def test_port_reuse_with_a_new_isn_is_a_new_connection(tmp_path):
    syn1 = packet_bytes(Segment(40000, 80, SeqNum(1), flags=Flags.SYN, src_addr="10.0.0.1", dst_addr="10.0.0.2"))
    syn2 = packet_bytes(Segment(40000, 80, SeqNum(900), flags=Flags.SYN, src_addr="10.0.0.1", dst_addr="10.0.0.2"))
    path = tmp_path / "reuse.pcap"
    path.write_bytes(_pcap(101, [syn1, syn1, syn2]))
    assert [len(c.packets) for c in read(path).connections] == [2, 1]


@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    cut=st.integers(0, 4000),
    flips=st.lists(st.tuples(st.integers(0, 4000), st.integers(1, 255)), max_size=4),
    splice=st.integers(0, 4000),
)
@example(cut=0, flips=[(32, 24)], splice=0)  # an interface description block cut to no body (found by this test)
@pytest.mark.slow
def test_damaged_captures_give_a_capture_error_never_a_crash(tmp_path_factory, cut, flips, splice):
    base = _SAMPLES[(cut + splice) % len(_SAMPLES)]
    data = bytearray(base[:cut] + base[splice:] if splice < cut else base)
    for pos, mask in flips:
        if pos < len(data):
            data[pos] ^= mask
    path = tmp_path_factory.getbasetemp() / "fuzz.cap"
    path.write_bytes(bytes(data))
    try:
        capture = read(path)
    except CaptureError as exc:
        message = str(exc)  # one clear line, never another exception
        capture = None
    else:
        message = ""
    assert capture is not None or message
    assert capture is None or capture.packets >= capture.tcp_packets
    for conn in capture.connections if capture else []:
        # the checker takes whatever the reader gives it, however odd, without an exception
        report = check_connection(conn)
        assert len(report.packets) == len(conn.packets)
        assert render(report)


@pytest.mark.parametrize("block", [(1, b""), (3, b"")], ids=["interface description", "simple packet"])
def test_a_pcapng_block_too_short_for_its_fields_is_one_clear_error(tmp_path, block):
    def pcapng_block(kind: int, body: bytes) -> bytes:
        return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))

    section = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    interface = pcapng_block(1, struct.pack("<HHI", 101, 0, 65535))
    path = tmp_path / "short.pcapng"
    path.write_bytes(section + (pcapng_block(*block) if block[0] == 1 else interface + pcapng_block(*block)))
    with pytest.raises(CaptureError, match="too short; corrupt"):
        read(path)


def _samples() -> list[bytes]:
    import tempfile

    out = []
    with tempfile.TemporaryDirectory() as d:
        for name, suffix in (("fast_retransmit", ".pcapng"), ("half_close", ".pcap")):
            path = Path(d) / f"s{suffix}"
            export(load(name).run(), path)
            out.append(path.read_bytes())
    return out


_SAMPLES = _samples()


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("graceful_close", "SF"),
        ("syn_to_closed_port", "REJ"),
        ("rst_abort", "RSTO"),
        ("half_open_data_reset", "RSTR"),
        ("three_way_handshake", "S1"),
        ("half_close", "SF"),
    ],
)
def test_each_connection_gets_its_zeek_state(tmp_path, name, state):
    from simulator.capture.connections import zeek_state

    path = tmp_path / "c.pcap"
    export(load(name).run(), path)
    assert [zeek_state(c) for c in read(path).connections] == [state]


def _seg(flags: str, src: int = 40000, dst: int = 5000, seq: int = 1) -> bytes:
    return packet_bytes(
        Segment(
            src,
            dst,
            SeqNum(seq),
            SeqNum(0),
            Flags.parse(flags),
            1000,
            src_addr="10.0.0.1" if src == 40000 else "10.0.0.2",
            dst_addr="10.0.0.2" if src == 40000 else "10.0.0.1",
        )
    )


@pytest.mark.parametrize(
    ("frames", "state"),
    [
        ([_seg("S")], "S0"),
        ([_seg("S"), _seg("F")], "SH"),
        ([_seg("S"), _seg("SA", 5000, 40000), _seg("FA")], "S2"),
        ([_seg("PA"), _seg("A", 5000, 40000)], "OTH"),
        ([_seg("SA", 5000, 40000), _seg("FA", 5000, 40000)], "SHR"),  # the capture missed the SYN
        ([_seg("SA", 5000, 40000), _seg("R", 5000, 40000)], "RSTRH"),
    ],
    ids=["S0", "SH", "S2", "OTH", "SHR", "RSTRH"],
)
def test_zeek_states_of_hand_made_captures(tmp_path, frames, state):
    from simulator.capture.connections import zeek_state

    path = tmp_path / "h.pcap"
    path.write_bytes(_pcap(101, frames))
    assert zeek_state(read(path).connections[0]) == state


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.pcap"
    path.write_bytes(b"")
    with pytest.raises(CaptureError, match="empty"):
        read(path)


@pytest.mark.parametrize(("scenario", "suffix"), [("data_transfer", ".pcap"), ("fast_retransmit", ".pcapng")])
def test_handing_back_the_files_pages_while_reading_changes_nothing(tmp_path, monkeypatch, scenario, suffix):
    import simulator.capture.reader as capture

    path = tmp_path / f"run{suffix}"
    export(load(scenario).run(), path)

    def segments() -> list[Segment]:
        return [p.segment for conn in read(path).connections for p in conn.packets]

    whole = segments()
    handed_back = []
    release = capture._release

    def spy(data: bytes, start: int, pos: int) -> int:
        handed_back.append(release(data, start, pos) - start)
        return start + handed_back[-1]

    monkeypatch.setattr(capture, "_RELEASE", 1)  # hand back the pages after every record
    monkeypatch.setattr(capture, "_release", spy)
    assert segments() == whole
    assert sum(handed_back) >= 4096  # pages were handed back, and read again where a record crossed them


def test_a_packet_without_its_payload_keeps_its_counts_and_header(tmp_path):
    path = tmp_path / "data.pcap"
    export(load("data_transfer").run(), path)
    packets = [p for conn in read(path).connections for p in conn.packets]
    data = next(p for p in packets if p.length)
    (bare,) = [p for conn in read(path).connections for p in conn.packets if p.number == data.number]
    bare.drop_payload()
    assert (bare.captured, bare.length, bare.truncated) == (len(data.segment.payload), data.length, False)
    assert bare.segment.payload == b"" and data.segment.payload
    assert (bare.segment.seq, bare.segment.ack, bare.segment.flags) == (
        data.segment.seq,
        data.segment.ack,
        data.segment.flags,
    )


def test_a_stream_of_headers_only_gives_each_packet_as_dropping_its_payload_would(tmp_path):
    # the checker reads its packets so (stream(..., headers_only=True)): the same packets, without their data
    path = tmp_path / "data.pcap"
    export(load("data_transfer").run(), path)
    whole = [p for _, p, _ in stream(path, Tally())]
    bare = [p for _, p, _ in stream(path, Tally(), headers_only=True)]
    for p in whole:
        p.drop_payload()
    assert any(p.length for p in whole)
    assert [(p.number, p.flags, p.seq, p.ack, p.window, p.captured, p.length, p.truncated) for p in bare] == [
        (p.number, p.flags, p.seq, p.ack, p.window, p.captured, p.length, p.truncated) for p in whole
    ]
    assert [(p.segment, p.options, p.options_cut) for p in bare] == [
        (p.segment, p.options, p.options_cut) for p in whole
    ]
