"""Tiny study configs for the runner tests (64 px lab faces, random weights, 1 epoch)."""

from __future__ import annotations

import copy

import pytest

TINY = {
    "name": "tiny",
    "data": {
        "format": "synthetic",
        "synthetic": {"identities": 4, "images_per_identity": 6, "image_size": 64},
    },
    "models": [
        {"arch": "alexnet", "weights": "random", "hidden": 8},
        {"arch": "fe-alexnet", "weights": "random", "hidden": 8, "reduction": [16]},
    ],
    "training": {"epochs": 1, "batch_size": 8, "image_size": 64},
    "stimuli": {
        "continua": [{"synthetic": {"identities": 1, "steps": 5, "image_size": 64}}],
        "conditions": ["full", "mouth"],
    },
    "analysis": {"fit": {"bootstrap": 0}, "cam": {"steps": [0, 4]}},
}


@pytest.fixture
def tiny_config() -> dict:
    return copy.deepcopy(TINY)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """One sequential run of TINY, shared by the tests that read or compare against it."""
    import os

    from facepsych.experiment import config_from_dict
    from facepsych.study import run_study

    cache = str(tmp_path_factory.getbasetemp() / "cache")
    old = os.environ.get("FACEPSYCH_CACHE")
    os.environ["FACEPSYCH_CACHE"] = cache
    try:
        out = tmp_path_factory.mktemp("runs") / "tiny"
        run_study(config_from_dict(TINY), out, progress=False)
    finally:
        if old is None:
            os.environ.pop("FACEPSYCH_CACHE", None)
        else:
            os.environ["FACEPSYCH_CACHE"] = old
    return out


def assert_same_results(a, b) -> None:
    """The merged tables of two runs agree (image paths differ between folders)."""
    import pandas as pd

    for name in ("predictions.csv", "fits.csv", "regions.csv"):
        x = pd.read_csv(a / name).drop(columns=["image"], errors="ignore")
        y = pd.read_csv(b / name).drop(columns=["image"], errors="ignore")
        pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=1e-5, atol=1e-6)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every runner test uses a cache of its own session, never the user's."""
    monkeypatch.setenv("FACEPSYCH_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
