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
connection; ``sentences``, the words, made when printed), ``observer`` (what the capture shows of
each side's TCB, what the look-ahead adds, what the capture missed), ``fastpath`` (header
prediction: in-order data, an ACK of new data and a first FIN, recognised by a few comparisons), then the full
rules in RFC 9293 section 3.10.7's order: ``handshake`` (SYN, SYN,ACK, named by kind), ``reset``
(RST), ``segment`` (the sequence number check, data and FIN), ``acknowledge`` (the ACK field),
``fin`` (the FIN's state moves, from ``model.states.TRANSITIONS``); then ``connection`` (one
connection, with its look-ahead), ``capture`` (every connection of a file, streaming) and
``render`` (the report as text).  The labels are ``capture.labels.Label``, Wireshark's words.
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
