"""TCP Fast Open's client side (RFC 7413) as Linux does it, each rule shown by a short packetdrill script.

Each script is the smallest one whose outcome the rule decides: it fails without the rule and passes
with it.  The scripts of Google's suite (gtests/net/tcp/fastopen) that need the same rule are named
beside each test.
"""

from __future__ import annotations

from simulator.conformance.packetdrill import RunOptions, run_script

# A first connection asks for a cookie and gets abcd1234 (and the server's MSS, 1460) for the cache.
WARM = """
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 sendto(3, ..., 0, MSG_FASTOPEN, ..., ...) = -1 EINPROGRESS (Operation is now in progress)
+0 > S 0:0(0) <mss 1460,nop,nop,sackOK,nop,wscale 8,FO,nop,nop>
+.01 < S. 123:123(0) ack 1 win 5840 <mss 1460,nop,nop,sackOK,nop,wscale 6,FO abcd1234,nop,nop>
+0 > . 1:1(0) ack 1
+.01 close(3) = 0
+0 > F. 1:1(0) ack 1
+.01 < F. 1:1(0) ack 2 win 92
+0 > . 2:2(0) ack 2
"""

# A second connection whose SYN carries 1000 bytes under the cached cookie.
SYN_DATA = """
+.01 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 sendto(4, ..., 1000, MSG_FASTOPEN, ..., ...) = 1000
+0 > S 0:1000(1000) <mss 1460,nop,nop,sackOK,nop,wscale 8,FO abcd1234,nop,nop>
"""


def run(tmp_path, text, **options):
    path = tmp_path / "t.pkt"
    path.write_text(text)
    return run_script(path, RunOptions(**{"profile": "linux", **options}))


def test_the_rest_of_a_blocking_write_makes_the_connection_interactive_so_the_reply_waits(tmp_path):
    # blocking-sendto, blocking-sendmsg-multi-iov, blocking-connect-bypass, cookie-less-sendto: the SYN took 1420
    # of 1900 bytes; the SYN,ACK's ACK is saved for the rest (sk_write_pending), quick-ACK mode is entered, and
    # the rest, sent at once, makes the connection interactive: the reply's ACK waits for the FIN.
    text = WARM + (
        "+.01 socket(..., SOCK_STREAM, IPPROTO_TCP) = 5\n"
        "+0 sendto(5, ..., 1900, MSG_FASTOPEN, ..., ...) = 1900\n"
        "+0 > S 0:1420(1420) <...>\n"
        "+.02 < S. 5678:5678(0) ack 1421 win 5840 <mss 1460,nop,nop,sackOK,nop,wscale 6>\n"
        "+0 > P. 1421:1901(480) ack 1\n"
        "+.02 < P. 1:501(500) ack 1901 win 257\n"
        "+0 read(5, ..., 4096) = 500\n"
        "+0 close(5) = 0\n"
        "+0 > F. 1901:1901(0) ack 501\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_a_cookie_our_syn_did_not_ask_for_is_not_cached(tmp_path):
    # cookie-less-sendto: with tcp_fastopen's 0x4 the SYN carries data and no Fast Open option; the cookie the
    # SYN,ACK volunteers is ignored (tcp_rcv_fastopen_synack without syn_fastopen), so the next SYN asks again.
    text = (
        "`sysctl -q net.ipv4.tcp_fastopen=5`\n"
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
        "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
        "+0 sendto(3, ..., 100, MSG_FASTOPEN, ..., ...) = 100\n"
        "+0 > S 0:100(100) <mss 1460,nop,nop,sackOK,nop,wscale 8>\n"
        "+.01 < S. 0:0(0) ack 101 win 5840 <mss 1460,nop,nop,sackOK,nop,wscale 6,FO abcd1234,nop,nop>\n"
        "+0 > . 101:101(0) ack 1\n"
        "+0 `sysctl -q net.ipv4.tcp_fastopen=1`\n"
        "+.01 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4\n"
        "+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
        "+0 sendto(4, ..., 100, MSG_FASTOPEN, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
        "+0 > S 0:0(0) <mss 1460,nop,nop,sackOK,nop,wscale 8,FO,nop,nop>\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_what_a_socket_sends_after_the_next_socket_call_is_not_read(tmp_path):
    # nonblocking-sendto-errnos, nonblocking-connect-bypass-errno, poll, cookie-less-sendto: packetdrill reads
    # only the packets of the socket under test, the one the last socket() made (run_syscall_socket): the FIN
    # of a socket closed before it is passed over, though the script never expects it.
    text = WARM.replace("+0 > F. 1:1(0) ack 1\n+.01 < F. 1:1(0) ack 2 win 92\n+0 > . 2:2(0) ack 2\n", "") + SYN_DATA
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_a_syn_ack_of_part_of_the_syn_data_leaves_the_rest_to_send_again_as_a_retransmission(tmp_path):
    # syn-data-partial-or-over-ack: tcp_ack takes the 100 bytes acknowledged before tcp_rcv_fastopen_synack
    # sends the rest again, a retransmission (tcpi_retrans).
    text = (
        WARM
        + SYN_DATA
        + (
            "+.01 < S. 0:0(0) ack 101 win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 6>\n"
            "+0 > P. 101:1001(900) ack 1\n"
            "+0 %{ assert tcpi_retrans == 1, tcpi_retrans }%\n"
        )
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_the_syn_data_sent_again_does_not_make_nagle_hold_the_next_write(tmp_path):
    # syn-data-only-syn-acked, nonblocking-sendto-over-mss: the 1420 bytes sent again are a retransmission,
    # which does not set snd_sml (tcp_minshall_update is for new data): the next write's last 140 bytes go at
    # once, in the same frame.
    text = WARM + (
        "+.01 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4\n"
        "+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
        "+0 sendto(4, ..., 1420, MSG_FASTOPEN, ..., ...) = 1420\n"
        "+0 > S 0:1420(1420) <...>\n"
        "+.02 < S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 6>\n"
        "+0 > P. 1:1421(1420) ack 1\n"
        "+0 write(4, ..., 1600) = 1600\n"
        "+0 > P. 1421:3021(1600) ack 1\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_a_syn_ack_may_acknowledge_the_data_of_a_syn_sent_again_without_it(tmp_path):
    # synack-data TEST3: the SYN's data stays in its own skb in the retransmission queue when the SYN goes again
    # alone, so a SYN,ACK that acknowledges it is acceptable (no RST) and nothing is sent again.
    text = (
        WARM
        + SYN_DATA
        + (
            "+1 > S 0:0(0) <...>\n"
            "+.01 < S. 0:0(0) ack 1001 win 5840 <mss 1460,nop,nop,sackOK,nop,wscale 6>\n"
            "+0 > . 1001:1001(0) ack 1\n"
            "+0 %{ assert (tcpi_options & TCPI_OPT_SYN_DATA) != 0, tcpi_options }%\n"
        )
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_a_simultaneous_open_keeps_the_syn_data_in_flight(tmp_path):
    # simultaneous-fast-open: the peer's SYN (its data dropped) is answered with a SYN,ACK; the SYN's own data
    # stays in flight, so the peer's SYN,ACK acknowledging it completes the handshake.
    text = (
        WARM
        + SYN_DATA
        + (
            "+.005 < S 1234:1734(500) win 14600 <mss 1040,nop,nop,sackOK,nop,wscale 6>\n"
            "+0 > S. 0:0(0) ack 1235 <...>\n"
            "+.045 < S. 1234:1234(0) ack 1001 win 14600 <mss 940,nop,nop,sackOK,nop,wscale 6>\n"
            "+0 > . 1001:1001(0) ack 1\n"
            "+0 %{ assert tcpi_state == TCP_ESTABLISHED, tcpi_state }%\n"
        )
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_a_fast_open_childs_syn_ack_takes_no_room_of_the_window(tmp_path):
    # fastopen/server/opt34/simple3: the child's SYN,ACK stays with the request sock (snd_una = ISS + 1), so the
    # 10000 bytes the SYN's window offers all go at once, in two frames of half the window.
    text = (
        "`sysctl -q net.ipv4.tcp_fastopen=0x203`\n"
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
        "+0 setsockopt(3, SOL_TCP, TCP_FASTOPEN, [1], 4) = 0\n"
        "+0 bind(3, ..., ...) = 0\n"
        "+0 listen(3, 1) = 0\n"
        "+0 < S 0:1000(1000) win 10000 <mss 1012,nop,nop,sackOK,TS val 10 ecr 0,nop,wscale 7>\n"
        "+0 > S. 0:0(0) ack 1001 <...>\n"
        "+0 accept(3, ..., ...) = 4\n"
        "+.01 write(4, ..., 15000) = 15000\n"
        "+0 > P. 1:5001(5000) ack 1001\n"
        "+0 > P. 5001:10001(5000) ack 1001\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_a_connection_reset_in_syn_sent_polls_readable_and_writable(tmp_path):
    # poll: tcp_done shuts both ways (SHUTDOWN_MASK), so tcp_poll adds POLLIN and POLLOUT to POLLERR|POLLHUP.
    text = (
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
        "+0 fcntl(3, F_SETFL, O_NONBLOCK) = 0\n"
        "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation is now in progress)\n"
        "+0 > S 0:0(0) <...>\n"
        "+.01 < R. 0:0(0) ack 1 win 0\n"
        "+0 poll([{fd=3, events=POLLIN|POLLOUT|POLLERR|POLLHUP, revents=POLLIN|POLLOUT|POLLERR|POLLHUP}], 1, 0) = 1\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_a_deferred_fast_open_connect_polls_writable_and_refuses_a_second_connect(tmp_path):
    # nonblocking-connect-bypass(-errno): TCP_FASTOPEN_CONNECT with a cookie sends nothing at connect(); tcp_poll
    # says EPOLLOUT so that the application writes, and connect() again is EISCONN (__inet_stream_connect).
    text = WARM + (
        "+.01 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4\n"
        "+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
        "+0 setsockopt(4, SOL_TCP, TCP_FASTOPEN_CONNECT, [1], 4) = 0\n"
        "+0 connect(4, ..., ...) = 0\n"
        "+0 poll([{fd=4, events=POLLIN|POLLOUT|POLLERR, revents=POLLOUT}], 1, 0) = 1\n"
        "+0 connect(4, ..., ...) = -1 EISCONN (Transport endpoint is already connected)\n"
        "+0 write(4, ..., 1000) = 1000\n"
        "+0 > S 0:1000(1000) <...>\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_the_data_of_a_zerocopy_fast_open_syn_is_numbered_as_a_zerocopy_write(tmp_path):
    # zerocopy/fastopen-client: the SYN's data belongs to the MSG_ZEROCOPY write, whose notice comes once it is
    # acknowledged.
    text = WARM + (
        "+.01 socket(..., SOCK_STREAM, IPPROTO_TCP) = 5\n"
        "+0 fcntl(5, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
        "+0 setsockopt(5, SOL_SOCKET, SO_ZEROCOPY, [1], 4) = 0\n"
        "+0 sendto(5, ..., 500, MSG_FASTOPEN|MSG_ZEROCOPY, ..., ...) = 500\n"
        "+0 > S 0:500(500) <...>\n"
        "+.05 < S. 5678:5678(0) ack 501 win 14600 <mss 1460,nop,nop,sackOK,nop,wscale 6>\n"
        "+0 > . 501:501(0) ack 1\n"
        "+.1 recvmsg(5, {msg_name(...)=..., msg_iov(1)=[{...,0}], msg_flags=MSG_ERRQUEUE, msg_control=["
        "{cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVERR, cmsg_data={ee_errno=0, "
        "ee_origin=SO_EE_ORIGIN_ZEROCOPY, ee_type=0, ee_code=SO_EE_CODE_ZEROCOPY_COPIED, ee_info=0, ee_data=0}}"
        "]}, MSG_ERRQUEUE) = 0\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_a_cookie_longer_than_rfc_7413_allows_is_read_and_send_flags_may_be_a_number(tmp_path):
    # valid-cookie-format: an 18-byte cookie fits the option space (packetdrill writes it; Linux then ignores it,
    # tcp_parse_fastopen_option: 4 to 16 bytes), and MSG_FASTOPEN may be written 0x20000000.
    text = (
        WARM
        + SYN_DATA
        + (
            "+.01 < S. 0:0(0) ack 1001 win 5840 <mss 1460,nop,nop,sackOK,nop,wscale 6,"
            "FO 01234567aabbccdd0123456701234567afaf>\n"
            "+0 > . 1001:1001(0) ack 1\n"
            "+.01 socket(..., SOCK_STREAM, IPPROTO_TCP) = 5\n"
            "+0 fcntl(5, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
            "+0 sendto(5, ..., 1000, 0x20000000, ..., ...) = 1000\n"
            "+0 > S 0:1000(1000) <mss 1460,nop,nop,sackOK,nop,wscale 8,FO abcd1234,nop,nop>\n"
        )
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_a_syn_ack_echoing_no_timestamp_of_ours_is_answered_with_a_reset(tmp_path):
    # synack-data TEST5 (synack_tsecr_check): Linux's SYN-SENT rejects a SYN,ACK whose TSecr is none of its
    # TSvals since the SYN (PAWSACTIVEREJECTED) with a RST, and waits on; the runner maps a script's ecr to the
    # host's TS val it stands for (packetdrill's ts_val_map), so "ecr 100" echoes the SYN's "TS val 100".
    text = (
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
        "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
        "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation is now in progress)\n"
        "+0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>\n"
        "+.01 < S. 0:0(0) ack 1 win 5840 <mss 1460,TS val 5000 ecr 9999,sackOK,nop,wscale 6>\n"
        "+0 > R 1:1(0)\n"
        "+.01 < S. 0:0(0) ack 1 win 5840 <mss 1460,TS val 5000 ecr 100,sackOK,nop,wscale 6>\n"
        "+0 > . 1:1(0) ack 1 <...>\n"
        "+0 %{ assert tcpi_state == TCP_ESTABLISHED, tcpi_state }%\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    rfc = run(tmp_path, text, profile="rfc")  # (RFC 9293 3.10.7.3 checks the ACK alone: the first one is taken)
    assert rfc.status == "fail" and "R 1:1(0)" in rfc.message, rfc.message
