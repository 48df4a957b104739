"""The panel contract: every arch builds (also on meta), is seeded by torch's RNG, names a CAM
layer inside its features whose map is at least 7×7 at the native input, and takes a CAM."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from facepsych.errors import FacepsychError
from facepsych.models.archs import PANEL, build_embedding, build_features
from facepsych.models.preprocessing import PREPROCESSING_NAMES

ARCHS = sorted(PANEL)


def test_the_four_real_nets():
    assert ARCHS == ["dlib-resnet", "efficientnet-lite0", "inception-resnet-v1", "mobilenet_v2"]
    domains = {arch: {w.domain for w in PANEL[arch].weights} for arch in ARCHS}
    assert domains == {
        "dlib-resnet": {"face"},
        "inception-resnet-v1": {"face"},
        "mobilenet_v2": {"object"},
        "efficientnet-lite0": {"object"},
    }


@pytest.mark.parametrize("arch", ARCHS)
def test_cam_layer_map_and_output_shape_at_native_input(arch):
    entry = PANEL[arch]
    assert entry.preprocessing in PREPROCESSING_NAMES and entry.cam_layer.startswith("features.")
    with torch.device("meta"):
        features = build_features(arch)
        seen = {}
        layer = features.get_submodule(entry.cam_layer.removeprefix("features."))
        layer.register_forward_hook(lambda _m, _i, out: seen.update(map=out.shape))
        out = features(torch.zeros(2, 3, entry.input_size, entry.input_size))
    assert out.shape[:2] == (2, entry.out_channels)
    assert min(seen["map"][-2:]) >= 7


@pytest.mark.parametrize("arch", ARCHS)
def test_random_twin_is_seeded_by_torch(arch):
    def first_conv(seed: int) -> torch.Tensor:
        torch.manual_seed(seed)
        features = build_features(arch)
        return next(m for m in features.modules() if isinstance(m, nn.Conv2d)).weight.detach()

    assert torch.equal(first_conv(3), first_conv(3))
    assert not torch.equal(first_conv(3), first_conv(4))


@pytest.mark.parametrize("arch", ARCHS)
def test_layercam_on_the_default_layer(arch):
    """torchcam's LayerCAM at the default layer of a (random) panel net: a finite, non-empty map."""
    torchcam = pytest.importorskip("torchcam.methods")
    entry = PANEL[arch]
    torch.manual_seed(0)
    net = nn.Sequential(
        build_features(arch),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(entry.out_channels, 2),
    ).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    layer = "0." + entry.cam_layer.removeprefix("features.")
    x = torch.randn(1, 3, entry.input_size, entry.input_size, requires_grad=True)
    with torchcam.LayerCAM(net, target_layer=layer) as extractor:
        scores = net(x)
        (cam,) = extractor(1, scores)
    assert cam.shape[-1] >= 7 and torch.isfinite(cam).all() and float(cam.max()) > 0


def test_unknown_arch_and_embedding_are_one_line():
    with pytest.raises(FacepsychError) as err:
        build_features("resnet50")
    assert str(err.value) == (
        "'resnet50' is not a packaged real network; choose one of: mobilenet_v2, dlib-resnet, "
        "inception-resnet-v1, efficientnet-lite0"
    )
    with pytest.raises(FacepsychError) as err:
        build_embedding("mobilenet_v2")
    assert str(err.value) == (
        "mobilenet_v2 has no identity embedding; use dlib-resnet or inception-resnet-v1"
    )
