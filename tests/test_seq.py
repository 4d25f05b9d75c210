"""32-bit sequence numbers: modular arithmetic that survives wraparound."""

from hypothesis import given
from hypothesis import strategies as st

from simulator import SeqNum

u32 = st.integers(min_value=0, max_value=2**32 - 1)
small = st.integers(min_value=1, max_value=2**31 - 1)


def test_sequence_numbers_wrap_at_two_to_the_32():
    assert SeqNum(2**32 - 1) + 1 == SeqNum(0)
    assert SeqNum(0) - 1 == SeqNum(2**32 - 1)
    assert SeqNum(2**32 + 5) == 5


def test_a_number_just_past_the_wrap_is_later_than_one_just_before_it():
    before, after = SeqNum(2**32 - 10), SeqNum(5)
    assert before < after
    assert after > before
    assert before <= after and not after <= before


def test_distance_between_sequence_numbers_is_signed_and_wraps():
    assert SeqNum(5).since(SeqNum(2**32 - 10)) == 15
    assert SeqNum(2**32 - 10).since(SeqNum(5)) == -15


def test_in_window_handles_a_window_that_straddles_the_wrap():
    left = SeqNum(2**32 - 100)
    assert SeqNum(2**32 - 100).in_window(left, 200)
    assert SeqNum(50).in_window(left, 200)
    assert not SeqNum(100).in_window(left, 200)  # left + 200 is excluded
    assert not SeqNum(2**32 - 101).in_window(left, 200)


def test_an_empty_window_contains_nothing():
    assert not SeqNum(7).in_window(SeqNum(7), 0)


@given(u32, small)
def test_adding_a_positive_amount_always_moves_forward(a, n):
    x = SeqNum(a)
    assert x < x + n
    assert (x + n).since(x) == n


@given(u32, u32)
def test_comparison_is_antisymmetric(a, b):
    x, y = SeqNum(a), SeqNum(b)
    if x != y and (b - a) % 2**32 != 2**31:
        assert (x < y) != (y < x)


@given(u32, st.integers(min_value=0, max_value=2**32), st.integers(min_value=0, max_value=2**31))
def test_in_window_matches_the_definition(a, left, size):
    inside = SeqNum(a).in_window(SeqNum(left), size)
    assert inside == ((a - left) % 2**32 < size)


def test_seqnum_is_an_int_for_struct_and_json():
    import json

    assert json.dumps(SeqNum(2**32 + 1)) == "1"
    assert str(SeqNum(42)) == "42"
