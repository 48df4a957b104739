"""Trial-level agreement on simulated observers whose agreement is known."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from facepsych.errors import FacepsychError
from facepsych.psychophysics import psi
from facepsych.psychophysics.agreement import (
    cohens_kappa,
    stimulus_agreement,
    stimulus_correlation,
)

LEVELS = np.round(np.linspace(0, 1, 11), 2)


def _stimuli(rng, n_continua=6, sigma=0.1):
    rows = []
    for c in range(n_continua):
        mu = rng.uniform(0.35, 0.65)
        rows += [{"continuum": f"c{c}", "level": x, "p_true": psi(x, mu, sigma)} for x in LEVELS]
    return pd.DataFrame(rows)


def _humans(rng, stim, n_subjects=20, trials=3):
    rows = []
    for s in range(n_subjects):
        for r in stim.itertuples():
            for resp in rng.random(trials) < r.p_true:
                rows.append({"subject": f"s{s}", "continuum": r.continuum, "level": r.level,
                             "response": int(resp)})  # fmt: skip
    return pd.DataFrame(rows)


def test_cohens_kappa_by_hand():
    # 10 pairs: 4 both 1, 3 both 0, 2 (1, 0), 1 (0, 1): c_obs = .7; q_a = .6, q_b = .5
    a = [1, 1, 1, 1, 0, 0, 0, 1, 1, 0]
    b = [1, 1, 1, 1, 0, 0, 0, 0, 0, 1]
    kappa, c_obs, c_exp = cohens_kappa(a, b)
    assert c_obs == pytest.approx(0.7) and c_exp == pytest.approx(0.6 * 0.5 + 0.4 * 0.5)
    assert kappa == pytest.approx((0.7 - 0.5) / 0.5)
    assert cohens_kappa(a, a)[0] == pytest.approx(1.0)
    assert math.isnan(cohens_kappa([1, 1], [1, 1])[0])
    with pytest.raises(FacepsychError, match=r"^kappa needs decisions coded 0/1$"):
        cohens_kappa([0, 2], [0, 1])


def test_a_model_that_knows_the_true_rates_reaches_the_ceiling():
    """Model P = each stimulus's true rate, 8 subjects × 1 trial on shallow curves (reliability
    ρ ≈ 0.86): r / √ρ ≈ 1 over 10 simulated groups (r / ρ would be ≈ 1.08)."""
    ratios = []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        stim = _stimuli(rng, sigma=0.3)
        res = stimulus_agreement(_humans(rng, stim, n_subjects=8, trials=1),
                                 stim.rename(columns={"p_true": "p"}), bootstrap=100,
                                 splits=100, seed=seed)  # fmt: skip
        assert res["n_stimuli"] == 66 and res["agreement_n_subjects"] == 8
        assert res["stimulus_r_lo"] <= res["stimulus_r"] <= res["stimulus_r_hi"]
        ratios.append(res["stimulus_r_normalised"])
    assert np.mean(ratios) == pytest.approx(1.0, abs=0.02)


def test_identical_deterministic_observers_have_kappa_one():
    rng = np.random.default_rng(1)
    stim = _stimuli(rng)
    model = stim.assign(p=np.where(stim["p_true"] > 0.5, 0.9, 0.1))
    trials = pd.concat(
        [model.assign(subject=f"s{i}", response=(model["p"] > 0.5).astype(int)) for i in range(4)]
    )
    res = stimulus_agreement(trials, model, bootstrap=0, splits=20)
    assert res["kappa"] == pytest.approx(1.0) and res["c_obs"] == pytest.approx(1.0)


def test_independent_observers_have_kappa_near_zero():
    """Model decisions drawn independently of the stimuli: κ ≈ 0 on average over 6 groups, and
    each interval (stimuli and subjects resampled) covers 0."""
    kappas, covered = [], 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        stim = _stimuli(rng, n_continua=10)
        trials = _humans(rng, stim, n_subjects=12, trials=2)
        model = stim.assign(p=rng.random(len(stim)))
        res = stimulus_agreement(trials, model, bootstrap=300, splits=20, seed=seed)
        kappas.append(res["kappa"])
        covered += res["kappa_lo"] < 0 < res["kappa_hi"]
        assert res["c_obs"] == pytest.approx(res["c_exp"], abs=0.15)
    assert abs(np.mean(kappas)) < 0.05 and covered >= 5


def test_stimulus_correlation_and_errors():
    r, lo, hi = stimulus_correlation([0.1, 0.4, 0.5, 0.9], [0.2, 0.3, 0.6, 0.8], bootstrap=0)
    assert r == pytest.approx(np.corrcoef([0.1, 0.4, 0.5, 0.9], [0.2, 0.3, 0.6, 0.8])[0, 1])
    assert math.isnan(lo) and math.isnan(hi)
    trials = pd.DataFrame({"subject": ["a"], "level": [0.5], "response": [1]})
    with pytest.raises(FacepsychError, match=r"^the model and the humans share no stimulus"):
        stimulus_agreement(trials, pd.DataFrame({"level": [0.7], "p": [0.5]}))
    with pytest.raises(FacepsychError, match=r"^model need a 'p' column"):
        stimulus_agreement(trials, pd.DataFrame({"level": [0.5]}))
