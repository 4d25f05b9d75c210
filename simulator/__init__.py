"""tcpsim: watch TCP think.

The core (this package's top-level modules) is sans-IO and uses only the
standard library: ``Endpoint`` takes segments, user calls and timer ticks with
the time passed in, and reports what to send and why.
"""

from .config import AckPolicy, EndpointConfig
from .endpoint import Endpoint
from .errors import ModelError, ScenarioError, TcpsimError, TraceFormatError, UserCallError
from .network import Fault, Injection, LinkParams, Network
from .scenario import Scenario, builtin_names, load
from .segment import Flags, Options, Segment
from .seq import SeqNum
from .states import State
from .trace import Trace, TraceEvent

__version__ = "0.1.0"

__all__ = [
    "AckPolicy",
    "Endpoint",
    "EndpointConfig",
    "Fault",
    "Flags",
    "Injection",
    "LinkParams",
    "ModelError",
    "Network",
    "Options",
    "Scenario",
    "ScenarioError",
    "Segment",
    "SeqNum",
    "State",
    "TcpsimError",
    "Trace",
    "TraceEvent",
    "TraceFormatError",
    "UserCallError",
    "builtin_names",
    "load",
]
