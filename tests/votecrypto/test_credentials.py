"""SPEC §4.1: voting codes and credentials against the vectors."""

import re
from typing import Any

import pytest

from votecrypto import ed25519
from votecrypto.credentials import (
    ALPHABET,
    VotingCodeError,
    credential_public_key,
    credential_seed,
    generate_voting_code,
    normalise_voting_code,
)
from votecrypto.errors import EncodingError


def _cases(vectors: dict[str, Any]) -> list[dict[str, Any]]:
    return list(vectors["voting_codes"]["cases"])


def test_vector_has_twenty_one_cases(vectors: dict[str, Any]) -> None:
    """The vector file holds the 21 cases this module is tested on."""
    assert len(_cases(vectors)) == 21


@pytest.mark.parametrize("number", range(21))
def test_voting_code_case(vectors: dict[str, Any], number: int) -> None:
    """Each vector case is normalised and derived, or rejected with its message."""
    case = _cases(vectors)[number]
    election_id = vectors["voting_codes"]["election_id"]
    if "rejected" in case:
        with pytest.raises(VotingCodeError) as caught:
            normalise_voting_code(case["input"])
        assert str(caught.value) == case["rejected"]
        with pytest.raises(VotingCodeError):
            credential_seed(case["input"], election_id)
    else:
        assert normalise_voting_code(case["input"]) == case["normalised"]
        assert credential_seed(case["input"], election_id).hex() == case["seed"]
        key = credential_public_key(case["input"], election_id)
        assert key.hex() == case["public_key"]


def test_ballot_credential_vector(vectors: dict[str, Any]) -> None:
    """The ballot vector's code gives its ikm, seed and public key, typed any way."""
    given = vectors["ballot"]["credential"]
    assert normalise_voting_code(given["code"]) == given["ikm"]
    assert normalise_voting_code(given["code_as_typed_lowercase"]) == given["ikm"]
    seed = credential_seed(given["code"], given["election_id"])
    assert seed.hex() == given["seed"]
    assert ed25519.public_key_from_seed(seed).hex() == given["public_key"]
    typed = credential_public_key(
        given["code_as_typed_lowercase"], given["election_id"]
    )
    assert typed.hex() == given["public_key"]
    assert vectors["ballot"]["manifest"]["credentials"] == [given["public_key"]]


def test_seed_depends_on_the_election(vectors: dict[str, Any]) -> None:
    """The same code gives different seeds in different elections (HKDF salt)."""
    code = vectors["ballot"]["credential"]["code"]
    assert credential_seed(code, "vector-election") != credential_seed(code, "other")


def test_election_id_must_be_an_identifier() -> None:
    """A non-identifier election_id is rejected before deriving anything."""
    with pytest.raises(EncodingError) as caught:
        credential_seed("ABCDE-FGHIJ-KLMNO-PQRS2", "Vector Election")
    assert str(caught.value) == "election_id: not a valid identifier: 'Vector Election'"


def test_generated_codes_are_shown_in_four_groups() -> None:
    """A generated code is four dash-separated groups of five A–Z2–7 characters."""
    codes = [generate_voting_code() for _ in range(200)]
    pattern = re.compile(r"^[A-Z2-7]{5}(-[A-Z2-7]{5}){3}$")
    assert [bool(pattern.match(code)) for code in codes] == [True] * 200
    assert [len(normalise_voting_code(code)) for code in codes] == [20] * 200
    # 4000 uniform draws miss a given character with probability ≈ e^−125.
    assert set("".join(codes).replace("-", "")) == set(ALPHABET)
    assert len(set(codes)) == 200


def test_lowercase_mapping_is_ascii_only() -> None:
    """Only ASCII a–z are upper-cased; the error lists each bad character once."""
    with pytest.raises(VotingCodeError) as caught:
        normalise_voting_code("ǆbcde-fghij-klmno-pqrsǆ")
    assert str(caught.value) == "voting code has characters outside A–Z2–7: ['ǆ']"
