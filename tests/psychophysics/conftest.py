"""Simulated human observers for the human-data, comparison and CLI tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facepsych.psychophysics import psi

LEVELS11 = np.round(np.linspace(0, 1, 11), 2)


def simulate_trials(
    n_subjects=16, trials=12, pse_mean=0.5, pse_sd=0.08, sigma=0.08, seed=0, levels=LEVELS11
):
    """Trial rows (subject, level, response 0/1) from observers with PSE ~ N(pse_mean, pse_sd)."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_subjects):
        mu = rng.normal(pse_mean, pse_sd)
        for lv in levels:
            for r in rng.random(trials) < psi(lv, mu, sigma, 0.01, 0.01):
                rows.append({"subject": f"s{s:02d}", "level": float(lv), "response": int(r)})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def trials() -> pd.DataFrame:
    return simulate_trials()
