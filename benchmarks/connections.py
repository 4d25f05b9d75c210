"""Benchmark: simulate complete connections and report segment events per second.

    python -m benchmarks.connections            # 10,000 connections
    python -m benchmarks.connections -n 1000    # quicker

Each connection: three-way handshake, 10 KB each way (MSS 1460), close, and
TIME-WAIT, once with the ``rfc`` profile and once with ``linux`` (options,
timestamps, SACK, Linux's ACK policy, timers and Nagle all on).  A *segment
event* is one segment sent or one segment delivered to an endpoint (each
segment that crosses the network counts twice).  Each profile runs twice:
with the full trace (explanations and TCB snapshots, what the CLI and
notebooks use) and with recording off (the model and network alone).  Peak
memory is the process's maximum resident set size.

Besides the wall-clock rate the table gives the rate per second of CPU time
this process used ("events/cpu-s"): on a machine shared with other jobs that
one moves far less.  The last lines compare the two profiles, mode by mode.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

from simulator import Endpoint, EndpointConfig, Network
from simulator.model.profiles import PROFILES
from simulator.sim.app import request_reply
from simulator.sim.scenario import pattern_bytes

TARGET = 200_000  # segment events per second on one core (issue #2)
PAYLOAD = pattern_bytes(10 * 1024)
PROFILE_NAMES = ("rfc", "linux")


def one_connection(i: int, record: bool, config: EndpointConfig) -> tuple[int, int, int]:
    """Run connection ``i``; returns (segments sent, segments delivered, trace events)."""
    net = Network(seed=i, record=record)
    client = Endpoint("client", "10.0.0.1", 40000 + i % 20000, (i * 2654435761) & 0xFFFFFFFF, config)
    server = Endpoint("server", "10.0.0.2", 80, (i * 40503 + 7) & 0xFFFFFFFF, config)
    client_script, server_script = request_reply(PAYLOAD, PAYLOAD)
    net.add(client, client_script)
    net.add(server, server_script)
    net.run()
    if bytes(net.apps["server"].read_data) != PAYLOAD or bytes(net.apps["client"].read_data) != PAYLOAD:
        raise RuntimeError(f"connection {i}: the data did not arrive intact")
    return net.segments_sent, net.segments_delivered, len(net.trace.events)


def measure(n: int, record: bool, config: EndpointConfig) -> dict[str, float]:
    sent = delivered = events = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    for i in range(n):
        s, d, e = one_connection(i, record, config)
        sent, delivered, events = sent + s, delivered + d, events + e
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "segments": sent,
        "segment_events": sent + delivered,
        "rate": (sent + delivered) / elapsed,
        "cpu_rate": (sent + delivered) / cpu,
        "trace_events": events,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--connections", type=int, default=10_000)
    args = parser.parse_args(argv)
    n = args.connections
    print(f"tcpsim benchmark: {n} connections, 10 KB each way, Python {sys.version.split()[0]}")
    print(
        f"{'profile, mode':<24}{'time s':>9}{'segments':>11}{'seg events':>12}{'events/s':>11}"
        f"{'events/cpu-s':>14}{'target':>10}  result"
    )
    rates: dict[tuple[str, str], float] = {}
    for label, record in (("model only", False), ("with full trace", True)):
        for name in PROFILE_NAMES:
            r = measure(n, record, PROFILES[name].config)
            rates[(name, label)] = r["cpu_rate"]
            verdict = "meets" if r["rate"] >= TARGET else "below"
            print(
                f"{name + ', ' + label:<24}{r['seconds']:>9.2f}{r['segments']:>11,}{r['segment_events']:>12,}"
                f"{r['rate']:>11,.0f}{r['cpu_rate']:>14,.0f}{TARGET:>10,}  {verdict}"
            )
    for label in ("model only", "with full trace"):
        ratio = rates[("linux", label)] / rates[("rfc", label)]
        print(f"linux beside rfc, {label}: {ratio:.2f} of rfc's events per CPU second")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak_mb:.0f} MB (traces are dropped after each connection)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
