"""Named profiles: the choices a real stack makes where the RFCs leave room.

A profile is an ``EndpointConfig`` plus the preprocessor symbols a packetdrill
script may test (``#ifdef FreeBSD`` / ``#ifdef STANDARD``).  The default is
``linux``, Linux 6.x as a capture of an ordinary conversation shows it;
``simple`` keeps Linux's rules but none of its options, for first lessons;
``rfc`` is the plain text of RFC 9293 (RFC 793's reset rules, no RFC 5961);
``freebsd`` makes the choices the tcp-testsuite scripts expect.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from .config import AckPolicy, EndpointConfig
from .congestion import Algorithm
from .errors import ScenarioError
from .recovery import LossDetection


@dataclass(frozen=True, slots=True)
class Profile:
    """A stack's choices, by name."""

    name: str
    description: str
    config: EndpointConfig
    defines: frozenset[str]  # symbols for #ifdef in packetdrill scripts


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "linux",
            "Linux 6.x (the default): SYN options mss, SACK-permitted, timestamps and window scale (the shift its "
            "largest receive buffer needs), timestamps on every segment and SACK blocks; windows in whole segments; "
            "quick ACKs at the start, then delayed ACKs of 40 ms and more, interactive mode and an ACK every second "
            "full segment; RTO floor 200 ms on the variance, linear SYN timeouts, 60 s TIME-WAIT; empty zero-window "
            "probes, segments of at most half the peer's window, Nagle's algorithm; challenge ACKs (RFC 5961); CUBIC "
            "congestion control with an initial window of 10 segments, as Linux's default, grown only while it is used "
            "(tcp_is_cwnd_limited), with limited transmit (RFC 3042).",
            EndpointConfig(
                sack_permitted=True,
                timestamps=True,
                window_scale_auto=True,
                round_window_to_mss=True,
                ts_offset=True,
                oow_ratelimit=True,
                ack_policy=AckPolicy.LINUX,
                backlog_ack_defer=True,
                backlog_coalesce=True,
                skb_overhead=832,  # SKB_TRUESIZE of the header room, measured with SO_MEMINFO on 6.18 x86-64
                rcv_coalesce=True,
                measured_scaling_ratio=True,
                syn_linear_timeouts=4,
                min_rto=0.2,
                rto_min_on_variance=True,
                max_rto=120.0,
                msl=30.0,
                empty_window_probe=True,
                half_window_segments=True,
                forced_push=True,
                tso_frames=True,
                nagle=True,
                unsent_ack_dropped=True,
                reset_answers_data=True,
                syn_data_dropped=True,
                synack_tsecr_check=True,
                ecn_answer=True,
                cwr_prr=True,
                orphan_retries=8,
                rtt_every_ack=True,
                rtt_from_tsecr=True,
                slow_start_after_idle=True,
                ts_recent_on_valid_ack=True,
                congestion=Algorithm.CUBIC,
                slow_start_limit=0,
                cwnd_limited_growth=True,
                limited_transmit=True,
                grow_by_delivered=True,
                sack_recovery=True,
                prr=True,
                hystart=True,
                cubic_first_growth=0.05,
                cubic_min_rtt=True,
                ssthresh_from_cwnd=True,
                timer_tick=0.004,
                loss_detection=LossDetection.RACK,
                segment_fits_window=True,
                fastopen=1,  # net.ipv4.tcp_fastopen's default: client only (TFO_CLIENT_ENABLE)
            ),
            frozenset({"STANDARD", "Linux"}),
        ),
        Profile(
            "simple",
            "Linux's rules without its options, for first lessons: MSS option only, so ladders show just the "
            "numbers the lesson is about; every segment ACKed at once early on, the ACK of a FIN held so a close "
            "can carry it, challenge ACKs (RFC 5961), RFC 6298's 1 s minimum RTO, a 4 s TIME-WAIT; no congestion "
            'control (congestion = "none"): the sender is limited by the peer\'s window alone.',
            EndpointConfig(),
            frozenset({"STANDARD", "Linux"}),
        ),
        Profile(
            "rfc",
            "The plain text of RFC 9293 without its recommended extras: a SYN or RST inside the window resets "
            "the connection (no RFC 5961), every segment is ACKed at once, RFC 6298's 1 s minimum RTO. No "
            'congestion control (congestion = "none"): the first lessons watch the peer\'s window alone, and the '
            "profile's outputs stay those of those lessons; RFC 9293 3.8.2 requires RFC 5681, which "
            'congestion = "reno" turns on, with RFC 5681\'s own initial window of 2 to 4 segments.',
            EndpointConfig(
                rfc5961=False,
                delay_fin_ack=False,
                fast_retransmit=False,
                rst_carries_ack=False,
                time_wait_reuse=False,
                initial_window=None,
                lost_syn_window_after=1,
            ),
            frozenset({"STANDARD"}),
        ),
        Profile(
            "freebsd",
            "FreeBSD-like, as the tcp-testsuite scripts expect. SYN options mss, wscale 6, SACK-permitted and "
            "timestamps; a 65536-byte receive buffer, rounded up to a whole number of MSS at the handshake and "
            "accepted in full even beyond the 65535 a window field can announce; RTO slop of 200 ms on every "
            "backed-off timeout and 10 SYN retransmissions; delayed ACKs (100 ms) but the ACK of a FIN at once; "
            "an ACK sent while its FIN is unacknowledged carries the FIN again; the ACK field of an old segment "
            "still used; TIME-WAIT by FreeBSD's own rules (tcp_twcheck: no acceptability test, RSTs ignored as "
            'RFC 1337 suggests); challenge ACKs (RFC 5961); NewReno congestion control (congestion = "reno", '
            "FreeBSD's newreno, the default the tcp-testsuite scripts were written for) with an initial window "
            "of 10 segments and limited transmit (RFC 3042).",
            EndpointConfig(
                recv_buffer=65536,
                window_scale=6,
                sack_permitted=True,
                timestamps=True,
                delay_fin_ack=False,
                rto_slop=0.2,
                min_rto=0.03,
                synack_retries=3,
                syn_retries=10,
                ack_policy=AckPolicy.DELAYED,
                delayed_ack_timeout=0.1,
                bsd_time_wait=True,
                round_buffer_to_mss=True,
                window_is_buffer=True,
                ack_resends_fin=True,
                old_segment_acks=True,
                rfc1337=True,
                keepalive_probes=8,
                congestion=Algorithm.RENO,
                lost_syn_window_after=1,
                limited_transmit=True,
            ),
            frozenset({"FreeBSD"}),
        ),
    )
}
DEFAULT_PROFILE = "linux"


def profile(name: str) -> Profile:
    """The profile called ``name`` (one clear error if there is none)."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ScenarioError(f"no profile called {name!r} (profiles: {', '.join(PROFILES)})") from None


def settings(*, every: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """Each setting with its value in every profile: those that differ, or ``every`` one."""
    out = []
    for f in fields(EndpointConfig):
        values = {name: getattr(p.config, f.name) for name, p in PROFILES.items()}
        if every or len({repr(v) for v in values.values()}) > 1:
            out.append((f.name, values))
    return out
