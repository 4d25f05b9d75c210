"""Slow start as Linux does it: the segments sent per round trip, kernel against model (issue 21).

Two namespaces joined by a veth pair; the receiver's ACKs leave through a ``tbf`` that spaces
them (netem may be absent, tbf is enough), so each round trip is a clear train of ACKs and the
data each ACK releases goes out at once.  The sender's socket sets its
algorithm (TCP_CONGESTION, what ``net.ipv4.tcp_congestion_control`` sets for all); offloads are off so that segments are MSS-sized.  The
model runs the same transfer with the same ACK path (a bottleneck on the server's segments)
and must send the same number of new segments in each of the first rounds of slow start.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.live.namespace import Namespace, tcpdump
from simulator.live.pytest_plugin import namespace_or_skip
from simulator.model.congestion import Algorithm, Congestion
from simulator.model.keys import CongestionKey
from simulator.model.seq import SeqNum
from simulator.sim.scenario import parse
from simulator.sim.trace import EventKind

from .test_linux_fidelity import read_pcap

pytestmark = [pytest.mark.live, pytest.mark.external, pytest.mark.slow]

PORT = 5001
SENDER, RECEIVER = "10.231.0.1", "10.231.0.2"
SIZE = 600_000  # (2-4 MB would take half a minute behind the ACK path's 6.4 ms per ACK)
ACK_RATE = "100kbit"  # an ACK of 80 bytes every 6.4 ms: a round trip is a train of ACKs

SERVER = f"""
import socket
s = socket.socket()
s.bind(("{RECEIVER}", {PORT}))
s.listen()
print("ready", flush=True)
c, _ = s.accept()
c.sendall(bytes(400))  # it empties the tbf's bucket: the first ACK of data waits 6 ms, after the initial window
while c.recv(1 << 20):
    pass
c.close()
"""
# Corked, with room for everything in the send buffer, so that the whole transfer is queued before
# the first segment leaves: what goes out is then limited by cwnd alone, as in the model.
CLIENT = """
import socket
c = socket.socket()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"{algorithm}")
c.setsockopt(socket.SOL_SOCKET, 32, 4 * {size})  # SO_SNDBUFFORCE
c.connect(("{receiver}", {port}))
got = 0
while got < 400:  # the server speaks first (see SERVER)
    got += len(c.recv(400 - got))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
c.sendall(bytes({size}))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
c.close()
"""
MODEL = """
name = "linux_slow_start"
until = 120
[network]
latency = 0.00005
[bottleneck]
rate = 100e3
queue = 100000
from = ["server"]
[endpoint.client]
address = "10.231.0.1"
congestion = "{algorithm}"
timestamps = true
script = ["connect server", "send {size}", "close"]
[endpoint.server]
address = "10.231.0.2"
timestamps = true
script = ["listen", "wait_for_eof", "close"]
"""


@pytest.fixture
def pair() -> Iterator[tuple[Namespace, Namespace, str, str]]:
    """Two namespaces, a veth between them (sender's end, receiver's end), both deleted afterwards."""
    namespace_or_skip(["tcpdump", "tc", "ethtool", "nstat"], "run the congestion control test against Linux")
    a_if, b_if = f"tcc{os.getpid() % 100000}a", f"tcc{os.getpid() % 100000}b"
    with Namespace() as a, Namespace() as b:
        subprocess.run(["ip", "link", "add", a_if, "type", "veth", "peer", "name", b_if], check=True)
        for ns, dev, addr in ((a, a_if, SENDER), (b, b_if, RECEIVER)):
            subprocess.run(["ip", "link", "set", dev, "netns", ns.name], check=True)
            ns.run(["ip", "addr", "add", f"{addr}/24", "dev", dev])
            ns.run(["ip", "link", "set", dev, "up"])
            ns.run(["ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off"])
        # TCP small queues would hold back part of the initial window until the veth's peer has taken
        # the first segments (a loaded machine then shows 5 + 5): let the whole window go at once
        a.run(["sysctl", "-qw", "net.ipv4.tcp_limit_output_bytes=4194304"])
        b.run(["tc", "qdisc", "add", "dev", b_if, "root", "tbf", "rate", ACK_RATE, "burst", "600", "limit", "1000000"])
        yield a, b, a_if, b_if


def kernel_rounds(pair: tuple[Namespace, Namespace, str, str], algorithm: str, pcap: Path) -> list[int]:
    return rounds(kernel_stream(pair, algorithm, pcap, SIZE))


def kernel_stream(
    pair: tuple[Namespace, Namespace, str, str], algorithm: str, pcap: Path, size: int
) -> list[tuple[str, int]]:
    """The sender's data ends and the ACKs it received, in capture order, relative to its ISS."""
    a, b, a_if, _ = pair
    # TCP_CONGESTION on the socket: a namespace may only set the algorithms its
    # tcp_allowed_congestion_control lists by sysctl (cubic is refused in some), the socket option takes any
    client = CLIENT.format(algorithm=algorithm, receiver=RECEIVER, port=PORT, size=size)
    with tcpdump(a.command([]), pcap, f"tcp port {PORT}", 128, interface=a_if):
        server = subprocess.Popen(b.command([sys.executable, "-c", SERVER]), stdout=subprocess.PIPE, text=True)
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        subprocess.run(a.command([sys.executable, "-c", client]), check=True, timeout=60)
        server.wait(timeout=60)
    packets = read_pcap(pcap)
    client_port = next(p[0] for p in packets if p[1] == PORT)
    iss = next(p[3] for p in packets if p[0] == client_port and p[2] == "S")
    stream = []  # ("data", end) or ("ack", ack), relative to the ISS, in capture order
    for sport, _dport, flags, seq, ack, length in packets:
        if sport == client_port and length:
            stream.append(("data", (seq - iss + length) % (1 << 32)))
        elif sport == PORT and "A" in flags:
            stream.append(("ack", (ack - iss) % (1 << 32)))
    return stream


def model_rounds(algorithm: str) -> list[int]:
    return rounds(model_stream(MODEL.format(algorithm=algorithm, size=SIZE)))


def model_stream(scenario: str) -> list[tuple[str, int]]:
    trace = parse(scenario).run()
    iss = next(i.isn for i in trace.endpoints if i.name == "client")
    stream = []
    for e in trace:
        seg = e.segment
        if seg is None:
            continue
        if e.kind == EventKind.SEND and e.endpoint == "client" and seg.payload:
            stream.append(("data", seg.end.since(iss)))
        elif e.kind == EventKind.DELIVER and e.endpoint == "client" and seg.flags & 16:
            stream.append(("ack", seg.ack.since(iss)))
    return stream


def rounds(stream: list[tuple[str, int]]) -> list[int]:
    """New segments per round trip: a round ends when the ACK of its first segment arrives."""
    out: list[int] = []
    count, marker, highest = 0, None, 0
    for what, n in stream:
        if what == "data" and n > highest:  # new data (a retransmission is not counted)
            highest = n
            marker = n if marker is None else marker
            count += 1
        elif what == "ack" and marker is not None and n >= marker:
            out.append(count)
            count, marker = 0, None
    return out


# Linux varies from run to run on this loaded veth: when the first ACK is captured while the initial
# window is still leaving (the sender's softirq interleaved), the rounds read 5, 15, 30 instead of
# 10, 20, 40 (the same window, the round's boundary one ACK earlier), or, with later rounds' ACKs caught
# early too, 5, 12, 27 or 5, 5, 20 (each seen two or three times in some thirty runs under a load of 4 to 14).
# CUBIC's HyStart ends slow start in the third round, at 28 (test_hystart_leaves_slow_start_where_linux_does).
# The model gives the first of each.
VARIANTS = {
    "reno": ([10, 20, 40], [5, 15, 30], [5, 12, 27], [5, 5, 20]),
    "cubic": ([10, 20, 28], [5, 15, 28], [5, 12, 27], [5, 5, 20]),
}


@pytest.mark.parametrize("algorithm", ["reno", "cubic"])
def test_slow_start_sends_what_linux_sends_in_each_round_trip(pair, tmp_path, algorithm):
    kernel = kernel_rounds(pair, algorithm, tmp_path / f"{algorithm}.pcap")
    model = model_rounds(algorithm)
    print(f"\n{algorithm}: segments per round trip\n  kernel {kernel[:8]}\n  model  {model[:8]}")
    assert model[:3] == VARIANTS[algorithm][0]
    assert kernel[:3] in VARIANTS[algorithm]


# ------------------------------------------------------------------ where HyStart leaves slow start
MSS_BYTES = 1448  # MSS 1460 less the timestamps option
IW = 10  # segments (RFC 6928, Linux's TCP_INIT_CWND)


def hystart_counters(pair: tuple[Namespace, Namespace, str, str]) -> dict[str, int]:
    """The sender namespace's HyStart counters (LINUX_MIB_TCPHYSTART*: which sign, and cwnd when found)."""
    done = subprocess.run(pair[0].command(["nstat", "-asz"]), capture_output=True, text=True, check=True)
    rows = (line.split() for line in done.stdout.splitlines())
    return {row[0].removeprefix("TcpExtTCPHystart"): int(row[1]) for row in rows if "Hystart" in row[0]}


def timed_stream(pcap: Path) -> list[tuple[float, str, int]]:
    """kernel_stream's rows with the capture's time of each: (time, "data" or "ack", end or ack)."""
    packets = read_pcap(pcap)
    client_port = next(p[0] for p in packets if p[1] == PORT)
    iss = next(p[3] for p in packets if p[0] == client_port and p[2] == "S")
    out = []
    for t, (sport, _dport, flags, seq, ack, length) in zip(read_pcap_times(pcap), packets, strict=True):
        if sport == client_port and length:
            out.append((t, "data", (seq - iss + length) % (1 << 32)))
        elif sport == PORT and "A" in flags:
            out.append((t, "ack", (ack - iss) % (1 << 32)))
    return out


def hystart_on_kernel_inputs(timed: list[tuple[float, str, int]]) -> int | None:
    """The model's CUBIC slow start and HyStart (simulator.model.congestion, hystart) fed what the kernel's
    own HyStart was fed, as the sender's capture shows it: each ACK's arrival time, the bytes it acknowledges,
    SND.NXT then, and its RTT sample (the newest segment it acknowledges, tcp_clean_rtx_queue's ca_rtt_us);
    returns cwnd in segments when HyStart ended slow start, None if it did not."""
    cc = Congestion(Algorithm.CUBIC, IW, hystart=True, slow_start_limit=0)
    cc.start(MSS_BYTES, syn_lost=False)
    # the initial window leaves in one call (tcp_write_xmit) before any ACK can come back, but a capture may
    # show the first ACK among its last segments (see VARIANTS): SND.NXT is at least its end from the start
    initial = [n for _, what, n in timed if what == "data"][IW - 1]
    sent: dict[int, float] = {}
    highest = una = 0
    for t, what, n in timed:
        if what == "data":
            if n <= highest:
                return None  # a retransmission: slow start ended by a loss
            sent[n], highest = t, n
        elif n > una and any(end <= n for end in sent):
            rtt = t - sent[max(end for end in sent if end <= n)]
            nxt = max(highest, initial)
            changes = cc.on_ack(n - una, nxt - una, SeqNum(n), t, None, rtt=rtt, snd_nxt=SeqNum(nxt))
            una = n
            if any(c.key in (CongestionKey.HYSTART_DELAY, CongestionKey.HYSTART_ACK_TRAIN) for c in changes):
                return (cc.ssthresh or 0) // MSS_BYTES
    return None


def model_hystart_exit(scenario: str) -> int | None:
    """cwnd in segments when the model's own run left slow start by HyStart."""
    for e in parse(scenario).run():
        if e.endpoint == "client" and e.key in (CongestionKey.HYSTART_DELAY, CongestionKey.HYSTART_ACK_TRAIN):
            return int(e.views[0][1].cwnd) // MSS_BYTES
    return None


def test_hystart_leaves_slow_start_where_linux_does(pair, tmp_path):
    # tcp_cubic.c hystart_update: a round starts when SND.UNA passes the SND.NXT of the last (a reset also
    # on the first ACK, the round of the initial window); from cwnd 16 on, the ninth RTT sample of a round
    # whose smallest exceeds delay_min + clamp(delay_min / 8, 4, 16 ms) ends slow start (the ACKs come
    # 5 ms apart behind the tbf: never a train).  So where it ends depends on how many ACKs the receiver
    # sends, not on timing noise: fed the kernel's own ACKs, the model's HyStart must end where the
    # kernel's did (its counters say where), ACK for ACK; and on its own ACKs too, its receiver sending
    # them as Linux's does (a quick ACK for each segment that lets the offered window grow)
    pcap = tmp_path / "hystart.pcap"
    kernel_stream(pair, "cubic", pcap, SIZE)
    counters = hystart_counters(pair)
    kernel = counters.get("DelayCwnd") or counters.get("TrainCwnd")
    replayed = hystart_on_kernel_inputs(timed_stream(pcap))
    own = model_hystart_exit(MODEL.format(algorithm="cubic", size=SIZE))
    print(f"\nHyStart left slow start at cwnd: kernel {kernel} ({counters}), model on the kernel's ACKs {replayed}")
    print(f"  model on its own ACKs {own}")
    assert kernel is not None
    assert replayed == kernel
    assert own == kernel


# ------------------------------------------------------------------ after a loss
LOSS_SIZE = 2_000_000
DROPPED = 100  # the 100th full-sized data segment is lost (in slow start's fourth round), once


def after_loss(stream: list[tuple[str, int]]) -> list[int]:
    """The window after the first loss, in segments per round trip: the rounds that begin once the ACK
    of everything sent before the retransmission (the recovery point) has come."""
    highest, recover = 0, None
    for i, (what, n) in enumerate(stream):
        if what == "data":
            if n <= highest and recover is None:
                recover = highest  # the first retransmission: recovery runs until this is acknowledged
            highest = max(highest, n)
        elif recover is not None and n >= recover:
            return rounds(stream[i + 1 :])
    return []


def windows(stream: list[tuple[str, int]]) -> tuple[int, list[int]]:
    """The window (the flight: highest sent less the last ACK, in segments) when the first retransmission
    goes, and the largest in each round after the recovery point is acknowledged.  Unlike segments per
    round, it does not depend on how many segments each ACK covers (the kernel's receiver acknowledges
    every segment behind the tbf, the model's every second)."""
    highest = acked = peak = 0
    recover: int | None = None
    at_loss, marker, out = 0, None, []
    for what, n in stream:
        if what == "data":
            if n <= highest and recover is None:
                recover, at_loss = highest, (highest - acked) // MSS_BYTES
            highest = max(highest, n)
            if recover is not None and acked >= recover:
                marker = n if marker is None and n > recover else marker
                peak = max(peak, highest - acked)
        else:
            acked = max(acked, n)
            if marker is not None and n >= marker:
                out.append(round(peak / MSS_BYTES))
                marker, peak = None, 0
    return at_loss, out


FAULT = f'[[fault]]\naction = "drop"\nfrom = "client"\ndata = true\nretransmission = false\nnth = {DROPPED}\n'
REDUCTIONS = (CongestionKey.RACK_RECOVERY, CongestionKey.SACK_RECOVERY, CongestionKey.FAST_RECOVERY_CUBIC)


def model_loss_stream(algorithm: str) -> list[tuple[str, int]]:
    return model_stream(MODEL.format(algorithm=algorithm, size=LOSS_SIZE) + FAULT)


def model_reduction(algorithm: str) -> tuple[int, int]:
    """The model's cwnd before its first reduction and the ssthresh it set, in segments (from its trace: exact
    where the flight the capture shows may run a segment past cwnd while SACKs let new data go)."""
    cwnd = before = 0  # cwnd after the last event, and before the events of the present instant
    now = 0.0
    for e in parse(MODEL.format(algorithm=algorithm, size=LOSS_SIZE) + FAULT).run():
        if e.endpoint != "client" or not e.views:
            continue
        tcb = e.views[0][1]
        if e.time > now:  # (the views are taken after the ACK that leads to the reduction is processed)
            before, now = cwnd, e.time
        if e.key in REDUCTIONS:
            return before, int(tcb.ssthresh) // MSS_BYTES
        cwnd = int(tcb.cwnd or 0) // MSS_BYTES
    raise AssertionError("the model did not reduce its window")


BETA = {"reno": 0.5, "cubic": 0.7}  # RFC 5681 3.2 (Linux's tcp_reno_ssthresh: cwnd / 2), RFC 9438 4.6
# CUBIC's window at the loss follows where HyStart left slow start, and that follows how many ACKs the
# receiver sent (test_hystart_leaves_slow_start_where_linux_does), not timing noise.  The kernel's window
# after the loss, by where its HyStart ended: seen on this 2-core machine under load 4 to 14 (20 runs of 20:
# HyStart at 28, the window at the loss 32 or 33, after it 23; the model: 28, 32, 22).  A kernel run whose
# HyStart ends elsewhere (its receiver batched ACKs while the application held the socket: 32 seen once in 6
# runs without a loss) is a variant to list here once seen with its window; the model must be within one MSS
# of one.
CUBIC_VARIANTS = {28: 23, 29: 24}  # HyStart's cwnd (nstat TcpExtTCPHystartDelayCwnd) -> the window after the loss
# (29 -> 24 seen once, in a clean-clone CI run on 2026-12-06)


@pytest.mark.parametrize("algorithm", ["reno", "cubic"])
def test_after_a_loss_the_window_is_what_linux_reduces_it_to(pair, tmp_path, algorithm):
    # RFC 5681 3.2 and RFC 9438 4.6, with RACK, PRR and HyStart in the linux profile: the window after recovery
    # is the window at the loss times beta, in the kernel and in the model, and the model's is within one
    # segment of the kernel's (for CUBIC: of the kernel's variant, by where its HyStart ended)
    b = pair[1]  # (the receiver drops it: the capture at the sender sees it go, then go again)
    b.run(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", str(PORT), "-m", "length", "--length", "1400:65535",
           "-m", "statistic", "--mode", "nth", "--every", "1000000", "--packet", str(DROPPED - 1), "-j", "DROP"])  # fmt: skip
    kernel_s = kernel_stream(pair, algorithm, tmp_path / f"{algorithm}-loss.pcap", LOSS_SIZE)
    counters = hystart_counters(pair)
    k_exit = counters.get("DelayCwnd") or counters.get("TrainCwnd") or None
    model_s = model_loss_stream(algorithm)
    (k_loss, kernel), (m_loss, model) = windows(kernel_s), windows(model_s)
    m_exit = model_hystart_exit(MODEL.format(algorithm=algorithm, size=LOSS_SIZE))
    m_cwnd, m_ssthresh = model_reduction(algorithm)
    print(f"\n{algorithm}: HyStart left slow start at cwnd: kernel {k_exit}, model {m_exit}")
    print(f"  window at the loss: kernel {k_loss}, model {m_loss} (its cwnd {m_cwnd}, ssthresh then {m_ssthresh})")
    print("  after the recovery, the largest flight per round trip:")
    print(f"  {'round':>5} {'kernel':>7} {'model':>7}   (segments sent: kernel, model)")
    rows = zip(kernel[:8], model[:8], after_loss(kernel_s)[:8], after_loss(model_s)[:8], strict=False)
    for i, (k, m, ks, ms) in enumerate(rows):
        print(f"  {i + 1:>5} {k:>7} {m:>7}   ({ks}, {ms})")
    assert kernel and model
    # (the capture shows the flight, not cwnd: on a loaded machine the kernel's flight at the loss may lag its
    # cwnd, 69 and 77 seen where cwnd was about 110, so its window after the loss is at least beta times it)
    assert kernel[0] >= BETA[algorithm] * k_loss - 1
    assert m_ssthresh == max(int(m_cwnd * BETA[algorithm]), 2)  # in whole segments, as Linux counts
    if algorithm == "reno":
        assert k_exit is None and m_exit is None  # reno has no HyStart
        assert abs(kernel[0] - model[0]) <= 1
        return
    assert k_exit in CUBIC_VARIANTS, f"a new variant: HyStart at {k_exit}, the window after the loss {kernel[0]}"
    assert abs(kernel[0] - CUBIC_VARIANTS[k_exit]) <= 1
    assert any(abs(model[0] - window) <= 1 for window in CUBIC_VARIANTS.values())


# ------------------------------------------------------------------ the tail loss probe, on loopback
TLP_PORT = 5002
TLP_PROGRAM = f"""
import socket, threading, time
s = socket.socket(); s.bind(("127.0.0.1", {TLP_PORT})); s.listen()
def serve():
    c, _ = s.accept()
    while c.recv(1 << 20):
        pass
threading.Thread(target=serve, daemon=True).start()
c = socket.socket()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.connect(("127.0.0.1", {TLP_PORT}))
c.sendall(b"x" * 14480)  # a first flight of 10 segments, for the RTT
time.sleep(0.3)
c.sendall(b"x" * 14480)  # the second: its last two segments are lost once
time.sleep(1.0)
c.close()
time.sleep(0.2)
"""
TLP_MODEL = """
name = "linux_tlp"
[network]
latency = 0.00002
[[fault]]
action = "drop"
from = "client"
data = true
retransmission = false
nth = 19
count = 2
[endpoint.client]
script = ["connect server", "send 14480", "wait 0.3", "send 14480", "wait 1", "close"]
[endpoint.server]
script = ["listen", "wait_for_eof", "close"]
"""


def read_pcap_times(path: Path) -> list[float]:
    """The time of each IPv4 frame of a pcap, in the order read_pcap gives them."""
    data = path.read_bytes()
    out, pos = [], 24
    while pos + 16 <= len(data):
        sec, usec, incl = struct.unpack("<III", data[pos : pos + 12])
        frame = data[pos + 16 : pos + 16 + incl]
        pos += 16 + incl
        if frame[12:14] == b"\x08\x00":
            out.append(sec + usec / 1e6)
    return out


def probe_delay(rows: list[tuple[float, str, int, int]]) -> float:
    """(time, direction, seq end or ack, length) rows: seconds from the last ACK to the first data segment
    sent again (the probe)."""
    highest, last_ack = 0, 0.0
    for t, way, n, length in rows:
        if way == "ack":
            last_ack = t
        elif length and n <= highest:
            return t - last_ack
        else:
            highest = max(highest, n)
    raise AssertionError("no segment was sent again")


def test_the_tail_loss_probe_goes_when_linux_sends_it(tmp_path):
    # RFC 8985 7.2-7.3: the last two segments of a flight lost, the ACKs of the rest in: after PTO = 2 x SRTT
    # + 2 ms, counted in jiffies (CONFIG_HZ=250), the last segment goes again; its SACK then has RACK resend
    # the other at once
    namespace_or_skip(["tcpdump", "iptables", "ethtool"], "capture Linux's tail loss probe")
    pcap = tmp_path / "tlp.pcap"
    with Namespace() as ns:
        ns.run(["ip", "link", "set", "lo", "up", "mtu", "1500"])  # segments of an Ethernet MSS
        ns.run(["ethtool", "-K", "lo", "tso", "off", "gso", "off", "gro", "off"])
        for _ in range(2):  # the 19th and 20th full-sized data segments, once
            ns.run(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", str(TLP_PORT), "-m", "length", "--length",
                    "1400:65535", "-m", "statistic", "--mode", "nth", "--every", "1000000", "--packet", "18",
                    "-j", "DROP"])  # fmt: skip
        with tcpdump(ns.command([]), pcap, f"tcp port {TLP_PORT}", 128, interface="lo"):
            subprocess.run(ns.command([sys.executable, "-c", TLP_PROGRAM]), check=True, timeout=30)
    rows = []
    for t, (sport, _dport, _flags, seq, ack, length) in zip(read_pcap_times(pcap), read_pcap(pcap), strict=True):
        if sport != TLP_PORT and length:
            rows.append((t, "data", seq + length, length))
        elif sport == TLP_PORT:
            rows.append((t, "ack", ack, 0))
    kernel = probe_delay(rows)
    trace = parse(TLP_MODEL).run()
    model_rows = []
    for e in trace:
        seg = e.segment
        if seg is None:
            continue
        if e.kind == EventKind.SEND and e.endpoint == "client" and seg.payload:
            model_rows.append((e.time, "data", int(seg.end), len(seg.payload)))
        elif e.kind == EventKind.DELIVER and e.endpoint == "client" and seg.flags & 16:
            model_rows.append((e.time, "ack", int(seg.ack), 0))
    model = probe_delay(model_rows)
    print(f"\ntail loss probe after the last ACK: kernel {kernel * 1000:.1f} ms, model {model * 1000:.1f} ms")
    assert 0.002 < kernel <= 0.012  # 2 ms + 2 x SRTT in whole 4 ms jiffies, on a tick: 4 to 8 ms (some slack)
    assert model == pytest.approx(0.008, abs=0.0005)  # the model takes the later tick
