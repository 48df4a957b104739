"""mobilenet_v2: the packaged ImageNet file against torchvision's own model on a shipped photo."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest
import torch
import torchvision
from PIL import Image

from facepsych.models.archs import PANEL, build_features, load_packaged_weights
from facepsych.models.weights import read_state_dict
from tests.models.archs.conftest import packaged_path

GRACE_HOPPER = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


def test_top_classes_on_grace_hopper_match_torchvision():
    """Our features + the file's classifier vs torchvision's mobilenet_v2() with the same file."""
    if not GRACE_HOPPER.is_file():
        pytest.skip(f"{GRACE_HOPPER} is absent")
    path = packaged_path("mobilenet_v2")
    meta = torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1
    x = meta.transforms()(Image.open(GRACE_HOPPER))[None]
    reference = torchvision.models.mobilenet_v2()
    reference.load_state_dict(torch.load(path, weights_only=True))
    features = build_features("mobilenet_v2")
    info = load_packaged_weights(features, "mobilenet_v2", "imagenet")
    state = read_state_dict(path)
    with torch.no_grad():
        pooled = features.eval()(x).mean(dim=(2, 3))
        logits = pooled @ state["classifier.1.weight"].T + state["classifier.1.bias"]
        ours = torch.softmax(logits, 1)
        theirs = torch.softmax(reference.eval()(x), 1)
    categories = meta.meta["categories"]
    top = ours[0].topk(2)
    assert [categories[i] for i in top.indices] == ["bow tie", "military uniform"]
    assert top.values.tolist() == pytest.approx([0.51, 0.18], abs=0.005)
    assert torch.allclose(ours, theirs, atol=1e-5)
    assert info.loaded_keys == 312 and len(info.skipped) == 2


def test_native_map_is_7x7_at_the_cam_layer():
    arch = PANEL["mobilenet_v2"]
    with torch.device("meta"):
        features = build_features("mobilenet_v2")
        out = features(torch.zeros(1, 3, arch.input_size, arch.input_size))
    assert arch.cam_layer == "features.18" and tuple(out.shape) == (1, 1280, 7, 7)
