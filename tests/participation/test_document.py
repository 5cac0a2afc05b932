"""Parsing document bodies, stable paragraph ids and version diffs (no DB)."""

import pytest

from participation.document import (
    InvalidBodyError,
    assign_keys,
    diff_versions,
    parse_body,
    word_diff,
)

V1 = """# Scope
Alpha paragraph about parks and gardens.

Beta paragraph about dogs on leashes in parks.

# Penalties
Gamma paragraph about fines for littering.
"""


def test_parse_numbers_sections_and_paragraphs() -> None:
    """Headings open numbered sections; paragraphs are numbered within them."""
    blocks = parse_body("Preamble text.\n\n" + V1)
    assert [(b.kind, b.number, b.text) for b in blocks] == [
        ("paragraph", "0.1", "Preamble text."),
        ("heading", "1", "Scope"),
        ("paragraph", "1.1", "Alpha paragraph about parks and gardens."),
        ("paragraph", "1.2", "Beta paragraph about dogs on leashes in parks."),
        ("heading", "2", "Penalties"),
        ("paragraph", "2.1", "Gamma paragraph about fines for littering."),
    ]


def test_parse_joins_wrapped_lines() -> None:
    """Lines without a blank line between them form one paragraph."""
    blocks = parse_body("one\ntwo   three\r\n\r\nfour")
    assert [b.text for b in blocks] == ["one two three", "four"]


@pytest.mark.parametrize("body", ["", "   \n\n", "# Only a heading"])
def test_parse_refuses_body_without_paragraph(body: str) -> None:
    """A body with no paragraph is refused with a clear message."""
    with pytest.raises(InvalidBodyError, match="at least one paragraph"):
        parse_body(body)


def test_unchanged_and_moved_paragraphs_keep_their_ids() -> None:
    """Ids survive when the text is unchanged, even after a move."""
    v1 = assign_keys(parse_body(V1))
    v2_body = """# Scope
Beta paragraph about dogs on leashes in parks.

Alpha paragraph about parks and gardens.

# Penalties
Gamma paragraph about fines for littering.
"""
    v2 = assign_keys(parse_body(v2_body), v1)
    by_text_1 = {b.text: b.key for b in v1}
    assert {b.text: b.key for b in v2} == by_text_1
    assert len({b.key for b in v1}) == len(v1)


def test_edited_paragraph_keeps_id_and_new_one_gets_fresh_id() -> None:
    """An edited paragraph keeps its id; an added one gets a new id."""
    v1 = assign_keys(parse_body(V1))
    v2 = assign_keys(
        parse_body(
            V1.replace("fines for littering", "higher fines for littering")
            + "\nDelta paragraph about opening hours of the parks.\n"
        ),
        v1,
    )
    assert [b.key for b in v2[:5]] == [b.key for b in v1]
    assert v2[5].key not in {b.key for b in v1}


def test_identical_paragraphs_get_distinct_ids() -> None:
    """Two identical paragraphs in one version get two ids."""
    keys = [b.key for b in assign_keys(parse_body("Same.\n\nSame."))]
    assert len(set(keys)) == 2


def test_diff_reports_added_removed_changed_moved() -> None:
    """The diff names each paragraph's change, in the new version's order."""
    v1 = assign_keys(parse_body(V1))
    v2_body = """# Scope
Beta paragraph about dogs on leashes in parks.

Alpha paragraph about parks and gardens.

# Penalties
Gamma paragraph about higher fines for littering.

New paragraph on opening hours of every park.
"""
    v2 = assign_keys(parse_body(v2_body), v1)
    changes = diff_versions(v1, v2)
    summary = [(c.change, c.new_text or c.old_text) for c in changes]
    assert summary == [
        ("unchanged", "Scope"),
        ("moved", "Beta paragraph about dogs on leashes in parks."),
        ("unchanged", "Alpha paragraph about parks and gardens."),
        ("unchanged", "Penalties"),
        ("changed", "Gamma paragraph about higher fines for littering."),
        ("added", "New paragraph on opening hours of every park."),
    ]
    changed = changes[4]
    assert changed.segments == (
        ("equal", "Gamma paragraph about "),
        ("insert", "higher "),
        ("equal", "fines for littering."),
    )


def test_diff_places_removed_paragraph_after_its_predecessor() -> None:
    """A removed paragraph is listed where it stood."""
    v1 = assign_keys(parse_body(V1))
    v2 = assign_keys(
        parse_body(V1.replace("Beta paragraph about dogs on leashes in parks.", "")),
        v1,
    )
    changes = diff_versions(v1, v2)
    assert [c.change for c in changes] == [
        "unchanged",
        "unchanged",
        "removed",
        "unchanged",
        "unchanged",
    ]
    assert changes[2].old_text == "Beta paragraph about dogs on leashes in parks."


def test_word_diff_reassembles_both_texts() -> None:
    """Equal+delete segments give the old text; equal+insert the new."""
    old, new = "the quick brown fox", "the slow brown cat jumps"
    segments = word_diff(old, new)
    assert "".join(t for op, t in segments if op != "insert") == old
    assert "".join(t for op, t in segments if op != "delete") == new
