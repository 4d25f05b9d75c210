"""TCP_CORK and MSG_MORE: Linux 6.18 on its loopback, and the linux profile's endpoint given the same calls.

Each kernel test captures one client program in a fresh network namespace (as
tests/test_linux_conversations.py does: tcpdump ``--immediate-mode``, MTU 1500, offloads off) and
checks the client's data segments: flags and length, and where it is the point, when.  Recorded on
Linux 6.18.44, 2026-12-06.  The model tests drive the profile's endpoints with the same calls (the
scenario language has no cork step; the packetdrill runner maps TCP_CORK, TCP_NODELAY and MSG_MORE
onto the same endpoint calls).
"""

from __future__ import annotations

from dataclasses import asdict

import pytest

from simulator import Flags
from simulator.live.pytest_plugin import namespace_or_skip
from simulator.model.profiles import PROFILES
from simulator.model.timers import Timer
from tools.linux_conversations import OUT, Conversation, capture, client, server

from .conftest import make_pair

pytestmark = pytest.mark.external  # tcpdump (the root_with_tools fixture adds live)

CORK, UNCORK = (
    "c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)",
    "c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)",
)
PROGRAMS = {
    # two 40-byte writes 50 ms apart under TCP_CORK, then uncork: one pushed segment of 80
    "cork": f"{CORK}; c.sendall(b'a' * 40); time.sleep(0.05); c.sendall(b'b' * 40); time.sleep(0.01); {UNCORK}",
    # 40 bytes with MSG_MORE and nothing after: the probe timer sends them after an RTO (200 ms), pushed
    "msg_more": "c.send(b'a' * 40, socket.MSG_MORE); time.sleep(0.5)",
    # corked 40 bytes, then TCP_NODELAY: sent at once, pushed
    "nodelay": f"{CORK}; c.sendall(b'a' * 40); time.sleep(0.05); "
    "c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1); time.sleep(0.1)",
}


@pytest.fixture
def root_with_tools() -> None:
    namespace_or_skip(["tcpdump", "iptables", "ethtool"], "capture Linux conversations")


def _kernel(name: str) -> list[tuple[str, int, int]]:
    """The client's data segments: (flags, length, ms since the first SYN)."""
    conversation = Conversation(name, name, client(PROGRAMS[name] + "; c.close()"), server("read_all(c); c.close()"))
    captured = capture(conversation)
    assert not captured.errors and captured.connections == 1 and captured.dropped == 0, captured
    return [(r.flags, r.length, r.ms) for r in captured.rows[OUT] if r.length]


def _linux_pair():
    w = make_pair(**{**asdict(PROFILES["linux"].config), "auto_read": True})
    w.handshake()
    return w


def _data(segments) -> list[tuple[str, int]]:
    return [("PA" if s.flags & Flags.PSH else "A", len(s.payload)) for s in segments if s.payload]


def test_linux_sends_two_corked_writes_as_one_pushed_segment_when_uncorked(root_with_tools):
    ((flags, length, _),) = _kernel("cork")
    assert (flags, length) == ("PA", 80)


def test_the_linux_profile_sends_two_corked_writes_as_one_pushed_segment_when_uncorked():
    w = _linux_pair()
    w.client.set_cork(True, 0.0)
    w.client.send(b"a" * 40, 0.0)
    w.client.send(b"b" * 40, 0.05)
    assert w.out(w.client) == []
    w.client.set_cork(False, 0.06)
    assert _data(w.out(w.client)) == [("PA", 80)]


def test_linux_sends_msg_more_data_pushed_when_the_probe_timer_fires(root_with_tools):
    ((flags, length, ms),) = _kernel("msg_more")
    assert (flags, length) == ("PA", 40) and 200 <= ms <= 350, ms  # the RTO: 200 ms + a loopback SRTT


def test_the_linux_profile_sends_msg_more_data_pushed_when_the_probe_timer_fires():
    w = _linux_pair()
    w.client.send(b"a" * 40, 0.0, more=True)
    assert w.out(w.client) == []
    deadline = w.client.timer_deadline(Timer.PERSIST)
    assert deadline is not None and 0.2 <= deadline <= 0.35
    assert _data(w.tick(w.client, deadline)) == [("PA", 40)]


def test_linux_sends_corked_data_at_once_when_tcp_nodelay_is_set(root_with_tools):
    ((flags, length, ms),) = _kernel("nodelay")
    assert (flags, length) == ("PA", 40) and 40 <= ms <= 150, ms  # when the option is set, 50 ms in


def test_the_linux_profile_sends_corked_data_at_once_when_tcp_nodelay_is_set():
    w = _linux_pair()
    w.client.set_cork(True, 0.0)
    w.client.send(b"a" * 40, 0.0)
    assert w.out(w.client) == []
    w.client.push(0.05)
    assert _data(w.out(w.client)) == [("PA", 40)]
