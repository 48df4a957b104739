"""Region shares, diagnostic ratio, vertical profile, tidy rows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from facepsych.attention import (
    REGION_COLUMNS,
    companion_masks,
    region_rows,
    region_shares,
    vertical_profile,
)
from facepsych.errors import FacepsychError


def _masks(shape=(10, 10)):
    m = {r: np.zeros(shape, bool) for r in ("eyes", "nose", "mouth")}
    m["eyes"][1:3, 2:8] = True
    m["nose"][4:6, 4:6] = True
    m["mouth"][7:9, 3:7] = True
    return m


def test_shares_golden():
    cam = np.zeros((10, 10))
    cam[1, 2] = 2.0  # eyes
    cam[4, 4] = 1.0  # nose
    cam[7, 3] = 3.0  # mouth
    cam[0, 0] = 4.0  # elsewhere
    s = region_shares(cam, _masks())
    assert s["eyes"] == pytest.approx(0.2)
    assert s["nose"] == pytest.approx(0.1)
    assert s["mouth"] == pytest.approx(0.3)
    assert s["other"] == pytest.approx(0.4)
    assert s["diagnostic_ratio"] == pytest.approx(0.5 / 0.6)


def test_overlapping_masks_count_once_in_order_eyes_nose_mouth():
    m = _masks()
    m["nose"][1:3, 2:8] = True  # nose mask also covers the eyes box
    cam = np.zeros((10, 10))
    cam[1, 2] = 1.0
    s = region_shares(cam, m)
    assert (s["eyes"], s["nose"], s["other"]) == (1.0, 0.0, 0.0)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, (10, 10), elements=st.floats(0, 5, allow_nan=False)))
def test_shares_sum_to_one(cam):
    s = region_shares(cam, _masks())
    if cam.sum() == 0:
        assert np.isnan(s["eyes"])
        return
    assert s["eyes"] + s["nose"] + s["mouth"] + s["other"] == pytest.approx(1.0)
    assert all(0 <= s[k] <= 1 + 1e-12 for k in ("eyes", "nose", "mouth", "other"))


def test_torch_maps_and_negative_values_clipped():
    import torch

    cam = torch.zeros(10, 10)
    cam[8, 4] = 1.0
    cam[0, 0] = -5.0
    assert region_shares(cam, _masks())["mouth"] == 1.0


def test_empty_map_and_no_region_mass():
    assert np.isnan(region_shares(np.zeros((10, 10)), _masks())["diagnostic_ratio"])
    cam = np.zeros((10, 10))
    cam[0, 0] = 1
    s = region_shares(cam, _masks())
    assert s["other"] == 1.0 and np.isnan(s["diagnostic_ratio"])


def test_mask_errors():
    with pytest.raises(FacepsychError, match="region masks lack mouth"):
        region_shares(np.ones((10, 10)), {k: v for k, v in _masks().items() if k != "mouth"})
    with pytest.raises(FacepsychError, match=r"mask 'eyes' has shape \(10, 10\) but the CAM"):
        region_shares(np.ones((5, 5)), _masks())


def test_companion_boxes_at_224_match_the_paper():
    m = companion_masks((224, 224))
    ys, xs = np.nonzero(m["eyes"])
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (52, 171, 70, 99)
    ys, xs = np.nonzero(m["mouth"])
    assert (ys.min(), ys.max()) == (169, 199)
    small = companion_masks((13, 13))
    assert small["eyes"].any() and small["eyes"].shape == (13, 13)


def test_vertical_profile_peak_region():
    cam = np.zeros((10, 10))
    cam[7:9, 3:7] = 1.0  # mass on the mouth rows
    prof = vertical_profile(cam, _masks(), sigma=0)
    np.testing.assert_allclose(prof.profile, cam.sum(1))
    assert prof.peak_row == 7 and prof.peak_region == "mouth"
    smooth = vertical_profile(cam, _masks(), sigma=1.0)
    assert smooth.profile.sum() == pytest.approx(cam.sum())  # reflect mode keeps the mass
    assert vertical_profile(cam, None).peak_region == "other"
    assert smooth.as_dict()["peak_region"] == "mouth"


def test_region_rows_tidy():
    maps = np.zeros((2, 10, 10))
    maps[0, 1, 2] = 1
    maps[1, 8, 4] = 1
    rows = region_rows(maps, _masks(), images=["a", "b"], levels=[0.0, 1.0], layer="features.11")
    assert list(rows[0]) == list(REGION_COLUMNS)
    assert (rows[0]["eyes"], rows[1]["mouth"], rows[1]["level"]) == (1.0, 1.0, 1.0)
    with pytest.raises(FacepsychError, match="1 image names for 2 maps"):
        region_rows(maps, _masks(), images=["a"])
