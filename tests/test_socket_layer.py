"""The model's one socket layer (simulator/model/sockets.py) and the one interpreter of application steps.

The socket calls answer as Linux's do: a call returns now, or "would block", which a non-blocking
socket turns into EAGAIN.  The same script runs on the model's socket and on the real kernel's, and
the application sees the same things.
"""

from __future__ import annotations

import select
import socket
import time
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.live.kernel import KernelApp
from simulator.live.namespace import Namespace
from simulator.live.pytest_plugin import namespace_or_skip
from simulator.model.errors import ScenarioError
from simulator.model.profiles import profile
from simulator.model.segment import Flags, Segment
from simulator.model.seq import SeqNum
from simulator.model.sockets import RULES, ConnectionTable, SocketHost, closed_port_reply, would_block
from simulator.model.states import State
from simulator.sim.app import Action, Interpreter, Step
from simulator.sim.scenario import parse

HOST, PEER = "10.0.0.1", "10.0.0.2"
PORT, PEER_PORT = 8080, 40000


def syn(seq: int = 100, port: int = PEER_PORT) -> Segment:
    return Segment(port, PORT, SeqNum(seq), SeqNum(0), Flags.SYN, 65535, src_addr=PEER, dst_addr=HOST)


def ack_of(reply: Segment, seq: int = 101, port: int = PEER_PORT, payload: bytes = b"") -> Segment:
    return Segment(
        port, PORT, SeqNum(seq), reply.seq + 1, Flags.ACK, 65535, payload=payload, src_addr=PEER, dst_addr=HOST
    )


def server(profile_name: str = "linux", backlog: int = 5) -> tuple[SocketHost, object]:
    host = SocketHost(HOST, profile(profile_name).config, RULES[profile_name])
    listener = host.open(3, nonblocking=True, isn=1000)
    host.bind(listener, PORT)
    assert host.listen(listener, 0.0, backlog, lambda: 5000) == (0, None)
    return host, listener


def established(profile_name: str = "linux") -> tuple[SocketHost, object]:
    """A host with one accepted connection (descriptor 4) from the peer."""
    host, listener = server(profile_name)
    host.deliver(syn(), 0.0)
    (syn_ack,) = host.sent()
    host.deliver(ack_of(syn_ack), 0.1)
    assert host.accept(listener, 4) == (4, None)  # type: ignore[arg-type]
    return host, host.lookup(4)


def test_a_port_with_no_socket_answers_a_syn_with_a_reset():
    reply = closed_port_reply(syn())
    assert reply is not None and reply.flags == Flags.RST | Flags.ACK and reply.ack == SeqNum(101)


def test_a_reset_to_a_closed_port_is_never_answered():
    rst = Segment(PEER_PORT, PORT, SeqNum(1), SeqNum(0), Flags.RST, 0, src_addr=PEER, dst_addr=HOST)
    assert closed_port_reply(rst) is None
    assert ConnectionTable().demux(rst, 0.0, lambda ep: None) is None


def test_accept_on_a_listener_with_nothing_established_would_block():
    host, listener = server()
    got = host.accept(listener, 4)  # type: ignore[arg-type]
    assert got is None and would_block(listener, got) == (-1, "EAGAIN")  # type: ignore[arg-type]


def test_each_syn_gets_its_own_connection_and_the_listener_stays_listening():
    host, listener = server()
    host.deliver(syn(100, 40000), 0.0)
    host.deliver(syn(900, 40001), 0.0)
    assert listener.endpoint.state is State.LISTEN  # type: ignore[attr-defined]
    assert [ep.state for ep in listener.children] == [State.SYN_RECEIVED] * 2  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "taken"), [("linux", 3), ("freebsd", 4)])
def test_a_full_accept_queue_drops_the_next_syn_as_each_stack_counts_full(name, taken):
    host, listener = server(name, backlog=2)  # Linux: backlog + 1 wait; FreeBSD: 3/2 of it + 1
    for port in range(40000, 40008):
        host.deliver(syn(100, port), 0.0)
        for reply in host.sent():
            host.deliver(ack_of(reply, port=port), 0.0)
    assert len(listener.backlog) == taken  # type: ignore[attr-defined]


def test_recv_with_msg_peek_leaves_the_data_queued():
    host, sock = established()
    ep = sock.endpoint  # type: ignore[attr-defined]
    ep.on_segment(
        Segment(
            PEER_PORT,
            PORT,
            ep.rcv_nxt,
            ep.snd_nxt,
            Flags.ACK | Flags.PSH,
            65535,
            payload=b"hello",
            src_addr=PEER,
            dst_addr=HOST,
        ),
        0.2,
    )
    assert host.receive(sock, 100, "MSG_PEEK", 0.3) == ((5, None), b"")  # type: ignore[arg-type]
    assert host.receive(sock, 100, "", 0.3) == ((5, None), b"hello")  # type: ignore[arg-type]
    assert host.receive(sock, 100, "", 0.3) is None  # type: ignore[arg-type]


def test_shutdown_rd_makes_reads_return_end_of_stream():
    host, sock = established()
    assert host.shutdown(sock, "SHUT_RD", 0.2) == (0, None)  # type: ignore[arg-type]
    assert host.receive(sock, 100, "", 0.2) == ((0, None), b"")  # type: ignore[arg-type]


def test_linux_stores_twice_the_send_buffer_asked_and_freebsd_what_is_asked():
    for name, stored in (("linux", 8192), ("freebsd", 4096)):
        host, sock = established(name)
        host.set_sndbuf(sock, 4096)  # type: ignore[arg-type]
        assert sock.sndbuf == stored  # type: ignore[attr-defined]


def test_a_non_blocking_write_takes_what_fits_then_eagain():
    # Linux charges skbs (tcp_sendmsg_locked): a write into an empty queue starts one and fills it up to the
    # size goal (half the peer's largest window), past SO_SNDBUF; the rest needs a new skb, and the buffer
    # is full (sk_wmem_queued >= sk_sndbuf): the write ends there, and the next says EAGAIN
    host, sock = established()
    sock.nonblocking = True  # type: ignore[attr-defined]  (an accepted socket does not inherit O_NONBLOCK)
    host.set_sndbuf(sock, 2000)  # type: ignore[arg-type]  (Linux: 4000, less than the 4608 minimum)
    ep = sock.endpoint  # type: ignore[attr-defined]
    goal = ep.send_size_goal()
    assert goal > 4608 and host.send(sock, b"y" * 100_000, 0.2) == (goal, None)  # type: ignore[arg-type]
    room = goal - ep.unsent  # (what cwnd let go is an skb of its own: the unsent one has that much room again)
    assert room > 0 and host.send(sock, b"y" * 100_000, 0.2) == (room, None)  # type: ignore[arg-type]
    got = host.send(sock, b"y" * 10_000, 0.2)  # type: ignore[arg-type]
    assert got is None and would_block(sock, got) == (-1, "EAGAIN")  # type: ignore[arg-type]


def test_counted_in_bytes_a_non_blocking_write_takes_what_fits_then_eagain():
    host, sock = established()
    sock.endpoint.config = replace(sock.endpoint.config, skb_overhead=0)  # type: ignore[attr-defined]
    sock.nonblocking = True  # type: ignore[attr-defined]
    host.set_sndbuf(sock, 2000)  # type: ignore[arg-type]
    assert host.send(sock, b"y" * 10_000, 0.2) == (4608, None)  # type: ignore[arg-type]
    got = host.send(sock, b"y" * 10_000, 0.2)  # type: ignore[arg-type]
    assert got is None and would_block(sock, got) == (-1, "EAGAIN")  # type: ignore[arg-type]


def test_writing_after_shutdown_wr_is_epipe_and_reading_a_never_connected_socket_enotconn():
    host, sock = established()
    host.shutdown(sock, "SHUT_WR", 0.2)  # type: ignore[arg-type]
    assert host.send(sock, b"x", 0.2) == (-1, "EPIPE")  # type: ignore[arg-type]
    fresh = host.open(5, nonblocking=False, isn=7)
    assert host.receive(fresh, 10, "", 0.2) == ((-1, "ENOTCONN"), b"")


def test_so_linger_zero_makes_close_send_a_reset():
    host, sock = established()
    sock.linger = 0  # type: ignore[attr-defined]
    host.sent()
    host.close(sock, 0.2)  # type: ignore[arg-type]
    (rst,) = host.sent()
    assert rst.flags & Flags.RST


def test_tcp_info_is_built_from_the_endpoint():
    host, sock = established()
    info = host.tcp_info(sock.endpoint)  # type: ignore[attr-defined]
    assert info["tcpi_state"] == 1 and info["tcpi_snd_mss"] == sock.endpoint.snd_mss  # type: ignore[attr-defined]


def test_tcp_info_counts_the_congestion_window_in_packets_as_linux_does():
    # tcpi_snd_cwnd is tp->snd_cwnd, in packets: the linux profile's initial window of 10 segments reads 10
    host, sock = established()
    ep = sock.endpoint  # type: ignore[attr-defined]
    assert host.tcp_info(ep)["tcpi_snd_cwnd"] == ep.cc.cwnd // ep.cc.mss == 10
    ep.cc.mss = 0  # a sender with no congestion window (congestion = "none"): nothing to report
    assert "tcpi_snd_cwnd" not in host.tcp_info(ep)


# ------------------------------------------------------------------------------ one interpreter, two back ends
FILL_SCRIPT = """
seed = 1
[network]
loopback = true
[endpoint.client]
script = ['connect server', 'fill 1000', 'shutdown', 'wait_for_eof', 'close']
send_buffer = {sndbuf}
[endpoint.server]
script = ['listen', 'wait 1', {reads}, 'send "bye"', 'close']
window = 4096
auto_read = false
"""
READS = ", ".join(["'read', 'wait 0.01'"] * 20)  # a reader that wakes up: it reads what has come, 20 times
ECHO_SCRIPT = """
seed = 1
[network]
loopback = true
[endpoint.client]
script = ['connect server', 'send "hello"', 'wait_for_bytes 5', 'close']
[endpoint.server]
script = ['listen', 'wait_for_bytes 5', 'send "world"', 'wait_for_eof', 'close']
"""

RESET_SCRIPT = """
seed = 1
[network]
loopback = true
[endpoint.client]
script = ['connect server', 'send "hello"', 'wait_for_eof', 'close']
[endpoint.server]
script = ['listen', 'wait_for_bytes 5', 'abort']
"""


def test_a_fill_step_sends_without_blocking_until_the_send_buffer_is_full():
    net = parse(FILL_SCRIPT.format(sndbuf=8192, reads=READS)).build()
    net.run()
    seen = net.apps["client"].seen
    assert seen[0].startswith("sent ") and seen[0].endswith(", then EAGAIN")
    # the receiver's window (2896 of its 4096) and the send buffer's 8192, charged per skb (payload + 832)
    assert 4096 <= int(seen[0].split()[1].rstrip(",")) < 8192 + 2896
    assert bytes(net.apps["client"].read_data) == b"bye"


def test_a_fill_step_without_a_send_buffer_is_refused_when_the_scenario_is_read():
    with pytest.raises(ScenarioError, match="a fill step needs a send_buffer"):
        parse(FILL_SCRIPT.replace("send_buffer = {sndbuf}\n", "").format(reads=READS))


def run_on_the_kernel(toml: str) -> dict[str, Interpreter]:
    """The scenario's two scripts, each on a real socket on a private namespace's loopback."""
    scen = parse(toml)
    specs = {name: scen.endpoint(name) for name in ("client", "server")}
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    apps = {
        "server": KernelApp(
            list(specs["server"].script), ("127.0.0.1", port), ("127.0.0.1", 0), auto_read=True, rcvbuf=None
        ),
        "client": KernelApp(
            list(specs["client"].script),
            ("127.0.0.1", 0),
            ("127.0.0.1", port),
            auto_read=True,
            rcvbuf=None,
            sndbuf=specs["client"].config.send_buffer,
        ),
    }
    start = time.monotonic()
    try:
        while not all(app.done for app in apps.values()) and time.monotonic() - start < 10:
            for app in apps.values():
                app.step(time.monotonic() - start)
            readers = [s for app in apps.values() for s in app.sockets()]
            select.select(readers, [], [], 0.01)
    finally:
        for app in apps.values():
            app.close()
    return dict(apps)


def what_each_saw(apps) -> dict[str, tuple[bytes, list[str], bool]]:
    """Per application: the bytes it read, what else it saw (EOF, EAGAIN, the errno), and whether it stopped."""
    return {name: (bytes(app.read_data), app.seen, app.failure is not None) for name, app in sorted(apps.items())}


@pytest.mark.live
@pytest.mark.parametrize(
    ("toml", "client_saw"),
    [(ECHO_SCRIPT, (b"world", [], False)), (RESET_SCRIPT, (b"", ["error ECONNRESET"], True))],
    ids=["echo", "reset"],
)
def test_one_script_on_the_model_and_on_the_kernel_shows_the_application_the_same_things(toml, client_saw):
    namespace_or_skip([], "the kernel back end of the application interpreter")
    net = parse(toml).build()
    net.run()
    with Namespace() as ns, ns.entered():
        kernel = run_on_the_kernel(toml)
    assert what_each_saw(kernel) == what_each_saw(net.apps)
    assert what_each_saw(kernel)["client"] == client_saw


def test_the_interpreter_steps_are_the_scenario_actions():
    assert Step(Action.FILL, data=b"x" * 10).describe().startswith("send 10 bytes at a time")


@given(
    asked=st.integers(min_value=1, max_value=50_000),
    writes=st.lists(st.integers(min_value=1, max_value=20_000), min_size=1, max_size=12),
)
@settings(max_examples=40, deadline=None)
def test_the_send_buffer_never_holds_more_than_it_may_and_every_byte_taken_is_counted(asked, writes):
    host, sock = established()
    sock.nonblocking = True  # type: ignore[attr-defined]
    host.set_sndbuf(sock, asked)  # type: ignore[arg-type]
    taken = 0
    ep = sock.endpoint  # type: ignore[attr-defined]
    for n in writes:
        # Linux starts a new skb only while sk_wmem_queued < sk_sndbuf; without room in the unsent one, none
        full = ep.wmem_queued >= sock.sndbuf and not 0 < ep.unsent < ep.send_size_goal()  # type: ignore[attr-defined]
        got = would_block(sock, host.send(sock, b"y" * n, 0.2))  # type: ignore[arg-type]
        assert got is not None
        taken += got[0] if got[1] is None else 0
        assert got[1] in (None, "EAGAIN")
        assert not full or got == (-1, "EAGAIN")
    assert host.queued_out(sock) == taken  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ a scenario's sockets
def queue_scenario(profile_name: str, backlog: int, clients: int) -> str:
    """A server that accepts one connection and keeps listening, and clients that connect half a second apart."""
    text = (
        f'seed = 1\nprofile = "{profile_name}"\nuntil = {clients}\n[endpoint.server]\nisn = 5000\n'
        f"backlog = {backlog}\nscript = ['listen', 'wait_for_eof', 'close']\n"
    )
    for n in range(1, clients + 1):
        text += f"[endpoint.c{n}]\nstart = {(n - 1) * 0.5}\nscript = ['connect server']\n"
    return text


@pytest.mark.parametrize(("name", "backlog", "waiting"), [("linux", 1, 2), ("freebsd", 2, 4)])
def test_a_scenario_listener_queues_handshakes_nobody_accepts_up_to_its_backlog(name, backlog, waiting):
    # the first client is the program's (accept() returned it); the next ones complete their handshakes
    # in the kernel and wait in the accept queue; once it is full a SYN is dropped without an answer
    net = parse(queue_scenario(name, backlog, clients=waiting + 2)).build()
    trace = net.run(until=waiting + 2)
    final = trace.final_states()
    queued = [f"server#{n}" for n in range(2, waiting + 2)]
    assert [final[c] for c in queued] == [State.ESTABLISHED] * waiting
    assert final[f"c{waiting + 2}"] is State.SYN_SENT and f"server#{waiting + 2}" not in final
    host = net.apps["server"].backend.host
    (listener,) = [s for s in host.sockets.values() if s.listening]
    assert [ep.name for ep in listener.backlog] == queued  # established, not accepted
    assert sorted(net.apps) == sorted(["server", *[f"c{n}" for n in range(1, waiting + 3)]])
    dropped = [e for e in trace.events if "accept queue is full" in e.explanation]
    assert dropped and all(e.segment is not None and e.segment.flags == Flags.SYN for e in dropped)


def test_an_accept_many_server_accepts_each_client_from_its_listening_socket():
    from simulator.sim.scenario import load

    net = load("many_clients").build()
    net.run()
    server = net.apps["server"].backend.host
    (listener,) = [s for s in server.sockets.values() if s.listening]
    accepted = {name: net.apps[name].backend.sock for name in ("server", "server#2", "server#3")}
    for name, sock in accepted.items():
        assert server.sockets[sock.fd] is sock and sock.endpoint.name == name and not sock.listening
    assert listener.backlog == [] and len({s.fd for s in accepted.values()}) == 3
    assert [bytes(net.apps[n].read_data) for n in ("server", "server#2", "server#3")] == [b"hi #1", b"hi #2", b"hi #3"]


def test_a_server_that_crashes_forgets_its_connection_and_its_listening_socket_once():
    from simulator.sim.scenario import load

    net = load("half_open_data_reset").build()  # the server listens, accepts, then its host crashes
    trace = net.run()
    crashes = [e for e in trace.events if e.endpoint == "server" and e.kind == "app" and e.key == "crash"]
    assert len(crashes) == 1
    host = net.apps["server"].backend.host
    assert not host.table.listeners  # the port listens no more: the client's data is answered by RST


def test_a_connection_the_host_makes_for_a_listener_is_no_call_of_the_application():
    """many_clients: server#2 and server#3 are made by the host for the listening socket's SYNs; the trace
    shows their LISTEN as the host's doing, and only the server's own program calls listen()."""
    from simulator import load
    from simulator.model.keys import StateKey
    from simulator.sim.trace import EventKind

    trace = load("many_clients").run()
    listens = [e for e in trace.events if e.kind == EventKind.APP and "listen()" in e.explanation]
    assert [e.endpoint for e in listens] == ["server"]
    children = [e for e in trace.events if e.kind == EventKind.STATE and e.key == StateKey.LISTEN_CHILD]
    assert [e.endpoint for e in children] == ["server#2", "server#3"]


def test_tcpi_delivered_counts_each_segment_once_acknowledged_or_sacked_the_syn_too():
    # Linux's tp->delivered: the SYN (or SYN,ACK) counts one; a segment counts when SACKed or, if it
    # never was, when cumulatively acknowledged (tcp_count_delivered), never twice.
    from simulator import Endpoint

    from .conftest import Wire

    config = replace(profile("linux").config, mss=100, nagle=False)  # (quick ACKs: each segment ACKed at once)
    wire = Wire(Endpoint("client", "10.0.0.1", 40000, 1000, config), Endpoint("server", "10.0.0.2", 80, 5000, config))
    wire.handshake()
    assert (wire.client.delivered_packets, wire.server.delivered_packets) == (1, 1)
    wire.client.send(b"x" * 3 * wire.client.snd_mss, wire.now)
    first, second, third = wire.out(wire.client)
    (ack_first,) = wire.deliver(first, wire.server)
    (sack_third,) = wire.deliver(third, wire.server)  # the second is lost: the third is SACKed
    assert sack_third.options.sack_blocks
    wire.deliver(ack_first, wire.client)
    wire.deliver(sack_third, wire.client)
    assert wire.client.delivered_packets == 1 + 2
    (ack_all,) = wire.deliver(second, wire.server)
    wire.deliver(ack_all, wire.client)
    assert wire.client.delivered_packets == 1 + 3  # the third is not counted again
