"""docs/reference/checker-rules.md's table of rules names, for every row, a test that exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "reference" / "checker-rules.md"


def rows() -> list[list[str]]:
    section = DOC.read_text().split("## The rules, one row each", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| situation")]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines]


def known_tests() -> set[str]:
    names = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        names |= {n.name for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.FunctionDef)}
    return names


def test_every_rule_in_the_table_names_a_test_that_exists():
    table, known = rows(), known_tests()
    assert len(table) >= 30 and all(len(row) == 4 for row in table)
    named = [re.fullmatch(r"`(test_\w+)`", row[3]) for row in table]
    assert all(named), [row for row, name in zip(table, named, strict=True) if not name]
    missing = [name.group(1) for name in named if name and name.group(1) not in known]
    assert not missing, f"the table names tests that do not exist: {missing}"


def test_the_check_finds_a_test_that_does_not_exist():
    assert "test_a_rule_nobody_wrote" not in known_tests() and "test_keep_alives_are_recognised" in known_tests()
