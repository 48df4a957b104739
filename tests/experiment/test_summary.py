"""Study statistics: the human reference, failed-fit masking, ranking, findings, the valence and
attention summaries, pre-training caveats (the interval helpers are tested in psychophysics)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from facepsych.errors import FacepsychError
from facepsych.experiment.summary import (
    HumanBand,
    attention_summary,
    findings,
    human_band,
    mask_failed,
    pretrain_caveats,
    ranking_table,
    valence_accuracy,
)
from facepsych.psychophysics import PUBLISHED_REFERENCE, diff_ci
from tests.experiment.studyfixtures import attention_rows


def test_reference_band_has_the_published_pse_and_slope():
    band = HumanBand("ref", pse_mean=0.514, pse_sd=0.092, slope=4.19)
    mid, lo, hi = band.band(np.array([0.514 - 1e-5, 0.514, 0.514 + 1e-5]))
    assert mid[1] == pytest.approx(0.5)
    assert (mid[2] - mid[0]) / 2e-5 == pytest.approx(4.19, rel=1e-4)  # slope at the PSE
    assert np.all(lo <= mid) and np.all(mid <= hi)


def test_band_from_a_human_mean_curve():
    curve = pd.DataFrame({"level": [0, 0.5, 1], "mean": [0.1, 0.5, 0.9], "se": [0.05, 0.1, 0.05]})
    band = HumanBand("data", 0.5, 0.1, curve=curve)
    mid, lo, hi = band.band(np.array([0.25]))
    assert (mid[0], lo[0], hi[0]) == pytest.approx((0.3, 0.225, 0.375))


def _fits(rows):
    base = {"model": "alexnet", "arch": "alexnet", "variant": "plain", "condition": "full",
            "slope": 4.0, "flags": ""}  # fmt: skip
    return pd.DataFrame([{**base, **r} for r in rows])


def test_failed_fits_are_masked_but_guess_lapse_bounds_are_not():
    f = _fits([
        {"cell_id": "a", "continuum": "c1", "weights": "w", "pse": 0.5, "flags": ""},
        {"cell_id": "a", "continuum": "c2", "weights": "w", "pse": 0.4,
         "flags": "guess_at_bound|lapse_at_bound"},
        {"cell_id": "a", "continuum": "c3", "weights": "w", "pse": 1.0, "flags": "pse_at_bound"},
        {"cell_id": "a", "continuum": "c4", "weights": "w", "pse": 0.3,
         "flags": "lapse_at_bound|non_monotone"},
        {"cell_id": "a", "continuum": "c5", "weights": "w", "pse": np.nan, "flags": np.nan},
    ])  # fmt: skip
    m = mask_failed(f)
    assert m["pse"].isna().tolist() == [False, False, True, True, True]
    assert m["slope"].isna().tolist() == [False, False, True, True, True]


def test_a_fits_table_with_reasons_but_no_flags_is_refused():
    f = _fits([{"cell_id": "a", "continuum": "c1", "weights": "w", "pse": 0.5}]).drop(
        columns="flags"
    )
    assert mask_failed(f)["pse"].tolist() == [0.5]
    f["reason"] = "PSE at its upper bound"
    with pytest.raises(FacepsychError, match=r"^the fits table has fit reasons but no flags"):
        mask_failed(f)


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


def test_slopes_on_the_sigma_floor_make_a_slope_difference_a_bound():
    floor = {"slope": 3.99, "sigma": 0.1, "flags": "sigma_at_bound"}
    rows = []
    for k in range(4):
        rows.append({"cell_id": "o", "continuum": f"c{k}", "weights": "object", "pse": 0.4,
                     "slope": 1.0 + 0.1 * k, "sigma": 0.4})  # fmt: skip
        rows.append({"cell_id": "f", "continuum": f"c{k}", "weights": "face", "pse": 0.6,
                     **(floor if k < 3 else {"slope": 3.0, "sigma": 0.13})})  # fmt: skip
    out = findings(_fits(rows), pd.DataFrame())
    slope = next(s for s in out if s.startswith("alexnet slope, face − object"))
    assert mask_failed(_fits(rows))["slope_on_floor"].sum() == 3
    assert slope.endswith(
        "0 of 4 object and 3 of 4 face slopes have σ on its floor (steeper than the fit can "
        "express: lower bounds), so the true face − object difference is at least this."
    )
    pse = next(s for s in out if s.startswith("alexnet PSE, face − object"))
    assert "floor" not in pse
    both = [{**r, **floor} for r in rows]
    slope = next(s for s in findings(_fits(both), pd.DataFrame()) if "slope, face" in s)
    assert slope.endswith("so the difference is neither a value nor a bound.")


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


def test_human_band_is_the_published_reference_without_fitted_humans():
    band = human_band(pd.DataFrame())
    ref = PUBLISHED_REFERENCE
    assert (band.pse_mean, band.pse_sd, band.slope) == (ref.pse_mean, ref.pse_sd, ref.slope)
    assert band.label == f"published N = {ref.n_subjects}, PSE 0.514 ± SD 0.092"
    published = pd.DataFrame({"subject": ["published"], "pse": [0.5], "slope": [3.0]})
    assert human_band(published) == band


def test_human_band_of_fitted_humans():
    humans = pd.DataFrame({"subject": ["s1", "s2", "s3"], "pse": [0.4, 0.5, 0.6],
                           "slope": [3.0, 5.0, 4.0]})  # fmt: skip
    curve = pd.DataFrame({"level": [0, 1], "mean": [0.1, 0.9], "se": [0.05, 0.05]})
    band = human_band(humans, curve)
    assert band.pse_mean == pytest.approx(0.5) and band.pse_sd == pytest.approx(0.1)
    assert band.slope == 4.0 and band.curve is curve
    assert band.label == "this study's N = 3, PSE 0.500 ± SD 0.100"


def test_valence_accuracy_per_series():
    cells = [{"cell_id": f"c{k}", "model": "alexnet", "weights": "face", "variant": v}
             for k, v in enumerate(("plain", "plain", "pool5-r16"))]  # fmt: skip
    results = {"c0": {"best_val_acc": 0.6}, "c1": {"best_val_acc": 0.8}, "c2": {}}
    out = valence_accuracy({"cells": cells, "cell_results": results})
    assert list(out) == ["alexnet · face"]
    iv = out["alexnet · face"]
    lo, hi = stats.t.interval(0.95, 1, loc=0.7, scale=stats.sem([0.6, 0.8]))
    assert (iv.mean, iv.lo, iv.hi, iv.n) == pytest.approx((0.7, lo, hi, 2))
    assert valence_accuracy({}) == {}


def _info(classes, accs):
    return {
        "classes": classes,
        "history": [{"epoch": i + 1, "val_acc": a} for i, a in enumerate(accs)],
    }


def test_caveat_only_for_backbones_below_twice_chance():
    pre = {
        "face-vgg16": _info(16, [0.0625, 0.0625, 0.094]),  # best 0.094 < 0.125
        "face-alexnet": _info(16, [0.06, 0.31, 0.47]),  # learned
        "object-alexnet": _info(16, [0.06, 0.125, 0.12]),  # exactly 2 × chance: not flagged
        "no-history": {"classes": 16},
    }
    out = pretrain_caveats(pre)
    assert len(out) == 1
    assert out[0].startswith("Caveat: face-vgg16 did not learn its pre-training task")
    assert "best validation accuracy 0.094, chance 0.062" in out[0]
    assert pretrain_caveats({}) == [] and pretrain_caveats(None) == []


def test_attention_summary_averages_seeds_then_gives_a_t_interval_over_images():
    att = attention_rows(np.random.default_rng(3))
    out = attention_summary(att)
    assert out["series"].tolist() == ["alexnet · imagenet", "fe-alexnet · imagenet · pool5-r16"]
    assert out["n_images"].tolist() == [3, 3]
    sel = att[att["model"] == "fe-alexnet"]
    per_image = sel.groupby("image")["cc"].mean().to_numpy()  # over the two seeds
    m, se = per_image.mean(), per_image.std(ddof=1) / np.sqrt(3)
    lo, hi = stats.t.interval(0.95, 2, loc=m, scale=se)
    row = out.iloc[1]
    assert (row["cc"], row["cc_lo"], row["cc_hi"]) == pytest.approx((m, lo, hi))
