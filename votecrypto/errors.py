"""Exception family of the protocol core.

Every parse or check failure raises a subclass of :class:`VoteCryptoError`
(itself a ``ValueError``) whose message names the field and the check that
failed, so voters, officials and auditors can read the reason.
"""


class VoteCryptoError(ValueError):
    """Base class of every error raised by ``votecrypto``."""

    def __init__(self, field: str, problem: str) -> None:
        """Record the offending ``field`` (a dotted path) and the ``problem``."""
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}" if field else problem)


class JsonSyntaxError(VoteCryptoError):
    """The bytes are not JSON as SPEC §1 allows it (floats, duplicates, ...)."""


class StructureError(VoteCryptoError):
    """Wrong keys, wrong types or wrong shape (SPEC §7 reason ``structure``)."""


class EncodingError(VoteCryptoError):
    """A value of the right type spelled non-canonically (reason ``encoding``)."""


class CryptoCheckError(VoteCryptoError):
    """A cryptographic check failed (a proof, a signature, a group element)."""
