"""Hold a real capture against the model: explain or flag every packet of a connection.

Two *observers*, one per side, shadow the real endpoints.  Each packet is fed to
the observer of its sender (as something it sent) and to the observer of its
receiver (as something it received).  An observer keeps what a capture can show
of a TCB (RFC 9293 section 3.3.1): the ISN, the highest sequence number sent
(SND.NXT as seen), the highest acknowledgement sent (RCV.NXT as seen), the
window it advertised (scaled, RFC 7323 section 2.3) and its state, moved by the
rules of RFC 9293 section 3.10.7.  Every packet gets a classification in the
words Wireshark's TCP analysis uses, the states of both sides before and after,
a sentence that explains it, and, where it breaks a rule a correct stack keeps,
a departure naming that rule.

Things a real capture does that are *not* departures: starting or ending
mid-connection, missing packets (capture drops), packets lost after the capture
point (so they appear and are sent again), TSO/GSO super-segments larger than the
MSS, payloads cut by the snap length, keep-alives and probes, a socket
connected to itself.  Checking is pure standard-library Python; ``checked_in_order`` reads the
capture, and a long connection's reports wait in a temporary file (``spool.Spool``).

The package reads in the order a packet is handled: ``report`` (what is said of a packet and a
connection), ``observer`` (what the capture shows of each side's TCB), then the rules in RFC 9293
section 3.10.7's order: ``handshake`` (SYN, SYN,ACK), ``reset`` (RST), ``segment`` (the sequence
number check, data and FIN), ``acknowledge`` (the ACK field), ``fin`` (the FIN's state moves);
then ``connection`` (one connection, with its look-ahead), ``capture`` (every connection of a
file, streaming) and ``render`` (the report as text).
"""

from .capture import END, LINGER, SWEEP, check_capture, checked_in_order
from .connection import HORIZON, ConnectionChecker, check
from .render import _WRAP, packet_lines, render, report_lines, wrap
from .report import ConnectionReport, Heading, PacketReport

__all__ = [
    "END",
    "HORIZON",
    "LINGER",
    "SWEEP",
    "_WRAP",
    "ConnectionChecker",
    "ConnectionReport",
    "Heading",
    "PacketReport",
    "check",
    "check_capture",
    "checked_in_order",
    "packet_lines",
    "render",
    "report_lines",
    "wrap",
]
