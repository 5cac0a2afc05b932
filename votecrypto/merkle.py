"""SPEC §6 and §10: the RFC 9162 §2.1 Merkle tree of the append-only logs.

Leaves are ``SHA-256(0x00 ‖ cjson(entry))``, inner nodes
``SHA-256(0x01 ‖ left ‖ right)``, the empty tree hashes to ``SHA-256("")``,
and proofs are RFC 9162's audit paths (§2.1.3) and consistency proofs
(§2.1.4).  The module functions take a list of leaf hashes; they build a
:class:`MerkleTree` that keeps every complete, aligned subtree, so the
root of any prefix costs ``O(log n)`` hashes and a proof ``O(log² n)``.
"""

from collections.abc import Iterable, Sequence
from typing import Final

from votecrypto.canonical import Json, cjson, sha256

HASH_LENGTH: Final = 32
"""Bytes in a leaf hash, node hash or root."""

EMPTY_ROOT: Final = sha256(b"")
"""The tree hash of the empty tree, ``SHA-256("")``."""


def leaf_hash_raw(data: bytes) -> bytes:
    """Return the RFC 9162 leaf hash ``SHA-256(0x00 ‖ data)`` of raw bytes."""
    return sha256(b"\x00" + data)


def leaf_hash(entry: Json) -> bytes:
    """Return the leaf hash ``SHA-256(0x00 ‖ cjson(entry))`` of a log entry."""
    return leaf_hash_raw(cjson(entry))


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the inner node hash ``SHA-256(0x01 ‖ left ‖ right)``."""
    return sha256(b"\x01" + left + right)


def _split(size: int) -> int:
    """Return the largest power of two smaller than ``size`` (``size ≥ 2``)."""
    return 1 << ((size - 1).bit_length() - 1)


class MerkleTree:
    """An append-only RFC 9162 tree over leaf hashes (SPEC §6).

    Level ``h`` holds the hash of every complete subtree of ``2^h`` leaves
    starting at leaf ``i·2^h``; appending a leaf adds at most one node per
    level, so appends cost ``O(1)`` amortised.  Every subtree that the
    RFC 9162 recursion reaches is either such a complete, aligned subtree
    or splits into one plus a smaller rest, so roots and proofs of any
    prefix need only ``O(log n)`` cached nodes each.

    Each level is one ``bytearray`` of 32-byte nodes: about 64 bytes per
    leaf in all, so a server can keep the tree of a log of millions of
    entries in memory.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        """Start a tree holding ``leaf_hashes`` in order."""
        self._levels: list[bytearray] = [bytearray()]
        for leaf in leaf_hashes:
            self.append(leaf)

    def __len__(self) -> int:
        """Return the number of leaves."""
        return len(self._levels[0]) // HASH_LENGTH

    @property
    def size(self) -> int:
        """Return the number of leaves (the current ``tree_size``)."""
        return len(self._levels[0]) // HASH_LENGTH

    def _node(self, height: int, position: int) -> bytes:
        start = position * HASH_LENGTH
        return bytes(self._levels[height][start : start + HASH_LENGTH])

    def append(self, leaf: bytes) -> int:
        """Append one leaf hash and return its index."""
        if len(leaf) != HASH_LENGTH:
            raise ValueError(f"a leaf hash has {HASH_LENGTH} bytes, got {len(leaf)}")
        index = self.size
        self._levels[0] += leaf
        height, node = 0, bytes(leaf)
        while (len(self._levels[height]) // HASH_LENGTH) % 2 == 0:
            level = self._levels[height]
            node = node_hash(bytes(level[-2 * HASH_LENGTH : -HASH_LENGTH]), node)
            height += 1
            if height == len(self._levels):
                self._levels.append(bytearray())
            self._levels[height] += node
        return index

    def append_entry(self, entry: Json) -> int:
        """Append the leaf of a log entry (:func:`leaf_hash`); return its index."""
        return self.append(leaf_hash(entry))

    def leaf(self, index: int) -> bytes:
        """Return the leaf hash at ``index``."""
        if not 0 <= index < self.size:
            raise IndexError(f"leaf {index} outside [0, {self.size})")
        return self._node(0, index)

    def _subtree(self, start: int, end: int) -> bytes:
        """Return ``MTH(D[start:end])`` for ``0 ≤ start < end ≤ size``."""
        width = end - start
        if width & (width - 1) == 0 and start % width == 0:
            return self._node(width.bit_length() - 1, start // width)
        k = _split(width)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))

    def _check_size(self, tree_size: int) -> None:
        if not 0 <= tree_size <= self.size:
            raise ValueError(f"tree_size {tree_size} outside [0, {self.size}]")

    def root(self, tree_size: int | None = None) -> bytes:
        """Return the tree hash of the first ``tree_size`` leaves (default all).

        RFC 9162 §2.1.1; the empty tree hashes to ``SHA-256("")``.
        """
        size = self.size if tree_size is None else tree_size
        self._check_size(size)
        if size == 0:
            return EMPTY_ROOT
        return self._subtree(0, size)

    def roots(self) -> list[bytes]:
        """Return the root of every prefix, sizes ``0…size`` (``O(n log n)``)."""
        return [self.root(size) for size in range(self.size + 1)]

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> list[bytes]:
        """Return RFC 9162 §2.1.3.1 ``PATH(index, D[tree_size])``."""
        size = self.size if tree_size is None else tree_size
        self._check_size(size)
        if not 0 <= index < size:
            raise ValueError(f"index {index} outside [0, {size})")
        path: list[bytes] = []
        start, end = 0, size
        # Walk down from the root; the sibling of each step is appended in
        # reverse, since the path lists the leaf's sibling first.
        while end - start > 1:
            k = _split(end - start)
            if index < start + k:
                path.append(self._subtree(start + k, end))
                end = start + k
            else:
                path.append(self._subtree(start, start + k))
                start += k
        path.reverse()
        return path

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """Return RFC 9162 §2.1.4.1 ``PROOF(first, D[second])``.

        The proof is empty when ``first`` is 0 or equals ``second``: there
        is nothing to prove beyond comparing the roots.
        """
        size = self.size if second is None else second
        self._check_size(size)
        if not 0 <= first <= size:
            raise ValueError(f"first {first} outside [0, {size}]")
        if first in (0, size):
            return []
        proof: list[bytes] = []
        start, end, m, whole = 0, size, first, True
        # SUBPROOF(m, D[start:end], whole), unrolled; nodes collected in
        # reverse order of the recursion's output.
        while m != end - start:
            k = _split(end - start)
            if m <= k:
                proof.append(self._subtree(start + k, end))
                end = start + k
            else:
                proof.append(self._subtree(start, start + k))
                start += k
                m -= k
                whole = False
        if not whole:
            proof.append(self._subtree(start, end))
        proof.reverse()
        return proof


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return the RFC 9162 tree hash of ``leaf_hashes`` (empty: ``SHA-256("")``)."""
    return MerkleTree(leaf_hashes).root()


def inclusion_proof(
    leaf_hashes: Sequence[bytes], index: int, tree_size: int
) -> list[bytes]:
    """Return the audit path of leaf ``index`` in the first ``tree_size`` leaves."""
    return MerkleTree(leaf_hashes[:tree_size]).inclusion_proof(index, tree_size)


def consistency_proof(
    leaf_hashes: Sequence[bytes], first: int, second: int
) -> list[bytes]:
    """Return the consistency proof from size ``first`` to size ``second``."""
    return MerkleTree(leaf_hashes[:second]).consistency_proof(first, second)


def root_from_inclusion_proof(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes]
) -> bytes | None:
    """Return the root that ``proof`` implies for ``leaf`` (RFC 9162 §2.1.3.2).

    Return ``None`` when the proof cannot be valid for this index and size
    (wrong length, index out of range, or hashes of the wrong length).
    """
    if not 0 <= index < tree_size:
        return None
    fn, sn = index, tree_size - 1
    node = leaf
    for sibling in proof:
        if sn == 0 or len(sibling) != HASH_LENGTH:
            return None
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return node


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Return whether ``proof`` shows ``leaf`` at ``index`` of the tree ``root``."""
    return root_from_inclusion_proof(leaf, index, tree_size, proof) == root


def verify_consistency(
    first: int,
    second: int,
    first_root: bytes,
    second_root: bytes,
    proof: Sequence[bytes],
) -> bool:
    """Return whether ``proof`` shows tree ``first`` is a prefix of tree ``second``.

    RFC 9162 §2.1.4.2, with its edge cases made explicit: ``first = second``
    needs an empty proof and equal roots; ``first = 0`` needs an empty proof
    and ``first_root`` the empty tree's hash; ``first > second`` never holds.
    """
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    if not proof or any(len(node) != HASH_LENGTH for node in proof):
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(node, fr)
            sr = node_hash(node, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
