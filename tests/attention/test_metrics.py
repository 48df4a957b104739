"""Fixation metrics: hand-computed golden values on tiny maps, and known properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from facepsych.attention import auc_borji, auc_judd, auc_shuffled, cc, kl_div, nss, sim
from facepsych.attention.fixations import fixation_density
from facepsych.attention.metrics import EPS, _split_auc, _thresholds
from facepsych.errors import FacepsychError

S22 = np.array([[0.0, 1.0], [2.0, 3.0]])


# ---------------------------------------------------------------- golden values (by hand)
def test_nss_golden_uses_matlab_sample_std():
    # mean 1.5, std (N-1) = sqrt(5/3); fixation on the 3 -> 1.5 / sqrt(5/3)
    fix = np.array([[0, 0], [0, 1.0]])
    assert nss(S22, fix) == pytest.approx(1.5 / math.sqrt(5 / 3), rel=1e-12)


def test_nss_points_equal_map():
    pts = np.array([[1.2, 1.7], [0.5, 0.1]])  # pixels (col 1, row 1) and (col 0, row 0)
    fix = np.array([[1.0, 0], [0, 1.0]])
    assert nss(S22, pts) == pytest.approx(nss(S22, fix))
    assert nss(S22, fix) == pytest.approx(0.0)  # values 0 and 3 average to the mean 1.5


def test_cc_golden():
    # centred: a = [-1.5, -.5, .5, 1.5], b = [-1.5, .5, -.5, 1.5]: a.b = 4, |a|^2 = |b|^2 = 5
    assert cc(np.array([[1, 2], [3, 4.0]]), np.array([[1, 3], [2, 4.0]])) == pytest.approx(0.8)


def test_sim_golden():
    # S -> [0, 1/3, 1] -> [0, .25, .75]; Q -> [1, 1, 0] -> [.5, .5, 0]; sum of minima = .25
    assert sim(np.array([[0, 1, 3.0]]), np.array([[1, 1, 0.0]])) == pytest.approx(0.25)


def test_kl_golden():
    # P = [.25, .75], Q = [.5, .5]: KL(Q||P) = .5 ln 2 + .5 ln(2/3) = .5 ln(4/3)
    assert kl_div(np.array([[1, 3.0]]), np.array([[1, 1.0]])) == pytest.approx(
        0.5 * math.log(4 / 3), abs=1e-12
    )


def test_kl_eps_is_matlab_eps():
    assert EPS == 2.2204e-16
    # zero saliency where Q has mass: Q log(eps + Q/eps) is finite and large
    val = kl_div(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]))
    assert val == pytest.approx(
        0.5 * math.log(EPS + 0.5 / EPS) + 0.5 * math.log(EPS + 0.5 / (1 + EPS))
    )


def test_auc_judd_golden_matches_matlab_curve():
    # fixation on the max -> 1; fixation on the value 1 of [0,1,2,3]: S >= 1/3 holds for 3
    # pixels, FP = (3-1)/(4-1) = 2/3, TP = 1: area of (0,0)-(2/3,1)-(1,1) = 2/3
    assert auc_judd(S22, np.array([[0, 0], [0, 1.0]]), jitter=False) == pytest.approx(1.0)
    assert auc_judd(S22, np.array([[0, 1.0], [0, 0]]), jitter=False) == pytest.approx(2 / 3)


def test_borji_split_golden():
    # fixations .9, .35 vs negatives .5, .05; thresholds .9 ... 0: area .75 (3 of 4 pairs won)
    assert _split_auc(np.sort([0.9, 0.35]), np.array([0.5, 0.05]), 0.1, 2) == pytest.approx(0.75)


def test_thresholds_follow_matlab_colon():
    th = _thresholds(0.9, 0.1)
    assert len(th) == 10 and th[0] == 0.9 and th[-1] == 0.0  # 0.9 itself, not 9 * 0.1
    assert list(np.round(_thresholds(0.95, 0.1), 10)) == list(
        np.round(np.arange(9, -1, -1) * 0.1, 10)
    )


# ---------------------------------------------------------------- properties
def _blob(h=24, w=32, cx=10.0, cy=8.0, s=3.0):
    y, x = np.mgrid[0:h, 0:w]
    return np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s))


def _fix_points(rng, n=40, cx=10.0, cy=8.0, s=3.0, h=24, w=32):
    pts = rng.normal([cx, cy], s, size=(n, 2))
    return np.clip(pts, 0, [w - 1e-3, h - 1e-3])


def test_nss_of_density_map_is_high_and_inverted_is_low():
    rng = np.random.default_rng(0)
    pts = _fix_points(rng)
    dens = fixation_density(pts, (24, 32), sigma=3)
    assert nss(dens, pts) > 1.5
    assert nss(dens.max() - dens, pts) < -1.0


def test_identity_properties():
    rng = np.random.default_rng(1)
    m = rng.random((12, 9))
    assert cc(m, m) == pytest.approx(1.0)
    assert sim(m, m) == pytest.approx(1.0)
    assert kl_div(m, m) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("fn", [auc_judd, auc_borji])
def test_constant_map_auc_is_half(fn):
    rng = np.random.default_rng(2)
    assert fn(np.full((10, 10), 0.3), _fix_points(rng, 10, 5, 5, 2, 10, 10)) == 0.5


def test_constant_map_shuffled_auc_is_half():
    rng = np.random.default_rng(3)
    pts = _fix_points(rng, 10, 5, 5, 2, 10, 10)
    assert auc_shuffled(np.ones((10, 10)), pts, pts[::-1]) == 0.5


def test_aucs_rank_good_above_bad_maps():
    rng = np.random.default_rng(4)
    pts = _fix_points(rng)
    good, bad = _blob(), _blob(cx=25, cy=18)
    for fn in (auc_judd, auc_borji):
        assert fn(good, pts) > 0.85
    assert auc_judd(bad, pts) < 0.3
    # Borji's 0.1 threshold steps lump the many near-zero values: the bad map sits near chance
    assert auc_borji(bad, pts) < 0.5
    other = _fix_points(np.random.default_rng(5), 40, 16, 12, 8)  # broad "centre bias" elsewhere
    assert auc_shuffled(good, pts, other) > 0.7


def test_shuffled_auc_with_own_fixations_as_negatives_is_half():
    # negatives drawn from the same pixels: the ROC runs on the diagonal in every split
    rng = np.random.default_rng(6)
    pts = _fix_points(rng)
    assert auc_shuffled(_blob(), pts, pts) == pytest.approx(0.5)


def test_seeded_auc_is_reproducible_and_seed_matters():
    rng = np.random.default_rng(7)
    pts = _fix_points(rng, 15)
    m = rng.random((24, 32))
    assert auc_borji(m, pts, seed=3) == auc_borji(m, pts, seed=3)
    assert auc_borji(m, pts, seed=3) != auc_borji(m, pts, seed=4)
    assert auc_judd(m, pts, seed=1) == auc_judd(m, pts, seed=1)


def test_saliency_map_is_resized_to_the_fixation_frame():
    big = _blob(48, 64, 20, 16, 6)
    small = _blob(24, 32, 10, 8, 3)
    pts = _fix_points(np.random.default_rng(8))
    assert nss(big, pts, shape=(24, 32)) == pytest.approx(nss(small, pts), rel=0.05)


@settings(max_examples=30, deadline=None)
@given(
    arrays(np.float64, (6, 7), elements=st.floats(0, 10, allow_nan=False)),
    arrays(np.float64, (6, 7), elements=st.floats(0, 10, allow_nan=False)),
)
def test_metric_ranges(a, b):
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return
    assert -1 - 1e-9 <= cc(a, b) <= 1 + 1e-9
    assert -1e-12 <= sim(a, b) <= 1 + 1e-9
    assert kl_div(a, b) >= -1e-9
    fix = b > np.median(b)
    if fix.any() and not fix.all():
        assert 0.0 <= auc_judd(a, fix.astype(float)) <= 1.0
        assert 0.0 <= auc_borji(a, fix.astype(float), n_splits=5) <= 1.0


# ---------------------------------------------------------------- errors
def test_empty_fixations_error():
    with pytest.raises(FacepsychError, match="^no fixations$"):
        nss(S22, np.zeros((0, 2)))
    with pytest.raises(FacepsychError, match="no fixations: the fixation map is all zero"):
        auc_judd(S22, np.zeros((2, 2)))


def test_fixation_outside_image_error():
    with pytest.raises(FacepsychError, match=r"fixation \(x=2, y=0\) lies outside the 2x2 image"):
        nss(S22, np.array([[2.0, 0.0]]))


def test_points_need_sigma_for_distribution_metrics():
    with pytest.raises(FacepsychError, match="give sigma"):
        cc(S22, np.array([[1.0, 1.0]]))


def test_shuffled_auc_needs_other_fixations():
    with pytest.raises(FacepsychError, match="needs fixations from other images"):
        auc_shuffled(S22, np.array([[1.0, 1.0]]), np.zeros((0, 2)))
