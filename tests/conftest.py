"""Shared fixtures: the real face data beside the repository (skips cleanly where it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (London faces, facial_expressions); skip the test when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real face data not found at {SHARED_DATA} (only on the developers' machines)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def london_faces(shared_data: Path) -> Path:
    path = shared_data / "london_faces"
    if not path.is_dir():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(scope="session")
def facial_expressions(shared_data: Path) -> Path:
    path = shared_data / "facial_expressions"
    if not path.is_dir():
        pytest.skip(f"{path} is absent")
    return path
