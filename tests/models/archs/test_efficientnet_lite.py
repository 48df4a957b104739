"""efficientnet-lite0: the key mapping against a direct functional forward over the file's own
keys, and ImageNet sense on a photo that matplotlib ships."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import pytest
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image

from facepsych.models.archs import PANEL, build_features, load_packaged_weights
from facepsych.models.preprocessing import preprocessing_for
from facepsych.models.weights import read_state_dict
from tests.models.archs.conftest import packaged_path

GRACE_HOPPER = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
#: EfficientNet-Lite0's block list: (kernel, stride, expand, in, out), one row per block
BLOCKS = [(3, 1, 1, 32, 16), (3, 2, 6, 16, 24), (3, 1, 6, 24, 24), (5, 2, 6, 24, 40),
          (5, 1, 6, 40, 40), (3, 2, 6, 40, 80), (3, 1, 6, 80, 80), (3, 1, 6, 80, 80),
          (5, 1, 6, 80, 112), (5, 1, 6, 112, 112), (5, 1, 6, 112, 112), (5, 2, 6, 112, 192),
          (5, 1, 6, 192, 192), (5, 1, 6, 192, 192), (5, 1, 6, 192, 192),
          (3, 1, 6, 192, 320)]  # fmt: skip


def _reference_logits(state: dict, x: torch.Tensor) -> torch.Tensor:
    """EfficientNet-Lite forward written straight over the lukemelas keys (TF "SAME" padding)."""

    def conv(x, key, stride=1, groups=1):
        w = state[key]
        k, ih = w.shape[-1], x.shape[-1]
        pad = max((math.ceil(ih / stride) - 1) * stride + k - ih, 0)
        x = F.pad(x, [pad // 2, pad - pad // 2, pad // 2, pad - pad // 2])
        return F.conv2d(x, w, stride=stride, groups=groups)

    def bn(x, key):
        return F.batch_norm(
            x, state[f"{key}.running_mean"], state[f"{key}.running_var"],
            state[f"{key}.weight"], state[f"{key}.bias"], False, 0.0, 1e-3,
        )  # fmt: skip

    x = F.relu6(bn(conv(x, "_conv_stem.weight", 2), "_bn0"))
    for i, (_, stride, expand, cin, cout) in enumerate(BLOCKS):
        p = f"_blocks.{i}."
        y = x
        if expand != 1:
            y = F.relu6(bn(conv(y, p + "_expand_conv.weight"), p + "_bn0"))
        y = F.relu6(bn(conv(y, p + "_depthwise_conv.weight", stride, y.shape[1]), p + "_bn1"))
        y = bn(conv(y, p + "_project_conv.weight"), p + "_bn2")
        x = y + x if stride == 1 and cin == cout else y
    x = F.relu6(bn(conv(x, "_conv_head.weight"), "_bn1"))
    return x.mean(dim=(2, 3)) @ state["_fc.weight"].T + state["_fc.bias"]


def test_features_equal_a_direct_forward_over_the_file_keys():
    path = packaged_path("efficientnet-lite0")
    if not GRACE_HOPPER.is_file():
        pytest.skip(f"{GRACE_HOPPER} is absent")
    state = read_state_dict(path)
    x = preprocessing_for("half", 224)(Image.open(GRACE_HOPPER))[None]
    features = build_features("efficientnet-lite0")
    info = load_packaged_weights(features, "efficientnet-lite0", "imagenet")
    with torch.no_grad():
        pooled = features.eval()(x).mean(dim=(2, 3))
        ours = pooled @ state["_fc.weight"].T + state["_fc.bias"]
        reference = _reference_logits(state, x)
    assert torch.allclose(ours, reference, atol=1e-4)
    assert info.loaded_keys == 294 and len(info.skipped) == 2
    # ImageNet sense: the portrait of a uniformed officer, as torchvision's MobileNetV2 also says
    categories = torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1.meta["categories"]
    top = torch.softmax(ours, 1)[0].topk(3)
    assert categories[int(top.indices[0])] == "military uniform"
    assert float(top.values[0]) == pytest.approx(0.39, abs=0.01)


def test_shapes_and_parameters():
    with torch.device("meta"):
        out = build_features("efficientnet-lite0")(torch.zeros(1, 3, 224, 224))
    assert tuple(out.shape) == (1, 1280, 7, 7) and PANEL["efficientnet-lite0"].cam_layer == (
        "features.head"
    )
    features = build_features("efficientnet-lite0")
    assert sum(p.numel() for p in features.parameters()) + 1280 * 1000 + 1000 == 4_652_008
