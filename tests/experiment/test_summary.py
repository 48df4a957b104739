"""Study statistics: intervals against scipy references, failed-fit masking, ranking, findings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from facepsych.experiment.summary import diff_ci, findings, mask_failed, mean_ci, ranking_table


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=30))
def test_mean_ci_is_the_t_interval(values):
    v = np.asarray(values)
    iv = mean_ci(v)
    assert iv.n == len(v) and iv.mean == pytest.approx(v.mean())
    if v.std(ddof=1) > 0:
        lo, hi = stats.t.interval(0.95, len(v) - 1, loc=v.mean(), scale=stats.sem(v))
        assert (iv.lo, iv.hi) == pytest.approx((lo, hi), rel=1e-9, abs=1e-12)


def test_diff_ci_matches_welch():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.5, 0.1, 12), rng.normal(0.6, 0.2, 9)
    iv = diff_ci(a, b)
    res = stats.ttest_ind(b, a, equal_var=False)
    lo, hi = res.confidence_interval(0.95)
    assert iv.mean == pytest.approx(b.mean() - a.mean())
    assert (iv.lo, iv.hi) == pytest.approx((lo, hi), rel=1e-9)
    assert iv.excludes_zero == (res.pvalue < 0.05)


def _fits(rows):
    base = {"model": "alexnet", "arch": "alexnet", "variant": "plain", "condition": "full",
            "slope": 4.0, "reason": ""}  # fmt: skip
    return pd.DataFrame([{**base, **r} for r in rows])


def test_failed_fits_are_masked_but_guess_lapse_bounds_are_not():
    f = _fits([
        {"cell_id": "a", "continuum": "c1", "weights": "w", "pse": 0.5, "reason": ""},
        {"cell_id": "a", "continuum": "c2", "weights": "w", "pse": 0.4,
         "reason": "guess at its upper bound; lapse at its upper bound"},
        {"cell_id": "a", "continuum": "c3", "weights": "w", "pse": 1.0,
         "reason": "PSE at its upper bound"},
        {"cell_id": "a", "continuum": "c4", "weights": "w", "pse": 0.3,
         "reason": "data not monotonically increasing with level (Spearman rho = 0.10)"},
    ])  # fmt: skip
    m = mask_failed(f)
    assert m["pse"].isna().tolist() == [False, False, True, True]
    assert m["slope"].isna().tolist() == [False, False, True, True]


def test_ranking_orders_by_distance_to_human_pse():
    f = _fits([
        {"cell_id": "a", "continuum": c, "weights": "far", "pse": p} for c, p in
        [("c1", 0.80), ("c2", 0.82)]
    ] + [
        {"cell_id": "b", "continuum": c, "weights": "near", "pse": p} for c, p in
        [("c1", 0.50), ("c2", 0.54)]
    ])  # fmt: skip
    t = ranking_table(f, human_pse=0.514, human_sd=0.092, human_slope=4.19)
    assert t["weights"].tolist() == ["near", "far"] and t["rank"].tolist() == [1, 2]
    assert t.loc[0, "pse_z"] == pytest.approx((0.52 - 0.514) / 0.092)
    assert t.loc[0, "n_fits"] == 2 and t.loc[0, "n_failed"] == 0


def test_findings_state_direction_with_intervals():
    rows = []
    for k, (po, pf) in enumerate([(0.40, 0.60), (0.42, 0.61), (0.41, 0.63), (0.39, 0.62)]):
        rows.append({"cell_id": "o", "continuum": f"c{k}", "weights": "object", "pse": po})
        rows.append({"cell_id": "f", "continuum": f"c{k}", "weights": "face", "pse": pf})
        rows.append({"cell_id": "o", "continuum": f"c{k}", "weights": "object", "pse": po + 0.1,
                     "condition": "mouth"})  # fmt: skip
    out = findings(_fits(rows), pd.DataFrame())
    assert any(s.startswith("alexnet PSE, face − object = 0.210 [") and
               s.endswith("face is reliably higher.") for s in out)  # fmt: skip
    assert any(s.startswith("alexnet slope, face − object = 0.000") and
               "no reliable difference" in s for s in out)  # fmt: skip
    assert any(s.startswith("Mouth occluded: PSE shift = 0.100") and "PSE moves up" in s
               for s in out)  # fmt: skip


def _preds(spans_by_cell):
    """Predictions whose span (P at level 1 − P at level 0) per cell × continuum is known."""
    rows = []
    for (cell, weights), spans in spans_by_cell.items():
        for c, span in enumerate(spans):
            for level in np.linspace(0, 1, 5):
                p = 0.5 - span / 2 + span * level
                for cond in ("full", "eyes"):
                    rows.append(
                        dict(cell_id=cell, model="alexnet", arch="alexnet", weights=weights,
                             variant="plain", seed=0, continuum=f"c{c}", condition=cond,
                             level=level, p_positive=p if cond == "full" else 0.5)
                    )  # fmt: skip
    return pd.DataFrame(rows)


def test_response_spans_and_their_face_object_difference():
    from facepsych.experiment.summary import response_spans, span_findings

    preds = _preds({("a_obj", "object"): [0.6, 0.7, 0.8], ("a_face", "face"): [0.0, 0.1, 0.05]})
    spans = response_spans(preds)
    assert len(spans) == 6  # full faces only: 2 cells × 3 continua
    got = spans.set_index(["cell_id", "continuum"])["span"]
    assert got[("a_obj", "c1")] == pytest.approx(0.7)
    assert got[("a_face", "c2")] == pytest.approx(0.05)
    text = span_findings(preds)
    assert "alexnet · object 0.70" in text[0] and "alexnet · face 0.05" in text[0]
    # Welch difference face − object: -0.65, reliably lower
    assert text[1].startswith("alexnet span, face − object = -0.650")
    assert "face is reliably lower" in text[1]
    # the eyes condition answers 0.5 everywhere: span 0, so the paired change is −span(full)
    eyes = [t for t in text if t.startswith("Eyes occluded")]
    change = -np.array([0.6, 0.7, 0.8, 0.0, 0.1, 0.05])
    lo, hi = stats.t.interval(0.95, 5, loc=change.mean(), scale=stats.sem(change))
    assert eyes == [
        f"Eyes occluded: span change = {change.mean():.3f} [{lo:.3f}, {hi:.3f}] (n = 6) over all "
        "models; no reliable change (the 95% CI contains 0)."
    ]
    assert span_findings(pd.DataFrame()) == []


def test_verdict_without_a_ci_draws_no_conclusion():
    from facepsych.experiment.summary import _verdict

    text = _verdict(diff_ci([0.5], [0.7, 0.8, 0.75]), "alexnet PSE", "object", "face")
    assert text == (
        "alexnet PSE, face − object = 0.250 (n = 4): no CI (fewer than 2 usable values on one "
        "side), so no conclusion."
    )
    assert "CI contains 0" not in text
