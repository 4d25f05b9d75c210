"""Shared helpers: a hand-driven pair of endpoints, and scenario runners."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator import Endpoint, EndpointConfig, Segment, SeqNum
from simulator.model.notes import NoteKind

# A test that takes one of these fixtures runs in a network namespace of its own: it needs root.
LIVE_FIXTURES = frozenset({"root_with_tools", "netns", "lossy_netns", "first_syn_lost_netns", "tcp_capture"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs a namespace as ``live``, from the fixtures it takes."""
    for item in items:
        if LIVE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.live)


class Wire:
    """Two endpoints and the segments in flight between them, moved by hand.

    Nothing is delivered unless a test says so, which makes every rule
    visible: ``pair.send_from_client()`` returns what the client emitted.
    """

    def __init__(self, client: Endpoint, server: Endpoint) -> None:
        self.client = client
        self.server = server
        self.now = 0.0

    def out(self, ep: Endpoint) -> list[Segment]:
        """Segments ``ep`` emitted since the last call."""
        return [n.segment for n in ep.drain() if n.kind is NoteKind.SEND and n.segment is not None]

    def deliver(self, seg: Segment, to: Endpoint) -> list[Segment]:
        """Give ``seg`` to ``to`` and return what it sends in answer."""
        to.on_segment(seg, self.now)
        return self.out(to)

    def handshake(self) -> None:
        """Listen, connect, and complete the three-way handshake."""
        self.server.listen(self.now)
        self.client.connect(self.server.addr, self.server.port, self.now)
        (syn,) = self.out(self.client)
        self.out(self.server)
        (syn_ack,) = self.deliver(syn, self.server)
        (ack,) = self.deliver(syn_ack, self.client)
        assert self.deliver(ack, self.server) == []

    def close_client_first(self) -> tuple[Segment, Segment]:
        """Client closes, server closes on the FIN: returns (server's FIN, client's last ACK).

        Afterwards the client is in TIME-WAIT and the last ACK is in flight.
        """
        self.client.close(self.now)
        (fin,) = self.out(self.client)
        self.deliver(fin, self.server)
        self.server.close(self.now)
        (server_fin,) = self.out(self.server)
        (last_ack,) = self.deliver(server_fin, self.client)
        return server_fin, last_ack

    def tick(self, ep: Endpoint, to: float) -> list[Segment]:
        """Advance the clock to ``to`` and fire ``ep``'s due timers."""
        self.now = to
        ep.on_timer(to)
        return self.out(ep)


def make_pair(
    client_isn: int = 1000, server_isn: int = 5000, server: dict[str, object] | None = None, **config: object
) -> Wire:
    """Two endpoints with the same settings; ``server`` overrides some for the server alone."""
    cfg = EndpointConfig(**config)  # type: ignore[arg-type]
    server_cfg = EndpointConfig(**{**config, **(server or {})})  # type: ignore[arg-type]
    return Wire(
        Endpoint("client", "10.0.0.1", 40000, client_isn, cfg),
        Endpoint("server", "10.0.0.2", 80, server_isn, server_cfg),
    )


@pytest.fixture
def pair() -> Wire:
    return make_pair()


@pytest.fixture
def established() -> Wire:
    w = make_pair()
    w.handshake()
    return w


def seg(
    src: Endpoint, dst: Endpoint, seq: int, ack: int = 0, flags: str = "A", payload: bytes = b"", window: int = 65535
) -> Segment:
    """A hand-made segment from ``src`` to ``dst``."""
    from simulator import Flags

    return Segment(
        src.port,
        dst.port,
        SeqNum(seq),
        SeqNum(ack),
        Flags.parse(flags),
        window,
        payload=payload,
        src_addr=src.addr,
        dst_addr=dst.addr,
    )


def flags_of(segments: list[Segment]) -> list[str]:
    return [s.flags.letters for s in segments]


def iter_sends(trace: object) -> Iterator[Segment]:
    for e in trace.events:  # type: ignore[attr-defined]
        if e.kind == "send" and e.segment is not None:
            yield e.segment
