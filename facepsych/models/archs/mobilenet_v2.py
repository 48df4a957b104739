"""torchvision's MobileNetV2 (``mobilenet_v2().features``), ImageNet weights from a package file.

The features keep torchvision's module paths (``0`` … ``18``; ``18`` is the last 1×1 conv
to 1280 channels, 7×7 at 224 px and the default CAM layer). The ImageNet file is torchvision's
IMAGENET1K_V1 state dict; its ``features.*`` tensors load into the features, its 1000-way
``classifier.1`` is reported as skipped.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torchvision
from torch import nn

from facepsych.models.weights import read_state_dict

OUT_CHANNELS = 1280


def build_mobilenet_v2() -> nn.Sequential:
    """torchvision's MobileNetV2 features, random: (B, 3, S, S) -> (B, 1280, S/32, S/32)."""
    return torchvision.models.mobilenet_v2(weights=None).features


def mobilenet_v2_state(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """The file's tensors split into (features state with ``features.`` stripped, the rest)."""
    state = read_state_dict(path)
    features = {k[len("features.") :]: v for k, v in state.items() if k.startswith("features.")}
    rest = {k: v for k, v in state.items() if not k.startswith("features.")}
    return features, rest
