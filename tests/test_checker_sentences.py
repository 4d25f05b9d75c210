"""The checker's sentences live in one catalogue (``capture/checker/sentences.py``), keyed by ``Why``.

As the model keeps its explanations in ``model/explain.py``, the checker's rules say what they found
as a key and the values it speaks of; the words are made only when a report is printed.  These tests
read the checker's code: a sentence written into a rule fails here, naming the line.
"""

from __future__ import annotations

import pathlib

import pytest

from simulator.capture.checker import sentences
from simulator.capture.checker.sentences import CATALOGUE, Sentence, Why

from .literals import sentence_literals

CHECKER = pathlib.Path(sentences.__file__).parent
# The presentation (the report's table and heading) and the catalogue itself are not rules.
NOT_LOGIC = {"sentences.py", "render.py", "report.py", "__init__.py"}
LOGIC = sorted(path for path in CHECKER.glob("*.py") if path.name not in NOT_LOGIC)


def test_the_scan_finds_a_sentence_written_into_a_rule():
    rule = 'def _rule(p):\n    """A docstring is not a sentence of the report."""\n    return f"a keep-alive: seq {p} is one below"\n'
    assert sentence_literals(rule) == [(3, "a keep-alive: seq {} is one below")]
    assert sentence_literals('LABEL = "dup ack"\nEVENT = "rcv ACK of FIN"\nSLOTS = ("a", "b")\n') == []


@pytest.mark.parametrize("path", LOGIC, ids=lambda p: p.name)
def test_no_sentence_literal_in_the_checkers_rules(path):
    found = sentence_literals(path.read_text())
    assert not found, f"{path.name}: sentences belong in sentences.CATALOGUE: " + "; ".join(
        f"line {line}: {text!r}" for line, text in found
    )


def test_every_key_has_its_words_and_every_word_its_key():
    assert set(CATALOGUE) == set(Why)
    assert len(Why.__members__) == len(list(Why)), "two keys share a value: one is a silent alias"


def test_a_sentence_is_put_into_words_only_when_printed():
    said = Sentence(Why.PHRASES, ((Sentence(Why.CWR, ()), Sentence(Why.ECE, ())),))
    assert str(said).startswith("CWR: its sender has reduced its congestion window") and str(said).endswith(".")
    assert "; ECE: it echoes" in str(said)
    assert said == str(said) and hash(said) == hash(str(said))
    assert str(Sentence(Why.PHRASES, ((),))) == "A segment with nothing new for the model."
