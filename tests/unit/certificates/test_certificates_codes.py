"""Verification codes: unguessable, readable, and typos caught before any lookup."""

from __future__ import annotations

import math
import re

import pytest

from certificates.codes import ALPHABET, DATA_SYMBOLS, ENTROPY_BITS, new_code, normalise_code

CODE_FORMAT = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}")


def test_a_new_code_is_four_groups_of_crockford_symbols():
    for _ in range(200):
        assert CODE_FORMAT.fullmatch(new_code())


def test_codes_never_use_the_awkward_check_symbols_or_ambiguous_letters():
    symbols = set("".join(new_code() for _ in range(2000)).replace("-", ""))
    assert symbols <= set(ALPHABET)
    assert not symbols & set("ILOU*~$=")


def test_a_code_carries_at_least_sixty_random_bits():
    assert ENTROPY_BITS >= 60
    # 13 symbols of 5 bits, less the draws thrown away to keep the check symbol plain.
    assert math.isclose(ENTROPY_BITS, DATA_SYMBOLS * 5 - math.log2(37 / 32))


def test_codes_do_not_repeat_over_many_draws():
    codes = [new_code() for _ in range(20_000)]
    assert len(set(codes)) == len(codes)


def test_every_symbol_turns_up_in_every_random_position():
    codes = [new_code().replace("-", "") for _ in range(3000)]
    for position in range(DATA_SYMBOLS):
        assert {code[position] for code in codes} == set(ALPHABET), position


def test_a_new_code_is_its_own_normal_form():
    for _ in range(200):
        code = new_code()
        assert normalise_code(code) == code


@pytest.mark.parametrize(
    "typed",
    [
        "7kq2-m9xd-4tra-3x",
        "7KQ2M9XD4TRA3X",
        " 7KQ2 M9XD 4TRA 3X ",
        "7KQ-2M9-XD4-TRA-3X",
        "7KQ2\u2013M9XD\u20134TRA\u20133X",  # en dashes, as a word processor prints them
    ],
)
def test_what_people_type_is_normalised(typed):
    assert normalise_code(typed) == "7KQ2-M9XD-4TRA-3X"


def test_letters_mistaken_for_digits_are_read_as_the_digits():
    code = "1110-0000-0000-01"
    assert normalise_code(code) == code
    assert normalise_code("IL10-oOoO-0000-0i") == code
    assert normalise_code("li1o oooo oooo ol") == code


def test_every_single_wrong_symbol_is_caught():
    for _ in range(20):
        symbols = new_code().replace("-", "")
        for position, original in enumerate(symbols):
            for wrong in ALPHABET:
                if wrong != original:
                    typo = symbols[:position] + wrong + symbols[position + 1 :]
                    assert normalise_code(typo) is None, (symbols, typo)


def test_every_swap_of_neighbouring_symbols_is_caught():
    for _ in range(200):
        symbols = new_code().replace("-", "")
        for i in range(len(symbols) - 1):
            if symbols[i] != symbols[i + 1]:
                swapped = symbols[:i] + symbols[i + 1] + symbols[i] + symbols[i + 2 :]
                assert normalise_code(swapped) is None, (symbols, swapped)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "-",
        "7KQ2-M9XD-4TRA-3",  # a symbol short
        "7KQ2-M9XD-4TRA-3XX",  # a symbol over
        "7KQ2-M9XD-4TRA-3U",  # U is never a symbol of ours
        "7KQ2-M9XD-4TRA-3*",  # nor are Crockford's other check symbols
        "7KQ2/M9XD/4TRA/3X",
        "Ä" * 14,
        "7KQ2-M9XD-4TRA-3X" * 100,
    ],
)
def test_text_that_cannot_be_a_code_is_refused(text):
    assert normalise_code(text) is None
