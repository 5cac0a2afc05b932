"""Form-letter campaign detection for consultation comments.

Pure computation (no Django).  Near-identical comments submitted in bulk
(form letters with small edits, copy-paste floods) are grouped so that
officials see one campaign with its count instead of hundreds of rows.

Method:

1. **Normalise** (:func:`normalise_text`): Unicode NFKC, casefold,
   punctuation, symbols and control characters to spaces, whitespace
   collapsed.  Letters of every script survive, so Russian and Kazakh
   Cyrillic work like Latin.
2. **Shingle**: the set of word 3-grams, each hashed to 64 bits with
   BLAKE2b.  Similarity is the Jaccard index of two shingle sets.
3. **MinHash + LSH**: :data:`NUM_PERM` universal hash functions give a
   signature per comment; the signature is cut into bands, and comments
   that share a band are *candidates*.  The band width is chosen so that
   a pair at the threshold becomes a candidate with probability at least
   0.99 (:func:`lsh_shape`); pairs far below it almost never do, which
   avoids comparing every pair.
4. **Verify and group**: a candidate pair is an edge when its exact
   Jaccard index is at least ``threshold``; campaigns are the connected
   components (union-find) with at least ``min_size`` comments.

Comments shorter than ``min_words`` words are never campaign members:
"I agree" or "+1" written by many people is not a campaign.

:class:`CampaignIndex` is the incremental form the server feeds as
comments arrive; :func:`detect_campaigns` runs the same index over a whole
list, so both give the same campaigns.  Everything is deterministic.
"""

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Id = int | str
"""A comment or author id, as the app stores it."""

Kind = Literal["form-letter", "flood"]

DEFAULT_THRESHOLD = 0.5
"""Jaccard index of word 3-gram sets from which two comments are the same
letter.  One changed word costs up to three shingles, so a 60-word letter
with a changed name, a typo, a reordered closing and an added sentence is
still above 0.6 against the original, while independently written comments
on the same topic share few 3-grams (below 0.1 in practice)."""

DEFAULT_MIN_SIZE = 3
"""Comments a group needs to be reported as a campaign."""

DEFAULT_MIN_WORDS = 8
"""Words (after normalisation) a comment needs to be a campaign member."""

SHINGLE_WORDS = 3
"""Words per shingle."""

NUM_PERM = 128
"""MinHash hash functions (signature length)."""

LSH_RECALL = 0.99
"""Least probability that a pair exactly at the threshold becomes a candidate."""

REPRESENTATIVE_SAMPLE = 64
"""The representative is chosen among a campaign's first this many members."""

_PRIME = 4_294_967_291
"""Largest prime below 2**32: the MinHash arithmetic stays within uint64."""

_POPCOUNT = np.array([bin(byte).count("1") for byte in range(256)], dtype=np.int64)
"""Number of set bits of each byte value."""

_MIX = np.uint64(0x9E3779B97F4A7C15)
"""Odd 64-bit constant (2**64 / golden ratio) for mixing band values."""


def _blake(data: bytes, person: bytes) -> int:
    """Return a 64-bit BLAKE2b hash of ``data`` under a domain tag."""
    digest = hashlib.blake2b(data, digest_size=8, person=person).digest()
    return int.from_bytes(digest, "big")


def _permutation_coefficients() -> tuple[
    npt.NDArray[np.uint64], npt.NDArray[np.uint64]
]:
    """Derive the MinHash functions ``(a * x + b) mod p`` from fixed tags."""
    a = [
        1 + _blake(b"a%d" % i, b"dauys-minhash") % (_PRIME - 1) for i in range(NUM_PERM)
    ]
    b = [_blake(b"b%d" % i, b"dauys-minhash") % _PRIME for i in range(NUM_PERM)]
    return np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64)


_A, _B = _permutation_coefficients()


class _WordCharacters(dict[int, str]):
    """``str.translate`` table: letters, marks, digits stay, the rest is space.

    Filled lazily, one entry per distinct character ever seen (a few
    thousand at most in practice; concurrent fills write the same value).
    """

    def __missing__(self, code: int) -> str:
        """Classify a character not seen before and remember it."""
        char = chr(code)
        self[code] = char if unicodedata.category(char)[0] in "LMN" else " "
        return self[code]


_WORD_CHARACTERS = _WordCharacters()


def normalise_text(text: str) -> str:
    """Return ``text`` in the form compared: NFKC, casefolded, words only.

    Punctuation, symbols, separators and control characters become spaces
    and runs of whitespace collapse to one space.  Letters, combining marks
    and digits of any script are kept (NFKC after casefolding recomposes
    letters such as Kazakh "ә" or Russian "й").
    """
    folded = unicodedata.normalize(
        "NFKC", unicodedata.normalize("NFKC", text).casefold()
    )
    return " ".join(folded.translate(_WORD_CHARACTERS).split())


def shingle_hashes(normalised: str) -> npt.NDArray[np.uint64]:
    """Return the sorted, distinct 64-bit hashes of the word 3-grams.

    A text shorter than three words is one shingle; an empty text has none.
    """
    words = normalised.split()
    if not words:
        return np.zeros(0, dtype=np.uint64)
    width = min(SHINGLE_WORDS, len(words))
    grams = {" ".join(words[i : i + width]) for i in range(len(words) - width + 1)}
    hashes = {_blake(gram.encode("utf-8"), b"dauys-shingle") for gram in grams}
    return np.array(sorted(hashes), dtype=np.uint64)


def jaccard(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> float:
    """Return the Jaccard index of two sorted distinct hash arrays (0 if empty)."""
    if a.size == 0 and b.size == 0:
        return 0.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (a.size + b.size - common)


def text_similarity(a: str, b: str) -> float:
    """Return the shingle Jaccard index of two raw texts."""
    return jaccard(shingle_hashes(normalise_text(a)), shingle_hashes(normalise_text(b)))


def minhash_signature(hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Return the :data:`NUM_PERM` MinHash values of a shingle hash array."""
    if hashes.size == 0:
        return np.full(NUM_PERM, _PRIME, dtype=np.uint64)
    folded = (hashes >> np.uint64(32)) ^ (hashes & np.uint64(0xFFFFFFFF))
    # a < 2**32 and folded < 2**32, so a * folded < 2**64: no overflow.
    products = (_A[:, None] * folded[None, :]) % np.uint64(_PRIME)
    values = (products + _B[:, None]) % np.uint64(_PRIME)
    signature: npt.NDArray[np.uint64] = values.min(axis=1)
    return signature


def lsh_shape(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """Return ``(bands, rows)`` for LSH banding at ``threshold``.

    Take the widest band (most rows, fewest accidental candidates) for
    which a pair with Jaccard index exactly ``threshold`` shares at least
    one band with probability :data:`LSH_RECALL` or more.
    """
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1.0 - (1.0 - threshold**rows) ** bands >= LSH_RECALL:
            return bands, rows
    return num_perm, 1


@dataclass(frozen=True, slots=True)
class CommentText:
    """A comment as the detector needs it."""

    id: Id
    author_id: Id
    text: str
    created_at: datetime | None = None
    """Submission time, timezone-aware, or ``None`` if unknown."""


@dataclass(frozen=True, slots=True)
class Campaign:
    """A group of near-identical comments shown to officials as one item."""

    key: Id
    """Id of the earliest member; it changes only when two campaigns merge."""
    kind: Kind
    """``"form-letter"`` with at least ``min_size`` distinct authors, else
    ``"flood"`` (one or a few accounts posting the same text)."""
    member_ids: tuple[Id, ...]
    """Members in the order they were added."""
    author_count: int
    """Distinct authors among the members."""
    representative_id: Id
    representative_text: str
    """The member most similar to the others (among the first
    :data:`REPRESENTATIVE_SAMPLE`), as submitted."""
    first_at: datetime | None
    last_at: datetime | None
    """Earliest and latest known submission times."""

    @property
    def size(self) -> int:
        """Return the number of comments in the campaign."""
        return len(self.member_ids)

    def to_json(self) -> dict[str, Any]:
        """Return the campaign as builtins (times in ISO 8601)."""
        return {
            "key": self.key,
            "kind": self.kind,
            "size": self.size,
            "member_ids": list(self.member_ids),
            "author_count": self.author_count,
            "representative_id": self.representative_id,
            "representative_text": self.representative_text,
            "first_at": None if self.first_at is None else self.first_at.isoformat(),
            "last_at": None if self.last_at is None else self.last_at.isoformat(),
        }


@dataclass(slots=True)
class _Component:
    """Book-keeping of one connected group, kept on its union-find root."""

    members: list[int]
    """Item numbers, ascending (the order comments were added)."""
    ids: list[Id]
    """Comment ids of ``members``, in the same order."""
    authors: Counter[Id]
    first_at: datetime | None
    last_at: datetime | None
    representative: tuple[tuple[int, ...], int] | None = None
    """Cache: (sample it was computed on, chosen item)."""


@dataclass(slots=True)
class _Item:
    """One indexed comment."""

    comment: CommentText
    shingles: npt.NDArray[np.uint64]


# A bucket holds one item (the usual case, kept small) or, once shared, the
# items grouped by the union-find root they had when stored.
_Bucket = int | dict[int, list[int]]


class CampaignIndex:
    """Incremental campaign detector: add comments as they arrive.

    ``add`` returns the campaign the new comment belongs to, if any.
    Comments are never removed: after edits, deletions or a change of
    parameters, build a new index (or call :func:`detect_campaigns`).
    The members of each campaign do not depend on the order in which the
    comments are added; the order only decides ``key`` (the earliest
    member), the member order and, beyond :data:`REPRESENTATIVE_SAMPLE`
    members, the representative.

    Cost: a new comment is compared (exact Jaccard) only with comments
    that share an LSH band with it, and not at all with a campaign it has
    already joined, so a large campaign costs little per new member.
    Memory is about 3 kB per indexed comment (the LSH buckets).
    """

    def __init__(
        self,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        min_size: int = DEFAULT_MIN_SIZE,
        min_words: int = DEFAULT_MIN_WORDS,
    ) -> None:
        """Check the parameters and size the LSH bands."""
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        if min_size < 2:
            raise ValueError(f"min_size must be at least 2, got {min_size}")
        if min_words < 1:
            raise ValueError(f"min_words must be at least 1, got {min_words}")
        self.threshold = threshold
        self.min_size = min_size
        self.min_words = min_words
        self._bands, self._rows = lsh_shape(threshold)
        self._items: list[_Item] = []
        # None marks a comment too short to be indexed.
        self._position: dict[Id, int | None] = {}
        self._parent: list[int] = []
        self._components: dict[int, _Component] = {}
        self._buckets: dict[int, _Bucket] = {}

    def __len__(self) -> int:
        """Return how many comments were added (short ones included)."""
        return len(self._position)

    def __contains__(self, comment_id: object) -> bool:
        """Return whether a comment with this id was added."""
        return comment_id in self._position

    def add(self, comment: CommentText) -> Campaign | None:
        """Index ``comment`` and return its campaign, or None if it has none.

        Raise ``ValueError`` if the id was already added or ``created_at``
        is a naive datetime.
        """
        item = self._insert(comment)
        if item is None:
            return None
        return self._campaign(self._find(item))

    def campaign_of(self, comment_id: Id) -> Campaign | None:
        """Return the campaign a known comment belongs to, or None."""
        item = self._position.get(comment_id)
        if item is None:
            return None
        return self._campaign(self._find(item))

    def campaigns(self) -> list[Campaign]:
        """Return every campaign, largest first (ties: earliest first)."""
        roots = [
            root
            for root, component in self._components.items()
            if len(component.members) >= self.min_size
        ]
        roots.sort(
            key=lambda r: (
                -len(self._components[r].members),
                self._components[r].members[0],
            )
        )
        found = [self._campaign(root) for root in roots]
        return [campaign for campaign in found if campaign is not None]

    def _insert(self, comment: CommentText) -> int | None:
        """Index ``comment``; return its item number, None if it is too short."""
        if comment.id in self._position:
            raise ValueError(f"comment {comment.id!r} was already added")
        created_at = comment.created_at
        if created_at is not None and created_at.utcoffset() is None:
            raise ValueError(
                f"created_at of comment {comment.id!r} must be timezone-aware"
            )
        normalised = normalise_text(comment.text)
        if len(normalised.split()) < self.min_words:
            self._position[comment.id] = None
            return None
        shingles = shingle_hashes(normalised)
        item = len(self._items)
        self._items.append(_Item(comment=comment, shingles=shingles))
        self._position[comment.id] = item
        self._parent.append(item)
        self._components[item] = _Component(
            members=[item],
            ids=[comment.id],
            authors=Counter([comment.author_id]),
            first_at=created_at,
            last_at=created_at,
        )
        keys = self._band_keys(minhash_signature(shingles))
        checked: set[int] = set()
        for key in keys:
            bucket = self._buckets.get(key)
            if bucket is None:
                continue
            if isinstance(bucket, int):
                if self._find(bucket) != self._find(item):
                    self._try_link(item, [bucket], checked)
                continue
            for stored_root, members in self._compact(bucket).items():
                if self._find(stored_root) != self._find(item):
                    self._try_link(item, members, checked)
        root = self._find(item)
        for key in keys:
            self._store(key, item, root)
        return item

    def _band_keys(self, signature: npt.NDArray[np.uint64]) -> list[int]:
        """Return one 64-bit bucket key per band of the signature.

        The band number and its values are mixed by multiply-xorshift
        steps, a fixed function: a rare collision only adds a candidate,
        which the exact Jaccard check then rejects or accepts as usual.
        """
        values = signature[: self._bands * self._rows].reshape(self._bands, self._rows)
        keys = np.arange(1, self._bands + 1, dtype=np.uint64) * _MIX
        for column in range(self._rows):
            keys = (keys ^ values[:, column]) * _MIX
            keys ^= keys >> np.uint64(31)
        return [int(key) for key in keys]

    def _try_link(
        self, item: int, candidates: Iterable[int], checked: set[int]
    ) -> None:
        """Join ``item`` to the first candidate similar enough, if any."""
        shingles = self._items[item].shingles
        for other in candidates:
            if other in checked:
                continue
            checked.add(other)
            if jaccard(shingles, self._items[other].shingles) >= self.threshold:
                self._union(item, other)
                return

    def _compact(self, bucket: dict[int, list[int]]) -> dict[int, list[int]]:
        """Merge the lists of stored roots that have since been joined."""
        parent = self._parent
        if all(parent[stored] == stored for stored in bucket):
            return bucket  # every key is still a root, hence all distinct
        merged: dict[int, list[int]] = {}
        for stored, members in bucket.items():
            merged.setdefault(self._find(stored), []).extend(members)
        bucket.clear()
        bucket.update(merged)
        return bucket

    def _store(self, key: int, item: int, root: int) -> None:
        """Put ``item`` (whose root is ``root``) in the bucket ``key``."""
        bucket = self._buckets.get(key)
        if bucket is None:
            self._buckets[key] = item
        elif isinstance(bucket, int):
            other_root = self._find(bucket)
            if other_root == root:
                self._buckets[key] = {root: [bucket, item]}
            else:
                self._buckets[key] = {other_root: [bucket], root: [item]}
        else:
            self._compact(bucket).setdefault(root, []).append(item)

    def _find(self, item: int) -> int:
        """Return the union-find root of ``item`` (with path halving)."""
        parent = self._parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def _union(self, a: int, b: int) -> None:
        """Join the groups of ``a`` and ``b``, the smaller into the larger."""
        root_a, root_b = self._find(a), self._find(b)
        if root_a == root_b:
            return
        big, small = self._components[root_a], self._components[root_b]
        if len(big.members) < len(small.members):
            root_a, root_b, big, small = root_b, root_a, small, big
        self._parent[root_b] = root_a
        del self._components[root_b]
        if small.members[0] > big.members[-1]:
            big.members.extend(small.members)  # the usual case: a new comment
            big.ids.extend(small.ids)
        else:
            pairs = sorted(
                zip(big.members + small.members, big.ids + small.ids, strict=True),
                key=lambda pair: pair[0],
            )
            big.members = [member for member, _ in pairs]
            big.ids = [comment_id for _, comment_id in pairs]
        big.authors.update(small.authors)
        big.first_at = _earliest(big.first_at, small.first_at)
        big.last_at = _latest(big.last_at, small.last_at)

    def _campaign(self, root: int) -> Campaign | None:
        """Build the campaign of a root, or None if it is too small."""
        component = self._components[root]
        if len(component.members) < self.min_size:
            return None
        representative = self._items[self._representative(component)].comment
        author_count = len(component.authors)
        return Campaign(
            key=component.ids[0],
            kind="form-letter" if author_count >= self.min_size else "flood",
            member_ids=tuple(component.ids),
            author_count=author_count,
            representative_id=representative.id,
            representative_text=representative.text,
            first_at=component.first_at,
            last_at=component.last_at,
        )

    def _representative(self, component: _Component) -> int:
        """Return the sample member with the largest total similarity.

        The sample is the first :data:`REPRESENTATIVE_SAMPLE` members, so
        the choice is cached until the sample changes.  Ties go to the
        earliest member.
        """
        sample = tuple(component.members[:REPRESENTATIVE_SAMPLE])
        if (
            component.representative is not None
            and component.representative[0] == sample
        ):
            return component.representative[1]
        shingle_sets = [self._items[i].shingles for i in sample]
        _, inverse = np.unique(np.concatenate(shingle_sets), return_inverse=True)
        incidence = np.zeros((len(sample), int(inverse.max()) + 1), dtype=bool)
        rows = np.repeat(np.arange(len(sample)), [s.size for s in shingle_sets])
        incidence[rows, inverse] = True
        # Shared shingles of every pair as popcounts of AND-ed bit rows:
        # exact integers, and no BLAS call (whose worker threads cost far
        # more than this small product when the machine is busy).
        bits = np.packbits(incidence, axis=1)
        common = _POPCOUNT[bits[:, None, :] & bits[None, :, :]].sum(axis=2)
        sizes = np.array([s.size for s in shingle_sets])
        union = sizes[:, None] + sizes[None, :] - common
        similarity = common / union  # union >= 1: every member has a shingle
        totals = similarity.sum(axis=1)
        chosen = sample[int(np.argmax(totals))]
        component.representative = (sample, chosen)
        return chosen


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    """Return the earlier known time."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    """Return the later known time."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def detect_campaigns(
    comments: Sequence[CommentText],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_size: int = DEFAULT_MIN_SIZE,
    min_words: int = DEFAULT_MIN_WORDS,
) -> list[Campaign]:
    """Group near-identical comments into campaigns, largest first.

    Run :class:`CampaignIndex` over ``comments`` in the given order (pass
    them in submission order so that ``key`` and member order match what
    the live index reports).  Raise ``ValueError`` on a repeated id or a
    naive ``created_at``.
    """
    index = CampaignIndex(threshold=threshold, min_size=min_size, min_words=min_words)
    for comment in comments:
        index._insert(comment)
    return index.campaigns()
