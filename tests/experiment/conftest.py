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
        {"arch": "alexnet", "name": "alexnet-b", "weights": "random", "hidden": 8, "seeds": [1]},
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


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every runner test uses a cache of its own session, never the user's."""
    monkeypatch.setenv("FACEPSYCH_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
