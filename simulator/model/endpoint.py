"""A sans-IO TCP endpoint: RFC 9293 user calls and segment arrival, no I/O.

Drive it with ``listen``/``connect``/``send``/``receive``/``close``/``abort``,
``on_segment(segment, now)`` and ``on_timer(now)``; ask ``next_timer()`` when
to call again; collect what it wants sent (and why) with ``drain()``.
Time is always passed in; nothing here reads a clock or a random generator.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

from . import fastopen, recovery
from .acks import LinuxAcks
from .chrono import Chrono, ChronoKind
from .config import AckPolicy, EndpointConfig
from .congestion import Change, Congestion, Phase
from .errors import ModelError, UserCallError
from .fastpath import arrive as fast_arrive
from .keys import AppKey, DataKey, EofKey, ErrorKey, InfoKey, ReceiveKey, SendKey, StateKey
from .notes import NOT_RECORDED, Note, NoteKind, TcbView
from .reassembly import Reassembly
from .recovery import DUPTHRESH, LossDetection, Rack, probe_timeout, reorder_timeout
from .segment import (
    ACK_BIT,
    ALL_FLAGS,
    FIN_BIT,
    NO_FLAGS,
    NO_OPTIONS,
    PSH_BIT,
    RST_BIT,
    SYN_BIT,
    Ecn,
    FastOpen,
    Flags,
    Options,
    Segment,
)
from .seq import HALF, MASK, MODULUS, SeqNum
from .seq import ts_before as _ts_before
from .skbmem import ReceiveMemory
from .states import ALLOWED, State
from .timers import RtoEstimator, Timer

ACK = Flags.ACK
SYN = Flags.SYN
ECE = Flags.ECE
CWR = Flags.CWR
FIN = Flags.FIN
RST = Flags.RST
PSH = Flags.PSH
# RFC 9293 section 3.7.1 (MUST-15): the send MSS assumed when the peer sends no MSS option
DEFAULT_MSS = 536  # 576 - 40 on IPv4
DEFAULT_MSS_IPV6 = 1220  # 1280 - 60 on IPv6
_SEQ_ZERO = SeqNum(0)
_NOT_ECT = Ecn.NOT_ECT
_DEFAULT_CONFIG = EndpointConfig()
# Speed: the hot paths below compare sequence numbers as plain ints, RFC 1982 style (``a < b`` when
# 0 < (b - a) mod 2**32 < 2**31), because each SeqNum operator is a Python call.
_isub, _iadd = int.__sub__, int.__add__  # (frozen: shared by every endpoint built without settings)
RESOURCE_PROBE_INTERVAL = 0.5  # Linux's TCP_RESOURCE_PROBE_INTERVAL: retry after a local drop (tcp_send_probe0)
SOCK_MIN_RCVBUF = 2048 + 232  # include/net/sock.h: 2048 + sizeof(struct sk_buff) (232 on x86-64)
GSO_MAX_SIZE = 65536  # the largest TSO/GSO frame Linux builds (GSO_LEGACY_MAX_SIZE)

# ACKs a BSD stack builds directly (tcp_respond), never with a FIN repeated.
_BARE_ACKS = frozenset(
    {SendKey.CHALLENGE_ACK_SYN, SendKey.CHALLENGE_ACK_RST, SendKey.CHALLENGE_ACK_OLD_ACK, SendKey.ACK_UNACCEPTABLE_SYN}
)
# States in which the endpoint may send data or a FIN of its own.
_CAN_SEND = frozenset({State.ESTABLISHED, State.CLOSE_WAIT})
# States in which our FIN, once queued, goes out after the remaining data.
_CLOSING_SIDE = frozenset({State.FIN_WAIT_1, State.CLOSING, State.LAST_ACK})
# States in which keep-alive probes a quiet peer (Linux's tcp_keepalive_timer; FIN-WAIT-2 has its own timer).
_KEEPS_ALIVE = frozenset({State.ESTABLISHED, State.CLOSE_WAIT, State.FIN_WAIT_1, State.CLOSING, State.LAST_ACK})
MAX_REORDERING = 300  # net.ipv4.tcp_max_reordering
# States whose received text is processed (RFC 9293 3.10.7.4, seventh step).
_TAKES_TEXT = frozenset({State.ESTABLISHED, State.FIN_WAIT_1, State.FIN_WAIT_2})


@dataclass(slots=True)
class _Sent:
    """An entry of the retransmission queue: one segment's worth of sequence space."""

    seq: SeqNum
    payload: bytes
    flags: Flags  # SYN and/or FIN carried, besides ACK
    end: SeqNum
    options: Options = NO_OPTIONS
    retransmitted: bool = False
    sent_at: float = 0.0  # when it first went out (an RTT sample on every ACK, as Linux takes them)
    # The SACK scoreboard (model/recovery.py): SACKed, counted lost, sent again since, when it last went out
    sacked: bool = False
    lost: bool = False
    resent: bool = False
    last_sent: float = 0.0
    pushed: bool = False  # it went out with PSH


def closed_reply(seg: Segment) -> tuple[Segment, SendKey] | tuple[None, ReceiveKey]:
    """The answer of a port with no connection (RFC 9293 section 3.10.7.1).

    Returns the RST to send and the key of its explanation, or ``None`` and the
    key that explains why there is no answer.
    """
    if seg.flags & RST:
        return None, ReceiveKey.CLOSED_RST_IGNORED
    if seg.flags & ACK:
        reply = Segment(
            seg.dst_port, seg.src_port, seq=seg.ack, flags=RST, src_addr=seg.dst_addr, dst_addr=seg.src_addr
        )
        return reply, SendKey.RST_CLOSED_ACK
    reply = Segment(
        seg.dst_port,
        seg.src_port,
        seq=SeqNum(0),
        ack=seg.seq + seg.len,
        flags=RST | ACK,
        src_addr=seg.dst_addr,
        dst_addr=seg.src_addr,
    )
    return reply, SendKey.RST_CLOSED_NOACK


class Endpoint:
    """One end of a TCP connection, with its transmission control block."""

    def __init__(
        self,
        name: str,
        addr: str,
        port: int,
        iss: int,
        config: EndpointConfig | None = None,
    ) -> None:
        self.name = name
        self.addr = addr
        self.port = port
        self.config = config or _DEFAULT_CONFIG  # (the setter resolves the settings read on every segment)
        ipv6 = ":" in addr
        # The MSS option we send: the MTU less the IP and TCP headers (Linux's tcp_advertise_mss).
        self.adv_mss = self._cfg.mss if self._cfg.mss is not None else self._cfg.mtu - (60 if ipv6 else 40)
        self._default_peer_mss = DEFAULT_MSS_IPV6 if ipv6 else DEFAULT_MSS
        # False: report only the segments to send (no explanations, no TCB
        # snapshots), for bulk runs such as the benchmark.
        self.explaining = True
        self._notes: list[Note] = []
        self.corked = False  # TCP_CORK (Linux's TCP_NAGLE_CORK): a partial last segment waits (set_cork)
        self._cork_call = False  # MSG_MORE on the write being pushed: tcp_push with TCP_NAGLE_CORK, this once
        self._pushing = False  # TCP_NAGLE_PUSH: this output ignores cork and Nagle (setting TCP_NODELAY)
        self._cork_timer = False  # the persist timer runs for corked data (Linux's ICSK_TIME_PROBE0)
        self.local_congestion = False  # the host's own queue drops all it is given (a qdisc of limit 0)
        self._fresh_tcb(iss)

    def _fresh_tcb(self, iss: int) -> None:
        """A new transmission control block (RFC 9293 section 3.3.1), all in CLOSED."""
        self.state = State.CLOSED
        self.remote_addr = ""
        self.remote_port = 0
        self.passive = False  # this connection came from a passive OPEN (LISTEN)
        self.wscale_ok = False  # both SYNs offered window scaling (RFC 7323 2.2)
        self.fastopen_child = False  # it took a Fast Open SYN's data before its handshake ended (RFC 7413)
        self.syn_data_acked = False  # tcpi_options' TCPI_OPT_SYN_DATA: data on the SYN was acknowledged
        self.fastopen_queue_full = False  # its listener holds as many Fast Open children as it may
        self._fastopen_reply: FastOpen | None = None  # the Fast Open option our SYN,ACK carries
        self._fastopen_syn: fastopen.ClientSyn | None = None  # a Fast Open client's SYN (RFC 7413 4.1.3)
        self.fastopen_answered: fastopen.SynAnswered | None = None  # its SYN,ACK, for the cookie cache
        self.write_pending = False  # a blocking Fast Open write waits for the handshake (sk_write_pending)
        # Send sequence variables (RFC 9293 section 3.3.1)
        self.iss = SeqNum(iss)
        self.snd_una = self.iss
        self.snd_nxt = self.iss
        self.snd_wnd = 0
        self.snd_wl1 = SeqNum(0)
        self.snd_wl2 = SeqNum(0)
        self.max_snd_wnd = 0  # RFC 5961 section 5.2
        # Receive sequence variables
        self.irs = SeqNum(0)
        self.rcv_nxt = SeqNum(0)
        # Negotiated at the handshake
        self.snd_mss = self._default_peer_mss
        self.snd_wscale = 0
        self.rcv_wscale = 0
        self.peer_sack_permitted = False
        # Send side: data not yet sent, the retransmission queue, the FIN
        self._unsent = bytearray()
        self._rtx: deque[_Sent] = deque()
        self._fin_queued = False
        self._fin_sent = False
        self.fin_acked = False
        # Receive side: data the application has not read, out-of-order segments
        self._readable = bytearray()
        self.recv_buffer = self._cfg.recv_buffer  # RCV.BUFF (a profile may round it at the handshake)
        self._ooo = Reassembly()  # out-of-order segments held (RFC 9293 3.10.7.4, seventh step)
        # the unread data as Linux charges it, per skb (skb_overhead), or None: counted in bytes
        self._rmem = ReceiveMemory(self.config.skb_overhead) if self.config.skb_overhead else None
        self._tail_clone: SeqNum | None = None  # where the receive queue's last skb starts, if it came as a clone
        # of a skb its sender keeps (loopback; see _queue_skb)
        self.loopback_peer_una: SeqNum | None = None  # on a loopback path, set by the network as a segment comes:
        # its sender's SND.UNA, below which the sender has freed the skbs it kept (None: not on loopback)
        self.arrived_alone = False  # on loopback, set by the network: the arriving segment left its sender alone
        self._gso_frames: deque[tuple[SeqNum, SeqNum]] = deque()  # unacknowledged GSO frames sent: start, end
        self._window_clamp: int | None = None  # window_clamp once a measured scaling ratio set it (else _clamp())
        self._backlog_data: tuple[int, int, bool] | None = None  # data that came while the socket was owned:
        # bytes, the largest segment, pushed (handled as one skb at the call's end: backlog_coalesce)
        self.eof = False  # the peer's FIN has been received in order
        self._read_closed = False  # the application closed fully: it reads no more
        # Timers
        self._timers: dict[Timer, float] = {}
        cfg = self._cfg
        self.rto = RtoEstimator(
            cfg.initial_rto,
            cfg.min_rto,
            cfg.max_rto,
            cfg.clock_granularity,
            cfg.rto_slop,
            floor_on_variance=cfg.rto_min_on_variance,
        )
        self._rtt_seq: SeqNum | None = None  # end of the segment being timed
        self._rtt_sent_at = 0.0
        self._retries = 0
        self._syn_was_retransmitted = False
        self._first_sent_at = 0.0  # when our SYN first went out (Linux's retrans_stamp for SYNs)
        self._heard_at = 0.0  # when a segment last came from the peer: keep-alive's quiet time counts from it
        self.data_received_at = 0.0  # when data last came in order, or the connection was established (lrcvtime)
        self._last_data_sent = 0.0  # when data last went out (lsndtime): a quiet sender restarts cwnd
        self._keepalive_probes = 0  # keep-alive probes sent since then
        self._oow_answered_at: float | None = None  # the last answer to a repeated SYN or an out-of-window
        # segment (Linux's tcp_oow_rate_limited, one clock for both)
        self._persist_backoff = 0
        self._probing_since = 0.0  # when zero-window probing began (the user timeout counts from it)
        self.probes_out = 0  # probes sent without an answer (Linux's icsk_probes_out, tcpi_probes)
        self._resource_since: float | None = None  # the first retry after a local drop (icsk_probes_tstamp)
        self._dupacks = 0
        # cwnd and ssthresh (RFC 5681), with the settings of its recovery and slow start
        self.cc = Congestion(
            cfg.congestion,
            cfg.initial_window,
            prr=cfg.prr,
            hystart=cfg.hystart,
            cubic_first_growth=cfg.cubic_first_growth,
            cubic_min_rtt=cfg.cubic_min_rtt,
            ssthresh_from_cwnd=cfg.ssthresh_from_cwnd,
            cwr_prr=cfg.cwr_prr,
            slow_start_limit=cfg.slow_start_limit,
            cwnd_limited_growth=cfg.cwnd_limited_growth,
        )
        self._ack_rtt: float | None = None  # the RTT sample the last ACK gave, if any (for HyStart)
        self._resend_next = SeqNum(0)  # after a timeout: where the segments not yet sent again start
        self._rack = Rack()  # RACK's state (RFC 8985 6.1), with loss_detection = "rack"
        self._tlp_high: SeqNum | None = None  # SND.NXT when the tail loss probe went (RFC 8985 7.3's TLP.end_seq)
        self._tlp_resent = False  # the probe was a retransmission
        self._tlp_dsack = False  # a D-SACK reported the probe as a duplicate
        self._sacked_out = 0  # segments of the queue the peer has SACKed (Linux's sacked_out)
        self.reordering = DUPTHRESH  # how far, in segments, the network has been seen to reorder (tp->reordering)
        self.reord_seen = 0  # how many times reordering was seen (tp->reord_seen)
        self._delivered = 0  # bytes the last ACK newly acknowledged or SACKed (RFC 6937's DeliveredData)
        self.delivered_packets = 0  # segments acknowledged or SACKed so far, the SYN's too (Linux's tp->delivered)
        self._syn_retransmits = 0  # SYN or SYN,ACK timeouts: a lost one shrinks the initial window
        # Pending acknowledgement (RFC 9293 3.10.7.4: "send an acknowledgment")
        self._ack_pending = False
        self._unacked_full_segments = 0
        self._ack_key: SendKey = SendKey.ACK_DATA  # which sentence explains the ACK owed
        self._window_update = False  # the owed ACK announces an opened window
        self._owned = False  # the application's system call holds the socket (Linux: sock_owned_by_user)
        self._ack_deferred = False  # an ACK due at once waits for that call's end (tcp_backlog_ack_defer)
        self._syn_text: Segment | None = None  # data/FIN that came on a SYN, for later
        self._ecn_ok = False  # an ECN-setup SYN was answered with ECE (RFC 3168 6.1.1)
        self._ecn_asked = False  # the last SYN sent was an ECN-setup SYN
        self._demand_cwr = False  # a CE mark was received: ACKs carry ECE until CWR comes (TCP_ECN_DEMAND_CWR)
        self._ts_ok = False  # both sides offered timestamps (RFC 7323)
        self._ts_recent = 0  # TS.Recent: the peer's last timestamp value
        self._ts_options = NO_OPTIONS  # the options last built with timestamps alone (see _segment_options)
        self._ts_offset = _ts_offset(iss) if cfg.ts_offset else 0  # Linux: a per-connection offset (seeded: the ISN)
        self._rcv_wup = SeqNum(0)  # RCV.NXT when the last ACK was sent (RFC 7323 4.3's Last.ACK.sent)
        self._initial_window = 0  # the window chosen for our SYN (Linux: a whole number of segments)
        self._rcv_ssthresh = 0  # the most Linux offers now: the SYN's window, grown as bulk data arrives
        self._dsack: tuple[SeqNum, SeqNum] | None = None  # a duplicate to report in the next ACK (RFC 2883)
        self._snd_sml = self.iss  # the end of the last small segment sent (Nagle, Minshall's variant)
        self._syn_data_resent = self.iss  # the end of a Fast Open SYN's data sent again: a retransmission
        self._pushed_seq = self.iss  # where the last PSH was set (Linux's forced_push)
        self._write_ends: deque[SeqNum] = deque()  # where the application's writes end, not yet sent
        self._record_ends: deque[SeqNum] = deque()  # where a MSG_EOR write ends: no segment crosses it
        self.chrono = Chrono()  # how the sender's time is spent (Linux's tcp_chrono_*, for tcp_info)
        self._window_held = False  # the last output stopped because the next segment did not fit the window
        self._ack_scheduled = False  # data or a FIN arrived that no ACK has covered yet (Linux's ICSK_ACK_SCHED)
        self._last_wnd = 0  # the window last announced
        self._rcv_adv: int | None = None  # the right edge last announced, RCV.NXT + RCV.WND then
        self._acks = (
            LinuxAcks(cfg.delayed_ack_min, cfg.delayed_ack_timeout, cfg.quickacks)
            if cfg.ack_policy is AckPolicy.LINUX
            else None
        )
        self._clock = 0.0  # the last time passed in, for timestamp values
        self.error: ErrorKey | None = None

    # ------------------------------------------------------------------ settings
    @property
    def config(self) -> EndpointConfig:
        """The profile's settings (a socket option may replace them on a live connection)."""
        return self._cfg

    @config.setter
    def config(self, cfg: EndpointConfig) -> None:
        # The settings read on every segment, resolved once into plain attributes.
        self._cfg = cfg
        self._rack_on = cfg.loss_detection is LossDetection.RACK  # RACK-TLP (RFC 8985), not DupThresh
        self._sack_offered = cfg.sack_permitted and not cfg.no_options  # our SYN offers SACK (RFC 2018)
        self.auto_read = cfg.auto_read  # the application takes data the moment it arrives
        self._window_is_buffer = cfg.window_is_buffer

    # ------------------------------------------------------------------ views
    @property
    def rcv_wnd(self) -> int:
        """RCV.WND: room left in the receive buffer, as far as the window field can announce it.

        With ``auto_read`` the application takes data the moment it arrives,
        so the window stays fully open.  Without window scaling no more than
        65535 bytes can be announced, so no more is accepted (unless the
        profile's ``window_is_buffer`` says otherwise, as FreeBSD does for full
        connections; its embryonic passive ones keep the announced window).
        """
        free = self._free_space()
        if self._window_is_buffer and not (self.state is State.SYN_RECEIVED and self.passive):
            return free
        if self._initial_window:
            wnd = self._linux_window(free)
            adv = self._rcv_adv
            if adv is not None:  # never move the right edge back (RFC 9293 3.8.6.2.2)
                edge = _isub(adv, self.rcv_nxt) & MASK  # (as adv.since(rcv_nxt) when not behind)
                if wnd < edge <= HALF:
                    return edge
            return wnd
        return min(free, 65535 << self.rcv_wscale)

    def _free_space(self) -> int:
        """Room left in the receive buffer: all of it with ``auto_read`` (the application takes data at once).
        With ``skb_overhead`` as Linux counts it (tcp_space): the unread skbs' truesize against a buffer twice
        the window, the rest turned back into a window (tcp_win_from_space: scaling_ratio, 1/2 until measured)."""
        if self.auto_read:
            return self.recv_buffer
        if self._rmem is not None:
            return self._rmem.free_window(self.recv_buffer)
        return max(0, self.recv_buffer - len(self._readable))

    def _linux_window(self, free: int) -> int:
        """The window Linux offers (``__tcp_select_window``), with receiver SWS avoidance (RFC 9293 3.8.6.2.2).

        Never more than rcv_ssthresh: the window chosen for the SYN, grown as a bulk transfer goes on
        (``_grow_window``).  When less than half the buffer is free the window shrinks in
        whole units and closes below one segment; with scaling it is rounded up to the scale's unit,
        without it down to a whole number of the segments the peer sends.
        """
        unit = 1 << self.rcv_wscale
        mss = self._acks.rcv_mss if self._acks is not None else self._rcv_mss_guess()
        if free < self._full_space() // 2:
            free -= free % unit
            if free < mss:
                return 0
        wnd = min(free, self._rcv_ssthresh, 65535 << self.rcv_wscale)
        if self.rcv_wscale:
            return -(-wnd // unit) * unit
        if self._rmem is not None:  # __tcp_select_window keeps the window offered while within a segment of wnd
            offered = self._last_wnd or self._initial_window  # tp->rcv_wnd
            if wnd - mss < offered <= wnd:
                return offered
        return wnd - wnd % mss if wnd >= mss else wnd

    def _full_space(self) -> int:
        """__tcp_select_window's full_space: the window the whole buffer offers (tcp_full_space), at most
        window_clamp once a measured scaling ratio has set it.  The buffer's window without skb memory."""
        rmem = self._rmem
        if rmem is None:
            return self.recv_buffer
        full = rmem.full_window(self.recv_buffer)
        return full if self._window_clamp is None else min(full, self._window_clamp)

    @property
    def unsent(self) -> int:
        """Bytes the application has handed over that are not yet sent."""
        return len(self._unsent)

    @property
    def readable(self) -> int:
        """Bytes received in order that the application has not read yet."""
        return len(self._readable)

    @property
    def disordered(self) -> bool:
        """Linux's TCP_CA_Disorder condition (tcp_try_keep_open): segments the peer SACKed or that are marked
        lost (tcp_left_out; without SACK, duplicate ACKs count as SACKs, tcp_add_reno_sack), or a
        retransmission not yet acknowledged (tcp_any_retrans_done)."""
        return bool(self._sacked_out or self._dupacks or any(e.lost or e.retransmitted for e in self._rtx))

    @property
    def fin_sent(self) -> bool:
        """True once our FIN has been sent."""
        return self._fin_sent

    @property
    def ts_ok(self) -> bool:
        """Both sides use timestamps (RFC 7323): tcpi_options' TCPI_OPT_TIMESTAMPS."""
        return self._ts_ok

    @property
    def sack_ok(self) -> bool:
        """Both sides offered SACK-permitted (RFC 2018): tcpi_options' TCPI_OPT_SACK."""
        return self._sacking()

    def tcb(self) -> TcbView:
        """A snapshot of the TCB variables."""
        cc = self.cc
        return TcbView(
            self.state,
            self.iss,
            self.irs,
            self.snd_una,
            self.snd_nxt,
            self.snd_wnd,
            self.rcv_nxt,
            self.rcv_wnd,
            cc.cwnd if cc.active else None,
            cc.ssthresh,
            self.snd_nxt.since(self.snd_una),
        )

    def next_timer(self) -> float | None:
        """The earliest deadline at which ``on_timer`` must be called, if any."""
        return min(self._timers.values()) if self._timers else None

    def timer_deadline(self, timer: Timer) -> float | None:
        """When ``timer`` will fire, or ``None`` if it is not running."""
        return self._timers.get(timer)

    @property
    def has_sends(self) -> bool:
        """True when ``drain`` would return a segment to send."""
        return any(note.kind is NoteKind.SEND for note in self._notes)

    @property
    def has_notes(self) -> bool:
        """True when there are reports that ``drain`` would return."""
        return bool(self._notes)

    def drain(self) -> list[Note]:
        """Everything reported since the last call, in order; SEND notes carry segments."""
        notes, self._notes = self._notes, []
        return notes

    # ------------------------------------------------------------- user calls
    def listen(self, now: float, *, for_listener: bool = False) -> None:
        """Passive OPEN (RFC 9293 section 3.10.1).  ``for_listener``: not the application's call, but the
        host making a new connection for a listening socket's SYN (Linux's request sock, then the child)."""
        if not for_listener:
            self._app(AppKey.LISTEN)
        if self.state is not State.CLOSED:
            raise UserCallError(f"{self.name}: cannot listen: the connection is {self.state}, not CLOSED")
        self.passive = True
        self._move(State.LISTEN, StateKey.LISTEN_CHILD if for_listener else StateKey.LISTEN)

    def connect(
        self,
        remote_addr: str,
        remote_port: int,
        now: float,
        *,
        iss: int | None = None,
        fast_open: fastopen.ClientSyn | None = None,
    ) -> None:
        """Active OPEN (RFC 9293 section 3.10.1): send a SYN and enter SYN-SENT.

        ``iss`` gives a new initial sequence number (a reopened connection); ``fast_open`` a Fast Open
        SYN's option and data (RFC 7413 4.1.3: a cookie request, or a cookie and data).
        """
        self._app(AppKey.CONNECT, remote=f"{remote_addr}:{remote_port}")
        if self.state is not State.CLOSED:
            raise UserCallError(f"{self.name}: cannot connect: the connection is {self.state}, not CLOSED")
        if iss is not None:
            self._fresh_tcb(iss)
        self.remote_addr, self.remote_port = remote_addr, remote_port
        self.passive = False
        self.snd_una = self.iss
        self.snd_nxt = self.iss + 1
        self._clock = self._first_sent_at = now
        self._choose_initial_window(self.adv_mss)
        self._move(State.SYN_SENT, StateKey.CONNECT)
        syn = SYN | ECE | CWR if self._cfg.ecn else SYN  # RFC 3168 6.1.1: an ECN-setup SYN
        self._ecn_asked = self._cfg.ecn
        options = self._syn_options(reply_to=None)
        self._fastopen_syn = fast_open
        data = b""
        if fast_open is not None:  # Linux's tcp_send_syn_data
            options, data = replace(options, fastopen=fast_open.option), fast_open.data
            if data:
                self._app(AppKey.SEND, n=len(data))
        self._transmit(self.iss, syn, data, now, SendKey.SYN, options=options)
        if self._cfg.connect_timeout is not None:
            self._start(Timer.ESTABLISH, now + self._cfg.connect_timeout)

    def send(self, data: bytes, now: float, *, more: bool = False, eor: bool = False) -> int:
        """SEND (RFC 9293 section 3.10.2): queue data; it goes out as the window allows.

        Returns how many bytes the send buffer took: all of them unless ``send_buffer``
        is set and full (a blocking application then waits for ACKs to make room).
        ``more`` is Linux's MSG_MORE: more data follows, so this write is neither pushed (no PSH at
        its end) nor is its partial last segment sent now (tcp_push with TCP_NAGLE_CORK).
        ``eor`` is MSG_EOR: the write, taken whole, ends a record, and no segment carries bytes of both
        sides of its end (Linux marks the skb ``eor``, and tcp_skb_can_collapse_to then refuses to append
        to it: neither the next write nor a retransmission joins it).
        """
        self._clock = now  # (a timestamp on what goes out now must say now)
        state = self.state
        if state is State.CLOSED or state is State.LISTEN:
            raise UserCallError(f"{self.name}: cannot send: the connection does not exist ({state})")
        if self._fin_queued:
            raise UserCallError(f"{self.name}: cannot send: the connection is closing (FIN already queued)")
        n_asked = len(data)
        limit = self._cfg.send_buffer
        if limit is not None and self._cfg.skb_overhead:  # Linux's skbs and their truesize
            data = data[: self.send_buffer_takes(len(data), limit)]
        elif limit is not None:  # unsent and unacknowledged data share the buffer
            data = data[: max(0, limit - len(self._unsent) - self.snd_nxt.since(self.snd_una))]
        if data:
            whole = eor and len(data) == n_asked
            self._app(AppKey.SEND, n=len(data))
            if not self._unsent:  # tcp_add_write_queue_tail: the write queue was empty
                self.chrono.start(ChronoKind.BUSY, now)
                self._restart_after_idle(now)
            if self._cfg.forced_push:
                self._join_unsent_tail()
            self._unsent += data
            if whole:
                self._record_ends.append(self.snd_nxt + len(self._unsent))
            if self._cfg.forced_push and not more:  # Linux's tcp_push: the end of each write is pushed
                self._write_ends.append(self.snd_nxt + len(self._unsent))
            self._cork_call = more
            try:
                self._flush(now)
            finally:
                self._cork_call = False
        return len(data)

    def _join_unsent_tail(self) -> None:
        """A write that adds to data waiting unsent ends the earlier write's PSH: Linux's PSH is a mark on an
        skb (tcp_mark_push, at the end of each write: tcp_push), and the unsent skb's end moves past it.
        A write whose first bytes join the tail skb takes its PSH away (tcp_sendmsg_locked: ``if (!copied)
        TCP_SKB_CB(skb)->tcp_flags &= ~TCPHDR_PSH``) while the tail is below the size goal; a write that
        starts a new skb sees it pulled into the head by tcp_write_xmit's tcp_grow_skb while cwnd has room
        for more than the head, the head's PSH now at the new end.  Not after MSG_EOR (tcp_skb_can_collapse).
        The cleared end still counts as pushed for forced_push: tcp_mark_push set pushed_seq there."""
        tail_end = self.snd_nxt + len(self._unsent)
        if not self._unsent or not self._write_ends or self._write_ends[-1] != tail_end:
            return
        if self._record_ends and self._record_ends[-1] == tail_end:
            return
        if len(self._unsent) < self.send_size_goal() or self._cwnd_allows(len(self._unsent) + 1):
            self._write_ends.pop()
            self._pushed_seq = tail_end

    @property
    def wmem_queued(self) -> int:
        """Linux's sk_wmem_queued with ``skb_overhead``: the truesize of every skb not yet acknowledged.  Each
        segment sent is an skb of its own (tso_fragment cuts it from the queue's head, at the cost of a new
        skb); what waits unsent is one skb, as tcp_write_xmit's tcp_grow_skb keeps pulling the following skbs
        into the head (Linux 6.10+)."""
        overhead = self.config.skb_overhead
        sent = sum(len(e.payload) + overhead for e in self._rtx)
        return sent + (len(self._unsent) + overhead if self._unsent else 0)

    def send_size_goal(self) -> int:
        """tcp_xmit_size_goal: how much data one skb of the write queue takes, whole segments of half the
        peer's largest window (tcp_bound_to_half_wnd), at most a GSO frame, at least one segment."""
        mss = self._send_mss()
        goal = GSO_MAX_SIZE
        if self.max_snd_wnd > DEFAULT_MSS:
            goal = min(goal, self.max_snd_wnd // 2)
        elif self.max_snd_wnd:
            goal = min(goal, self.max_snd_wnd)
        return max(goal // mss * mss, mss)

    def send_buffer_takes(self, n: int, limit: int) -> int:
        """How many of ``n`` bytes a write puts in a send buffer of ``limit`` bytes (sk_sndbuf) counted in
        skb truesize (tcp_sendmsg_locked): data joins the last unsent skb up to the size goal without a check;
        a new skb is started only while sk_wmem_queued < sk_sndbuf (sk_stream_memory_free), and then takes up
        to the size goal, charged its payload (the skb itself joins the unsent head: tcp_grow_skb)."""
        goal, overhead = self.send_size_goal(), self.config.skb_overhead
        queued, tail, taken = self.wmem_queued, len(self._unsent), 0
        while taken < n:
            room = goal - tail if tail else 0
            if room <= 0:
                if queued >= limit:  # sk_stream_memory_free fails: wait_for_space (EAGAIN, or sleep)
                    break
                room = goal
                queued += 0 if tail else overhead  # a new head; a later one is merged into it
            chunk = min(room, n - taken)
            tail += chunk
            queued += chunk
            taken += chunk
        return taken

    def _restart_after_idle(self, now: float) -> None:
        """RFC 5681 4.1: a sender quiet for longer than an RTO no longer knows the network, so cwnd
        restarts (Linux's tcp_slow_start_after_idle_check, when a write starts a new buffer with nothing
        in flight; tcp_cwnd_restart halves cwnd per RTO of quiet, down to the initial window)."""
        if not self._cfg.slow_start_after_idle or self._rtx or not self.cc.active:
            return  # (the setting is off, or something is in flight: tcp_slow_start_after_idle_check)
        idle = now - self._last_data_sent
        if idle > self.rto.rto:
            self._report(self.cc.restart_after_idle(idle, self.rto.rto))

    def set_cork(self, on: bool, now: float) -> None:
        """TCP_CORK (Linux's tcp_sock_set_cork): while corked, a partial last segment waits for more data,
        for uncorking, or for the probe timer (tcp_check_probe_timer, at most the RTO) when nothing is in
        flight; uncorking sends what waits (tcp_push_pending_frames)."""
        self.corked = on
        if not on and self.state.synchronized:
            self._flush(now)

    def push(self, now: float) -> None:
        """Send what waits, as far as window and cwnd allow, whatever cork and Nagle say (TCP_NAGLE_PUSH:
        Linux's answer to setting TCP_NODELAY, __tcp_sock_set_nodelay)."""
        if not self.state.synchronized:
            return
        self._pushing = True
        try:
            self._flush(now)
        finally:
            self._pushing = False

    def receive(self, max_bytes: int | None = None, now: float = 0.0) -> bytes:
        """RECEIVE (RFC 9293 section 3.10.3): take in-order data; may open the window."""
        n = len(self._readable) if max_bytes is None else min(max_bytes, len(self._readable))
        if n == 0:
            return b""
        self._clock = now
        before = self.rcv_wnd
        data = bytes(self._readable[:n])
        del self._readable[:n]
        if self._rmem is not None:
            self._rmem.read(n)
        if self.explaining:  # (a note with arguments: not built for a bulk run)
            self._app(AppKey.READ, n=n)
        cfg = self._cfg
        if self._rcv_ssthresh and not cfg.fixed_recv_buffer:  # tcp_rcv_space_adjust: a reader earns a bigger buffer
            self.recv_buffer = max(self.recv_buffer, min(2 * self._rcv_ssthresh, cfg.recv_buffer_max))
        acks = self._acks
        if (
            acks is not None
            and self._ack_scheduled
            and self.state.synchronized  # after a FIN too: tcp_cleanup_rbuf's ACK does not look at RCV_SHUTDOWN
            and (self.rcv_nxt.since(self._rcv_wup) > acks.rcv_mss or acks.read_wants_ack(n, not self._readable))
        ):
            self._ack_pending, self._ack_key = True, SendKey.ACK_PUSHED_READ  # tcp_cleanup_rbuf
            self._flush(now)
            before = self.rcv_wnd  # that ACK announced the opened window: one ACK per read, as tcp_cleanup_rbuf
        # RFC 9293 3.8.6.2.2 (receiver SWS avoidance): announce the opened window
        # when it grew by min(RCV.BUFF/2, MSS) and the connection still receives.
        # (A window already that wide is not asked again: the usual case.)
        threshold = min(self._cfg.recv_buffer // 2, self.adv_mss)
        if before < threshold and self.state in _TAKES_TEXT and self.rcv_wnd - before >= threshold:
            self._ack_pending = True
            self._window_update = True
            self._flush(now)
        return data

    def close(self, now: float, *, read_too: bool = False) -> None:
        """CLOSE (RFC 9293 section 3.10.4): "I have no more to send" (a half-close).

        With ``read_too`` the application also stops reading (a socket's
        ``close()``): unread or later data is answered by RST (RFC 1122 4.2.2.13).
        """
        self._app(AppKey.CLOSE if read_too else AppKey.SHUTDOWN)
        self._clock = now
        state = self.state
        if read_too:
            self._read_closed = True
            if self._readable and state in (State.ESTABLISHED, State.CLOSE_WAIT, State.SYN_RECEIVED):
                self._reset_connection(now, SendKey.RST_UNREAD_DATA, StateKey.RST_UNREAD_DATA)
                return
        if state is State.CLOSED:
            raise UserCallError(f"{self.name}: cannot close: the connection does not exist")
        if state in (State.LISTEN, State.SYN_SENT):
            self._move(State.CLOSED, StateKey.CLOSE_BEFORE_SYNC)
            self._stop_all_timers()
            return
        if state in (State.SYN_RECEIVED, State.ESTABLISHED):
            self._fin_queued = True
            self._move(State.FIN_WAIT_1, StateKey.CLOSE)
            self._flush(now)
            return
        if state is State.CLOSE_WAIT:
            self._fin_queued = True
            self._move(State.LAST_ACK, StateKey.CLOSE_AFTER_FIN)
            self._flush(now)
            return
        if read_too:  # already half-closed; closing fully only stops reading
            return
        raise UserCallError(f"{self.name}: cannot close: the connection is already closing ({state})")

    def abort(self, now: float) -> None:
        """ABORT (RFC 9293 section 3.10.5): send RST where a peer exists, then CLOSED."""
        self._app(AppKey.ABORT)
        state = self.state
        if state in (State.SYN_RECEIVED, State.ESTABLISHED, State.FIN_WAIT_1, State.FIN_WAIT_2, State.CLOSE_WAIT):
            self._reset_connection(now, SendKey.RST_ABORT, StateKey.RST_ABORT)
            return
        if state is State.CLOSED:
            raise UserCallError(f"{self.name}: cannot abort: the connection does not exist")
        self._stop_all_timers()
        self._move(State.CLOSED, StateKey.ABORT_QUIET)

    def takes_new_syn(self, seg: Segment) -> bool:
        """RFC 1122 4.2.2.13: may a SYN reopen this connection from TIME-WAIT?

        Only a SYN (no ACK, no RST) whose sequence number lies beyond
        everything of the old incarnation.  The driver then ends the old
        connection (``end_time_wait``) and hands the SYN to the listener.
        """
        return (
            self._cfg.time_wait_reuse
            and self.state is State.TIME_WAIT
            and bool(seg.flags & SYN)
            and not seg.flags & (ACK | RST)
            and not (self._cfg.drop_synfin and seg.flags & FIN)
            and seg.seq > self.rcv_nxt
        )

    def end_time_wait(self, now: float) -> None:
        """Delete a TIME-WAIT connection early, because a new incarnation takes its place."""
        self._stop_all_timers()
        self._move(State.CLOSED, StateKey.TIME_WAIT_REOPENED)

    def crash(self, now: float) -> None:
        """The host fails and forgets the connection: no segment is sent (RFC 9293 Fig. 9/10)."""
        self._app(AppKey.CRASH)
        self._stop_all_timers()
        self._rtx.clear()
        self._unsent.clear()
        self._readable.clear()
        if self._rmem is not None:
            self._rmem.clear()
        self._tail_clone = None
        self._ooo.clear()
        if self.state is not State.CLOSED:
            self._move(State.CLOSED, StateKey.CRASH)

    # ------------------------------------------------------- segment arrival
    def on_segment(self, seg: Segment, now: float) -> None:
        """SEGMENT ARRIVES (RFC 9293 section 3.10.7), for every state."""
        slot = len(self._notes)
        if self.explaining:
            self._notes.append(None)  # type: ignore[arg-type]  # filled with the RECEIVE note below
        state = self.state
        una_before = self.snd_una
        self._clock = self._heard_at = now
        self._keepalive_probes = 0
        if seg.options.timestamps is not None and not (self._ts_ok and state.synchronized):
            self._ts_recent = seg.options.timestamps[0]  # a SYN's TSval, echoed in the answer
        fast = fast_arrive(self, seg, now) if state is State.ESTABLISHED else None  # header prediction
        if fast is not None:
            key = fast
        elif self._cfg.drop_synfin and seg.flags & SYN and seg.flags & FIN and state is not State.CLOSED:
            key = ReceiveKey.SYNFIN_DROPPED  # FreeBSD's net.inet.tcp.drop_synfin
        elif state is State.CLOSED:
            key = self._arrive_closed(seg)
        elif state is State.TIME_WAIT and self._cfg.bsd_time_wait:
            key = self._arrive_time_wait_bsd(seg, now)
        elif state is State.LISTEN:
            key = self._arrive_listen(seg, now)
        elif state is State.SYN_SENT:
            key = self._arrive_syn_sent(seg, now)
        else:
            key = self._arrive_synchronized(seg, now)
        if self.explaining:
            args = (("acked", self.snd_una.since(una_before)), ("before", state.value), ("dupacks", self._dupacks))
            self._notes[slot] = Note(NoteKind.RECEIVE, key, self.tcb(), seg, args, shown=self._tcb_at_arrival(slot))
        self._flush(now)

    def _tcb_at_arrival(self, slot: int) -> TcbView:
        """The TCB shown beside the RECEIVE note at ``slot``: as it stood when the arrival's
        first consequence (a state move, an RTT sample, data, ...) was noted, so that no
        variable steps backwards from the arrival to the notes that follow it."""
        if len(self._notes) == slot + 1:
            return self.tcb()
        first = self._notes[slot + 1]
        if first.kind is NoteKind.STATE and first.old_state is not None:
            return first.tcb._replace(state=first.old_state)  # the move is the next event's
        return first.tcb

    def _arrive_closed(self, seg: Segment) -> ReceiveKey:
        # RFC 9293 3.10.7.1: all data is discarded; an incoming RST is ignored;
        # anything else is answered by a RST.
        answer = closed_reply(seg)
        if answer[0] is None:
            return answer[1]
        self._emit(*answer)
        return ReceiveKey.CLOSED_RESET

    def _arrive_listen(self, seg: Segment, now: float) -> ReceiveKey:
        # RFC 9293 3.10.7.2
        if seg.flags & RST:  # first: an incoming RST is ignored
            return ReceiveKey.LISTEN_RST_IGNORED
        if seg.flags & ACK:  # second: any ACK is bad in LISTEN
            self._emit_rst(seg.ack, seg, SendKey.RST_LISTEN_ACK)
            return ReceiveKey.LISTEN_ACK_RESET
        if not seg.flags & SYN:  # fourth: anything else is dropped
            return ReceiveKey.LISTEN_OTHER_DROPPED
        # third: a SYN.  RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ, send <SYN,ACK>.
        self.remote_addr, self.remote_port = seg.src_addr, seg.src_port
        self.irs = seg.seq
        self.rcv_nxt = seg.seq + 1
        self._learn_syn_options(seg)
        self._choose_initial_window(self._rcv_mss_guess())
        self.snd_wnd = seg.window  # the window in a SYN is never scaled (RFC 7323 2.2)
        self.max_snd_wnd = max(self.max_snd_wnd, self.snd_wnd)
        self.snd_wl1, self.snd_wl2 = seg.seq, seg.ack
        self.snd_una = self.iss
        self.snd_nxt = self.iss + 1
        self._move(State.SYN_RECEIVED, StateKey.RCV_SYN)
        taken = self._fast_open(seg, now)
        key = SendKey.SYN_ACK_FAST_OPEN if taken else SendKey.SYN_ACK
        key = SendKey.SYN_ACK_COOKIE if self._fastopen_reply is not None else key
        # RFC 3168 6.1.1: an ECN-setup SYN (ECE and CWR) is answered with ECE (Linux's tcp_ecn_create_request)
        self._ecn_ok = self._cfg.ecn_answer and seg.flags & (ECE | CWR) == ECE | CWR
        key = SendKey.SYN_ACK_ECN if self._ecn_ok and key is SendKey.SYN_ACK else key
        self._transmit(self.iss, self._syn_ack_flags(), b"", now, key, options=self._syn_options(reply_to=seg))
        if self._cfg.connect_timeout is not None:
            self._start(Timer.ESTABLISH, now + self._cfg.connect_timeout)
        if taken:
            return ReceiveKey.LISTEN_SYN_FAST_OPEN
        if not seg.payload and not seg.flags & FIN:
            return ReceiveKey.LISTEN_SYN
        if self._cfg.syn_data_dropped:  # Linux's tcp_conn_request frees the SYN with its data
            return ReceiveKey.LISTEN_SYN_DATA_DROPPED
        # 3.10.7.2: "any other control or text should be queued for
        # processing later"; it is acknowledged once the handshake is done.
        self._syn_text = seg
        return ReceiveKey.LISTEN_SYN_WITH_DATA

    def _syn_ack_flags(self) -> Flags:
        """A SYN,ACK's flags: ECE too once an ECN-setup SYN was accepted, resent ones included (tcp_ecn_make_synack)."""
        return SYN | ACK | ECE if self._ecn_ok else SYN | ACK

    def _fast_open(self, seg: Segment, now: float) -> bool:
        """A listener's part of TCP Fast Open (RFC 7413 4.2.2, Linux's tcp_try_fastopen): the data of a SYN
        with a valid cookie is taken now, and the child starts its transfer at once (tcp_fastopen_create_child);
        a cookie request, or a wrong cookie, is answered with the right cookie on the SYN,ACK."""
        cfg = self._cfg
        bits = cfg.fastopen
        if bits & fastopen.FastOpenBits.SERVER and not cfg.fastopen_queue:
            bits &= ~fastopen.FastOpenBits.SERVER  # tcp_fastopen_queue_check: no TCP_FASTOPEN, no Fast Open
        answer = fastopen.server_answer(
            bits, not self.fastopen_queue_full, fastopen.parse_key(cfg.fastopen_key), seg, self.addr
        )
        self._fastopen_reply = answer.option
        if not answer.take_data:
            return False
        self.fastopen_child = True
        self._after_handshake()  # tcp_init_transfer: the child may send before the handshake ends
        if seg.payload:  # tcp_fastopen_add_skb: queued for the application, RCV.NXT past it
            self._readable += seg.payload
            if self._rmem is not None:
                self._rmem.queued(len(seg.payload), in_backlog=False)
            self.rcv_nxt = self.rcv_nxt + len(seg.payload)
            self.data_received_at = now
            self.syn_data_acked = True
        if seg.flags & FIN:
            self._syn_text = _trim_front(seg, len(seg.payload))  # the FIN, taken once the handshake ends
        return True

    def _arrive_syn_sent(self, seg: Segment, now: float) -> ReceiveKey:
        # RFC 9293 3.10.7.3
        flags = seg.flags
        ack_ok = False
        if flags & ACK:  # first: check the ACK
            top = max(self.snd_nxt, self._syn_data_resent)  # (Linux's snd_nxt: past a Fast Open SYN's data)
            if seg.ack <= self.iss or seg.ack > top:
                if flags & RST:
                    return ReceiveKey.SYN_SENT_BAD_ACK_RST_DROPPED
                self._emit_rst(seg.ack, seg, SendKey.RST_SYN_SENT_BAD_ACK)
                return ReceiveKey.SYN_SENT_BAD_ACK
            ack_ok = self.snd_una < seg.ack <= top
            if self._cfg.synack_tsecr_check and not self._echoes_our_syn(seg):
                if not flags & RST:  # (reset_and_undo: tcp_v4_send_reset answers no RST)
                    self._emit_rst(seg.ack, seg, SendKey.RST_SYN_SENT_BAD_TSECR)
                return ReceiveKey.SYN_SENT_BAD_TSECR
        if flags & RST:  # second: check the RST (RFC 5961 3.2: only with an acceptable ACK)
            if ack_ok:
                self._fail(now, ErrorKey.REFUSED, StateKey.SYN_SENT_RST)
                return ReceiveKey.SYN_SENT_RST
            return ReceiveKey.SYN_SENT_RST_NO_ACK
        if not flags & SYN:  # fifth: neither SYN nor RST
            return ReceiveKey.SYN_SENT_NO_SYN
        # fourth: the SYN
        self.remote_addr, self.remote_port = seg.src_addr or self.remote_addr, seg.src_port
        self.irs = seg.seq
        self.rcv_nxt = seg.seq + 1
        self._learn_syn_options(seg)
        if ack_ok and seg.ack > self.snd_nxt:  # the data of the first SYN arrived, though the SYN went again
            self._skip_unsent(seg.ack)
        if ack_ok:
            self._acknowledge(seg.ack, now)
        if ack_ok and self._fastopen_syn is not None:  # after tcp_ack, as tcp_rcv_synsent_state_process calls it
            self._fastopen_syn_ack(self._fastopen_syn, seg)  # (a SYN,ACK: a simultaneous open's SYN keeps the data)
        if self.snd_una > self.iss:  # our SYN has been ACKed
            # RFC 3168 6.1.1: an ECN-setup SYN answered by an ECN-setup SYN,ACK (ECE without CWR): ECN is on
            self._ecn_ok = self._ecn_asked and flags & (ECE | CWR) == ECE  # (tcp_ecn_rcv_synack)
            self._update_window(seg, now, force=True)
            self._move(State.ESTABLISHED, StateKey.RCV_SYN_ACK)
            self._after_handshake()
            if self.write_pending:  # Linux's tcp_rcv_synsent_state_process: "save one ACK", the data carries it
                self._ack_key = SendKey.ACK_DELAYED
                self._start(Timer.DELAYED_ACK, now + self._cfg.delayed_ack_timeout)
                if self._acks is not None:  # tcp_enter_quickack_mode: ato = TCP_ATO_MIN, so the data sent
                    self._acks.enter_quickack(self.rcv_wnd)  # next makes the connection interactive
                    # (tcp_event_data_sent within ato of lrcvtime: pingpong)
            else:
                self._ack_pending = True
                self._ack_key = SendKey.ACK_OF_SYN
            if seg.payload or flags & FIN:
                self._take_text(seg, now)
            return ReceiveKey.SYN_SENT_SYN_ACK
        # Simultaneous open: SYN-RECEIVED, send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
        self.snd_wnd = seg.window
        self.max_snd_wnd = max(self.max_snd_wnd, self.snd_wnd)
        self.snd_wl1, self.snd_wl2 = seg.seq, seg.ack
        self._move(State.SYN_RECEIVED, StateKey.RCV_SYN_SIMULTANEOUS)
        head = self._rtx[0] if self._rtx else None
        self._rtx.clear()
        self._rtt_seq = None  # the SYN,ACK below replaces the SYN: time it afresh
        self._stop(Timer.RETRANSMIT)
        self._transmit(
            self.iss, SYN | ACK, b"", now, SendKey.SYN_ACK_SIMULTANEOUS, options=self._syn_options(reply_to=seg)
        )
        if head is not None and head.payload:  # a Fast Open SYN's data stays in flight behind the SYN,ACK
            kept = _Sent(self.iss + 1, head.payload, ALL_FLAGS[0], head.end, sent_at=head.sent_at)
            kept.last_sent, kept.pushed = head.last_sent, True  # (its skb went as ACK|PSH: tcp_send_syn_data)
            self._rtx.append(kept)
            # (tcp_send_synack turns the SYN's skb into the SYN,ACK; the data's own skb stays queued)
        if (seg.payload or flags & FIN) and not self._cfg.syn_data_dropped:
            self._syn_text = seg  # 3.10.7.3: queued for processing after ESTABLISHED
        return ReceiveKey.SYN_SENT_SYN

    def _fastopen_syn_ack(self, syn: fastopen.ClientSyn, seg: Segment) -> None:
        """Linux's tcp_rcv_fastopen_synack: the SYN,ACK is kept for the cookie cache; data on our SYN that it
        does not acknowledge goes back to the send queue, to be sent again right after the handshake
        (RFC 7413 4.2.2: a server may take the SYN and not its data)."""
        self.fastopen_answered = fastopen.SynAnswered(syn, seg, self._syn_retransmits > 0)
        self.syn_data_acked = bool(syn.data) and seg.ack.since(self.iss) > len(syn.data)  # TCPI_OPT_SYN_DATA
        head = self._rtx[0] if self._rtx else None
        if head is None or not head.payload:
            return
        self._rtx.popleft()  # what the SYN,ACK left unacknowledged goes again at once, a retransmission
        self._requeue_syn_data(head)  # (tcp_mark_skb_lost, tcp_non_congestion_loss_retransmit)

    def _skip_unsent(self, ack: SeqNum) -> None:
        """A SYN,ACK that acknowledges the data of our first SYN, sent again since without it: that data,
        back in the send queue, need not go again (Linux keeps the SYN's data in its retransmission queue, the
        SYN alone sent again: tcp_ack takes both)."""
        taken = ack.since(self.snd_nxt)
        del self._unsent[:taken]
        self._pass_write_ends(ack)
        self.snd_nxt = ack

    def _requeue_syn_data(self, head: _Sent) -> None:
        """The data of a Fast Open SYN goes back to the front of the send queue, a write's end (pushed)."""
        if not head.payload:
            return
        self._unsent[0:0] = head.payload
        self._syn_data_resent = head.end  # tcp_rcv_fastopen_synack retransmits it (tcp_xmit_retransmit_queue)
        if self._cfg.forced_push:
            self._write_ends.appendleft(head.end)
        syn = 1 if head.flags & SYN else 0  # (a SYN sent again keeps its own place in the queue)
        head.payload, head.end = b"", head.seq + syn
        self.snd_nxt = head.seq + syn
        self._rtt_seq = None

    def _arrive_synchronized(self, seg: Segment, now: float) -> ReceiveKey:
        # RFC 9293 3.10.7.4 ("Otherwise"): SYN-RECEIVED and every later state.
        state = self.state
        syn_copy = False  # a simultaneous open's SYN,ACK, whose SYN repeats one already acknowledged
        if state is State.SYN_RECEIVED and seg.flags & SYN and seg.seq == self.irs:
            if not seg.flags & ACK:
                # The peer's SYN again: our SYN,ACK was lost.  Send it again at
                # once (as Linux does) rather than the bare ACK of the first step,
                # which could not carry our SYN; but not twice within the invalid
                # rate limit, counted from the last such answer only (Linux's
                # tcp_oow_rate_limited: the SYN,ACK timer's resends do not count).
                last = self._oow_answered_at
                if last is not None and now - last < self._cfg.invalid_ratelimit:
                    return ReceiveKey.SYN_RECEIVED_DUP_SYN_LIMITED
                self._oow_answered_at = now
                self._retransmit_head(now, SendKey.SYN_ACK_AGAIN)  # and restart the timer (tcp_check_req)
                return ReceiveKey.SYN_RECEIVED_DUP_SYN
            # A SYN,ACK for a SYN we hold: the other half of a simultaneous open
            # (RFC 9293 Figure 7).  Its SYN lies before RCV.NXT: trim it, as the
            # "idealized segment" paragraph of 3.10.7.4 allows, and acknowledge
            # the old sequence space at once below (as Linux does, and as the
            # acceptability test asks of a segment that lies before RCV.NXT).
            seg = _trim_front(seg, 1)
            syn_copy = True
            self._report_duplicate(self.irs, self.irs + 1)
        ts = seg.options.timestamps
        if self._ts_ok and ts is not None and not seg.flags & RST and _ts_before(ts[0], self._ts_recent):
            # RFC 7323 5.3, R1 (PAWS): an older timestamp than TS.Recent: not acceptable, ACK and drop
            return self._answer_out_of_window(seg, now, SendKey.ACK_PAWS, ReceiveKey.PAWS_REJECTED)
        # first: check the sequence number (the four cases of the acceptability test)
        if not self._acceptable(seg):
            if seg.flags & RST:
                return ReceiveKey.UNACCEPTABLE_RST_DROPPED
            if seg.flags & SYN and state is not State.SYN_RECEIVED:
                # RFC 5961 4.2: a SYN gets a challenge ACK "irrespective of the
                # sequence number"; without RFC 5961 it is the ACK of step one.
                self._ack_now(SendKey.CHALLENGE_ACK_SYN if self._cfg.challenge_syn else SendKey.ACK_UNACCEPTABLE_SYN)
                return ReceiveKey.CHALLENGE_SYN if self._cfg.challenge_syn else ReceiveKey.UNACCEPTABLE
            if state is State.TIME_WAIT and seg.flags & FIN:
                return self._fin_again(now)
            if (
                self._cfg.old_segment_acks
                and seg.flags & ACK
                and not seg.flags & SYN
                and seg.seq.since(self.rcv_nxt) < 0
                and state is not State.SYN_RECEIVED
            ):
                # BSD trims an old segment to nothing but still uses its ACK field.
                self._process_ack(seg, now)
                if self.state is State.CLOSED:
                    return ReceiveKey.OLD_SEGMENT_ACK_CLOSED
            if not seg.payload and not seg.flags & (SYN | FIN) and seg.seq == self.rcv_nxt - 1:
                # an empty segment just below the window: a keep-alive or (Linux's) zero-window probe
                return self._answer_out_of_window(seg, now, SendKey.ACK_KEEPALIVE, ReceiveKey.KEEPALIVE_PROBE)
            if seg.payload and seg.seq.since(self.rcv_nxt) < 0:  # old data again: a D-SACK tells (RFC 2883)
                self._report_duplicate(seg.seq, seg.end if seg.end <= self.rcv_nxt else self.rcv_nxt)
                if self._acks is not None and self._rmem is not None and seg.end.since(self._rcv_wup) >= 0:
                    self._linux_duplicate(now)
                    return ReceiveKey.UNACCEPTABLE
            return self._answer_out_of_window(seg, now, SendKey.ACK_UNACCEPTABLE, ReceiveKey.UNACCEPTABLE)
        new_ts = ts[0] if ts is not None and self._ts_ok and seg.seq.since(self._rcv_wup) <= 0 else None
        if new_ts is not None and not self._cfg.ts_recent_on_valid_ack:
            self._ts_recent = new_ts  # RFC 7323 4.3: TS.Recent from a segment that covers Last.ACK.sent
        flags = seg.flags
        # second: check the RST bit
        if flags & RST:
            return self._arrive_rst(seg, now)
        # third: security/compartment is not modelled.
        # fourth: check the SYN bit
        if flags & SYN:
            if state is State.SYN_RECEIVED and self.passive:
                self._back_to_listen(StateKey.SYN_IN_SYN_RECEIVED)
                return ReceiveKey.SYN_IN_SYN_RECEIVED
            if self._cfg.challenge_syn:  # RFC 5961 section 4.2: a challenge ACK
                self._ack_now(SendKey.CHALLENGE_ACK_SYN)
                return ReceiveKey.CHALLENGE_SYN
            self._send(self.snd_nxt, self._rst_flags(), b"", SendKey.RST_SYN_IN_WINDOW)  # RFC 793's rule: reset
            self._fail(now, ErrorKey.RESET, StateKey.SYN_IN_WINDOW_RESET)
            return ReceiveKey.SYN_IN_WINDOW_RESET
        # fifth: check the ACK field
        if not flags & ACK:
            return ReceiveKey.NO_ACK_DROPPED
        if self._cfg.challenge_rst and seg.ack < self.snd_una - self.max_snd_wnd:
            self._ack_now(SendKey.CHALLENGE_ACK_OLD_ACK)  # RFC 5961 section 5.2
            return ReceiveKey.ACK_TOO_OLD
        if state is State.SYN_RECEIVED:
            if not self.snd_una < seg.ack <= self.snd_nxt:
                self._emit_rst(seg.ack, seg, SendKey.RST_SYN_RECEIVED_BAD_ACK)
                return ReceiveKey.SYN_RECEIVED_BAD_ACK
            self._update_window(seg, now, force=True)
            # SND.UNA <- SEG.ACK acknowledges our SYN as the move is made, so that the state change
            # shows the TCB after it (RFC 9293 3.10.7.4, fifth step: SYN-RECEIVED, then ESTABLISHED)
            self._acknowledge(seg.ack, now)
            self._move(State.ESTABLISHED, StateKey.RCV_ACK_OF_SYN)
            if self.fastopen_child:  # its transfer started with the SYN (tcp_rcv_synrecv_state_fastopen)
                self._stop(Timer.ESTABLISH)
            else:
                self._after_handshake(simultaneous=not self.passive)
            if syn_copy:
                self._ack_pending = True
                self._ack_key = SendKey.ACK_SIMULTANEOUS_SYN_ACK
            if self._syn_text is not None:  # the text that came on the SYN, now in order
                queued, self._syn_text = self._syn_text, None
                self._take_text(queued, now)
        if new_ts is not None and self._cfg.ts_recent_on_valid_ack and not seg.ack > self.snd_nxt:
            self._ts_recent = new_ts  # Linux: only once the ACK proved acceptable (tcp_ack's FLAG_UPDATE_TS_RECENT)
        key = self._process_ack(seg, now)
        if key is not None:
            return key
        # sixth: the URG bit is carried but not acted on.
        # seventh and eighth: the segment text and the FIN
        if self.state in _TAKES_TEXT:
            return self._take_text(seg, now)
        if flags & FIN:
            return self._fin_again(now)
        if seg.payload:
            return ReceiveKey.TEXT_AFTER_FIN_IGNORED
        return ReceiveKey.LAST_ACK_DONE if self.state is State.CLOSED else ReceiveKey.ACK_PROCESSED

    def _arrive_time_wait_bsd(self, seg: Segment, now: float) -> ReceiveKey:
        """TIME-WAIT as FreeBSD's tcp_twcheck() handles it (not RFC 9293 3.10.7.4).

        No acceptability test: RSTs are dropped (RFC 1337), segments without
        ACK are dropped, a repeated FIN restarts the 2 MSL wait, and anything
        but an exact duplicate ACK is answered with an ACK.  (A SYN above
        RCV.NXT that reopens the connection is the driver's, see takes_new_syn.)
        """
        flags = seg.flags
        if flags & RST:
            return ReceiveKey.RST_TIME_WAIT_IGNORED
        if not flags & ACK:
            return ReceiveKey.TIME_WAIT_NO_ACK_DROPPED
        if flags & FIN and seg.seq + (len(seg.payload) + (1 if flags & SYN else 0) + 1) == self.rcv_nxt:
            self._start(Timer.TIME_WAIT, now + 2 * self._cfg.msl)
        if flags != ACK or seg.payload or seg.seq != self.rcv_nxt or seg.ack != self.snd_nxt:
            self._ack_now(SendKey.ACK_TIME_WAIT)
            return ReceiveKey.TIME_WAIT_ACKED
        return ReceiveKey.TIME_WAIT_IGNORED

    def _arrive_rst(self, seg: Segment, now: float) -> ReceiveKey:
        # RFC 9293 3.10.7.4, second step, with RFC 5961 section 3.2
        if self._cfg.challenge_rst and seg.seq != self.rcv_nxt:
            self._ack_now(SendKey.CHALLENGE_ACK_RST)
            return ReceiveKey.CHALLENGE_RST
        state = self.state
        if state is State.SYN_RECEIVED and not self.fastopen_child:  # (a Fast Open child is a full socket)
            if self.passive:
                self._back_to_listen(StateKey.RST_IN_SYN_RECEIVED)
                return ReceiveKey.RST_BACK_TO_LISTEN
            self._fail(now, ErrorKey.REFUSED, StateKey.RST_REFUSED)
            return ReceiveKey.RST_REFUSED
        if state is State.TIME_WAIT and self._cfg.rfc1337:
            return ReceiveKey.RST_TIME_WAIT_IGNORED  # RFC 1337, remedy F1: TIME-WAIT is not assassinated
        if state in (State.CLOSING, State.LAST_ACK, State.TIME_WAIT):
            if state is not State.TIME_WAIT:
                self.error = ErrorKey.RESET  # the application may still ask (SO_ERROR)
            self._stop_all_timers()
            self._move(State.CLOSED, StateKey.RST_WHILE_CLOSING)
            return ReceiveKey.RST_CLOSED
        self._fail(now, ErrorKey.RESET, StateKey.RST_RESET)
        return ReceiveKey.RST_RESET

    def _process_ack(self, seg: Segment, now: float) -> ReceiveKey | None:
        """Fifth step for the synchronized states; returns a key when processing stops."""
        state = self.state
        if state is State.TIME_WAIT:
            # The only thing that can arrive is a retransmission of the FIN.
            return self._fin_again(now) if seg.flags & FIN else ReceiveKey.TIME_WAIT_IGNORED
        ack = seg.ack
        if 0 < (_isub(ack, self.snd_nxt) & MASK) < HALF:  # SEG.ACK > SND.NXT: not yet sent: ACK and drop
            if self._cfg.unsent_ack_dropped:  # Linux: drop without a word
                return ReceiveKey.ACK_FOR_UNSENT_DROPPED
            self._ack_now(SendKey.ACK_FOR_UNSENT)
            return ReceiveKey.ACK_FOR_UNSENT
        scoreboard, una_before = self._scoreboarding(), self.snd_una
        ece = self._ecn_ok and bool(seg.flags & ECE)  # RFC 3168 6.1.2: the peer echoes a congestion mark
        newly_sacked = self._take_sack(seg, now) if scoreboard else 0
        acked = _isub(ack, una_before) & MASK  # (the scoreboard leaves SND.UNA as it was)
        if 0 < acked < HALF:  # SND.UNA < SEG.ACK
            flight = self.snd_nxt.since(una_before)
            self._acknowledge(ack, now, seg.options.timestamps)
            grow_by = self._grow_by(acked, scoreboard)
            self._dupacks = 0
            if scoreboard:
                self._tlp_acked()  # (Linux's tcp_process_tlp_ack comes before the window grows)
            self._after_new_ack(acked, flight, now, grow_by, ece=ece)
        elif scoreboard:
            if ack == self.snd_una and newly_sacked:  # RFC 6675 section 2: a duplicate ACK SACKs new data
                self._dupacks += 1
        elif ack == self.snd_una and self._is_duplicate_ack(seg):
            self._dupacks += 1
            if self._cfg.fast_retransmit:
                self._after_duplicate_ack(now)
        if ece and not 0 < acked < HALF:  # (nothing acknowledged: the reduction starts, the next ACKs go on with it)
            self._report(self.cc.ecn_echo(self.snd_nxt.since(self.snd_una), self.snd_nxt))
        if scoreboard:
            self._sack_loss(now, advanced=self.snd_una != una_before)
        self._update_window(seg, now)
        if not self.fin_acked:
            return None
        if state is State.FIN_WAIT_1:
            self._move(State.FIN_WAIT_2, StateKey.FIN_ACKED)
        elif state is State.CLOSING:
            self._enter_time_wait(now, StateKey.FIN_ACKED_CLOSING)
            return ReceiveKey.CLOSING_FIN_ACKED
        elif state is State.LAST_ACK:
            self._stop_all_timers()
            self._move(State.CLOSED, StateKey.FIN_ACKED_LAST_ACK)
        return None

    def _is_duplicate_ack(self, seg: Segment) -> bool:
        # RFC 5681 section 2: data outstanding, no data, no SYN/FIN, same window.
        # A zero window is left out: those ACKs answer zero-window probes and
        # report the window, they say nothing about loss (Linux has nothing in
        # flight then, and Wireshark does not count them either).
        return (
            bool(self._rtx)
            and not seg.payload
            and not seg.flags & (SYN | FIN)
            and seg.window != 0
            and (seg.window << self.snd_wscale) == self.snd_wnd
        )

    def _take_text(self, seg: Segment, now: float) -> ReceiveKey:
        """Seventh and eighth steps: data and FIN, in order, via a reassembly queue."""
        if seg.payload and seg.seq.since(self.rcv_nxt) < 0:  # partly old: a D-SACK for the old part (RFC 2883)
            self._report_duplicate(seg.seq, self.rcv_nxt)
        trimmed = self._trim_to_window(seg)
        if trimmed.len < seg.len and trimmed.end == self.rcv_nxt:
            # Nothing of the text fits the window (a zero-window probe): say so.
            self._ack_now(SendKey.ACK_WINDOW_FULL)
            return ReceiveKey.WINDOW_FULL
        seg = trimmed
        if self._ecn_ok and seg.payload:
            self._ecn_received(seg)
        if not seg.payload and not seg.flags & FIN:
            return ReceiveKey.ACK_PROCESSED
        if seg.seq != self.rcv_nxt:
            # Out of order: keep it (RFC 9293 3.10.7.4, SHLD-31) and send a
            # duplicate ACK at once (RFC 5681 section 4.2).
            if not self._ooo.add(seg, self.rcv_nxt):
                self._report_duplicate(seg.seq, seg.end)  # all of it held already
            self._ack_now(SendKey.ACK_OUT_OF_ORDER)
            return ReceiveKey.OUT_OF_ORDER
        self._deliver(seg, now)
        filled = False
        while self._ooo and self.state in _TAKES_TEXT:
            nxt = self._pop_queued()
            if nxt is None:
                break
            self._deliver(nxt, now)
            filled = True
        if self.state is State.CLOSED:
            return ReceiveKey.DATA_AFTER_CLOSE_RESET
        if filled:  # RFC 5681 section 4.2: ACK at once when a gap is filled
            self._ack_pending = True
            self._ack_key = SendKey.ACK_FILLS_GAP
            return ReceiveKey.GAP_FILLED
        return ReceiveKey.FIN_RECEIVED if seg.flags & FIN else ReceiveKey.DATA_ACCEPTED

    def _pop_queued(self) -> Segment | None:
        """Take the queued out-of-order segment that now starts at (or before) RCV.NXT."""
        queued = self._ooo.pop_next(self.rcv_nxt)
        return None if queued is None else self._trim_to_window(queued)

    def _deliver(self, seg: Segment, now: float) -> None:
        """Accept one in-order segment (already trimmed to the window)."""
        n = len(seg.payload)
        if n:
            if self._read_closed:
                self._abort_on_data(seg, now)
                return
            self._readable += seg.payload
            in_backlog = self._owned and self.config.backlog_coalesce
            if self._rmem is not None:
                self._queue_skb(seg.seq, n, in_backlog)
            self.rcv_nxt = self.rcv_nxt + n
            self.data_received_at = now  # Linux's tcp_event_data_recv: icsk_ack.lrcvtime
            if self.explaining:
                self._notes.append(Note(NoteKind.DATA, DataKey.DATA, self.tcb(), None, (("n", n),)))
            pushed = int(seg.flags) & PSH_BIT != 0
            if self._acks is not None and in_backlog:
                self._to_backlog(n, pushed)
            elif self._acks is not None:
                self._linux_data_received(n, n, pushed, now)
            else:
                self._schedule_ack(now, n >= self.adv_mss)
        if int(seg.flags) & FIN_BIT:
            self._receive_fin(now)

    def _queue_skb(self, start: SeqNum, n: int, in_backlog: bool) -> None:
        """Charge ``n`` in-order bytes from ``start`` to the receive queue's skbs (tcp_queue_rcv).  With
        ``rcv_coalesce`` they join the last skb (tcp_try_coalesce) unless it is shared: on loopback a segment
        reaches the receiver as a clone of the skb its sender keeps for retransmission (tcp_transmit_skb's
        skb_clone, handed on by loopback_xmit), sharing its data until the sender frees or trims that skb, once
        an ACK past its start is processed; skb_try_coalesce adds nothing to a cloned skb.  So a segment sent
        alone, whose ACK the sender has not yet taken, starts an skb of its own.  (A GSO frame of several
        segments is cut into fresh skbs, not clones: ``arrived_alone`` is False.)"""
        assert self._rmem is not None
        clone, una = self._tail_clone, self.loopback_peer_una
        shared = clone is not None and (una is None or una.since(clone) <= 0)
        if not self._rmem.queued(n, in_backlog=in_backlog, coalesce=self._cfg.rcv_coalesce and not shared):
            self._tail_clone = start if una is not None and self.arrived_alone else None

    def _schedule_ack(self, now: float, full_sized: bool) -> None:
        if self._cfg.ack_policy is AckPolicy.IMMEDIATE or self._ooo:
            self._ack_pending = True
            self._ack_key = SendKey.ACK_DATA
            return
        # RFC 1122 4.2.3.2: ACK at least every second full-sized segment, and
        # never later than the delayed-ACK timeout (< 0.5 s).
        self._unacked_full_segments += full_sized
        if self._unacked_full_segments >= 2:
            self._ack_pending = True
            self._ack_key = SendKey.ACK_EVERY_SECOND
        elif Timer.DELAYED_ACK not in self._timers:
            self._ack_key = SendKey.ACK_DELAYED
            self._start(Timer.DELAYED_ACK, now + self._cfg.delayed_ack_timeout)

    def _linux_data_received(self, size: int, segment: int, pushed: bool, now: float) -> None:
        """Linux's receiver on ``size`` bytes of in-order data in one skb whose segments were at most ``segment``
        bytes (tcp_event_data_recv, then __tcp_ack_snd_check): ACK at once in quick-ACK mode, or when more than
        one full segment is unacknowledged and the window does not shrink (RFC 1122 4.2.3.2's "every second
        full-sized segment"); otherwise a delayed ACK."""
        acks = self._acks
        assert acks is not None
        window = self._last_wnd or self._initial_window  # tp->rcv_wnd: the window last announced, the SYN's first
        if self._cfg.measured_scaling_ratio and segment >= acks.rcv_mss and segment != acks.rcv_mss:
            self._measure_scaling_ratio(size)  # tcp_measure_rcv_mss: a segment of a new size
        acks.data_received(segment, pushed, self._rcv_mss_guess(), window, self.rto.rto, now)
        self._ack_scheduled = True
        if size >= 128:
            self._grow_window()
        self._ack_snd_check(now, SendKey.ACK_QUICK)

    def _ack_snd_check(self, now: float, quick: SendKey) -> None:
        """Linux's __tcp_ack_snd_check: ACK at once (as ``quick``) in quick-ACK mode, or when more than one full
        segment is unacknowledged and the window does not shrink; else a delayed ACK.  That second test comes
        first: it computes the window, which may end quick-ACK mode (__tcp_select_window)."""
        acks = self._acks
        assert acks is not None
        every_second = self._more_than_a_segment_unacked()
        if acks.quick_mode:
            self._ack_at_once(quick)
        elif every_second:
            self._ack_at_once(SendKey.ACK_EVERY_SECOND)
        else:
            self._linux_delay_ack(now, SendKey.ACK_DELAYED)

    def _measure_scaling_ratio(self, size: int) -> None:
        """tcp_measure_rcv_mss: scaling_ratio becomes the payload over the truesize of this skb of ``size``
        bytes.  A changed ratio sets window_clamp to the whole buffer's window (tcp_set_window_clamp, at least
        SOCK_MIN_RCVBUF / 2); a smaller clamp caps rcv_ssthresh, a larger one lets it reach the window last
        offered.  Only for a buffer fixed with SO_RCVBUF: an autotuned buffer's clamp follows the buffer's
        growth (tcp_rcv_space_adjust), which the model keeps at the largest buffer."""
        rmem = self._rmem
        if rmem is None or not rmem.measure(size) or not self._cfg.fixed_recv_buffer:
            return
        old = self._clamp()
        new = self._window_clamp = max(SOCK_MIN_RCVBUF // 2, rmem.full_window(self.recv_buffer))
        if new < old:  # __tcp_adjust_rcv_ssthresh
            self._rcv_ssthresh = min(self._rcv_ssthresh, new)
        else:
            self._rcv_ssthresh = max(min(self._last_wnd or self._initial_window, new), self._rcv_ssthresh)

    def _to_backlog(self, n: int, pushed: bool) -> None:
        """backlog_coalesce: data that arrives while the application's call holds the socket waits in the
        socket's backlog, contiguous segments joined into one skb (tcp_add_backlog), and is handled as one at
        the call's end (__release_sock): one tcp_event_data_recv, one ACK decision (see ``release``)."""
        held = self._backlog_data
        if held is None:
            self._backlog_data = (n, n, pushed)
        else:
            self._backlog_data = (held[0] + n, max(held[1], n), held[2] or pushed)

    def _more_than_a_segment_unacked(self) -> bool:
        """__tcp_ack_snd_check's first test: more than one full segment of sequence space (a FIN counts one)
        came since the last ACK, and the window it would announce does not shrink."""
        assert self._acks is not None
        if self.rcv_nxt.since(self._rcv_wup) <= self._acks.rcv_mss:
            return False
        self._short_of_room()
        return self.rcv_wnd >= self._last_wnd

    def _short_of_room(self) -> None:
        """__tcp_select_window, with Linux's receive memory (skb_overhead): less than half the buffer's window
        free ends quick-ACK mode (icsk_ack.quick = 0), whoever asks for the window."""
        if self._rmem is not None and self._acks is not None and self._free_space() < self._full_space() // 2:
            self._acks.quick = 0

    def _ack_at_once(self, key: SendKey) -> None:
        """__tcp_ack_snd_check's "send now", unless the application's call holds the socket: then the ACK
        waits for that call's end (tcp_backlog_ack_defer; see ``release``)."""
        if self._owned and self._cfg.backlog_ack_defer:
            self._ack_deferred = True
        else:
            self._ack_pending, self._ack_key = True, key

    def own(self) -> None:
        """The application enters a system call on the socket (lock_sock): segments that arrive until
        ``release`` are processed from the backlog."""
        self._owned = True

    def release(self, now: float) -> None:
        """The application's system call ends (release_sock): an ACK deferred meanwhile goes now, if no
        segment carried it (tcp_release_cb sends it only while one is still owed)."""
        self._clock = now
        held, self._backlog_data = self._backlog_data, None
        if held is not None and self.state.synchronized and self.rcv_nxt != self._rcv_wup:  # __release_sock
            self._linux_data_received(held[0], held[1], held[2], now)
        self._owned = False
        if self._rmem is not None:
            self._rmem.released()
        if self._ack_deferred:
            self._ack_deferred = False
            if self._ack_scheduled and self.state.synchronized:
                self._ack_pending, self._ack_key = True, SendKey.ACK_DEFERRED
                self._flush(now)

    def _grow_window(self) -> None:
        """tcp_grow_window: each bulk segment lets the offered window grow by two segments, up to what the
        buffer may hold: the fixed SO_RCVBUF, or half the largest autotuned buffer (tcp_rmem[2])."""
        free = self._free_space()
        if self._rcv_ssthresh >= free:  # tcp_space(): no room to offer more
            return
        grown = min(self._rcv_ssthresh + 2 * self.adv_mss, self._clamp(), 65535 << self.rcv_wscale)
        if self._rmem is not None and not self.auto_read:  # the room is tcp_space's: "min(window_clamp, tcp_space)"
            grown = min(grown, free)
        if grown > self._rcv_ssthresh and self._acks is not None:
            self._acks.quick |= 1  # tcp_grow_window: "icsk->icsk_ack.quick |= 1", the bigger window goes out now
        self._rcv_ssthresh = grown

    def _clamp(self) -> int:
        """window_clamp, the most the window may grow to: the fixed SO_RCVBUF, or half the largest autotuned
        buffer (tcp_rmem[2]); once a measured scaling ratio set it, what it set."""
        if self._window_clamp is not None:
            return self._window_clamp
        cfg = self._cfg
        clamp = cfg.recv_buffer if cfg.fixed_recv_buffer else max(cfg.recv_buffer, cfg.recv_buffer_max // 2)
        if cfg.fixed_recv_buffer and self._rmem is not None and clamp > 2 * self._rcv_mss_guess():
            clamp = max(2 * self._rcv_mss_guess(), clamp - self._rcv_mss_guess())  # tcp_init_buffer_space's
            # "force reservation of one segment" (tcp_app_win): the window offers one segment less than the buffer
        return clamp

    def _linux_duplicate(self, now: float) -> None:
        """Data already received that ends at or after the last ACK sent (tcp_sequence lets it in: end_seq not
        before rcv_wup) reaches tcp_data_queue's duplicate path: a D-SACK and quick-ACK mode (_report_duplicate),
        then the ACK as __tcp_ack_snd_check decides.  Its first test, more than a segment unacknowledged,
        computes the window (__tcp_select_window), and with less than half the buffer's window free that ends
        quick-ACK mode again: the duplicate's ACK waits for the delayed-ACK timer (seen at 41 ms on Linux 6.18,
        with nstat's DelayedACKLost, TCPDSACKOldSent and DelayedACKs)."""
        self._ack_scheduled = True  # inet_csk_schedule_ack
        self._ack_snd_check(now, SendKey.ACK_UNACCEPTABLE)

    def _linux_delay_ack(self, now: float, key: SendKey) -> None:
        """tcp_send_delayed_ack: wait ``ato``; a timer already due within a quarter of that sends now."""
        acks = self._acks
        assert acks is not None
        ato = acks.delay(self.rto.srtt)
        deadline = self._timers.get(Timer.DELAYED_ACK)
        if deadline is not None and deadline <= now + ato / 4:
            self._ack_pending = True
            return
        self._ack_key = key
        if deadline is None or now + ato < deadline:
            self._start(Timer.DELAYED_ACK, now + ato)

    def _receive_fin(self, now: float) -> None:
        # RFC 9293 3.10.7.4, eighth step: the FIN occupies one sequence number.
        self.rcv_nxt = self.rcv_nxt + 1
        self.eof = True
        self._ooo.clear()
        if self.explaining:
            self._notes.append(Note(NoteKind.EOF, EofKey.EOF, self.tcb()))
        state = self.state
        self._ack_pending = True
        self._ack_key = SendKey.ACK_FIN
        if state is State.ESTABLISHED:
            self._move(State.CLOSE_WAIT, StateKey.RCV_FIN)
            if self._acks is not None:
                # tcp_fin: the connection turns interactive, so the ACK waits (ato: 0 if no data came yet)
                # for the application's close to carry it on a FIN; but __tcp_ack_snd_check, which runs after
                # tcp_fin, sends it at once if more than a segment (the FIN included) came since the last ACK
                self._acks.pingpong = True
                self._ack_scheduled = True
                self._ack_pending = self._more_than_a_segment_unacked()
                if not self._ack_pending:
                    self._linux_delay_ack(now, SendKey.ACK_FIN_DELAYED)
            elif self._cfg.delay_fin_ack and not self._unsent:
                # Linux enters its "ping-pong" mode: the ACK waits briefly, so
                # that the application's own close can carry it on a FIN.
                self._ack_pending = False
                self._ack_key = SendKey.ACK_FIN_DELAYED
                self._start(Timer.DELAYED_ACK, now + self._cfg.delayed_ack_timeout)
        elif state is State.FIN_WAIT_1:
            if self.fin_acked:
                self._enter_time_wait(now, StateKey.RCV_FIN_FIN_WAIT_1_ACKED)
            else:
                self._move(State.CLOSING, StateKey.RCV_FIN_SIMULTANEOUS)
        elif state is State.FIN_WAIT_2:
            self._enter_time_wait(now, StateKey.RCV_FIN_FIN_WAIT_2)

    def _fin_again(self, now: float) -> ReceiveKey:
        # A FIN we already have.  In TIME-WAIT: acknowledge it and restart the
        # 2 MSL wait (3.10.7.4, eighth step); elsewhere just acknowledge it.
        if self.state is State.TIME_WAIT:
            self._start(Timer.TIME_WAIT, now + 2 * self._cfg.msl)
        self._ack_now(SendKey.ACK_FIN_AGAIN)
        return ReceiveKey.FIN_AGAIN

    # -------------------------------------------------------------- timers
    def on_timer(self, now: float) -> None:
        """Fire every timer whose deadline has come (call when ``now >= next_timer()``)."""
        self._clock = now
        # at one deadline the loss probe before the RTO: Linux arms one timer, the probe (tcp_schedule_loss_probe)
        due = sorted(
            (deadline, timer is not Timer.LOSS_PROBE, timer.value, timer)
            for timer, deadline in self._timers.items()
            if deadline <= now
        )
        for deadline, _, _, timer in due:
            if self._timers.get(timer) != deadline:
                continue  # stopped or moved by an earlier timer of this round
            del self._timers[timer]
            if self.explaining:
                self._notes.append(Note(NoteKind.TIMER_FIRED, timer.value, self.tcb(), timer=timer))
            if timer is Timer.RETRANSMIT:
                self._on_retransmit_timeout(now)
            elif timer is Timer.PERSIST:
                self._on_persist_timeout(now)
            elif timer is Timer.DELAYED_ACK:
                if self._acks is not None:
                    self._acks.timer_fired(self.rto.rto)
                self._ack_pending = True
            elif timer is Timer.KEEPALIVE:
                self._on_keepalive_timeout(now)
            elif timer is Timer.REORDER:
                self._on_reorder_timeout(now)
            elif timer is Timer.LOSS_PROBE:
                self._on_loss_probe(now)
            elif timer is Timer.ESTABLISH:
                if self.state in (State.SYN_SENT, State.SYN_RECEIVED):
                    self._fail(now, ErrorKey.TIMEOUT, StateKey.GAVE_UP)
            else:  # TIME-WAIT is over: delete the TCB
                self._stop_all_timers()
                self._move(State.CLOSED, StateKey.TIME_WAIT_OVER)
        self._flush(now)

    def _on_retransmit_timeout(self, now: float) -> None:
        # RFC 6298 sections 5.4-5.6; retry limits per RFC 1122 4.2.3.5
        if not self._rtx:
            return
        state = self.state
        if state is State.SYN_SENT:
            limit = self._cfg.syn_retries
        elif state is State.SYN_RECEIVED:
            limit = self._cfg.synack_retries
        elif self._read_closed and self._cfg.orphan_retries is not None:  # Linux's tcp_orphan_retries()
            limit = self._cfg.orphan_retries
        else:
            limit = self._cfg.data_retries
        linear = self._cfg.syn_linear_timeouts if state is State.SYN_SENT else 0
        if self._user_timed_out(now) or self._gave_up(now, limit, linear):
            self._fail(now, ErrorKey.TIMEOUT, StateKey.GAVE_UP)
            return
        self._retries += 1
        if self._rtx[0].flags & SYN:
            self._syn_was_retransmitted = True
            self._syn_retransmits += 1
        self._after_timeout()
        if self._retries > linear:  # Linux 6.5+: the first SYN retransmissions keep the initial RTO
            self.rto.back_off()
        self._retransmit_head(now, SendKey.RTO_RETRANSMIT)

    def _user_timed_out(self, now: float) -> bool:
        """The USER TIMEOUT (RFC 9293 3.9, RFC 5482; Linux's TCP_USER_TIMEOUT): the oldest unacknowledged
        segment went out more than ``user_timeout`` ago: the connection is aborted, whatever the retry count."""
        limit = self._cfg.user_timeout
        return limit is not None and bool(self._rtx) and now - self._rtx[0].sent_at >= limit - 1e-9

    def _rto_deadline(self, now: float) -> float:
        """When the retransmission timer fires: after the RTO, but not past the user timeout
        (tcp_clamp_rto_to_user_timeout), so that the abort comes on time."""
        deadline = now + self.rto.rto
        limit = self._cfg.user_timeout
        if limit is not None and self._rtx:
            deadline = min(deadline, max(self._rtx[0].sent_at + limit, now))
        return deadline

    def _gave_up(self, now: float, limit: int, linear: int) -> bool:
        """RFC 1122 4.2.3.5: give up after ``limit`` retransmissions.  With linear SYN timeouts Linux counts
        time instead (tcp_write_timeout, tcp_model_timeout): it gives up at the first expiry at least
        (2**(limit+1) - 1) initial RTOs after the first SYN, as many as exponential backoff would take."""
        if not linear:
            return self._retries >= limit
        return now - self._first_sent_at >= ((2 << limit) - 1) * self._cfg.initial_rto - 1e-9

    def _on_keepalive_timeout(self, now: float) -> None:
        # RFC 1122 4.2.3.6, as Linux's tcp_keepalive_timer does it: after keepalive_idle without a word
        # from the peer and with nothing in flight, an empty ACK at SND.UNA - 1, then one each
        # keepalive_interval; after keepalive_probes unanswered, a RST and ETIMEDOUT.
        cfg = self._cfg
        if self.state not in _KEEPS_ALIVE:
            return
        if self._rtx or self._unsent:  # data in flight: the retransmission timer watches the peer
            self._start(Timer.KEEPALIVE, now + cfg.keepalive_idle)
            return
        due = self._heard_at + cfg.keepalive_idle  # (a deadline, not a difference: exact in floating point)
        if now < due:
            self._start(Timer.KEEPALIVE, due)
            return
        if self._keepalive_probes >= cfg.keepalive_probes:
            self._send(self.snd_nxt, self._rst_flags(), b"", SendKey.RST_KEEPALIVE_TIMEOUT)
            self._fail(now, ErrorKey.TIMEOUT, StateKey.KEEPALIVE_TIMEOUT)
            return
        self._keepalive_probes += 1
        self._send(self.snd_una - 1, ACK, b"", SendKey.KEEPALIVE_PROBE)
        self._start(Timer.KEEPALIVE, now + cfg.keepalive_interval)

    def _on_persist_timeout(self, now: float) -> None:
        # RFC 9293 3.8.6.1: with a zero window, regularly send one octet of new data.
        if self.local_congestion:
            self._retry_local_drop(now)
            return
        if self.snd_wnd > 0:
            if (self._cork_timer or self._window_held) and self._unsent and not self._rtx:
                self._send_corked(now, SendKey.CORK_PROBE if self._cork_timer else SendKey.WINDOW_PROBE_PART)
            self._cork_timer = False
            return
        limit = self._cfg.user_timeout
        if limit is not None and now - self._probing_since >= limit - 1e-9:  # tcp_probe_timer: unanswered too long
            self._fail(now, ErrorKey.TIMEOUT, StateKey.GAVE_UP)
            return
        if self._cfg.empty_window_probe:  # Linux: no data, seq SND.UNA - 1, outside the window on purpose
            self._send(self.snd_una - 1, ACK, b"", SendKey.ZERO_WINDOW_PROBE_EMPTY)
        elif self._rtx:
            self._retransmit_head(now, SendKey.PROBE_AGAIN, restart_timer=False)
        elif self._unsent:
            byte = bytes(self._unsent[:1])
            del self._unsent[:1]
            self._transmit(
                self.snd_nxt,
                ACK | (NO_FLAGS if self._unsent else PSH),
                byte,
                now,
                SendKey.ZERO_WINDOW_PROBE,
                arm_rto=False,
            )
        elif self._fin_queued and not self._fin_sent:
            self._send_fin(now, arm_rto=False)
        else:
            return
        self.probes_out += 1
        interval = min(self.rto.rto * (1 << (self._persist_backoff + 1)), self._cfg.max_rto)
        if interval < self._cfg.max_rto:  # the shift stops growing at the cap (else it overflows a float)
            self._persist_backoff += 1
        self._start(Timer.PERSIST, now + interval)

    def _send_corked(self, now: float, key: SendKey = SendKey.CORK_PROBE) -> None:
        """Linux's tcp_write_wakeup: the probe timer found data held back (TCP_CORK, MSG_MORE) with nothing
        in flight: up to one MSS of it goes now, with PSH."""
        usable = (self.snd_una + self.snd_wnd).since(self.snd_nxt) + self._syn_ack_outside()
        n = min(self._send_mss(), usable, self._to_record_end())
        if n <= 0:
            return
        data = bytes(self._unsent[:n])
        del self._unsent[:n]
        self._pass_write_ends(self.snd_nxt + n)
        self._pushed_seq = self.snd_nxt + n
        self._transmit(self.snd_nxt, ACK | PSH, data, now, key)

    # --------------------------------------------------------------- output
    def _flush(self, now: float) -> None:
        """Send what the window allows, then an ACK if one is owed and nothing carried it."""
        state = self.state
        if state in _CAN_SEND or state in _CLOSING_SIDE or (state is State.SYN_RECEIVED and self.fastopen_child):
            self._output(now)  # a Fast Open child sends before the handshake ends (RFC 7413 4.2.2)
        if self._ack_pending and state.synchronized:
            self._send(self.snd_nxt, ACK, b"", SendKey.WINDOW_UPDATE if self._window_update else self._ack_key)

    def _output(self, now: float) -> None:
        """Segment queued data by MSS and window (RFC 9293 3.8.6), then the FIN."""
        if self.local_congestion:
            self._local_drop(now)
            return
        if self.cc.phase is not Phase.OPEN:  # (both send again only in a recovery)
            self._resend_lost(now)
            self._resend_marked(now)
        nxt_before = self.snd_nxt
        window_held = False  # the peer's window held the next segment back (tcp_snd_wnd_test)
        if self._unsent or (self._fin_queued and not self._fin_sent):  # (most calls have nothing new to send)
            window_held = self._send_new(now)
        if self.cc.cwnd_limited_growth:
            self._validate_cwnd(self.snd_nxt != nxt_before)
        self._window_held = window_held
        if window_held:  # tcp_write_xmit: rwnd-limited while the window holds data back
            self.chrono.start(ChronoKind.RWND_LIMITED, now)
        else:
            self.chrono.stop(ChronoKind.RWND_LIMITED, now, queues_empty=not self._unsent and not self._rtx)
        if self._cork_timer or (self._unsent and not self._rtx):  # (the only cases it acts on)
            self._check_cork_timer(now)
        waiting = bool(self._unsent) or (self._fin_queued and not self._fin_sent)
        if (self.snd_wnd == 0 or window_held) and waiting and not self._rtx and Timer.PERSIST not in self._timers:
            self._persist_backoff = 0
            self.probes_out = 0
            self._probing_since = now
            self._start(Timer.PERSIST, now + self.rto.rto)

    def _send_new(self, now: float) -> bool:
        """Send the data and FIN not sent yet, as window, cwnd, Nagle and cork allow, in Linux's frames.
        True if the peer's window held the next segment back."""
        frame_segments = self._frame_segments() if self._unsent else None  # (only data is framed)
        frame = 0  # segments of the current frame sent so far (Linux: of the skb cut by tso_fragment)
        gso = (self.snd_nxt, 0)  # the GSO frame being sent: where it starts, its segments (see sent_alone)
        window_held = False  # the peer's window held the next segment back (tcp_snd_wnd_test)
        edge = _iadd(self.snd_una, self.snd_wnd) + (self._syn_ack_outside() if self.fastopen_child else 0)
        while True:
            room = (edge - self.snd_nxt) & MASK  # (SND.UNA + SND.WND).since(SND.NXT)
            usable = room - MODULUS if room > HALF else room
            if self._unsent:
                if not self._window_takes_next(usable):
                    window_held = True  # tcp_snd_wnd_test: the next segment does not fit whole
                    break
                mss = self._send_mss()
                n = min(mss, usable, self._to_record_end())
                if not self._cwnd_allows(n):
                    break
                if n < mss and n == len(self._unsent) and (self._nagle_holds() or self._cork_holds()):
                    break
                data = bytes(self._unsent[:n])
                del self._unsent[:n]
                if frame_segments is not None:
                    gso = (gso[0], gso[1] + 1)
                resent = self._syn_data_resent.since(self.snd_nxt) > 0
                if n < self.snd_mss and not resent:
                    self._snd_sml = self.snd_nxt + n  # Minshall: the end of the last small segment (new data
                    # only: tcp_minshall_update in tcp_write_xmit, not a SYN's data sent again)
                key = SendKey.SYN_DATA_AGAIN if resent else SendKey.DATA
                if self._unsent:
                    self._transmit(self.snd_nxt, ACK | self._forced_push(n), data, now, key, retransmission=resent)
                    if frame_segments is not None:
                        frame += 1
                        if frame == frame_segments:
                            frame = self._end_frame(frame)
                            gso = self._sent_frame(*gso)
                elif self._fin_queued and usable > n:
                    self._write_ends.clear()
                    self._send_fin(now, data)  # the last data carries the FIN
                else:  # PSH: the buffer emptied; Linux: where a write ended that was pushed (not MSG_MORE)
                    push = PSH if not self._cfg.forced_push or self._write_ends else NO_FLAGS
                    self._transmit(self.snd_nxt, ACK | push, data, now, key, retransmission=resent)
                    if push:
                        self._pushed_seq = self.snd_nxt
                    self._write_ends.clear()
            elif self._fin_queued and not self._fin_sent and usable > 0:
                self._send_fin(now)
            else:
                break
        if self._unsent and frame:
            self._end_frame(frame)  # cut by the window, cwnd or Nagle: the frame sent ends here
        self._sent_frame(*gso)
        return window_held

    def _sent_frame(self, start: SeqNum, segments: int) -> tuple[SeqNum, int]:
        """The ``segments`` sent from ``start`` to SND.NXT left as one GSO frame.  Returns the next frame's
        start and count."""
        if segments >= 2:
            frames = self._gso_frames
            while frames and frames[0][1].since(self.snd_una) <= 0:
                frames.popleft()  # acknowledged: no receiver asks about it any more
            frames.append((start, self.snd_nxt))
        return self.snd_nxt, 0

    def sent_alone(self, seq: SeqNum) -> bool:
        """The data at ``seq`` left in an skb of one segment, so a loopback receiver holds a clone of the skb
        kept here for retransmission (tcp_transmit_skb's skb_clone); a GSO frame of several segments is cut
        into fresh skbs on its way (skb_segment), which share no skb with this one."""
        return not any(seq.since(start) >= 0 and end.since(seq) > 0 for start, end in self._gso_frames)

    def _local_drop(self, now: float) -> None:
        """The host's queue refuses what TCP hands it (tcp_transmit_skb fails: NET_XMIT_DROP): nothing leaves,
        the data stays queued, and with nothing in flight the probe timer retries (tcp_check_probe_timer)."""
        waiting = self._unsent or (self._fin_queued and not self._fin_sent)
        if waiting and not self._rtx and Timer.PERSIST not in self._timers:
            self._start(Timer.PERSIST, now + self.rto.rto)  # tcp_probe0_base: the RTO, at least 200 ms

    def _retry_local_drop(self, now: float) -> None:
        """Linux's tcp_probe_timer after a local drop: the user timeout counts from the first retry; each retry
        (tcp_send_probe0) fails again, counts a probe, and the next comes TCP_RESOURCE_PROBE_INTERVAL later,
        with no backoff, but not past the user timeout (tcp_clamp_probe0_to_user_timeout)."""
        limit = self._cfg.user_timeout
        if self._resource_since is None:
            self._resource_since = now
        elif limit is not None and now - self._resource_since >= limit - 1e-9:
            self._fail(now, ErrorKey.TIMEOUT, StateKey.GAVE_UP)
            return
        self.probes_out += 1
        interval = RESOURCE_PROBE_INTERVAL
        if limit is not None:
            interval = min(interval, max(self._resource_since + limit - now, 0.001))
        self._start(Timer.PERSIST, now + interval)

    def _frame_segments(self) -> int | None:
        """Segments in one of Linux's TSO/GSO frames: no more than an skb holds (tcp_xmit_size_goal: half the
        peer's largest window), than half of cwnd (tcp_cwnd_test: at least two frames in flight), nor than
        about a millisecond of the pacing rate (tcp_tso_autosize; tcp_update_pacing_rate: cwnd / SRTT, times
        2 in slow start, 1.2 after; plus up to 64 KB on short RTTs, tcp_tso_rtt_log), but at least
        ``min_tso_segs`` (tcp_min_tso_segs).  None: frames not modelled, or of one segment."""
        cc = self.cc
        if not self._cfg.tso_frames or not cc.mss:
            return None
        mss = self._send_mss()
        skb = GSO_MAX_SIZE
        if self._cfg.half_window_segments and self.max_snd_wnd > DEFAULT_MSS:
            skb = min(skb, self.max_snd_wnd // 2)
        segments = min(skb // mss, max(cc.cwnd // cc.mss // 2, 1))
        srtt = self.rto.srtt
        if srtt is not None and srtt > 0:  # no RTT yet: no pacing rate, no limit
            slow_start = cc.ssthresh is None or cc.cwnd < cc.ssthresh // 2
            budget = cc.cwnd * (2.0 if slow_start else 1.2) / srtt / 1024  # sk_pacing_shift 10: ~1 ms worth
            shift = int(srtt * 1_000_000) >> 9
            if shift < 32:
                budget += GSO_MAX_SIZE >> shift
            segments = min(segments, max(int(min(budget, GSO_MAX_SIZE)) // mss, self._cfg.min_tso_segs))
        return segments if segments >= 2 else None  # frames of one segment: each pushed or not as its skb is

    def _end_frame(self, segments: int) -> int:
        """A frame of several segments cut from a write that is to be pushed keeps the write's PSH: Linux
        marks the skb (tcp_push) and each frame cut from it carries PSH on its last segment (seen in
        packetdrill's TSO tests, on a tun capture and a loopback capture of Linux 6.18); a frame of one segment
        does not.
        Returns 0, the size of the next frame so far."""
        if segments >= 2 and self._write_ends:
            for i in range(len(self._notes) - 1, -1, -1):
                note = self._notes[i]
                if note.kind is NoteKind.SEND and note.segment is not None and note.segment.payload:
                    self._notes[i] = note.with_segment(note.segment.with_flags(note.segment.flags | PSH))
                    break
        return 0

    def size_goal(self) -> int:
        """Bytes one of Linux's packet buffers takes from a write (tcp_xmit_size_goal): as many whole segments
        as the largest GSO packet holds, and no more than half the peer's largest window
        (tcp_bound_to_half_wnd)."""
        mss = self._send_mss()
        skb = GSO_MAX_SIZE
        if self.max_snd_wnd > DEFAULT_MSS:
            skb = min(skb, self.max_snd_wnd // 2)
        return max(skb // mss, 1) * mss

    def _to_record_end(self) -> int:
        """The unsent bytes up to the next record end (MSG_EOR), or all of them: a segment stops there, as a
        Linux TSO frame never spans two skbs and an skb marked ``eor`` takes no more data (tcp_sendmsg_locked,
        tcp_skb_can_collapse_to)."""
        ends = self._record_ends
        while ends and ends[0].since(self.snd_nxt) <= 0:
            ends.popleft()
        return min(ends[0].since(self.snd_nxt), len(self._unsent)) if ends else len(self._unsent)

    def _send_mss(self) -> int:
        """The largest segment to send: the MSS, and (Linux's tcp_bound_to_half_wnd) no more than half the
        largest window the peer has announced, so that a small window still carries two segments."""
        if self._cfg.half_window_segments and self.max_snd_wnd > DEFAULT_MSS:
            return max(min(self.snd_mss, self.max_snd_wnd // 2), 1)
        return self.snd_mss

    def _check_cork_timer(self, now: float) -> None:
        """Corked data waits with nothing in flight: Linux's probe timer sends it within an RTO
        (tcp_check_probe_timer; tcp_probe0_base: the RTO, at least 200 ms).  Once data is in flight the
        retransmission timer takes its place (one timer, icsk_pending)."""
        if self._cork_timer and self._rtx:
            self._cork_timer = False
            self._stop(Timer.PERSIST)
        elif self._unsent and not self._rtx and self.snd_wnd > 0 and self._cork_holds() and not self._cork_timer:
            self._cork_timer = True
            self._start(Timer.PERSIST, now + self.rto.rto)

    def _cork_holds(self) -> bool:
        """TCP_CORK or MSG_MORE hold the partial last segment, however little is in flight (tcp_nagle_check
        with TCP_NAGLE_CORK); a FIN or TCP_NAGLE_PUSH sends it."""
        return (self.corked or self._cork_call) and not self._pushing and not self._fin_queued

    def _nagle_holds(self) -> bool:
        """Nagle's algorithm (RFC 896, RFC 9293 3.7.4) in Minshall's variant, as Linux has it (tcp_nagle_check):
        hold the last, small piece of data while an earlier small segment is unacknowledged.  A close pushes it."""
        return self._cfg.nagle and not self._fin_queued and self.snd_una < self._snd_sml <= self.snd_nxt

    def _forced_push(self, n: int) -> Flags:
        """Linux's PSH on a segment that is not the last queued: where one of the application's writes ends
        (tcp_push marks the last skb of each write), or where the unpushed data passes half the peer's
        largest window (forced_push)."""
        if not self._cfg.forced_push:
            return NO_FLAGS
        end = self.snd_nxt + n
        if self._pass_write_ends(end) or end.since(self._pushed_seq) > self.max_snd_wnd // 2:
            self._pushed_seq = end
            return PSH
        return NO_FLAGS

    def _pass_write_ends(self, end: SeqNum) -> bool:
        """Forget the ends of writes up to ``end``; True if there was one."""
        ends = self._write_ends
        passed = False
        while ends and ends[0].since(end) <= 0:
            ends.popleft()
            passed = True
        return passed

    def _send_fin(self, now: float, data: bytes = b"", *, arm_rto: bool = True) -> None:
        self._fin_sent = True
        if data:
            key, flags = SendKey.FIN_WITH_DATA, FIN | ACK | PSH
        else:
            key, flags = (SendKey.FIN_ACKS_FIN if self.eof else SendKey.FIN), FIN | ACK
        self._transmit(self.snd_nxt, flags, data, now, key, arm_rto=arm_rto)

    def _transmit(
        self,
        seq: SeqNum,
        flags: Flags,
        payload: bytes,
        now: float,
        key: SendKey,
        *,
        options: Options = NO_OPTIONS,
        arm_rto: bool = True,
        retransmission: bool = False,
    ) -> None:
        """Send a new segment that occupies sequence space; keep it for retransmission (``retransmission``: it
        went before, as a Fast Open SYN's data)."""
        control = int(flags) & (SYN_BIT | FIN_BIT)  # (a plain int: ``Flags & Flags`` is a Python call)
        end = seq + (len(payload) + (1 if control & SYN_BIT else 0) + (1 if control & FIN_BIT else 0))
        if payload and not self._rtx:  # tcp_event_data_sent: CA_EVENT_TX_START (only CUBIC has an epoch to move)
            self.cc.resume_sending(now - self._last_data_sent, now)
        sent = _Sent(seq, payload, ALL_FLAGS[control], end, options, sent_at=now, last_sent=now)
        sent.pushed = bool(int(flags) & PSH_BIT)
        self._rtx.append(sent)
        if end > self.snd_nxt:
            self.snd_nxt = end
        if self._rtt_seq is None:  # time one segment at a time (RFC 6298 section 3)
            self._rtt_seq, self._rtt_sent_at = end, now
        if arm_rto and Timer.RETRANSMIT not in self._timers:  # RFC 6298 section 5.1
            self._start(Timer.RETRANSMIT, now + self.rto.rto)
        if payload and self._acks is not None:
            self._acks.data_sent(now)
        self._send(seq, flags, payload, key, options=options, retransmission=retransmission)
        sent.retransmitted = retransmission
        if self.cc.by_pipe or self.cc.cwr_until is not None:
            self.cc.sent(end.since(seq))
        if (payload or flags & FIN) and self._probing():  # tcp_write_xmit re-arms it after each new segment
            self._schedule_probe(now)

    def _retransmit_head(self, now: float, key: SendKey, *, restart_timer: bool = True) -> None:
        """Send the earliest unacknowledged segment again (RFC 6298 section 5.4)."""
        head = self._rtx[0]
        head.retransmitted = True
        head.last_sent = now
        self._rtt_seq = None  # Karn's rule: no RTT sample while a retransmission is out
        flags = head.flags if self.state is State.SYN_SENT else head.flags | ACK
        if self.state is State.SYN_RECEIVED and flags & SYN:
            flags = self._syn_ack_flags()
        options = head.options
        if self.state is State.SYN_SENT:
            cfg = self._cfg
            if self._fastopen_syn is not None:  # a SYN sent again is a plain one (Linux's tcp_send_syn_data
                options = head.options = replace(options, fastopen=None)  # keeps the SYN without data queued)
                self._requeue_syn_data(head)
            self._ecn_asked = cfg.ecn and self._retries <= cfg.ecn_syn_retries
            if self._ecn_asked:
                flags |= ECE | CWR  # still asking for ECN (RFC 3168 6.1.1.1 allows giving up)
            if cfg.syn_options_retries is not None and self._retries >= cfg.syn_options_retries:
                options = Options(mss=options.mss) if options.mss is not None else NO_OPTIONS
        elif options.fastopen is not None:  # a SYN,ACK sent again carries no cookie (tcp_rtx_synack: foc NULL)
            options = head.options = replace(options, fastopen=None)
        flags |= self._resend_push(head)
        if restart_timer:
            self._start(Timer.RETRANSMIT, self._rto_deadline(now))  # section 5.6
        self._send(head.seq, flags, head.payload, key, options=options, retransmission=True)

    def _resend_push(self, entry: _Sent, *, last_rule: bool = False) -> Flags:
        """PSH on a segment sent again.  Linux: the PSH that marked the end of a write (tcp_push's
        tcp_mark_push), which the skb keeps (tcp_fragment and tso_fragment leave PSH on the tail part only,
        so a frame's PSH is not kept; tcp_retransmit_skb sends the skb's own flags); else
        PSH on the last segment queued (``last_rule``: on the segment a loss probe sends again)."""
        if not entry.payload or entry.flags & FIN:
            return Flags(0)
        pushed = entry.pushed if self._cfg.forced_push else last_rule or entry is self._rtx[-1]
        return PSH if pushed else Flags(0)

    def _send(
        self,
        seq: SeqNum,
        flags: Flags,
        payload: bytes,
        key: SendKey,
        *,
        options: Options = NO_OPTIONS,
        retransmission: bool = False,
    ) -> None:
        """Build one segment of this connection and report it for sending."""
        bits = int(flags)  # (tests on a plain int: ``Flags & Flags`` is a Python call)
        if payload:
            self._last_data_sent = self._clock  # Linux's lsndtime (tcp_event_data_sent)
        if bits & RST_BIT:
            window = 0
        elif bits & SYN_BIT:  # never scaled in a SYN (RFC 7323 2.2)
            window = self._initial_window or min(self.rcv_wnd, 65535)
            self._last_wnd = window  # Linux's tp->rcv_wnd starts as the SYN's window (tcp_connect_init, rsk_rcv_wnd)
            if self._rmem is not None and bits & ACK_BIT:  # the SYN,ACK's right edge holds too (tcp_receive_window)
                self._rcv_adv = self.rcv_nxt + window
        else:
            window = self._window_field(bits)
        if (
            bits == ACK_BIT
            and not payload
            and self._cfg.ack_resends_fin
            and self._fin_sent
            and not self.fin_acked
            and seq == self.snd_nxt
            and key not in _BARE_ACKS
        ):
            # FreeBSD's tcp_output() repeats an unacknowledged FIN on every ACK
            # it builds; only challenge ACKs (tcp_respond()) go out bare.
            seq, flags, bits = self.snd_nxt - 1, FIN | ACK, FIN_BIT | ACK_BIT
        ack = self.rcv_nxt if bits & ACK_BIT else _SEQ_ZERO
        if not bits & (SYN_BIT | RST_BIT):
            options = self._segment_options(bits)
        ecn = _NOT_ECT
        if self._ecn_ok and not bits & (SYN_BIT | RST_BIT):
            flags, ecn = self._ecn_marks(flags, payload, retransmission)
        seg = Segment(
            self.port, self.remote_port, seq, ack, flags, window, options, payload, self.addr, self.remote_addr, 0, ecn
        )
        if bits & ACK_BIT:  # every ACK sent settles the one owed
            if self._acks is not None:
                self._acks.ack_sent(self._ack_scheduled)
            self._ack_scheduled = False
            self._rcv_wup = self.rcv_nxt
            self._dsack = None
            self._ack_pending = False
            self._unacked_full_segments = 0
            self._window_update = False
            if Timer.DELAYED_ACK in self._timers:
                self._stop(Timer.DELAYED_ACK)
        view = self.tcb() if self.explaining else NOT_RECORDED
        self._notes.append(Note(NoteKind.SEND, key, view, seg, retransmission=retransmission))

    def _ecn_marks(self, flags: Flags, payload: bytes, retransmission: bool) -> tuple[Flags, Ecn]:
        """ECN on a connection that agreed to it (RFC 3168 6.1.2-6.1.5; Linux's tcp_ecn_send): new data goes
        ECN-capable (ECT(0)), the first after a reduction with CWR; ACKs and retransmissions go not-ECT; every
        segment carries ECE while a congestion mark received waits for the peer's CWR."""
        ecn = _NOT_ECT
        if payload and not retransmission:
            ecn = Ecn.ECT0
            if self.cc.cwr_to_send:
                self.cc.cwr_to_send = False
                flags |= CWR
        if self._demand_cwr:
            flags |= ECE
        return flags, ecn

    def _ecn_received(self, seg: Segment) -> None:
        """RFC 3168 6.1.3 (Linux's tcp_ecn_accept_cwr, tcp_ecn_check_ce): CWR on data ends the echo, and a
        CE mark on data starts it, the ACKs then sent at once (tcp_enter_quickack_mode: the sender may be
        down to a window of one segment)."""
        if seg.flags & CWR:
            self._demand_cwr = False
        if seg.ecn is Ecn.CE and not self._demand_cwr:
            self._demand_cwr = True
            if self.explaining:
                self._notes.append(Note(NoteKind.INFO, InfoKey.CE_RECEIVED, self.tcb()))
            if self._acks is not None:
                self._acks.enter_quickack(self._last_wnd or self.rcv_wnd)

    def _window_field(self, bits: int) -> int:
        """The window field of a segment other than a SYN or RST (RFC 9293 3.8.6.2.2; RFC 7323 2.3: scaled),
        remembered as the window last announced."""
        wnd = self.rcv_wnd
        self._last_wnd = wnd
        self._short_of_room()  # (tcp_select_window)
        wscale = self.rcv_wscale
        if self._initial_window:  # Linux rounds up rather than shrink the window (tcp_select_window)
            wnd += -wnd % (1 << wscale)
        window = min(wnd >> wscale, 65535)
        if self._initial_window and bits & ACK_BIT:
            self._rcv_adv = _iadd(self.rcv_nxt, window << wscale) & MASK  # (a plain int: rcv_wnd reads it)
        return window

    def _segment_options(self, bits: int) -> Options:
        """Options after the handshake: timestamps on every segment once agreed (RFC 7323 3.2), SACK blocks
        on an ACK while data is held out of order or a duplicate came (RFC 2018 4, RFC 2883)."""
        timestamps = (self._ts_value(), self._ts_recent) if self._ts_ok else None
        sacking = self.peer_sack_permitted and self._sack_offered  # (self._sacking(), inlined: asked per send)
        blocks = self._sack_blocks() if bits & ACK_BIT and sacking and (self._ooo or self._dsack) else ()
        if timestamps is None and not blocks:
            return NO_OPTIONS
        if blocks:
            return Options(timestamps=timestamps, sack_blocks=blocks)
        last = self._ts_options  # (a burst sent at one instant carries the same timestamps: one value serves)
        if last.timestamps != timestamps:
            last = self._ts_options = Options(timestamps=timestamps)
        return last

    def _ack_now(self, key: SendKey) -> None:
        self._send(self.snd_nxt, ACK, b"", key)

    def _emit(self, seg: Segment, key: SendKey) -> None:
        self._notes.append(Note(NoteKind.SEND, key, self.tcb() if self.explaining else NOT_RECORDED, seg))

    def _emit_rst(self, seq: SeqNum, answering: Segment, key: SendKey) -> None:
        """<SEQ=SEG.ACK><CTL=RST>: a reset the offending segment's sender will accept."""
        self._emit(
            Segment(self.port, answering.src_port, seq, flags=RST, src_addr=self.addr, dst_addr=answering.src_addr),
            key,
        )

    # ---------------------------------------------------- congestion control
    # The hooks of model/congestion.py: an ACK of new data, a duplicate ACK, a timeout, the send limit.
    def _after_new_ack(self, acked: int, flight: int, now: float, grow_by: int, *, ece: bool = False) -> None:
        cc = self.cc
        if not cc.active or (acked == 1 and self.fin_acked):  # the ACK of a FIN alone: no data, no growth
            return
        recovering = cc.phase is Phase.FAST_RECOVERY
        srtt, rtt, nxt = self.rto.srtt, self._ack_rtt, self.snd_nxt
        was = cc.phase
        self._report(cc.on_ack(acked, flight, self.snd_una, now, srtt, rtt=rtt, snd_nxt=nxt, grow_by=grow_by, ece=ece))
        if was is not Phase.OPEN and cc.phase is Phase.OPEN and self._rack_on:
            self._rack.recovery_over()  # RFC 8985 6.2 step 4: exiting fast or RTO recovery
        if recovering and cc.phase is Phase.FAST_RECOVERY and self._rtx and not cc.by_pipe:
            # RFC 6582 3.2 step 5: a partial ACK; _acknowledge has restarted the timer already
            self._retransmit_head(now, SendKey.PARTIAL_ACK_RETRANSMIT, restart_timer=False)

    def _grow_by(self, acked: int, scoreboard: bool) -> int:
        """What the ACK lets cwnd grow by: the bytes it acknowledges (RFC 5681 3.1, RFC 3465), or with
        ``grow_by_delivered`` what it newly delivers (Linux's acked_sacked): with SACK the bytes newly SACKed or
        acknowledged unSACKed; without, tcp_remove_reno_sacks counts each duplicate ACK as a segment delivered
        then, so the ACK that covers them adds only the rest, at least one segment."""
        if not self._cfg.grow_by_delivered:
            return acked
        if scoreboard:
            return self._delivered
        return max(acked - self._dupacks * self.snd_mss, min(acked, self.snd_mss))

    def _after_duplicate_ack(self, now: float) -> None:
        flight = self.snd_nxt.since(self.snd_una)
        resend, changes = self.cc.on_duplicate_ack(self._dupacks, flight, self.snd_una, self.snd_nxt)
        self._report(changes)
        if resend:
            self._retransmit_head(now, SendKey.FAST_RETRANSMIT)  # RFC 5681 section 3.2

    def _after_timeout(self) -> None:
        flight = self.snd_nxt.since(self.snd_una)
        self._report(self.cc.on_timeout(flight, self.snd_nxt, first=self._retries == 1))
        self._resend_next = self._rtx[0].end  # the head goes again now; the rest as cwnd allows
        for entry in self._rtx:  # the timeout's own rules resend what is not SACKed (Linux's tcp_enter_loss)
            entry.lost = entry.resent = False
        self._tlp_high = None
        for timer in (Timer.REORDER, Timer.LOSS_PROBE):
            self._stop(timer)

    # ---------------------------------------------------- loss recovery with SACK (model/recovery.py)
    def _scoreboarding(self) -> bool:
        """SACK was negotiated and the profile recovers by the scoreboard (RFC 6675)."""
        return self._cfg.sack_recovery and self.cc.mss > 0 and self.peer_sack_permitted and self._sack_offered

    def _take_sack(self, seg: Segment, now: float) -> int:
        """RFC 6675 section 5: update the scoreboard from an ACK's SACK blocks; tell RACK what was
        delivered (RFC 8985 6.2).  Returns how many segments were newly SACKed."""
        ack, rack = seg.ack, self._rack
        blocks = seg.options.sack_blocks
        dsack = bool(blocks) and blocks[0][0] < ack  # RFC 2883: a D-SACK first
        if self._tlp_high is not None and dsack:
            self._tlp_dsack = True
        prior_fack = self._fack(self.snd_una) if self._sacked_out else self.snd_una  # (nothing SACKed: no walk)
        if self._rack_on:
            rack.on_ack(max(ack, self.snd_una), self.snd_nxt, dsack=dsack)
        newly = recovery.mark_sacked(self._rtx, recovery.valid_blocks(blocks, max(ack, self.snd_una))) if blocks else []
        racking = self._rack_on
        delivered = 0
        low: SeqNum | None = None  # the lowest never-retransmitted segment delivered now (Linux's reord)
        for entry in self._rtx:  # cumulatively acknowledged
            if 0 < (_isub(entry.end, ack) & MASK) < HALF:  # entry.end > ack
                break
            if entry.sacked:
                self._sacked_out -= 1
                continue
            delivered += _isub(entry.end, entry.seq) & MASK  # (its length)
            low = entry.seq if low is None and not entry.retransmitted else low
            if racking:
                rack.delivered(entry, now)
        for entry in newly:
            if not entry.retransmitted and (low is None or entry.seq < low):
                low = entry.seq
        for entry in newly:
            delivered += entry.end.since(entry.seq)
            self._sacked_out += 1
            self.delivered_packets += 1  # tcp_sacktag_one's tcp_count_delivered
            rack.sacked(entry)
            if racking:
                rack.delivered(entry, now)
        self._delivered = delivered
        if low is not None and low < prior_fack:
            self._check_reordering(low, self._fack(ack))
        rtx = self._rtx
        if newly and rtx and ack == self.snd_una and any(e.last_sent < rtx[0].last_sent for e in newly):
            # Linux's tcp_clean_rtx_queue: a SACK of data sent before the head last went restarts the RTO,
            # so that a long recovery is not cut short by the timer
            self._start(Timer.RETRANSMIT, self._rto_deadline(now))
        return len(newly)

    def _fack(self, una: SeqNum) -> SeqNum:
        """The end of the highest segment SACKed above ``una``, or ``una`` (Linux's tcp_highest_sack_seq)."""
        ends = [e.end for e in self._rtx if e.sacked and e.end > una]
        return max(ends) if ends else una

    def _check_reordering(self, low: SeqNum, fack: SeqNum) -> None:
        """Linux's tcp_check_sack_reordering: a segment never sent again was delivered below one SACKed before
        it, so the network reordered; the distance, in whole segments, raises ``reordering`` (at most
        tcp_max_reordering, 300)."""
        if not low < fack:
            return
        metric = fack.since(low)
        mss = self.snd_mss
        if mss and metric > self.reordering * mss:
            self.reordering = min(-(-metric // mss), MAX_REORDERING)
        self.reord_seen += 1

    def scoreboard(self) -> tuple[int, int, int, int]:
        """Segments not yet acknowledged, SACKed, marked lost (not SACKed), and sent again and not SACKed:
        Linux's packets_out, sacked_out, lost_out and retrans_out (tcpi_unacked, tcpi_sacked, tcpi_lost,
        tcpi_retrans)."""
        rtx = self._rtx
        lost = sum(1 for e in rtx if e.lost and not e.sacked)
        retrans = sum(1 for e in rtx if e.retransmitted and not e.sacked)
        return len(rtx), self._sacked_out, lost, retrans

    def _sack_loss(self, now: float, *, advanced: bool) -> None:
        """Mark what is lost (RFC 6675 IsLost and DupThresh, or RACK), and enter recovery for it."""
        cc, rtx = self.cc, self._rtx
        if not rtx:
            timers = self._timers
            for timer in (Timer.REORDER, Timer.LOSS_PROBE):
                if timer in timers:  # (most ACKs find neither running)
                    self._stop(timer)
            return
        if cc.phase is Phase.LOSS:
            return
        if self._rack_on:
            lost = self._rack_detect(now)
        else:
            lost = bool(self._sacked_out and recovery.mark_lost_by_sack(rtx, self.snd_mss))
            if self._dupacks >= DUPTHRESH and not rtx[0].sacked and not rtx[0].lost:
                rtx[0].lost = lost = True  # RFC 6675 section 5 step 1: DupAcks >= DupThresh
        if lost and cc.phase is Phase.OPEN:
            self._enter_sack_recovery(now)
        if cc.recovering_by_pipe():
            pipe = recovery.pipe(rtx)
            self._report(cc.prr_ack(self._delivered, pipe, una_advanced=advanced, newly_lost=lost))
        elif advanced and self._probing():  # Linux's tcp_set_xmit_timer: the probe timer runs from this ACK
            self._schedule_probe(now)

    def _rack_detect(self, now: float) -> bool:
        """RFC 8985 6.2 step 5; arms the reordering timer for what may yet be lost."""
        rack, cc = self._rack, self.cc
        if not rack.advanced:
            return False
        srtt = self.rto.srtt or 0.0
        reo_wnd = rack.reo_wnd(cc.phase is not Phase.OPEN, recovery.sacked_count(self._rtx), srtt)
        newly, wait = rack.detect(self._rtx, now, reo_wnd)
        if wait:  # Linux's tcp_rack_mark_lost: the timer waits what is left, plus TCP_TIMEOUT_MIN_US, in ticks
            self._start(Timer.REORDER, now + min(reorder_timeout(wait, self._cfg.timer_tick), self.rto.rto))
        return bool(newly)

    def _on_reorder_timeout(self, now: float) -> None:
        """RFC 8985 6.3: the reordering window has passed: mark again, and recover.  Linux's
        tcp_rack_reo_timeout: a recovery it starts reduces cwnd as if one segment had been delivered
        (tcp_cwnd_reduction(sk, 1, ...)), so PRR lets one retransmission go now."""
        self._rack.advanced = True
        if self._rtx and self.cc.phase is not Phase.LOSS and self._rack_detect(now) and self.cc.phase is Phase.OPEN:
            self._enter_sack_recovery(now)
            if self.cc.recovering_by_pipe():
                pipe = recovery.pipe(self._rtx)
                self._report(self.cc.prr_ack(self.snd_mss, pipe, una_advanced=False, newly_lost=True))

    def _enter_sack_recovery(self, now: float) -> None:
        flight = self.snd_nxt.since(self.snd_una)
        self._report(self.cc.enter_sack_recovery(flight, self.snd_una, self.snd_nxt, rack=self._rack_on))
        if self.cc.recovering_by_pipe():
            self._stop(Timer.LOSS_PROBE)
            self._tlp_high = None  # Linux's tcp_init_cwnd_reduction: the probe's episode is this recovery's
            if not self.cc.prr:  # (PRR sends the first one by its own rule)
                self._resend_marked(now, first=True)  # RFC 6675 5 step 4.3: the first lost one goes at once

    def _resend_marked(self, now: float, *, first: bool = False) -> None:
        """RFC 6675 section 5 (C): while cwnd - pipe allows a segment, send the next lost one (NextSeg
        rule 1); new data follows in _output (rule 2).  ``first``: the first one goes whatever the pipe."""
        if not self.cc.recovering_by_pipe():
            return
        key = SendKey.RACK_RETRANSMIT if self._rack_on else SendKey.SACK_RETRANSMIT
        while (entry := recovery.next_lost(self._rtx)) is not None:
            if not first and not self._cwnd_allows(entry.end.since(entry.seq)):
                return
            first = False
            entry.resent = entry.retransmitted = True
            entry.last_sent = now
            self.cc.sent(entry.end.since(entry.seq))
            self._rtt_seq = None  # Karn's rule
            flags = entry.flags | ACK | self._resend_push(entry)
            self._send(entry.seq, flags, entry.payload, key, retransmission=True)
            if entry is self._rtx[0]:  # Linux's tcp_xmit_retransmit_queue: resending the head restarts the RTO
                self._start(Timer.RETRANSMIT, self._rto_deadline(now))

    # ---------------------------------------------------- tail loss probe (RFC 8985 section 7)
    def _probing(self) -> bool:
        """A tail loss probe may be scheduled: RACK-TLP with SACK, in the open state, no probe out."""
        return (
            self._rack_on
            and self.cc.phase is Phase.OPEN
            and self._scoreboarding()
            and self._tlp_high is None
            and not self._sacked_out
        )

    def _schedule_probe(self, now: float) -> None:
        """RFC 8985 7.2 (Linux's tcp_schedule_loss_probe): PTO after the last send, if before the RTO."""
        rto_at = self._timers.get(Timer.RETRANSMIT)
        pto = probe_timeout(self.rto.srtt, len(self._rtx), self._cfg.min_rto, self._cfg.timer_tick)
        if rto_at is not None:  # TLP_calc_PTO: a PTO past the RTO's expiry is cut to it (the probe goes first)
            self._start(Timer.LOSS_PROBE, min(now + pto, rto_at))
        else:
            self._stop(Timer.LOSS_PROBE)

    def _on_loss_probe(self, now: float) -> None:
        """RFC 8985 7.3: send one new segment if the peer's window allows, else the last one again."""
        if not self._rtx or not self._probing():
            return
        usable = (self.snd_una + self.snd_wnd).since(self.snd_nxt) + self._syn_ack_outside()
        self._tlp_dsack = False
        self._tlp_high = self.snd_nxt  # one probe per flight: none scheduled while this one is out
        if self._unsent and self._window_takes_next(usable):
            n = min(self._send_mss(), usable, self._to_record_end())
            data = bytes(self._unsent[:n])
            del self._unsent[:n]
            self._tlp_resent = False
            flags = ACK | (PSH if not self._unsent else self._forced_push(n))
            self._transmit(self.snd_nxt, flags, data, now, SendKey.LOSS_PROBE_NEW)
        else:
            last = self._rtx[-1]
            last.retransmitted = last.resent = True
            last.last_sent = now
            self._rtt_seq = None
            self._tlp_resent = True
            flags = last.flags | ACK | self._resend_push(last, last_rule=True)
            self._send(last.seq, flags, last.payload, SendKey.LOSS_PROBE, retransmission=True)
        self._tlp_high = self.snd_nxt
        self._start(Timer.RETRANSMIT, self._rto_deadline(now))  # Linux's tcp_send_loss_probe: rearm the RTO

    def _window_takes_next(self, usable: int) -> bool:
        """Does the peer's window (``usable`` bytes past SND.NXT) take the next new segment?  With
        ``segment_fits_window``, only whole (Linux's tcp_snd_wnd_test: asked by tcp_write_xmit, and by
        tcp_send_loss_probe before it sends new data rather than the last segment again)."""
        if usable <= 0:
            return False
        return not self._cfg.segment_fits_window or min(self._send_mss(), self._to_record_end()) <= usable

    def _tlp_acked(self) -> None:
        """RFC 8985 7.4 (Linux's tcp_process_tlp_ack): an ACK beyond the probe without a D-SACK for it
        means the probe repaired a loss: reduce the window once."""
        high = self._tlp_high
        if high is None or self.snd_una < high:
            return
        if self._tlp_resent and not self._tlp_dsack and self.snd_una > high and self.cc.phase is Phase.OPEN:
            self._report(self.cc.reduce_once(self.cc.cwnd))
        if self.snd_una > high or self._tlp_dsack or not self._tlp_resent:
            self._tlp_high = None

    def _pipe(self) -> int:
        """The bytes cwnd counts as in the network: FlightSize, or after a timeout (when everything sent
        before it counts as lost, as Linux's tcp_enter_loss marks it) only what went again or went since."""
        cc = self.cc
        if cc.by_pipe and cc.phase is Phase.FAST_RECOVERY:  # (cc.recovering_by_pipe(), inlined: asked per send)
            return recovery.pipe(self._rtx)  # RFC 6675 section 4, SetPipe
        if cc.phase is not Phase.LOSS or cc.recover is None:
            if self._dupacks and cc.phase is Phase.OPEN and self._cfg.limited_transmit:
                return self._limited_transmit_pipe()
            flight = _isub(self.snd_nxt, self.snd_una) & MASK  # SND.NXT.since(SND.UNA), on plain ints
            if self.fastopen_child:
                flight -= self._syn_ack_outside()
            return flight - MODULUS if flight > HALF else flight
        resent = max(self._resend_next.since(self.snd_una), 0)
        return resent + max(self.snd_nxt.since(cc.recover), 0)

    def _limited_transmit_pipe(self) -> int:
        """Limited transmit (RFC 3042; RFC 5681 3.2): each of the first two duplicate ACKs lets one new segment
        go, cwnd unchanged.  With SACK what is SACKed has left the pipe (RFC 6675 5 step 3); without, each
        duplicate ACK stands for one segment that left, as Linux counts it (tcp_add_reno_sack, at most all but
        one of the segments out)."""
        if self._sacked_out:
            return recovery.pipe(self._rtx)
        left = min(self._dupacks, DUPTHRESH - 1, len(self._rtx) - 1) * self.snd_mss
        return max(self.snd_nxt.since(self.snd_una) - left, 0)

    def _validate_cwnd(self, sent: bool) -> None:
        """Linux's tcp_write_xmit ends in tcp_cwnd_validate when it sent something or cwnd is full (the packets
        in flight fill it: no room for one more segment), so that cwnd grows only while it is used."""
        cc = self.cc
        if not cc.mss:  # (no congestion window: cc.room would say no limit)
            return
        room = cc.cwnd - self._pipe()
        limited = room < cc.mss
        if sent or limited:
            cc.validate(limited, len(self._rtx), self.snd_una, self.snd_nxt)

    def _syn_ack_outside(self) -> int:
        """1 while a Fast Open child's SYN,ACK is unacknowledged: Linux keeps it with the request sock, not in the
        child's queue (tcp_create_openreq_child: snd_una = snd_nxt = ISS + 1), so it takes no room of cwnd and
        the peer's window counts from after it (tcp_fastopen_create_child: snd_wnd from the SYN); else 0."""
        return 1 if self.fastopen_child and self.snd_una == self.iss else 0

    def _cwnd_allows(self, n: int) -> bool:
        """May a segment of ``n`` more bytes go out (RFC 5681 section 3: at most cwnd in flight)?"""
        room = self.cc.room(self._pipe())
        return room is None or n <= room

    def _resend_lost(self, now: float) -> None:
        """After a timeout, send again what was sent before it, in order, as cwnd allows."""
        cc = self.cc
        if cc.phase is not Phase.LOSS or cc.recover is None:
            return
        if self._resend_next < self.snd_una:
            self._resend_next = self.snd_una
        for entry in self._rtx:
            if entry.end <= self._resend_next or entry.sacked:  # the peer holds a SACKed one already
                continue
            if entry.seq >= cc.recover or not self._cwnd_allows(entry.end.since(entry.seq)):
                return
            entry.retransmitted = True
            entry.last_sent = now
            self._rtt_seq = None  # Karn's rule
            flags = entry.flags | ACK | self._resend_push(entry)
            self._send(entry.seq, flags, entry.payload, SendKey.LOSS_RETRANSMIT, retransmission=True)
            self._resend_next = entry.end

    def _report(self, changes: list[Change]) -> None:
        if self.explaining:
            for change in changes:
                self._notes.append(Note(NoteKind.CONGESTION, change.key, self.tcb(), args=change.args))

    # ------------------------------------------------------------- helpers
    def _answer_out_of_window(self, seg: Segment, now: float, key: SendKey, why: ReceiveKey) -> ReceiveKey:
        """Answer a segment that is not acceptable with an ACK (RFC 9293 3.10.7.4, first step).  Linux answers
        an empty one (or a SYN) at most once per invalid_ratelimit (tcp_oow_rate_limited): data is always
        answered, since it cannot be part of an ACK loop."""
        if self._cfg.oow_ratelimit and (not seg.payload or seg.flags & SYN):
            last = self._oow_answered_at
            if last is not None and now - last < self._cfg.invalid_ratelimit:
                return ReceiveKey.OUT_OF_WINDOW_LIMITED
            self._oow_answered_at = now
        self._ack_now(key)
        return why

    def _sacking(self) -> bool:
        """Both ends offered SACK-permitted: this receiver reports what it holds (RFC 2018 section 4)."""
        return self.peer_sack_permitted and self._sack_offered

    def _report_duplicate(self, start: SeqNum, end: SeqNum) -> None:
        """Remember a duplicate for the next ACK's first SACK block: a D-SACK (RFC 2883 section 4)."""
        if self._sacking() and start != end:
            self._dsack = (start, end)
        if self._acks is not None:  # Linux answers a duplicate at once (tcp_enter_quickack_mode)
            self._acks.enter_quickack(self._last_wnd or self.rcv_wnd)  # tp->rcv_wnd: the window last announced

    def _sack_blocks(self) -> tuple[tuple[SeqNum, SeqNum], ...]:
        """The SACK blocks of an ACK (RFC 2018 section 4): a D-SACK first (RFC 2883), then the out-of-order
        data held, the block of the latest arrival first; 3 fit beside the timestamps, 4 without."""
        blocks: list[tuple[SeqNum, SeqNum]] = [self._dsack] if self._dsack is not None else []
        most = 3 if self._ts_ok else 4
        if self._ooo:
            blocks += self._ooo.blocks(most - len(blocks))
        return tuple(blocks[:most])

    def _acceptable(self, seg: Segment) -> bool:
        """The four cases of the acceptability test (RFC 9293 3.10.7.4, first step)."""
        wnd = self.rcv_wnd
        seg_len = seg.len
        rcv_nxt = self.rcv_nxt
        if wnd == 0:
            # Strictly only an empty segment at RCV.NXT; but RFC 9293 asks for
            # "special allowance" to take valid ACKs and RSTs, so a segment at
            # RCV.NXT goes on: its text is trimmed away later (and ACKed).
            return seg.seq == rcv_nxt
        if seg_len == 0:
            return seg.seq.in_window(rcv_nxt, wnd)
        return seg.seq.in_window(rcv_nxt, wnd) or (seg.seq + (seg_len - 1)).in_window(rcv_nxt, wnd)

    def _trim_to_window(self, seg: Segment) -> Segment:
        """The "idealized segment" of 3.10.7.4: cut what lies before RCV.NXT or past the window."""
        before = self.rcv_nxt.since(seg.seq)
        if before > 0:
            seg = _trim_front(seg, before)
        room = self.rcv_wnd - seg.seq.since(self.rcv_nxt)
        if len(seg.payload) > room:
            return replace(seg, payload=seg.payload[: max(room, 0)], flags=seg.flags & ~FIN)
        if seg.flags & FIN and len(seg.payload) + 1 > room:
            return replace(seg, flags=seg.flags & ~FIN)
        return seg

    def _acknowledge(self, ack: SeqNum, now: float, timestamps: tuple[int, int] | None = None) -> None:
        """SND.UNA < SEG.ACK =< SND.NXT: new data acknowledged (fifth step).  ``timestamps``: the ACK's
        (TSval, TSecr), for an RTT sample where the oldest segment it covers was sent more than once."""
        self.snd_una = ack
        rtx = self._rtx
        oldest: _Sent | None = rtx[0] if rtx and (_isub(ack, rtx[0].end) & MASK) < HALF else None  # end <= ack
        newest = oldest
        while rtx and (_isub(ack, rtx[0].end) & MASK) < HALF:
            newest = rtx.popleft()
            if not newest.sacked:  # (counted when SACKed: tcp_clean_rtx_queue's tcp_count_delivered)
                self.delivered_packets += 1
            if int(newest.flags) & FIN_BIT:
                self.fin_acked = True
        if not rtx:  # tcp_clean_rtx_queue: all acknowledged
            self.chrono.stop(ChronoKind.BUSY, now, queues_empty=not self._unsent)
        if rtx and rtx[0].seq < ack:  # the head is partly acknowledged
            head = rtx[0]
            if head.flags & SYN and oldest is None:  # a Fast Open SYN whose data is partly acknowledged: its SYN
                oldest = head  # is a segment of its own in Linux's queue (tcp_send_syn_data), timed when acked
                self.delivered_packets += 1  # and delivered
            cut = ack.since(head.seq) - (1 if head.flags & SYN else 0)
            head.payload = head.payload[cut:]
            head.seq = ack
            head.flags &= ~SYN
        rtt: float | None = None
        ca_rtt: float | None = None
        if self._cfg.rtt_every_ack:  # Linux (tcp_clean_rtx_queue): the oldest segment this ACK covers
            if oldest is not None and not oldest.retransmitted:  # (Karn's rule)
                rtt = now - oldest.sent_at
            elif oldest is not None and timestamps and self._ts_ok and self._cfg.rtt_from_tsecr:
                rtt = self._tsecr_rtt(timestamps[1])
            # and, for the congestion control (cubictcp_acked's HyStart), the newest: ca_rtt_us
            if newest is not None and not (newest.retransmitted or newest.sacked):
                ca_rtt = now - newest.sent_at
        elif self._rtt_seq is not None and self._rtt_seq <= ack:  # RFC 6298 3: one segment at a time
            rtt = ca_rtt = now - self._rtt_sent_at
            self._rtt_seq = None
        self._ack_rtt = ca_rtt
        if rtt is not None:
            self.rto.sample(rtt)
            self._rack.sample(rtt)
            if self.explaining:
                self._notes.append(
                    Note(
                        NoteKind.INFO,
                        InfoKey.RTT_SAMPLE,
                        self.tcb(),
                        args=(("rtt", rtt), ("srtt", self.rto.srtt), ("rto", self.rto.rto)),
                    )
                )
        self._retries = 0
        if rtx:  # RFC 6298 section 5.3: restart the timer for what is left
            self._start(Timer.RETRANSMIT, now + self.rto.rto)
        else:  # section 5.2: everything acknowledged, turn the timer off
            self._stop(Timer.RETRANSMIT)

    def _update_window(self, seg: Segment, now: float, *, force: bool = False) -> None:
        """SND.WND from an acceptable ACK, guarded by SND.WL1/WL2 (3.10.7.4, fifth step)."""
        ack, seq, wl1 = seg.ack, seg.seq, self.snd_wl1
        if not force and not (  # SND.UNA =< SEG.ACK =< SND.NXT, and SND.WL1 < SEG.SEQ or (= and SND.WL2 =< SEG.ACK)
            (_isub(ack, self.snd_una) & MASK) < HALF
            and (_isub(self.snd_nxt, ack) & MASK) < HALF
            and (0 < (_isub(seq, wl1) & MASK) < HALF or (seq == wl1 and (_isub(ack, self.snd_wl2) & MASK) < HALF))
        ):
            return
        wnd = seg.window if int(seg.flags) & SYN_BIT else seg.window << self.snd_wscale
        reopened = self.snd_wnd == 0 and wnd > 0 and Timer.PERSIST in self._timers
        changed = wnd != self.snd_wnd
        self.snd_wnd = wnd
        if changed and self._unsent:
            self._restart_after_idle(now)  # Linux's tcp_ack_update_window: data waits, the window moved
        if wnd > self.max_snd_wnd:
            self.max_snd_wnd = wnd
        self.snd_wl1, self.snd_wl2 = seg.seq, seg.ack
        if reopened:
            # The window opened: stop probing.  A probe still unacknowledged was
            # refused by the zero window, so it goes again first.
            self._stop(Timer.PERSIST)
            if self._rtx:
                self._retransmit_head(now, SendKey.PROBE_AFTER_OPEN)

    def _learn_syn_options(self, seg: Segment) -> None:
        """MSS (RFC 9293 3.7.1), window scale (RFC 7323 2.2), SACK-permitted (RFC 2018)."""
        opts = seg.options
        self._ts_ok = self._cfg.timestamps and opts.timestamps is not None
        # RFC 9293 3.7.1 (MUST-16): Eff.snd.MSS counts the options each segment carries, so the
        # timestamps option (10 bytes, 12 with its padding) leaves that much less room for data
        # An MSS option of 0 is ignored, and a tiny one raised to min_snd_mss (Linux: tcp_parse_options,
        # tcp_min_snd_mss), so that every segment carries data and the sender never spins.
        peer = opts.mss or self._default_peer_mss
        self.snd_mss = max(max(min(peer, self.adv_mss), self._cfg.min_snd_mss) - (12 if self._ts_ok else 0), 1)
        if self._cfg.round_buffer_to_mss:  # FreeBSD's tcp_mss(): a whole number of segments
            self.recv_buffer = -(-self._cfg.recv_buffer // self.snd_mss) * self.snd_mss
        self.peer_sack_permitted = opts.sack_permitted
        offered = self._offered_wscale()
        if opts.wscale is not None and offered is not None:
            self.snd_wscale = min(opts.wscale, 14)
            self.rcv_wscale = offered
            self.wscale_ok = True  # tcpi_options' TCPI_OPT_WSCALE
        else:
            self.snd_wscale = self.rcv_wscale = 0
            self.wscale_ok = False

    def _syn_options(self, reply_to: Segment | None) -> Options:
        """Our SYN's options; a SYN,ACK offers window scale, SACK and timestamps
        only if the SYN did (RFC 7323 2.2 and 3.2, RFC 2018)."""
        cfg = self._cfg
        if cfg.no_options:
            return NO_OPTIONS
        wscale = self._offered_wscale() if reply_to is None or reply_to.options.wscale is not None else None
        sack = cfg.sack_permitted and (reply_to is None or reply_to.options.sack_permitted)
        timestamps = None
        if cfg.timestamps and (reply_to is None or reply_to.options.timestamps is not None):
            timestamps = (self._ts_value(), self._ts_recent if reply_to is not None else 0)
        return Options(
            mss=self.adv_mss,
            wscale=wscale,
            sack_permitted=sack,
            timestamps=timestamps,
            fastopen=self._fastopen_reply if reply_to is not None else None,
        )

    def _tsecr_rtt(self, tsecr: int) -> float | None:
        """RFC 7323 4.1 (RTTM): the echoed TSval times the copy the peer answered, so a retransmitted
        segment's ACK is a valid sample too (Linux's tcp_rtt_tsopt_us: in whole milliseconds, at least 1).
        None for no echo, or one from the future."""
        if not tsecr:
            return None
        elapsed = (self._ts_value() - tsecr) & 0xFFFFFFFF
        return None if elapsed >= 1 << 31 else max(elapsed, 1) / 1000

    def _ts_value(self) -> int:
        """TSval: a millisecond clock (RFC 7323 5.4 allows any monotone clock), from a per-connection offset
        where the profile says so (RFC 7323 7.1 recommends one; Linux does it since 4.10)."""
        return (int(self._clock * 1000) + self._ts_offset) & 0xFFFFFFFF

    def _echoes_our_syn(self, seg: Segment) -> bool:
        """Linux's SYN-SENT test of a SYN,ACK's TSecr (tcp_rcv_synsent_state_process): none, or one of the TSvals
        we sent from our first SYN (retrans_stamp) to now."""
        ts = seg.options.timestamps
        if ts is None or not ts[1]:
            return True
        first = (int(self._first_sent_at * 1000) + self._ts_offset) & 0xFFFFFFFF
        return (ts[1] - first) & 0xFFFFFFFF <= (self._ts_value() - first) & 0xFFFFFFFF

    def _offered_wscale(self) -> int | None:
        """The window-scale shift we offer: the profile's, or (Linux's tcp_select_initial_window) the one
        the largest receive buffer needs: ilog2(buffer) - 15, between 0 and 14 (RFC 7323 2.3)."""
        cfg = self._cfg
        if cfg.window_scale is not None or not cfg.window_scale_auto:
            return cfg.window_scale
        space = cfg.recv_buffer if cfg.fixed_recv_buffer else max(cfg.recv_buffer, cfg.recv_buffer_max)
        return min(14, max(0, space.bit_length() - 16))

    def _rcv_mss_guess(self) -> int:
        """The size of the segments the peer will send, before any arrives: our MSS less the timestamps."""
        return max(self.adv_mss - (12 if self._ts_ok else 0), 1)  # (an MSS of 12 leaves no room: one byte)

    def _choose_initial_window(self, mss: int) -> None:
        """Linux's tcp_select_initial_window: the SYN's window, a whole number of ``mss`` (at most 65535)."""
        if self._cfg.round_window_to_mss:
            space = min(self.recv_buffer, 65535)
            self._initial_window = self._rcv_ssthresh = space - space % mss if space >= mss else space

    def _after_handshake(self, *, simultaneous: bool = False) -> None:
        self._retries = 0
        self.data_received_at = self._clock  # Linux: tcp_finish_connect, tcp_create_openreq_child
        self._last_data_sent = self._clock  # (and lsndtime: tcp_init_transfer)
        if self._acks is not None:
            self._acks.start(self._rcv_mss_guess(), self.rcv_wnd, None if simultaneous else self._clock)
        self._pushed_seq = self._snd_sml = self.snd_una
        syn_lost = self._syn_retransmits >= self._cfg.lost_syn_window_after
        self._report(self.cc.start(self.snd_mss, syn_lost=syn_lost))
        if self._cfg.keepalive:
            self._start(Timer.KEEPALIVE, self._clock + self._cfg.keepalive_idle)
        # RFC 6298 section 5.7: after a retransmitted SYN, data starts with RTO >= 3 s.
        if self._syn_was_retransmitted and self.rto.srtt is None and self.rto.rto < 3.0:
            self.rto.base = self.rto.rto = 3.0
        self._stop(Timer.ESTABLISH)

    def _start(self, timer: Timer, deadline: float) -> None:
        self._timers[timer] = deadline
        if self.explaining:
            self._notes.append(Note(NoteKind.TIMER_SET, timer.value, self.tcb(), timer=timer, deadline=deadline))

    def _stop(self, timer: Timer) -> None:
        if self._timers.pop(timer, None) is not None and self.explaining:
            self._notes.append(Note(NoteKind.TIMER_CANCEL, timer.value, self.tcb(), timer=timer))

    def _stop_all_timers(self) -> None:
        for timer in list(self._timers):
            self._stop(timer)

    def _move(self, new: State, key: StateKey) -> None:
        old = self.state
        if (old, new) not in ALLOWED:
            raise ModelError(f"{self.name}: the model tried {old} -> {new}, which RFC 9293 does not allow")
        self.state = new
        if self.explaining:
            self._notes.append(Note(NoteKind.STATE, key, self.tcb(), old_state=old))

    def _app(self, call: AppKey, **args: object) -> None:
        if self.explaining:
            self._notes.append(Note(NoteKind.APP, call, self.tcb(), args=tuple(args.items())))

    def _enter_time_wait(self, now: float, key: StateKey) -> None:
        self._stop_all_timers()
        self._move(State.TIME_WAIT, key)
        self._start(Timer.TIME_WAIT, now + 2 * self._cfg.msl)

    def _fail(self, now: float, error: ErrorKey, key: StateKey) -> None:
        """The connection is over without a clean close: tell the application, delete the TCB."""
        self.error = error
        self._stop_all_timers()
        self._rtx.clear()
        self._unsent.clear()
        if self.explaining:
            self._notes.append(Note(NoteKind.ERROR, error, self.tcb()))
        self._move(State.CLOSED, key)

    def _rst_flags(self) -> Flags:
        """RST for a live connection: RFC 9293 3.10.5 names <SEQ=SND.NXT><CTL=RST>;
        Linux and FreeBSD add ACK (ack=RCV.NXT), which ``rst_carries_ack`` follows."""
        return RST | ACK if self._cfg.rst_carries_ack else RST

    def _abort_on_data(self, seg: Segment, now: float) -> None:
        """RFC 1122 4.2.2.13: data after the application closed: reset.  Linux answers the segment as a closed
        port would (tcp_v4_send_reset: seq = its ACK, no ACK flag), not with its own RST at SND.NXT."""
        if self._cfg.reset_answers_data and seg.flags & ACK:
            self._reset_connection(
                now, SendKey.RST_DATA_AFTER_CLOSE_ANSWER, StateKey.RST_DATA_AFTER_CLOSE, seq=seg.ack, flags=RST
            )
        else:
            self._reset_connection(now, SendKey.RST_DATA_AFTER_CLOSE, StateKey.RST_DATA_AFTER_CLOSE)

    def _reset_connection(
        self, now: float, why: SendKey, key: StateKey, *, seq: SeqNum | None = None, flags: Flags | None = None
    ) -> None:
        """Send <SEQ=SND.NXT><CTL=RST> (or the ``seq`` and ``flags`` given) and delete the TCB (ABORT,
        RFC 9293 3.10.5)."""
        self._send(self.snd_nxt if seq is None else seq, self._rst_flags() if flags is None else flags, b"", why)
        self._stop_all_timers()
        self._rtx.clear()
        self._unsent.clear()
        self._move(State.CLOSED, key)

    def _back_to_listen(self, key: StateKey) -> None:
        """A passive connection that is reset in SYN-RECEIVED goes back to LISTEN."""
        self._stop_all_timers()
        self._rtx.clear()
        self.remote_addr, self.remote_port = "", 0
        self.snd_una = self.snd_nxt = self.iss
        self._move(State.LISTEN, key)


def _ts_offset(iss: int) -> int:
    """A per-connection timestamp offset, made from the ISN (itself seeded): Linux hashes the addresses
    with a secret (secure_tcp_ts_off); any value that differs per connection shows the same."""
    return (iss * 0x9E3779B1 + 0x7F4A7C15) & 0xFFFFFFFF


def _trim_front(seg: Segment, n: int) -> Segment:
    """Remove ``n`` octets of sequence space from the front (a SYN counts as one)."""
    flags = seg.flags
    payload = seg.payload
    seq = seg.seq + n
    if flags & SYN:
        flags &= ~SYN
        n -= 1
    return replace(seg, seq=seq, flags=flags, payload=payload[max(n, 0) :])
