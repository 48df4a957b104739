"""Identity, region-weight and nuisance parameters."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facepsych.errors import FacepsychError
from facepsych.synthetic import (
    FaceParams,
    Nuisance,
    RegionWeights,
    sample_identity,
    sample_nuisance,
)


def test_same_seed_same_identity_and_different_seeds_differ():
    assert sample_identity(5) == sample_identity(5)
    assert sample_identity(5) != sample_identity(6)
    assert len({sample_identity(i).skin for i in range(20)}) > 5


def test_face_params_round_trip_and_unknown_key():
    p = sample_identity(3)
    assert FaceParams.from_dict(p.as_dict()) == p
    with pytest.raises(FacepsychError, match=r"^unknown face parameter\(s\): beard$"):
        FaceParams.from_dict({**p.as_dict(), "beard": 1})


def test_negative_seed_is_a_user_error():
    with pytest.raises(FacepsychError, match="seed must be a non-negative integer, got -1"):
        sample_identity(-1)


@given(st.floats(-1, 1), st.floats(-3, 3), st.floats(-3, 3), st.floats(-3, 3))
def test_region_expression_is_weighted_and_clipped(e, wb, we, wm):
    r = RegionWeights(brows=wb, eyes=we, mouth=wm).apply(e)
    for key, w in (("brows", wb), ("eyes", we), ("mouth", wm)):
        assert r[key] == pytest.approx(max(-1.0, min(1.0, w * e)))


def test_region_weights_from_string_and_errors():
    assert RegionWeights.coerce("eyes=1, mouth=0") == RegionWeights(brows=1, eyes=1, mouth=0)
    assert RegionWeights.coerce({"brows": 0}) == RegionWeights(brows=0)
    assert RegionWeights.coerce(None) == RegionWeights()
    with pytest.raises(FacepsychError, match=r"^bad region weight 'eyes'; write e\.g\. "):
        RegionWeights.coerce("eyes")
    with pytest.raises(FacepsychError, match=r"unknown expression region\(s\): nose \(use"):
        RegionWeights.coerce("nose=1")


@settings(max_examples=25)
@given(st.integers(0, 2**31 - 1))
def test_zero_strength_nuisance_is_the_canonical_view(seed):
    nz = sample_nuisance(seed, 0.0)
    canon = Nuisance()
    for field in ("rotation", "yaw", "light", "noise"):
        assert getattr(nz, field) == 0.0
    assert nz.scale == 1.0 and nz.shift == (0.0, 0.0) and nz.ambient == 1.0
    assert nz.background == canon.background == "plain"


@settings(max_examples=25)
@given(st.integers(0, 2**31 - 1), st.floats(0.0, 1.0))
def test_nuisance_ranges_scale_with_strength(seed, s):
    nz = sample_nuisance(seed, s)
    assert abs(nz.rotation) <= 8 * s + 1e-9
    assert abs(nz.yaw) <= 0.6 * s + 1e-9
    assert 0 <= nz.noise <= 6 * s + 1e-9
    assert max(abs(v) for v in nz.shift) <= 0.04 * s + 1e-9
    assert sample_nuisance(seed, s) == nz


def test_negative_strength_is_a_user_error():
    with pytest.raises(FacepsychError, match="nuisance strength must be >= 0, got -1"):
        sample_nuisance(0, -1)
