"""Network namespaces the tests make (and always delete) and tcpdump inside them.

Live traffic stays on the namespace's own loopback.  Without root, `ip` or
tcpdump a test skips on a laptop and fails under CI=true.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def unavailable(tools: tuple[str, ...]) -> str | None:
    if sys.platform != "linux":
        return "needs Linux network namespaces"
    if os.geteuid() != 0:
        return "needs root to create a network namespace (run as root, or in CI)"
    for tool in tools:
        if shutil.which(tool) is None:
            return f"needs {tool} (apt-get install {'iproute2' if tool == 'ip' else tool})"
    return None


def namespace(tools: tuple[str, ...], purpose: str) -> Iterator[str]:
    """A fresh namespace with its loopback up, deleted again whatever happens (for a fixture to yield from)."""
    reason = unavailable(tools)
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must {purpose}, but this machine {reason}")
        pytest.skip(reason)
    name = f"tcpsim-test-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


@contextmanager
def tcpdump(netns: str, pcap: Path, expression: str, snaplen: int = 256) -> Iterator[list[str]]:
    """tcpdump on the namespace's loopback while the block runs; yields the prefix that runs a command inside."""
    inside = ["ip", "netns", "exec", netns]
    # --immediate-mode: without it libpcap's ring buffer loses the packets when tcpdump is stopped
    command = ["tcpdump", "-i", "lo", "--immediate-mode", "-U", "-Z", "root", "-n", "-s", str(snaplen)]
    dump = subprocess.Popen([*inside, *command, "-w", str(pcap), expression], stderr=subprocess.PIPE, text=True)
    try:
        assert dump.stderr is not None
        line = dump.stderr.readline()  # "listening on lo, ..." once it captures
        assert "listening" in line, line
        yield inside
        time.sleep(0.3)  # let the last packets be written
    finally:
        dump.send_signal(signal.SIGINT)
        dump.wait(timeout=20)
