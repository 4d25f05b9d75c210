"""`tcpsim check` on the close: FINs, crossed FINs and the ACKs that end a connection (RFC 9293 3.6)."""

from __future__ import annotations

import pytest

from simulator import load

from .captures import handshake, ignored_rst, reports, seg, write

pytest.importorskip("scapy", reason="these tests export scenarios with Scapy (pip install -e '.[dev]')")
from simulator.capture.export import export


def test_a_fin_resent_across_the_close_and_the_rst_that_answers_it_are_not_departures(tmp_path):
    # Seen in a lossy Linux capture: the client's FIN is lost, both FINs are resent, and the server's resend
    # (made before the client's FIN arrived, so its ack is old) reaches a client that has closed meanwhile.
    segments = [
        *handshake(),
        seg("FA", 501, 101, back=True),  # the server closes
        seg("FA", 101, 502),  # the client's FIN and ACK, lost after the capture point
        seg("FA", 101, 502),  # ... sent again
        seg("A", 502, 102, back=True),  # the server acknowledges it: the client is CLOSED
        seg("FA", 501, 101, back=True),  # the server's FIN again, made before the client's FIN arrived
        seg("R", 101),  # a closed socket answers it: <SEQ=SEG.ACK><CTL=RST>
    ]
    report = ignored_rst(tmp_path / "crossed.pcap", segments, because="a side that has closed")
    resent = report.packets[-2]
    assert "made before the ACK it sent already" in resent.explanation
    assert [str(state) for state in resent.after] == ["CLOSED", "TIME-WAIT"]  # the server's state does not go back


def test_a_fin_resent_after_an_ack_of_it_shows_that_ack_was_lost_after_the_capture_point(tmp_path):
    closing = [seg("FA", 101, 501), seg("A", 501, 102, back=True), seg("FA", 101, 501), seg("A", 501, 102, back=True)]
    (report,) = reports(write(tmp_path / "fin.pcap", handshake() + closing))
    assert [str(p.after[0]) for p in report.packets[3:]] == ["FIN-WAIT-1", "FIN-WAIT-2", "FIN-WAIT-1", "FIN-WAIT-2"]
    assert "its FIN at seq 1 again: the ACK of it seen before had not reached it" in report.packets[5].explanation


@pytest.mark.parametrize("at", ["client", "server"])
def test_fins_that_cross_are_a_simultaneous_close_both_sides_through_closing(tmp_path, at):
    export(load("simultaneous_close").run(), tmp_path / "close.pcap", at=at)
    (report,) = reports(tmp_path / "close.pcap")
    second_fin = [p for p in report.packets if "FIN" in p.labels][1]
    assert [str(s) for s in second_fin.after] == ["CLOSING", "CLOSING"]
    assert "the two FINs crossed, a simultaneous close" in second_fin.explanation
    assert [str(s) for s in report.packets[-1].after] == ["TIME-WAIT", "TIME-WAIT"]
