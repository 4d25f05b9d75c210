"""Benchmark: a bulk transfer through a bottleneck with loss, with and without congestion control.

    python -m benchmarks.congestion              # 100 MB through 100 Mbit/s, 1% loss
    python -m benchmarks.congestion --mb 10      # quicker

The client sends ``--mb`` megabytes to the server through a 100 Mbit/s bottleneck (5 ms
propagation delay, a 100-packet drop-tail queue) over links of 5 ms that lose 1% of the
client's segments at random; the server offers a 64 KB window.  Model only (no trace).  Each
algorithm's run prints its wall time, its segment events (a segment sent, or delivered to an
endpoint) per second, and the virtual time the transfer took, beside ``congestion = "none"``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

from simulator.sim import scenario as scenario_file
from simulator.sim.scenario import parse, pattern_bytes

SCENARIO = """
name = "bench_congestion"
seed = 1
until = 100000

[network]
latency = 0.005
"client->server" = {{ latency = 0.005, loss = {loss} }}

[bottleneck]
rate = 100e6
delay = 0.005
queue = 100

[endpoint.client]
isn = 1000
congestion = "{algorithm}"
script = ["connect server", "send {size}", "close"]

[endpoint.server]
isn = 5000
script = ["listen", "wait_for_eof", "close"]
"""


def run(algorithm: str, size: int, loss: float) -> dict[str, float]:
    """One transfer; checks that the server read exactly what was sent."""
    # 100 MB is beyond what a scenario file may ask of tcpsim (its work budget); the benchmark asks it knowingly
    scenario_file.MAX_BYTES = max(scenario_file.MAX_BYTES, size)
    scenario = parse(SCENARIO.format(algorithm=algorithm, size=size, loss=loss), default_name="bench")
    net = scenario.build(record=False)
    start = time.perf_counter()
    net.run(until=scenario.until, max_events=50_000_000)
    elapsed = time.perf_counter() - start
    if bytes(net.apps["server"].read_data) != pattern_bytes(size):
        raise RuntimeError(f"{algorithm}: the data did not arrive intact")
    events = net.segments_sent + net.segments_delivered
    return {"seconds": elapsed, "segments": net.segments_sent, "events": events, "virtual": net.now}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=100, help="megabytes to send (default 100)")
    parser.add_argument("--loss", type=float, default=0.01, help="random loss on the data path (default 0.01)")
    args = parser.parse_args(argv)
    size = args.mb * 1_000_000
    print(
        f"tcpsim congestion benchmark: {args.mb} MB through 100 Mbit/s, {args.loss:.0%} loss, model only, "
        f"Python {sys.version.split()[0]}"
    )
    print(f"{'congestion':<12}{'wall s':>9}{'segments':>12}{'seg events':>12}{'events/s':>11}{'virtual s':>11}")
    for algorithm in ("none", "reno", "cubic"):
        r = run(algorithm, size, args.loss)
        print(
            f"{algorithm:<12}{r['seconds']:>9.2f}{r['segments']:>12,}{r['events']:>12,}"
            f"{r['events'] / r['seconds']:>11,.0f}{r['virtual']:>11.2f}"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
