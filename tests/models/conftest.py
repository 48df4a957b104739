"""Checkpoints in the exact real key layouts, made with random values (session-scoped, in tmp).

- ``alexnet_state``: torchvision AlexNet keys and feature shapes (``features.0 … 10``,
  ``classifier.1/4/6``); the hidden width is ``SMALL_HIDDEN`` instead of 4096 and the last layer has
  1000 outputs, so loading exercises "fc6/fc7 load, the 1000-way layer is skipped" at test size.
- ``vgg16_features_state``: torchvision VGG16 ``features.*`` keys (a file without a classifier).
- ``vggface_state``: VGG-Face keys ``conv1_1 … conv5_3``, ``fc6``, ``fc7``, ``fc8`` (2 622 ids).
"""

from __future__ import annotations

import pytest
import torch
import torchvision

SMALL_HIDDEN = 32
VGG16_CONVS = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]  # DESIGN.md, torchvision layout


def _random_like(shapes: dict[str, torch.Size], seed: int) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return {k: torch.randn(tuple(s), generator=gen) for k, s in shapes.items()}


@pytest.fixture(scope="session")
def alexnet_state() -> dict[str, torch.Tensor]:
    with torch.device("meta"):
        ref = torchvision.models.alexnet()
    shapes = {k: v.shape for k, v in ref.state_dict().items() if k.startswith("features.")}
    shapes |= {
        "classifier.1.weight": torch.Size([SMALL_HIDDEN, 9216]),
        "classifier.1.bias": torch.Size([SMALL_HIDDEN]),
        "classifier.4.weight": torch.Size([SMALL_HIDDEN, SMALL_HIDDEN]),
        "classifier.4.bias": torch.Size([SMALL_HIDDEN]),
        "classifier.6.weight": torch.Size([1000, SMALL_HIDDEN]),
        "classifier.6.bias": torch.Size([1000]),
    }
    return _random_like(shapes, seed=1)


@pytest.fixture(scope="session")
def alexnet_file(alexnet_state, tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "alexnet_small_head.pth"
    torch.save(alexnet_state, path)
    return path


@pytest.fixture(scope="session")
def vgg16_features_state() -> dict[str, torch.Tensor]:
    with torch.device("meta"):
        ref = torchvision.models.vgg16()
    shapes = {k: v.shape for k, v in ref.state_dict().items() if k.startswith("features.")}
    return _random_like(shapes, seed=2)


@pytest.fixture(scope="session")
def vggface_state(vgg16_features_state) -> dict[str, torch.Tensor]:
    names = ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3",
             "conv4_1", "conv4_2", "conv4_3", "conv5_1", "conv5_2", "conv5_3"]  # fmt: skip
    state = {}
    for name, idx in zip(names, VGG16_CONVS, strict=True):
        state[f"{name}.weight"] = vgg16_features_state[f"features.{idx}.weight"] * 0.5
        state[f"{name}.bias"] = vgg16_features_state[f"features.{idx}.bias"] + 1.0
    fc = _random_like(
        {
            "fc6.weight": torch.Size([SMALL_HIDDEN, 25088]),
            "fc6.bias": torch.Size([SMALL_HIDDEN]),
            "fc7.weight": torch.Size([SMALL_HIDDEN, SMALL_HIDDEN]),
            "fc7.bias": torch.Size([SMALL_HIDDEN]),
            "fc8.weight": torch.Size([2622, SMALL_HIDDEN]),
            "fc8.bias": torch.Size([2622]),
        },
        seed=3,
    )
    return state | fc
