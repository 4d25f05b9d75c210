"""tcpsim: watch TCP think.

The package is built in layers, each a subpackage that imports only the layers below it
(``tests/test_layers.py`` holds every module to that):

- ``model``: the sans-IO TCP (standard library only): ``Endpoint`` takes segments, user calls
  and timer ticks with the time passed in, and reports what to send and why;
- ``sim``: virtual time: the network, the applications, scenarios and the trace;
- ``capture`` and ``conformance``: real packets (reading, checking, exporting) and packetdrill;
- ``present`` and ``live``: what a person sees (text ladder, demo, plots, notebooks) and the
  real kernel (namespaces, probe, capture, the model against Linux);
- ``cli``: the ``tcpsim`` command.
"""

from .model.config import AckPolicy, EndpointConfig
from .model.endpoint import Endpoint
from .model.errors import ModelError, ScenarioError, TcpsimError, TraceFormatError, UserCallError
from .model.segment import Flags, Options, Segment
from .model.seq import SeqNum
from .model.states import State
from .sim.network import Fault, Injection, LinkParams, Network
from .sim.scenario import Scenario, builtin_names, load
from .sim.trace import EventKind, Trace, TraceEvent

__version__ = "0.1.0"

# The layers, lowest first; peers share a tuple and do not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("model", "system"),
    ("sim",),
    ("capture", "conformance"),
    ("present", "live"),
    ("cli",),
)

__all__ = [
    "LAYERS",
    "AckPolicy",
    "Endpoint",
    "EndpointConfig",
    "EventKind",
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
