"""Fixtures for the tally tools' tests (no database, no Django settings)."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.votecrypto.conftest import VECTORS_DIR


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    """The independent implementation's values (../shared/vectors/vectors.json)."""
    with (VECTORS_DIR / "vectors.json").open(encoding="utf-8") as handle:
        values: dict[str, Any] = json.load(handle)
    return values


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """The folder holding the shared sample records and logs."""
    return VECTORS_DIR
