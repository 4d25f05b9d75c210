"""Named profiles: the choices a real stack makes where the RFCs leave room.

A profile is an ``EndpointConfig`` plus the preprocessor symbols a packetdrill
script may test (``#ifdef FreeBSD`` / ``#ifdef STANDARD``).  The default is
``linux``; ``rfc`` is the plain text of RFC 9293 (RFC 793's reset rules, no
RFC 5961); ``freebsd`` makes the choices the tcp-testsuite scripts expect.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import EndpointConfig
from .errors import ScenarioError


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
            "Linux-like (the default): immediate ACKs early in a connection, the ACK of a FIN held so a close "
            "can carry it, challenge ACKs (RFC 5961), MSS option only.",
            EndpointConfig(),
            frozenset({"STANDARD", "Linux"}),
        ),
        Profile(
            "rfc",
            "The plain text of RFC 9293 without its recommended extras: a SYN or RST inside the window resets "
            "the connection (no RFC 5961), every segment is ACKed at once, RFC 6298's 1 s minimum RTO.",
            EndpointConfig(
                rfc5961=False, delay_fin_ack=False, fast_retransmit=False, rst_carries_ack=False, time_wait_reuse=False
            ),
            frozenset({"STANDARD"}),
        ),
        Profile(
            "freebsd",
            "FreeBSD-like, as the tcp-testsuite scripts expect: SYN options mss, window scale 6, SACK-permitted "
            "and timestamps; a 65536-byte receive buffer (window 65535); RTO slop of 200 ms on every backed-off "
            "timeout; the ACK of a FIN sent at once; challenge ACKs (RFC 5961); the receive buffer rounded up to "
            "a multiple of the MSS at the handshake, with data accepted up to it even beyond the announced "
            "window; an ACK sent while its FIN is unacknowledged carries the FIN again; the ACK field of an old "
            "segment still used; a RST in TIME-WAIT ignored (RFC 1337).",
            EndpointConfig(
                recv_buffer=65536,
                window_scale=6,
                sack_permitted=True,
                timestamps=True,
                delay_fin_ack=False,
                rto_slop=0.2,
                min_rto=0.03,
                synack_retries=3,
                syn_retries=6,
                round_buffer_to_mss=True,
                window_is_buffer=True,
                ack_resends_fin=True,
                old_segment_acks=True,
                rfc1337=True,
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
