"""Fixation CSV, fixation maps and density maps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facepsych.attention import fixation_density, fixation_map, load_fixations
from facepsych.attention.fixations import sigma_pixels
from facepsych.errors import FacepsychError


def test_fixation_map_counts_pixels_by_floor():
    pts = np.array([[0.2, 0.9], [0.99, 0.0], [2.5, 1.5]])
    m = fixation_map(pts, (3, 4))
    expected = np.zeros((3, 4))
    expected[0, 0] = 2
    expected[1, 2] = 1
    np.testing.assert_array_equal(m, expected)


def test_density_sums_to_one_and_peaks_at_fixation():
    d = fixation_density(np.array([[10.0, 5.0]]), (12, 20), sigma=2.0)
    assert d.sum() == pytest.approx(1.0)
    assert np.unravel_index(d.argmax(), d.shape) == (5, 10)
    # a Gaussian: the profile along x is exp(-dx^2 / (2 sigma^2)) relative to the peak
    assert d[5, 12] / d[5, 10] == pytest.approx(np.exp(-4 / 8), rel=1e-3)


def test_sigma_in_degrees_equals_pixels_times_ppd():
    pts = np.array([[8.0, 8.0], [3.0, 12.0]])
    a = fixation_density(pts, (16, 16), sigma_deg=0.5, ppd=6.0)
    b = fixation_density(pts, (16, 16), sigma=3.0)
    np.testing.assert_allclose(a, b)
    assert sigma_pixels(sigma_deg=1.0, ppd=35.0) == 35.0


def test_sigma_zero_gives_normalised_counts():
    d = fixation_density(np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]), (2, 2), sigma=0)
    np.testing.assert_allclose(d, [[1 / 3, 0], [0, 2 / 3]])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 19.99), st.floats(0, 9.99)), min_size=1, max_size=20),
       st.floats(0.5, 4))  # fmt: skip
def test_density_is_a_distribution(points, sigma):
    d = fixation_density(np.array(points), (10, 20), sigma=sigma)
    assert d.min() >= 0 and d.sum() == pytest.approx(1.0)


def test_sigma_errors():
    with pytest.raises(FacepsychError, match="needs a positive pixels-per-degree"):
        sigma_pixels(sigma_deg=1.0)
    with pytest.raises(FacepsychError, match="not both"):
        sigma_pixels(2.0, sigma_deg=1.0, ppd=3)
    with pytest.raises(FacepsychError, match="sigma must be a non-negative number"):
        fixation_density(np.array([[1.0, 1.0]]), (4, 4))


def test_outside_and_empty_errors():
    with pytest.raises(FacepsychError, match=r"^fixation \(x=-1, y=2\) lies outside the 4x3 image"):
        fixation_map(np.array([[-1.0, 2.0]]), (3, 4))
    with pytest.raises(FacepsychError, match=r"lies outside the 4x3 image \(1 of 2"):
        fixation_map(np.array([[1.0, 1.0], [1.0, 3.0]]), (3, 4))  # y == H is outside
    with pytest.raises(FacepsychError, match="^no fixations$"):
        fixation_map(np.zeros((0, 2)), (3, 4))


def test_load_fixations_csv(tmp_path):
    p = tmp_path / "fix.csv"
    p.write_text(
        "Image,X,Y,subject,duration\na.png,1,2,s1,200\na.png,3.5,4,s2,150\nb.png,0,0,s1,90\n"
    )
    df = load_fixations(p)
    assert list(df.columns) == ["image", "x", "y", "subject", "duration"]
    assert df["x"].tolist() == [1.0, 3.5, 0.0]
    assert df["duration"].dtype == float


def test_load_fixations_errors(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("image,x\na.png,1\n")
    with pytest.raises(FacepsychError, match="lacks column\\(s\\) y; expected image, x, y"):
        load_fixations(p)
    p.write_text("image,x,y\n")
    with pytest.raises(FacepsychError, match="^no fixations in"):
        load_fixations(p)
    p.write_text("image,x,y\na.png,1,2\na.png,oops,2\n")
    with pytest.raises(FacepsychError, match="f.csv line 3: column 'x' is not a number"):
        load_fixations(p)
    with pytest.raises(FacepsychError, match="fixation file not found"):
        load_fixations(tmp_path / "missing.csv")
