"""The model's classification of each captured segment against Wireshark's TCP analysis (tshark)."""

from __future__ import annotations

import subprocess

import pytest

from simulator import load
from simulator.live.pytest_plugin import tool_or_skip

pytest.importorskip("scapy", reason="exports need Scapy (pip install -e '.[scapy]')")

from simulator.capture.analysis import LABELS, capture_labels, captured
from simulator.capture.export import export
from simulator.capture.labels import Label

pytestmark = pytest.mark.external  # tshark

# The analysis flags compared, each with its tshark field (Label.field): the model's own, and keep-alive.
COMPARED = (*LABELS, Label.KEEP_ALIVE)
LOSSY = [
    "lost_data_retransmit",
    "duplicate_segment",
    "reordered_segments",
    "zero_window",
    "lost_syn_ack",
    "fast_retransmit",
    "lost_syn",
    "lost_final_ack",
    "delayed_ack",
]


def understood(key: str, ours: frozenset[Label], theirs: set[Label]) -> bool:
    """The three differences docs/reference/checker-rules.md explains ("The model's own labels against Wireshark")."""
    if (
        key in ("challenge_ack_syn", "ack_unacceptable", "ack_fin_again")
        and not ours
        and theirs == {Label.DUPLICATE_ACK}
    ):
        return True  # an ACK answering a repeated SYN,ACK or FIN: no data outstanding, so not RFC 5681's
    if key == "rto_retransmit" and ours == {Label.RETRANSMISSION}:
        # Wireshark names retransmissions by timing: soon after two duplicate ACKs it says
        # "fast", right after a later segment it says "out of order"; the model knows the RTO fired
        return theirs in ({Label.RETRANSMISSION, Label.FAST_RETRANSMISSION}, {Label.OUT_OF_ORDER})
    return False


def tshark_labels(tmp_path, trace, at) -> list[set[Label]]:
    tshark = tool_or_skip("tshark")
    path = tmp_path / f"{at}.pcapng"
    export(trace, path, at=at)
    args = [tshark, "-r", str(path), "-T", "fields"] + [a for label in COMPARED for a in ("-e", str(label.field))]
    rows = subprocess.run(args, capture_output=True, text=True, check=True).stdout.splitlines()
    return [{label for label, value in zip(COMPARED, row.split("\t"), strict=False) if value.strip()} for row in rows]


def assert_agreement(tmp_path, name, trace, at) -> None:
    theirs = tshark_labels(tmp_path, trace, at)
    ours = capture_labels(trace, at)
    keys = [step.event.key for step, _ in captured(trace, at)]
    assert len(theirs) == len(ours) == len(keys)
    differ = [
        (i, keys[i - 1], sorted(o), sorted(t))
        for i, (o, t) in enumerate(zip(ours, theirs, strict=True), 1)
        if set(o) != t and not understood(keys[i - 1], o, t)
    ]
    assert differ == [], f"{name} captured at {at}: (packet, reason, model, tshark) {differ}"


@pytest.mark.parametrize("at", ["client", "server"])
@pytest.mark.parametrize("name", LOSSY)
def test_the_model_and_wireshark_name_every_packet_alike(tmp_path, name, at):
    assert_agreement(tmp_path, name, load(name).run(), at)


@pytest.mark.parametrize("seed", range(10))
def test_random_lossy_runs_agree_but_for_the_understood_differences(tmp_path, seed):
    trace = load("fast_retransmit").with_options(seed=seed, loss=0.15).run()
    for at in ("client", "server"):
        assert_agreement(tmp_path, f"fast_retransmit seed {seed}", trace, at)


def _tshark_in_flight(path) -> dict[int, int]:
    out = subprocess.run(
        ["tshark", "-n", "-r", str(path), "-T", "fields", "-e", "frame.number", "-e", "tcp.analysis.bytes_in_flight"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {int(n): int(v) for n, v in (line.split("\t") for line in out.splitlines()) if v}


@pytest.mark.parametrize(
    "name", ["data_transfer", "fast_retransmit", "lost_data_retransmit", "slow_start", "zero_window"]
)
def test_bytes_in_flight_are_wiresharks(tmp_path, name):
    # check --json reports tcp.analysis.bytes_in_flight for each data segment, as Wireshark counts it
    import json
    import sys

    tool_or_skip("tshark")
    trace = load(name).run()
    # captured where the data is sent: on the receiver's side of a loss, Wireshark does not count a
    # segment that follows the gap, nor the one before it, where the model does
    for endpoint in [e for e in trace.endpoints if e.name == "client"]:
        path = tmp_path / f"{name}-{endpoint.name}.pcap"
        export(trace, path, at=endpoint.name)
        theirs = _tshark_in_flight(path)
        result = subprocess.run(
            [sys.executable, "-m", "simulator", "check", "--json", str(path)], capture_output=True, text=True
        )
        ours = {
            p["number"]: p["bytes_in_flight"]
            for c in json.loads(result.stdout)["connections"]
            for p in c["packets"]
            if p["bytes_in_flight"] is not None
        }
        assert ours == theirs, f"{endpoint.name}: ours {ours}, tshark {theirs}"
        assert theirs or not any(p.segment.payload for p in trace.of_kind("send")), "nothing compared"
