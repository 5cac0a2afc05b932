"""The system check that requires the petition log key."""

import pytest
from django.conf import LazySettings
from django.core.exceptions import ImproperlyConfigured

from petitions.checks import check_log_seed
from petitions.services.log import log_public_key


def test_missing_or_malformed_seed_is_an_error(settings: LazySettings) -> None:
    """Without 64 hex digits the check fails and the services refuse to sign."""
    for value in ("", "abc", "D0" * 32):
        settings.PETITION_LOG_SEED = value
        (error,) = check_log_seed()
        assert error.id == "petitions.E001"
        with pytest.raises(ImproperlyConfigured, match="PETITION_LOG_SEED"):
            log_public_key()


def test_valid_seed_passes(settings: LazySettings) -> None:
    """A 64-hex-digit seed passes and gives the published public key."""
    settings.PETITION_LOG_SEED = "00" * 32
    assert check_log_seed() == []
    assert log_public_key() == (
        "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"
    )
