"""Where each endpoint setting comes from: the RFC text, and the knob Linux and FreeBSD have for it.

``tcpsim profiles`` prints this beside the values each profile gives, so that every place a
profile follows a kernel instead of the RFC is named with its source.  ``tests/test_profiles.py``
holds every field of ``EndpointConfig`` to an entry here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Source:
    """What a setting does, and where each stack's choice comes from."""

    what: str
    rfc: str  # the RFC section, or what the RFCs leave open
    linux: str  # the sysctl, socket option or kernel function
    freebsd: str


SOURCES: dict[str, Source] = {
    "mss": Source(
        "the MSS option sent, and the largest segment",
        "RFC 9293 3.7.1: the MTU less the IP and TCP headers",
        "tcp_advertise_mss: the route's MTU less 40 (IPv6: 60)",
        "tcp_mssopt: the same",
    ),
    "mtu": Source(
        "the link's MTU, which sets the MSS when none is given",
        "RFC 9293 3.7.1",
        "the interface's MTU (1500 on Ethernet)",
        "the interface's MTU",
    ),
    "min_snd_mss": Source(
        "a peer's MSS option below this is raised to it; an MSS of 0 is ignored",
        "silent",
        "net.ipv4.tcp_min_snd_mss (48); tcp_parse_options ignores 0",
        "net.inet.tcp.minmss (216)",
    ),
    "recv_buffer": Source(
        "the receive buffer: RCV.WND once the application has read everything",
        "RFC 9293 3.8.6: a local choice",
        "net.ipv4.tcp_rmem, SO_RCVBUF",
        "net.inet.tcp.recvspace (65536), SO_RCVBUF",
    ),
    "window_scale": Source(
        "the window-scale shift offered on the SYN (none: no option)",
        "RFC 7323 2: optional",
        "net.ipv4.tcp_window_scaling; the shift from tcp_rmem's maximum",
        "net.inet.tcp.rfc1323; the shift from kern.ipc.maxsockbuf",
    ),
    "sack_permitted": Source(
        "offer SACK-permitted on the SYN",
        "RFC 2018: optional",
        "net.ipv4.tcp_sack (1)",
        "net.inet.tcp.sack.enable (1)",
    ),
    "ack_policy": Source(
        "ACK every segment at once, or delay ACKs",
        "RFC 1122 4.2.3.2, RFC 9293 3.8.6.3: SHOULD delay, ACK at least every second full segment",
        "quick-ACK mode early in a connection (tcp_in_quickack_mode), then delayed",
        "net.inet.tcp.delayed_ack (1)",
    ),
    "delayed_ack_timeout": Source(
        "how long an ACK may wait",
        "RFC 1122 4.2.3.2: under 0.5 s",
        "TCP_DELACK_MIN 40 ms to TCP_DELACK_MAX 200 ms",
        "net.inet.tcp.delacktime (100 ms)",
    ),
    "delay_fin_ack": Source(
        "hold the ACK of a FIN so that a close can carry it",
        "silent: ACK when an ACK is due",
        "the FIN's ACK is scheduled like a delayed ACK (tcp_fin)",
        "the ACK of a FIN goes at once (TF_ACKNOW)",
    ),
    "initial_rto": Source(
        "the first retransmission timeout",
        "RFC 6298 2.1: 1 s",
        "TCP_TIMEOUT_INIT (1 s)",
        "net.inet.tcp.rexmit_initial (1 s)",
    ),
    "min_rto": Source(
        "the floor of the retransmission timeout",
        "RFC 6298 2.4: 1 s",
        "TCP_RTO_MIN (200 ms)",
        "net.inet.tcp.rexmit_min (30 ms)",
    ),
    "max_rto": Source(
        "the ceiling of the retransmission timeout",
        "RFC 6298 2.5: at least 60 s",
        "TCP_RTO_MAX (120 s)",
        "TCPTV_REXMTMAX (64 s)",
    ),
    "clock_granularity": Source(
        "G, the clock's tick in the RTO formula",
        "RFC 6298 2",
        "one jiffy (1 to 10 ms)",
        "one tick (1 ms at hz=1000)",
    ),
    "syn_retries": Source(
        "SYN retransmissions before connect() fails",
        "RFC 1122 4.2.3.5: at least 3 minutes",
        "net.ipv4.tcp_syn_retries (6)",
        "bounded by net.inet.tcp.keepinit (75 s)",
    ),
    "synack_retries": Source(
        "SYN,ACK retransmissions before a half-open connection is dropped",
        "silent",
        "net.ipv4.tcp_synack_retries (5)",
        "net.inet.tcp.syncache.rexmtlimit (3)",
    ),
    "data_retries": Source(
        "retransmissions of data before the connection fails (R2)",
        "RFC 1122 4.2.3.5: at least 100 s",
        "net.ipv4.tcp_retries2 (15)",
        "TCP_MAXRXTSHIFT (12)",
    ),
    "msl": Source(
        "the maximum segment lifetime; TIME-WAIT lasts twice it",
        "RFC 9293 3.4.2: 2 minutes (tcpsim shortens it to 2 s for readable diagrams)",
        "TCP_TIMEWAIT_LEN: TIME-WAIT lasts 60 s",
        "net.inet.tcp.msl (30 s)",
    ),
    "fast_retransmit": Source(
        "retransmit on the third duplicate ACK",
        "RFC 5681 3.2",
        "always (tcp_fastretrans_alert)",
        "always (tcp_do_segment)",
    ),
    "rfc5961": Source(
        "challenge ACKs for a SYN, or a RST not exactly at RCV.NXT, in a synchronized state",
        "RFC 9293 3.10.7.4, RFC 5961 3.2 and 4.2 (RFC 793: reset)",
        "always",
        "net.inet.tcp.insecure_rst and insecure_syn (0: challenge)",
    ),
    "rfc5961_syn": Source(
        "rfc5961 for SYNs alone (none: as rfc5961)",
        "RFC 5961 4.2",
        "always",
        "net.inet.tcp.insecure_syn",
    ),
    "rfc5961_rst": Source(
        "rfc5961 for RSTs alone (none: as rfc5961)",
        "RFC 5961 3.2",
        "always",
        "net.inet.tcp.insecure_rst",
    ),
    "auto_read": Source(
        "the application reads data the moment it arrives",
        "an application's choice, not the stack's",
        "-",
        "-",
    ),
    "rto_slop": Source(
        "added to every backed-off retransmission timeout",
        "silent",
        "none",
        "net.inet.tcp.rexmit_slop (200 ms)",
    ),
    "connect_timeout": Source(
        "give up an unfinished handshake after this",
        "RFC 1122 4.2.3.5",
        "TCP_USER_TIMEOUT, else syn_retries",
        "net.inet.tcp.keepinit, TCP_KEEPINIT",
    ),
    "drop_synfin": Source(
        "drop a segment with both SYN and FIN",
        "silent",
        "dropped in LISTEN (tcp_rcv_state_process)",
        "net.inet.tcp.drop_synfin",
    ),
    "timestamps": Source(
        "offer the timestamps option on the SYN",
        "RFC 7323 3: optional",
        "net.ipv4.tcp_timestamps (1)",
        "net.inet.tcp.rfc1323 (1)",
    ),
    "no_options": Source(
        "send no TCP options at all, not even the MSS",
        "RFC 9293 3.7.1: the MSS option is optional",
        "no such option",
        "TCP_NOOPT",
    ),
    "rst_carries_ack": Source(
        "a reset of a live connection is RST,ACK with ack=RCV.NXT",
        "RFC 9293 3.10.5: a bare <SEQ=SND.NXT><CTL=RST>",
        "tcp_send_active_reset: RST,ACK",
        "tcp_respond: RST,ACK",
    ),
    "reset_answers_data": Source(
        "data that arrives after the application closed is answered with the RST a closed port sends "
        "(seq = the segment's ACK, no ACK flag), not with an RST,ACK at SND.NXT",
        "RFC 1122 4.2.2.13: SHOULD send a RST; its form is left open",
        "tcp_rcv_state_process returns TCP_ABORT_ON_DATA, tcp_v4_do_rcv answers with tcp_v4_send_reset",
        "tcp_input: dropwithreset (the same form)",
    ),
    "syn_data_dropped": Source(
        "a listener keeps no data (nor FIN) of a SYN it does not take by Fast Open: the SYN,ACK acknowledges the SYN "
        "alone, and the peer sends the data again; nor does a connecting socket keep those of a simultaneous "
        "open's SYN",
        "RFC 9293 3.10.7.2 and 3.10.7.3: text on a SYN is queued for processing once the connection is established",
        "tcp_conn_request keeps only a request sock; the SYN's skb, its data with it, is freed; "
        "tcp_rcv_synsent_state_process discards a simultaneous open's SYN after tcp_send_synack",
        "syncache_add: not modelled in the freebsd profile (it keeps the RFC rule)",
    ),
    "synack_tsecr_check": Source(
        "in SYN-SENT, a SYN,ACK whose timestamp echo reply is not one of our TSvals since the first SYN went is "
        "answered with a RST (seq = its ACK), and the connection keeps waiting for its own",
        "RFC 9293 3.10.7.3 and RFC 7323 3.2: only the ACK field is checked in SYN-SENT",
        "tcp_rcv_synsent_state_process: rcv_tsecr not between retrans_stamp and now, LINUX_MIB_PAWSACTIVEREJECTED, "
        "reset_and_undo",
        "none (not modelled in the freebsd profile)",
    ),
    "orphan_retries": Source(
        "RTO retransmissions a connection the application has closed makes before it gives up (none: "
        "data_retries, as before the close)",
        "RFC 1122 4.2.3.5: R2, whatever the application did",
        "net.ipv4.tcp_orphan_retries (0, which tcp_orphan_retries() reads as 8 while the RTO is below "
        "TCP_RTO_MAX): tcp_write_timeout on a SOCK_DEAD socket",
        "none (tcp_maxunacktime, the same R2)",
    ),
    "time_wait_reuse": Source(
        "a new SYN with a higher sequence number reopens a connection in TIME-WAIT",
        "RFC 1122 4.2.2.13: MAY",
        "tcp_timewait_state_process (TCP_TW_SYN)",
        "tcp_twcheck",
    ),
    "rfc1337": Source(
        "ignore a RST in TIME-WAIT",
        "RFC 1337 remedy F1 (RFC 9293: a RST ends TIME-WAIT)",
        "net.ipv4.tcp_rfc1337 (0)",
        "always (tcp_twcheck)",
    ),
    "round_buffer_to_mss": Source(
        "round the receive buffer up to a whole number of segments at the handshake",
        "silent",
        "no",
        "tcp_mss",
    ),
    "window_is_buffer": Source(
        "take data up to the free buffer, even beyond the window announced",
        "RFC 9293 3.10.7.4: trim to the window",
        "no",
        "tcp_do_segment trims to the buffer",
    ),
    "ack_resends_fin": Source(
        "an ACK sent while our FIN is unacknowledged carries the FIN again",
        "silent",
        "no",
        "tcp_output (TF_SENTFIN)",
    ),
    "old_segment_acks": Source(
        "use the ACK field of an old duplicate segment before answering it",
        "RFC 9293 3.10.7.4: drop it",
        "no",
        "tcp_do_segment",
    ),
    "bsd_time_wait": Source(
        "TIME-WAIT by FreeBSD's rules: no acceptability test, all but an exact duplicate ACK answered",
        "RFC 9293 3.10.7.4",
        "no",
        "tcp_twcheck",
    ),
    "ecn": Source(
        "send an ECN-setup SYN (ECE and CWR)",
        "RFC 3168 6.1.1: optional",
        "net.ipv4.tcp_ecn (2: only answer)",
        "net.inet.tcp.ecn.enable (2: only answer)",
    ),
    "ecn_answer": Source(
        "answer an ECN-setup SYN (ECE and CWR) with an ECN-setup SYN,ACK (ECE): ECN is then on for the connection",
        "RFC 3168 6.1.1: a host that is ECN-capable answers with ECE set and CWR clear",
        "net.ipv4.tcp_ecn 1 or 2 (2, the default: only answer); tcp_ecn_create_request, tcp_ecn_make_synack",
        "net.inet.tcp.ecn.enable 1 or 2 (not modelled in the freebsd profile)",
    ),
    "cwr_prr": Source(
        "after an ACK with ECE, cwnd falls to the new ssthresh by Proportional Rate Reduction over the window "
        "sent, not at once, and grows again only once that window is acknowledged (the CWR state)",
        "RFC 3168 6.1.2: cwnd halved at once, as after a loss",
        "tcp_enter_cwr, tcp_init_cwnd_reduction, tcp_cwnd_reduction in TCP_CA_CWR (PRR for CWR since 3.7)",
        "no (cc_cong_signal CC_ECN: cwnd = ssthresh at once)",
    ),
    "fastopen": Source(
        "TCP Fast Open: 1 client (a cookie request, then data on the SYN), 2 server (data on a SYN with a "
        "valid cookie is taken before the handshake ends), 0x200 server without cookies, 0x400 server "
        "without the TCP_FASTOPEN option",
        "RFC 7413: experimental, off unless both sides ask",
        "net.ipv4.tcp_fastopen (1: client only); a child's SYN,ACK stays with its request sock, so it takes no room "
        "of cwnd or of the window (tcp_create_openreq_child: snd_una = ISS + 1)",
        "net.inet.tcp.fastopen.server_enable, client_enable (0)",
    ),
    "fastopen_key": Source(
        "the server's cookie key: the cookie is SipHash-2-4 of the client's and server's addresses",
        "RFC 7413 4.1.2: a MAC of the client's address under a secret key, the choice of MAC is local",
        "net.ipv4.tcp_fastopen_key (random at boot), TCP_FASTOPEN_KEY; __tcp_fastopen_cookie_gen_cipher",
        "net.inet.tcp.fastopen.setkey (SipHash-2-4 of the client address)",
    ),
    "fastopen_queue": Source(
        "Fast Open connections a listener holds before their handshake ends; 0: no Fast Open on it",
        "RFC 7413 5.1: a server SHOULD limit them",
        "TCP_FASTOPEN socket option (fastopenq.max_qlen); tcp_fastopen 0x400 sets it to the backlog",
        "TCP_FASTOPEN socket option (net.inet.tcp.fastopen.acceptany, ccache settings)",
    ),
    "ecn_syn_retries": Source(
        "retransmitted SYNs that still ask for ECN",
        "RFC 3168 6.1.1.1: MAY fall back",
        "the first retransmission drops ECN (tcp_ecn_clear_syn)",
        "net.inet.tcp.ecn.maxretries (1)",
    ),
    "syn_options_retries": Source(
        "from this SYN retransmission on, offer only the MSS option",
        "silent",
        "no",
        "net.inet.tcp.rexmit_drop_options",
    ),
    "keepalive": Source(
        "probe a peer that has been quiet for keepalive_idle",
        "RFC 1122 4.2.3.6: MAY, off by default",
        "SO_KEEPALIVE",
        "SO_KEEPALIVE",
    ),
    "keepalive_idle": Source(
        "quiet time before the first keep-alive probe",
        "RFC 1122 4.2.3.6: no less than two hours by default",
        "net.ipv4.tcp_keepalive_time (7200 s), TCP_KEEPIDLE",
        "net.inet.tcp.keepidle (7200 s), TCP_KEEPIDLE",
    ),
    "keepalive_interval": Source(
        "time between keep-alive probes",
        "silent",
        "net.ipv4.tcp_keepalive_intvl (75 s), TCP_KEEPINTVL",
        "net.inet.tcp.keepintvl (75 s), TCP_KEEPINTVL",
    ),
    "keepalive_probes": Source(
        "unanswered probes before the connection is given up",
        "silent",
        "net.ipv4.tcp_keepalive_probes (9), TCP_KEEPCNT",
        "net.inet.tcp.keepcnt (8), TCP_KEEPCNT",
    ),
    "invalid_ratelimit": Source(
        "answers to repeated SYNs in SYN-RECEIVED no closer than this",
        "silent (RFC 9293 3.10.7.4: an ACK to each)",
        "net.ipv4.tcp_invalid_ratelimit (500 ms), counted from the last answer",
        "the syncache answers each",
    ),
    "window_scale_auto": Source(
        "offer the window-scale shift the largest receive buffer needs",
        "RFC 7323 2.3: the shift is the receiver's choice",
        "tcp_select_initial_window: ilog2(max(tcp_rmem[2], rmem_max)) - 15 (7 before Linux 6.16, 10 after)",
        "the shift from kern.ipc.maxsockbuf (6 here: the profile gives it)",
    ),
    "recv_buffer_max": Source(
        "the largest the receive buffer may grow to (it sets the offered shift)",
        "RFC 9293 3.8.6: a local choice",
        "net.ipv4.tcp_rmem[2] (6 MiB; 32 MiB since 6.16)",
        "net.inet.tcp.recvbuf_max",
    ),
    "fixed_recv_buffer": Source(
        "the application set SO_RCVBUF: the buffer never grows and the offered shift fits it",
        "silent",
        "SO_RCVBUF locks the buffer (SOCK_RCVBUF_LOCK): shift 0 for a small one",
        "SO_RCVBUF turns autotuning off",
    ),
    "round_window_to_mss": Source(
        "windows in whole segments: the SYN's rounded down to the MSS, later ones to the scale's unit",
        "RFC 9293 3.8.6.2.2: receiver SWS avoidance (in steps of the MSS)",
        "tcp_select_initial_window, __tcp_select_window",
        "tcp_output: the window as free buffer space",
    ),
    "ts_offset": Source(
        "timestamps count from a per-connection offset",
        "RFC 7323 7.1: SHOULD randomize the timestamp clock per connection",
        "net.ipv4.tcp_timestamps=1: secure_tcp_ts_off (since 4.10)",
        "net.inet.tcp.ts_offset_per_conn (1)",
    ),
    "oow_ratelimit": Source(
        "answer an empty segment outside the window at most once per invalid_ratelimit",
        "RFC 9293 3.10.7.4: ACK each unacceptable segment",
        "tcp_oow_rate_limited (net.ipv4.tcp_invalid_ratelimit)",
        "net.inet.tcp.ack_war_timewindow and ack_war_cnt",
    ),
    "syn_linear_timeouts": Source(
        "SYN retransmissions sent at the initial RTO before backing off",
        "RFC 6298 5.5: back off on every expiry",
        "net.ipv4.tcp_syn_linear_timeouts (4, since 6.5); the limit counts time (tcp_model_timeout)",
        "none: the SYN backoff table tcp_syn_backoff",
    ),
    "rto_min_on_variance": Source(
        "the minimum RTO bounds the variance term (RTO = SRTT + max(4 RTTVAR, min)), not the RTO",
        "RFC 6298 2.4: RTO = max(SRTT + 4 RTTVAR, 1 s)",
        "tcp_set_rto: rttvar is at least tcp_rto_min",
        "RTO = max(SRTT + 4 RTTVAR, rexmit_min)",
    ),
    "delayed_ack_min": Source(
        "the shortest delayed-ACK wait, and the first one (ack = linux)",
        "RFC 1122 4.2.3.2: under 0.5 s",
        "TCP_ATO_MIN (40 ms), then ato adapts to the arrivals (tcp_event_data_recv)",
        "net.inet.tcp.delacktime (100 ms, fixed)",
    ),
    "quickacks": Source(
        "ACKs sent at once at the start of a connection or after a quiet spell (ack = linux)",
        "silent",
        "TCP_MAX_QUICKACKS (16); tcp_incr_quickack: at most the window over two segments",
        "none",
    ),
    "backlog_ack_defer": Source(
        "an ACK due at once on data that arrives while the application's system call holds the socket (on "
        "loopback: what its own call sent brought back) waits for the call's end, and covers all that came",
        "silent",
        "net.ipv4.tcp_backlog_ack_defer (1, since 6.8): __tcp_ack_snd_check defers to tcp_release_cb",
        "none",
    ),
    "backlog_coalesce": Source(
        "data that arrives while the application's system call holds the socket waits in the socket's backlog, "
        "contiguous segments joined into one buffer, and is handled once at the call's end (one ACK decision)",
        "silent",
        "tcp_add_backlog (skb_try_coalesce), __release_sock; sk_backlog_rcv at release_sock",
        "none",
    ),
    "skb_overhead": Source(
        "buffers are charged per packet buffer (skb), its payload plus this many bytes: the receive window is "
        "the room left in a buffer twice the window, halved (at the scaling ratio: measured_scaling_ratio; less "
        "than half free ends the quick ACKs); a write "
        "starts a new skb only while the send buffer's charge is below SO_SNDBUF (0: both count payload bytes)",
        "silent (RFC 9293 3.8.6.2.2 counts the window in octets)",
        "skb->truesize = SKB_TRUESIZE (832 bytes of overhead on 6.18 x86-64, SO_MEMINFO); tcp_space, "
        "tcp_win_from_space (scaling_ratio), __tcp_select_window; sk_wmem_queued, tcp_sendmsg_locked, "
        "sk_stream_memory_free, tcp_xmit_size_goal, tcp_grow_skb",
        "sbspace: bytes and mbuf memory (sb_mbcnt), not modelled",
    ),
    "rcv_coalesce": Source(
        "an in-order segment joins the receive queue's last packet buffer, charged its payload only (the unread "
        "data costs one overhead), unless that buffer holds 17 fragments or, on loopback, is still a clone of the "
        "buffer its sender keeps until the data is acknowledged",
        "silent",
        "tcp_queue_rcv -> tcp_try_coalesce -> skb_try_coalesce (refuses a cloned skb; MAX_SKB_FRAGS 17)",
        "none",
    ),
    "measured_scaling_ratio": Source(
        "the window a byte of receive buffer offers is measured: 1/2 at first, then the payload over the "
        "truesize of the first segment of each new size (1448 / 2280: 162/256); a changed ratio sets the window "
        "clamp of a buffer fixed with SO_RCVBUF to the whole buffer's window",
        "silent",
        "tcp_measure_rcv_mss (scaling_ratio = len << 8 / truesize), TCP_DEFAULT_SCALING_RATIO, "
        "tcp_win_from_space, tcp_set_window_clamp",
        "none",
    ),
    "empty_window_probe": Source(
        "a zero-window probe is an empty ACK at SND.UNA - 1 (else one byte of new data)",
        "RFC 9293 3.8.6.1: probe with one octet of new data",
        "tcp_write_wakeup, tcp_xmit_probe_skb",
        "tcp_output: one byte of data",
    ),
    "half_window_segments": Source(
        "no segment larger than half the largest window the peer announced",
        "silent",
        "tcp_bound_to_half_wnd",
        "none",
    ),
    "forced_push": Source(
        "PSH once more than half the peer's largest window went out without one",
        "RFC 9293 3.9.1: PSH where the application pushes",
        "forced_push (tcp_sendmsg), besides PSH at the end of each write",
        "PSH when the send buffer empties",
    ),
    "tso_frames": Source(
        "data leaves in frames (at most half of cwnd, about 1 ms of the pacing rate, at least min_tso_segs); "
        "a frame of several segments cut from a write that ends pushed carries PSH on its last segment",
        "RFC 9293 3.9.1: PSH where the application pushes",
        "tcp_cwnd_test, tcp_tso_autosize, tcp_update_pacing_rate; tcp_push marks the write's skb, "
        "tcp_write_xmit sends it in frames (packetdrill's TSO tests, tun and loopback captures of 6.18)",
        "none (PSH when the send buffer empties)",
    ),
    "segment_fits_window": Source(
        "a segment goes only if it fits the peer's window whole; held back with nothing in flight, it waits for "
        "the window, or the probe timer sends what fits",
        "RFC 9293 3.8.6.2.1: the sender's silly window avoidance (a full segment, or half the largest window)",
        "tcp_snd_wnd_test in tcp_write_xmit; tcp_write_wakeup from the probe timer",
        "tcp_output: a full segment, or half the largest window, or all that is queued",
    ),
    "notsent_lowat": Source(
        "a write takes no new packet buffer while this many bytes wait unsent (None: no limit); poll's POLLOUT "
        "waits until less than half of it is left",
        "silent",
        "net.ipv4.tcp_notsent_lowat (no limit), TCP_NOTSENT_LOWAT; tcp_stream_memory_free",
        "none",
    ),
    "min_tso_segs": Source(
        "the fewest segments a frame holds, whatever the pacing rate (tso_frames)",
        "silent",
        "net.ipv4.tcp_min_tso_segs (2), tcp_tso_autosize",
        "none",
    ),
    "nagle": Source(
        "hold a small segment while an earlier small one is unacknowledged (off: TCP_NODELAY)",
        "RFC 9293 3.7.4 (SHLD-7), RFC 896",
        "on unless TCP_NODELAY; Minshall's variant (tcp_nagle_check)",
        "on unless TCP_NODELAY (net.inet.tcp.delayed_ack interplay)",
    ),
    "send_buffer": Source(
        "bytes the send buffer holds (none: no limit)",
        "RFC 9293 3.9.1: a local choice",
        "SO_SNDBUF (doubled), net.ipv4.tcp_wmem",
        "SO_SNDBUF, net.inet.tcp.sendspace",
    ),
    "unsent_ack_dropped": Source(
        "a segment that acknowledges data never sent is dropped without an answer",
        "RFC 9293 3.10.7.4: send an ACK, drop the segment",
        "tcp_ack returns TCP_ACK_UNSENT_DATA: discarded",
        "tcp_input: dropafterack",
    ),
    "ts_recent_on_valid_ack": Source(
        "TS.Recent taken only from a segment whose ACK is acceptable",
        "RFC 7323 4.3: from any segment that covers Last.ACK.sent",
        "tcp_ack with FLAG_UPDATE_TS_RECENT, after the ACK checks",
        "before the ACK checks, as the RFC",
    ),
    "rtt_every_ack": Source(
        "an RTT sample from every ACK of new data, not from one timed segment per round trip",
        "RFC 6298 3: at least one sample per RTT (Karn's rule); RFC 7323 4: per-ACK samples with timestamps",
        "tcp_clean_rtx_queue: the oldest segment each ACK covers (tcp_ack_update_rtt)",
        "one timed segment per RTT, or per-ACK with timestamps",
    ),
    "slow_start_after_idle": Source(
        "after nothing was sent for longer than the RTO, cwnd restarts: halved per RTO of quiet, down to the "
        "initial window",
        "RFC 5681 4.1: SHOULD set cwnd to min(IW, cwnd) after an idle RTO (RFC 7661 is the alternative)",
        "net.ipv4.tcp_slow_start_after_idle (1): tcp_cwnd_restart, from tcp_slow_start_after_idle_check",
        "newreno_after_idle: cwnd = min(cwnd, IW) (not modelled in the freebsd profile)",
    ),
    "rtt_from_tsecr": Source(
        "with timestamps, an RTT sample also from the ACK of a segment sent more than once (its TSecr), which "
        "ends the timer's back-off",
        "RFC 7323 4.1: timestamps make every ACK measurable; RFC 6298 5.7 and Karn: no sample from a "
        "retransmission without them",
        "tcp_ack_update_rtt: tcp_rtt_tsopt_us when the segment was retransmitted, then icsk_backoff = 0",
        "tcp_do_segment times each ACK by its TSecr (the freebsd profile keeps Karn's rule)",
    ),
    "user_timeout": Source(
        "abort when the oldest unacknowledged data has waited this long (none: the retry count decides)",
        "RFC 9293 3.9 (USER TIMEOUT), RFC 5482",
        "TCP_USER_TIMEOUT (tcp_write_timeout, tcp_clamp_rto_to_user_timeout)",
        "none (TCP_KEEPINIT for handshakes only)",
    ),
    "congestion": Source(
        "the congestion control: none (the peer's window alone), reno (NewReno) or cubic",
        "RFC 5681 (RFC 9293 3.8.2 MUST-19), RFC 6582 NewReno recovery, RFC 9438 CUBIC",
        "net.ipv4.tcp_congestion_control (cubic), TCP_CONGESTION",
        "net.inet.tcp.cc.algorithm (newreno before 14.0, cubic since), TCP_CONGESTION",
    ),
    "initial_window": Source(
        "the initial congestion window, in segments (none: RFC 5681's 2 to 4 by MSS)",
        "RFC 5681 3.1: 2 to 4 segments; RFC 6928: 10 (experimental)",
        "TCP_INIT_CWND (10), the route's initcwnd",
        "net.inet.tcp.initcwnd_segments (10)",
    ),
    "slow_start_limit": Source(
        "the most segments one ACK adds to cwnd in slow start (0: every segment it acknowledges)",
        "RFC 3465 2.3: L = 2 SMSS (appropriate byte counting)",
        "0: tcp_slow_start adds every packet acknowledged (cwnd = min(cwnd + acked, ssthresh))",
        "2: net.inet.tcp.abc_l_var",
    ),
    "cwnd_limited_growth": Source(
        "cwnd grows only while it limits the sender: in slow start while below twice the most segments out "
        "in the last window, after it only if cwnd stopped a send in that window",
        "RFC 7661 (experimental) 4.3: no growth in the non-validated phase; RFC 5681 grows on every ACK",
        "tcp_is_cwnd_limited in tcp_reno_cong_avoid and cubictcp_cong_avoid; tcp_cwnd_validate (tcp_output.c)",
        "off here (cc_ack_received: CCF_CWND_LIMITED compares cwnd with the peer's window alone)",
    ),
    "limited_transmit": Source(
        "each of the first two duplicate ACKs lets one new segment go, cwnd unchanged; with SACK, SACKed "
        "segments leave the pipe",
        "RFC 3042 (RFC 5681 3.2: SHOULD); RFC 6675 5 step 3 with SACK",
        "on: tcp_packets_in_flight leaves out sacked_out, which counts the duplicate ACKs without SACK "
        "(tcp_add_reno_sack)",
        "on: net.inet.tcp.rfc3042 (tcp_input raises cwnd by the duplicate ACKs for one send)",
    ),
    "grow_by_delivered": Source(
        "cwnd grows by the bytes an ACK newly delivers: what was SACKed, or duplicate-ACKed, before counts "
        "then (when cwnd does not grow), not again when the cumulative ACK covers it",
        "RFC 5681 3.1 and RFC 3465: the bytes newly acknowledged",
        "tcp_cong_control(acked_sacked = tcp_newly_delivered); tcp_remove_reno_sacks without SACK",
        "off: cc_ack_received counts the bytes acknowledged",
    ),
    "lost_syn_window_after": Source(
        "SYN (or SYN,ACK) retransmissions after which the initial window is one segment",
        "RFC 5681 3.1: one (any lost SYN or SYN,ACK)",
        "two: tcp_init_transfer cuts cwnd to 1 only after more than one (RFC 6298's 1 s initial RTO)",
        "one (cc_conn_init)",
    ),
    "sack_recovery": Source(
        "with SACK negotiated, recover from a loss by the scoreboard: cwnd = ssthresh, send while the pipe allows",
        "RFC 6675 (IsLost, NextSeg, SetPipe); RFC 5681 3.2 without SACK",
        "on: tcp_fastretrans_alert, tcp_xmit_retransmit_queue (with PRR, RFC 6937, for the reduction)",
        "on: tcp_sack.c, net.inet.tcp.sack.enable (the profile keeps NewReno for the tcp-testsuite scripts)",
    ),
    "timer_tick": Source(
        "the tail loss probe's timer counts whole ticks: its time rounded up, then up to one tick more to the "
        "tick it fires on",
        "silent (RFC 8985 7.2 gives the PTO in time)",
        "jiffies: CONFIG_HZ=250 (4 ms) here; usecs_to_jiffies rounds up, timers fire on a tick",
        "ticks: kern.hz (1000)",
    ),
    "hystart": Source(
        "CUBIC leaves slow start before a loss at HyStart's first sign: an ACK train longer than half the "
        "minimum RTT, or the round's RTT up by an eighth (4 to 16 ms)",
        "RFC 9438 4.10 allows it (HyStart++, RFC 9406, is another)",
        "tcp_cubic.c hystart = 1, hystart_detect = 3 (ACK train and delay), hystart_low_window = 16",
        "cc_cubic: HyStart++ (RFC 9406) since 14.0",
    ),
    "cubic_first_growth": Source(
        "before CUBIC's first loss, cwnd grows by at least this share of itself per RTT, however flat the curve",
        "silent (RFC 9438 4.2 follows the curve alone)",
        "0.05: tcp_cubic.c bictcp_update, if (ca->last_max_cwnd == 0 && ca->cnt > 20) ca->cnt = 20",
        "0 (the freebsd profile uses newreno)",
    ),
    "cubic_min_rtt": Source(
        "CUBIC's target is the curve one minimum RTT ahead, not one smoothed RTT ahead",
        "RFC 9438 4.2: W_cubic(t + RTT), RTT the smoothed round-trip time",
        "on: tcp_cubic.c bictcp_update, t += usecs_to_jiffies(ca->delay_min)",
        "off (the freebsd profile uses newreno)",
    ),
    "ssthresh_from_cwnd": Source(
        "Reno's ssthresh after a loss is half of cwnd, in whole segments, not half of the flight size",
        "RFC 5681 3.1 equation 4: max(FlightSize / 2, 2 * SMSS)",
        "on: tcp_cong.c tcp_reno_ssthresh, max(tcp_snd_cwnd(tp) >> 1U, 2U)",
        "off (the profile keeps RFC 5681's rule)",
    ),
    "prr": Source(
        "in a SACK recovery, cwnd = pipe + what Proportional Rate Reduction allows, not ssthresh at once",
        "RFC 6937 (experimental); RFC 6675 sets cwnd = ssthresh",
        "on: tcp_cwnd_reduction (since 3.2)",
        "off: net.inet.tcp.do_prr (1 since 11.0; the profile keeps NewReno)",
    ),
    "loss_detection": Source(
        "with SACK: dupack (three duplicate ACKs or three segments SACKed above, RFC 6675) or rack (by time, "
        "RACK, with a tail loss probe 2 x SRTT + 2 ms after the flight)",
        "RFC 6675 section 4 IsLost; RFC 8985 RACK-TLP",
        "rack: net.ipv4.tcp_recovery = 1 (tcp_recovery.c tcp_rack_detect_loss), net.ipv4.tcp_early_retrans = 3 "
        "(tcp_schedule_loss_probe)",
        "dupack (net.inet.tcp.rfc6675_pipe); RACK only in the RACK stack",
    ),
}
