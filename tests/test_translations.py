"""The Russian and Kazakh message catalogues: complete, well-formed, and used.

Every entry of ``locale/<lang>/LC_MESSAGES/django.po`` must be translated (no
empty ``msgstr``, nothing fuzzy), keep the placeholders and HTML tags of its
``msgid``, and have the plural forms its language needs.  A rendering check
then makes sure Django actually serves the translations.
"""

import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation

LOCALE_DIR = Path(django_settings.BASE_DIR) / "locale"

# Language -> (number of plural forms, plural expression) the catalogue must declare.
PLURALS = {
    "ru": (
        3,
        "(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
        "(n%100<10 || n%100>=20) ? 1 : 2)",
    ),
    "kk": (2, "(n!=1)"),
}
LANGUAGES = sorted(PLURALS)

# printf-style placeholders: %(name)s, %s, %d ... ("%%" is a literal percent sign).
PRINTF_PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?"  # optional mapping key
    r"[#0 +-]*(?:\d+|\*)?(?:\.\d+)?"  # flags, width, precision
    r"(?P<kind>[diouxXeEfFgGcrsa%])"
)
BRACE_PLACEHOLDER = re.compile(
    r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)?(?:[!:][^{}]*)?\}(?!\})"
)
HTML_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")


def po_path(language: str) -> Path:
    """Return the path of a language's ``django.po``."""
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def load_catalog(language: str) -> Catalog:
    """Parse a language's ``django.po`` with Babel (headers as written)."""
    with po_path(language).open("rb") as handle:
        return read_po(handle)


def translatable(catalog: Catalog) -> list[Message]:
    """Return the catalogue's entries, without the header."""
    return [message for message in catalog if message.id]


def entry_id(message: Message) -> str:
    """A short label for an entry, for assertion messages."""
    text = message.id[0] if isinstance(message.id, tuple) else message.id
    return text if len(text) <= 60 else text[:57] + "..."


def source_and_targets(message: Message) -> list[tuple[str, str]]:
    """Pair every msgstr (form) with the msgid it must match.

    Plural forms are compared with ``msgid_plural``: every form, the one for
    21, 31, ... in Russian included, must show the number.
    """
    if message.pluralizable:
        plural_id = message.id[1]
        return [(plural_id, form) for form in message.string]
    return [(message.id, message.string)]


def printf_placeholders(text: str) -> Counter[str]:
    """Count the printf placeholders of a text, by name (or by kind if unnamed)."""
    found: Counter[str] = Counter()
    for match in PRINTF_PLACEHOLDER.finditer(text):
        if match["kind"] == "%":
            continue
        found[match["name"] if match["name"] is not None else "%" + match["kind"]] += 1
    return found


def brace_placeholders(text: str) -> set[str]:
    """Return the names of ``{name}`` placeholders (``{{`` escapes excluded)."""
    return {match.group(1) or "" for match in BRACE_PLACEHOLDER.finditer(text)}


def html_tags(text: str) -> Counter[str]:
    """Count opening and closing HTML tags of a text, by lowercase name."""
    return Counter(
        ("/" if match.group(0).startswith("</") else "") + match.group(1).lower()
        for match in HTML_TAG.finditer(text)
    )


def compile_catalogues() -> None:
    """Compile any missing or stale ``django.mo`` next to its ``django.po``.

    ``make test`` compiles them before pytest runs; this keeps the test
    self-sufficient when run on its own.  Each file is written to a temporary
    name and moved into place, so parallel workers never read half a file.
    """
    for language in LANGUAGES:
        po = po_path(language)
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        catalog = load_catalog(language)
        descriptor, temporary = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                write_mo(handle, catalog, use_fuzzy=False)
            os.replace(temporary, mo)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)


@pytest.fixture
def compiled_catalogues(settings: Any) -> Iterator[None]:
    """Compile the catalogues and make Django forget any catalogue it cached.

    Afterwards the thread's language goes back to the default, so the
    language a request activated does not leak into later tests.
    """
    compile_catalogues()
    # Re-assigning LOCALE_PATHS fires setting_changed, which clears Django's
    # translation caches (and they are cleared again when the test ends).
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)
    yield
    translation.deactivate()


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_header(language: str) -> None:
    """The header names the language and its plural rule, and is not fuzzy."""
    catalog = load_catalog(language)
    expected_count, expected_expr = PLURALS[language]
    assert not catalog.fuzzy, "the header is still marked fuzzy"
    assert str(catalog.locale) == language
    assert catalog.charset.lower() == "utf-8"
    assert catalog.num_plurals == expected_count
    assert catalog.plural_expr.replace(" ", "") == expected_expr.replace(" ", "")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated(language: str) -> None:
    """Every entry has a non-empty translation and none is fuzzy."""
    catalog = load_catalog(language)
    messages = translatable(catalog)
    assert messages, "the catalogue is empty"
    untranslated = []
    fuzzy = []
    wrong_plural_count = []
    for message in messages:
        if message.fuzzy:
            fuzzy.append(entry_id(message))
        if message.pluralizable:
            forms = list(message.string)
            if len(forms) != catalog.num_plurals:
                wrong_plural_count.append(entry_id(message))
            if not all(form.strip() for form in forms):
                untranslated.append(entry_id(message))
        elif not (message.string or "").strip():
            untranslated.append(entry_id(message))
    assert not untranslated, f"untranslated in {language}: {untranslated}"
    assert not fuzzy, f"fuzzy in {language}: {fuzzy}"
    assert not wrong_plural_count, (
        f"plural entries without exactly {catalog.num_plurals} forms in "
        f"{language}: {wrong_plural_count}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_obsolete_entries_left(language: str) -> None:
    """Entries that makemessages commented out (``#~``) are cleaned away."""
    catalog = load_catalog(language)
    assert not catalog.obsolete, f"obsolete in {language}: {list(catalog.obsolete)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match(language: str) -> None:
    """Translations keep the msgid's %(name)s / %s, {name} and HTML tags."""
    problems = []
    for message in translatable(load_catalog(language)):
        for source, target in source_and_targets(message):
            if not target:
                continue  # reported by test_every_entry_is_translated
            if "python-format" in message.flags and printf_placeholders(
                source
            ) != printf_placeholders(target):
                problems.append(f"printf placeholders differ: {entry_id(message)!r}")
            if brace_placeholders(source) != brace_placeholders(target):
                problems.append(f"{{}} placeholders differ: {entry_id(message)!r}")
            if html_tags(source) != html_tags(target):
                problems.append(f"HTML tags differ: {entry_id(message)!r}")
    assert not problems, f"{language}: " + "; ".join(problems)


def test_placeholder_helpers() -> None:
    """The helpers used above find what they should, and no more."""
    assert printf_placeholders("%(name)s has %d of %s, 100%%") == Counter(
        {"name": 1, "%d": 1, "%s": 1}
    )
    assert brace_placeholders("{count} of {total:,} {{literal}}") == {"count", "total"}
    assert html_tags('<span data-x="1">%(n)s</span><br>') == Counter(
        {"span": 1, "/span": 1, "br": 1}
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogues")
@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "Sign in"), ("ru", "Войти"), ("kk", "Кіру")],
)
def test_sign_in_page_is_translated(
    client: Client, language: str, heading: str
) -> None:
    """The sign-in page follows the browser's language, heading and form labels."""
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<html lang="{language}"' in body
    assert f"<h1>{heading}</h1>" in body
    if language != "en":
        assert "Forgot your password?" not in body
