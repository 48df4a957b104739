"""facenet's Inception-ResNet-v1 (Szegedy et al. 2017; Sandberg's facenet, CASIA-WebFace model
20180408-102900) as a torch module, with the weights of a frozen TensorFlow graph.

Layout at the native 160 px input (channels, size), each conv followed by a ReLU unless noted:

- stem: ``conv2d_1a`` 3×3/2 (32, 79), ``conv2d_2a`` 3×3 (32, 77), ``conv2d_2b`` 3×3 pad 1
  (64, 77), ``maxpool_3a`` 3/2 (64, 38), ``conv2d_3b`` 1×1 (80, 38), ``conv2d_4a`` 3×3 (192, 36),
  ``conv2d_4b`` 3×3/2 (256, 17);
- ``block35``: 5 × Block35 (256, 17); ``mixed_6a`` (896, 8);
- ``block17``: 10 × Block17 (896, 8; the default CAM layer); ``mixed_7a`` (1792, 3);
- ``block8``: 5 × Block8 (1792, 3), then ``block8_final``: a Block8 with scale 1 and no ReLU.

A residual block computes ``relu(x + scale · up(concat(branches(x))))`` with ``up`` a 1×1 conv with
bias and scale 0.17 (Block35), 0.10 (Block17), 0.20 (Block8). Stride-2 convs and pools are
unpadded ("VALID"); the others keep the size ("SAME", symmetric for odd kernels). The graph's
batch norms are folded into conv biases (``…/Conv2D_bn_offset``), so every conv here has a bias.
After ``features``: global average pool → bottleneck 1792 → 512 (no bias) → batch norm
(ε = 0.001, scale 1) → L2 normalisation = the 512-d embedding.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from facepsych.errors import FacepsychError

OUT_CHANNELS = 1792
EMBEDDING_SIZE = 512
SCALES: dict[str, float] = {"block35": 0.17, "block17": 0.10, "block8": 0.20}
_ROOT = "InceptionResnetV1"


class ConvReLU(nn.Module):
    """``relu(conv(x))`` (or just ``conv`` with ``relu=False``); ``tf_name`` is the TF scope."""

    def __init__(
        self,
        tf_name: str,
        cin: int,
        cout: int,
        kernel: int | tuple[int, int],
        stride: int = 1,
        same: bool = True,
    ) -> None:
        super().__init__()
        k = (kernel, kernel) if isinstance(kernel, int) else kernel
        padding = (k[0] // 2, k[1] // 2) if same else (0, 0)
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=padding)
        self.tf_name = tf_name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv(x))


def _branch(*convs: ConvReLU) -> nn.Sequential:
    return nn.Sequential(*convs)


class _Residual(nn.Module):
    def __init__(self, channels: int, branches: list[nn.Sequential], scale: float, relu: bool):
        super().__init__()
        for index, branch in enumerate(branches):
            self.add_module(f"branch{index}", branch)
        self.count = len(branches)
        width = sum(b[-1].conv.out_channels for b in branches)
        self.up = nn.Conv2d(width, channels, 1)
        self.up.tf_name = "Conv2d_1x1"
        self.scale = scale
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mixed = torch.cat([getattr(self, f"branch{i}")(x) for i in range(self.count)], dim=1)
        out = x + self.scale * self.up(mixed)
        return F.relu(out) if self.relu else out


def block35(scale: float = SCALES["block35"]) -> _Residual:
    return _Residual(
        256,
        [
            _branch(ConvReLU("Branch_0/Conv2d_1x1", 256, 32, 1)),
            _branch(
                ConvReLU("Branch_1/Conv2d_0a_1x1", 256, 32, 1),
                ConvReLU("Branch_1/Conv2d_0b_3x3", 32, 32, 3),
            ),
            _branch(
                ConvReLU("Branch_2/Conv2d_0a_1x1", 256, 32, 1),
                ConvReLU("Branch_2/Conv2d_0b_3x3", 32, 32, 3),
                ConvReLU("Branch_2/Conv2d_0c_3x3", 32, 32, 3),
            ),
        ],
        scale,
        relu=True,
    )


def block17(scale: float = SCALES["block17"]) -> _Residual:
    return _Residual(
        896,
        [
            _branch(ConvReLU("Branch_0/Conv2d_1x1", 896, 128, 1)),
            _branch(
                ConvReLU("Branch_1/Conv2d_0a_1x1", 896, 128, 1),
                ConvReLU("Branch_1/Conv2d_0b_1x7", 128, 128, (1, 7)),
                ConvReLU("Branch_1/Conv2d_0c_7x1", 128, 128, (7, 1)),
            ),
        ],
        scale,
        relu=True,
    )


def block8(scale: float = SCALES["block8"], relu: bool = True) -> _Residual:
    return _Residual(
        1792,
        [
            _branch(ConvReLU("Branch_0/Conv2d_1x1", 1792, 192, 1)),
            _branch(
                ConvReLU("Branch_1/Conv2d_0a_1x1", 1792, 192, 1),
                ConvReLU("Branch_1/Conv2d_0b_1x3", 192, 192, (1, 3)),
                ConvReLU("Branch_1/Conv2d_0c_3x1", 192, 192, (3, 1)),
            ),
        ],
        scale,
        relu=relu,
    )


class _Reduction(nn.Module):
    """Parallel branches concatenated, the last one a 3×3/2 max-pool."""

    def __init__(self, branches: list[nn.Sequential]) -> None:
        super().__init__()
        for index, branch in enumerate(branches):
            self.add_module(f"branch{index}", branch)
        self.count = len(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [getattr(self, f"branch{i}")(x) for i in range(self.count)]
        return torch.cat([*outs, F.max_pool2d(x, 3, 2)], dim=1)


def mixed_6a() -> _Reduction:
    return _Reduction(
        [
            _branch(ConvReLU("Branch_0/Conv2d_1a_3x3", 256, 384, 3, 2, same=False)),
            _branch(
                ConvReLU("Branch_1/Conv2d_0a_1x1", 256, 192, 1),
                ConvReLU("Branch_1/Conv2d_0b_3x3", 192, 192, 3),
                ConvReLU("Branch_1/Conv2d_1a_3x3", 192, 256, 3, 2, same=False),
            ),
        ]
    )


def mixed_7a() -> _Reduction:
    return _Reduction(
        [
            _branch(
                ConvReLU("Branch_0/Conv2d_0a_1x1", 896, 256, 1),
                ConvReLU("Branch_0/Conv2d_1a_3x3", 256, 384, 3, 2, same=False),
            ),
            _branch(
                ConvReLU("Branch_1/Conv2d_0a_1x1", 896, 256, 1),
                ConvReLU("Branch_1/Conv2d_1a_3x3", 256, 256, 3, 2, same=False),
            ),
            _branch(
                ConvReLU("Branch_2/Conv2d_0a_1x1", 896, 256, 1),
                ConvReLU("Branch_2/Conv2d_0b_3x3", 256, 256, 3),
                ConvReLU("Branch_2/Conv2d_1a_3x3", 256, 256, 3, 2, same=False),
            ),
        ]
    )


class InceptionResnetV1Features(nn.Module):
    """(B, 3, 160, 160) prewhitened crop -> (B, 1792, 3, 3)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv2d_1a = ConvReLU("Conv2d_1a_3x3", 3, 32, 3, 2, same=False)
        self.conv2d_2a = ConvReLU("Conv2d_2a_3x3", 32, 32, 3, same=False)
        self.conv2d_2b = ConvReLU("Conv2d_2b_3x3", 32, 64, 3)
        self.maxpool_3a = nn.MaxPool2d(3, 2)
        self.conv2d_3b = ConvReLU("Conv2d_3b_1x1", 64, 80, 1, same=False)
        self.conv2d_4a = ConvReLU("Conv2d_4a_3x3", 80, 192, 3, same=False)
        self.conv2d_4b = ConvReLU("Conv2d_4b_3x3", 192, 256, 3, 2, same=False)
        self.block35 = nn.Sequential(*[block35() for _ in range(5)])
        self.mixed_6a = mixed_6a()
        self.block17 = nn.Sequential(*[block17() for _ in range(10)])
        self.mixed_7a = mixed_7a()
        self.block8 = nn.Sequential(*[block8() for _ in range(5)])
        self.block8_final = block8(scale=1.0, relu=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for child in self.children():
            x = child(x)
        return x


def build_inception_resnet_v1() -> InceptionResnetV1Features:
    return InceptionResnetV1Features()


def tf_scopes(features: nn.Module) -> dict[str, str]:
    """Module path (e.g. ``block17.3.branch1.2``) -> TF scope (``…/Repeat_1/block17_4/…``)."""
    groups = {"block35": "Repeat/block35_{}", "block17": "Repeat_1/block17_{}"}
    groups["block8"] = "Repeat_2/block8_{}"
    out: dict[str, str] = {}
    for path, module in features.named_modules():
        tf_name = getattr(module, "tf_name", None)
        if tf_name is None:
            continue
        parts = path.split(".")
        if parts[0] in groups:
            scope = groups[parts[0]].format(int(parts[1]) + 1)
        elif parts[0] == "block8_final":
            scope = "Block8"
        elif parts[0] in ("mixed_6a", "mixed_7a"):
            scope = parts[0].capitalize()
        else:
            scope = ""
        out[path] = "/".join(p for p in (_ROOT, scope, tf_name) if p)
    return out


def _conv_of(module_path: str, features: nn.Module) -> str:
    module = features.get_submodule(module_path)
    return f"{module_path}.conv" if isinstance(module, ConvReLU) else module_path


def facenet_state_dict(
    constants: dict[str, np.ndarray], features: nn.Module, name: str = "facenet graph"
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Map the graph's float constants onto ``features`` keys; returns (state, embedding head).

    Conv weights HWIO -> OIHW. Float constants that fit neither the features nor the embedding
    head are kept under their TF names (a strict load then reports them as unexpected). A
    residual scale in the graph that differs from the architecture's raises one line.
    """
    used: set[str] = set()
    state: dict[str, torch.Tensor] = {}
    for path, scope in tf_scopes(features).items():
        key = _conv_of(path, features)
        weight = constants.get(f"{scope}/weights")
        bias = constants.get(f"{scope}/Conv2D_bn_offset", constants.get(f"{scope}/biases"))
        if weight is not None and weight.ndim == 4:
            state[f"{key}.weight"] = torch.from_numpy(weight.transpose(3, 2, 0, 1).copy())
            used.add(f"{scope}/weights")
        if bias is not None:
            state[f"{key}.bias"] = torch.from_numpy(bias.copy())
            used |= {f"{scope}/Conv2D_bn_offset", f"{scope}/biases"}
    for group, pattern in (("block35", "Repeat/block35_{}"), ("block17", "Repeat_1/block17_{}"),
                           ("block8", "Repeat_2/block8_{}")):  # fmt: skip
        for index, block in enumerate(getattr(features, group, [])):
            _check_scale(constants, f"{_ROOT}/{pattern.format(index + 1)}/mul/x", block, name, used)
    if hasattr(features, "block8_final"):
        _check_scale(constants, f"{_ROOT}/Block8/mul/x", features.block8_final, name, used)
    head: dict[str, torch.Tensor] = {}
    bottleneck = f"{_ROOT}/Bottleneck"
    for key, tf_key in (
        ("bottleneck.weight", f"{bottleneck}/weights"),
        ("norm.weight", f"{bottleneck}/BatchNorm/Const"),
        ("norm.bias", f"{bottleneck}/BatchNorm/beta"),
        ("norm.running_mean", f"{bottleneck}/BatchNorm/moving_mean"),
        ("norm.running_var", f"{bottleneck}/BatchNorm/moving_variance"),
    ):
        if tf_key in constants:
            value = constants[tf_key]
            head[key] = torch.from_numpy((value.T if value.ndim == 2 else value).copy())
            used.add(tf_key)
    used.add("embeddings/Maximum/y")
    for tf_key, value in constants.items():
        if tf_key not in used and value.dtype.kind == "f":
            state[tf_key] = torch.from_numpy(np.array(value))
    return state, head


def _check_scale(constants, tf_key: str, block: nn.Module, name: str, used: set[str]) -> None:
    if tf_key not in constants:
        return
    used.add(tf_key)
    found = float(constants[tf_key])
    if abs(found - block.scale) > 1e-6:
        raise FacepsychError(
            f"{name}: residual scale {tf_key} is {found:g}, the architecture has {block.scale:g}"
        )


class FacenetEmbedding(nn.Module):
    """features → global average pool → bottleneck 1792→512 → batch norm → L2: the embedding."""

    def __init__(self, features: nn.Module, head: dict[str, torch.Tensor]) -> None:
        super().__init__()
        self.features = features
        self.bottleneck = nn.Linear(OUT_CHANNELS, EMBEDDING_SIZE, bias=False)
        self.norm = nn.BatchNorm1d(EMBEDDING_SIZE, eps=0.001)
        expected = {f"bottleneck.{k}" for k in self.bottleneck.state_dict()}
        expected |= {f"norm.{k}" for k in self.norm.state_dict() if k != "num_batches_tracked"}
        if set(head) != expected:
            raise FacepsychError(
                f"facenet embedding head needs {sorted(expected)}, the graph gave {sorted(head)}"
            )
        self.load_state_dict(head, strict=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.norm(self.bottleneck(self.features(x).mean(dim=(2, 3)))), dim=1)
