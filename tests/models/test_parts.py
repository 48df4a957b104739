"""models/parts.py: the (features, pooling, classifier) parts and the excitation blocks."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from facepsych.errors import FacepsychError
from facepsych.models.parts import excitation_blocks, panel_parts, torchvision_parts


def test_torchvision_parts_keep_the_paths_and_resize_the_head():
    torch.manual_seed(0)
    features, pool, classifier = torchvision_parts("alexnet", 2, 64)
    assert isinstance(features[11], nn.ReLU)  # conv5's ReLU at torchvision's path
    widths = [(m.in_features, m.out_features) for m in classifier if isinstance(m, nn.Linear)]
    assert widths == [(9216, 64), (64, 64), (64, 2)]
    z = pool(features(torch.zeros(1, 3, 224, 224))).flatten(1)
    assert z.shape == (1, 9216) and classifier(z).shape == (1, 2)


def test_the_same_seed_gives_the_same_backbone_whatever_the_head():
    torch.manual_seed(3)
    a = torchvision_parts("vgg11", 2, 16)[0]
    torch.manual_seed(3)
    b = torchvision_parts("vgg11", 2, None)[0]
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_panel_parts_pool_to_the_backbones_channels():
    _, pool, classifier = panel_parts("dlib-resnet", 2, 8)
    assert isinstance(pool, nn.AdaptiveAvgPool2d) and classifier[-1].out_features == 2


def test_excitation_blocks_in_alexnet_order_and_their_errors():
    classifier = torchvision_parts("alexnet", 2, 32)[2]
    blocks, order = excitation_blocks("fe-alexnet", "fc6,conv3", 4, classifier)
    assert order == ("conv3", "fc6") and set(blocks) == {"conv3", "fc6"}
    assert blocks["fc6"].channels == 32 and blocks["conv3"].channels == 384
    none, no_order = excitation_blocks("alexnet", None, 16, classifier)
    assert len(none) == 0 and no_order is None
    with pytest.raises(FacepsychError, match=r"^excitation blocks are only available for fe-alex"):
        excitation_blocks("alexnet", ["pool5"], 16, classifier)
    with pytest.raises(FacepsychError, match=r"^unknown excitation position 'conv9'"):
        excitation_blocks("fe-alexnet", ["conv9"], 16, classifier)
    with pytest.raises(FacepsychError, match=r"^excitation positions repeat"):
        excitation_blocks("fe-alexnet", ["pool5", "pool5"], 16, classifier)
    with pytest.raises(FacepsychError, match=r"^reduction ratio must be a positive integer"):
        excitation_blocks("fe-alexnet", ["pool5"], 0, classifier)
