"""The checker's verdicts, labels, states and departures on every capture the project keeps are as recorded.

The record (tests/data/checker-golden.json) was written by ``python -m tools.checker_golden write``
before the checker was rebuilt (issue 23); a change to the checker that changes any verdict, label,
state, departure or sentence fails here.  Changing one on purpose means writing the record again,
in the same commit, and saying why.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("scapy", reason="the scenarios' captures are exported with Scapy")

from tools.checker_golden import RECORD, differences, record_all

pytestmark = pytest.mark.slow  # about ten seconds: 280 captures exported and checked


def test_every_kept_capture_is_checked_as_recorded():
    found = differences(json.loads(RECORD.read_text()), record_all())
    assert not found, "\n".join(found[:20])


def test_the_record_notices_a_changed_label():
    # the comparison can fail: one label changed in the record is found
    want = json.loads(RECORD.read_text())
    name = next(name for name, record in want.items() if record.get("packets"))
    changed = json.loads(json.dumps(want))
    changed[name]["packets"][0][1] = ["not a label"]
    assert differences(want, changed) == [
        f"{name}: packets differ: was {want[name]['packets'][0]}, is {changed[name]['packets'][0]}"
    ]
