"""National identity numbers: Kazakhstan's IIN and the pluggable validator.

An IIN (individual identification number) has 12 digits::

    Y Y M M D D  C  S S S S  K
    1 2 3 4 5 6  7  8 9 10 11 12

- digits 1-6: the holder's birth date as YYMMDD;
- digit 7: century and sex: 1/2 born in the 1800s (male/female), 3/4 in the
  1900s, 5/6 in the 2000s;
- digits 8-11: a serial number;
- digit 12: the check digit (see ``kz_iin_check_digit``).

Digit 7 is ``0`` for foreigners in some registries, and 7-9 are unassigned.
Dauys registers citizens for e-participation, and the century of a ``0`` is
unknown, so both are rejected as ``BAD_CENTURY_DIGIT``.

``check_kz_iin`` is pure: it returns the first problem found, or ``None``.
``validate_kz_iin`` wraps it as a Django validator.  The validator that forms
and services actually call is ``validate_identity_number``, which loads the
callable named by ``settings.IDENTITY_NUMBER_VALIDATOR`` so that another
country's number can be plugged in.
"""

import datetime
import enum
import functools
import secrets
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

IIN_LENGTH = 12
FIRST_PASS_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
SECOND_PASS_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
# Digit 7 -> (first year of the century, sex).
CENTURY_DIGITS: dict[str, tuple[int, str]] = {
    "1": (1800, "male"),
    "2": (1800, "female"),
    "3": (1900, "male"),
    "4": (1900, "female"),
    "5": (2000, "male"),
    "6": (2000, "female"),
}
ASCII_DIGITS = frozenset("0123456789")


class IinProblem(enum.Enum):
    """Why a string is not a valid IIN; ``message`` is shown to the user."""

    NOT_DIGITS = "not_digits"
    WRONG_LENGTH = "wrong_length"
    BAD_CENTURY_DIGIT = "bad_century_digit"
    IMPOSSIBLE_DATE = "impossible_date"
    FUTURE_DATE = "future_date"
    UNISSUABLE = "unissuable"
    BAD_CHECK_DIGIT = "bad_check_digit"

    @property
    def message(self) -> str:
        """Return the translated explanation of this problem."""
        return str(IIN_MESSAGES[self])


IIN_MESSAGES = {
    IinProblem.NOT_DIGITS: _("An IIN must contain only the digits 0-9."),
    IinProblem.WRONG_LENGTH: _("An IIN must be exactly 12 digits long."),
    IinProblem.BAD_CENTURY_DIGIT: _(
        "The 7th digit of an IIN must be 1-6 (century of birth and sex)."
    ),
    IinProblem.IMPOSSIBLE_DATE: _(
        "The first 6 digits of an IIN must be a real birth date (YYMMDD)."
    ),
    IinProblem.FUTURE_DATE: _("The birth date in this IIN is in the future."),
    IinProblem.UNISSUABLE: _(
        "This IIN cannot exist: no check digit is defined for its first 11 digits."
    ),
    IinProblem.BAD_CHECK_DIGIT: _(
        "The last digit of this IIN does not match; please check for a typo."
    ),
}


def kz_iin_check_digit(first_eleven: str) -> int | None:
    """Return the check digit for the first 11 digits, or ``None`` if none.

    The first pass weighs the digits 1..11 and takes the sum modulo 11.  A
    result of 10 triggers a second pass with weights 3..11, 1, 2; if that is
    10 too, no IIN is ever issued with these 11 digits.
    """
    digits = [int(char) for char in first_eleven]
    if len(digits) != IIN_LENGTH - 1:
        raise ValueError("expected exactly 11 digits")
    for weights in (FIRST_PASS_WEIGHTS, SECOND_PASS_WEIGHTS):
        check = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if check != 10:
            return check
    return None


def kz_iin_birth_date(value: str) -> datetime.date | None:
    """Return the birth date encoded in a well-formed IIN, or ``None``."""
    century = CENTURY_DIGITS.get(value[6])
    if century is None:
        return None
    try:
        return datetime.date(
            century[0] + int(value[0:2]), int(value[2:4]), int(value[4:6])
        )
    except ValueError:
        return None


def check_kz_iin(
    value: str, *, today: datetime.date | None = None
) -> IinProblem | None:
    """Return the first problem that makes ``value`` an invalid IIN, if any.

    ``today`` (default: today in the project's time zone) bounds the birth
    date from above.  Only ASCII digits count: ``"١"`` is a digit to Python's
    ``str.isdigit`` but never part of an IIN.
    """
    if not set(value) <= ASCII_DIGITS:
        return IinProblem.NOT_DIGITS
    if len(value) != IIN_LENGTH:
        return IinProblem.WRONG_LENGTH
    if value[6] not in CENTURY_DIGITS:
        return IinProblem.BAD_CENTURY_DIGIT
    birth_date = kz_iin_birth_date(value)
    if birth_date is None:
        return IinProblem.IMPOSSIBLE_DATE
    if birth_date > (today or timezone.localdate()):
        return IinProblem.FUTURE_DATE
    check = kz_iin_check_digit(value[:11])
    if check is None:
        return IinProblem.UNISSUABLE
    if check != int(value[11]):
        return IinProblem.BAD_CHECK_DIGIT
    return None


def validate_kz_iin(value: str) -> None:
    """Raise ``ValidationError`` (code ``iin_<problem>``) unless a valid IIN."""
    problem = check_kz_iin(value)
    if problem is not None:
        raise ValidationError(IIN_MESSAGES[problem], code=f"iin_{problem.value}")


class _RandBelow(Protocol):
    def __call__(self, n: int, /) -> int: ...


def generate_kz_iin(
    *,
    birth_date: datetime.date | None = None,
    female: bool | None = None,
    serial: int | None = None,
    randbelow: _RandBelow = secrets.randbelow,
) -> str:
    """Return a valid IIN, for tests and demo data.

    Unspecified parts are random: a birth date between 1940 and 2005, the
    sex and the 4-digit serial.  If the chosen serial has no check digit
    (about 1 in 11) the next serial is used.  ``randbelow`` can be a seeded
    ``random.Random().randrange`` for reproducible output.
    """
    if birth_date is None:
        start = datetime.date(1940, 1, 1)
        span = (datetime.date(2005, 12, 31) - start).days
        birth_date = start + datetime.timedelta(days=randbelow(span + 1))
    if not 1800 <= birth_date.year <= 2099:
        raise ValueError("an IIN encodes birth years 1800-2099 only")
    if female is None:
        female = bool(randbelow(2))
    century_digit = (birth_date.year - 1800) // 100 * 2 + (2 if female else 1)
    serial = randbelow(10_000) if serial is None else serial
    for offset in range(10_000):
        first_eleven = (
            f"{birth_date:%y%m%d}{century_digit}{(serial + offset) % 10_000:04d}"
        )
        check = kz_iin_check_digit(first_eleven)
        if check is not None:
            return f"{first_eleven}{check}"
    raise AssertionError("unreachable: most serials have a check digit")


def mask_identity_number(value: str | None) -> str:
    """Return ``value`` with all but its last 4 characters hidden."""
    if not value:
        return ""
    visible = value[-4:] if len(value) > 4 else ""
    return "•" * (len(value) - len(visible)) + visible


@functools.cache
def _load_validator(path: str) -> Callable[[str], None]:
    validator: Callable[[str], None] = import_string(path)
    return validator


def validate_identity_number(value: str) -> None:
    """Validate with the callable named by ``IDENTITY_NUMBER_VALIDATOR``.

    The setting is read on every call (not at import time), so
    ``override_settings`` and per-deployment configuration both work.
    """
    _load_validator(settings.IDENTITY_NUMBER_VALIDATOR)(value)
