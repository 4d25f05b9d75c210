"""The tcp-testsuite state-event matrix against the model (FreeBSD profile), in CI.

Every script must pass or be one of the classified failures in
docs/conformance.md; the pass rate must stay at or above 90% in each group.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from simulator.conformance.packetdrill import RunOptions, run_paths

ROOT = Path(__file__).parent.parent
SUITE = ROOT.parent / "shared" / "tcp-testsuite"
DOC = ROOT / "docs" / "conformance.md"


@pytest.fixture(scope="module")
def results():
    if not SUITE.is_dir():
        message = (
            f"the tcp-testsuite scripts are not at {SUITE}: fetch them at their pinned commit as "
            "docs/conformance.md says (Where the suites come from)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return run_paths([str(SUITE)], RunOptions(profile="freebsd"))


def explained() -> set[str]:
    """The scripts listed in the failure table of docs/conformance.md."""
    return set(re.findall(r"^\| `((?:state-event-engine|snd-syn)/[^`]+\.pkt)` \|", DOC.read_text(), re.MULTILINE))


def test_every_script_passes_or_is_a_classified_failure(results):
    failing = {str(Path(r.path).relative_to(SUITE)) for r in results if r.status != "pass"}
    assert failing == explained(), (
        "failures not explained in docs/conformance.md: "
        + ", ".join(sorted(failing - explained()))
        + " | listed but now passing: "
        + ", ".join(sorted(explained() - failing))
    )


@pytest.mark.parametrize(("group", "count"), [("state-event-engine", 614), ("snd-syn", 30)])
def test_at_least_nine_in_ten_scripts_pass_in_each_group(results, group, count):
    mine = [r for r in results if Path(r.path).relative_to(SUITE).parts[0] == group]
    assert len(mine) == count
    passed = sum(r.status == "pass" for r in mine)
    assert passed / count >= 0.9, f"{group}: {passed}/{count}"


# ------------------------------------------------------------ Google's Linux TCP tests
LINUX_SUITE = ROOT.parent / "shared" / "packetdrill-linux" / "gtests" / "net"
_LINUX_ROW = re.compile(r"^\| `(tcp/[^`]+\.pkt)` \| (fail|error|needs-feature|vacuous) \| (.+) \|$", re.MULTILINE)


@pytest.fixture(scope="module")
def linux_results():
    if not (LINUX_SUITE / "tcp").is_dir():
        message = (
            f"Google's Linux packetdrill tests are not at {LINUX_SUITE}: fetch them at their pinned commit as "
            "docs/conformance.md says (Where the suites come from)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return run_paths([str(LINUX_SUITE / "tcp")], RunOptions(profile="linux"))


def linux_table() -> dict[str, tuple[str, str]]:
    """The Linux scripts that do not pass, as docs/conformance.md tables them: outcome and what each needs."""
    return {name: (outcome, need) for name, outcome, need in _LINUX_ROW.findall(DOC.read_text())}


def test_every_linux_script_parses_and_none_is_an_error(linux_results):
    assert len(linux_results) == 162
    errors = [f"{r.path}: {r.message}" for r in linux_results if r.status in ("error", "vacuous")]
    assert not errors, errors


def test_every_linux_script_that_does_not_pass_is_tabled_with_what_it_needs(linux_results):
    table = linux_table()
    assert table, "the table in docs/conformance.md was not found"
    got = {str(Path(r.path).relative_to(LINUX_SUITE)): r for r in linux_results if r.status != "pass"}
    changed = []
    for name in sorted(set(got) | set(table)):
        if name not in got:
            changed.append(f"{name}: now passes, still tabled")
        elif name not in table:
            changed.append(f"{name}: {got[name].status} ({got[name].feature or got[name].message[:80]}), not tabled")
        elif got[name].status != table[name][0]:
            changed.append(f"{name}: {got[name].status}, tabled as {table[name][0]}")
        elif got[name].status == "needs-feature" and got[name].feature != table[name][1]:
            changed.append(f"{name}: needs {got[name].feature}, tabled as needing {table[name][1]}")
    assert not changed, "docs/conformance.md (Google's Linux TCP tests) is out of date:\n" + "\n".join(changed)


def test_the_linux_counts_in_docs_conformance_are_those_of_a_run(linux_results):
    # the folder counts and the tally of needs too, as python -m tools.packetdrill_table writes them
    from tools.packetdrill_table import blocks, needs, tables

    text = DOC.read_text()
    expected = tables(linux_results, needs(linux_results, linux_table()))
    assert blocks(text) == expected, "docs/conformance.md is out of date: python -m tools.packetdrill_table --write"
