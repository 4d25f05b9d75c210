"""What the network and the host around the endpoints say in a trace, keyed by what happened.

The endpoint's sentences live in ``model/explain.py``; these are the network's own: a segment a
scripted fault or the link loses, delays or copies, a bottleneck's full queue, a segment no endpoint
takes, an application that stops.  ``network.py`` names the key and the values; the words are here.
"""

from __future__ import annotations

import enum


class NetKey(enum.StrEnum):
    """What the network (or a host's TCP outside any connection) did."""

    FAULT_DROP = "fault_drop"
    FAULT_DUPLICATE = "fault_duplicate"
    FAULT_DELAY = "fault_delay"
    RANDOM_LOSS = "random_loss"
    RANDOM_DUPLICATE = "random_duplicate"
    QUEUE_FULL = "queue_full"
    INJECTED = "injected"
    OLD_DUPLICATE = "old_duplicate"
    ACCEPT_QUEUE_FULL = "accept_queue_full"
    NO_ENDPOINT = "no_endpoint"
    NO_ENDPOINT_FOR_RST = "no_endpoint_for_rst"
    APP_STOPS = "app_stops"
    FAULT_NEVER_FIRED = "fault_never_fired"
    FLAGS_MATCH_EXACTLY = "flags_match_exactly"


SENTENCES: dict[NetKey, str] = {
    NetKey.FAULT_DROP: "Scripted fault: the network loses {fault}.",
    NetKey.FAULT_DUPLICATE: "Scripted fault: the network delivers {fault} twice.",
    NetKey.FAULT_DELAY: "Scripted fault: the network holds back {fault} by {delay:g} s.",
    NetKey.RANDOM_LOSS: "The network loses this segment (random loss, probability {p:g}).",
    NetKey.RANDOM_DUPLICATE: "The network duplicates this segment (probability {p:g}).",
    NetKey.QUEUE_FULL: "The bottleneck's queue is full ({held} packets, limit {limit}): drop-tail drops the newcomer.",
    NetKey.INJECTED: "{why}: {label} (from {sender}'s address).",
    NetKey.OLD_DUPLICATE: "an old duplicate segment from an earlier connection",  # an injection's default why
    # Linux drops it without a word (tcp_conn_request: sk_acceptq_is_full)
    NetKey.ACCEPT_QUEUE_FULL: "{owner}'s accept queue is full: the SYN is dropped unanswered, and will come again.",
    NetKey.NO_ENDPOINT: "No endpoint at {addr}:{port}. The host's TCP answers for the closed port.",
    NetKey.NO_ENDPOINT_FOR_RST: "No endpoint at {addr}:{port}. A RST is never answered.",
    NetKey.APP_STOPS: "{name}'s application stops: {why}.",
    NetKey.FAULT_NEVER_FIRED: "fault {number} never fired: it was to act on {fault}, and {matched}{hint}.",
    NetKey.FLAGS_MATCH_EXACTLY: ' (flags must match exactly: a FIN that also acknowledges is "FA", data "PA")',
}


def say(key: NetKey, **values: object) -> str:
    """The sentence for ``key`` with ``values`` filled in."""
    return SENTENCES[key].format(**values)
