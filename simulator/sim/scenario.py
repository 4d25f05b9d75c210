"""Scenarios: a TOML description of hosts, their application scripts and the network.

The built-in scenarios are TOML files in ``simulator/scenarios/``; an
instructor's own file has the same form (see docs/reference/scenario-file.md).
"""

from __future__ import annotations

import difflib
import ipaddress
import random
import shlex
import tomllib
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from ..model.config import AckPolicy, EndpointConfig
from ..model.congestion import Algorithm
from ..model.endpoint import Endpoint
from ..model.errors import ScenarioError
from ..model.profiles import DEFAULT_PROFILE, PROFILES, profile
from ..model.segment import Flags
from .app import ACTIONS, Action, Step
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
    "congestion": "congestion",
    "initial_window": "initial_window",
}
_ENDPOINT_KEYS = {"address", "port", "isn", "script", "start", "accept_many", "profile", *_CONFIG_KEYS}
_LINK_KEYS = {f.name for f in fields(LinkParams)}
_TOP_KEYS = {
    "name",
    "title",
    "lesson",
    "seed",
    "until",
    "network",
    "endpoint",
    "fault",
    "inject",
    "figure",
    "bottleneck",
}
_BOTTLENECK_KEYS = {"rate", "delay", "queue", "queue_bytes", "from"}
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
        )
        # ISNs not given are drawn from their own generator so that changing
        # the loss does not change them (RFC 9293 3.4.1 leaves the choice open).
        isn_rng = random.Random(f"isn:{self.seed}")
        for spec in self.endpoints:
            isn = spec.isn if spec.isn is not None else isn_rng.randrange(1 << 32)
            ep = Endpoint(spec.name, spec.address, spec.port, isn, spec.config)
            net.add(ep, list(spec.script), start=spec.start)
            if spec.accept_many:
                steps = list(spec.script)
                listen_at = next(i for i, s in enumerate(steps) if s.action == Action.LISTEN)
                net.listen_many(ep, steps[listen_at + 1 :])
        net.isn_source = lambda: isn_rng.randrange(1 << 32)
        for src, dst, params in self.links:
            net.set_link(src, dst, params)
        for injection in self.injections:
            net.inject(injection)
        return net

    def run(self, *, record: bool = True) -> Trace:
        """Run the scenario to its end (or to ``until``) and return the trace."""
        return self.build(record=record).run(until=self.until if self.until is not None else DEFAULT_UNTIL)


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
    """Read a scenario from TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from None
    try:
        return _scenario(data, default_name)
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: {exc}") from None


def _scenario(data: dict[str, Any], default_name: str) -> Scenario:
    _only(data, _TOP_KEYS, "the top level")
    endpoints_table = _table(data.get("endpoint", {}), "[endpoint]")
    if not endpoints_table:
        raise ScenarioError("no endpoints: add [endpoint.client] and [endpoint.server] tables")
    names = list(endpoints_table)
    specs: list[EndpointSpec] = []
    for i, name in enumerate(names):
        specs.append(_endpoint(name, _table(endpoints_table[name], f"[endpoint.{name}]"), i, names))
    addresses = [(s.address, s.port) for s in specs]
    if len(set(addresses)) != len(addresses):
        raise ScenarioError("two endpoints share the same address and port")
    network = _table(data.get("network", {}), "[network]")
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
    seed = data.get("seed", 1)
    if not isinstance(seed, int):
        raise ScenarioError("seed must be an integer")
    until = data.get("until")
    if until is not None and (not isinstance(until, int | float) or until <= 0):
        raise ScenarioError("until must be a positive number of seconds")
    return Scenario(
        name=str(data.get("name", default_name)),
        title=str(data.get("title", "")),
        lesson=str(data.get("lesson", "")).strip(),
        seed=seed,
        endpoints=tuple(specs),
        link=link,
        links=tuple(links),
        faults=faults,
        injections=injections,
        until=float(until) if until is not None else None,
        figure=str(data.get("figure", "")),
        bottleneck=_bottleneck(data["bottleneck"], specs) if "bottleneck" in data else None,
    )


def _bottleneck(raw: Any, specs: list[EndpointSpec]) -> BottleneckParams:
    """[bottleneck]: rate (bit/s), delay, queue or queue_bytes, and from (default: every endpoint that
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


def _endpoint(name: str, table: dict[str, Any], index: int, names: list[str]) -> EndpointSpec:
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
                    raise ScenarioError(f'{where}: ack must be "immediate" or "delayed", not {value!r}') from None
            if key == "congestion":
                value = _algorithm(value, where)
            settings[attr] = value
    profile_name = table.get("profile", DEFAULT_PROFILE)
    if not isinstance(profile_name, str) or profile_name not in PROFILES:
        raise ScenarioError(f"{where}: profile must be one of {', '.join(PROFILES)}, not {profile_name!r}")
    config = _make(EndpointConfig, settings, where, base=PROFILES[profile_name].config)
    port = table.get("port", SERVER_PORT if listens else 40000 + index)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise ScenarioError(f"{where}: port must be 1..65535, not {port!r}")
    address = _address(table.get("address", f"10.0.0.{index + 1}"), where)
    isn = table.get("isn")
    if isn is not None:
        if not isinstance(isn, int):
            raise ScenarioError(f"{where}: isn must be an integer")
        _check_u32(isn, f"{where} isn")
    accept_many = table.get("accept_many", False)
    if not isinstance(accept_many, bool):
        raise ScenarioError(f"{where}: accept_many must be true or false, not {accept_many!r}")
    if accept_many and not listens:
        raise ScenarioError(f"{where}: accept_many needs a 'listen' step in the script")
    start = table.get("start", 0.0)
    if not isinstance(start, int | float) or start < 0:
        raise ScenarioError(f"{where}: start must be a time in seconds, not {start!r}")
    return EndpointSpec(
        name=name,
        address=address,
        port=port,
        isn=isn,
        config=config,
        script=script,
        start=float(start),
        accept_many=accept_many,
        profile=profile_name,
        settings=tuple(settings.items()),
    )


def _algorithm(value: Any, where: str) -> Algorithm:
    try:
        return Algorithm(value)
    except ValueError:
        names = ", ".join(f'"{a.value}"' for a in Algorithm)
        raise ScenarioError(f"{where}: congestion must be {names}, not {value!r}") from None


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
    if not words or words[0] not in ACTIONS:
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
        if isinstance(arg, int) or (isinstance(arg, str) and arg.isdigit() and isinstance(raw, str)):
            n = int(arg)
            if n <= 0:
                raise ScenarioError(f"{where}: send needs a positive number of bytes")
            return Step(Action.SEND, data=pattern_bytes(n))
        return Step(Action.SEND, data=str(arg).encode("utf-8"))
    if action == Action.WAIT:
        if len(args) != 1:
            raise ScenarioError(f"{where}: wait takes a number of seconds")
        seconds = _number(args[0], float, where, raw)
        if seconds < 0:
            raise ScenarioError(f"{where}: wait needs a time >= 0")
        return Step(Action.WAIT, seconds=seconds)
    if action in (Action.WAIT_FOR_BYTES, Action.READ):
        if action == Action.READ and not args:
            return Step(Action.READ)
        if len(args) != 1:
            raise ScenarioError(f"{where}: {action} takes a number of bytes")
        amount = _number(args[0], int, where, raw)
        if amount <= 0:
            raise ScenarioError(f"{where}: {action} needs a positive number of bytes")
        return Step(action, amount=amount)
    return Step(action)


def pattern_bytes(n: int) -> bytes:
    """``n`` bytes of readable filler: abcd...xyzabcd..."""
    alphabet = b"abcdefghijklmnopqrstuvwxyz"
    return (alphabet * (n // 26 + 1))[:n]


def _number(value: Any, kind: type, where: str, raw: Any) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ScenarioError(f"{where}: {value!r} in {raw!r} is not a number") from None


def _fault(table: dict[str, Any], names: list[str]) -> Fault:
    _only(table, _FAULT_KEYS, "[[fault]]")
    sender = str(table.get("from", ""))
    if sender and sender not in names:
        raise ScenarioError(f"[[fault]]: no endpoint called {sender!r}")
    flags = _flags(table["flags"], "[[fault]]") if "flags" in table else None
    try:
        return Fault(
            action=str(table.get("action", "drop")),
            sender=sender,
            flags=flags,
            data=table.get("data"),
            retransmission=table.get("retransmission"),
            nth=int(table.get("nth", 1)),
            count=int(table.get("count", 1)),
            delay=float(table.get("delay", 0.0)),
        )
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"[[fault]]: {exc}") from None


def _injection(table: dict[str, Any], names: list[str]) -> Injection:
    _only(table, _INJECT_KEYS, "[[inject]]")
    for key in ("from", "to", "flags", "seq"):
        if key not in table:
            raise ScenarioError(f"[[inject]]: '{key}' is missing")
    for key in ("from", "to"):
        if table[key] not in names:
            raise ScenarioError(f"[[inject]]: no endpoint called {table[key]!r}")
    _check_u32(int(table["seq"]), "[[inject]] seq")
    return Injection(
        at=float(table.get("at", 0.0)),
        sender=str(table["from"]),
        receiver=str(table["to"]),
        flags=_flags(table["flags"], "[[inject]]"),
        seq=int(table["seq"]),
        ack=int(table.get("ack", 0)),
        window=int(table.get("window", 65535)),
        payload=pattern_bytes(int(table.get("len", 0))),
        why=str(table.get("why", "an old duplicate segment from an earlier connection")),
    )


def _flags(value: Any, where: str) -> Flags:
    try:
        return Flags.parse(str(value))
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
        ok, what = isinstance(value, bool), "true or false"
    elif kind == "int":
        ok, what = isinstance(value, int) and not isinstance(value, bool), "a whole number"
    elif kind == "float":
        ok, what = isinstance(value, int | float) and not isinstance(value, bool), "a number"
    else:
        return
    if not ok:
        raise ScenarioError(f"{where}: {key} must be {what}, not {value!r}")


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
