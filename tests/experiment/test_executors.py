"""Executors: a process pool and a local Ray give the same results as the sequential loop."""

from __future__ import annotations

import importlib.util

import pytest

from facepsych.experiment import config_from_dict, run_experiment
from tests.experiment.conftest import assert_same_results


@pytest.mark.slow
def test_process_pool_matches_sequential(tiny_config, tiny_run, tmp_path):
    out = run_experiment(config_from_dict(tiny_config), tmp_path / "pool", workers=2,
                         progress=False)  # fmt: skip
    assert_same_results(out, tiny_run)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason='needs pip install ".[ray]"')
def test_local_ray_with_two_cpus(tiny_config, tiny_run, tmp_path, monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    out = run_experiment(config_from_dict(tiny_config), tmp_path / "ray", executor="ray",
                         workers=2, progress=False)  # fmt: skip
    assert_same_results(out, tiny_run)
