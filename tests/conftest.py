"""Shared fixtures: the thread policy for the whole suite, and the real face data beside the
repository (skips cleanly where it is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from facepsych.runtime import THREADS_ENV, apply_threads, available_cores

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


MAX_TEST_WORKERS = 8


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto`` (the default in pyproject): one test process per core this process may use,
    at most :data:`MAX_TEST_WORKERS` (each holds its own torch, ~0.5 GB)."""
    return min(available_cores(), MAX_TEST_WORKERS)


def pytest_configure(config) -> None:
    """One torch thread per process unless ``FACEPSYCH_THREADS`` says otherwise: the tensors here
    are tiny, the suite runs one process per core, and on a shared 2-core machine one intra-op
    thread ran small passes 3–20× faster than torch's default. The variable is inherited by
    process-pool and Ray workers."""
    os.environ.setdefault(THREADS_ENV, "1")
    apply_threads()


def pytest_collection_modifyitems(config, items) -> None:
    """Tests on the local Ray share one test process (``--dist loadgroup``), so Ray starts once."""
    for item in items:
        if "local_ray" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("ray"))


@pytest.fixture(autouse=True)
def _thread_policy():
    """A test that changes torch's threads (a CLI call, an in-process runner) does not leak it."""
    yield
    apply_threads()


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


@pytest.fixture(scope="session")
def local_ray():
    """A local Ray with 2 CPUs for the whole session (started once: ~10 s), shut down at the end;
    skips where Ray is not installed (``pip install -e ".[dev]"`` installs it)."""
    ray = pytest.importorskip("ray")
    os.environ.pop("RAY_ADDRESS", None)
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
