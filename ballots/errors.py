"""Errors raised by the ballots services, each with a stable code."""

from django.utils.functional import Promise


class ElectionError(Exception):
    """A refused action, with a machine ``code`` and a readable ``detail``.

    ``status`` is the HTTP status an API answers with.  The casting API's
    codes are SPEC §7's reasons where one applies (``structure``,
    ``bad-proof``, ``replay``, ``audited``, …).
    """

    def __init__(self, code: str, detail: str | Promise, status: int = 400) -> None:
        self.code = code
        self.detail = str(detail)
        self.status = status
        super().__init__(f"{code}: {self.detail}")


class RollImportError(ElectionError):
    """A voter roll CSV with bad lines; nothing was imported."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        super().__init__(
            "bad-roll",
            "; ".join(f"line {line}: {message}" for line, message in errors),
        )
