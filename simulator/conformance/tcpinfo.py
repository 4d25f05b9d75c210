"""``%{ assert tcpi_... }%`` blocks: packetdrill's Python assertions on TCP_INFO, evaluated safely.

packetdrill runs these blocks in Python with the ``tcp_info`` of the socket of the last system
call.  Here they are read with ``ast`` and evaluated by a small interpreter that knows
comparisons, arithmetic and bit operations over numbers and names: nothing is ever ``eval``-ed.
A ``tcpi_`` field the model does not have makes the script need that feature, by name.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# linux/tcp.h and packetdrill's python glue (tcp_info constants)
CONSTANTS: dict[str, int] = {
    "TCP_ESTABLISHED": 1,
    "TCP_SYN_SENT": 2,
    "TCP_SYN_RECV": 3,
    "TCP_FIN_WAIT1": 4,
    "TCP_FIN_WAIT2": 5,
    "TCP_TIME_WAIT": 6,
    "TCP_CLOSE": 7,
    "TCP_CLOSE_WAIT": 8,
    "TCP_LAST_ACK": 9,
    "TCP_LISTEN": 10,
    "TCP_CLOSING": 11,
    "TCP_INFINITE_SSTHRESH": 0x7FFFFFFF,
    "TCP_CA_Open": 0,
    "TCP_CA_Disorder": 1,
    "TCP_CA_CWR": 2,
    "TCP_CA_Recovery": 3,
    "TCP_CA_Loss": 4,
    "TCPI_OPT_TIMESTAMPS": 1,
    "TCPI_OPT_SACK": 2,
    "TCPI_OPT_WSCALE": 4,
    "TCPI_OPT_ECN": 8,
    "TCPI_OPT_ECN_SEEN": 16,
    "TCPI_OPT_SYN_DATA": 32,
}

_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.Not: operator.not_, ast.USub: operator.neg, ast.Invert: operator.invert}
_MAX_SHIFT = 64


class Unreadable(ValueError):
    """A block this evaluator does not read (not an assertion over numbers)."""


class UnknownField(Exception):
    """A name in the block that neither the model nor the constants have."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(frozen=True, slots=True)
class Assertion:
    """One ``assert`` of a block: its expression, and its source text for the report."""

    test: ast.expr
    text: str


def assertions(block: str) -> list[Assertion]:
    """The assert statements of a ``%{ ... }%`` block; ``Unreadable`` if it does anything else."""
    code = block.strip().removeprefix("%{").removesuffix("}%")
    try:
        tree = ast.parse(_dedent(code))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise Unreadable("not Python") from None
    found = []
    for statement in tree.body:
        if not isinstance(statement, ast.Assert):
            raise Unreadable(type(statement).__name__)
        found.append(Assertion(statement.test, ast.unparse(statement.test)))
    if not found:
        raise Unreadable("no assertion")
    return found


def names(expr: ast.expr) -> set[str]:
    """The variable names an expression reads."""
    return {node.id for node in ast.walk(expr) if isinstance(node, ast.Name)}


def holds(expr: ast.expr, values: Mapping[str, int]) -> bool:
    """Evaluate the assertion over ``values`` (and the constants)."""
    return bool(_value(expr, values))


def _value(node: ast.expr, values: Mapping[str, int]) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in values:
            return values[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        raise UnknownField(node.id)
    if isinstance(node, ast.Compare):
        left = _value(node.left, values)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _value(comparator, values)
            if type(op) not in _COMPARE:
                raise Unreadable(type(op).__name__)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.BoolOp):
        results = [bool(_value(v, values)) for v in node.values]
        return all(results) if isinstance(node.op, ast.And) else any(results)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub | ast.Invert):
        operand = _value(node.operand, values)
        return _UNARY[type(node.op)](operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _value(node.left, values), _value(node.right, values)
        if isinstance(node.op, ast.LShift) and right > _MAX_SHIFT:
            raise Unreadable("a shift too large")
        return _BINARY[type(node.op)](left, right)
    raise Unreadable(type(node).__name__)


def _dedent(code: str) -> str:
    lines = [line for line in code.splitlines() if line.strip()]
    return "\n".join(line.strip() for line in lines)
