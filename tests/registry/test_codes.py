"""Plate codes: unguessable, no look-alikes, a check character that catches typing errors."""
import pytest

from huishang.services.registry import codes


def test_minted_codes_are_well_formed_and_distinct():
    minted = {codes.mint() for _ in range(2000)}
    assert len(minted) == 2000
    for code in minted:
        assert len(code) == 9 and codes.is_genuine(code)
        assert not set(code) & set("01OI")


def test_alphabet_carries_at_least_40_random_bits():
    assert len(codes.ALPHABET) == 32 and len(set(codes.ALPHABET)) == 32
    assert codes.RANDOM_LENGTH * 5 >= 40


def test_every_single_character_error_is_caught():
    code = codes.mint()
    for i in range(len(code)):
        for ch in codes.ALPHABET:
            if ch != code[i]:
                assert not codes.is_genuine(code[:i] + ch + code[i + 1:]), (code, i, ch)


def test_adjacent_transpositions_are_caught():
    caught = total = 0
    for _ in range(300):
        code = codes.mint()
        for i in range(len(code) - 1):
            if code[i] == code[i + 1]:
                continue
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            total += 1
            caught += not codes.is_genuine(swapped)
    assert caught / total > 0.95


@pytest.mark.parametrize("typed", ["", "ABC", "ABCDEFGH", "ABCDEFGHJK", "ABCD0FGHJ", "ABCDEFGH!",
                                   "../../etc", "漢字漢字漢字漢字漢"])
def test_malformed_codes_are_not_genuine(typed):
    assert not codes.is_genuine(typed)


def test_grouped_and_lower_case_codes_normalise():
    code = codes.mint()
    grouped = codes.display(code)
    assert grouped == f"{code[:4]} {code[4:8]} {code[8]}"
    assert codes.normalise(grouped) == code
    assert codes.normalise(f" {code[:4].lower()}-{code[4:]} ") == code
    assert codes.is_genuine(grouped.lower())
