"""The typed vocabularies stay whole: every key has its sentence, every event kind its place, every action its parser.

The project ships its explanations in one language, English (``simulator.model.explain``).
``LANGUAGES`` lists them: a second language adds its module there, and every test of the
catalogues below then holds it to the same keys.
"""

from __future__ import annotations

import enum
import inspect

import pytest

from simulator import builtin_names, load
from simulator.model import explain, keys
from simulator.model.endpoint import Endpoint
from simulator.model.keys import (
    AppKey,
    CongestionKey,
    DataKey,
    EofKey,
    ErrorKey,
    InfoKey,
    ReceiveKey,
    SendKey,
    StateKey,
    TimerKey,
)
from simulator.model.notes import KEY_OF, NoteKind
from simulator.model.profiles import PROFILES
from simulator.model.timers import Timer
from simulator.sim.app import ACTIONS, Action
from simulator.sim.scenario import parse
from simulator.sim.steps import SHOWN, VERBOSE_ONLY
from simulator.sim.trace import EventKind, Trace

# Every language the explanations are written in (one so far).
LANGUAGES = {"English": explain}

# Each key enum and the catalogues (by name, in a language's module) that hold its sentences.
CATALOGUES = {
    SendKey: ("SEND", "RESENT"),
    ReceiveKey: ("RECEIVE",),
    StateKey: ("STATE",),
    TimerKey: ("TIMER",),
    DataKey: ("DATA",),
    EofKey: ("EOF",),
    ErrorKey: ("ERROR",),
    InfoKey: ("INFO",),
    CongestionKey: ("CONGESTION",),
    AppKey: ("APP",),
}

# The enums of the vocabularies; values must be unique (a repeated value makes a silent alias).
VOCABULARIES = [*CATALOGUES, EventKind, Action]


def _key_enums():
    return {
        obj
        for _, obj in inspect.getmembers(keys, inspect.isclass)
        if issubclass(obj, enum.Enum) and obj.__module__ == keys.__name__
    }


def test_every_key_enum_has_catalogues_here():
    assert _key_enums() == set(CATALOGUES)


def test_every_kind_of_note_has_its_key_enum():
    assert set(KEY_OF) == set(NoteKind)
    assert set(KEY_OF.values()) == _key_enums()


@pytest.mark.parametrize("vocabulary", VOCABULARIES, ids=lambda v: v.__name__)
def test_no_two_members_share_a_value(vocabulary):
    assert len(vocabulary.__members__) == len(list(vocabulary))


@pytest.mark.parametrize("language", LANGUAGES.values(), ids=list(LANGUAGES))
@pytest.mark.parametrize("enum_type", CATALOGUES, ids=lambda e: e.__name__)
def test_every_key_has_exactly_one_sentence(language, enum_type):
    catalogues = [getattr(language, name) for name in CATALOGUES[enum_type]]
    for catalogue in catalogues:
        strangers = [k for k in catalogue if not isinstance(k, enum_type)]
        assert not strangers, f"catalogue entries that are no {enum_type.__name__}: {strangers}"
        assert all(isinstance(text, str) for text in catalogue.values())
    held = [key for catalogue in catalogues for key in catalogue]
    missing = set(enum_type) - set(held)
    assert not missing, f"{enum_type.__name__} members without a sentence: {sorted(missing)}"
    assert len(held) == len(set(held)), f"a {enum_type.__name__} member has two sentences"


def test_the_timers_are_named_by_their_keys():
    assert {timer.value for timer in Timer} == set(TimerKey)
    assert all(isinstance(timer.value, TimerKey) for timer in Timer)


def test_every_note_of_every_run_carries_a_key_of_its_kind_and_explains(monkeypatch):
    notes = []
    drain = Endpoint.drain

    def recording(self):
        drained = drain(self)
        notes.extend(drained)
        return drained

    monkeypatch.setattr(Endpoint, "drain", recording)
    for name in builtin_names():
        for profile in PROFILES:
            load(name).with_options(profile_name=profile).run()
    assert {note.kind for note in notes} == set(NoteKind)
    for note in notes:
        assert type(note.key) is KEY_OF[note.kind], note
        assert explain.explain(note, "a", "b", rto=1.0)


def test_every_event_kind_is_shown_or_deliberately_hidden_by_the_text_ladder():
    assert set(EventKind) == SHOWN | VERBOSE_ONLY
    assert not SHOWN & VERBOSE_ONLY


def test_a_trace_read_back_has_typed_kinds():
    trace = load("zero_window").run()
    again = Trace.from_json(trace.to_json())
    assert [e.kind for e in again] == [e.kind for e in trace]
    assert all(type(e.kind) is EventKind for e in again)


# What an action needs after its name in a scenario file (none if it is not here).
ARGUMENTS = {
    Action.CONNECT: " server",
    Action.SEND: " 5",
    Action.WAIT: " 1",
    Action.WAIT_FOR_BYTES: " 5",
    Action.FILL: " 5",
}


def test_the_loader_knows_every_action():
    assert set(ACTIONS) == set(Action)


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_every_action_is_accepted_by_the_scenario_loader(action):
    scenario = parse(
        f'[endpoint.client]\nscript = ["{action}{ARGUMENTS.get(action, "")}"]\nsend_buffer = 4096\n'  # (fill needs one)
        '[endpoint.server]\nscript = ["listen"]\n'
    )
    (step,) = scenario.endpoint("client").script
    assert step.action is action
    assert step.describe()
