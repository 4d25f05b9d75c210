"""Scenarios: a TOML description of hosts, their application scripts and the network.

The built-in scenarios are TOML files in ``simulator/scenarios/``; an
instructor's own file has the same form (see docs/reference/scenario-file.md).
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import random
import shlex
import tomllib
import unicodedata
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from ..model.config import AckPolicy, EndpointConfig
from ..model.congestion import Algorithm
from ..model.endpoint import Endpoint
from ..model.errors import ScenarioError
from ..model.profiles import DEFAULT_PROFILE, PROFILES, profile
from ..model.recovery import LossDetection
from ..model.segment import Flags
from ..model.sockets import rules_for
from .app import ACTIONS, SOMAXCONN, Action, Step
from .bottleneck import BottleneckParams
from .network import Fault, Injection, LinkParams, Network
from .trace import Trace

# Virtual seconds after which a run stops if the scenario sets no ``until``:
# some conversations never end by themselves (a receiver that never reads is
# probed forever, as RFC 9293 3.8.6.1 asks).
DEFAULT_UNTIL = 300.0
# A listener's port unless the file says otherwise: one Wireshark has no dissector for, so
# the scenarios' made-up payloads show as plain data (on port 80 Wireshark would try HTTP).
SERVER_PORT = 5000

# The work budget: what one scenario may ask of tcpsim.  A file that asks for more is refused
# with one line (or its run stopped with one), instead of taking the machine's memory and time.
MAX_FILE = 1 << 20  # bytes of TOML
MAX_DOTS = 256  # dots in one line: tomllib takes quadratic time over a dotted key's parts
MAX_DEPTH = 8  # tables and arrays inside one another (a scenario needs 5)
MAX_BYTES = 16 << 20  # bytes the scripts send and the injections carry, all endpoints together
MAX_TIME = 1_000_000.0  # seconds, for any time a scenario gives (until, start, wait, delay, at, latency)
MAX_EVENTS = 300_000  # events one run may handle (a long lossy transfer takes some tens of thousands)
MAX_COUNT = 1_000_000_000  # for counts: retries, a fault's nth and count, bytes to read
_LARGE = 1 << 50  # beyond any setting's range (a window, a bandwidth in bytes per second): a mistake

_CONFIG_KEYS = {
    "mss": "mss",
    "mtu": "mtu",
    "keepalive": "keepalive",
    "keepalive_idle": "keepalive_idle",
    "keepalive_interval": "keepalive_interval",
    "keepalive_probes": "keepalive_probes",
    "window": "recv_buffer",
    "window_scale": "window_scale",
    "sack_permitted": "sack_permitted",
    "timestamps": "timestamps",
    "ack": "ack_policy",
    "delayed_ack_timeout": "delayed_ack_timeout",
    "delay_fin_ack": "delay_fin_ack",
    "initial_rto": "initial_rto",
    "min_rto": "min_rto",
    "max_rto": "max_rto",
    "syn_retries": "syn_retries",
    "synack_retries": "synack_retries",
    "data_retries": "data_retries",
    "msl": "msl",
    "fast_retransmit": "fast_retransmit",
    "rfc5961": "rfc5961",
    "auto_read": "auto_read",
    "nagle": "nagle",
    "fixed_recv_buffer": "fixed_recv_buffer",
    "recv_buffer_max": "recv_buffer_max",
    "syn_linear_timeouts": "syn_linear_timeouts",
    "delayed_ack_min": "delayed_ack_min",
    "quickacks": "quickacks",
    "send_buffer": "send_buffer",
    "skb_overhead": "skb_overhead",
    "backlog_coalesce": "backlog_coalesce",
    "rcv_coalesce": "rcv_coalesce",
    "measured_scaling_ratio": "measured_scaling_ratio",
    "user_timeout": "user_timeout",
    "congestion": "congestion",
    "initial_window": "initial_window",
    "slow_start_limit": "slow_start_limit",
    "cwnd_limited_growth": "cwnd_limited_growth",
    "limited_transmit": "limited_transmit",
    "grow_by_delivered": "grow_by_delivered",
    "sack_recovery": "sack_recovery",
    "prr": "prr",
    "hystart": "hystart",
    "timer_tick": "timer_tick",
    "loss_detection": "loss_detection",
    "ecn": "ecn",
    "ecn_answer": "ecn_answer",
    "cwr_prr": "cwr_prr",
}
_ENDPOINT_KEYS = {"address", "port", "isn", "script", "start", "accept_many", "backlog", "profile", *_CONFIG_KEYS}
_LINK_KEYS = {f.name for f in fields(LinkParams)}
_TOP_KEYS = {
    "name", "title", "lesson", "seed", "until", "network", "endpoint", "fault", "inject", "figure", "profile",
    "profile_reason", "bottleneck",
}  # fmt: skip
_BOTTLENECK_KEYS = {"rate", "delay", "queue", "queue_bytes", "mark_above", "from"}
_FAULT_KEYS = {"action", "from", "flags", "data", "retransmission", "nth", "count", "delay"}
_INJECT_KEYS = {"at", "from", "to", "flags", "seq", "ack", "window", "len", "why"}


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """One host's endpoint as a scenario describes it."""

    name: str
    address: str
    port: int
    isn: int | None
    config: EndpointConfig
    script: tuple[Step, ...]
    start: float = 0.0
    accept_many: bool = False
    backlog: int = SOMAXCONN  # listen()'s backlog: connections established and not yet accepted
    profile: str = DEFAULT_PROFILE  # the stack whose choices the settings start from
    settings: tuple[tuple[str, Any], ...] = ()  # the scenario's own settings, on top of the profile


@dataclass(frozen=True, slots=True)
class Scenario:
    """A complete, runnable description of one lesson."""

    name: str
    title: str
    lesson: str
    seed: int
    endpoints: tuple[EndpointSpec, ...]
    link: LinkParams = field(default_factory=LinkParams)
    links: tuple[tuple[str, str, LinkParams], ...] = ()
    faults: tuple[Fault, ...] = ()
    injections: tuple[Injection, ...] = ()
    until: float | None = None
    figure: str = ""  # the RFC 9293 figure this scenario reproduces, if any
    profile: str = DEFAULT_PROFILE  # the profile its endpoints start from, unless one names its own
    profile_reason: str = ""  # why the scenario uses that profile (every built-in one says)
    loopback: bool = False  # segments handed over inside the sender's call, as on Linux's lo
    bottleneck: BottleneckParams | None = None  # a rate-limited link with a drop-tail queue (sim/bottleneck.py)

    def endpoint(self, name: str) -> EndpointSpec:
        for spec in self.endpoints:
            if spec.name == name:
                return spec
        raise ScenarioError(f"scenario {self.name!r} has no endpoint called {name!r}")

    def with_options(
        self,
        *,
        seed: int | None = None,
        loss: float | None = None,
        isns: dict[str, int] | None = None,
        profile_name: str | None = None,
    ) -> Scenario:
        """The same scenario with the run options a student turns.

        ``profile_name`` puts every endpoint on that profile; the settings the
        scenario gives each endpoint still apply on top of it.
        """
        scenario = self
        if profile_name is not None:
            base = profile(profile_name).config
            scenario = replace(
                scenario,
                endpoints=tuple(
                    replace(
                        s,
                        profile=profile_name,
                        config=_make(EndpointConfig, dict(s.settings), f"[endpoint.{s.name}]", base=base),
                    )
                    for s in scenario.endpoints
                ),
            )
        if seed is not None:
            scenario = replace(scenario, seed=seed)
        if loss is not None:
            scenario = replace(
                scenario,
                link=_link(scenario.link, loss=loss),
                links=tuple((a, b, _link(p, loss=loss)) for a, b, p in scenario.links),
            )
        for name, isn in (isns or {}).items():
            _check_u32(isn, f"the ISN of {name}")
            spec = scenario.endpoint(name)
            scenario = replace(
                scenario,
                endpoints=tuple(replace(s, isn=isn) if s is spec else s for s in scenario.endpoints),
            )
        return scenario

    def build(self, *, record: bool = True) -> Network:
        """A network with every endpoint and script in place, ready to ``run``."""
        net = Network(
            seed=self.seed,
            default_link=self.link,
            faults=list(self.faults),
            bottleneck=self.bottleneck,
            record=record,
            scenario=self.name,
            title=self.title,
            loopback=self.loopback,
        )
        # ISNs not given are drawn from their own generator so that changing
        # the loss does not change them (RFC 9293 3.4.1 leaves the choice open).
        isn_rng = random.Random(f"isn:{self.seed}")
        for spec in self.endpoints:
            isn = spec.isn if spec.isn is not None else isn_rng.randrange(1 << 32)
            ep = Endpoint(spec.name, spec.address, spec.port, isn, spec.config)
            net.add(
                ep,
                list(spec.script),
                start=spec.start,
                accept_many=spec.accept_many,
                backlog=spec.backlog,
                rules=rules_for(spec.profile),
            )
        net.isn_source = lambda: isn_rng.randrange(1 << 32)
        for src, dst, params in self.links:
            net.set_link(src, dst, params)
        for injection in self.injections:
            net.inject(injection)
        return net

    def run(self, *, record: bool = True) -> Trace:
        """Run the scenario to its end (or to ``until``) and return the trace; a run that takes more than
        ``MAX_EVENTS`` events is stopped with a ScenarioError (the work budget)."""
        until = self.until if self.until is not None else DEFAULT_UNTIL
        return self.build(record=record).run(until=until, max_events=MAX_EVENTS)


def _link(params: LinkParams, **changes: Any) -> LinkParams:
    return replace(params, **changes)


def _check_u32(value: int, what: str) -> None:
    if not 0 <= value < (1 << 32):
        raise ScenarioError(f"{what} must be between 0 and 4294967295, not {value}")


# ------------------------------------------------------------------ loading
def builtin_names() -> list[str]:
    """The names of the built-in scenarios, alphabetically."""
    files = resources.files("simulator.sim.scenarios")
    return [Path(str(f)).stem for f in sorted(files.iterdir(), key=lambda f: f.name) if f.name.endswith(".toml")]


def load(name_or_path: str) -> Scenario:
    """A built-in scenario by name, or a scenario file by path."""
    path = Path(name_or_path)
    if name_or_path.endswith(".toml") or path.exists():
        if not path.exists():
            raise ScenarioError(f"scenario file {name_or_path} does not exist")
        if not path.is_file():
            raise ScenarioError(f"{name_or_path} is not a scenario file (it is a folder or a device)")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"cannot read scenario file {name_or_path}: {exc}") from None
        return parse(text, default_name=path.stem, source=str(path))
    resource = resources.files("simulator.sim.scenarios") / f"{name_or_path}.toml"
    if not resource.is_file():
        names = builtin_names()
        close = difflib.get_close_matches(name_or_path, names, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        known = ", ".join(names)
        raise ScenarioError(f"no scenario called {name_or_path!r} ({hint}built-in: {known}; or give a .toml file)")
    return parse(resource.read_text(encoding="utf-8"), default_name=name_or_path, source=name_or_path)


def parse(text: str, *, default_name: str = "scenario", source: str = "<scenario>") -> Scenario:
    """Read a scenario from TOML text (checked against the work budget before TOML reads it)."""
    _bounded(text, source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(f"{source}: arrays or tables nested too deeply (at most {MAX_DEPTH})") from None
    try:
        _shallow(data, MAX_DEPTH)
        return _scenario(data, default_name)
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: {exc}") from None


def _bounded(text: str, source: str) -> None:
    """Refuse, before tomllib reads it, a text too large to be a scenario or with a key of thousands of parts."""
    if len(text) > MAX_FILE:
        raise ScenarioError(f"{source}: {len(text)} characters is too large for a scenario (at most {MAX_FILE})")
    for number, line in enumerate(text.splitlines(), 1):
        if line.count(".") > MAX_DOTS:
            raise ScenarioError(f"{source}: line {number} has a key of more than {MAX_DOTS} parts")


def _shallow(value: Any, depth: int) -> None:
    if isinstance(value, dict | list):
        if depth == 0:
            raise ScenarioError(f"arrays or tables nested too deeply (at most {MAX_DEPTH})")
        for item in value.values() if isinstance(value, dict) else value:
            _shallow(item, depth - 1)


# ------------------------------------------------------------------ values
def _shown(value: Any) -> str:
    """A value in an error message: as TOML-ish text, never more than a line's worth."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _real(value: Any, key: str, where: str, *, low: float = 0.0, high: float = MAX_TIME, above: bool = False) -> float:
    """A number (int or float, not a boolean), finite, in ``low`` (or above it) .. ``high``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"{where}: {key} must be a number, not {_shown(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ScenarioError(f"{where}: {key} must be a finite number, not {_shown(value)}")
    if not ((number > low if above else number >= low) and number <= high):
        bound = f"above {low:g}" if above else f"at least {low:g}"
        raise ScenarioError(f"{where}: {key} must be a finite number {bound} and at most {high:g}, not {_shown(value)}")
    return number


def _whole(value: Any, key: str, where: str, *, low: int = 0, high: int = MAX_COUNT) -> int:
    """A whole number (not a boolean) in ``low`` .. ``high``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{where}: {key} must be a whole number, not {_shown(value)}")
    if not low <= value <= high:
        raise ScenarioError(f"{where}: {key} must be between {low} and {high}, not {_shown(value)}")
    return value


def _boolean(value: Any, key: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(f"{where}: {key} must be true or false, not {_shown(value)}")
    return value


# Text a scenario shows goes to terminals and drawings: a control character there is an escape sequence
# that recolours or rewrites the screen, or a glyph the font lacks, so none is taken (line breaks and tabs
# only in the texts of several lines); nor the bidirectional overrides that reorder what is shown.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MULTILINE_TEXTS = frozenset({"lesson", "profile_reason"})


def _control_in(text: str, allowed: str) -> str | None:
    """The first control character of ``text`` not in ``allowed``, if any."""
    for char in text:
        if char not in allowed and (unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS):
            return char
    return None


def _text(value: Any, key: str, where: str) -> str:
    if not isinstance(value, str):
        raise ScenarioError(f"{where}: {key} must be a text in quotes, not {_shown(value)}")
    char = _control_in(value, "\n\t" if key in MULTILINE_TEXTS else "")
    if char is not None:
        raise ScenarioError(f"{where}: {key} may not contain a control character ({char!r})")
    return value


def _budget(specs: list[EndpointSpec], injections: tuple[Injection, ...]) -> None:
    """The bytes a scenario sends, all endpoints and injections together, within ``MAX_BYTES``."""
    sent = sum(len(step.data) for spec in specs for step in spec.script) + sum(len(i.payload) for i in injections)
    if sent > MAX_BYTES:
        raise ScenarioError(f"the scripts send {sent} bytes in all; tcpsim's work budget is {MAX_BYTES} bytes")


def _scenario(data: dict[str, Any], default_name: str) -> Scenario:
    _only(data, _TOP_KEYS, "the top level")
    endpoints_table = _table(data.get("endpoint", {}), "[endpoint]")
    if not endpoints_table:
        raise ScenarioError("no endpoints: add [endpoint.client] and [endpoint.server] tables")
    names = list(endpoints_table)
    if not isinstance(data.get("profile_reason", ""), str):
        raise ScenarioError("profile_reason must be a string: why the scenario uses its profile")
    top_profile = _profile_name(data.get("profile", DEFAULT_PROFILE), "")
    specs: list[EndpointSpec] = []
    for i, name in enumerate(names):
        specs.append(_endpoint(name, _table(endpoints_table[name], f"[endpoint.{name}]"), i, names, top_profile))
    addresses = [(s.address, s.port) for s in specs]
    if len(set(addresses)) != len(addresses):
        raise ScenarioError("two endpoints share the same address and port")
    network = dict(_table(data.get("network", {}), "[network]"))
    loopback = network.pop("loopback", False)
    if not isinstance(loopback, bool):
        raise ScenarioError(f"[network]: loopback must be true or false, not {loopback!r}")
    if loopback and any(network.get(k, 0) for k in ("latency", "jitter", "reorder")):
        raise ScenarioError("[network]: loopback hands each segment over at once: no latency, jitter or reorder")
    if loopback:
        network["latency"] = 0.0
    plain = {k: v for k, v in network.items() if not isinstance(v, dict)}
    _only(plain, _LINK_KEYS, "[network]")
    link = _make(LinkParams, plain, "[network]")
    links = []
    for key, value in network.items():
        if isinstance(value, dict):
            if "->" not in key:
                raise ScenarioError(f'[network.{key}]: name a direction like "client->server"')
            src, dst = (part.strip() for part in key.split("->", 1))
            for end in (src, dst):
                if end not in names:
                    raise ScenarioError(f'[network."{key}"]: no endpoint called {end!r}')
            _only(value, _LINK_KEYS, f'[network."{key}"]')
            links.append((src, dst, _make(LinkParams, {**plain, **value}, f'[network."{key}"]')))
    faults = tuple(_fault(f, names) for f in _array(data.get("fault", []), "[[fault]]"))
    injections = tuple(_injection(f, names) for f in _array(data.get("inject", []), "[[inject]]"))
    _budget(specs, injections)
    seed = _whole(data.get("seed", 1), "seed", "the top level", low=-(1 << 63), high=(1 << 63) - 1)
    until = data.get("until")
    if until is not None:
        until = _real(until, "until", "the top level", above=True)
    texts = {
        key: _text(data.get(key, ""), key, "the top level") for key in ("title", "lesson", "figure", "profile_reason")
    }
    return Scenario(
        name=_text(data.get("name", default_name), "name", "the top level"),
        title=texts["title"],
        lesson=texts["lesson"].strip(),
        seed=seed,
        endpoints=tuple(specs),
        link=link,
        links=tuple(links),
        faults=faults,
        injections=injections,
        until=float(until) if until is not None else None,
        figure=texts["figure"],
        profile=top_profile,
        profile_reason=texts["profile_reason"].strip(),
        loopback=loopback,
        bottleneck=_bottleneck(data["bottleneck"], specs) if "bottleneck" in data else None,
    )


def _bottleneck(raw: Any, specs: list[EndpointSpec]) -> BottleneckParams:
    """[bottleneck]: rate (bit/s), delay, queue or queue_bytes, mark_above (ECN), and from (default: every endpoint that
    does not listen, i.e. the senders of a bulk transfer)."""
    table = _table(raw, "[bottleneck]")
    _only(table, _BOTTLENECK_KEYS, "[bottleneck]")
    if "rate" not in table:
        raise ScenarioError("[bottleneck]: give its rate in bits per second (rate = 10e6 is 10 Mbit/s)")
    names = [s.name for s in specs]
    senders = table.get("from", [s.name for s in specs if not any(st.action == Action.LISTEN for st in s.script)])
    for name in _array(senders, "[bottleneck] from", items=False):
        if name not in names:
            raise ScenarioError(f"[bottleneck] from: no endpoint called {name!r}")
    values = {k: v for k, v in table.items() if k != "from"}
    try:
        return BottleneckParams(**values, senders=tuple(senders))
    except ScenarioError as exc:
        raise ScenarioError(f"[bottleneck]: {exc}") from None


def _profile_name(value: Any, where: str) -> str:
    """A profile's name as a scenario gives it (``where`` starts the error line)."""
    if not isinstance(value, str) or value not in PROFILES:
        raise ScenarioError(f"{where}profile must be one of {', '.join(PROFILES)}, not {value!r}")
    return value


def _endpoint(
    name: str, table: dict[str, Any], index: int, names: list[str], default_profile: str = DEFAULT_PROFILE
) -> EndpointSpec:
    char = _control_in(name, "")
    if char is not None:  # (before the name is shown in any message)
        raise ScenarioError(f"[endpoint.{name!r}]: an endpoint name may not contain a control character ({char!r})")
    where = f"[endpoint.{name}]"
    _only(table, _ENDPOINT_KEYS, where)
    if "#" in name or not name:
        raise ScenarioError(f"{where}: endpoint names may not be empty or contain '#'")
    script = tuple(_step(s, where, names) for s in _array(table.get("script", []), f"{where} script", items=False))
    listens = any(s.action == Action.LISTEN for s in script)
    settings: dict[str, Any] = {}
    for key, attr in _CONFIG_KEYS.items():
        if key in table:
            value = table[key]
            if key == "ack":
                try:
                    value = AckPolicy(value)
                except ValueError:
                    choices = " or ".join(f'"{p.value}"' for p in AckPolicy)
                    raise ScenarioError(f"{where}: ack must be {choices}, not {value!r}") from None
            if key == "congestion":
                value = _algorithm(value, where)
            if key == "loss_detection":
                value = _loss_detection(value, where)
            settings[attr] = value
    profile_name = _profile_name(table.get("profile", default_profile), f"{where}: ")
    config = _make(EndpointConfig, settings, where, base=PROFILES[profile_name].config)
    port = table.get("port", SERVER_PORT if listens else 40000 + index)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise ScenarioError(f"{where}: port must be 1..65535, not {port!r}")
    address = _address(table.get("address", f"10.0.0.{index + 1}"), where)
    isn = table.get("isn")
    if isn is not None:
        isn = _whole(isn, "isn", where, high=(1 << 32) - 1)
    if config.send_buffer is None and any(s.action == Action.FILL for s in script):
        raise ScenarioError(f"{where}: a fill step needs a send_buffer (without one no send() says EAGAIN)")
    accept_many = _boolean(table.get("accept_many", False), "accept_many", where)
    if accept_many and not listens:
        raise ScenarioError(f"{where}: accept_many needs a 'listen' step in the script")
    backlog = _whole(table.get("backlog", SOMAXCONN), "backlog", where, high=65535)
    if "backlog" in table and not listens:
        raise ScenarioError(f"{where}: backlog needs a 'listen' step in the script")
    start = _real(table.get("start", 0.0), "start", where)
    return EndpointSpec(
        name=name,
        address=address,
        port=port,
        isn=isn,
        config=config,
        script=script,
        start=float(start),
        accept_many=accept_many,
        backlog=backlog,
        profile=profile_name,
        settings=tuple(settings.items()),
    )


def _algorithm(value: Any, where: str) -> Algorithm:
    try:
        return Algorithm(value)
    except ValueError:
        names = ", ".join(f'"{a.value}"' for a in Algorithm)
        raise ScenarioError(f"{where}: congestion must be {names}, not {value!r}") from None


def _loss_detection(value: Any, where: str) -> LossDetection:
    try:
        return LossDetection(value)
    except ValueError:
        names = ", ".join(f'"{d.value}"' for d in LossDetection)
        raise ScenarioError(f"{where}: loss_detection must be {names}, not {value!r}") from None


# The steps that take no argument.
_NO_ARGUMENT = frozenset(
    {Action.LISTEN, Action.WAIT_FOR_EOF, Action.SHUTDOWN, Action.CLOSE, Action.ABORT, Action.CRASH}
)


def _step(raw: Any, where: str, names: list[str]) -> Step:
    """One script step: a command string ("send 5", 'send "hi"') or a one-key table."""
    if isinstance(raw, dict):
        extra = {k: v for k, v in raw.items() if k != "isn"}
        if len(extra) != 1:
            raise ScenarioError(f'{where}: a script table has one action, like {{ send = "hello" }}: {raw!r}')
        ((action, arg),) = extra.items()
        isn = raw.get("isn")
        words = [action] if arg is True else [action, arg]
    elif isinstance(raw, str):
        try:
            words = shlex.split(raw)
        except ValueError as exc:
            raise ScenarioError(f"{where}: cannot read script step {raw!r}: {exc}") from None
        isn = None
        if words and words[-1].startswith("isn="):
            isn = _number(words.pop()[4:], int, where, raw)
    else:
        raise ScenarioError(f'{where}: script steps are strings like "send 5", not {raw!r}')
    if isn is not None:
        isn = _whole(isn, "isn", f"{where} script step {_shown(raw)}", high=(1 << 32) - 1)
    if not words or not isinstance(words[0], str) or words[0] not in ACTIONS:
        known = ", ".join(sorted(ACTIONS))
        raise ScenarioError(f"{where}: unknown script step {raw!r} (known: {known})")
    action, args = Action(words[0]), words[1:]
    if action in _NO_ARGUMENT and args:
        raise ScenarioError(f"{where}: {action.value!r} takes no argument")
    if action == Action.CONNECT:
        if len(args) != 1 or args[0] not in names:
            raise ScenarioError(f"{where}: connect needs the name of another endpoint ({', '.join(names)})")
        return Step(Action.CONNECT, peer=str(args[0]), isn=isn)
    if action == Action.SEND:
        if len(args) != 1:
            raise ScenarioError(f"{where}: send takes a byte count or a quoted text")
        arg = args[0]
        if (isinstance(arg, int) and not isinstance(arg, bool)) or (isinstance(arg, str) and _digits(arg, raw)):
            n = int(arg)
            if not 0 < n <= MAX_BYTES:
                raise ScenarioError(f"{where}: send needs a number of bytes from 1 to {MAX_BYTES}, not {n}")
            return Step(Action.SEND, data=pattern_bytes(n))
        if not isinstance(arg, str):
            raise ScenarioError(f"{where}: send takes a byte count or a text, not {_shown(arg)}")
        return Step(Action.SEND, data=arg.encode("utf-8", "surrogatepass"))
    if action == Action.FILL:
        count = args[0] if len(args) == 1 else None
        whole = (isinstance(count, int) and not isinstance(count, bool)) or (isinstance(count, str) and count.isdigit())
        if not whole or not 0 < int(count) <= MAX_BYTES:  # type: ignore[arg-type]
            raise ScenarioError(f"{where}: fill needs the bytes of each send, from 1 to {MAX_BYTES}")
        return Step(Action.FILL, data=pattern_bytes(int(count)))  # type: ignore[arg-type]
    if action == Action.WAIT:
        if len(args) != 1:
            raise ScenarioError(f"{where}: wait takes a number of seconds")
        seconds = _real(_number(args[0], float, where, raw), "wait", f"{where} script step {_shown(raw)}")
        return Step(Action.WAIT, seconds=seconds)
    if action in (Action.WAIT_FOR_BYTES, Action.READ):
        if action == Action.READ and not args:
            return Step(Action.READ)
        if len(args) != 1:
            raise ScenarioError(f"{where}: {action} takes a number of bytes")
        amount = _number(args[0], int, where, raw)
        if not 0 < amount <= MAX_COUNT:
            raise ScenarioError(f"{where}: {action} needs a number of bytes from 1 to {MAX_COUNT}")
        return Step(action, amount=amount)
    return Step(action)


def pattern_bytes(n: int) -> bytes:
    """``n`` bytes of readable filler: abcd...xyzabcd..."""
    alphabet = b"abcdefghijklmnopqrstuvwxyz"
    return (alphabet * (n // 26 + 1))[:n]


def _digits(text: str, raw: Any) -> bool:
    """A byte count written in a step string ("send 5"); in a table ({ send = "5" }) it is the text "5"."""
    return text.isascii() and text.isdigit() and isinstance(raw, str)


def _number(value: Any, kind: type, where: str, raw: Any) -> Any:
    """``value`` (a word of a step, or a table's value) as ``kind``: int accepts whole numbers only."""
    if isinstance(value, bool) or (kind is int and isinstance(value, float)):
        raise ScenarioError(f"{where}: {_shown(value)} in {_shown(raw)} is not a whole number")
    try:
        return kind(value)
    except (TypeError, ValueError, OverflowError):
        raise ScenarioError(f"{where}: {_shown(value)} in {_shown(raw)} is not a number") from None


def _fault(table: dict[str, Any], names: list[str]) -> Fault:
    where = "[[fault]]"
    _only(table, _FAULT_KEYS, where)
    sender = _text(table.get("from", ""), "from", where)
    if sender and sender not in names:
        raise ScenarioError(f"{where}: no endpoint called {sender!r}")
    flags = _flags(table["flags"], where) if "flags" in table else None
    either = {key: _boolean(table[key], key, where) if key in table else None for key in ("data", "retransmission")}
    return Fault(
        action=_text(table.get("action", "drop"), "action", where),
        sender=sender,
        flags=flags,
        data=either["data"],
        retransmission=either["retransmission"],
        nth=_whole(table.get("nth", 1), "nth", where, low=1),
        count=_whole(table.get("count", 1), "count", where, low=1),
        delay=_real(table.get("delay", 0.0), "delay", where),
    )


def _injection(table: dict[str, Any], names: list[str]) -> Injection:
    where = "[[inject]]"
    _only(table, _INJECT_KEYS, where)
    for key in ("from", "to", "flags", "seq"):
        if key not in table:
            raise ScenarioError(f"{where}: '{key}' is missing")
    for key in ("from", "to"):
        if _text(table[key], key, where) not in names:
            raise ScenarioError(f"{where}: no endpoint called {table[key]!r}")
    u32 = (1 << 32) - 1
    return Injection(
        at=_real(table.get("at", 0.0), "at", where),
        sender=table["from"],
        receiver=table["to"],
        flags=_flags(table["flags"], where),
        seq=_whole(table["seq"], "seq", where, high=u32),
        ack=_whole(table.get("ack", 0), "ack", where, high=u32),
        window=_whole(table.get("window", 65535), "window", where, high=65535),  # the header's 16 bits
        payload=pattern_bytes(_whole(table.get("len", 0), "len", where, high=MAX_BYTES)),
        why=_text(table.get("why", "an old duplicate segment from an earlier connection"), "why", where),
    )


def _flags(value: Any, where: str) -> Flags:
    try:
        return Flags.parse(_text(value, "flags", where))
    except ValueError as exc:
        raise ScenarioError(f"{where}: {exc}") from None


def _address(value: Any, where: str) -> str:
    """An endpoint's address: an IP literal, written as Python writes it (tcpsim never looks a name up)."""
    try:
        if not isinstance(value, str):
            raise ValueError
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ScenarioError(
            f"{where}: address must be an IP address such as 10.0.0.1 or 2001:db8::1, not {value!r} "
            "(tcpsim never looks names up)"
        ) from None


def _check_type(key: str, value: Any, annotation: str, where: str) -> None:
    """One clear line when a setting has the wrong kind of value (``mss = "big"``, ``window_scale = 0.5``).

    ``annotation`` is the field's type as written (``int | None``): its first member decides.
    """
    kind = annotation.split("|")[0].strip()
    if kind == "bool":
        _boolean(value, key, where)
    elif kind == "int":
        _whole(value, key, where, low=-_LARGE, high=_LARGE)  # (each field's own range is its class's to check)
    elif kind == "float":
        _real(value, key, where, low=-_LARGE, high=_LARGE)


def _make(cls: Any, values: dict[str, Any], where: str, base: Any = None) -> Any:
    """``cls(**values)`` (or ``values`` applied on top of ``base``), with one clear error line."""
    annotations = {f.name: str(f.type) for f in fields(cls)}
    names = {attr: key for key, attr in _CONFIG_KEYS.items()}
    for attr, value in values.items():
        if attr in annotations:
            _check_type(names.get(attr, attr), value, annotations[attr], where)
    try:
        return cls(**values) if base is None else replace(base, **values)
    except TypeError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    except ScenarioError as exc:
        raise ScenarioError(f"{where}: {exc}") from None


def _only(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ScenarioError(f"{where}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(allowed))})")


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where} must be a table")
    return value


def _array(value: Any, where: str, *, items: bool = True) -> list[Any]:
    if not isinstance(value, list):
        raise ScenarioError(f"{where} must be an array")
    if items and not all(isinstance(v, dict) for v in value):
        raise ScenarioError(f"{where} entries must be tables")
    return value
