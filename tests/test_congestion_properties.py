"""Congestion control under random loss, duplication and reordering on a bottleneck: invariants."""

from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import Endpoint, EndpointConfig, LinkParams, Network
from simulator.model.congestion import Algorithm
from simulator.model.recovery import LossDetection
from simulator.sim.app import request_reply
from simulator.sim.bottleneck import BottleneckParams
from simulator.sim.scenario import pattern_bytes

MSS = 500
E = TypeVar("E", bound=Endpoint)
links = st.builds(
    LinkParams,
    latency=st.floats(min_value=0.001, max_value=0.1),
    jitter=st.floats(min_value=0.0, max_value=0.05),
    loss=st.floats(min_value=0.0, max_value=0.2),
    duplicate=st.floats(min_value=0.0, max_value=0.1),
    reorder=st.floats(min_value=0.0, max_value=0.2),
)
bottlenecks = st.builds(
    BottleneckParams,
    rate=st.floats(min_value=1e5, max_value=1e7),
    delay=st.floats(min_value=0.0, max_value=0.05),
    queue=st.integers(1, 40),
    senders=st.just(("client", "server")),
)
RETRIES = {"data_retries": 40, "syn_retries": 40, "synack_retries": 40}


def request_and_reply(
    kind: type[E],
    cfg: EndpointConfig,
    seed: int,
    c2s: LinkParams,
    s2c: LinkParams,
    bottleneck: BottleneckParams,
    size: int,
) -> tuple[list[int], tuple[E, E]]:
    """A request and its reply through the bottleneck: every byte checked delivered in order, then the
    congestion windows the run showed, and the two endpoints."""
    net = Network(seed=seed, bottleneck=bottleneck)
    client = kind("client", "10.0.0.1", 40000, 1000, cfg)
    server = kind("server", "10.0.0.2", 80, 5000, cfg)
    request, reply = pattern_bytes(size), pattern_bytes(size // 3 + 1)[::-1]
    client_script, server_script = request_reply(request, reply)
    net.add(client, client_script)
    net.add(server, server_script)
    net.set_link("client", "server", c2s)
    net.set_link("server", "client", s2c)
    trace = net.run(max_events=400_000)
    assert bytes(net.apps["server"].read_data) == request
    assert bytes(net.apps["client"].read_data) == reply
    windows = [v.cwnd for e in trace if (v := e.view(e.endpoint)) is not None and v.cwnd is not None]
    return windows, (client, server)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    c2s=links,
    s2c=links,
    bottleneck=bottlenecks,
    size=st.integers(1, 60_000),
    algorithm=st.sampled_from([Algorithm.RENO, Algorithm.CUBIC]),
    initial_window=st.sampled_from([None, 1, 10]),
)
def test_a_bottleneck_with_random_faults_never_delivers_data_wrong_nor_shrinks_cwnd_below_one_mss(
    seed, c2s, s2c, bottleneck, size, algorithm, initial_window
):
    cfg = EndpointConfig(mss=MSS, congestion=algorithm, initial_window=initial_window, msl=1.0, **RETRIES)
    windows, _ = request_and_reply(Endpoint, cfg, seed, c2s, s2c, bottleneck, size)
    assert windows, "the congestion window was never seen"
    assert min(windows) >= MSS


class _Watched(Endpoint):
    """An endpoint that records, at each new segment sent, how far the pipe is past cwnd."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.overshoot: list[int] = []

    def _transmit(self, seq, flags, payload, now, key, **kw) -> None:  # type: ignore[no-untyped-def]
        super()._transmit(seq, flags, payload, now, key, **kw)
        if payload and self.cc.active:
            self.overshoot.append(self._pipe() - self.cc.cwnd)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    c2s=links,
    s2c=links,
    bottleneck=bottlenecks,
    size=st.integers(1, 60_000),
    algorithm=st.sampled_from([Algorithm.RENO, Algorithm.CUBIC]),
    detection=st.sampled_from(list(LossDetection)),
    prr=st.booleans(),
    linux_growth=st.booleans(),
)
def test_sack_recovery_and_rack_tlp_deliver_in_order_and_keep_the_pipe_within_cwnd(
    seed, c2s, s2c, bottleneck, size, algorithm, detection, prr, linux_growth
):
    # RFC 6675 5 (C), RFC 6937, RFC 8985: new data goes only while pipe <= cwnd; one segment more for the
    # tail loss probe (RFC 8985 7.3, "even beyond cwnd") or recovery's first retransmission (RFC 6675 4.3)
    cfg = EndpointConfig(
        mss=MSS,
        congestion=algorithm,
        msl=1.0,
        sack_permitted=True,
        sack_recovery=True,
        loss_detection=detection,
        prr=prr,
        min_rto=0.2,
        limited_transmit=linux_growth,  # (with SACK, limited transmit's pipe leaves the SACKed segments out)
        cwnd_limited_growth=linux_growth,
        grow_by_delivered=linux_growth,
        **RETRIES,
    )
    windows, (client, server) = request_and_reply(_Watched, cfg, seed, c2s, s2c, bottleneck, size)
    assert windows and min(windows) >= MSS
    assert max(client.overshoot + server.overshoot, default=0) <= MSS
