"""The network's sentences (a loss, a copy, a full queue, a closed port) live in ``sim/explain.py``.

As the endpoint's live in ``model/explain.py`` and the checker's in its catalogue, the network names
what happened by a ``NetKey`` and the values; these tests read its code for sentences written inline.
"""

from __future__ import annotations

import pathlib

import pytest

from simulator.sim import bottleneck, network
from simulator.sim.explain import SENTENCES, NetKey, say

from .literals import sentence_literals


@pytest.mark.parametrize("module", [network, bottleneck], ids=lambda m: m.__name__)
def test_no_sentence_is_written_into_the_networks_logic(module):
    found = sentence_literals(pathlib.Path(module.__file__).read_text(), errors_too=False)
    assert not found, "sentences belong in sim/explain.py: " + "; ".join(f"line {n}: {t!r}" for n, t in found)


def test_the_scan_lets_an_errors_one_line_stand_but_not_a_traces_sentence():
    code = 'def f(x):\n    raise ValueError(f"a bad value of {x} was given")\n    return f"the network loses {x} for good"\n'
    assert sentence_literals(code, errors_too=False) == [(3, "the network loses {} for good")]


def test_every_network_key_has_its_words():
    assert set(SENTENCES) == set(NetKey)


def test_a_lost_segment_is_told_with_the_links_probability():
    assert say(NetKey.RANDOM_LOSS, p=0.25) == "The network loses this segment (random loss, probability 0.25)."
