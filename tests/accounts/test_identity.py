"""Kazakhstan IIN validation, generation and the pluggable validator."""

import datetime
import random

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from accounts.identity import (
    IinProblem,
    check_kz_iin,
    generate_kz_iin,
    kz_iin_birth_date,
    kz_iin_check_digit,
    mask_identity_number,
    validate_identity_number,
    validate_kz_iin,
)

TODAY = datetime.date(2024, 6, 1)


@pytest.mark.parametrize(
    ("iin", "birth_date"),
    [
        # 1985-05-12, male, born in the 1900s (digit 7 = 3), serial 0123:
        # 8*1+5*2+0*3+5*4+1*5+2*6+3*7+0*8+1*9+2*10+3*11 = 138 = 12*11 + 6.
        ("850512301236", datetime.date(1985, 5, 12)),
        # 2005-02-28, female, 2000s (digit 7 = 6), serial 0042:
        # 0+10+0+8+10+48+42+0+0+40+22 = 180 = 16*11 + 4.
        ("050228600424", datetime.date(2005, 2, 28)),
        # 1990-01-01, first pass 9+4+6+21+80+11 = 131 = 11*11 + 10, so the
        # second pass applies: 27+6+8+27+8+2 = 78 = 7*11 + 1.
        ("900101300811", datetime.date(1990, 1, 1)),
        # 1899-12-31, female, 1800s (digit 7 = 2), serial 0001:
        # 9+18+3+8+15+6+14+0+0+0+11 = 84 = 7*11 + 7.
        ("991231200017", datetime.date(1899, 12, 31)),
    ],
)
def test_hand_checked_iins_are_valid(iin: str, birth_date: datetime.date) -> None:
    """Hand-computed IINs, including a second-pass one, are accepted."""
    assert check_kz_iin(iin, today=TODAY) is None
    assert kz_iin_birth_date(iin) == birth_date


@given(st.integers(min_value=0, max_value=2**32))
def test_generated_iins_are_valid(seed: int) -> None:
    """Every generated IIN passes validation."""
    iin = generate_kz_iin(randbelow=random.Random(seed).randrange)
    assert len(iin) == 12
    assert check_kz_iin(iin) is None
    validate_kz_iin(iin)


def test_generate_respects_requested_parts() -> None:
    """The birth date, sex and serial asked for are encoded."""
    iin = generate_kz_iin(
        birth_date=datetime.date(2001, 9, 30), female=True, serial=1234
    )
    assert iin[:7] == "0109306"
    assert check_kz_iin(iin) is None


def test_generate_skips_serials_without_check_digit() -> None:
    """A serial whose check digit is undefined is replaced by the next one."""
    iin = generate_kz_iin(birth_date=datetime.date(1990, 1, 1), female=False, serial=80)
    assert iin == "900101300811"


def test_generate_refuses_years_an_iin_cannot_encode() -> None:
    """Birth years outside 1800-2099 raise ``ValueError``."""
    with pytest.raises(ValueError, match="1800-2099"):
        generate_kz_iin(birth_date=datetime.date(2100, 1, 1))


@pytest.mark.parametrize(
    ("value", "problem", "message"),
    [
        (
            "85051230123",
            IinProblem.WRONG_LENGTH,
            "An IIN must be exactly 12 digits long.",
        ),
        (
            "8505123012366",
            IinProblem.WRONG_LENGTH,
            "An IIN must be exactly 12 digits long.",
        ),
        ("", IinProblem.WRONG_LENGTH, "An IIN must be exactly 12 digits long."),
        (
            "85051230123X",
            IinProblem.NOT_DIGITS,
            "An IIN must contain only the digits 0-9.",
        ),
        (
            "850512 301236",
            IinProblem.NOT_DIGITS,
            "An IIN must contain only the digits 0-9.",
        ),
        # Arabic-Indic digits are digits to str.isdigit(), not to an IIN.
        (
            "٨٥٠٥١٢٣٠١٢٣٦",
            IinProblem.NOT_DIGITS,
            "An IIN must contain only the digits 0-9.",
        ),
        (
            "850512001236",
            IinProblem.BAD_CENTURY_DIGIT,
            "The 7th digit of an IIN must be 1-6 (century of birth and sex).",
        ),
        (
            "850512701236",
            IinProblem.BAD_CENTURY_DIGIT,
            "The 7th digit of an IIN must be 1-6 (century of birth and sex).",
        ),
        (
            "850512901236",
            IinProblem.BAD_CENTURY_DIGIT,
            "The 7th digit of an IIN must be 1-6 (century of birth and sex).",
        ),
        (
            "850230301236",
            IinProblem.IMPOSSIBLE_DATE,
            "The first 6 digits of an IIN must be a real birth date (YYMMDD).",
        ),
        (
            "851312301236",
            IinProblem.IMPOSSIBLE_DATE,
            "The first 6 digits of an IIN must be a real birth date (YYMMDD).",
        ),
        (
            # Digit 7 = 3 puts this in 1900, which was not a leap year.
            "000229301236",
            IinProblem.IMPOSSIBLE_DATE,
            "The first 6 digits of an IIN must be a real birth date (YYMMDD).",
        ),
        (
            "300101500012",
            IinProblem.FUTURE_DATE,
            "The birth date in this IIN is in the future.",
        ),
        (
            "850512301237",
            IinProblem.BAD_CHECK_DIGIT,
            "The last digit of this IIN does not match; please check for a typo.",
        ),
        (
            # Both passes give 10: first 9+4+6+21+80+0 = 120 = 10*11 + 10,
            # second 27+6+8+27+8+0 = 76 = 6*11 + 10.
            "900101300800",
            IinProblem.UNISSUABLE,
            "This IIN cannot exist: no check digit is defined for its first 11 digits.",
        ),
    ],
)
def test_invalid_iins_are_rejected_with_their_message(
    value: str, problem: IinProblem, message: str
) -> None:
    """Each kind of invalid IIN is reported with its own message and code."""
    assert check_kz_iin(value, today=TODAY) is problem
    assert problem.message == message
    with pytest.raises(ValidationError) as excinfo:
        validate_kz_iin(value)
    assert excinfo.value.messages == [message]
    assert excinfo.value.code == f"iin_{problem.value}"


def test_leap_day_in_a_leap_year_is_a_real_date() -> None:
    """29 February 2000 is a valid birth date."""
    iin = generate_kz_iin(birth_date=datetime.date(2000, 2, 29), serial=1)
    assert iin.startswith("000229")
    assert check_kz_iin(iin, today=TODAY) is None


def test_birth_today_is_not_in_the_future() -> None:
    """A person born today already has a valid IIN."""
    iin = generate_kz_iin(birth_date=TODAY, serial=5)
    assert check_kz_iin(iin, today=TODAY) is None
    assert check_kz_iin(iin, today=TODAY - datetime.timedelta(days=1)) is (
        IinProblem.FUTURE_DATE
    )


def test_check_digit_needs_eleven_digits() -> None:
    """``kz_iin_check_digit`` refuses input of the wrong length."""
    with pytest.raises(ValueError, match="11 digits"):
        kz_iin_check_digit("123")


@pytest.mark.parametrize(
    ("value", "masked"),
    [("850512301236", "••••••••1236"), ("1234", "••••"), ("", ""), (None, "")],
)
def test_mask_identity_number(value: str | None, masked: str) -> None:
    """All but the last four characters are hidden; short values entirely."""
    assert mask_identity_number(value) == masked


def test_default_pluggable_validator_is_the_iin_validator() -> None:
    """``validate_identity_number`` uses the IIN rules by default."""
    validate_identity_number("850512301236")
    with pytest.raises(ValidationError) as excinfo:
        validate_identity_number("850512301237")
    assert excinfo.value.messages == [
        "The last digit of this IIN does not match; please check for a typo."
    ]


@override_settings(IDENTITY_NUMBER_VALIDATOR="tests.accounts.helpers.reject_all")
def test_pluggable_validator_can_reject_a_valid_iin() -> None:
    """The validator named in settings is the one that runs."""
    with pytest.raises(ValidationError) as excinfo:
        validate_identity_number("850512301236")
    assert excinfo.value.messages == ["Plugged validator says no."]


@override_settings(IDENTITY_NUMBER_VALIDATOR="tests.accounts.helpers.accept_all")
def test_pluggable_validator_can_accept_a_foreign_number() -> None:
    """Another country's number format can be plugged in."""
    validate_identity_number("AB-1234567")
