"""``tcpsim capture -- COMMAND``: run a command in a private namespace and capture its TCP.

The command gets a namespace of its own with only a loopback interface, so
whatever it does (a student's server and client, a test suite, curl against a
local server) cannot reach any other network.  tcpdump records all its TCP;
the namespace is deleted afterwards, also when the command fails or the user
presses Ctrl-C.  The capture is written before anything else reads it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ..system.lifetime import die_with_parent
from .namespace import Namespace, require


@dataclass(frozen=True, slots=True)
class Recording:
    pcap: Path
    status: int  # the command's exit status (130 when interrupted)
    namespace: str
    dropped: int = 0  # packets the kernel dropped before tcpdump read them (missing from the capture)


def record(
    command: Sequence[str],
    pcap: Path,
    *,
    mtu: int | None = None,
    offloads: bool = True,
    loss: float = 0.0,
    snaplen: int = 262144,
    stdout: TextIO | None = None,
) -> Recording:
    """Run ``command`` inside a fresh namespace while tcpdump writes its TCP to ``pcap`` (the
    command's output goes to ``stdout``, by default this process's)."""
    require(["ip", "tcpdump"], what="tcpsim capture")
    with Namespace(mtu=mtu, offloads=offloads, loss=loss) as ns, ns.tcpdump(pcap, "tcp", snaplen) as stats:
        # killed with tcpsim (SIGKILL); what it starts in turn stays in the namespace, killed when it goes
        child = subprocess.Popen(ns.command(command), stdout=stdout, preexec_fn=die_with_parent())
        try:
            status = child.wait()
        except KeyboardInterrupt:
            child.wait()  # it got the Ctrl-C too; the capture so far is kept
            raise
    return Recording(pcap, status, ns.name, stats.dropped)
