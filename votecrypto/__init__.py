"""Dauys protocol core (SPEC ``evote-paillier/1`` and ``dauys-petition/1``).

Django-free and typed: the server, the trustees' tools and the auditors'
verifier all use it.  The submodules hold the raw mathematics and carry
their own warnings; the recipes below are what most clients need:

- ``encrypt_ballot`` / ``classify_cast``: make and check a ballot (§5, §7);
- ``compute_tally``: classify a board, count, aggregate (§7);
- ``verify_record``: run V1–V10 on a published record (§9);
- ``verify_petition_log``: check a petition's signature log and count (§10).
"""

from votecrypto.ballot import classify_cast, encrypt_ballot
from votecrypto.errors import VoteCryptoError
from votecrypto.petition_log import verify_log as verify_petition_log
from votecrypto.tally import compute_tally
from votecrypto.verifier import verify_record

__all__ = [
    "VoteCryptoError",
    "classify_cast",
    "compute_tally",
    "encrypt_ballot",
    "verify_petition_log",
    "verify_record",
]
