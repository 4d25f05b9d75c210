"""The capture reader on hand-made frames: damaged headers, PPPoE, IPv6 fragments, tunnels named, cut files.

Every capture here is built byte by byte (``tests/packets.py``), so each test shows the exact frame
a lesson is about.  What the reader cannot read is never silent: the summary names it.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from simulator.capture.connections import read
from simulator.capture.reader import not_tcp, tcp_in_frame
from simulator.cli import main
from simulator.model.segment import Flags, Segment
from simulator.model.seq import SeqNum

from .packets import ip_packet

A, B = "10.0.0.1", "10.0.0.2"
MAC = bytes(12)


def _segment(flags: Flags = Flags.ACK | Flags.PSH, payload: bytes = b"hi", v6: bool = False) -> Segment:
    src, dst = ("2001:db8::1", "2001:db8::2") if v6 else (A, B)
    return Segment(40000, 80, SeqNum(7), SeqNum(9), flags, 512, payload=payload, src_addr=src, dst_addr=dst)


def _pcap(link: int, frames: list[bytes], lengths: list[int] | None = None) -> bytes:
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, link)
    for i, frame in enumerate(frames):
        wire = lengths[i] if lengths else len(frame)
        out += struct.pack("<IIII", 100 + i, 0, len(frame), wire) + frame
    return out


def _ipv4(protocol: int, body: bytes) -> bytes:
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 0, 0, 64, protocol, 0, bytes(4), bytes(4)) + body


def _udp(port: int, body: bytes) -> bytes:
    return _ipv4(17, struct.pack("!HHHH", 50000, port, 8 + len(body), 0) + body)


def _write(tmp_path: Path, data: bytes, name: str = "t.pcap") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -------------------------------------------------------------- damaged headers
def test_an_if_tsresol_option_cut_short_is_not_read_and_the_packets_are(tmp_path):
    def block(kind: int, body: bytes) -> bytes:
        return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))

    section = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    # if_tsresol (code 9) says one byte of value, then the block ends: the byte is not there
    interface = block(1, struct.pack("<HHI", 101, 0, 65535) + struct.pack("<HH", 9, 1))
    raw = ip_packet(_segment())
    packet = block(6, struct.pack("<IIIII", 0, 0, 1_000_000, len(raw), len(raw)) + raw + bytes(-len(raw) % 4))
    capture = read(_write(tmp_path, section + interface + packet, "cut-option.pcapng"))
    assert capture.tcp_packets == 1
    assert capture.connections[0].packets[0].time == pytest.approx(1.0)  # the default microseconds


def test_the_ip_total_length_is_trusted_over_a_records_original_length(tmp_path):
    raw = ip_packet(_segment(Flags.SYN, payload=b"x" * 20))
    # the snap length cut 10 bytes of the payload; the record claims the packet was 4 GB long
    path = _write(tmp_path, _pcap(101, [raw[:-10]], lengths=[0xFFFFFFFF]))
    (packet,) = read(path).connections[0].packets
    assert (packet.captured, packet.length, packet.truncated) == (10, 20, True)


def test_a_tso_packet_with_ip_total_length_zero_is_bounded_by_one_record(tmp_path):
    raw = bytearray(ip_packet(_segment(payload=b"y" * 100)))
    raw[2:4] = b"\x00\x00"  # Linux captures an outgoing TSO super-packet before it is cut up: total length 0
    path = _write(tmp_path, _pcap(101, [bytes(raw[:80])], lengths=[0xFFFFFFFF]))
    (packet,) = read(path).connections[0].packets
    assert packet.truncated and packet.length < 1 << 19


def test_tcp_after_an_ipv6_fragment_header_is_read(tmp_path):
    raw = ip_packet(_segment(v6=True))
    fragment = struct.pack("!BBHI", 6, 0, 0, 0x1234)  # next header TCP, offset 0, no more fragments
    payload_length = struct.unpack("!H", raw[4:6])[0] + 8
    first = raw[:4] + struct.pack("!HB", payload_length, 44) + raw[7:40] + fragment + raw[40:]
    later = first[:42] + struct.pack("!H", 185 << 3) + first[44:]  # the same, at offset 1480: not the first
    capture = read(_write(tmp_path, _pcap(101, [first, later])))
    assert capture.tcp_packets == 1 and capture.connections[0].packets[0].segment.payload == b"hi"
    assert capture.unread == {"an IPv6 fragment after the first": 1}


# -------------------------------------------------------------- PPPoE and VLAN tags
def _pppoe(ip: bytes, protocol: int = 0x0021) -> bytes:
    return struct.pack("!BBHHH", 0x11, 0, 0x0001, len(ip) + 2, protocol) + ip


@pytest.mark.parametrize(
    "tags",
    [b"", b"\x81\x00\x00\x05", b"\x88\xa8\x00\x07\x81\x00\x00\x05", b"\x91\x00\x00\x07\x81\x00\x00\x05"],
    ids=["pppoe", "vlan-pppoe", "qinq-pppoe", "old-qinq-pppoe"],
)
@pytest.mark.parametrize("v6", [False, True], ids=["ipv4", "ipv6"])
def test_tcp_in_a_pppoe_session_is_read_with_or_without_vlan_tags(tmp_path, tags, v6):
    ip = ip_packet(_segment(v6=v6))
    frame = MAC + tags + b"\x88\x64" + _pppoe(ip, 0x0057 if v6 else 0x0021)
    capture = read(_write(tmp_path, _pcap(1, [frame])))
    assert capture.tcp_packets == 1 and capture.connections[0].packets[0].segment.payload == b"hi"


def test_tcp_in_pppoe_in_linux_cooked_captures_is_read():
    ip = ip_packet(_segment())
    sll = bytes(14) + b"\x88\x64" + _pppoe(ip)
    sll2 = b"\x88\x64" + bytes(18) + _pppoe(ip)
    assert tcp_in_frame(113, sll) is not None and tcp_in_frame(276, sll2) is not None


# -------------------------------------------------------------- what is not read is named
TCP_INSIDE = ip_packet(_segment())
ETHERNET_TCP_INSIDE = MAC + b"\x08\x00" + TCP_INSIDE
NOT_READ = [
    (1, MAC + b"\x08\x06" + bytes(28), "ARP"),
    (1, MAC + b"\x88\x63" + bytes(20), "PPPoE discovery"),
    (1, MAC + b"\x88\x64" + _pppoe(bytes(20), 0xC021), "PPP protocol 0xc021"),
    (101, _ipv4(47, b"\x00\x00\x08\x00" + TCP_INSIDE), "GRE (a tunnel; TCP inside it is not read)"),
    (101, _udp(4789, bytes(8) + ETHERNET_TCP_INSIDE), "VXLAN (a tunnel over UDP; TCP inside it is not read)"),
    (101, _udp(6081, bytes(8) + ETHERNET_TCP_INSIDE), "Geneve (a tunnel over UDP; TCP inside it is not read)"),
    (101, _udp(2152, bytes(8) + TCP_INSIDE), "GTP-U (a tunnel over UDP; TCP inside it is not read)"),
    (101, _ipv4(1, b"\x03\x03\x00\x00" + bytes(4) + TCP_INSIDE[:28]), "an ICMP error quoting a TCP segment (not read)"),
    (101, _udp(53, bytes(12)), "UDP"),
    (101, _ipv4(253, bytes(8)), "IP protocol 253"),
    (1, MAC + b"\x12\x34" + bytes(20), "ethertype 0x1234"),
    (147, TCP_INSIDE, "link type 147 (not read by tcpsim)"),
]


@pytest.mark.parametrize(("link", "frame", "named"), NOT_READ, ids=[n for _, _, n in NOT_READ])
def test_a_frame_that_is_not_read_is_named(tmp_path, link, frame, named):
    assert tcp_in_frame(link, frame) is None
    assert not_tcp(link, frame) == named
    capture = read(_write(tmp_path, _pcap(link, [frame, frame])))
    assert capture.unread == {named: 2}


def test_no_tcp_in_a_capture_says_what_is_in_it_instead(tmp_path, capsys):
    gre = _ipv4(47, b"\x00\x00\x08\x00" + TCP_INSIDE)
    path = _write(tmp_path, _pcap(101, [gre, gre, _udp(4789, bytes(8) + ETHERNET_TCP_INSIDE)]))
    for command in ("read", "check"):
        assert main([command, str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "no TCP in this capture" in err
        assert "2 GRE" in err and "1 VXLAN" in err, err


def test_check_in_parallel_names_what_it_did_not_read_as_one_worker_does(tmp_path, capsys):
    gre = _ipv4(47, b"\x00\x00\x08\x00" + TCP_INSIDE)
    path = _write(tmp_path, _pcap(101, [gre, gre, _udp(4789, bytes(8) + ETHERNET_TCP_INSIDE)]))
    errors = []
    for jobs in ("1", "2"):
        assert main(["check", "--jobs", jobs, str(path)]) == 2
        errors.append(capsys.readouterr().err)
    assert errors[0] == errors[1] and "2 GRE" in errors[1], errors


def test_check_json_of_a_capture_without_tcp_is_still_a_document(tmp_path, capsys):
    import json

    path = _write(tmp_path, _pcap(101, [_udp(53, bytes(12))]))
    assert main(["check", "--json", str(path)]) == 2
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["connections"] == [] and "no TCP" in document["error"]
    assert captured.err.count("\n") == 1


# -------------------------------------------------------------- a capture cut short
def _cut_capture(tmp_path: Path) -> Path:
    handshake = [
        Segment(40000, 80, SeqNum(100), flags=Flags.SYN, src_addr=A, dst_addr=B),
        Segment(80, 40000, SeqNum(500), SeqNum(101), Flags.SYN | Flags.ACK, src_addr=B, dst_addr=A),
        Segment(40000, 80, SeqNum(101), SeqNum(501), Flags.ACK, src_addr=A, dst_addr=B),
    ]
    data = _pcap(101, [ip_packet(seg) for seg in handshake])
    return _write(tmp_path, data[:-10])  # the capturing program was killed while writing the last record


def test_a_cut_last_record_still_shows_the_good_packets_in_read(tmp_path, capsys):
    assert main(["read", str(_cut_capture(tmp_path))]) == 2
    out, err = capsys.readouterr()
    assert "SYN seq=0" in out and "SYN,ACK seq=0 ack=1" in out
    assert err.count("\n") == 1 and "packet 3: the capture is truncated" in err


def test_a_cut_last_record_still_gives_scenario_from_and_compare_the_good_packets(tmp_path, capsys):
    path = _cut_capture(tmp_path)
    out = tmp_path / "from_cut.toml"
    assert main(["scenario-from", str(path), "-o", str(out)]) == 0
    assert out.exists() and "packet 3" in capsys.readouterr().err
    assert main(["compare", str(path), "three_way_handshake"]) in (0, 1)
    assert "packet 3" in capsys.readouterr().err


def test_scenario_from_writes_only_what_run_accepts_mss_65535_and_a_shift_of_255(tmp_path, capsys):
    from simulator.model.segment import Options

    big = Options(mss=65535, wscale=255)
    packets = [
        Segment(40000, 80, SeqNum(100), flags=Flags.SYN, window=65535, options=big, src_addr=A, dst_addr=B),
        Segment(80, 40000, SeqNum(500), SeqNum(101), Flags.SYN | Flags.ACK, 65535, big, src_addr=B, dst_addr=A),
        Segment(40000, 80, SeqNum(101), SeqNum(501), Flags.ACK, 65535, src_addr=A, dst_addr=B),
    ]
    path = _write(tmp_path, _pcap(101, [ip_packet(seg) for seg in packets]))
    out = tmp_path / "big.toml"
    assert main(["scenario-from", str(path), "-o", str(out)]) == 0
    text = out.read_text()
    assert "mss = 65495" in text and "window_scale = 14" in text
    assert main(["run", str(out), "--brief"]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_check_names_the_frames_it_did_not_read_beside_the_tcp_it_checked(tmp_path, capsys, jobs):
    """Issue 23: QinQ + PPPoE carries the TCP; ARP, PPP's LCP and an unknown ethertype are counted and named."""
    qinq = b"\x88\xa8\x00\x07\x81\x00\x00\x05"
    tcp = MAC + qinq + b"\x88\x64" + _pppoe(ip_packet(_segment()))
    arp, lcp = MAC + b"\x08\x06" + bytes(28), MAC + qinq + b"\x88\x64" + _pppoe(bytes(20), 0xC021)
    path = _write(tmp_path, _pcap(1, [arp, tcp, lcp, arp, MAC + b"\x12\x34" + bytes(20)]))
    main(["check", "--brief", "--jobs", jobs, str(path)])
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert "1 connection, 1 packet" in summary
    assert summary.endswith("; 4 not TCP: 2 ARP, 1 PPP protocol 0xc021, 1 ethertype 0x1234"), summary
