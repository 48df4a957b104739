"""EfficientNet-Lite0 (Tan & Le 2019; the Lite variant: ReLU6, no squeeze-excitation, stem and
head not scaled), ImageNet weights in the EfficientNet-PyTorch (lukemelas) key layout.

Layout at 224 px (channels, size): ``stem`` 3×3/2 conv + BN + ReLU6 (32, 112); seven stages of
mobile inverted bottlenecks (MBConv: 1×1 expand ×e + BN + ReLU6 → k×k depthwise /s + BN + ReLU6 →
1×1 project + BN, plus the input when the stride is 1 and the width is unchanged):

====== ====== ====== ====== ====== =========
stage  blocks kernel stride expand channels
====== ====== ====== ====== ====== =========
1      1      3      1      1      16 (112)
2      2      3      2      6      24 (56)
3      2      5      2      6      40 (28)
4      3      3      2      6      80 (14)
5      3      5      1      6      112 (14)
6      4      5      2      6      192 (7)
7      1      3      1      6      320 (7)
====== ====== ====== ====== ====== =========

then ``head``: 1×1 conv to 1280 + BN + ReLU6 (7×7 at 224 px, the default CAM layer). Convs pad
like TensorFlow's "SAME": total padding ``max((⌈i/s⌉ − 1)·s + k − i, 0)`` per side pair, the odd
pixel at the bottom/right. Batch norms use ε = 0.001. Input: ``(v − 127.5) / 127.5`` (``half``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

OUT_CHANNELS = 1280
BN_EPS = 1e-3
#: (blocks, kernel, stride, expand ratio, output channels) per stage
STAGES: tuple[tuple[int, int, int, int, int], ...] = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)


class SameConv2d(nn.Conv2d):
    """A bias-free Conv2d padded like TensorFlow's "SAME" (extra pixel bottom/right)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1):
        super().__init__(cin, cout, kernel, stride=stride, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in zip(x.shape[-2:], self.kernel_size, self.stride, strict=True):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads.append((total // 2, total - total // 2))
        (top, bottom), (left, right) = pads
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom))
        return F.conv2d(x, self.weight, None, self.stride, 0, self.dilation, self.groups)


class ConvBN(nn.Sequential):
    """conv → BN (→ ReLU6)."""

    def __init__(self, cin, cout, kernel, stride=1, groups=1, act=True):
        layers = [SameConv2d(cin, cout, kernel, stride, groups), nn.BatchNorm2d(cout, eps=BN_EPS)]
        if act:
            layers.append(nn.ReLU6())
        super().__init__(*layers)


class MBConv(nn.Module):
    """Mobile inverted bottleneck without squeeze-excitation (the Lite block)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = ConvBN(cin, mid, 1) if expand != 1 else nn.Identity()
        self.depthwise = ConvBN(mid, mid, kernel, stride, groups=mid)
        self.project = ConvBN(mid, cout, 1, act=False)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.project(self.depthwise(self.expand(x)))
        return out + x if self.residual else out


class EfficientNetLiteFeatures(nn.Module):
    """(B, 3, 224, 224) -> (B, 1280, 7, 7)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = ConvBN(3, 32, 3, 2)
        cin = 32
        for index, (blocks, kernel, stride, expand, cout) in enumerate(STAGES, start=1):
            layers = []
            for b in range(blocks):
                layers.append(MBConv(cin, cout, kernel, stride if b == 0 else 1, expand))
                cin = cout
            self.add_module(f"stage{index}", nn.Sequential(*layers))
        self.head = ConvBN(cin, OUT_CHANNELS, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for child in self.children():
            x = child(x)
        return x


def build_efficientnet_lite0() -> EfficientNetLiteFeatures:
    return EfficientNetLiteFeatures()


_BN_FIELDS = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def _rename(prefix_from: str, prefix_to: str, conv: str, bn: str) -> dict[str, str]:
    out = {f"{prefix_from}{conv}.weight": f"{prefix_to}.0.weight"}
    out |= {f"{prefix_from}{bn}.{f}": f"{prefix_to}.1.{f}" for f in _BN_FIELDS}
    return out


def lukemelas_names() -> dict[str, str]:
    """EfficientNet-PyTorch key -> ``EfficientNetLiteFeatures`` key (the classifier excluded)."""
    names = _rename("", "stem", "_conv_stem", "_bn0") | _rename("", "head", "_conv_head", "_bn1")
    block = 0
    for index, (blocks, _, _, expand, _) in enumerate(STAGES, start=1):
        for b in range(blocks):
            src, dst = f"_blocks.{block}.", f"stage{index}.{b}"
            if expand != 1:
                names |= _rename(src, f"{dst}.expand", "_expand_conv", "_bn0")
            names |= _rename(src, f"{dst}.depthwise", "_depthwise_conv", "_bn1")
            names |= _rename(src, f"{dst}.project", "_project_conv", "_bn2")
            block += 1
    return names


def efficientnet_lite_state(
    state: dict[str, torch.Tensor],
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Split a lukemelas-layout file into (features state, the rest: the ``_fc`` classifier).

    Unknown keys other than ``_fc.*`` stay in the features state under their own names, so a
    strict load reports them.
    """
    names = lukemelas_names()
    features, rest = {}, {}
    for key, value in state.items():
        if key in names:
            features[names[key]] = value
        elif key.startswith("_fc."):
            rest[key] = value
        else:
            features[key] = value
    return features, rest
