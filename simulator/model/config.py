"""Settings of one endpoint: the knobs a lesson turns."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, fields

from .congestion import Algorithm
from .errors import ScenarioError
from .recovery import LossDetection


class AckPolicy(enum.Enum):
    """When a receiver acknowledges data."""

    IMMEDIATE = "immediate"  # every segment at once (Linux's quick-ACK mode)
    DELAYED = "delayed"  # RFC 1122 section 4.2.3.2 / RFC 9293 section 3.8.6.3
    LINUX = "linux"  # quick-ACK mode, then delayed ACKs that adapt to the arrivals (tcp_input.c)


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    """Everything an endpoint needs to know besides its addresses and ISN.

    The defaults are the simple base that unit tests and first lessons build on:
    Linux's rules on a plain conversation, without its options.  The named
    profiles (``profiles.py``) add each stack's choices; ``settings.py`` says
    where each one comes from.
    """

    mss: int | None = None  # MSS option we send, our largest segment; None: from the MTU (MTU - 40, IPv6 MTU - 60)
    mtu: int = 1500  # the link's MTU, which sets the MSS when none is given (Linux's tcp_advertise_mss)
    min_snd_mss: int = 48  # a peer's smaller MSS option is raised to this (Linux net.ipv4.tcp_min_snd_mss)
    recv_buffer: int = 65535  # RCV.WND when the application has read everything
    window_scale: int | None = None  # offered shift (RFC 7323), None: no option
    sack_permitted: bool = False  # offer SACK-permitted (RFC 2018); blocks are not generated
    ack_policy: AckPolicy = AckPolicy.IMMEDIATE
    delayed_ack_timeout: float = 0.2  # RFC 1122: < 0.5 s (Linux: 40 ms .. 200 ms)
    delay_fin_ack: bool = True  # Linux holds the ACK of a FIN briefly so a close can carry it
    initial_rto: float = 1.0  # RFC 6298 section 2.1
    min_rto: float = 1.0  # RFC 6298 section 2.4 (Linux: 0.2 s)
    max_rto: float = 60.0  # RFC 6298 section 2.5
    clock_granularity: float = 0.001  # G in RFC 6298 section 2
    syn_retries: int = 6  # Linux net.ipv4.tcp_syn_retries
    synack_retries: int = 5  # Linux net.ipv4.tcp_synack_retries
    data_retries: int = 15  # Linux net.ipv4.tcp_retries2 (RFC 1122's R2)
    msl: float = 2.0  # maximum segment lifetime; TIME-WAIT lasts 2*MSL (RFC: 2 min)
    fast_retransmit: bool = True  # RFC 5681 section 3.2, on the third duplicate ACK
    rfc5961: bool = True  # challenge ACKs for a SYN, or a RST not at RCV.NXT (RFC 9293 3.10.7.4)
    rfc5961_syn: bool | None = None  # overrides rfc5961 for SYNs alone (FreeBSD's insecure_syn)
    rfc5961_rst: bool | None = None  # overrides rfc5961 for RSTs alone (FreeBSD's insecure_rst)
    auto_read: bool = True  # the application reads data as soon as it arrives
    rto_slop: float = 0.0  # added to every backed-off RTO (FreeBSD's rexmit_slop, 0.2 s)
    connect_timeout: float | None = None  # give up the handshake after this (TCP_KEEPINIT)
    drop_synfin: bool = False  # drop segments with both SYN and FIN (FreeBSD's drop_synfin)
    timestamps: bool = False  # offer the timestamps option in the SYN (RFC 7323)
    no_options: bool = False  # send no options at all, not even MSS (TCP_NOOPT)
    rst_carries_ack: bool = True  # a reset of a live connection is RST,ACK with ack=RCV.NXT (Linux, FreeBSD)
    reset_answers_data: bool = False  # data after close is answered with the RST a closed port sends (Linux)
    syn_data_dropped: bool = False  # a listener keeps no data of a SYN it does not take by Fast Open (Linux)
    synack_tsecr_check: bool = False  # a SYN,ACK echoing no TSval of ours since the SYN gets a RST (Linux)
    orphan_retries: int | None = None  # RTO retransmissions after close before giving up; None: data_retries
    time_wait_reuse: bool = True  # a new SYN with a higher seq reopens from TIME-WAIT (RFC 1122 4.2.2.13 MAY)
    rfc1337: bool = False  # ignore a RST in TIME-WAIT (RFC 1337 remedy F1; FreeBSD on, Linux off)
    # FreeBSD's own choices (see simulator/profiles.py):
    round_buffer_to_mss: bool = False  # at the handshake, round the receive buffer up to a multiple of the MSS
    window_is_buffer: bool = False  # accept up to the free buffer even beyond the window announced
    ack_resends_fin: bool = False  # an ACK sent while our FIN is unacknowledged carries the FIN again
    old_segment_acks: bool = False  # use the ACK field of an old (duplicate) segment before answering it
    bsd_time_wait: bool = False  # TIME-WAIT by FreeBSD's tcp_twcheck(): ACK all but an exact duplicate ACK
    ecn: bool = False  # send an ECN-setup SYN, with ECE and CWR (RFC 3168 6.1.1)
    ecn_answer: bool = False  # answer an ECN-setup SYN with an ECN-setup SYN,ACK (RFC 3168 6.1.1)
    cwr_prr: bool = False  # after an ECN echo, cwnd falls to ssthresh by PRR (Linux's CWR state), not at once
    ecn_syn_retries: int = 1  # retransmitted SYNs that still ask for ECN (RFC 3168 6.1.1.1 fallback)
    fastopen: int = 0  # TCP Fast Open (RFC 7413), Linux's net.ipv4.tcp_fastopen bits: 1 client, 2 server, ...
    fastopen_key: str = "00000000-00000000-00000000-00000000"  # the cookie key (net.ipv4.tcp_fastopen_key)
    fastopen_queue: int = 0  # TCP_FASTOPEN on a listener: Fast Open children it may hold in SYN-RECEIVED
    syn_options_retries: int | None = None  # from this SYN retransmission on, only the MSS option
    keepalive: bool = False  # probe a quiet peer (SO_KEEPALIVE; RFC 1122 4.2.3.6: off by default)
    keepalive_idle: float = 7200.0  # quiet time before the first probe (Linux net.ipv4.tcp_keepalive_time)
    keepalive_interval: float = 75.0  # between probes (Linux net.ipv4.tcp_keepalive_intvl)
    keepalive_probes: int = 9  # unanswered probes before the connection is given up (tcp_keepalive_probes)
    invalid_ratelimit: float = 0.5  # answers to repeated SYNs no closer (net.ipv4.tcp_invalid_ratelimit)
    # Linux's own choices (issue 20; the ``linux`` profile turns them on):
    window_scale_auto: bool = False  # offer the shift the largest receive buffer needs (tcp_select_initial_window)
    recv_buffer_max: int = 6291456  # the receive buffer may grow to this (net.ipv4.tcp_rmem[2])
    fixed_recv_buffer: bool = False  # SO_RCVBUF was set: the buffer never grows, the offered shift fits it
    round_window_to_mss: bool = False  # SYN windows a whole number of MSS, later ones rounded up to the scale
    ts_offset: bool = False  # TSval counts from a per-connection offset (Linux since 4.10), not from 0
    oow_ratelimit: bool = False  # answer out-of-window segments at most once per invalid_ratelimit
    syn_linear_timeouts: int = 0  # SYN retransmissions before the RTO backs off (tcp_syn_linear_timeouts)
    rto_min_on_variance: bool = False  # min_rto bounds the variance term, not the RTO (Linux's tcp_set_rto)
    delayed_ack_min: float = 0.04  # the shortest delayed-ACK wait (Linux TCP_ATO_MIN) for ack = "linux"
    quickacks: int = 16  # ACKs sent at once when a connection starts or wakes (TCP_MAX_QUICKACKS)
    backlog_ack_defer: bool = False  # an ACK due while the application's call holds the socket waits for its end
    backlog_coalesce: bool = False  # data arriving meanwhile waits in the backlog, joined, handled at the call's end
    skb_overhead: int = 0  # buffers charged per skb, payload plus this (SKB_TRUESIZE); 0: in payload bytes
    rcv_coalesce: bool = False  # in-order data joins the receive queue's last skb (tcp_try_coalesce), one overhead
    measured_scaling_ratio: bool = False  # the window per buffer byte measured from arriving skbs (scaling_ratio)
    empty_window_probe: bool = False  # a zero-window probe is an empty ACK at SND.UNA - 1 (tcp_xmit_probe_skb)
    half_window_segments: bool = False  # no segment above half the largest window seen (tcp_bound_to_half_wnd)
    forced_push: bool = False  # PSH once more than half the peer's largest window went out unpushed (forced_push)
    tso_frames: bool = False  # data leaves in TSO frames; one cut from a pushed write keeps its PSH (Linux)
    min_tso_segs: int = 2  # the fewest segments a frame holds whatever the pacing rate (net.ipv4.tcp_min_tso_segs)
    user_timeout: float | None = None  # give up data unacknowledged this long (TCP_USER_TIMEOUT, RFC 5482)
    rtt_every_ack: bool = False  # an RTT sample from every ACK of new data (Linux), not one per RTT (RFC 6298 3)
    slow_start_after_idle: bool = False  # cwnd restarts after a quiet spell longer than the RTO (RFC 5681 4.1)
    rtt_from_tsecr: bool = False  # a retransmitted segment's ACK is an RTT sample by its TSecr (RFC 7323 4.1)
    unsent_ack_dropped: bool = False  # an ACK of unsent data is dropped without an answer (Linux's tcp_ack)
    ts_recent_on_valid_ack: bool = False  # TS.Recent only from a segment whose ACK is acceptable (tcp_ack)
    nagle: bool = False  # hold a small segment while data is unacknowledged (RFC 896; off: TCP_NODELAY)
    send_buffer: int | None = None  # bytes the send buffer holds (SO_SNDBUF); None: no limit
    notsent_lowat: int | None = None  # a write stops once this many bytes wait unsent (tcp_notsent_lowat)
    segment_fits_window: bool = False  # a segment goes only if it fits the peer's window whole (tcp_snd_wnd_test)
    # Congestion control (model/congestion.py).  Off unless asked for, so that an endpoint built by hand
    # sends as the window allows; the linux profile sets cubic, freebsd reno (FreeBSD's newreno).
    congestion: Algorithm = Algorithm.NONE
    initial_window: int | None = 10  # IW in segments (RFC 6928); None: RFC 5681 section 3.1's 2 to 4
    slow_start_limit: int = 2  # RFC 3465 2.3's L: segments slow start adds per ACK at most; 0: no limit
    cwnd_limited_growth: bool = False  # cwnd grows only while it limits the sender (tcp_is_cwnd_limited, RFC 7661)
    limited_transmit: bool = False  # the first two duplicate ACKs each let a new segment go (RFC 3042)
    grow_by_delivered: bool = False  # cwnd grows by what an ACK newly delivers (Linux's acked_sacked), not acknowledges
    lost_syn_window_after: int = 2  # after this many SYN (or SYN,ACK) retransmissions IW is one segment
    sack_recovery: bool = False  # with SACK negotiated, recover by the scoreboard and the pipe (RFC 6675)
    timer_tick: float | None = None  # the probe timer counts whole ticks of this (Linux's jiffy); None: exact
    hystart: bool = False  # CUBIC leaves slow start at HyStart's first sign of a full path (Linux's tcp_cubic)
    cubic_first_growth: float = 0.0  # before CUBIC's first loss, cwnd grows at least this share per RTT (Linux: 5%)
    cubic_min_rtt: bool = False  # CUBIC aims one minimum RTT ahead (Linux's delay_min), not one SRTT (RFC 9438 4.2)
    ssthresh_from_cwnd: bool = False  # Reno's ssthresh after a loss is cwnd / 2 (Linux), not FlightSize / 2 (RFC 5681)
    prr: bool = False  # in a SACK recovery, cwnd by Proportional Rate Reduction (RFC 6937), not cwnd = ssthresh
    loss_detection: LossDetection = LossDetection.DUPACK  # with SACK: dupack (RFC 6675) or rack (RFC 8985, RACK-TLP)

    @property
    def challenge_syn(self) -> bool:
        """Answer a SYN on a synchronized connection with a challenge ACK (RFC 5961 4.2)."""
        return self.rfc5961 if self.rfc5961_syn is None else self.rfc5961_syn

    @property
    def challenge_rst(self) -> bool:
        """Accept a RST only at exactly RCV.NXT, else challenge ACK (RFC 5961 3.2)."""
        return self.rfc5961 if self.rfc5961_rst is None else self.rfc5961_rst

    def __post_init__(self) -> None:
        for f in fields(self):  # NaN or an infinity would make every comparison below (and every timer) lie
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ScenarioError(f"{f.name} must be a finite number, not {value}")
        if self.mss is not None and not 1 <= self.mss <= 65495:
            raise ScenarioError(f"mss must be between 1 and 65495 bytes, not {self.mss}")
        if not 68 <= self.mtu <= 65535:
            raise ScenarioError(f"mtu must be between 68 and 65535 bytes, not {self.mtu}")
        if not 1 <= self.min_snd_mss <= 65495:
            raise ScenarioError(f"min_snd_mss must be between 1 and 65495 bytes, not {self.min_snd_mss}")
        if not (self.keepalive_idle > 0 and self.keepalive_interval > 0 and self.keepalive_probes >= 1):
            raise ScenarioError("keepalive_idle and keepalive_interval must be > 0 seconds, keepalive_probes >= 1")
        if not 0 < self.delayed_ack_min <= self.delayed_ack_timeout:
            raise ScenarioError(
                f"delayed_ack_min must be more than 0 and at most delayed_ack_timeout ({self.delayed_ack_timeout} s), "
                f"not {self.delayed_ack_min}"
            )
        if not 1 <= self.min_tso_segs <= 255:
            raise ScenarioError(f"min_tso_segs must be 1..255 segments, not {self.min_tso_segs}")
        for name in ("quickacks", "syn_linear_timeouts"):
            if getattr(self, name) < 0:
                raise ScenarioError(f"{name} must not be negative, not {getattr(self, name)}")
        if not 0 <= self.skb_overhead <= 65535:
            raise ScenarioError(f"skb_overhead must be 0..65535 bytes, not {self.skb_overhead}")
        if not 0 <= self.recv_buffer_max <= (65535 << 14):
            raise ScenarioError(f"recv_buffer_max must be 0..{65535 << 14} bytes, not {self.recv_buffer_max}")
        if self.send_buffer is not None and not 1 <= self.send_buffer <= 1 << 30:
            raise ScenarioError(f"send_buffer must be 1..{1 << 30} bytes, not {self.send_buffer}")
        if self.notsent_lowat is not None and not 1 <= self.notsent_lowat < 1 << 32:
            raise ScenarioError(f"notsent_lowat must be 1..{(1 << 32) - 1} bytes, not {self.notsent_lowat}")
        if not isinstance(self.congestion, Algorithm):
            names = ", ".join(a.value for a in Algorithm)
            raise ScenarioError(f"congestion must be one of {names}, not {self.congestion!r}")
        if not isinstance(self.loss_detection, LossDetection):
            names = ", ".join(d.value for d in LossDetection)
            raise ScenarioError(f"loss_detection must be one of {names}, not {self.loss_detection!r}")
        if self.timer_tick is not None and not 0 < self.timer_tick <= 0.1:
            raise ScenarioError(f"timer_tick must be more than 0 and at most 0.1 s, not {self.timer_tick}")
        if not 0 <= self.slow_start_limit <= 1000:
            raise ScenarioError(f"slow_start_limit must be 0 (no limit) to 1000 segments, not {self.slow_start_limit}")
        if self.initial_window is not None and not 1 <= self.initial_window <= 1000:
            raise ScenarioError(f"initial_window must be 1..1000 segments, not {self.initial_window}")
        if self.lost_syn_window_after < 1:
            raise ScenarioError(f"lost_syn_window_after must be at least 1, not {self.lost_syn_window_after}")
        if self.invalid_ratelimit < 0:
            raise ScenarioError("invalid_ratelimit must be >= 0 seconds")
        if not 0 <= self.recv_buffer <= (65535 << 14):
            raise ScenarioError(f"window (receive buffer) must be 0..{65535 << 14} bytes, not {self.recv_buffer}")
        if self.window_scale is not None and not 0 <= self.window_scale <= 14:
            raise ScenarioError(f"window_scale must be 0..14 (RFC 7323 section 2.3), not {self.window_scale}")
        if self.window_scale is None and not self.window_scale_auto and self.recv_buffer > 65535:
            raise ScenarioError(
                f"a window of {self.recv_buffer} bytes does not fit the 16-bit window field: set window_scale"
            )
        if not 0 <= self.fastopen < 1 << 32 or self.fastopen_queue < 0:
            raise ScenarioError("fastopen must be 0..2**32-1 (Linux's tcp_fastopen bits), fastopen_queue >= 0")
        if self.user_timeout is not None and self.user_timeout <= 0:
            raise ScenarioError("user_timeout must be a positive number of seconds")
        if self.rto_slop < 0 or (self.connect_timeout is not None and self.connect_timeout <= 0):
            raise ScenarioError("rto_slop must be >= 0 and connect_timeout > 0 seconds")
        for name in ("delayed_ack_timeout", "initial_rto", "min_rto", "max_rto", "msl"):
            if getattr(self, name) <= 0:
                raise ScenarioError(f"{name} must be a positive number of seconds")
        if self.min_rto > self.max_rto:  # RFC 6298 2.4 and 2.5 bound the RTO from both sides
            raise ScenarioError(f"min_rto ({self.min_rto} s) must not be more than max_rto ({self.max_rto} s)")
        if self.orphan_retries is not None and self.orphan_retries < 0:
            raise ScenarioError(f"orphan_retries must not be negative, not {self.orphan_retries}")
        for name in ("syn_retries", "synack_retries", "data_retries"):
            if getattr(self, name) < 0:
                raise ScenarioError(f"{name} must not be negative")
