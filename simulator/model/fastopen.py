"""TCP Fast Open (RFC 7413), as Linux does it (net/ipv4/tcp_fastopen.c): pure functions.

A server gives a client a cookie, a MAC of their addresses under its key (RFC 7413 4.1.2); a later SYN
that carries the cookie may carry data, which the server takes before the handshake ends (4.2.2).
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass

from .segment import FastOpen, Segment
from .siphash import siphash24

__all__ = [
    "CachedServer",
    "ClientSyn",
    "FastOpenBits",
    "ServerAnswer",
    "SynAnswered",
    "client_syn",
    "cookie",
    "learned",
    "parse_key",
    "server_answer",
]

# Linux's MAX_TCP_OPTION_SPACE: room a SYN with data leaves for options middle-boxes may add (tcp_send_syn_data)
SYN_DATA_OPTION_ROOM = 40


class FastOpenBits(enum.IntFlag):
    """The bits of Linux's net.ipv4.tcp_fastopen (include/net/tcp.h, TFO_*)."""

    CLIENT = 0x1  # TFO_CLIENT_ENABLE
    SERVER = 0x2  # TFO_SERVER_ENABLE
    CLIENT_NO_COOKIE = 0x4  # TFO_CLIENT_NO_COOKIE
    SERVER_COOKIE_NOT_REQD = 0x200  # data on any SYN is taken, cookie or not
    SERVER_WO_SOCKOPT1 = 0x400  # every listener does Fast Open, its queue as long as its backlog


def parse_key(text: str) -> bytes:
    """A key as net.ipv4.tcp_fastopen_key writes it: four 32-bit hex words (a backup key after a comma
    is ignored); each word is stored little-endian (proc_tcp_fastopen_key: cpu_to_le32)."""
    words = text.split(",")[0].strip().split("-")
    if len(words) != 4:
        raise ValueError(f"a Fast Open key is four hex words joined by '-', not {text[:40]!r}")
    return b"".join(int(w, 16).to_bytes(4, "little") for w in words)


def _packed(addr: str) -> bytes:
    try:
        return ipaddress.ip_address(addr).packed
    except ValueError:  # a scenario's host named, not numbered: its name stands for its address
        return addr.encode()


def cookie(key: bytes, client: str, server: str) -> bytes:
    """The 8-byte cookie for a client: SipHash-2-4 of the SYN's source then destination address
    (Linux's __tcp_fastopen_cookie_gen_cipher; RFC 7413 4.1.2 leaves the MAC to the server)."""
    return siphash24(key, _packed(client) + _packed(server))


def _well_formed(value: bytes) -> bool:
    """RFC 7413 4.1.1: 4 to 16 bytes; Linux also wants an even length (tcp_parse_fastopen_option)."""
    return 4 <= len(value) <= 16 and len(value) % 2 == 0


@dataclass(frozen=True, slots=True)
class ServerAnswer:
    """What a listener does with a SYN's Fast Open: take its data now, and the option its SYN,ACK carries."""

    take_data: bool
    option: FastOpen | None


def server_answer(bits: int, queue_room: bool, key: bytes, syn: Segment, server: str) -> ServerAnswer:
    """Linux's tcp_try_fastopen: a SYN with the right cookie (or any SYN with data, with cookies not
    required) is taken with its data; a cookie request, or a wrong cookie, gets the right cookie back
    and a normal handshake (RFC 7413 4.2.2: the SYN,ACK then acknowledges only the SYN)."""
    asked = syn.options.fastopen
    if asked is not None and asked.cookie and not _well_formed(asked.cookie):
        asked = None  # tcp_parse_fastopen_option: a cookie of a bad length is no option at all
    no_answer = ServerAnswer(False, None)
    if not bits & FastOpenBits.SERVER or not queue_room or (not syn.payload and asked is None):
        return no_answer
    if bits & FastOpenBits.SERVER_COOKIE_NOT_REQD:
        return ServerAnswer(True, None)
    if asked is None:
        return no_answer
    valid = cookie(key, syn.src_addr, server)
    if asked.cookie == valid:  # a valid cookie: the child is made at once (tcp_fastopen_create_child)
        return ServerAnswer(True, None)
    return ServerAnswer(False, FastOpen(valid, asked.experimental))  # answered in the option's own kind


# ------------------------------------------------------------ the client
@dataclass(frozen=True, slots=True)
class CachedServer:
    """What a client remembers of a server (Linux's tcp_fastopen_metrics in tcp_metrics.c): the cookie its
    last SYN,ACK gave (None: none yet) and the MSS it offered."""

    cookie: FastOpen | None = None
    mss: int | None = None
    try_exp: int = 0  # a request went unanswered: 1 ask in the experimental form next, 2 then in RFC 7413's


@dataclass(frozen=True, slots=True)
class SynAnswered:
    """A Fast Open SYN and the SYN,ACK that answered it; ``resent``: the SYN was sent again meanwhile."""

    syn: ClientSyn
    syn_ack: Segment
    resent: bool


@dataclass(frozen=True, slots=True)
class ClientSyn:
    """A Fast Open SYN: its option (an empty cookie asks for one; None: no option) and the data it carries."""

    option: FastOpen | None
    data: bytes


def client_syn(bits: int, cached: CachedServer, data: bytes, our_mss: int) -> ClientSyn:
    """Linux's tcp_fastopen_cookie_check then tcp_send_syn_data: with a cached cookie (or with tcp_fastopen's
    0x4, no cookie needed) the SYN carries the data, at most one MSS less the room kept for options, the MSS
    the server last offered if smaller; without one it asks for a cookie and carries none (RFC 7413 4.1.3)."""
    if cached.cookie is None and not bits & FastOpenBits.CLIENT_NO_COOKIE:
        return ClientSyn(FastOpen(b"", experimental=cached.try_exp == 1), b"")
    mss = min(our_mss, cached.mss) if cached.mss else our_mss
    return ClientSyn(cached.cookie, data[: max(0, mss - SYN_DATA_OPTION_ROOM)])


def learned(answered: SynAnswered, cached: CachedServer) -> CachedServer:
    """What a SYN,ACK teaches the cache (tcp_rcv_fastopen_synack, tcp_fastopen_cache_set): its MSS, and its
    cookie if it carries a well-formed one our SYN asked for with its own option (the old one is kept
    otherwise: a SYN sent without the option, as tcp_fastopen 0x4 sends it, takes no cookie).  A cookie
    request, not sent again, that got no cookie is asked next in the experimental option's form, then in
    RFC 7413's."""
    option = answered.syn_ack.options.fastopen
    mss = answered.syn_ack.options.mss or cached.mss
    if answered.syn.option is None:  # tcp_rcv_fastopen_synack: "Ignore an unsolicited cookie" (no syn_fastopen)
        option = None
    if option is not None and _well_formed(option.cookie):
        return CachedServer(option, mss, cached.try_exp)
    asked = answered.syn.option
    try_exp = cached.try_exp
    if asked is not None and not answered.syn.data and not answered.resent and cached.cookie is None:
        try_exp = max(try_exp, 2 if asked.experimental else 1)
    return CachedServer(cached.cookie, mss, try_exp)
