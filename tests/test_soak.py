"""One lossless run of the soak script (tools/soak.py), with every kind of conversation once, on a wire.

Two namespaces joined by a veth pair, captured at the server's end: each packet is seen once, as it
leaves or arrives there, in the order of that end (not the loopback's one order for both sides).
Needs root, ip, ethtool and tcpdump (and tshark to compare): it skips on a laptop without them
and fails under CI=true.
"""

from __future__ import annotations

import random

import pytest

from simulator.live.pytest_plugin import namespace_or_skip
from tools.soak import KINDS, WHOLE, WIRE, Setting, run_setting

pytestmark = [pytest.mark.live, pytest.mark.external]


def test_every_kind_of_conversation_on_a_wire_conforms_and_agrees_with_tshark(tmp_path):
    namespace_or_skip(["tcpdump", "tshark"], "run the soak on a wire")
    setting = Setting(
        wire=True,
        capture_at="server",
        loss=0.0,
        duplicate=0.0,
        reorder=0.0,
        buffer_kib=32768,
        snaplen=WHOLE,
        late=0.0,
        mtu=1500,
        offloads=True,
    )
    outcome = run_setting(setting, KINDS, random.Random(1), tmp_path / "wire.pcap", tshark=True)
    assert outcome.dropped == 0
    # the reused port makes five connections, Fast Open three and the full backlog six; a socket connected to
    # itself stays on the client's loopback, where a capture at the server does not see it
    assert len(outcome.reports) >= len(KINDS) + 4 + 2 + 5 - 1
    assert [(p.number, p.departure) for r in outcome.reports for p in r.departures] == []
    assert outcome.tshark == []
    explained = " ".join(p.explanation for r in outcome.reports for p in r.packets)
    assert "TCP Fast Open with a valid cookie" in explained  # the second and third connection's SYN data taken
    assert "a simultaneous open (RFC 9293 Figure 8)" in explained
    addresses = {r.a[0] for r in outcome.reports} | {r.b[0] for r in outcome.reports}
    assert {"10.99.0.1", "10.99.0.2"} <= addresses <= {*WIRE["client"], *WIRE["server"]}  # only the wire's
