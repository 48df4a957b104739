"""Feature excitation: squeeze-and-excitation (SE) blocks for FE-AlexNet.

An excitation block re-weights the C channels of a feature map (or the C entries of a vector) by a
learned gate (Hu et al. 2018, "Squeeze-and-Excitation Networks"):

    s = GAP(x)                         (mean over H×W; identity for a (B, C) vector)
    g = sigmoid(W2 · relu(W1 · s))     W1: C -> C/r, W2: C/r -> C, no biases
    y = x ⊙ g                          (g broadcast over H×W)

``r`` is the reduction ratio; the bottleneck width is ``max(1, C // r)``.

Positions in AlexNet (``ALEXNET_POSITIONS``), always *outside* ``features`` so torchvision's module
paths and checkpoint keys stay unchanged:

- ``conv1`` … ``conv5``: after the output of ``features.{2,5,7,9,11}`` (conv1/conv2 after their
  max-pool, conv3…conv5 after their ReLU), as in the companion's conv ablation. These sit inside
  the backbone, so the backbone can no longer be cached.
- ``pool5``: on the 256×6×6 map after ``avgpool``, before the classifier (companion "L1"/"L3").
- ``fc6``: on the fc6 activation vector, after ``classifier.2`` (fc6's ReLU) (companion "L2").

Example:
    >>> import torch
    >>> block = ExcitationBlock(256, reduction=16)
    >>> block(torch.randn(2, 256, 6, 6)).shape
    torch.Size([2, 256, 6, 6])
"""

from __future__ import annotations

import torch
from torch import nn

#: position -> index of the ``features`` module whose output the block excites (conv positions).
CONV_POSITIONS: dict[str, int] = {"conv1": 2, "conv2": 5, "conv3": 7, "conv4": 9, "conv5": 11}
#: position -> channels of AlexNet at that position (fc6 uses the classifier's hidden width).
CONV_CHANNELS: dict[str, int] = {"conv1": 64, "conv2": 192, "conv3": 384, "conv4": 256,
                                 "conv5": 256, "pool5": 256}  # fmt: skip
ALEXNET_POSITIONS: tuple[str, ...] = ("conv1", "conv2", "conv3", "conv4", "conv5", "pool5", "fc6")
REDUCTIONS: tuple[int, ...] = (2, 4, 8, 16, 32)
#: index in AlexNet's ``classifier`` after which the fc6 block acts (fc6's ReLU).
FC6_AFTER: int = 2
#: Architectures that are another arch plus excitation blocks: name -> the backbone's arch.
EXCITED_ARCHS: dict[str, str] = {"fe-alexnet": "alexnet"}


def backbone_arch(arch: str) -> str:
    """The architecture whose backbone (and backbone weights) ``arch`` uses: ``fe-alexnet`` ->
    ``alexnet``; any other arch -> itself."""
    return EXCITED_ARCHS.get(arch, arch)


class ExcitationBlock(nn.Module):
    """Squeeze-and-excitation on channels: ``y = x * sigmoid(W2 relu(W1 GAP(x)))``.

    Accepts (B, C, H, W) feature maps and (B, C) vectors.
    """

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        if channels < 1 or reduction < 1:
            raise ValueError(f"channels and reduction must be >= 1, got {channels}, {reduction}")
        self.channels = int(channels)
        self.reduction = int(reduction)
        hidden = max(1, self.channels // self.reduction)
        self.fc1 = nn.Linear(self.channels, hidden, bias=False)
        self.relu = nn.ReLU(inplace=False)
        self.fc2 = nn.Linear(hidden, self.channels, bias=False)
        self.sigmoid = nn.Sigmoid()

    def gate(self, x: torch.Tensor) -> torch.Tensor:
        """Channel weights g in (0, 1), shape (B, C)."""
        squeezed = x.mean(dim=(2, 3)) if x.dim() == 4 else x
        return self.sigmoid(self.fc2(self.relu(self.fc1(squeezed))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() not in (2, 4) or x.shape[1] != self.channels:
            raise ValueError(
                f"excitation block expects (B, {self.channels}[, H, W]), got {tuple(x.shape)}"
            )
        g = self.gate(x)
        return x * (g[:, :, None, None] if x.dim() == 4 else g)

    def extra_repr(self) -> str:
        return f"channels={self.channels}, reduction={self.reduction}"
