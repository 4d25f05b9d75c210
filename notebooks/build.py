"""Write the course notebooks from this one file: ``python notebooks/build.py``.

Each lesson is written twice: ``notebooks/NN_name.ipynb`` for students (answers
left as ``None``) and ``notebooks/instructor/NN_name.ipynb`` with the solutions
filled in and every check asserted, so running the instructor copy proves the
solutions right.  Answers about segments are the model's own, computed here
when the notebooks are written; ``tests/test_notebooks.py`` fails if the
committed notebooks differ from what this file writes (outputs are never stored).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from simulator.present import notebook as nb  # noqa: E402


@dataclass(frozen=True)
class Md:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Segment:
    """A question about the n-th segment sent in a trace: its flags, seq, ack or the sender's state after."""

    trace: str  # the variable in the notebook
    run: tuple[str, dict[str, object]]  # how the builder makes the same trace: scenario, knobs
    n: int
    what: str
    relative: bool = True


@dataclass(frozen=True)
class Value:
    """A question whose answer the notebook computes (``expected`` is Python evaluated in the notebook)."""

    question: str
    expected: str
    solution: str
    why: str = ""


def _answer_of(q: Segment) -> str:
    trace = nb.run(q.run[0], **q.run[1])
    asked = [x for x in nb.next_segment_questions(trace, relative=q.relative) if x.what == q.what]
    return asked[q.n - 1].answer


def _cells(lesson: list[object], instructor: bool) -> list[nbformat.NotebookNode]:
    out = []
    for index, cell in enumerate(lesson):
        if isinstance(cell, Md):
            out.append(nbformat.v4.new_markdown_cell(cell.text.strip()))
        elif isinstance(cell, Code):
            out.append(nbformat.v4.new_code_cell(cell.text.strip()))
        elif isinstance(cell, Segment):
            answer = repr(_answer_of(cell)) if instructor else "None"
            rel = "" if cell.relative else ", relative=False"
            # the model's reason would give away a later question about the same segment: it waits
            later = any(
                isinstance(c, Segment) and (c.trace, c.n) == (cell.trace, cell.n) for c in lesson[index + 1 :]
            )
            rel += ", why=False" if later else ""
            check = f"check_segment({cell.trace}, {cell.n}, {cell.what!r}, answer{rel})"
            out.append(
                nbformat.v4.new_code_cell(
                    f"answer = {answer}  # segment {cell.n}: {cell.what}\n"
                    + ("assert " if instructor else "ok = ")
                    + check
                )
            )
        elif isinstance(cell, Value):
            answer = cell.solution if instructor else "None"
            why = f", why={cell.why!r}" if cell.why else ""
            check = f"check({cell.question!r}, answer, {cell.expected}{why})"
            out.append(
                nbformat.v4.new_code_cell(f"answer = {answer}\n" + ("assert " if instructor else "ok = ") + check)
            )
    return out


SETUP = Code(
    """
%matplotlib inline
from simulator.present import notebook as nb
from simulator.present.notebook import Stepper, check, check_segment
from simulator.present.textladder import render
from simulator.present.plot import states, timeseq
"""
)

HOW = Md(
    """
*How the questions work:* replace `None` with your answer and run the cell. Numbers are
**relative** (counted from each side's ISN, as Wireshark shows them) unless the question says
absolute. Flags can be written `SA` or `SYN,ACK`; states as `SYN-SENT` or `syn_sent`.
Segments are numbered in the order they are sent (`nb.segments(trace)` lists them, once you
have answered).
"""
)

L1 = [
    Md(
        """
# Lesson 1: The three-way handshake

*15 to 20 minutes.* Before two programs can exchange a byte over TCP, their two TCPs must agree
on where each one's byte numbering starts. Each side picks an **initial sequence number (ISN)**
and must learn the other's. That takes a SYN from each side and an ACK of each SYN: four
messages, but the middle two ride in one segment, the **SYN,ACK**. Hence three.

You will see: the three segments, why `ack = ISN + 1`, the states each side passes through,
and what happens when both sides open at once.
"""
    ),
    SETUP,
    HOW,
    Md("## The handshake, step by step\n\nThe client's ISN is 1000 and the server's 5000 in this scenario."),
    Code('trace = nb.run("three_way_handshake")\nprint(render(trace, explain=False))'),
    Md("**Q1.** What flags does the second segment carry?"),
    Segment("trace", ("three_way_handshake", {}), 2, "flags"),
    Md(
        """
**Q2.** The client's SYN has seq=1000. What **absolute** acknowledgement number does the
server's SYN,ACK carry? (Hint: a SYN occupies one sequence number, as if it were one byte.)
"""
    ),
    Segment("trace", ("three_way_handshake", {}), 2, "ack", relative=False),
    Md("**Q3.** And the client's final ACK: what is its relative sequence number?"),
    Segment("trace", ("three_way_handshake", {}), 3, "seq"),
    Md(
        """
The ladder diagram: time runs down, each endpoint is a vertical line, each segment an arrow
from sender to receiver. The states are written beside the lines.
"""
    ),
    Code("nb.ladder(trace)"),
    Md(
        """
**Q4.** In which state is the server right after it sends its SYN,ACK? (It has seen a SYN
but not yet the ACK of its own.)
"""
    ),
    Segment("trace", ("three_way_handshake", {}), 2, "state"),
    Md(
        """
## Change the ISN

ISNs are chosen by each side (RFC 9293 section 3.4.1: unpredictably, so that an attacker
cannot guess them). Change the client's ISN and run again.
"""
    ),
    Code('trace2 = nb.run("three_way_handshake", isn_client=4_000_000_000)\nprint(render(trace2, explain=False))'),
    Md("**Q5.** With the client's ISN at 4000000000, what absolute ack does the SYN,ACK carry?"),
    Segment("trace2", ("three_way_handshake", {"isn_client": 4_000_000_000}), 2, "ack", relative=False),
    Md(
        """
## Step through it

Use the buttons or the slider to go one step at a time: the ladder so far, both endpoints'
variables (SND.UNA, SND.NXT, RCV.NXT ... relative to the ISNs) and the reason for each step.
The knobs re-run the scenario: try a loss of 0.3 and a few seeds. (In a static copy of this
notebook you see the last step as a picture.)
"""
    ),
    Code('Stepper("three_way_handshake")'),
    Md(
        """
## Simultaneous open

If both sides send a SYN at the same moment, neither is "the server". Each receives a SYN
while in SYN-SENT and answers with a SYN,ACK; each SYN,ACK completes the open on the side it
reaches. Its SYN repeats one that side has already acknowledged, so, as Linux does, each side
acknowledges it at once: **six** segments in all.
"""
    ),
    Code('both = nb.run("simultaneous_open")\nprint(render(both, explain=False))\nnb.ladder(both)'),
    Md(
        """
**Q6.** Segment 3 is the first SYN,ACK: one side answers the SYN it received while in
SYN-SENT. In which state is that side once the SYN,ACK is sent?
"""
    ),
    Segment("both", ("simultaneous_open", {}), 3, "state"),
    Md("**Q7.** How many segments does the simultaneous open take in all?"),
    Value(
        "segments in the simultaneous open",
        "len(both.segments_sent())",
        "6",
        "two SYNs, two SYN,ACKs, and an ACK of each SYN,ACK, whose SYN was already acknowledged",
    ),
    Md(
        """
The RFC 9293 state diagram with both endpoints' paths through it (numbers give the order):
"""
    ),
    Code("states(both)"),
    Md(
        """
## What to take away
- Each side picks an ISN; the SYN occupies one sequence number, so the ACK of a SYN is ISN + 1.
- The handshake is three segments because the server's SYN and its ACK of the client's SYN share one.
- Client: CLOSED, SYN-SENT, ESTABLISHED. Server: LISTEN, SYN-RECEIVED, ESTABLISHED.
"""
    ),
]

L2 = [
    Md(
        """
# Lesson 2: Sequence and acknowledgement numbers

*20 minutes.* TCP numbers **bytes**, not segments. A segment's `seq` is the number of its first
byte; an ACK names the **next byte expected**, and so acknowledges every byte before it
(a *cumulative* ACK). The largest segment is the **MSS** each side announces in its SYN.
"""
    ),
    SETUP,
    HOW,
    Md("The client sends 3000 bytes with an MSS of 1000, then the server answers with 2000."),
    Code('trace = nb.run("data_transfer")\nnb.segments(trace)'),
    Md("**Q1.** The second data segment (segment 5): what is its relative seq?"),
    Segment("trace", ("data_transfer", {}), 5, "seq"),
    Md(
        """
**Q2.** The server's first ACK after the data arrives (segment 7): what does it acknowledge?
It has received the first 1000 bytes (numbers 1 to 1000).
"""
    ),
    Segment("trace", ("data_transfer", {}), 7, "ack"),
    Code("nb.ladder(trace)"),
    Md(
        """
## Change the MSS

With a smaller MSS, the same 3000 bytes need more segments. Run it with `mss=500`.
"""
    ),
    Code('small = nb.run("data_transfer", mss=500)\nnb.ladder(small)'),
    Md("**Q3.** How many segments carrying data does the client send with an MSS of 500?"),
    Value(
        "client data segments with MSS 500",
        'sum(1 for e in small.segments_sent() if e.endpoint == "client" and e.segment.payload)',
        "6",
        "a segment carries at most MSS bytes of data",
    ),
    Md(
        """
## Relative and absolute numbers

On the wire the numbers are absolute, 32-bit. Wireshark (and tcpsim with `relative=True`)
subtracts the ISN so the first byte is 1. Compare the two ladders.
"""
    ),
    Code("print(render(trace, relative=False, explain=False)[:1500])"),
    Md("**Q4.** The client's ISN is 1000. What is the **absolute** seq of segment 6 (relative 2001)?"),
    Segment("trace", ("data_transfer", {}), 6, "seq", relative=False),
    Md(
        """
## Wraparound

Sequence numbers are 32 bits and wrap from 4294967295 to 0. In this scenario the client's ISN
is 500 below the top, so its data crosses zero. Comparisons use serial arithmetic
(RFC 1982): `a < b` means *b is ahead of a by less than 2^31*.
"""
    ),
    Code('wrap = nb.run("sequence_wraparound")\nnb.segments(wrap, relative=False)'),
    Code("from simulator import SeqNum\nprint(SeqNum(4294967000) < SeqNum(100))  # 100 is 396 bytes further on"),
    Md("**Q5.** What absolute seq does the client's second data segment (segment 5) carry?"),
    Segment("wrap", ("sequence_wraparound", {}), 5, "seq", relative=False),
    Md(
        """
## What if: a segment of your own

Pause a run and hand an endpoint a segment you make up (any flags, seq, ack, window); the run
goes on with it and the model says what it does. Here, just after the handshake, the server
gets an ACK for 5000 bytes it never sent (numbers are relative, as in the stepper). In the
stepper's panel the same is the *what if* row: set the fields and press *hand it over*, or
*drop the next segment* to see how the sender repairs a loss.
"""
    ),
    Code(
        """
what = Stepper("three_way_handshake")
what.step = what.steps  # pause after the handshake
print(what.inject("A", 1, 5000))  # flags, seq, ack: an ACK of bytes the server never sent
"""
    ),
    Code(
        """
lossy = Stepper("data_transfer")
lossy.step = 12  # pause while the client sends its data
print(lossy.drop_next())
what
"""
    ),
    Md(
        """
## What to take away
- seq is the number of the segment's first byte; ack is the next byte expected.
- An ACK covers everything below it, so one ACK can acknowledge several segments.
- Relative numbers are a display convenience; the wire carries 32-bit numbers that wrap.
"""
    ),
]

L3 = [
    Md(
        """
# Lesson 3: Closing a connection

*20 to 25 minutes.* Each direction is closed separately, by a **FIN**. Like a SYN, a FIN
occupies one sequence number, so it is acknowledged with `ack = FIN's seq + 1`. The side that
closes first ends in **TIME-WAIT** for twice the maximum segment lifetime (2*MSL) before its
connection is gone. A **RST** instead ends a connection at once.
"""
    ),
    SETUP,
    HOW,
    Code('trace = nb.run("graceful_close")\nprint(render(trace, relative=True, explain=False))'),
    Md("**Q1.** After sending its FIN (segment 6), which state is the client in?"),
    Segment("trace", ("graceful_close", {}), 6, "state"),
    Md("**Q2.** The server's FIN,ACK (segment 7) acknowledges the client's FIN. What is its ack?"),
    Segment("trace", ("graceful_close", {}), 7, "ack"),
    Code("nb.ladder(trace)"),
    Md(
        """
## TIME-WAIT lasts 2*MSL

The client's last ACK might be lost; then the server sends its FIN again, and the client must
still be there to answer. And old duplicates of this connection must die out before the same
port pair is used again. MSL here is 2 s (the RFC's is 2 minutes, which would make diagrams
unreadable).
"""
    ),
    Code(
        """
changes = [e for e in trace.events if e.kind == "state" and e.endpoint == "client"]
for e in changes:
    print(f"{e.time:6.3f} s  {e.explanation.split('.')[0]}")
entered = next(e.time for e in changes if e.state_after["client"].value == "TIME-WAIT")
left = changes[-1].time  # its last change: TIME-WAIT -> CLOSED
"""
    ),
    Md("**Q3.** How many seconds does the client stay in TIME-WAIT?"),
    Value("seconds in TIME-WAIT", "round(left - entered, 3)", "4.0", "TIME-WAIT lasts twice the MSL"),
    Md(
        """
## Half-close

`shutdown(SHUT_WR)` sends a FIN but keeps receiving. The client sends its request and shuts
down; the server reads to end of stream and only then answers, into the half-open connection.
"""
    ),
    Code('half = nb.run("half_close")\nnb.ladder(half)'),
    Md("**Q4.** In which state is the client while the server's 2000 bytes arrive?"),
    Value(
        "client's state while data still arrives",
        'next(e.state_after["client"] for e in half.events if e.kind == "deliver" and e.endpoint == "client" '
        "and e.segment.payload).value",
        '"FIN-WAIT-2"',
    ),
    Md("## Simultaneous close\n\nBoth FINs cross: each side goes through CLOSING, and both end in TIME-WAIT."),
    Code('both = nb.run("simultaneous_close")\nnb.ladder(both)'),
    Md("**Q5.** The final states: how many of the two sides pass through TIME-WAIT?"),
    Value(
        "sides that pass through TIME-WAIT",
        'len({e.endpoint for e in both.events if e.kind == "state" and "TIME-WAIT" in e.explanation})',
        "2",
    ),
    Md(
        """
## RST: abort

`abort()` (or `close()` with SO_LINGER 0) sends a RST: no FIN, no TIME-WAIT, and data not yet
delivered is lost. The RST's seq must be exactly what the receiver expects, or a careful stack
ignores it (RFC 5961).
"""
    ),
    Code('rst = nb.run("rst_abort")\nprint(render(rst, relative=True, explain=False))'),
    Md("**Q6.** What flags does the client's last segment carry?"),
    Segment("rst", ("rst_abort", {}), 5, "flags"),
    Md(
        """
## What to take away
- A FIN closes one direction and takes one sequence number.
- The side that closes first waits in TIME-WAIT for 2*MSL.
- A RST ends the connection at once, with no TIME-WAIT.
"""
    ),
]

L4 = [
    Md(
        """
# Lesson 4: Loss and retransmission

*25 to 30 minutes.* IP may lose, duplicate or reorder segments. TCP keeps a copy of what it
sent until it is acknowledged, and a **retransmission timer** (RTO) resends the oldest
unacknowledged segment when no ACK comes in time. Each time the timer expires again, the RTO
**doubles** (exponential backoff, RFC 6298 section 5.5). Three duplicate ACKs trigger a
**fast retransmit** without waiting for the timer.
"""
    ),
    SETUP,
    HOW,
    Md("## A lost SYN\n\nThe initial RTO is 1 s (RFC 6298 section 2.1)."),
    Code('trace = nb.run("lost_syn")\nnb.ladder(trace)'),
    Md("**Q1.** When (in seconds) does the client send its SYN again?"),
    Value(
        "time of the second SYN",
        'round([e.time for e in trace.segments_sent() if e.endpoint == "client"][1], 3)',
        "1.0",
        "the initial RTO is 1 s",
    ),
    Md(
        """
## Exponential backoff

Here the network loses the first three SYNs. Write the scenario as a file, as an instructor
would (see `tcpsim show lost_syn` for the format).
"""
    ),
    Code(
        '''
from simulator.sim.scenario import parse
backoff = parse("""
name = "backoff"
profile = "simple"  # RFC 6298's doubling (Linux 6.5+ first resends a SYN four times 1 s apart)
[[fault]]
action = "drop"
from = "client"
flags = "S"
count = 3
[endpoint.client]
isn = 1000
script = ["connect server"]
[endpoint.server]
isn = 5000
script = ["listen"]
""").run()
syns = [e for e in backoff.segments_sent() if e.endpoint == "client" and e.segment.flags.names == "SYN"]
syn_times = [round(e.time, 3) for e in syns]
nb.ladder(backoff)
'''
    ),
    Md("**Q2.** At what time is the fourth SYN sent? (1 s, then 2 s, then 4 s between them.)"),
    Value(
        "time of the fourth SYN",
        "syn_times[3]",
        "7.0",
        "each time-out doubles the RTO, which starts at 1 s (RFC 6298 section 5.5)",
    ),
    Md("## A lost SYN,ACK\n\nNow both sides have a timer running: the client for its SYN, the server for its SYN,ACK."),
    Code('synack = nb.run("lost_syn_ack")\nnb.ladder(synack)'),
    Md("**Q3.** What does the client send at 1.0 s?"),
    Segment("synack", ("lost_syn_ack", {}), 3, "flags"),
    Md("## Lost data: the timer"),
    Code('data = nb.run("lost_data_retransmit")\nnb.segments(data)\ntimeseq(data)'),
    Md("**Q4.** The third data segment is lost. What does the server's ACK after segment 5 acknowledge?"),
    Segment("data", ("lost_data_retransmit", {}), 7, "ack"),
    Md(
        """
## Duplicate ACKs and fast retransmit

A receiver that gets a segment beyond a gap acknowledges the gap's start again: a
**duplicate ACK**. Three of them tell the sender a segment is missing, and it resends at once.
"""
    ),
    Code(
        "from simulator.capture.analysis import classify  # Wireshark-style labels for every segment\n"
        'fast = nb.run("fast_retransmit")\nnb.segments(fast)\nnb.ladder(fast)'
    ),
    Md("**Q5.** How many duplicate ACKs does the server send before the fast retransmission?"),
    Value(
        "duplicate ACKs",
        'sum(1 for e, labels in classify(fast) if e.endpoint == "server" and "duplicate ACK" in labels)',
        "3",
    ),
    Md("## Reordering\n\nA segment that arrives early is kept (queued) and acknowledged when the gap fills."),
    Code('reorder = nb.run("reordered_segments")\nnb.ladder(reorder)'),
    Md(
        """
## Try it

Random loss with a seed: every seed is a different, reproducible run. Turn the `loss` knob and
the seed in the stepper and watch the timers.
"""
    ),
    Code('Stepper(nb.scenario("data_transfer", loss=0.2, seed=7))'),
    Md(
        """
## What to take away
- The RTO starts at 1 s and doubles on every expiry of the same segment.
- Retransmissions reuse the original sequence numbers.
- Three duplicate ACKs trigger a fast retransmission, before the timer.
"""
    ),
]

L5 = [
    Md(
        """
# Lesson 5: Flow control

*20 minutes.* The receiver advertises a **window**: how many more bytes it can buffer. The
sender may have at most that many unacknowledged bytes in flight. When the application stops
reading, the window closes to **zero**; the sender stops and sends **persist probes** now and
then until the window opens again (RFC 9293 section 3.8.6.1).
"""
    ),
    SETUP,
    HOW,
    Code('zero = nb.run("zero_window")\nnb.segments(zero)'),
    Code("nb.ladder(zero)"),
    Md("**Q1.** The server's buffer is 2000 bytes. What window does its ACK of the first 2000 bytes advertise?"),
    Value(
        "advertised window once 2000 bytes are in",
        'next(e.segment.window for e in zero.segments_sent() if e.endpoint == "server" '
        "and zero.events and e.segment.ack.since(1000) == 2001)",
        "0",
    ),
    Md("**Q2.** How many bytes does a persist probe carry in the model (RFC 9293's suggestion)?"),
    Value(
        "bytes in a zero-window probe",
        'next(len(e.segment.payload) for e in zero.segments_sent() if e.key == "zero_window_probe")',
        "1",
        "Linux sends none (seq = SND.UNA - 1): see lesson 6",
    ),
    Code("timeseq(zero)"),
    Md(
        """
## Window scaling

The window field is 16 bits: at most 65535 bytes. For larger buffers both sides offer a
**window scale** shift in their SYN (RFC 7323); the field then carries `window >> shift`.
"""
    ),
    Code(
        '''
from simulator.sim.scenario import parse
scaled = parse("""
name = "scaled"
profile = "simple"  # the window is the buffer (Linux also rounds it to whole segments)
[endpoint.client]
isn = 1000
script = ["connect server", "send 3000", "close"]
window = 200000
window_scale = 3
[endpoint.server]
isn = 5000
script = ["listen", "wait_for_eof", "close"]
window = 200000
window_scale = 3
""").run()
print(render(scaled, relative=True, explain=False)[:1200])
'''
    ),
    Md("**Q3.** With a 200000-byte buffer and shift 3, what number is in the window field of the server's ACKs?"),
    Value(
        "window field with shift 3",
        'next(e.segment.window for e in scaled.segments_sent() if e.endpoint == "server" and not e.segment.flags & 2)',
        "25000",
        "the field carries the window shifted right by the scale (the SYN itself is never scaled)",
    ),
    Md("Try the stepper with a small server window (the `server window` knob) and a larger transfer:"),
    Code('Stepper(nb.scenario("data_transfer", window=1500))'),
    Md(
        """
## What to take away
- The window is what the receiver can still buffer; the sender respects it.
- A zero window stops the sender; persist probes find out when it opens.
- Window scaling multiplies the 16-bit field by 2^shift, agreed in the SYNs.
"""
    ),
]

L6 = [
    Md(
        """
# Lesson 6: Simulation against reality

*25 minutes.* Does a real TCP behave like the model? This lesson takes a capture of a real
Linux conversation, checks every packet against the model, compares it with a simulated run,
and writes the model's explanations into a capture you can open in Wireshark.

If this notebook runs as root with `tcpdump`, `ip` and `ethtool` installed, it captures a fresh
conversation in a private network namespace; otherwise it uses a capture recorded from Linux that ships with
tcpsim (`simulator/present/samples/linux-loopback.pcap`, also at `tests/data/` in a clone).
"""
    ),
    SETUP,
    HOW,
    Code(
        """
import atexit, shutil, sys, tempfile
from pathlib import Path
from simulator.live.namespace import missing
workdir = Path(tempfile.mkdtemp(prefix="tcpsim-lesson6-"))  # the files this lesson writes
atexit.register(shutil.rmtree, workdir, ignore_errors=True)  # (removed when the notebook's kernel stops)
pcap = nb.recorded_capture()
why_not = missing(["ip", "tcpdump", "ethtool"], what="a live capture")
if why_not is None:
    from simulator.live.record import record
    program = (
        "import socket, threading\\n"
        "srv = socket.create_server(('127.0.0.1', 8080))\\n"
        "def serve():\\n"
        "    c, _ = srv.accept(); c.recv(100); c.sendall(b'x' * 3000); c.close()\\n"
        "t = threading.Thread(target=serve); t.start()\\n"
        "s = socket.create_connection(('127.0.0.1', 8080)); s.sendall(b'hello')\\n"
        "while s.recv(65536): pass\\n"
        "s.close(); t.join()\\n"
    )
    pcap = record([sys.executable, "-c", program], workdir / "lesson6.pcap", mtu=1500, offloads=False).pcap
    print("captured live:", pcap)
else:
    print(f"{why_not}; using the capture recorded from Linux:", pcap)
"""
    ),
    Md("## Read the capture\n\n`read` groups the packets into connections; numbers are relative to each ISN."),
    Code(
        """
from simulator.capture.connections import read
capture = read(pcap)
conn = capture.connections[0]
print(len(capture.connections), "connection(s);", len(conn.packets), "packets in the first")
for p in conn.packets:
    s = p.segment
    print(f"{'->' if (s.src_addr, s.src_port) == conn.a else '<-'} {s.flags.names:8} "
          f"seq={conn.relative_seq(s)} ack={conn.relative_ack(s)} len={p.length}")
"""
    ),
    Md(
        """
## Check every packet against the model

Two *observer* endpoints replay the packets: each packet is something its sender sent and its
receiver received. Every packet gets a label in Wireshark's words and the model's reason; a
packet the model cannot explain is a **departure**.
"""
    ),
    Code(
        """
from simulator.capture.checker import check as check_connection, render as render_report
report = check_connection(conn)
lines = render_report(report, brief=True)
print("\\n".join(line for line in lines[1:] if "verdict" not in line))  # its verdicts wait for Q1 and Q2
"""
    ),
    Md("**Q1.** Does this connection conform to the model? (True or False)"),
    Value("conforms", "report.conforms", "True"),
    Md("**Q2.** Its summary in Zeek's connection-state vocabulary (SF means: set up and finished normally)?"),
    Value("Zeek state", "report.zeek_state", '"SF"'),
    Md("The checker's whole report, with its verdict:"),
    Code('print("\\n".join(render_report(report, brief=True)))'),
    Md(
        """
## Replay it in the model and compare

`scenario_from` writes a scenario that replays what the two *applications* did (connect, send,
close ...); the model then decides every segment itself. Lined up side by side, the rows that
differ show where Linux chose differently from the model.
"""
    ),
    Code(
        """
from simulator.capture.scenario_from import scenario_from
from simulator.sim.scenario import parse
from simulator.capture.compare import compare, render as render_rows
text = scenario_from(conn, name="replay", source=str(pcap))
print(text)
replayed = parse(text).run()
rows = compare(conn, replayed)
print("\\n".join(line for line in render_rows(rows) if "rows agree" not in line))  # the count is Q3
"""
    ),
    Code("from simulator.present.plot.comparison import figure\nfigure(rows, left='Linux', right='model')"),
    Md("**Q3.** How many rows agree? (Count them in the table, then check.)"),
    Value("rows that agree", "sum(row.same for row in rows)", "sum(row.same for row in rows)"),
    Md(
        """
## Read it in Wireshark

`export` writes a simulated run as a capture at one host; in pcapng every packet carries the
model's explanation as a comment (in Wireshark: *Packet comments*, or the column
`frame.comment`). Open `lesson6-model.pcapng` (the cell prints where it is, in a temporary
folder) in Wireshark next to the real capture.
"""
    ),
    Code(
        """
from simulator.capture.export import export
model_pcap = workdir / "lesson6-model.pcapng"
count = export(replayed, model_pcap, at="client")
print(count, "packets written to", model_pcap)
if shutil.which("tshark"):
    import subprocess
    print(subprocess.run(["tshark", "-r", str(model_pcap), "-T", "fields", "-e", "frame.number",
                          "-e", "tcp.flags.str", "-e", "frame.comment"], capture_output=True, text=True).stdout[:1500])
"""
    ),
    Md(
        """
## What to take away
- A real capture can be replayed through the model packet by packet; where it departs, the
  checker names the rule.
- Linux makes some choices the RFC leaves open (delayed ACKs, its zero-window probe, the
  pace of SYN retries): a comparison shows them as differing rows, not as errors.
- From the command line: `tcpsim check`, `tcpsim compare`, `tcpsim scenario-from`, and as
  root `tcpsim capture -- COMMAND` and `tcpsim live SCENARIO`.
"""
    ),
]


def _exercise(seed: int) -> tuple[str, dict[str, object]]:
    """A generated exercise: a built-in scenario picked by the seed, with random loss."""
    names = ["three_way_handshake", "data_transfer", "graceful_close", "half_close", "lost_syn_ack"]
    return names[seed % len(names)], {"seed": seed, "loss": 0.15}


L7_SEEDS = (3, 11)
L7 = [
    Md(
        """
# Lesson 7: Exercises

*20 to 30 minutes.* Generated scenarios: a built-in conversation with 15% random loss, chosen
by a seed. For each, predict the **flags**, the relative **seq** and **ack** of a segment and
the **state** its sender is in once it is sent, *before* you look at the ladder. Then check.
Change the seed to get a new exercise (the instructor copy has the answers for the seeds
below).
"""
    ),
    SETUP,
    HOW,
]
for number, seed in enumerate(L7_SEEDS, 1):
    name, knobs = _exercise(seed)
    var = f"ex{number}"
    L7 += [
        Md(f"## Exercise {number}: `{name}` with seed {seed}, loss 0.15"),
        Code(
            f'{var} = nb.run("{name}", seed={seed}, loss=0.15)\n'
            f"print({var}.title)\n"
            f"print('segments sent:', len({var}.segments_sent()))"
        ),
        Md("The first two segments, to get you started:"),
        Code(f"nb.segments({var}, first=2)"),
    ]
    for n in (3, 5):
        L7 += [Md(f"**Segment {n}.** Flags, seq, ack and the sender's state after it:")]
        L7 += [Segment(var, (name, knobs), n, what) for what in ("flags", "seq", "ack", "state")]
    L7 += [Md("Now look at the whole run and check your reasoning:"), Code(f"nb.ladder({var})")]
L7 += [
    Md(
        """
## More practice

`tcpsim demo --quiz` asks the same four questions before every segment of any scenario, in
the terminal. The stepper is here too:
"""
    ),
    Code('Stepper(nb.scenario("graceful_close", loss=0.15, seed=5))'),
]

L8 = [
    Md(
        """
# Lesson 8: Congestion control

*25 minutes.* The receiver's window says how much *it* can take. But the network between the
two hosts has limits too: a link of some rate, and a router queue in front of it. A sender
that pours a whole window into the network overflows that queue, and every dropped segment has
to be sent again. So the sender keeps a second window of its own, the **congestion window**
(`cwnd`), and never has more than `min(cwnd, receiver's window)` bytes in flight (RFC 5681).

You will see: the initial window, **slow start** (cwnd doubles each round trip), **congestion
avoidance** (one MSS per round trip), **fast retransmit and fast recovery** after three
duplicate ACKs, the **timeout** that sends cwnd back to one segment, and the sawtooth a real
bottleneck makes. The earlier lessons used the `rfc` profile (`congestion = "none"`) or sent
too little for cwnd to matter; the scenarios here name `congestion = "reno"`.
"""
    ),
    SETUP,
    Code("from simulator.model.profiles import PROFILES\nfrom simulator.present.plot import cwnd"),
    HOW,
    Md(
        """
## Slow start

The client has 60 000 bytes to send; the server's window would take 65 535 at once. Watch how
many segments go out before the first ACK comes back, and how each ACK lets **two** new ones out.
"""
    ),
    Code('slow = nb.run("slow_start")\nnb.segments(slow, first=40)'),
    Code("cwnd(slow)"),
    Md("**Q1.** What is the client's cwnd right after the handshake, in bytes (its MSS is 1000)?"),
    Value(
        "the initial window in bytes",
        'next(e.view("client").cwnd for e in slow if e.kind == "cwnd" and e.endpoint == "client")',
        "10000",
        "RFC 6928's initial window: 10 segments (RFC 5681 alone allows 2 to 4)",
    ),
    Md("**Q2.** In slow start, by how many bytes does cwnd grow when an ACK acknowledges one full segment?"),
    Value(
        "cwnd growth per ACK of one segment in slow start",
        'next(e.view("client").cwnd for e in slow if e.key == "slow_start") - 10000',
        "1000",
        "one MSS per MSS acknowledged: cwnd doubles every round trip (RFC 5681 section 3.1)",
    ),
    Md(
        """
## Fast retransmit and fast recovery

Two segments of one window are lost. Three duplicate ACKs tell the client about the first;
it resends it at once and halves its window. Read the `cwnd` events (a run with `--verbose`
shows them too), then look at the shaded recovery in both diagrams.
"""
    ),
    Code(
        'fast = nb.run("fast_recovery")\n'
        "for e in fast:\n"
        '    if e.kind == "cwnd" and e.key not in ("fast_recovery_inflate", "slow_start"):\n'
        '        print(f"{e.time:.3f}", e.explanation)'
    ),
    Code("cwnd(fast)"),
    Code("timeseq(fast)"),
    Md("**Q3.** What ssthresh does the client set at the third duplicate ACK?"),
    Value(
        "ssthresh after the third duplicate ACK",
        'next(e.view("client").ssthresh for e in fast if e.key == "fast_recovery")',
        "12000",
        "max(FlightSize / 2, 2 MSS): 24000 bytes were in flight (RFC 5681 section 3.2)",
    ),
    Md(
        """
**Q4.** The ACK of the resent segment covers only part of what was in flight: a *partial ACK*.
Which key does the model give the segment the client resends at once in answer (`e.key` of its
second retransmission)?
"""
    ),
    Value(
        "the key of the resend after a partial ACK",
        "[e.key for e in fast.segments_sent() if e.retransmission][1]",
        '"partial_ack_retransmit"',
        "NewReno (RFC 6582): each partial ACK shows the next hole, resent without a second reduction",
    ),
    Md(
        """
## A timeout

Now a whole flight is lost: no segment after it arrives, so no duplicate ACK comes back. Only
the retransmission timer can tell the client.
"""
    ),
    Code('collapse = nb.run("timeout_collapse")\ncwnd(collapse)'),
    Md("**Q5.** What is cwnd right after the timeout, in bytes?"),
    Value(
        "cwnd after a retransmission timeout",
        'next(e.view("client").cwnd for e in collapse if e.key == "timeout")',
        "1000",
        "the loss window is one segment; ssthresh becomes half the flight (RFC 5681 section 3.1)",
    ),
    Md(
        """
## A real bottleneck

No scripted losses now: a 1 Mbit/s link with a 10-packet queue drops what does not fit.
Additive increase, multiplicative decrease: the **sawtooth**. With two flows on the same link,
each one's losses make it give way, and the two windows move towards a share.
"""
    ),
    Code('cwnd(nb.run("bottleneck_sawtooth"))'),
    Code('cwnd(nb.run("two_flows_share"))'),
    Md("**Q6.** Which congestion control does the `linux` profile use (as Linux does by default)?"),
    Value(
        "the linux profile's congestion control",
        'str(PROFILES["linux"].config.congestion)',
        '"cubic"',
        "CUBIC (RFC 9438): after a loss cwnd x 0.7, then a cubic curve back to the old maximum",
    ),
    Md("Try it: the same transfer with no congestion control, with Reno and with CUBIC."),
    Code(
        """
from dataclasses import replace
from simulator.model.congestion import Algorithm
from simulator.sim.scenario import load

base = load("slow_start")
for algorithm in Algorithm:
    ends = tuple(replace(s, config=replace(s.config, congestion=algorithm)) for s in base.endpoints)
    sent = [e for e in nb.run(replace(base, endpoints=ends)).segments_sent() if e.segment.payload]
    first = sum(1 for e in sent if e.endpoint == "client" and e.time < sent[0].time + 0.05)
    print(f"{algorithm:>5}: {first} data segments in the first round trip, the last at {sent[-1].time:.2f} s")
"""
    ),
    Md(
        """
## What to take away
- The sender keeps at most `min(cwnd, window)` in flight; cwnd starts at 10 segments (IW10).
- Slow start doubles cwnd each round trip until ssthresh; congestion avoidance adds one MSS.
- Three duplicate ACKs: resend, ssthresh = half the flight, fast recovery (NewReno).
- A timeout: cwnd = one segment, slow start again: far costlier than fast recovery.
- On a shared bottleneck, AIMD makes the sawtooth and moves flows towards a fair share.
"""
    ),
]

LESSONS = {
    "01_three_way_handshake": L1,
    "02_sequence_numbers": L2,
    "03_closing": L3,
    "04_loss_and_retransmission": L4,
    "05_flow_control": L5,
    "06_simulation_vs_reality": L6,
    "07_exercises": L7,
    "08_congestion_control": L8,
}


def notebook(lesson: list[object], *, instructor: bool) -> nbformat.NotebookNode:
    book = nbformat.v4.new_notebook()
    book.cells = _cells(lesson, instructor)
    if instructor:
        book.cells.insert(
            0, nbformat.v4.new_markdown_cell("**Instructor copy**: the answers are filled in and checked.")
        )
    book.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    for i, cell in enumerate(book.cells):
        cell["id"] = f"cell-{i}"  # stable ids: the files do not change from one build to the next
    return book


def build(out: Path = HERE) -> list[Path]:
    written = []
    for name, lesson in LESSONS.items():
        for folder, instructor in ((out, False), (out / "instructor", True)):
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{name}.ipynb"
            path.write_text(nbformat.writes(notebook(lesson, instructor=instructor)) + "\n", encoding="utf-8")
            written.append(path)
    return written


if __name__ == "__main__":
    for path in build():
        print(path)
