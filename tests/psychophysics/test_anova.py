"""Repeated-measures ANOVA with Greenhouse–Geisser against a textbook example and classical
sums-of-squares formulas."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from facepsych.errors import FacepsychError
from facepsych.psychophysics import delta_pse_anova, rm_anova

# Field (2013), Discovering Statistics Using IBM SPSS, ch. 14 "Bushtucker trial": 8 celebrities x
# 4 animals, time to retch. Reported: F(3, 21) = 3.79, p = .026; GG epsilon = .533,
# F(1.60, 11.19), p = .063.
BUSHTUCKER = {
    "stick_insect": [8, 9, 6, 5, 8, 7, 10, 12],
    "kangaroo_testicle": [7, 5, 2, 3, 4, 5, 2, 6],
    "fish_eye": [1, 2, 3, 1, 5, 6, 7, 8],
    "witchetty_grub": [6, 5, 8, 9, 8, 7, 2, 1],
}


def _long(d):
    return pd.DataFrame(
        [{"s": i, "animal": a, "t": v} for a, vs in d.items() for i, v in enumerate(vs)]
    )


def test_textbook_example():
    row = rm_anova(_long(BUSHTUCKER), "t", "s", "animal").iloc[0]
    assert (row["df1"], row["df2"]) == (3, 21)
    assert row["F"] == pytest.approx(3.79, abs=0.005)
    assert row["p"] == pytest.approx(0.026, abs=0.0005)
    assert row["eps_gg"] == pytest.approx(0.533, abs=0.0005)
    assert row["df1_gg"] == pytest.approx(1.60, abs=0.005) and row["df2_gg"] == pytest.approx(
        11.19, abs=0.005
    )
    assert row["p_gg"] == pytest.approx(0.063, abs=0.0005)


def _gg_classic(Y):
    """Greenhouse & Geisser (1959): ε = k² (s̄_dd − s̄)² / ((k − 1)(Σ s_ij² − 2k Σ s̄_i² + k² s̄²))."""
    S = np.cov(Y, rowvar=False)
    k = S.shape[0]
    num = k**2 * (np.mean(np.diag(S)) - S.mean()) ** 2
    den = (k - 1) * (np.sum(S**2) - 2 * k * np.sum(S.mean(axis=1) ** 2) + k**2 * S.mean() ** 2)
    return num / den


def test_one_way_against_classical_sums_of_squares():
    rng = np.random.default_rng(0)
    N, k = 9, 5
    Y = rng.normal(size=(N, k)) + np.linspace(0, 1, k) + rng.normal(size=(N, 1))
    df = pd.DataFrame([{"s": i, "c": j, "y": Y[i, j]} for i in range(N) for j in range(k)])
    row = rm_anova(df, "y", "s", "c").iloc[0]
    g = Y.mean()
    ss_c = N * np.sum((Y.mean(axis=0) - g) ** 2)
    ss_s = k * np.sum((Y.mean(axis=1) - g) ** 2)
    ss_e = np.sum((Y - g) ** 2) - ss_c - ss_s
    assert row["ss"] == pytest.approx(ss_c) and row["ss_error"] == pytest.approx(ss_e)
    assert row["F"] == pytest.approx((ss_c / (k - 1)) / (ss_e / ((k - 1) * (N - 1))))
    assert row["eps_gg"] == pytest.approx(_gg_classic(Y))


def test_two_way_against_classical_sums_of_squares():
    rng = np.random.default_rng(1)
    N, a, b = 8, 2, 3
    Y = rng.normal(size=(N, a, b)) + np.arange(b) * 0.5 + rng.normal(size=(N, 1, 1))
    rows = [
        {"s": i, "A": f"a{j}", "B": f"b{m}", "y": Y[i, j, m]}
        for i, j, m in itertools.product(range(N), range(a), range(b))
    ]
    res = rm_anova(pd.DataFrame(rows), "y", "s", ["A", "B"]).set_index("effect")
    g = Y.mean()
    mA, mB, mS = Y.mean(axis=(0, 2)), Y.mean(axis=(0, 1)), Y.mean(axis=(1, 2))
    mSA, mSB, mAB = Y.mean(axis=2), Y.mean(axis=1), Y.mean(axis=0)
    ss_a = N * b * np.sum((mA - g) ** 2)
    ss_b = N * a * np.sum((mB - g) ** 2)
    ss_ab = N * np.sum((mAB - mA[:, None] - mB[None, :] + g) ** 2)
    ss_as = b * np.sum((mSA - mS[:, None] - mA[None, :] + g) ** 2)
    ss_bs = a * np.sum((mSB - mS[:, None] - mB[None, :] + g) ** 2)
    resid = (
        Y
        - mSA[:, :, None]
        - mSB[:, None, :]
        - mAB[None]
        + mS[:, None, None]
        + mA[None, :, None]
        + mB[None, None, :]
        - g
    )
    ss_abs = np.sum(resid**2)
    assert res.loc["A", "ss"] == pytest.approx(ss_a) and res.loc["A", "ss_error"] == pytest.approx(
        ss_as
    )
    assert res.loc["B", "ss"] == pytest.approx(ss_b) and res.loc["B", "ss_error"] == pytest.approx(
        ss_bs
    )
    assert res.loc["A × B", "ss"] == pytest.approx(ss_ab) and res.loc[
        "A × B", "ss_error"
    ] == pytest.approx(ss_abs)
    assert res.loc["A", "eps_gg"] == 1.0  # one-df effect
    assert res.loc["B", "eps_gg"] == pytest.approx(_gg_classic(mSB))
    assert (res.loc["A × B", "df1"], res.loc["A × B", "df2"]) == (2, 14)


def test_incomplete_design_and_missing_columns():
    df = _long(BUSHTUCKER).iloc[1:]
    with pytest.raises(
        FacepsychError, match=r"^rm_anova: subject 0 lacks some cells \(need a complete design\)$"
    ):
        rm_anova(df, "t", "s", "animal")
    with pytest.raises(FacepsychError, match=r"^rm_anova: missing column\(s\) model$"):
        rm_anova(df, "t", "s", "model")


def test_delta_pse_anova_detects_a_model_factor():
    rng = np.random.default_rng(2)
    humans = pd.Series(rng.normal(0.5, 0.05, 20), index=[f"s{i}" for i in range(20)])
    models = pd.DataFrame(
        {
            "arch": ["alexnet", "alexnet", "vgg16", "vgg16"],
            "weights": ["object", "face"] * 2,
            "pse": [0.3, 0.32, 0.5, 0.52],
        }
    )
    res = delta_pse_anova(humans, models, ["arch", "weights"]).set_index("effect")
    assert res.loc["arch", "p"] < 1e-6  # |ΔPSE| is much larger for the alexnet models
    assert res.loc["arch", "F"] > res.loc["weights", "F"]
