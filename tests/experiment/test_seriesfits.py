"""Series fits beside the per-continuum fits, and the series' comparison with humans (with
per-stimulus agreement only when the humans have trial data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facepsych.experiment.seriesfits import (
    continuum_fits,
    series_comparison,
    series_fits,
    series_rows,
    stimulus_trials,
    with_series,
    with_series_comparison,
)
from facepsych.psychophysics import PUBLISHED_REFERENCE
from facepsych.psychophysics.agreement import AGREEMENT_COLUMNS
from tests.experiment import studyfixtures as sf


@pytest.fixture(scope="module")
def preds():
    return sf.predictions()


@pytest.fixture(scope="module")
def series(preds):
    return series_fits(preds, sf.FIT)


def test_one_series_row_per_net_and_condition_with_the_known_pse(series):
    assert len(series) == 4 and set(series["scope"]) == {"series"}
    assert set(series["n_curves"]) == {8}  # 4 continua × 2 seeds
    by = series.set_index("weights")
    assert by.loc["imagenet", "pse"] == pytest.approx(0.40, abs=1e-3)
    assert by.loc["dlib", "pse"] == pytest.approx(0.60, abs=1e-3)
    assert by.loc["dlib", "pse_lo"] < 0.60 < by.loc["dlib", "pse_hi"]


def test_a_flat_curve_cannot_reach_the_asymptote_bounds(series):
    s = series.set_index(["model", "weights"])
    assert s.loc[("mobilenet_v2", "imagenet"), "reaches_asymptotes"]
    flat = s.loc[("mobilenet_v2", "random")]
    assert not flat["reaches_asymptotes"]
    assert (flat["p_min"], flat["p_max"]) == pytest.approx((0.4, 0.6))


def test_fits_table_has_both_scopes(series):
    per = pd.DataFrame({"cell_id": ["a"], "pse": [0.5], "condition": ["full"]})
    fits = with_series(per, series)
    assert list(fits["scope"]) == ["continuum"] + ["series"] * 4
    assert len(continuum_fits(fits)) == 1 and len(series_rows(fits)) == 4
    assert len(continuum_fits(per)) == 1 and series_rows(per).empty  # older table: no scope


def _trials(preds: pd.DataFrame, n_subjects: int = 6, reps: int = 4, seed: int = 0):
    """Simulated observers who answer like the face net (Bernoulli of its mean P)."""
    rng = np.random.default_rng(seed)
    p = preds[preds["weights"] == "dlib"].groupby(["continuum", "level"])["p_positive"].mean()
    rows = [
        {"subject": f"s{i}", "continuum": c, "level": lv, "response": int(rng.random() < v)}
        for i in range(n_subjects) for (c, lv), v in p.items() for _ in range(reps)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_agreement_columns_with_trial_data_and_none_with_the_published_reference(preds, series):
    ref = series_comparison(preds, series, PUBLISHED_REFERENCE)
    assert len(ref) == 4 and not set(AGREEMENT_COLUMNS) & set(ref.columns)
    assert ref.set_index("weights").loc["dlib", "delta_pse"] == pytest.approx(
        0.60 - 0.514, abs=2e-3
    )
    trials = stimulus_trials(_trials(preds))
    assert set(trials["condition"]) == {"full"}  # no condition column: full faces
    cmp = series_comparison(preds, series, PUBLISHED_REFERENCE, trials, bootstrap=100)
    assert set(AGREEMENT_COLUMNS) <= set(cmp.columns)
    face = cmp.set_index("weights").loc["dlib"]
    assert face["n_stimuli"] == 84 and face["agreement_n_subjects"] == 6
    assert face["stimulus_r"] > 0.9 and face["kappa"] > 0.5
    assert face["stimulus_r_lo"] <= face["stimulus_r"] <= face["stimulus_r_hi"]
    both = with_series_comparison(pd.DataFrame({"cell_id": ["a"]}), cmp)
    assert list(both["scope"]) == ["continuum"] + ["series"] * 4


def test_trials_without_continuum_give_no_agreement():
    assert (
        stimulus_trials(pd.DataFrame({"subject": ["a"], "level": [0.0], "response": [1]})) is None
    )


def test_a_run_with_human_trials_has_agreement_in_comparison_and_report(tmp_path, tiny_config):
    from facepsych.experiment import config_from_dict
    from facepsych.study import run_study
    from facepsych.synthetic import identity_name

    rng = np.random.default_rng(0)
    name = identity_name(100_000)
    rows = [
        {"subject": f"s{i}", "continuum": name, "level": x, "response": int(rng.random() < x)}
        for i in range(4) for x in (0.0, 0.25, 0.5, 0.75, 1.0) for _ in range(6)
    ]  # fmt: skip
    pd.DataFrame(rows).to_csv(tmp_path / "trials.csv", index=False)
    tiny_config["models"] = tiny_config["models"][:1]
    tiny_config["humans"] = {"source": "trials", "path": str(tmp_path / "trials.csv"),
                             "bootstrap": 0}  # fmt: skip
    run = run_study(config_from_dict(tiny_config), tmp_path / "run", progress=False)
    cmp = pd.read_csv(run / "comparison.csv")
    series = cmp[cmp["scope"] == "series"].set_index("condition")
    assert series.loc["full", "n_stimuli"] == 5 and series.loc["full", "agreement_n_subjects"] == 4
    assert np.isnan(series.loc["mouth", "n_stimuli"])  # the humans saw full faces only
    page = (run / "report.html").read_text()
    ranking = page.split("Human-likeness ranking")[1].split("<h2>")[0]
    assert "r per stimulus" in ranking and "κ [CI]" in ranking
    assert "needs human trial data" not in page
