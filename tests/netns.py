"""Network namespaces the tests make (and always delete) and tcpdump inside them.

A thin layer over tcpsim's own ``simulator.live.namespace`` (the code the
``probe``, ``capture`` and ``live`` commands use), so the tests exercise it too.
Without root, ``ip`` or tcpdump a test skips on a laptop and fails under CI=true.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from simulator.live.namespace import Namespace
from simulator.live.namespace import tcpdump as loopback_tcpdump
from simulator.live.pytest_plugin import namespace_or_skip


def namespace(tools: tuple[str, ...], purpose: str) -> Iterator[str]:
    """A fresh namespace with its loopback up, deleted again whatever happens (for a fixture to yield from)."""
    namespace_or_skip([t for t in tools if t != "ip"], purpose)
    with Namespace() as ns:
        yield ns.name


@contextmanager
def tcpdump(netns: str, pcap: Path, expression: str, snaplen: int = 256) -> Iterator[list[str]]:
    """tcpdump on the namespace's loopback while the block runs; yields the prefix that runs a command inside."""
    inside = ["ip", "netns", "exec", netns]
    with loopback_tcpdump(inside, pcap, expression, snaplen):
        yield inside
