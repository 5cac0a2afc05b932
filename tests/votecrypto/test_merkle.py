"""SPEC §6 / RFC 9162 §2.1: Merkle tree hashes and proofs."""

import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from votecrypto import merkle

EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _reference_root(leaves: list[bytes]) -> bytes:
    """Compute MTH by the RFC's recursive definition, for cross-checking."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    left, right = _reference_root(leaves[:k]), _reference_root(leaves[k:])
    return hashlib.sha256(b"\x01" + left + right).digest()


def _leaves(count: int) -> list[bytes]:
    return [merkle.leaf_hash({"seq": i}) for i in range(count)]


def _flip(node: bytes, bit: int) -> bytes:
    value = bytearray(node)
    value[bit // 8 % len(value)] ^= 1 << (bit % 8)
    return bytes(value)


def _vector_leaves(vectors: dict[str, Any]) -> list[bytes]:
    return [bytes.fromhex(h) for h in vectors["merkle"]["leaf_hashes"]]


def test_leaf_hashes_match_vector(vectors: dict[str, Any]) -> None:
    """leaf_hash(entry) is SHA-256(0x00 ‖ cjson(entry)) for every vector entry."""
    hashes = [merkle.leaf_hash(entry).hex() for entry in vectors["merkle"]["entries"]]
    assert hashes == vectors["merkle"]["leaf_hashes"]
    assert (
        hashes[0] == "5ffa6defc9db18fad4a58fb4993f6e840b3eee42a52d22e9057dcf9277f47363"
    )


def test_roots_of_every_size_match_vector(vectors: dict[str, Any]) -> None:
    """The tree and root() give the vector root for every size 0…8."""
    leaves = _vector_leaves(vectors)
    tree = merkle.MerkleTree(leaves)
    expected = [vectors["merkle"]["roots"][str(size)] for size in range(9)]
    assert [r.hex() for r in tree.roots()] == expected
    assert [merkle.root(leaves[:size]).hex() for size in range(9)] == expected
    assert expected[0] == EMPTY
    assert tree.root().hex() == (
        "105da7a2f3acff740517c249fb39736e8f8a2174fc03f7f924beeb4aa7dad150"
    )


def test_inclusion_proofs_match_vector(vectors: dict[str, Any]) -> None:
    """Every vector audit path is reproduced and verifies against its root."""
    leaves = _vector_leaves(vectors)
    tree = merkle.MerkleTree(leaves)
    cases = vectors["merkle"]["inclusion"]
    assert len(cases) == 36
    for case in cases:
        index, size = case["index"], case["tree_size"]
        path = merkle.inclusion_proof(leaves, index, size)
        assert [node.hex() for node in path] == case["path"]
        assert tree.inclusion_proof(index, size) == path
        assert merkle.verify_inclusion(
            leaves[index], index, size, path, tree.root(size)
        )


def test_consistency_proofs_match_vector(vectors: dict[str, Any]) -> None:
    """Every vector consistency proof is reproduced and verifies."""
    leaves = _vector_leaves(vectors)
    tree = merkle.MerkleTree(leaves)
    cases = vectors["merkle"]["consistency"]
    assert len(cases) == 36
    for case in cases:
        first, second = case["first"], case["second"]
        proof = merkle.consistency_proof(leaves, first, second)
        assert [node.hex() for node in proof] == case["proof"]
        assert merkle.verify_consistency(
            first, second, tree.root(first), tree.root(second), proof
        )


def test_rfc6962_reference_roots(vectors: dict[str, Any]) -> None:
    """The RFC 6962 reference leaves give the RFC's roots for sizes 1…8."""
    leaves = [
        merkle.leaf_hash_raw(bytes.fromhex(data))
        for data in vectors["merkle"]["rfc6962_reference_leaves_hex"]
    ]
    tree = merkle.MerkleTree(leaves)
    roots = vectors["merkle"]["rfc6962_reference_roots"]
    assert {str(size): tree.root(size).hex() for size in range(1, 9)} == roots
    assert roots["8"] == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )


def test_empty_tree_root() -> None:
    """The empty tree hashes to SHA-256 of the empty string."""
    assert merkle.root([]).hex() == EMPTY
    assert merkle.MerkleTree().root().hex() == EMPTY
    assert merkle.EMPTY_ROOT.hex() == EMPTY


def test_node_hash_prefix() -> None:
    """node_hash is SHA-256(0x01 ‖ left ‖ right)."""
    left, right = bytes(32), bytes([1]) * 32
    expected = hashlib.sha256(b"\x01" + left + right).digest()
    assert merkle.node_hash(left, right) == expected


def test_append_returns_index_and_updates_root() -> None:
    """append() returns consecutive indices and the root follows the prefix."""
    tree = merkle.MerkleTree()
    leaves = _leaves(5)
    assert [tree.append(leaf) for leaf in leaves] == [0, 1, 2, 3, 4]
    assert tree.size == len(tree) == 5
    assert tree.append_entry({"seq": 5}) == 5
    assert tree.leaf(5) == merkle.leaf_hash({"seq": 5})
    assert tree.root() == _reference_root([*leaves, tree.leaf(5)])
    assert tree.root(3) == _reference_root(leaves[:3])


def test_append_rejects_short_leaf() -> None:
    """A leaf hash that is not 32 bytes is refused."""
    with pytest.raises(ValueError, match="a leaf hash has 32 bytes, got 3"):
        merkle.MerkleTree().append(b"abc")


def test_proof_arguments_out_of_range_rejected() -> None:
    """Proofs for sizes beyond the tree or indices beyond the size raise."""
    tree = merkle.MerkleTree(_leaves(4))
    with pytest.raises(ValueError, match=r"tree_size 5 outside \[0, 4\]"):
        tree.root(5)
    with pytest.raises(ValueError, match=r"index 4 outside \[0, 4\)"):
        tree.inclusion_proof(4)
    with pytest.raises(ValueError, match=r"first 5 outside \[0, 4\]"):
        tree.consistency_proof(5)


def test_consistency_edge_cases() -> None:
    """first = second needs equal roots and no nodes; first = 0 needs the empty root."""
    leaves = _leaves(6)
    tree = merkle.MerkleTree(leaves)
    r3, r6 = tree.root(3), tree.root(6)
    assert tree.consistency_proof(3, 3) == []
    assert tree.consistency_proof(0, 6) == []
    assert merkle.verify_consistency(3, 3, r3, r3, [])
    assert not merkle.verify_consistency(3, 3, r3, r6, [])
    assert not merkle.verify_consistency(3, 3, r3, r3, [r3])
    assert merkle.verify_consistency(0, 6, merkle.EMPTY_ROOT, r6, [])
    assert merkle.verify_consistency(0, 0, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, [])
    assert not merkle.verify_consistency(0, 6, r3, r6, [])
    assert not merkle.verify_consistency(0, 6, merkle.EMPTY_ROOT, r6, [r3])
    assert not merkle.verify_consistency(6, 3, r6, r3, tree.consistency_proof(3, 6))
    assert not merkle.verify_consistency(3, 6, r3, r6, [])


def test_inclusion_rejects_index_outside_tree() -> None:
    """An index at or beyond tree_size never verifies."""
    leaves = _leaves(4)
    tree = merkle.MerkleTree(leaves)
    path = tree.inclusion_proof(3)
    assert merkle.verify_inclusion(leaves[3], 3, 4, path, tree.root())
    assert not merkle.verify_inclusion(leaves[3], 4, 4, path, tree.root())
    assert not merkle.verify_inclusion(leaves[3], 3, 4, [*path, path[0]], tree.root())
    assert not merkle.verify_inclusion(leaves[3], 3, 4, path[:1], tree.root())


@settings(max_examples=40, deadline=None)
@given(data=st.data(), size=st.integers(min_value=1, max_value=70))
def test_inclusion_proofs_random_sizes(data: st.DataObject, size: int) -> None:
    """Audit paths verify for random sizes and fail when any node is altered."""
    leaves = _leaves(size)
    tree = merkle.MerkleTree(leaves)
    assert tree.root() == _reference_root(leaves)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    path = tree.inclusion_proof(index)
    root = tree.root()
    assert merkle.verify_inclusion(leaves[index], index, size, path, root)
    for position in range(len(path)):
        bit = data.draw(st.integers(min_value=0, max_value=255))
        altered = list(path)
        altered[position] = _flip(path[position], bit)
        assert not merkle.verify_inclusion(leaves[index], index, size, altered, root)
    other = (index + 1) % size
    if other != index:
        assert not merkle.verify_inclusion(leaves[index], other, size, path, root)
    assert not merkle.verify_inclusion(_flip(leaves[index], 0), index, size, path, root)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), second=st.integers(min_value=1, max_value=70))
def test_consistency_proofs_random_sizes(data: st.DataObject, second: int) -> None:
    """Consistency proofs verify for random sizes and fail when altered."""
    first = data.draw(st.integers(min_value=1, max_value=second))
    leaves = _leaves(second)
    tree = merkle.MerkleTree(leaves)
    proof = tree.consistency_proof(first, second)
    r1, r2 = tree.root(first), tree.root(second)
    assert r1 == _reference_root(leaves[:first])
    assert merkle.verify_consistency(first, second, r1, r2, proof)
    for position in range(len(proof)):
        bit = data.draw(st.integers(min_value=0, max_value=255))
        altered = list(proof)
        altered[position] = _flip(proof[position], bit)
        assert not merkle.verify_consistency(first, second, r1, r2, altered)
    assert not merkle.verify_consistency(first, second, _flip(r1, 7), r2, proof)
    assert not merkle.verify_consistency(first, second, r1, _flip(r2, 7), proof)
    # A different log of the same length is never consistent with this one.
    forked = [*leaves[: first - 1], _flip(leaves[first - 1], 1)]
    forked_root = merkle.root(forked)
    assert not merkle.verify_consistency(first, second, forked_root, r2, proof)
