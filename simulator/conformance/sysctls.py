"""The sysctls a packetdrill script sets, read as profile settings or counted as environment.

A script sets the machine up with shell commands: FreeBSD's ``sysctl -w net.inet.tcp.X=N``, Linux's
``sysctl -q net.ipv4.tcp_X=V`` (often through ``../common/defaults.sh``), ``set_sysctls.py
/proc/sys/net/ipv4/tcp_X=V`` and ``echo V > /proc/sys/...``.  Nothing is ever executed: the
commands are read.  A sysctl the model has a setting for becomes that ``EndpointConfig`` field; any
other is the environment of the real machine, counted by name, not failed.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..model.config import EndpointConfig
from ..model.errors import ScenarioError
from ..model.fastopen import parse_key

Setter = Callable[[EndpointConfig, str, EndpointConfig], EndpointConfig | None]
_MAX_INCLUDE_DEPTH = 4
_MAX_INCLUDE_BYTES = 1 << 16


class SysctlError(ValueError):
    """A sysctl value the model cannot take (out of range, not a number)."""


def _int(value: str) -> int:
    try:
        number = int(value.strip().strip('"').split()[0], 0)
    except (ValueError, IndexError):
        raise SysctlError(f"{value!r} is not a number") from None
    if not -(1 << 63) <= number < 1 << 64:
        raise SysctlError(f"{value!r} is out of range")
    return number


def _flag(field: str, *, invert: bool = False) -> Setter:
    def set_flag(cfg: EndpointConfig, value: str, base: EndpointConfig) -> EndpointConfig:
        changes: dict[str, Any] = {field: bool(_int(value)) != invert}
        return replace(cfg, **changes)

    return set_flag


def _count(field: str) -> Setter:
    def set_count(cfg: EndpointConfig, value: str, base: EndpointConfig) -> EndpointConfig:
        number = _int(value)
        if not 0 <= number <= 255:
            raise SysctlError(f"{field} must be 0..255, not {number}")
        changes: dict[str, Any] = {field: number}
        return replace(cfg, **changes)

    return set_count


def _seconds(field: str, unit: float, *, minimum: int = 1) -> Setter:
    def set_seconds(cfg: EndpointConfig, value: str, base: EndpointConfig) -> EndpointConfig:
        number = _int(value)
        if not minimum <= number <= 10**9:
            raise SysctlError(f"{field} must be {minimum}..1e9, not {number}")
        changes: dict[str, Any] = {field: number * unit}
        return replace(cfg, **changes)

    return set_seconds


def _linux_fastopen_key(cfg: EndpointConfig, value: str, base: EndpointConfig) -> EndpointConfig:
    text = value.strip().strip('"')
    try:
        parse_key(text)
    except ValueError as exc:
        raise SysctlError(str(exc)) from None
    return replace(cfg, fastopen_key=text.split(",")[0])


def _linux_fastopen(cfg: EndpointConfig, value: str, base: EndpointConfig) -> EndpointConfig:
    number = _int(value)
    if not 0 <= number < 1 << 32:
        raise SysctlError(f"tcp_fastopen must be 0..0xffffffff, not {number}")
    return replace(cfg, fastopen=number)


def _linux_ecn(cfg: EndpointConfig, value: str, base: EndpointConfig) -> EndpointConfig | None:
    number = _int(value)  # Documentation/networking/ip-sysctl.rst: tcp_ecn (1: ask and answer, 2: only answer)
    return replace(cfg, ecn=number == 1, ecn_answer=number in (1, 2))


def _linux_window_scaling(cfg: EndpointConfig, value: str, base: EndpointConfig) -> EndpointConfig | None:
    if _int(value):
        return cfg if cfg.window_scale is not None else None  # on, but the profile has no shift to offer
    return replace(cfg, window_scale=None, recv_buffer=min(cfg.recv_buffer, 65535))


def _freebsd_ecn(cfg: EndpointConfig, value: str, base: EndpointConfig) -> EndpointConfig:
    return replace(cfg, ecn=_int(value) == 1)  # 1: ask for ECN; 2: only answer (not modelled)


def _freebsd_recvspace(cfg: EndpointConfig, value: str, base: EndpointConfig) -> EndpointConfig:
    number = _int(value)
    if not 0 <= number <= 65535 << 14:
        raise SysctlError(f"recvspace must be 0..{65535 << 14}, not {number}")
    return replace(
        cfg, recv_buffer=number, window_scale=cfg.window_scale if number <= 65535 else cfg.window_scale or 14
    )


def _freebsd_drop_options(cfg: EndpointConfig, value: str, base: EndpointConfig) -> EndpointConfig:
    return replace(cfg, syn_options_retries=3 if _int(value) else None)


def _freebsd_rfc1323(cfg: EndpointConfig, value: str, base: EndpointConfig) -> EndpointConfig:
    on = bool(_int(value))
    return replace(
        cfg,
        timestamps=on and base.timestamps,
        window_scale=(base.window_scale or 6) if on else None,
        recv_buffer=base.recv_buffer if on else min(base.recv_buffer, 65535),
    )


def _linux_notsent_lowat(cfg: EndpointConfig, value: str, base: EndpointConfig) -> EndpointConfig:
    """net.ipv4.tcp_notsent_lowat: bytes; UINT_MAX, its default, is no limit."""
    number = _int(value)
    if not 1 <= number <= 0xFFFFFFFF:
        raise SysctlError(f"tcp_notsent_lowat must be 1..4294967295, not {number}")
    return replace(cfg, notsent_lowat=None if number == 0xFFFFFFFF else number)


# FreeBSD: sys/netinet/tcp_*.c SYSCTL_INT(_net_inet_tcp, ...)
FREEBSD: dict[str, Setter] = {
    "net.inet.tcp.insecure_syn": _flag("rfc5961_syn", invert=True),
    "net.inet.tcp.insecure_rst": _flag("rfc5961_rst", invert=True),
    "net.inet.tcp.drop_synfin": _flag("drop_synfin"),
    "net.inet.tcp.rexmit_initial": _seconds("initial_rto", 0.001),
    "net.inet.tcp.rexmit_slop": _seconds("rto_slop", 0.001, minimum=0),
    "net.inet.tcp.keepinit": _seconds("connect_timeout", 0.001),
    "net.inet.tcp.recvspace": _freebsd_recvspace,
    "net.inet.tcp.ecn.enable": _freebsd_ecn,
    "net.inet.tcp.ecn.maxretries": _count("ecn_syn_retries"),
    "net.inet.tcp.rexmit_drop_options": _freebsd_drop_options,
    "net.inet.tcp.sack.enable": _flag("sack_permitted"),
    "net.inet.tcp.rfc1323": _freebsd_rfc1323,
}
# Linux: Documentation/networking/ip-sysctl.rst
LINUX: dict[str, Setter] = {
    "net.ipv4.tcp_timestamps": _flag("timestamps"),
    "net.ipv4.tcp_sack": _flag("sack_permitted"),
    "net.ipv4.tcp_syn_retries": _count("syn_retries"),
    "net.ipv4.tcp_synack_retries": _count("synack_retries"),
    "net.ipv4.tcp_retries2": _count("data_retries"),
    "net.ipv4.tcp_ecn": _linux_ecn,
    "net.ipv4.tcp_window_scaling": _linux_window_scaling,
    "net.ipv4.tcp_min_snd_mss": _count("min_snd_mss"),
    "net.ipv4.tcp_min_tso_segs": _count("min_tso_segs"),
    "net.ipv4.tcp_slow_start_after_idle": _flag("slow_start_after_idle"),
    "net.ipv4.tcp_keepalive_time": _seconds("keepalive_idle", 1.0),
    "net.ipv4.tcp_keepalive_intvl": _seconds("keepalive_interval", 1.0),
    "net.ipv4.tcp_keepalive_probes": _count("keepalive_probes"),
    "net.ipv4.tcp_invalid_ratelimit": _seconds("invalid_ratelimit", 0.001, minimum=0),
    "net.ipv4.tcp_notsent_lowat": _linux_notsent_lowat,
    "net.ipv4.tcp_fastopen": _linux_fastopen,
    "net.ipv4.tcp_fastopen_key": _linux_fastopen_key,
}
SETTERS: dict[str, Setter] = {**FREEBSD, **LINUX}

_ASSIGN = re.compile(r"^(?:/proc/sys/)?([a-z]\w*[./][\w./-]+)=(.*)$", re.DOTALL)


def assignments(command: str, base_dir: Path | None) -> tuple[tuple[str, str], ...]:
    """The ``(name, value)`` sysctls a shell command sets, in order (shell scripts it runs included).

    ``base_dir`` is the script's folder, for a relative ``../common/defaults.sh``; ``None`` reads no file.
    """
    return tuple(_words(command, base_dir, 0))


@functools.lru_cache(maxsize=4096)
def _split(text: str) -> tuple[str, ...]:
    """One line of shell as words (suites repeat the same lines in every script: each is split once)."""
    try:
        return tuple(shlex.split(text.replace(";", " ; "), comments=True))
    except ValueError:
        return ()


def _words(command: str, base_dir: Path | None, depth: int) -> Iterator[tuple[str, str]]:
    command = re.sub(r"\\\s+", " ", command)  # a line continued: "set_sysctls.py a=1 \\" then "b=2"
    words = [word for text in command.replace("`", " ").splitlines() for word in _split(text)]
    for word in words:
        match = _ASSIGN.match(word)
        if match is not None:
            yield match.group(1).replace("/", "."), match.group(2)
        elif word.endswith(".sh") and base_dir is not None and depth < _MAX_INCLUDE_DEPTH:
            yield from _included(word, base_dir, depth)


def _included(word: str, base_dir: Path, depth: int) -> Iterator[tuple[str, str]]:
    """The sysctls of a shell script the command runs (a one-line file holding a path is a symlink)."""
    path = base_dir / word
    text = _read_small(path)
    if text is None:
        return
    if "\n" not in text.strip() and text.strip().endswith(".sh"):  # a symbolic link checked in as text
        yield from _included(text.strip(), path.parent, depth + 1)
        return
    yield from _words(_expand(text), path.parent, depth + 1)


def _read_small(path: Path) -> str | None:
    """A shell script's text, if it is a small file (read again only when it changes)."""
    try:
        stat = path.stat()
    except (OSError, ValueError):  # ValueError: a NUL in the name
        return None
    if not path.is_file() or stat.st_size > _MAX_INCLUDE_BYTES:
        return None
    return _read(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _read(path: Path, mtime_ns: int, size: int) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _expand(text: str) -> str:
    """Shell arithmetic ``$((15*1024*1024))`` in a sysctl value, the only kind defaults.sh uses."""

    def product(match: re.Match[str]) -> str:
        value = 1
        for factor in match.group(1).split("*"):
            if not factor.strip().isdigit():
                return match.group(0)
            value *= int(factor)
        return str(value)

    return re.sub(r"\$\(\(([\d*\s]+)\)\)", product, text)


def apply(cfg: EndpointConfig, name: str, value: str, base: EndpointConfig) -> EndpointConfig | None:
    """``cfg`` with the sysctl applied, or ``None`` when the model has no setting for it.

    Raises ``SysctlError`` for a value the setting cannot take.
    """
    setter = SETTERS.get(name)
    if setter is None:
        return None
    try:
        return setter(cfg, value, base)
    except ScenarioError as exc:
        raise SysctlError(str(exc)) from None
