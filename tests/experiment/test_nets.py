"""Per-net answer tables on hand-made predictions whose answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facepsych.experiment.nets import (
    asymptote_notes,
    domain_contrast,
    net_domain,
    net_table,
    region_table,
    series_ranking,
)
from facepsych.experiment.seriesfits import series_fits
from tests.experiment import studyfixtures as sf


@pytest.fixture(scope="module")
def tables():
    preds = sf.predictions()
    series = series_fits(preds, sf.FIT)
    return preds, series, net_table(sf.cells(), preds, series)


def test_domains_from_the_panel_random_and_lab_pretraining():
    assert net_domain("mobilenet_v2", "imagenet") == "object"
    assert net_domain("dlib-resnet", "dlib") == "face"
    assert net_domain("dlib-resnet", "random") == "none"
    pre = {"f": {"task": "identity"}, "o": {"task": "objects"}}
    assert net_domain("alexnet", "pretrained:f", pre) == "face"
    assert net_domain("alexnet", "pretrained:o", pre) == "object"


def test_each_pretrained_net_has_its_twin_and_the_known_span_gain(tables):
    _, _, nets = tables
    assert list(nets["net"]) == ["mobilenet_v2 · imagenet", "dlib-resnet · dlib"]
    assert list(nets["twin"]) == ["random", "random"] and list(nets["domain"]) == ["object", "face"]
    for _, r in nets.iterrows():
        pse = 0.40 if r["domain"] == "object" else 0.60
        gain = sf.span_of("sigmoid", pse) - sf.span_of("flat", None)
        assert r["gain_span"] == pytest.approx(gain, abs=1e-9)
        assert r["twin_span"] == pytest.approx(0.2, abs=1e-9)
        assert r["pse"] == pytest.approx(pse, abs=1e-3)
        # the twin's line 0.4 + 0.2·x crosses 50 % at x = 0.5
        assert r["twin_pse"] == pytest.approx(0.5, abs=1e-3)
        assert r["gain_pse"] == pytest.approx(pse - 0.5, abs=2e-3)
        assert r["gain_pse_lo"] < r["gain_pse"] < r["gain_pse_hi"]


def test_object_vs_face_on_raw_values_and_gains(tables):
    _, _, nets = tables
    c = domain_contrast(nets).set_index(["measure", "kind"])
    raw = c.loc[("PSE", "raw")]
    assert raw["diff"] == pytest.approx(0.20, abs=2e-3) and raw["diff_lo"] > 0
    assert raw["verdict"] == "face nets reliably higher"
    span = c.loc[("span", "gain")]
    want = sf.span_of("sigmoid", 0.6) - sf.span_of("sigmoid", 0.4)
    assert span["diff"] == pytest.approx(want, abs=1e-9)
    assert c.loc[("PSE", "gain"), "diff"] == pytest.approx(0.20, abs=3e-3)
    assert domain_contrast(nets[nets["domain"] == "face"]).empty


def test_asymptote_notes_name_the_flat_twins(tables):
    _, series, _ = tables
    notes = asymptote_notes(series, 0.05, 0.05)
    want = "its floor stays at 0.40 > 0.05 and its ceiling stays at 0.60 < 0.95"
    assert len(notes) == 2 and all("random" in n and want in n for n in notes)
    one_sided = series.assign(p_min=0.01, reaches_asymptotes=False)
    assert "floor" not in asymptote_notes(one_sided, 0.05, 0.05)[0]


def test_ranking_by_distance_from_the_human_pse(tables):
    _, series, _ = tables
    rank = series_ranking(series, pd.DataFrame(), 0.514, 0.092)
    # twins at 0.5 (|z| 0.15), the face net at 0.6 (0.93), the object net at 0.4 (1.24)
    assert list(rank["series"])[2:] == ["dlib-resnet · dlib", "mobilenet_v2 · imagenet"]
    assert rank["pse_z"].iloc[2] == pytest.approx((0.60 - 0.514) / 0.092, abs=0.02)
    assert "stimulus_r" not in rank


def test_region_shares_per_net():
    regions = pd.DataFrame({"model": ["a", "a", "b"], "weights": ["x", "x", "y"],
                            "variant": "plain", "condition": "full", "eyes": [0.2, 0.4, 0.1],
                            "nose": 0.1, "mouth": [0.3, 0.1, 0.5]})  # fmt: skip
    t = region_table(regions).set_index("net")
    assert t.loc["a · x", "eyes"] == pytest.approx(0.3) and t.loc["a · x", "n"] == 2
    assert np.isclose(t.loc["b · y", "mouth"], 0.5)


def test_a_series_without_usable_pse_has_no_z_and_no_delta_pse(tables):
    from facepsych.experiment.seriesfits import series_comparison
    from facepsych.psychophysics import PUBLISHED_REFERENCE

    preds, series, _ = tables
    flagged = series.copy()
    flagged.loc[flagged["weights"] == "dlib", "flags"] = "pse_at_bound"
    cmp = series_comparison(preds, flagged, PUBLISHED_REFERENCE).assign(scope="series")
    rank = series_ranking(flagged, cmp, 0.514, 0.092).set_index("series")
    face = rank.loc["dlib-resnet · dlib"]
    assert np.isnan(face["pse"]) and np.isnan(face["pse_z"]) and np.isnan(face["delta_pse"])
    assert rank["rank"].iloc[-1] == face["rank"]  # ranked last
    obj = rank.loc["mobilenet_v2 · imagenet"]
    assert obj["delta_pse"] == pytest.approx(0.40 - 0.514, abs=2e-3)


def _on_floor(series: pd.DataFrame, weights: str) -> pd.DataFrame:
    """``series`` with the fits of ``weights`` on the σ floor of the companion fit."""
    s = series.copy()
    at = s["weights"] == weights
    floor_slope = 0.96 / (0.1 * np.sqrt(2 * np.pi))
    s.loc[at, ["sigma", "slope", "slope_lo", "slope_hi"]] = [0.1, floor_slope, floor_slope,
                                                             floor_slope]  # fmt: skip
    s.loc[at, "flags"] = "sigma_at_bound"
    return s


def test_a_slope_on_the_sigma_floor_is_a_lower_bound_and_so_is_its_gain(tables):
    preds, series, _ = tables
    s = _on_floor(_on_floor(series, "imagenet"), "dlib")
    nets = net_table(sf.cells(), preds, s).set_index("net")
    for name in ("mobilenet_v2 · imagenet", "dlib-resnet · dlib"):
        r = nets.loc[name]
        assert r["slope_bound"] == "lower" and r["twin_slope_bound"] == ""
        assert r["slope_lo"] == r["slope"] and r["slope_hi"] == np.inf
        assert np.isfinite(r["pse"])  # the PSE stays usable
        assert r["gain_slope_bound"] == "lower"
        assert r["gain_slope"] == pytest.approx(r["slope"] - r["twin_slope"])
        assert r["gain_slope_lo"] == pytest.approx(r["slope"] - r["twin_slope_hi"])
        assert r["gain_slope_hi"] == np.inf
    c = domain_contrast(nets.reset_index()).set_index(["measure", "kind"])
    for kind in ("raw", "gain"):
        row = c.loc[("slope", kind)]
        assert np.isnan(row["diff"]) and row["verdict"].startswith("not measurable: σ on its floor")
    assert c.loc[("PSE", "raw"), "verdict"] == "face nets reliably higher"
    rank = series_ranking(s, pd.DataFrame(), 0.514, 0.092).set_index("series")
    assert rank.loc["dlib-resnet · dlib", "slope_bound"] == "lower"
    assert rank.loc["dlib-resnet · random", "slope_bound"] == ""


def test_a_twin_on_the_floor_bounds_the_gain_from_above_and_both_give_none(tables):
    preds, series, _ = tables
    nets = net_table(sf.cells(), preds, _on_floor(series, "random")).set_index("net")
    r = nets.loc["dlib-resnet · dlib"]
    assert r["twin_slope_bound"] == "lower" and r["gain_slope_bound"] == "upper"
    assert r["gain_slope_lo"] == -np.inf
    assert r["gain_slope_hi"] == pytest.approx(r["slope_hi"] - r["twin_slope"])
    both = _on_floor(_on_floor(series, "random"), "dlib")
    r = net_table(sf.cells(), preds, both).set_index("net").loc["dlib-resnet · dlib"]
    assert r["gain_slope_bound"] == "both" and np.isnan(r["gain_slope"])
