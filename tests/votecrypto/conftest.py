"""Fixtures for the Django-free protocol core tests."""

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
VECTORS_DIR = SHARED / "vectors"


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    """The independent implementation's values (../shared/vectors/vectors.json)."""
    with (VECTORS_DIR / "vectors.json").open(encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """The folder holding the shared sample records and logs."""
    return VECTORS_DIR
