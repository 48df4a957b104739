"""Human data: loading, per-subject and pooled fits, summary, mean curve, noise ceiling."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from facepsych.errors import FacepsychError
from facepsych.psychophysics import (
    PUBLISHED_REFERENCE,
    FitFlag,
    fit_humans,
    fit_humans_by,
    load_human_trials,
    spearman_brown,
    usable_fit,
    usable_pse,
)

from .conftest import simulate_trials


def test_load_trials_with_1_2_codes_and_messy_headers(tmp_path, trials):
    raw = trials.rename(columns={"subject": " Subject", "level": "LEVEL", "response": "Response"})
    raw["Response"] = 2 - raw["Response"]  # 1 = happy, 2 = sad
    raw.to_csv(tmp_path / "h.csv", index=False)
    loaded = load_human_trials(tmp_path / "h.csv", response_codes="12")
    assert list(loaded.columns) == ["subject", "level", "response"]
    assert (loaded["response"].to_numpy() == trials["response"].to_numpy()).all()


def test_load_counts_format(tmp_path):
    pd.DataFrame(
        {"subject": [1, 1, 1], "level": [0, 0.5, 1], "k": [0, 3, 6], "n": [6, 6, 6]}
    ).to_csv(tmp_path / "c.csv", index=False)
    df = load_human_trials(tmp_path / "c.csv")
    assert list(df.columns) == ["subject", "level", "k", "n"] and df["subject"].iloc[0] == "1"


@pytest.mark.parametrize(
    ("frame", "codes", "message"),
    [
        (
            {"subject": [1], "level": [0.5]},
            "01",
            "missing column(s) response (need subject, level, response or subject, level, k, n)",
        ),
        (
            {"subject": [1, 1], "level": [0.5, 0.6], "response": [1, 2]},
            "01",
            "response must be coded 0/1; found 2 (for 1 = happy, 2 = sad use response codes 12)",
        ),
        (
            {"subject": [1, 1], "level": [0.5, 0.6], "response": [1, 0]},
            "12",
            "response must be coded 1/2; found 0",
        ),
        (
            {"subject": [1, 1], "level": [0.5, None], "response": [1, 0]},
            "01",
            "column level has a missing",
        ),
        ({"subject": [1], "level": [0.5], "k": [3], "n": [2]}, "01", "k > n in row 0"),
    ],
)
def test_bad_human_files_give_one_line(tmp_path, frame, codes, message):
    pd.DataFrame(frame).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(FacepsychError) as info:
        load_human_trials(tmp_path / "bad.csv", response_codes=codes)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_missing_file():
    with pytest.raises(FacepsychError, match="^human data file not found: nowhere.csv$"):
        load_human_trials("nowhere.csv")


def test_fit_humans_summary_and_mean_curve(trials):
    h = fit_humans(trials, bootstrap=200, splits=100)
    ps = h.per_subject
    assert len(ps) == 16 and h.summary["n_subjects"] == 16
    used = ps[ps["used"]]
    assert used["fit_ok"].all() or used["reason"].str.contains("guess at|lapse at").all()
    assert h.summary["pse_mean"] == pytest.approx(used["pse"].mean())
    assert h.summary["pse_sd"] == pytest.approx(used["pse"].std(ddof=1))
    assert h.summary["pse_se"] == pytest.approx(used["pse"].std(ddof=1) / math.sqrt(len(used)))
    assert h.summary["pse_median"] == pytest.approx(used["pse"].median())
    assert abs(h.summary["pse_mean"] - 0.5) < 0.08  # 16 observers, PSE SD 0.08 -> SE 0.02
    manual = trials.groupby(["subject", "level"])["response"].mean().groupby("level")
    np.testing.assert_allclose(h.mean_curve["mean"], manual.mean().to_numpy())
    np.testing.assert_allclose(
        h.mean_curve["se"], (manual.std() / np.sqrt(manual.count())).to_numpy()
    )
    assert h.pooled.pse_lo < h.pooled.pse < h.pooled.pse_hi
    assert 0.9 < h.summary["ceiling_curve_r"] <= 1.0


def test_a_subject_who_always_says_happy_is_reported_and_excluded(trials):
    odd = pd.DataFrame({"subject": "zz", "level": trials["level"].unique(), "response": 1})
    h = fit_humans(pd.concat([trials, odd]), bootstrap=0, splits=20)
    row = h.per_subject.set_index("subject").loc["zz"]
    assert not row["fit_ok"] and "all responses are identical" in row["reason"]
    assert h.summary["n_excluded"] >= 1 and h.summary["n_used"] <= 16


def test_usable_pse_and_fit_are_decided_from_flags():
    ok = {"pse": 0.5, "flags": ""}
    assert usable_pse(ok) and usable_fit(ok)
    for only in ("lapse_at_bound", "guess_at_bound", "guess_at_bound|lapse_at_bound"):
        assert usable_pse({"pse": 0.5, "flags": only}) and not usable_fit(
            {"pse": 0.5, "flags": only}
        )
    assert not usable_pse({"pse": 0.5, "flags": "lapse_at_bound|sigma_at_bound"})
    assert not usable_pse({"pse": 1.2, "flags": FitFlag.pse_outside_range.value})
    assert not usable_pse({"pse": float("nan"), "flags": ""}) and not usable_pse({"pse": None})


def test_spearman_brown():
    assert spearman_brown(0.5) == pytest.approx(2 / 3)
    assert spearman_brown(1.0) == pytest.approx(1.0)
    assert spearman_brown(0.5, factor=3) == pytest.approx(0.75)


def test_noise_ceiling_grows_with_data_and_pse_ceiling_matches_theory():
    noisy = fit_humans(simulate_trials(n_subjects=12, trials=3, seed=1), bootstrap=0, splits=200)
    clean = fit_humans(simulate_trials(n_subjects=12, trials=40, seed=1), bootstrap=0, splits=200)
    assert noisy.summary["ceiling_curve_r"] < clean.summary["ceiling_curve_r"]
    # a perfect model misses the group mean by E|N(0, SD²/N)| = SD sqrt(2 / (pi N))
    s = clean.summary
    expected = s["pse_sd"] * math.sqrt(2 / (math.pi * s["n_used"]))
    assert s["ceiling_abs_dpse"] == pytest.approx(expected, rel=0.3)


def test_fit_humans_by_condition(trials):
    both = pd.concat([trials.assign(condition="full"), trials.assign(condition="eyes")])
    out = fit_humans_by(both, "condition", bootstrap=0, splits=10)
    assert set(out) == {"full", "eyes"}
    assert out["eyes"].summary["pse_mean"] == pytest.approx(out["full"].summary["pse_mean"])
    with pytest.raises(FacepsychError, match="^human data has no column 'mask' to group by$"):
        fit_humans_by(both, "mask")


def test_published_reference_is_labelled_as_reference():
    ref = PUBLISHED_REFERENCE
    assert (ref.n_subjects, ref.pse_mean, ref.pse_sd, ref.pse_se, ref.slope) == (
        40,
        0.514,
        0.092,
        0.0146,
        4.19,
    )
    assert ref.kind == "reference" and "not data" in ref.source
    assert ref.pse_sd / math.sqrt(ref.n_subjects) == pytest.approx(ref.pse_se, abs=2e-4)
    assert ref.as_dict()["n"] == 40
