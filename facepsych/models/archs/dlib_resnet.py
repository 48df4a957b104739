"""dlib's face-recognition ResNet (``dlib_face_recognition_resnet_model_v1``) as a torch module.

The network of dlib's ``dnn_face_recognition_ex``: a 150 px RGB chip, 7×7/2 conv 32 → affine →
ReLU → max-pool 3/2, then residual stages

- ``stage1``: 3 blocks of 32 channels (35×35 at 150 px),
- ``stage2``: a downsampling block to 64, then 3 blocks of 64 (17×17),
- ``stage3``: down to 128, then 2 blocks of 128 (8×8; the default CAM layer),
- ``stage4``: down to 256, then 2 blocks of 256 (4×4),
- ``stage5``: one more downsampling block of 256 (2×2),

then a global average pool and a bias-free fc 256 → 128 (the face descriptor; not part of
``features``). A block computes ``relu(shortcut(x) + affine2(conv2(relu(affine1(conv1(x))))))``
where ``affine(x) = scale_c · x + shift_c`` (dlib's frozen batch norm). Stride-2 convs are
unpadded, stride-1 convs pad 1. A downsampling shortcut is a 2×2/2 average pool whose missing
channels are zero; where the two branches differ in size the smaller is zero-padded at the
bottom/right, as dlib's ``add_prev`` does.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from facepsych.errors import FacepsychError
from facepsych.models.archs.dlib_format import DlibLayer

#: (channels, blocks, whether the first block downsamples) per stage
STAGES: tuple[tuple[int, int, bool], ...] = (
    (32, 3, False),
    (64, 4, True),
    (128, 3, True),
    (256, 3, True),
    (256, 1, True),
)
OUT_CHANNELS = 256
EMBEDDING_SIZE = 128


class Affine(nn.Module):
    """Per-channel ``y = weight_c · x + bias_c`` (dlib's ``affine`` layer, a frozen batch norm)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.weight[:, None, None] + self.bias[:, None, None]


def _pad_to(x: torch.Tensor, channels: int, height: int, width: int) -> torch.Tensor:
    """Zero-pad ``x`` (B, C, H, W) to (B, channels, height, width): channels last, bottom/right."""
    _, c, h, w = x.shape
    if (c, h, w) == (channels, height, width):
        return x
    return F.pad(x, (0, width - w, 0, height - h, 0, channels - c))


class ResidualBlock(nn.Module):
    """Two 3×3 convs with affines; identity or (avg-pool 2/2 + zero channels) shortcut."""

    def __init__(self, in_channels: int, channels: int, down: bool) -> None:
        super().__init__()
        stride = 2 if down else 1
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=0 if down else 1)
        self.affine1 = Affine(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=1, padding=1)
        self.affine2 = Affine(channels)
        self.down = down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.affine2(self.conv2(F.relu(self.affine1(self.conv1(x)))))
        skip = F.avg_pool2d(x, 2, 2) if self.down else x
        c = max(y.shape[1], skip.shape[1])
        h = max(y.shape[2], skip.shape[2])
        w = max(y.shape[3], skip.shape[3])
        return F.relu(_pad_to(y, c, h, w) + _pad_to(skip, c, h, w))


class DlibResNetFeatures(nn.Module):
    """(B, 3, 150, 150) chip (see the ``dlib`` preprocessing) -> (B, 256, 2, 2)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 32, 7, stride=2, padding=0)
        self.affine = Affine(32)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(3, stride=2)
        in_channels = 32
        for index, (channels, blocks, down) in enumerate(STAGES, start=1):
            layers = []
            for b in range(blocks):
                layers.append(ResidualBlock(in_channels, channels, down and b == 0))
                in_channels = channels
            self.add_module(f"stage{index}", nn.Sequential(*layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.relu(self.affine(self.conv(x))))
        for index in range(1, len(STAGES) + 1):
            x = getattr(self, f"stage{index}")(x)
        return x


class DlibEmbedding(nn.Module):
    """features → global average pool → bias-free fc 256 → 128: dlib's face descriptor."""

    def __init__(self, features: nn.Module, fc_weight: torch.Tensor) -> None:
        super().__init__()
        self.features = features
        self.fc = nn.Linear(OUT_CHANNELS, EMBEDDING_SIZE, bias=False)
        with torch.no_grad():
            self.fc.weight.copy_(fc_weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x).mean(dim=(2, 3)))


def build_dlib_resnet() -> DlibResNetFeatures:
    return DlibResNetFeatures()


def _conv_keys(features: nn.Module) -> list[tuple[str, str]]:
    """(conv prefix, affine prefix) pairs in forward order."""
    pairs = [("conv", "affine")]
    for index, (_, blocks, _) in enumerate(STAGES, start=1):
        for b in range(blocks):
            for n in (1, 2):
                pairs.append((f"stage{index}.{b}.conv{n}", f"stage{index}.{b}.affine{n}"))
    return pairs


def dlib_state_dict(
    layers: list[DlibLayer], name: str = "dlib model"
) -> tuple[dict[str, torch.Tensor], torch.Tensor | None]:
    """Map parsed records onto ``DlibResNetFeatures`` keys; returns (state, fc weight or None).

    The records must be con/affine pairs in forward order (29 of them), optionally ending in one
    fc; anything else raises one line naming ``name``.
    """
    fc = None
    if layers and layers[-1].kind == "fc":
        fc = torch.from_numpy(np.ascontiguousarray(layers[-1].weight))
        layers = layers[:-1]
    pairs = _conv_keys(None)
    kinds = [layer.kind for layer in layers]
    if kinds != ["con", "affine"] * len(pairs):
        raise FacepsychError(
            f"{name} is not dlib's face-recognition ResNet: expected {len(pairs)} conv + affine "
            f"pairs, found {kinds.count('con')} convs and {kinds.count('affine')} affines"
        )
    state: dict[str, torch.Tensor] = {}
    for (conv_key, affine_key), con, affine in zip(pairs, layers[0::2], layers[1::2], strict=True):
        state[f"{conv_key}.weight"] = torch.from_numpy(np.ascontiguousarray(con.weight))
        state[f"{conv_key}.bias"] = torch.from_numpy(np.ascontiguousarray(con.bias))
        state[f"{affine_key}.weight"] = torch.from_numpy(np.ascontiguousarray(affine.weight))
        state[f"{affine_key}.bias"] = torch.from_numpy(np.ascontiguousarray(affine.bias))
    return state, fc
