"""Linux's own rules, each shown by a short packetdrill script run with the linux profile.

Each script is the smallest one whose outcome the rule decides: it fails without the rule (the
model's earlier behaviour) and passes with it.  The scripts of Google's suite that need the same
rule are named beside each test.
"""

from __future__ import annotations

from simulator.conformance.packetdrill import RunOptions, run_script
from simulator.model.skbmem import zerocopy_skbs

# A server connection: the peer's MSS is 1000, so the initial window is 10 segments of 1000 bytes.
SERVER = """
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 10>
+0 > S. 0:0(0) ack 1 <...>
+.01 < . 1:1(0) ack 1 win 514
+0 accept(3, ..., ...) = 4
"""


def run(tmp_path, text, **options):
    path = tmp_path / "t.pkt"
    path.write_text(text)
    return run_script(path, RunOptions(**{"profile": "linux", **options}))


def test_a_write_with_msg_eor_ends_a_record_that_no_segment_crosses(tmp_path):
    # eor/no-coalesce-*.pkt: the 400 bytes left of the first write join the MSG_EOR write (it is appended to
    # the skb), but the next write starts a segment of its own, though both are small and go out together.
    text = SERVER + (
        "+0 write(4, ..., 10400) = 10400\n"
        "+0 send(4, ..., 400, MSG_EOR) = 400\n"
        "+0 write(4, ..., 1000) = 1000\n"
        "+0 > P. 1:10001(10000) ack 1\n"
        "+.001 < . 1:1(0) ack 10001 win 514\n"
        "+0 > P. 10001:10801(800) ack 1\n"
        "+0 > P. 10801:11801(1000) ack 1\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    merged = run(tmp_path, text.replace("MSG_EOR", "0"))  # (the writes join the 400 bytes' skb, and its PSH goes)
    assert merged.status == "fail" and ". 10001:11001(1000)" in merged.message, merged.message


def test_a_retransmission_keeps_the_psh_that_ended_a_write(tmp_path):
    # eor/no-coalesce-retrans.pkt: two pushed writes; the first, which RACK finds lost once the second is
    # SACKed, is still pushed when sent again (the skb keeps the PSH tcp_push marked), though it is not the
    # last segment queued.
    text = SERVER + (
        "+0 setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0\n"
        "+0 write(4, ..., 500) = 500\n"
        "+0 > P. 1:501(500) ack 1\n"
        "+0 write(4, ..., 500) = 500\n"
        "+0 > P. 501:1001(500) ack 1\n"
        "+.01 < . 1:1(0) ack 1 win 514 <sack 501:1001,nop,nop>\n"
        "+.004 > P. 1:501(500) ack 1\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    assert result.checks >= 3


def test_a_fin_joined_to_the_last_frame_is_read_as_that_frames(tmp_path):
    # shutdown/shutdown-rdwr-send-queue-ack-close.pkt: close() while cwnd holds data back; Linux joins the FIN
    # to the last skb queued (tcp_send_fin), and its TSO frame reaches packetdrill as one packet, FIN and PSH
    # on it.
    text = SERVER + (
        "+0 write(4, ..., 12000) = 12000\n+0 > P. 1:10001(10000) ack 1\n+0 close(4) = 0\n"
        "+.01 < . 1:1(0) ack 10001 win 514\n+0 > FP. 10001:12001(2000) ack 1\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_tcp_info_reports_the_congestion_state_and_ssthresh_in_packets(tmp_path):
    # cwnd_moderation/, fast_recovery/prr-ss-10pkt-lost-1.pkt, cubic/cubic-hystart-*.pkt: tcpi_ca_state is
    # Open, then Disorder once a SACK shows a hole (tcp_try_keep_open), Recovery once RACK marks the hole lost,
    # and Open again when all is acknowledged; tcpi_snd_ssthresh is TCP_INFINITE_SSTHRESH until the loss, then
    # CUBIC's 7 of 10 packets.
    text = SERVER + (
        "+0 %{ assert tcpi_ca_state == TCP_CA_Open and tcpi_snd_ssthresh == TCP_INFINITE_SSTHRESH }%\n"
        "+0 write(4, ..., 10000) = 10000\n"
        "+0 > P. 1:10001(10000) ack 1\n"
        "+.01 < . 1:1(0) ack 1 win 514 <sack 7001:8001,nop,nop>\n"
        "+0 %{ assert tcpi_ca_state == TCP_CA_Disorder, tcpi_ca_state }%\n"
        "+.0045 > . 1:1001(1000) ack 1\n"
        "+0 %{ assert tcpi_ca_state == TCP_CA_Recovery and tcpi_snd_ssthresh == 7 }%\n"
        "+.1 < . 1:1(0) ack 10001 win 514\n"
        "+0 %{ assert tcpi_ca_state == TCP_CA_Open, tcpi_ca_state }%\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    assert result.checks >= 8


def test_linux_stores_twice_the_receive_buffer_asked_and_freebsd_what_is_asked(tmp_path):
    # sock_setsockopt: sk_rcvbuf = max(2 x value, SOCK_MIN_RCVBUF); getsockopt answers what is stored
    text = (
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
        "+0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [20000], 4) = 0\n"
        "+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [40000], [4]) = 0\n"
        "+0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [1000], 4) = 0\n"
        "+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [2304], [4]) = 0\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    freebsd = text.replace("[40000]", "[20000]").replace("[2304]", "[1000]")
    assert run(tmp_path, freebsd, profile="freebsd").status == "pass"


def test_the_window_linux_offers_is_about_the_receive_buffer_asked_not_twice_it(tmp_path):
    # tcp_win_from_space: the window is the data's share of the doubled buffer, so SO_RCVBUF 20000 offers
    # 20000 rounded down to whole segments of 1460 (tcp_select_initial_window): 18980
    text = (
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
        "+0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [20000], 4) = 0\n"
        "+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n"
        "+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 10>\n"
        "+0 > S. 0:0(0) ack 1 win 18980 <...>\n"
    )
    result = run(tmp_path, text, compare_window=True)
    assert result.status == "pass", result.message


# Ten segments out; the peer SACKs the eighth (7001:8001).
TEN_OUT_EIGHTH_SACKED = SERVER + (
    "+0 write(4, ..., 10000) = 10000\n"
    "+0 > P. 1:10001(10000) ack 1\n"
    "+.01 < . 1:1(0) ack 1 win 514 <sack 7001:8001,nop,nop>\n"
)


def test_a_segment_delivered_below_a_sacked_one_raises_the_reordering_distance(tmp_path):
    # sack/sack-shift-sacked-*.pkt: tcp_check_sack_reordering: 2001:3001, never sent again, is SACKed below
    # 8001, 6000 bytes lower: more than reordering (3) segments, so reordering becomes 6 (tcpi_reordering,
    # counted in tcpi_reord_seen); the scoreboard in packets: packets_out, sacked_out, lost_out, retrans_out.
    text = TEN_OUT_EIGHTH_SACKED + (
        "+0 %{ assert tcpi_reordering == 3 and tcpi_reord_seen == 0 }%\n"
        "+.001 < . 1:1(0) ack 1 win 514 <sack 2001:3001 7001:8001,nop,nop>\n"
        "+0 %{ assert tcpi_reordering == 6 and tcpi_reord_seen == 1 }%\n"
        "+0 %{ assert tcpi_unacked == 10 and tcpi_sacked == 2 and tcpi_lost == 0 and tcpi_retrans == 0 }%\n"
        "+.001 < . 1:1(0) ack 1 win 514 <sack 6001:8001,nop,nop>\n"
        "+0 %{ assert tcpi_reordering == 6 and tcpi_reord_seen == 2 }%\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_the_reordering_timer_that_starts_a_recovery_sends_one_retransmission(tmp_path):
    # sack/sack-shift-sacked-7-3-4-8-9-fack.pkt: tcp_rack_reo_timeout enters recovery and reduces cwnd as if
    # one segment had been delivered (tcp_cwnd_reduction(sk, 1, ...)): PRR lets one of the seven lost go.
    text = TEN_OUT_EIGHTH_SACKED + (
        "+.0045 > . 1:1001(1000) ack 1\n"
        "+0 %{ assert tcpi_ca_state == TCP_CA_Recovery and tcpi_lost == 7 and tcpi_retrans == 1 }%\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_tcp_info_counts_the_milliseconds_since_data_last_came(tmp_path):
    # tcp_info/tcp-info-last_data_recv.pkt: lrcvtime is set when the connection is established
    # (tcp_create_openreq_child) and whenever data comes in order (tcp_event_data_recv)
    text = SERVER + (
        "+1 %{ assert 990 <= tcpi_last_data_recv <= 1010, tcpi_last_data_recv }%\n"
        "+0 < P. 1:1001(1000) ack 1 win 514\n"
        "+.005 %{ assert tcpi_last_data_recv == 5, tcpi_last_data_recv }%\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_recvmsg_reports_the_bytes_left_to_read_under_tcp_inq(tmp_path):
    # inq/: TCP_CM_INQ is tcp_inq_hint: RCV.NXT - copied_seq after the call, at least 1 once a FIN came
    def recvmsg(n, inq):
        return (
            f"+0 recvmsg(4, {{msg_name(...)=..., msg_iov(1)=[{{..., {n}}}], msg_flags=0, msg_control=[{{"
            f"cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data={inq}}}]}}, 0) = {n}\n"
        )

    text = SERVER + (
        "+0 setsockopt(4, SOL_TCP, TCP_INQ, [1], 4) = 0\n"
        "+0 < P. 1:3001(3000) ack 1 win 514\n"
        + recvmsg(1000, 2000)
        + recvmsg(2000, 0)
        + "+0 < F. 3001:3001(0) ack 1 win 514\n"
        + recvmsg(1000, 1).replace("= 1000", "= 0")
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    wrong = run(tmp_path, text.replace("cmsg_data=2000", "cmsg_data=3000"))
    assert "TCP_CM_INQ is 2000, but the script expects 3000" in wrong.message


def test_the_ack_of_a_fin_that_ends_a_full_segment_goes_at_once(tmp_path):
    # ioctl/ioctl-siocinq-fin.pkt, inq/: tcp_fin makes the connection interactive, so the ACK of a bare FIN
    # is delayed; but __tcp_ack_snd_check runs after it, and a full segment and the FIN are more than one
    # segment of sequence space since the last ACK: that ACK goes at once
    text = SERVER + (
        "+0 < P. 1:1001(1000) ack 1 win 514\n"
        "+0 > . 1:1(0) ack 1001\n"
        "+.01 read(4, ..., 1000) = 1000\n"
        "+.07 < FP. 1001:2001(1000) ack 1 win 514\n"
        "+0 > . 1:1(0) ack 2002\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    bare = text.replace("FP. 1001:2001(1000)", "F. 1001:1001(0)").replace("ack 2002", "ack 1002")
    assert "at t=0.090 s, but it sent nothing" in run(tmp_path, bare).message  # the bare FIN's ACK waits


def test_sending_a_fin_rearms_the_loss_probe(tmp_path):
    # shutdown/shutdown-rdwr-write-queue-close.pkt: tcp_write_xmit schedules the tail loss probe after every
    # segment it sends, a FIN too: the probe comes 2 x SRTT + 2 ms after the FIN, not after the data
    text = SERVER + (
        "+0 write(4, ..., 10000) = 10000\n"
        "+0 > P. 1:10001(10000) ack 1\n"
        "+.01 shutdown(4, SHUT_WR) = 0\n"
        "+0 > F. 10001:10001(0) ack 1\n"
        "+.022 > F. 10001:10001(0) ack 1\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_a_write_stops_at_the_low_water_mark_of_unsent_bytes(tmp_path):
    # notsent_lowat/: a write fills packet buffers of size_goal bytes (here 65 segments: the largest GSO
    # packet) and starts a new one only while fewer than TCP_NOTSENT_LOWAT bytes wait unsent: 65000 go into
    # the first (10000 leave), 10000 more fill it again, and the next buffer is refused: 75000 of 100000.
    # poll's POLLOUT waits until twice the unsent bytes are below the mark.
    text = SERVER + (
        "+0 setsockopt(4, SOL_TCP, TCP_NOTSENT_LOWAT, [4000], 4) = 0\n"
        "+0 getsockopt(4, SOL_TCP, TCP_NOTSENT_LOWAT, [4000], [4]) = 0\n"
        "+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
        "+0 write(4, ..., 100000) = 75000\n"
        "+0 > P. 1:10001(10000) ack 1\n"
        "+0 write(4, ..., 1000) = -1 EAGAIN (Resource temporarily unavailable)\n"
        "+0 poll([{fd=4, events=POLLOUT, revents=0}], 1, 0) = 0\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    sysctl = "`sysctl -q net.ipv4.tcp_notsent_lowat=4000`\n" + text.replace("[4000], [4]", "[0], [4]")
    sysctl = sysctl.replace("+0 setsockopt(4, SOL_TCP, TCP_NOTSENT_LOWAT, [4000], 4) = 0\n", "")
    result = run(tmp_path, sysctl)
    assert result.status == "pass", result.message  # the sysctl's mark; getsockopt answers the socket's, 0


# A server connection whose handshake takes no time (srtt 0: the tail loss probe waits 2 ms).
INSTANT_SERVER = SERVER.replace("+.01 < . 1:1(0) ack 1 win 514", "+0 < . 1:1(0) ack 1 win 514")


def test_a_packet_already_sent_is_read_at_once_not_after_the_timers_of_the_tolerance(tmp_path):
    # zerocopy/basic.pkt: packetdrill reads a packet the moment it is sent, and waits up to the tolerance only
    # for one not yet sent; so the ACK on the next "+0" line arrives before a 2 ms loss probe could fire
    text = INSTANT_SERVER + (
        "+0 write(4, ..., 4000) = 4000\n"
        "+0 > P. 1:4001(4000) ack 1\n"
        "+0 < . 1:1(0) ack 4001 win 514\n"
        "+0 write(4, ..., 1000) = 1000\n"
        "+0 > P. 4001:5001(1000) ack 1\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_msg_zerocopy_writes_are_numbered_and_their_completions_queued_merged(tmp_path):
    # zerocopy/: with SO_ZEROCOPY each MSG_ZEROCOPY write takes the next number; once the ACK covers it, a
    # notice [ee_info, ee_data] goes on the error queue, extending the last one not yet read
    # (skb_zerocopy_notify_extend); recvmsg(MSG_ERRQUEUE) takes one, or fails with EAGAIN
    def notice(first, last):
        return (
            "+0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{...,0}], msg_flags=MSG_ERRQUEUE, msg_control=["
            "{cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVERR, cmsg_data={ee_errno=0, "
            "ee_origin=SO_EE_ORIGIN_ZEROCOPY, ee_type=0, ee_code=SO_EE_CODE_ZEROCOPY_COPIED, "
            f"ee_info={first}, ee_data={last}}}}}]}}, MSG_ERRQUEUE) = 0\n"
        )

    text = INSTANT_SERVER.replace(
        "accept(3, ..., ...) = 4", "accept(3, ..., ...) = 4\n+0 setsockopt(4, SOL_SOCKET, SO_ZEROCOPY, [1], 4) = 0"
    ) + (
        "+0 send(4, ..., 1000, MSG_ZEROCOPY) = 1000\n"
        "+0 > P. 1:1001(1000) ack 1\n"
        "+0 send(4, ..., 1000, MSG_ZEROCOPY) = 1000\n"
        "+0 > P. 1001:2001(1000) ack 1\n"
        "+0 < . 1:1(0) ack 2001 win 514\n" + notice(0, 1) + "+0 send(4, ..., 1000, MSG_ZEROCOPY) = 1000\n"
        "+0 > P. 2001:3001(1000) ack 1\n"
        "+0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{...,0}], msg_flags=MSG_ERRQUEUE, msg_control=[]}, MSG_ERRQUEUE)"
        " = -1 EAGAIN\n"
        "+0 < . 1:1(0) ack 3001 win 514\n" + notice(2, 2)
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_a_zerocopy_write_of_more_buffers_than_an_skb_has_fragments_is_pushed_in_two_skbs(tmp_path):
    # zerocopy/maxfrags.pkt: MSG_ZEROCOPY pins each one-byte buffer as a page fragment of its own; an skb holds
    # 17 (MAX_SKB_FRAGS), then is pushed and the write goes on in a new one, held by Nagle until the ACK.
    # Copied (no SO_ZEROCOPY), the 18 bytes are one linear skb and one segment.
    iov = ", ".join(["{..., 1}"] * 18)
    write = f"+0 sendmsg(4, {{msg_name(...)=..., msg_iov(18)=[{iov}], msg_flags=0}}, MSG_ZEROCOPY) = 18\n"
    zerocopy = "accept(3, ..., ...) = 4\n+0 setsockopt(4, SOL_SOCKET, SO_ZEROCOPY, [1], 4) = 0"
    text = INSTANT_SERVER.replace("accept(3, ..., ...) = 4", zerocopy) + (
        write + "+0 > P. 1:18(17) ack 1\n+0 < . 1:1(0) ack 18 win 514\n+0 > P. 18:19(1) ack 1\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    copied = run(tmp_path, text.replace(zerocopy, "accept(3, ..., ...) = 4"))
    assert copied.status == "fail" and "P. 1:19(18)" in copied.message, copied.message


def test_a_write_on_a_socket_never_connected_fails_with_epipe_on_linux_enotconn_on_freebsd(tmp_path):
    # zerocopy/closed.pkt: sk_stream_wait_connect fails with EPIPE outside SYN-SENT and SYN-RECEIVED;
    # FreeBSD's sosend_generic answers ENOTCONN
    text = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 write(3, ..., 1000) = -1 EPIPE (Broken pipe)\n"
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    result = run(tmp_path, text.replace("EPIPE (Broken pipe)", "ENOTCONN"), profile="freebsd")
    assert result.status == "pass", result.message


def test_epoll_reports_by_level_or_after_each_wakeup_with_epollet(tmp_path):
    # epoll/epoll_in_edge.pkt, zerocopy/epoll_*.pkt: level-triggered, a socket is reported while poll says
    # it is ready; with EPOLLET only once something woke it (data arriving: reading does not); with
    # EPOLLONESHOT once, until EPOLL_CTL_MOD arms it again
    def wait(events):
        if events == "0":
            return "+0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0\n"
        return f"+0 epoll_wait(5, {{events={events}, fd=4}}, 1, 0) = 1\n"

    text = INSTANT_SERVER + (
        "+0 epoll_create(1) = 5\n"
        "+0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN|EPOLLOUT|EPOLLET, fd=4}) = 0\n"
        + wait("EPOLLOUT")
        + wait("0")
        + "+0 < P. 1:1001(1000) ack 1 win 514\n+0 > . 1:1(0) ack 1001\n"
        + wait("EPOLLIN|EPOLLOUT")
        + wait("0")
        + "+0 read(4, ..., 500) = 500\n"
        + wait("0")
        + "+0 epoll_ctl(5, EPOLL_CTL_MOD, 4, {events=EPOLLIN, fd=4}) = 0\n"
        + wait("EPOLLIN")
        + wait("EPOLLIN")
        + "+0 epoll_ctl(5, EPOLL_CTL_MOD, 4, {events=EPOLLIN|EPOLLONESHOT, fd=4}) = 0\n"
        + wait("EPOLLIN")
        + wait("0")
        + "+0 epoll_ctl(5, EPOLL_CTL_MOD, 4, {events=EPOLLIN|EPOLLONESHOT, fd=4}) = 0\n"
        + wait("EPOLLIN")
        + "+0 close(5) = 0\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_a_segment_waits_until_it_fits_the_window_then_the_probe_timer_sends_what_fits(tmp_path):
    # tcp_info/tcp-info-rwnd-limited.pkt: tcp_snd_wnd_test sends a segment only if it fits the peer's window
    # whole (sender silly window avoidance); with nothing in flight the probe timer, after an RTO (210 ms),
    # sends what the window takes (tcp_write_wakeup)
    text = (
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n"
        "+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop>\n+0 > S. 0:0(0) ack 1 <...>\n"
        "+.01 < . 1:1(0) ack 1 win 500\n+0 accept(3, ..., ...) = 4\n"
        "+0 write(4, ..., 2000) = 2000\n"
        "+.1 < . 1:1(0) ack 1 win 500\n"
        "+.11 > P. 1:501(500) ack 1\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_tcp_info_counts_the_busy_time_and_the_time_the_window_held_data_back(tmp_path):
    # tcp_info/: tcp_chrono_start/stop: busy from the write until all is acknowledged, rwnd-limited while the
    # next segment does not fit the window; tcpi_busy_time is the sum (microseconds)
    text = SERVER + (
        "+0 < . 1:1(0) ack 1 win 0\n"
        "+0 write(4, ..., 1000) = 1000\n"
        "+.05 < . 1:1(0) ack 1 win 2\n"
        "+0 > P. 1:1001(1000) ack 1\n"
        "+.02 < . 1:1(0) ack 1001 win 2\n"
        "+.01 %{ assert tcpi_rwnd_limited == 50000 and tcpi_busy_time == 70000, (tcpi_rwnd_limited, tcpi_busy_time) }%\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_a_null_buffer_fails_with_efault_and_moves_no_data(tmp_path):
    # syscall_bad_arg/syscall-invalid-buf-ptr.pkt: the copy from or to the user fails: a write queues
    # nothing, a read leaves the data queued
    text = SERVER + (
        "+0 write(4, NULL, 1000) = -1 EFAULT (Bad address)\n"
        "+0 ioctl(4, SIOCOUTQ, [0]) = 0\n"
        "+0 < P. 1:1001(1000) ack 1 win 514\n"
        "+0 read(4, NULL, 1000) = -1 EFAULT (Bad address)\n"
        "+0 read(4, ..., 1000) = 1000\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_zerocopy_skbs_end_pushed_only_where_fragments_run_out_not_at_the_size_goal():
    # tcp_sendmsg_locked: an skb ends at size_goal without a push; out of fragments (17 pages), pushed
    assert zerocopy_skbs((1,) * 18, 18, 16000) == [17, 1]
    assert zerocopy_skbs((1,) * 64, 64, 16000) == [17, 17, 17, 13]
    assert zerocopy_skbs((200000,), 200000, 64000) == [200000]  # 16 pages fill 64000 bytes: never 17
