"""TCP Fast Open's server side (RFC 7413), as Linux does it: one test per rule, driven by hand."""

import dataclasses

import pytest

from simulator import Flags, Segment, SeqNum, State
from simulator.model.fastopen import cookie, parse_key, server_answer
from simulator.model.profiles import profile
from simulator.model.segment import FastOpen, Options
from simulator.model.siphash import siphash24

from .conftest import make_pair

KEY = "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4"
SERVER_ON = {"fastopen": 2, "fastopen_queue": 5, "fastopen_key": KEY}


def _syn(wire, data: bytes = b"", option: FastOpen | None = None) -> Segment:
    c, s = wire.client, wire.server
    return Segment(
        c.port,
        s.port,
        SeqNum(1000),
        SeqNum(0),
        Flags.SYN,
        65535,
        Options(mss=1460, fastopen=option),
        data,
        c.addr,
        s.addr,
    )


def _valid(wire) -> bytes:
    return cookie(parse_key(KEY), wire.client.addr, wire.server.addr)


# ------------------------------------------------------------ SipHash-2-4
def test_siphash_gives_the_papers_test_vector():
    # "SipHash: a fast short-input PRF" (2012), appendix A: key 00..0f, message 00..0e
    assert siphash24(bytes(range(16)), bytes(range(15))) == bytes.fromhex("a129ca6149be45e5")[::-1]


def test_siphash_of_the_empty_message_matches_the_reference_vectors():
    # the reference implementation's vectors.h, first entry (message of length 0)
    assert siphash24(bytes(range(16)), b"").hex() == "310e0edd47db6f72"


def test_siphash_wants_a_16_byte_key():
    with pytest.raises(ValueError):
        siphash24(b"short", b"")


# ------------------------------------------------------------ the cookie
def test_cookie_is_siphash_of_client_then_server_address_under_the_sysctl_key():
    # the cookie packetdrill's own runner defines as TFO_COOKIE for its IPv4 addresses (defaults.sh's key)
    assert cookie(parse_key(KEY), "192.0.2.1", "192.168.0.1").hex() == "3021b9d889017eeb"
    # and the one Google's simple1.pkt expects for its addresses and key
    assert cookie(parse_key("a0bf63f7-ed803d81-cd641d30-cebc4a90"), "10.248.0.2", "192.168.0.2").hex() == (
        "00abaaabe8e954c2"
    )


def test_a_key_must_be_four_hex_words():
    with pytest.raises(ValueError):
        parse_key("a1a1a1a1-b2b2b2b2")


# ------------------------------------------------------------ the server
def test_a_valid_cookie_lets_the_syn_data_in_before_the_handshake_ends():
    wire = make_pair(server=SERVER_ON)
    wire.server.listen(0.0)
    (syn_ack,) = wire.deliver(_syn(wire, b"hello", FastOpen(_valid(wire))), wire.server)
    assert syn_ack.ack == 1000 + 1 + 5  # the SYN,ACK acknowledges the SYN and its data (RFC 7413 4.2.2)
    assert syn_ack.options.fastopen is None  # a valid cookie is not sent back
    assert wire.server.state is State.SYN_RECEIVED
    assert wire.server.readable == 5 and wire.server.syn_data_acked


def test_a_cookie_request_gets_the_cookie_on_the_syn_ack():
    wire = make_pair(server=SERVER_ON)
    wire.server.listen(0.0)
    (syn_ack,) = wire.deliver(_syn(wire, option=FastOpen(b"", experimental=True)), wire.server)
    assert syn_ack.options.fastopen == FastOpen(_valid(wire), experimental=True)  # answered in its own kind
    assert syn_ack.ack == 1001


def test_an_invalid_cookie_falls_back_to_a_normal_handshake():
    wire = make_pair(server=SERVER_ON)
    wire.server.listen(0.0)
    (syn_ack,) = wire.deliver(_syn(wire, b"hello", FastOpen(bytes(8))), wire.server)
    assert syn_ack.ack == 1001  # only the SYN is acknowledged: the client sends its data again
    assert syn_ack.options.fastopen == FastOpen(_valid(wire))  # with the right cookie for next time
    assert wire.server.readable == 0 and not wire.server.syn_data_acked


def test_without_the_tcp_fastopen_option_a_listener_does_no_fast_open():
    wire = make_pair(server={**SERVER_ON, "fastopen_queue": 0})
    wire.server.listen(0.0)
    (syn_ack,) = wire.deliver(_syn(wire, b"hello", FastOpen(_valid(wire))), wire.server)
    assert syn_ack.ack == 1001 and syn_ack.options.fastopen is None


def test_with_cookies_not_required_any_syn_data_is_taken():
    wire = make_pair(server={**SERVER_ON, "fastopen": 0x202})
    wire.server.listen(0.0)
    (syn_ack,) = wire.deliver(_syn(wire, b"hello"), wire.server)
    assert syn_ack.ack == 1006


def test_a_full_fast_open_queue_falls_back_to_a_normal_handshake():
    wire = make_pair(server=SERVER_ON)
    syn = _syn(wire, b"hello", FastOpen(_valid(wire)))
    assert not server_answer(2, False, parse_key(KEY), syn, wire.server.addr).take_data
    assert server_answer(2, True, parse_key(KEY), syn, wire.server.addr).take_data


def test_a_fast_open_child_may_send_before_the_handshake_ends():
    wire = make_pair(server=SERVER_ON)
    wire.server.listen(0.0)
    wire.deliver(_syn(wire, b"hello", FastOpen(_valid(wire))), wire.server)
    wire.server.send(b"x" * 100, 0.1)
    (data,) = wire.out(wire.server)
    assert data.seq == 5001 and len(data.payload) == 100 and data.ack == 1006


def test_the_fast_open_settings_are_off_but_for_linux_client_default():
    assert profile("linux").config.fastopen == 1  # net.ipv4.tcp_fastopen's default: client only
    for name in ("rfc", "simple"):
        assert profile(name).config.fastopen == 0
    assert dataclasses.replace(profile("linux").config).fastopen_queue == 0


def test_a_reset_fast_open_child_keeps_its_data_and_reports_the_reset():
    wire = make_pair(server=SERVER_ON)
    wire.server.listen(0.0)
    wire.deliver(_syn(wire, b"hello", FastOpen(_valid(wire))), wire.server)
    c, s = wire.client, wire.server
    rst = Segment(c.port, s.port, SeqNum(1006), SeqNum(5001), Flags.RST | Flags.ACK, 0, Options(), b"", c.addr, s.addr)
    wire.deliver(rst, wire.server)
    assert wire.server.state is State.CLOSED  # not back to LISTEN: the child is a full socket (tcp_reset)
    assert wire.server.receive() == b"hello"


def test_closing_the_listener_resets_an_unaccepted_fast_open_child():
    from simulator.model.config import EndpointConfig
    from simulator.model.sockets import SocketHost

    host = SocketHost("192.168.0.1", EndpointConfig(**SERVER_ON))
    sock = host.open(3, nonblocking=False, isn=5000)
    host.bind(sock, 8080)
    host.listen(sock, 0.0, 1, lambda: 5000)
    key = parse_key(KEY)
    syn = Segment(
        4000,
        8080,
        SeqNum(1000),
        SeqNum(0),
        Flags.SYN,
        65535,
        Options(fastopen=FastOpen(cookie(key, "192.0.2.1", "192.168.0.1"))),
        b"hi",
        "192.0.2.1",
        "192.168.0.1",
    )
    host.deliver(syn, 0.0)
    assert [s.flags for s in host.sent()] == [Flags.SYN | Flags.ACK]
    assert len(sock.backlog) == 1  # accept()able before the handshake ends (tcp_fastopen_create_child)
    host.close(sock, 0.1)
    (rst,) = host.sent()
    assert rst.flags & Flags.RST and rst.ack == 1003


# ------------------------------------------------------------ the client (Linux's tcp_sendmsg_fastopen)
SERVER_ADDR = "192.0.2.1"


def _client(fastopen: int = 1):
    from simulator.model.config import EndpointConfig
    from simulator.model.sockets import SocketHost

    return SocketHost("192.168.0.1", EndpointConfig(fastopen=fastopen))


def _fast_open(host, fd: int, data: bytes):
    sock = host.open(fd, nonblocking=True, isn=1000)
    got = host.send_fast_open(sock, (SERVER_ADDR, 8080), data, 0.0)
    (syn,) = host.sent()
    return sock, got, syn


def _syn_ack(syn: Segment, ack: int, option: FastOpen | None = None, mss: int = 1460) -> Segment:
    return Segment(
        8080,
        syn.src_port,
        SeqNum(7000),
        SeqNum(ack),
        Flags.SYN | Flags.ACK,
        65535,
        Options(mss=mss, fastopen=option),
        b"",
        SERVER_ADDR,
        "192.168.0.1",
    )


COOKIE = FastOpen(bytes.fromhex("abcd1234"))


def _warm(host) -> None:
    """A first connection asks for a cookie and gets COOKIE, with an MSS of 940."""
    _, _, syn = _fast_open(host, 3, b"")
    host.deliver(_syn_ack(syn, 1001, COOKIE, mss=940), 0.01)
    host.sent()


def test_msg_fastopen_without_a_cookie_sends_a_cookie_request_and_no_data():
    host = _client()
    sock, got, syn = _fast_open(host, 3, b"x" * 1000)
    assert got is None  # EINPROGRESS: the SYN took none of the data
    assert syn.flags == Flags.SYN and syn.options.fastopen == FastOpen(b"") and not syn.payload
    assert sock.endpoint.state is State.SYN_SENT


def test_the_syn_acks_cookie_and_mss_are_cached_for_its_server():
    host = _client()
    _warm(host)
    cached = host.fastopen_cache[SERVER_ADDR]
    assert cached.cookie == COOKIE and cached.mss == 940


def test_a_cached_cookie_sends_the_data_on_the_syn_one_mss_less_option_room():
    host = _client()
    _warm(host)
    _, got, syn = _fast_open(host, 4, b"x" * 2000)
    assert syn.options.fastopen == COOKIE
    assert len(syn.payload) == got[0] == 900  # the server's MSS (940) less MAX_TCP_OPTION_SPACE (40)


def test_a_syn_ack_of_the_syn_alone_makes_the_client_send_the_data_again():
    host = _client()
    _warm(host)
    sock, _, syn = _fast_open(host, 4, b"x" * 700)
    host.deliver(_syn_ack(syn, 1001), 0.02)  # the server took the SYN, not its data (RFC 7413 4.2.2)
    (data,) = host.sent()
    assert data.seq == 1001 and len(data.payload) == 700 and data.flags & Flags.ACK and data.ack == 7001
    assert not sock.endpoint.syn_data_acked


def test_a_syn_ack_of_the_data_too_marks_the_syn_data_acknowledged():
    host = _client()
    _warm(host)
    sock, _, syn = _fast_open(host, 4, b"x" * 700)
    host.deliver(_syn_ack(syn, 1701), 0.02)
    (ack,) = host.sent()
    assert ack.seq == 1701 and not ack.payload and sock.endpoint.syn_data_acked  # TCPI_OPT_SYN_DATA


def test_without_the_client_bit_msg_fastopen_is_not_supported():
    host = _client(fastopen=0)
    sock = host.open(3, nonblocking=True, isn=1000)
    assert host.send_fast_open(sock, (SERVER_ADDR, 8080), b"x", 0.0) == (-1, "EOPNOTSUPP")


def test_an_ordinary_connect_sends_no_fast_open_option():
    host = _client()
    sock = host.open(3, nonblocking=True, isn=1000)
    host.connect(sock, (SERVER_ADDR, 8080), 0.0)
    (syn,) = host.sent()
    assert syn.options.fastopen is None


def test_with_bit_4_the_syn_carries_data_without_a_cookie():
    host = _client(fastopen=5)  # TFO_CLIENT_NO_COOKIE
    _, got, syn = _fast_open(host, 3, b"x" * 100)
    assert got == (100, None) and len(syn.payload) == 100 and syn.options.fastopen is None


def test_an_unanswered_cookie_request_is_asked_next_in_the_experimental_form():
    host = _client()
    _, _, syn = _fast_open(host, 3, b"")
    host.deliver(_syn_ack(syn, 1001), 0.01)  # no cookie back
    host.sent()
    _, _, again = _fast_open(host, 4, b"x")
    assert again.options.fastopen == FastOpen(b"", experimental=True)  # tcp_fastopen_cache_set's try_exp


def test_a_fast_open_syn_sent_again_is_a_plain_syn():
    host = _client()
    _warm(host)
    sock, _, _ = _fast_open(host, 4, b"x" * 700)
    sock.endpoint.on_timer(1.0)  # the SYN's retransmission timer (an initial RTO of 1 s)
    (resent,) = host.sent()
    assert resent.flags == Flags.SYN and not resent.payload and resent.options.fastopen is None


def test_tcp_fastopen_connect_with_a_cookie_defers_the_syn_to_the_first_write():
    host = _client()
    _warm(host)
    sock = host.open(4, nonblocking=True, isn=1000)
    sock.fastopen_connect = True
    assert host.connect(sock, (SERVER_ADDR, 8080), 0.1) == (0, None)  # returns at once (DEFER_CONNECT)
    assert host.sent() == [] and sock.deferred == (SERVER_ADDR, 8080)
    assert host.send_fast_open(sock, sock.deferred, b"x" * 100, 0.2) == (100, None)
    (syn,) = host.sent()
    assert syn.options.fastopen == COOKIE and len(syn.payload) == 100


def test_tcp_fastopen_connect_without_a_cookie_connects_with_a_cookie_request():
    host = _client()
    sock = host.open(3, nonblocking=True, isn=1000)
    sock.fastopen_connect = True
    assert host.connect(sock, (SERVER_ADDR, 8080), 0.0) is None  # under way: EINPROGRESS
    (syn,) = host.sent()
    assert syn.options.fastopen == FastOpen(b"") and not syn.payload


def test_a_syn_ack_sent_again_carries_no_cookie():
    # Linux's tcp_rtx_synack builds the SYN,ACK again with no Fast Open cookie (foc NULL): the first answer
    # gave it; a resent one is a plain SYN,ACK with the same options otherwise.
    wire = make_pair(server=SERVER_ON)
    wire.server.listen(0.0)
    (syn_ack,) = wire.deliver(_syn(wire, option=FastOpen(b"")), wire.server)
    assert syn_ack.options.fastopen == FastOpen(_valid(wire))
    deadline = wire.server.next_timer()
    assert deadline is not None
    (again,) = wire.tick(wire.server, deadline)
    assert again.flags == Flags.SYN | Flags.ACK and again.seq == syn_ack.seq
    assert again.options.fastopen is None
    assert again.options.mss == syn_ack.options.mss


def test_a_cookie_on_a_syn_ack_is_cached_only_if_our_syn_asked_with_the_option():
    # tcp_rcv_fastopen_synack: "Ignore an unsolicited cookie" (the SYN carried no Fast Open option: tcp_fastopen
    # 0x4 sends data without one)
    host = _client(fastopen=5)
    _, _, syn = _fast_open(host, 3, b"x" * 100)
    host.deliver(_syn_ack(syn, 1101, COOKIE), 0.01)
    assert host.fastopen_cache[SERVER_ADDR].cookie is None


def test_a_syn_ack_of_part_of_the_syn_data_leaves_only_the_rest_to_send_again():
    host = _client()
    _warm(host)
    sock, _, syn = _fast_open(host, 4, b"x" * 700)
    host.deliver(_syn_ack(syn, 1101), 0.02)  # the SYN and 100 of its bytes (tcp_ack comes first)
    (data,) = host.sent()
    assert data.seq == 1101 and len(data.payload) == 600
    assert sock.endpoint.scoreboard()[3] == 1  # a retransmission: retrans_out (tcpi_retrans)
