"""The one Segment type: flags, sequence-space length, labels."""

import dataclasses
import inspect

import pytest

from simulator import Flags, Options, Segment, SeqNum
from simulator.model.keys import SendKey
from simulator.model.notes import NOT_RECORDED, Note, NoteKind
from simulator.model.states import State
from simulator.model.timers import Timer


def test_syn_consumes_one_sequence_number():
    syn = Segment(1, 2, SeqNum(1000), flags=Flags.SYN)
    assert syn.len == 1
    assert syn.end == 1001


def test_fin_consumes_one_sequence_number_after_the_data():
    fin = Segment(1, 2, SeqNum(1000), flags=Flags.FIN | Flags.ACK, payload=b"abc")
    assert fin.len == 4
    assert fin.end == 1004


def test_a_pure_ack_occupies_no_sequence_space():
    assert Segment(1, 2, SeqNum(9), flags=Flags.ACK).len == 0


def test_segment_end_wraps_around():
    s = Segment(1, 2, SeqNum(2**32 - 2), flags=Flags.ACK, payload=b"abcd")
    assert s.end == 2


def test_segments_are_immutable():
    s = Segment(1, 2, SeqNum(0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.seq = SeqNum(1)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("SA", Flags.SYN | Flags.ACK),
        ("FA", Flags.FIN | Flags.ACK),
        ("SYN,ACK", Flags.SYN | Flags.ACK),
        ("syn+ack", Flags.SYN | Flags.ACK),
        ("R", Flags.RST),
        ("FSRPAUEC", Flags(0xFF)),
        ("", Flags(0)),
    ],
)
def test_flags_are_read_as_letters_or_names(text, flags):
    assert Flags.parse(text) == flags


def test_flags_print_like_scapy_and_like_a_textbook():
    f = Flags.SYN | Flags.ACK
    assert f.letters == "SA"
    assert f.names == "SYN,ACK"
    assert (Flags.PSH | Flags.ACK).letters == "PA"


def test_unknown_flag_letters_are_refused():
    with pytest.raises(ValueError, match="unknown TCP flag letter"):
        Flags.parse("SX")


def test_label_shows_relative_numbers_when_given_the_isns():
    s = Segment(1, 2, SeqNum(5001), SeqNum(1006), Flags.ACK | Flags.PSH, payload=b"world")
    assert s.label() == "PSH,ACK seq=5001 ack=1006 len=5"
    assert s.label(isn_self=5000, isn_peer=1000) == "PSH,ACK seq=1 ack=6 len=5"


def test_options_describe_like_tcpdump():
    o = Options(mss=1460, wscale=7, sack_permitted=True)
    assert o.describe() == "mss 1460,sackOK,wscale 7"
    assert not Options()


def test_a_segment_with_other_flags_keeps_every_other_field():
    s = Segment(
        1, 2, SeqNum(7), SeqNum(9), Flags.ACK, 512, Options(timestamps=(1, 2)), b"xy", "10.0.0.1", "10.0.0.2", 3
    )
    assert s.with_flags(Flags.ACK | Flags.PSH) == dataclasses.replace(s, flags=Flags.ACK | Flags.PSH)


def test_a_note_about_another_segment_keeps_every_other_field():
    note = Note(
        NoteKind.SEND, SendKey.DATA, NOT_RECORDED, Segment(1, 2, SeqNum(7)), (("n", 1),), Timer.RETRANSMIT, 1.5,
        State.ESTABLISHED, True, NOT_RECORDED,
    )  # fmt: skip
    other = Segment(1, 2, SeqNum(8), flags=Flags.PSH)
    moved = note.with_segment(other)
    assert moved.segment is other
    assert moved._replace(segment=note.segment) == note  # every other field kept


def test_notes_are_immutable():
    note = Note(NoteKind.SEND, SendKey.DATA, NOT_RECORDED)
    with pytest.raises(AttributeError):
        note.key = SendKey.FIN  # type: ignore[misc]


def test_the_fast_segment_constructor_takes_the_fields_in_order_with_their_defaults():
    params = list(inspect.signature(Segment.__init__).parameters.values())[1:]
    assert [p.name for p in params] == [f.name for f in dataclasses.fields(Segment)]
    for p, f in zip(params, dataclasses.fields(Segment), strict=True):
        assert p.default is (inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default)
