"""The sender's congestion events a capture shows, said in the checker's sentences (issue 21, item 6).

A capture holds no congestion window, but it shows what makes a sender change it: a resend after
three duplicate ACKs (fast retransmit: the window is halved and fast recovery begins, RFC 5681
section 3.2), a resend of the oldest byte after a quiet time (the retransmission timer fired: the
window falls to one segment, RFC 5681 section 3.1), and Linux's tail loss probe, which changes
nothing (RFC 8985 section 7).  The labels stay Wireshark's; only the sentences say more.
"""

from __future__ import annotations

import pytest

from simulator import load
from simulator.capture.checker import ConnectionReport

from .captures import handshake, reports, seg, write

pytest.importorskip("scapy", reason="the model's runs are exported with Scapy")

from simulator.capture.export import export

RTO_SAYS = "its retransmission timer fired (RFC 6298 section 5.4)"
HALVED = "halves its congestion window"


def _model(tmp_path, name: str, **options: str) -> ConnectionReport:
    path = tmp_path / f"{name}.pcap"
    export(load(name).run(), path, **options)
    (report,) = reports(path)
    assert report.conforms
    return report


def _resent(report: ConnectionReport) -> list[tuple[tuple[str, ...], str]]:
    return [
        (p.labels, p.explanation) for p in report.packets if set(p.labels) & {"retransmission", "fast retransmission"}
    ]


def test_a_fast_retransmit_after_three_duplicate_acks_is_a_congestion_event(tmp_path):
    ((labels, said),) = _resent(_model(tmp_path, "fast_retransmit"))
    assert labels == ("fast retransmission",)
    assert "3 duplicate ACKs" in said and HALVED in said and "fast recovery (RFC 5681 section 3.2, RFC 6582)" in said


def test_a_resend_after_two_duplicate_acks_is_the_senders_own_loss_detection_not_the_rfc_5681_event(tmp_path):
    # Captured at the receiver: 201..301 was lost before the capture point; two duplicate ACKs ask for it.
    segments = [*handshake(), seg("PA", 101, 501, b"a" * 100), seg("A", 501, 201, back=True)]
    segments += [seg("PA", 301, 501, b"c" * 100), seg("A", 501, 201, back=True)]
    segments += [seg("PA", 401, 501, b"d" * 100), seg("A", 501, 201, back=True), seg("PA", 201, 501, b"b" * 100)]
    (report,) = reports(write(tmp_path / "two.pcap", segments))
    last = report.packets[-1]
    assert last.labels == ("fast retransmission",) and "waits for three" in last.explanation
    assert HALVED not in last.explanation


@pytest.mark.parametrize("name", ["lost_data_retransmit", "timeout_collapse"])
def test_the_oldest_byte_resent_after_a_quiet_rto_is_the_timer_that_collapses_the_window(tmp_path, name):
    resent = _resent(_model(tmp_path, name))
    (labels, said), *after = resent
    assert labels == ("retransmission",)
    assert RTO_SAYS in said and "falls to one segment, the loss window" in said and "1000 ms" in said
    # what the sender resends next, in slow start right after the ACKs of the first, is no timer's doing
    assert all(RTO_SAYS not in later for _, later in after)


def test_the_last_segment_resent_while_the_peer_is_silent_is_a_tail_loss_probe(tmp_path):
    flight = [*handshake(), seg("PA", 101, 501, b"a" * 100), seg("PA", 201, 501, b"b" * 100)]
    (report,) = reports(write(tmp_path / "tlp.pcap", [*flight, seg("PA", 201, 501, b"b" * 100)]))
    probe = report.packets[-1]
    assert probe.labels == ("retransmission",) and "tail loss probe" in probe.explanation
    assert "RFC 8985 section 7" in probe.explanation and RTO_SAYS not in probe.explanation
    # After the peer's ACK of the first, the resend is of the oldest byte, the only one outstanding, a second
    # later (one packet a second here): the timer fired, or, in Linux, perhaps its probe; the sentence says both.
    acked = [*flight, seg("A", 501, 201, back=True), seg("PA", 201, 501, b"b" * 100)]
    (report,) = reports(write(tmp_path / "after-ack.pcap", acked))
    said = report.packets[-1].explanation
    assert RTO_SAYS in said and "most likely a tail loss probe" not in said
    assert "the only segment outstanding, so this may also be Linux's tail loss probe" in said


def test_a_resend_of_the_oldest_byte_soon_after_the_last_packet_is_not_called_a_timeout(tmp_path):
    # NewReno resends on a partial ACK, at once (RFC 6582 section 3.2): neither a timeout nor a probe.
    resent = _resent(_model(tmp_path, "fast_recovery"))
    assert resent and all(RTO_SAYS not in said and "tail loss probe" not in said for _, said in resent)
