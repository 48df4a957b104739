"""Named regions from landmarks (both schemes) and the companion's fixed boxes."""

from __future__ import annotations

import numpy as np
import pytest

from facepsych.errors import FacepsychError
from facepsych.stimuli import (
    COMPANION_BOXES,
    box_masks,
    read_landmarks,
    region_masks,
    region_outlines,
    region_polygons,
)
from facepsych.stimuli.regions import polygon_mask, scale_box


def test_companion_boxes_at_224_are_exact():
    masks = box_masks((224, 224))
    for name, (x0, y0, x1, y1) in COMPANION_BOXES.items():
        ys, xs = np.nonzero(masks[name])
        assert (xs.min(), ys.min(), xs.max(), ys.max()) == (x0, y0, x1, y1)
        assert masks[name].sum() == (x1 - x0 + 1) * (y1 - y0 + 1)


def test_companion_boxes_scale_with_the_image():
    assert scale_box((52, 70, 171, 99), (448, 448)) == (104, 140, 343, 199)
    masks = box_masks((448, 448))
    assert masks["eyes"].sum() == 4 * 120 * 30
    # fractional cover is preserved on odd sizes
    m = box_masks((100, 300))["mouth"]
    ys, xs = np.nonzero(m)
    assert xs.min() == int(52 * 300 / 224) and ys.max() == int(np.ceil(200 * 100 / 224)) - 1


def test_polygon_mask_is_pixel_centres_inside():
    mask = polygon_mask(np.array([[2, 3], [7, 3], [7, 5], [2, 5]], float), (10, 10))
    expected = np.zeros((10, 10), bool)
    expected[3:6, 2:8] = True
    np.testing.assert_array_equal(mask, expected)


def _ibug_face():
    """A coarse synthetic 68-point face in a 200x200 frame (jaw U, eyes, nose, mouth)."""
    pts = np.zeros((68, 2))
    t = np.linspace(np.pi, 0, 17)
    pts[0:17] = np.c_[100 + 80 * np.cos(t), 90 + 90 * np.sin(t)]
    pts[17:22] = np.c_[np.linspace(40, 85, 5), np.full(5, 60)]
    pts[22:27] = np.c_[np.linspace(115, 160, 5), np.full(5, 60)]
    for k, cx in ((36, 65), (42, 135)):
        a = np.linspace(0, 2 * np.pi, 7)[:-1]
        pts[k : k + 6] = np.c_[cx + 15 * np.cos(a), 80 + 6 * np.sin(a)]
    pts[27:31] = np.c_[np.full(4, 100), np.linspace(80, 115, 4)]
    pts[31:36] = np.c_[np.linspace(88, 112, 5), np.full(5, 125)]
    a = np.linspace(0, 2 * np.pi, 13)[:-1]
    pts[48:60] = np.c_[100 + 30 * np.cos(a), 150 + 10 * np.sin(a)]
    b = np.linspace(0, 2 * np.pi, 9)[:-1]
    pts[60:68] = np.c_[100 + 20 * np.cos(b), 150 + 4 * np.sin(b)]
    return pts


def test_ibug_regions_cover_their_parts():
    pts = _ibug_face()
    masks = region_masks(pts, "ibug68", (200, 200))
    assert masks["eyes"][80, 65] and masks["eyes"][80, 135] and masks["eyes"][80, 100]
    assert masks["mouth"][150, 100] and not masks["mouth"][80, 100]
    assert masks["nose"][110, 100] and not masks["nose"][150, 100]
    assert masks["face"][100, 100] and not masks["face"][195, 5]
    assert not (masks["eyes"] & masks["mouth"]).any()


def test_brows_and_pad_grow_the_eye_region():
    pts = _ibug_face()
    plain = region_masks(pts, "ibug68", (200, 200))["eyes"]
    brows = region_masks(pts, "ibug68", (200, 200), brows=True)["eyes"]
    padded = region_masks(pts, "ibug68", (200, 200), pad=0.1)["eyes"]
    assert brows[62, 60] and not plain[62, 60]
    assert plain.sum() < padded.sum() and (plain <= padded).all()


def test_webmorph_regions_on_london_face(london_faces):
    lm = read_landmarks(london_faces / "neutral" / "001.tem")
    outlines = region_outlines(lm)
    # pupils lie inside the eye outlines; image-left eye is left of image-right eye
    for pupil, eye in ((0, "left_eye"), (1, "right_eye")):
        assert polygon_mask(outlines[eye], (675, 675))[
            int(lm.points[pupil, 1]), int(lm.points[pupil, 0])
        ]
    assert outlines["left_eye"][:, 0].mean() < outlines["right_eye"][:, 0].mean()
    polys = region_polygons(lm)
    ys = {k: polys[k][:, 1].mean() for k in ("eyes", "nose", "mouth")}
    assert ys["eyes"] < ys["nose"] < ys["mouth"]
    masks = region_masks(lm, None, (675, 675))
    face = masks["face"]
    for region in ("eyes", "nose", "mouth"):
        assert (masks[region] & ~face).sum() == 0, region


def test_generic_scheme_has_no_named_regions():
    with pytest.raises(FacepsychError, match="named regions need the ibug68 or webmorph189"):
        region_polygons(np.zeros((5, 2)), "generic")


def test_ibug_oval_includes_the_forehead_and_excludes_the_corners():
    from facepsych.stimuli import oval_mask

    pts = _ibug_face()
    mask = oval_mask(pts, "ibug68", (200, 200)) > 0.5
    brow_y = pts[17:27, 1].mean()
    forehead_y = int(brow_y - 0.5 * (pts[33, 1] - brow_y))  # half-way up the lifted band
    assert mask[forehead_y, 100] and mask[int(pts[8, 1]) - 3, 100]
    assert not mask[2, 2] and not mask[2, 197]
