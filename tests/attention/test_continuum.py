"""cam_continuum: the per-continuum CAM work shared by ``facepsych cam`` and the study runner."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from facepsych.attention import (
    CamSettings,
    cam_continuum,
    cam_steps,
    compute_cams,
    default_cam_layer,
    region_shares,
)
from facepsych.errors import FacepsychError
from facepsych.stimuli import box_masks, load_continuum, region_masks

SHARES = ("eyes", "nose", "mouth", "other", "diagnostic_ratio")


@pytest.fixture(scope="module")
def net():
    from facepsych.models import build_model

    torch.manual_seed(0)
    return build_model("alexnet", "random", hidden=8, seed=0, image_size=64).eval()


@pytest.fixture(scope="module")
def continuum(tmp_path_factory):
    from facepsych.synthetic import write_synthetic_continuum

    root = tmp_path_factory.mktemp("cont") / "id3"
    write_synthetic_continuum(root, 3, steps=5, size=48, condition="full")
    return load_continuum(root)


def _reference(net, continuum, steps, layer, method, landmarks):
    """The maps and shares composed by hand from compute_cams, the stimuli masks and
    region_shares."""
    images = [Image.open(continuum.frames[s]).convert("RGB") for s in steps]
    res = compute_cams(net, net.preprocessing.batch(images), method=method, layers=(layer,))
    maps = res.maps.numpy()
    shares = []
    for j, s in enumerate(steps):
        if landmarks:
            w, h = images[j].size
            pts = np.asarray(continuum.landmarks[s], float) * [maps.shape[2] / w, maps.shape[1] / h]
            masks = region_masks(pts, continuum.scheme, maps.shape[1:])
        else:
            masks = box_masks(maps.shape[1:])
        shares.append(region_shares(maps[j], {k: masks[k] for k in ("eyes", "nose", "mouth")}))
    return maps, shares


@pytest.mark.parametrize("regions", ["landmarks", "boxes"])
def test_rows_and_maps_equal_the_hand_composed_path(net, continuum, regions):
    settings = CamSettings(method="gradcam", steps=[0, 2, 4])
    rows, maps, steps, sizes = cam_continuum(net, continuum, settings, regions=regions)
    ref_maps, ref_shares = _reference(
        net, continuum, [0, 2, 4], "features.11", "gradcam", regions == "landmarks"
    )
    np.testing.assert_allclose(maps, ref_maps, atol=1e-6)
    assert maps.shape == (3, 64, 64) and steps.tolist() == [0, 2, 4]
    assert sizes == [(48, 48)] * 3
    for row, ref in zip(rows, ref_shares, strict=True):
        np.testing.assert_allclose([row[k] for k in SHARES], [ref[k] for k in SHARES], atol=1e-9)


def test_rows_carry_ident_first_and_shares_sum_to_one(net, continuum):
    ident = {"cell_id": "c0", "model": "alexnet", "continuum": "face3", "condition": "full"}
    rows, maps, steps, _ = cam_continuum(net, continuum, CamSettings(), ident=ident)
    assert len(rows) == 5 and maps.shape == (5, 64, 64) and steps.tolist() == [0, 1, 2, 3, 4]
    assert list(rows[0])[:7] == ["cell_id", "model", "continuum", "condition", "step", "level",
                                 "method"]  # fmt: skip
    assert rows[0]["continuum"] == "face3" and rows[0]["layers"] == "features.11"
    assert [r["level"] for r in rows] == [0.0, 0.25, 0.5, 0.75, 1.0]
    for r in rows:
        assert r["eyes"] + r["nose"] + r["mouth"] + r["other"] == pytest.approx(1.0)
    assert maps.min() >= 0.0 and maps.max() <= 1.0


def test_without_ident_rows_name_the_continuum_itself(net, continuum):
    rows, *_ = cam_continuum(net, continuum, CamSettings(steps=[1]))
    assert (rows[0]["continuum"], rows[0]["condition"], rows[0]["step"]) == ("id3", "full", 1)


def test_fused_layers_and_a_class_index_target(net, continuum):
    settings = CamSettings(layers=["features.8", "features.11"], target="0", steps=[0])
    rows, maps, *_ = cam_continuum(net, continuum, settings)
    assert rows[0]["layers"] == "features.8+features.11"
    image = Image.open(continuum.frames[0]).convert("RGB")
    ref = compute_cams(
        net, net.preprocessing.batch([image]), layers=("features.8", "features.11"), target=0
    )
    np.testing.assert_allclose(maps, ref.maps.numpy(), atol=1e-6)


def test_cam_steps_drop_out_of_range_indices():
    assert cam_steps(3, CamSettings()) == [0, 1, 2]
    assert cam_steps(3, CamSettings(steps=[2, 5, -1, 0])) == [2, 0]


def test_settings_from_a_study_section_ignore_other_keys():
    s = CamSettings.from_dict(
        {"enabled": True, "method": "gradcam", "layers": ["features.8"], "steps": [0, 1],
         "conditions": ["full", "eyes"], "target": "predicted"}
    )  # fmt: skip
    assert s == CamSettings("gradcam", ("features.8",), "predicted", (0, 1), ("full", "eyes"))
    assert CamSettings.from_dict(s.as_dict()) == s


def test_errors_are_one_line(net, continuum):
    with pytest.raises(FacepsychError, match=r"^unknown CAM method 'scorecam'; use one of"):
        CamSettings(method="scorecam")
    with pytest.raises(FacepsychError, match=r"^CAM steps must be 'all' or frame indices"):
        CamSettings(steps="some")
    with pytest.raises(FacepsychError, match=r"^unknown regions 'hull'; use landmarks or boxes$"):
        cam_continuum(net, continuum, CamSettings(), regions="hull")
    with pytest.raises(FacepsychError, match=r"^no CAM step of \[7\] lies in the 5 frames of id3$"):
        cam_continuum(net, continuum, CamSettings(steps=[7]))
    with pytest.raises(FacepsychError, match=r"^unknown layer 'features.99'"):
        cam_continuum(net, continuum, CamSettings(layers=["features.99"]))


def test_default_layer_is_the_last_relu_of_the_features():
    import torchvision

    assert default_cam_layer(torchvision.models.alexnet(num_classes=2)) == "features.11"
    assert default_cam_layer(torchvision.models.vgg11(num_classes=2)) == "features.19"
    with pytest.raises(FacepsychError, match=r"^the model has no 'features'"):
        default_cam_layer(torch.nn.Linear(2, 2))
