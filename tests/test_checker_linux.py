"""`tcpsim check` on real Linux conversations made here, in a network namespace the test owns.

Each test runs one small Python program (server and client in two threads) inside
a fresh namespace (deleted again in any case) while tcpdump records its loopback,
then checks the capture: every conversation must conform to the model.  Needs
root, `ip`, `tcpdump` (and `iptables` for the lossy path): without them the tests
skip on a laptop and fail under CI=true.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from simulator.capture.checker import ConnectionReport, PacketReport, check
from simulator.capture.compare import compare, render, same_per_direction
from simulator.capture.connections import read
from simulator.capture.labels import WIRESHARK, Label
from simulator.capture.labels import parse as label_of
from simulator.capture.scenario_from import scenario_from
from simulator.sim.scenario import parse
from tools import linux_conversations

from .netns import namespace, tcpdump

pytestmark = pytest.mark.external  # tcpdump and tshark (the namespace fixtures add live)

# The server thread accepts one connection and runs SERVE(c); the client runs CLIENT.
PROGRAM = """
import socket, struct, threading, time
FAMILY, HOST, PORT = {family}, {host!r}, 8080
srv = socket.socket(FAMILY)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
{server_options}
srv.bind((HOST, PORT))
srv.listen()
def read_all(c):
    n = 0
    while True:
        data = c.recv(65536)
        if not data:
            return n
        n += len(data)
def serve():
    c, _ = srv.accept()
{serve}
t = threading.Thread(target=serve)
t.start()
c = socket.socket(FAMILY)
c.connect((HOST, PORT))
{client}
t.join(30)
"""
INDENT = "    "


def program(
    serve: str, client: str, *, family: str = "socket.AF_INET", host: str = "127.0.0.1", options: str = ""
) -> str:
    serve = "\n".join(INDENT + line for line in serve.strip().splitlines())
    return PROGRAM.format(family=family, host=host, serve=serve, client=client.strip(), server_options=options)


ECHO_CLIENT_CLOSES = program(
    "c.recv(5); c.sendall(b'world'); read_all(c); c.close()",
    "c.sendall(b'hello'); c.recv(5); c.close()",
)
CASES = {
    "client_closes_first": ECHO_CLIENT_CLOSES,
    "server_closes_first": program(
        "c.recv(5); c.sendall(b'hello world'); c.close()", "c.sendall(b'GET /'); read_all(c); c.close()"
    ),
    "half_close": program(
        "n = read_all(c); c.sendall(str(n).encode()); c.close()",
        "c.sendall(b'x' * 3000); c.shutdown(socket.SHUT_WR); read_all(c); c.close()",
    ),
    "abort_with_rst": program(
        "read_all(c); c.close()",
        "c.sendall(b'hi'); time.sleep(0.1); "
        "c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); c.close()",
    ),
    "two_megabytes": program("n = read_all(c); c.close()", "c.sendall(b'z' * 2_000_000); c.close()"),
    "receiver_stops_reading": program(
        "time.sleep(1.5); n = read_all(c); c.close()",
        "c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096); c.sendall(b'q' * 600_000); c.close()",
        options="srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)",
    ),
    "ipv6": program(
        "c.recv(5); c.sendall(b'world'); read_all(c); c.close()",
        "c.sendall(b'hello'); c.recv(5); c.close()",
        family="socket.AF_INET6",
        host="::1",
    ),
}
CLOSED_PORT = """
import socket
try:
    socket.create_connection(("127.0.0.1", 8080))
except ConnectionRefusedError:
    pass
"""
SELF_CONNECT = """
import socket
s = socket.socket()
s.bind(("127.0.0.1", 8080))
s.connect(("127.0.0.1", 8080))
s.sendall(b"me")
assert s.recv(2) == b"me"
s.close()
"""

FAST_OPEN = """
import socket, threading
# TCP Fast Open (RFC 7413), in this namespace only: the first connection gets a cookie, the second sends
# its data with the SYN and the server takes it, the third goes to a server without Fast Open.
open("/proc/sys/net/ipv4/tcp_fastopen", "w").write("3")
def echo(port, fast_open, connections):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fast_open:
        srv.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
    srv.bind(("127.0.0.1", port))
    srv.listen()
    def serve():
        for _ in range(connections):
            c, _ = srv.accept()
            c.sendall(b"echo " + c.recv(100))
            c.close()
    t = threading.Thread(target=serve)
    t.start()
    return t
servers = [echo(8080, True, 2), echo(8081, False, 1)]
for i, port in enumerate((8080, 8080, 8081)):
    c = socket.socket()
    c.sendto(b"hello %d" % i, socket.MSG_FASTOPEN, ("127.0.0.1", port))
    assert c.recv(100) == b"echo hello %d" % i
    c.close()
for t in servers:
    t.join(30)
"""


@pytest.fixture
def netns() -> Iterator[str]:
    yield from namespace(("ip", "tcpdump"), "check real Linux conversations")


@pytest.fixture
def lossy_netns() -> Iterator[str]:
    for name in namespace(("ip", "tcpdump", "iptables"), "check a lossy path"):
        # 10% of TCP packets arriving in this namespace are lost after tcpdump saw them.
        rule = ["-p", "tcp", "-m", "statistic", "--mode", "random", "--probability", "0.1", "-j", "DROP"]
        subprocess.run(["ip", "netns", "exec", name, "iptables", "-A", "INPUT", *rule], check=True)
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "mtu", "1500"], check=True)
        yield name


@pytest.fixture
def first_syn_lost_netns() -> Iterator[str]:
    for name in namespace(("ip", "tcpdump", "iptables"), "check a simultaneous open"):
        # SYNs to port 9002 are lost after tcpdump saw them: the side there then opens towards the other
        rule = ["-p", "tcp", "--dport", "9002", "--tcp-flags", "SYN,ACK", "SYN", "-j", "DROP"]
        subprocess.run(["ip", "netns", "exec", name, "iptables", "-A", "INPUT", *rule], check=True)
        yield name


def capture(netns: str, pcap: Path, code: str) -> list[ConnectionReport]:
    with tcpdump(netns, pcap, "tcp", snaplen=200) as inside:
        subprocess.run([*inside, sys.executable, "-c", code], check=True, timeout=60)
    return [check(conn) for conn in read(pcap).connections]


# tshark's TCP-analysis flags: the labels that have a field (Label.field), in the words the checker uses.
TSHARK = sorted(WIRESHARK)
# The differences docs/reference/checker-rules.md explains: (the checker says, tshark says) for one packet.
UNDERSTOOD = {
    # Wireshark calls a resend that comes soon after the original "out of order" (its timing rule).
    ("retransmission", "out-of-order"),
    ("spurious retransmission", "out-of-order"),
    # The last segment of a gap (here the capture saw a later ACK first) ends where its sender has got to:
    # Wireshark's rule takes any such segment for a resend of the latest one.
    ("out-of-order", "retransmission"),
    # Linux's zero-window probe (no data, seq one below SND.NXT) looks like a keep-alive to Wireshark.
    ("zero window probe", "keep-alive"),
    ("zero window probe ACK", "keep-alive ACK"),
    ("zero window probe ACK", ""),
    # A resend of one byte at SND.NXT - 1, asked for again: Wireshark's keep-alive rule ignores that it is outstanding.
    ("retransmission", "keep-alive"),
    # So does a byte that comes late at SND.NXT - 1 and fills a gap.
    ("out-of-order", "keep-alive"),
    # A FIN that advertises a zero window: Wireshark's zero-window rule leaves out SYN, FIN and RST segments.
    ("zero window", ""),
    # A resend of data (or a FIN) the capture already saw acknowledged: the checker says spurious.
    ("spurious retransmission", "retransmission"),
    # A resend of acknowledged data with the FIN that was not: Wireshark judges the data alone.
    ("retransmission", "spurious retransmission"),
    # Which duplicate ACKs count towards a fast retransmission: RFC 5681 for the checker, Wireshark's own rule.
    ("retransmission", "fast retransmission"),
    ("fast retransmission", "retransmission"),
    ("spurious retransmission", "fast retransmission"),  # after late copies of older ACKs: it was acknowledged
    ("fast retransmission", "out-of-order"),  # not enough duplicates for Wireshark, and then its timing rule
    ("out-of-order", "fast retransmission"),  # not enough for the checker: a segment that fills a gap, come late
    # The ACK answering a repeated FIN: no data outstanding, so RFC 5681 does not call it a duplicate.
    ("", "duplicate ACK"),
    # A pure ACK repeating its sender's previous one after data segments that carried an older ACK (sent
    # earlier, captured late): the checker compares with the previous pure ACK, Wireshark with the latest segment.
    ("duplicate ACK", ""),
    # Bytes the capture missed (tcpdump drops): the checker marks the first ACK that covers them; Wireshark
    # marks one ACK per stretch by its own bookkeeping (it waits while the other side counts duplicate ACKs).
    ("ACKed segment that wasn't captured", ""),
    ("", "ACKed segment that wasn't captured"),
    # An old ACK (below an ack its sender has sent already) that comes late, after its sender's FIN: its seq
    # is one below SND.NXT, and Wireshark's keep-alive rule looks at that alone.
    ("old ACK", "keep-alive"),
    ("old ACK", ""),
}
CHECKER_ONLY = {Label.OLD_ACK}  # a label Wireshark has no word for, compared with what it says instead


@dataclass
class Seen:
    """What the comparison has seen of a connection before the packet it compares (relative numbers)."""

    latest: dict[str, PacketReport] = field(default_factory=dict)  # each direction's latest packet
    ends: dict[str, int] = field(default_factory=dict)  # each direction's highest seq + length (+ 1 for a FIN)
    acks: dict[str, int] = field(default_factory=dict)  # each direction's highest ack

    def before(self, p: PacketReport, side: str) -> PacketReport | None:
        """The latest packet before ``p`` from its own side ("same") or from the other side."""
        return self.latest.get(p.direction if side == "same" else _OTHER[p.direction])

    def add(self, p: PacketReport) -> None:
        self.latest[p.direction] = p
        end = p.seq + p.length + ("FIN" in p.flags)
        self.ends[p.direction] = max(self.ends.get(p.direction, end), end)
        if "ACK" in p.flags:
            self.acks[p.direction] = max(self.acks.get(p.direction, p.ack), p.ack)

    def below_unacknowledged_end(self, p: PacketReport) -> bool:
        """A segment without data one below what its sender has sent, which the peer has not all acknowledged."""
        end = self.ends.get(p.direction)
        peer = self.acks.get(_OTHER[p.direction])
        return not p.length and end is not None and p.seq == end - 1 and (peer is None or peer < end)


_OTHER = {"->": "<-", "<-": "->"}

# Differences understood only at certain packets: (the checker says, tshark says) -> where.
UNDERSTOOD_WHEN: dict[tuple[str, str], Callable[[PacketReport, Seen], bool]] = {
    # The answer to an old ACK, or to one byte at SND.NXT - 1 resent or come late, that Wireshark took for a
    # keep-alive (above).
    ("", "keep-alive ACK"): lambda p, seen: _taken_for_a_keep_alive(seen.before(p, "other"), seen),
    # An ACK one below SND.NXT while its sender's FIN is not yet acknowledged: a late copy of an ACK made
    # before that FIN.  Wireshark's keep-alive rule looks at the seq alone; a keep-alive is sent only when
    # everything is acknowledged (RFC 1122 section 4.2.3.6).
    ("", "keep-alive"): lambda p, seen: seen.below_unacknowledged_end(p),
    # A SYN,ACK with a new ISN, answering a copy of the SYN after the connection closed, is past where
    # Wireshark's count of that side had got to.
    ("", "previous segment not captured"): lambda p, seen: p.flags.startswith("SYN,ACK"),
    # The answer to a probe whose sender's latest segment had another ack or window (a late copy of an older
    # segment, or a SYN,ACK sent again, whose window is not scaled): Wireshark wants that segment's numbers again.
    ("keep-alive ACK", ""): lambda p, seen: _numbers_differ(p, seen.before(p, "same")),
    # A SYN,ACK with another ISN that answered another sending of the same SYN (a SYN cookie, held up on the way):
    # the checker's numbers stay with the connection's ISN, so its relative seq is not 0; Wireshark calls it a
    # retransmission of the SYN,ACK.
    ("", "retransmission"): lambda p, seen: p.flags.startswith("SYN,ACK") and p.seq != 0,
    # After a side's SYN,ACK came again (a leftover, see the checker), Wireshark compares that side's next ACK
    # with the SYN,ACK's numbers (an unscaled window, the ack of the SYN); the checker with those before it.
    ("window update", ""): lambda p, seen: getattr(seen.before(p, "same"), "flags", "") == "SYN,ACK",
}


def _counted_again(p: PacketReport) -> bool:
    """Wireshark counts its sender's bytes again from this packet: a copy of its SYN (duplicated or held up on the
    way) that came when its connection was open, or a SYN,ACK with another ISN (its relative seq is not 0)."""
    sender = p.before[0] if p.direction == "->" else p.before[1]
    syn_copy = p.flags == "SYN" and "retransmission" in p.labels and sender.synchronized
    return syn_copy or (p.flags.startswith("SYN,ACK") and p.seq != 0)


def _taken_for_a_keep_alive(p: PacketReport | None, seen: Seen) -> bool:
    """A packet the checker knows is no probe that Wireshark's keep-alive rule takes for one (one byte or none,
    one below the highest seq its sender has reached)."""
    return (
        p is not None
        and p.length <= 1
        and p.seq == seen.ends[p.direction] - 1
        and bool({"old ACK", "retransmission", "out-of-order"} & set(p.labels))
    )


def _numbers_differ(p: PacketReport, before: PacketReport | None) -> bool:
    return before is not None and (before.ack, before.window) != (p.ack, p.window)


def _tshark() -> str | None:
    """tshark's path, or None on a machine without it (under CI=true its absence fails the test instead)."""
    tshark = shutil.which("tshark")
    if tshark is None and os.environ.get("CI") == "true":
        pytest.fail("CI must compare the checker with tshark (apt-get install tshark)")
    return tshark


def tshark_differences(pcap: Path, reports: list[ConnectionReport]) -> list[tuple[int, str, str]]:
    """Packets where the checker's labels and tshark's analysis differ in a way docs/reference/checker-rules.md does not explain."""
    tshark = _tshark()
    if tshark is None:
        return []
    fields = [arg for label in TSHARK for arg in ("-e", str(label.field))]
    command = [tshark, "-r", str(pcap), "-T", "fields", "-e", "frame.number", "-e", "tcp.stream", *fields]
    out = subprocess.run(command, capture_output=True, text=True).stdout
    theirs: dict[int, set[str]] = {}
    stream: dict[int, str] = {}  # Wireshark's connection of each packet
    for line in out.splitlines():
        number, stream[int(number)], *values = line.split("\t")
        theirs[int(number)] = {label for label, value in zip(TSHARK, values, strict=True) if value}
    # Wireshark files a packet by its ports and the latest SYN on them; the checker files a late packet of an
    # older connection whose ports a new SYN reused under that older one.  Such a packet is Wireshark's in the
    # newer connection, with other numbers: it is not compared, nor is what Wireshark says after it there.
    owner = {p.number: n for n, report in enumerate(reports) for p in report.packets}
    first_owner: dict[str, int | None] = {}  # of each of Wireshark's connections: the checker's for its first packet
    foreign_from: dict[str, int] = {}  # where one of Wireshark's connections takes in a packet of another
    for number, name in sorted(stream.items()):
        home = first_owner.setdefault(name, owner.get(number))
        if owner.get(number, home) != home:
            foreign_from.setdefault(name, number)
    unexplained = []
    for report in reports:
        seen = Seen()
        home = stream[report.packets[0].number]
        for p in report.packets:
            if p.number >= foreign_from.get(home, p.number + 1):
                break
            if stream[p.number] != home:
                continue
            ours = {label_of(label) for label in p.labels}
            ours &= set(TSHARK) | CHECKER_ONLY
            them = theirs.get(p.number, set())
            if them & {"fast retransmission", "spurious retransmission"}:
                them.discard("retransmission")  # Wireshark marks a fast or spurious retransmission as both
            # every label only one side gives must be explained by one the other side gives instead (or none)
            mine, their = ours - them, them - ours
            unexplained += [
                (p.number, label, "")
                for label in sorted(mine)
                if not any(understood((label, other), p, seen) for other in their | {""})
            ]
            unexplained += [
                (p.number, "", label)
                for label in sorted(their)
                if not any(understood((other, label), p, seen) for other in mine | {""})
            ]
            seen.add(p)
            if _counted_again(p):
                break  # Wireshark starts its count of that side again: what it says from here on is its own
    return unexplained


def understood(difference: tuple[str, str], p: PacketReport, seen: Seen) -> bool:
    """docs/reference/checker-rules.md explains this difference at packet ``p`` (``seen``: the connection before it)."""
    rule = UNDERSTOOD_WHEN.get(difference)
    return difference in UNDERSTOOD or (rule is not None and rule(p, seen))


def departures(reports: list[ConnectionReport]) -> list[tuple[int, str | None]]:
    return [(p.number, p.departure) for r in reports for p in r.departures]


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_real_linux_conversation_conforms(netns, tmp_path, case):
    reports = capture(netns, tmp_path / f"{case}.pcap", CASES[case])
    assert len(reports) == 1 and not departures(reports)
    assert not tshark_differences(tmp_path / f"{case}.pcap", reports)
    (report,) = reports
    labels = {label for p in report.packets for label in p.labels}
    if case == "abort_with_rst":
        assert report.zeek_state == "RSTO" and "RST in window" in labels
    elif case == "receiver_stops_reading":
        assert "zero window" in labels and "window update" in labels
    else:
        assert report.zeek_state == "SF"
    if case in ("client_closes_first", "server_closes_first", "half_close", "ipv6"):
        # the model replays the conversation (tcpsim scenario-from) and puts the same segments on the wire
        (conn,) = read(tmp_path / f"{case}.pcap").connections
        rows = compare(conn, parse(scenario_from(conn, name="replay")).run())
        assert same_per_direction(rows), "\n".join(render(rows))
    if case == "two_megabytes":
        assert max(p.ack for p in report.packets) == 2_000_002  # every byte and the FIN acknowledged


def test_connecting_to_a_closed_port_is_refused_and_conforms(netns, tmp_path):
    (report,) = capture(netns, tmp_path / "closed.pcap", CLOSED_PORT)
    assert report.conforms and report.zeek_state == "REJ"
    assert "connection is refused" in report.packets[-1].explanation


def test_a_socket_connected_to_itself_conforms(netns, tmp_path):
    (report,) = capture(netns, tmp_path / "self.pcap", SELF_CONNECT)
    assert report.conforms and "connected to itself" in report.notes[0]


def test_a_transfer_through_a_lossy_path_conforms(lossy_netns, tmp_path):
    code = program(
        "n = read_all(c); c.sendall(b'done'); c.close()", "c.sendall(b'L' * 2_000_000); c.shutdown(1); read_all(c)"
    )
    reports = capture(lossy_netns, tmp_path / "lossy.pcap", code)
    counters = subprocess.run(
        ["ip", "netns", "exec", lossy_netns, "iptables", "-L", "INPUT", "-v", "-x", "-n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    dropped = int(counters.splitlines()[2].split()[0])
    assert dropped > 0, "the lossy path lost nothing this time"
    assert reports and not departures(reports)
    assert not tshark_differences(tmp_path / "lossy.pcap", reports)


def test_tcp_fast_open_data_on_the_syn_conforms_whether_the_server_takes_it_or_not(netns, tmp_path):
    reports = capture(netns, tmp_path / "fastopen.pcap", FAST_OPEN)
    assert len(reports) == 3 and not departures(reports)
    assert not tshark_differences(tmp_path / "fastopen.pcap", reports)
    assert [r.packets[0].length for r in reports] == [0, 7, 7]  # a cookie first, then data on each SYN
    _, taken, ignored = reports
    assert "and the 7 bytes of data its SYN carried" in taken.packets[1].explanation
    assert "but not the 7 bytes" in ignored.packets[1].explanation
    assert ignored.packets[2].labels == ("retransmission",)  # Linux sends them again; Wireshark agrees


# the program of tools/linux_conversations.py's simultaneous open (one copy for both)
SIMULTANEOUS_OPEN = linux_conversations.HELPERS + linux_conversations.SIMULTANEOUS_OPEN


def test_two_sockets_that_connect_to_each_other_make_a_simultaneous_open(first_syn_lost_netns, tmp_path):
    (report,) = capture(first_syn_lost_netns, tmp_path / "simultaneous.pcap", SIMULTANEOUS_OPEN)
    assert report.conforms and report.zeek_state == "SF"
    assert not tshark_differences(tmp_path / "simultaneous.pcap", [report])
    second_syn, syn_ack = report.packets[1], report.packets[2]
    assert "a simultaneous open (RFC 9293 Figure 8)" in second_syn.explanation
    assert [str(s) for s in second_syn.after] == ["SYN-RECEIVED", "SYN-SENT"]
    assert syn_ack.explanation.startswith("SYN,ACK in a simultaneous open")


def test_the_tshark_comparison_leaves_out_a_late_packet_wireshark_files_under_a_newer_connection(tmp_path):
    from .captures import close, handshake, reports, seg, write

    if _tshark() is None:
        pytest.skip("tshark is not installed (apt-get install tshark)")
    # The port reused: a copy of the old SYN,ACK comes after the new SYN, and the client resets it.  Wireshark
    # takes it into the new connection (a SYN,ACK "accepting TFO data", then "previous segment not captured").
    late = [seg("S", 5000), seg("SA", 500, 101, back=True), seg("SA", 9000, 5001, back=True), seg("R", 101)]
    path = write(tmp_path / "late.pcap", [*handshake(), *close(), *late, seg("A", 5001, 9001)])
    assert tshark_differences(path, reports(path)) == []


# The client's data is dropped (after tcpdump saw it) for a second, then let through: Linux resends it on its
# timers, and the checker says which congestion event the capture shows (issue 21, item 6).
TIMEOUT = program(
    "n = read_all(c); c.close()",
    """
import subprocess
rule = ["INPUT", "-p", "tcp", "--dport", "8080", "-m", "length", "--length", "100:65535", "-j", "DROP"]
subprocess.run(["iptables", "-A", *rule], check=True)
c.sendall(b"r" * 500)
time.sleep(1.0)
subprocess.run(["iptables", "-D", *rule], check=True)
time.sleep(1.5)
c.close()
""",
)


def test_a_real_linux_retransmission_timeout_is_said_as_a_congestion_event(netns, tmp_path):
    if shutil.which("iptables") is None:
        pytest.skip("iptables is needed to hold the data back")
    (report,) = capture(netns, tmp_path / "timeout.pcap", TIMEOUT)
    assert report.conforms
    resent = [p for p in report.packets if p.labels == ("retransmission",)]
    assert resent, "Linux resent nothing: the rule held nothing back"
    timer = "its retransmission timer fired (RFC 6298 section 5.4)"
    assert any(timer in p.explanation for p in resent), [p.explanation for p in resent]
