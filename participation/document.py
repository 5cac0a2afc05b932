"""Consultation documents: parse the body, keep paragraph ids stable, diff.

Pure functions (no Django).  A body is plain text with Markdown-like
headings::

    # General provisions
    This law governs ...

    Second paragraph of the first section.

    ## Definitions
    ...

A line starting with one or more ``#`` opens a numbered section; blank
lines separate paragraphs.  Paragraphs are numbered ``<section>.<n>``
(``0.<n>`` before the first heading).

Every block gets a stable *key*.  When a new version is published, a block
whose text is unchanged keeps its key even if it moved; a block that was
edited (similar enough to one removed block) keeps that block's key too, so
comments on it stay attached and the diff shows it as *changed*.
"""

import difflib
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

BlockKind = Literal["heading", "paragraph"]
ChangeKind = Literal["added", "removed", "changed", "moved", "unchanged"]
DiffOp = Literal["equal", "insert", "delete"]

MAX_BLOCKS = 2000
"""A body with more blocks is refused (an error, not a truncation)."""

SIMILARITY_FOR_CHANGE = 0.5
"""Word similarity at which an edited block keeps the key of the old one."""

_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")
_WHITESPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"\S+\s*|\s+")


class InvalidBodyError(ValueError):
    """The document body cannot be used (empty or too long)."""


@dataclass(frozen=True, slots=True)
class Block:
    """One heading or paragraph of a parsed body, before keys are assigned."""

    kind: BlockKind
    text: str
    number: str
    """``"2"`` for the second heading, ``"2.3"`` for its third paragraph."""
    level: int
    """Heading level (1 for ``#``); 0 for paragraphs."""


@dataclass(frozen=True, slots=True)
class KeyedBlock:
    """A block with its stable key, as stored for a version."""

    key: str
    kind: BlockKind
    text: str
    number: str


@dataclass(frozen=True, slots=True)
class BlockChange:
    """How one block differs between two versions."""

    key: str
    change: ChangeKind
    kind: BlockKind
    old_number: str
    new_number: str
    old_text: str
    new_text: str
    segments: tuple[tuple[DiffOp, str], ...]
    """Word-level diff of old into new text (empty unless ``changed``)."""


def normalise(text: str) -> str:
    """Return ``text`` with runs of whitespace collapsed and ends stripped."""
    return _WHITESPACE.sub(" ", text).strip()


def parse_body(body: str) -> list[Block]:
    """Split ``body`` into numbered headings and paragraphs.

    Raise :class:`InvalidBodyError` when the body has no paragraph or more
    than :data:`MAX_BLOCKS` blocks.
    """
    blocks: list[Block] = []
    section = 0
    paragraph = 0
    pending: list[str] = []

    def flush() -> None:
        nonlocal paragraph
        text = normalise(" ".join(pending))
        pending.clear()
        if text:
            paragraph += 1
            blocks.append(Block("paragraph", text, f"{section}.{paragraph}", 0))

    for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        heading = _HEADING.match(line.strip())
        if heading:
            flush()
            section += 1
            paragraph = 0
            blocks.append(
                Block(
                    "heading",
                    normalise(heading.group(2)),
                    str(section),
                    len(heading.group(1)),
                )
            )
        elif line.strip():
            pending.append(line)
        else:
            flush()
    flush()
    if not any(block.kind == "paragraph" for block in blocks):
        raise InvalidBodyError("The document needs at least one paragraph of text.")
    if len(blocks) > MAX_BLOCKS:
        raise InvalidBodyError(
            f"The document has {len(blocks)} headings and paragraphs; "
            f"at most {MAX_BLOCKS} are allowed."
        )
    return blocks


def _fresh_key(text: str, taken: set[str]) -> str:
    digest = hashlib.sha256(normalise(text).encode()).hexdigest()[:10]
    key = f"p{digest}"
    suffix = 2
    while key in taken:
        key = f"p{digest}-{suffix}"
        suffix += 1
    return key


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()


def assign_keys(
    blocks: Sequence[Block], previous: Sequence[KeyedBlock] = ()
) -> list[KeyedBlock]:
    """Give every block a key, reusing the keys of ``previous`` where it can.

    1. A block whose kind and text equal a previous block's keeps that key
       (first unused match, so moved and duplicated blocks behave).
    2. Each remaining block takes the key of the most similar remaining
       previous block of the same kind, when their word similarity is at
       least :data:`SIMILARITY_FOR_CHANGE`.
    3. Other blocks get a fresh key derived from their text.
    """
    keys: list[str | None] = [None] * len(blocks)
    unused = list(previous)
    for i, block in enumerate(blocks):
        for j, old in enumerate(unused):
            if old.kind == block.kind and old.text == block.text:
                keys[i] = old.key
                del unused[j]
                break
    for i, block in enumerate(blocks):
        if keys[i] is not None:
            continue
        best_j, best_ratio = -1, 0.0
        for j, old in enumerate(unused):
            if old.kind != block.kind:
                continue
            ratio = _similarity(old.text, block.text)
            if ratio > best_ratio:
                best_j, best_ratio = j, ratio
        if best_j >= 0 and best_ratio >= SIMILARITY_FOR_CHANGE:
            keys[i] = unused.pop(best_j).key
    taken = {key for key in keys if key is not None} | {old.key for old in previous}
    result: list[KeyedBlock] = []
    for block, found in zip(blocks, keys, strict=True):
        key = found
        if key is None:
            key = _fresh_key(block.text, taken)
            taken.add(key)
        result.append(KeyedBlock(key, block.kind, block.text, block.number))
    return result


def word_diff(old: str, new: str) -> tuple[tuple[DiffOp, str], ...]:
    """Return the word-level diff of ``old`` into ``new`` as segments.

    Each word keeps its trailing whitespace, so joining the ``equal`` and
    ``delete`` segments gives ``old`` and joining ``equal`` and ``insert``
    gives ``new``.
    """
    a = _TOKEN.findall(old)
    b = _TOKEN.findall(new)
    segments: list[tuple[DiffOp, str]] = []

    def push(op: DiffOp, text: str) -> None:
        if not text:
            return
        if segments and segments[-1][0] == op:
            segments[-1] = (op, segments[-1][1] + text)
        else:
            segments.append((op, text))

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            push("equal", "".join(a[i1:i2]))
        else:
            push("delete", "".join(a[i1:i2]))
            push("insert", "".join(b[j1:j2]))
    return tuple(segments)


def diff_versions(
    old: Sequence[KeyedBlock], new: Sequence[KeyedBlock]
) -> list[BlockChange]:
    """Compare two keyed versions block by block, in the new version's order.

    Removed blocks follow the new block that preceded them in the old
    version, so the list reads like the document.  A block is ``moved``
    when its text is the same but its position among the kept blocks is
    not.
    """
    old_by_key = {block.key: block for block in old}
    new_keys = {block.key for block in new}
    kept_old_order = [b.key for b in old if b.key in new_keys]
    kept_new_order = [b.key for b in new if b.key in old_by_key]
    matcher = difflib.SequenceMatcher(
        None, kept_old_order, kept_new_order, autojunk=False
    )
    in_place: set[str] = set()
    for match in matcher.get_matching_blocks():
        in_place.update(kept_new_order[match.b : match.b + match.size])

    removed_after: dict[str | None, list[KeyedBlock]] = {}
    previous_kept: str | None = None
    for block in old:
        if block.key in new_keys:
            previous_kept = block.key
        else:
            removed_after.setdefault(previous_kept, []).append(block)

    def removed(block: KeyedBlock) -> BlockChange:
        return BlockChange(
            block.key, "removed", block.kind, block.number, "", block.text, "", ()
        )

    changes = [removed(block) for block in removed_after.get(None, [])]
    for block in new:
        before = old_by_key.get(block.key)
        if before is None:
            changes.append(
                BlockChange(
                    block.key, "added", block.kind, "", block.number, "", block.text, ()
                )
            )
            continue
        if before.text != block.text:
            change: ChangeKind = "changed"
            segments = word_diff(before.text, block.text)
        else:
            change = "unchanged" if block.key in in_place else "moved"
            segments = ()
        changes.append(
            BlockChange(
                block.key,
                change,
                block.kind,
                before.number,
                block.number,
                before.text,
                block.text,
                segments,
            )
        )
        changes.extend(removed(b) for b in removed_after.get(block.key, []))
    return changes
