"""CAMs of one morph continuum: the attention stage's per-continuum work.

``cam_continuum(net, continuum, settings)`` explains the chosen frames of a
:class:`facepsych.stimuli.Continuum` with one network and returns, per frame, the share of CAM
mass on the eyes, nose and mouth (:func:`facepsych.attention.region_shares`:
share_r = Σ_{p ∈ R_r} L(p) / Σ_p L(p), diagnostic ratio = (eyes + mouth) / (eyes + nose + mouth)),
with the fused maps themselves. Both ``facepsych cam`` and the study runner go through
:func:`cam_images` (target parsing, default layer choice), so a continuum explained either way
gives the same maps.

Example::

    >>> settings = CamSettings(method="gradcam", steps=[0, 10, 20])
    >>> rows, maps, steps, sizes = cam_continuum(net, continuum, settings)  # doctest: +SKIP
    >>> maps.shape  # (3, S, S) at the network's input size S                # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
from torch import nn

from facepsych.attention.cam import METHODS, CamResult, compute_cams
from facepsych.attention.regions import REGIONS, companion_masks, landmark_masks, region_shares
from facepsych.errors import FacepsychError

__all__ = [
    "REGION_SOURCES",
    "CamSettings",
    "cam_continuum",
    "cam_images",
    "cam_layers",
    "cam_steps",
    "default_cam_layer",
    "parse_target",
]

REGION_SOURCES = ("landmarks", "boxes", "companion")  # boxes = companion: the fixed 224 boxes


@dataclass(frozen=True)
class CamSettings:
    """How a continuum is explained.

    ``method``: layercam or gradcam; ``layers``: module paths (None: the net's default CAM
    layer, :func:`default_cam_layer`); ``target``: ``positive``, ``predicted`` or a class index;
    ``steps``: ``"all"`` or frame indices (out-of-range ones dropped); ``conditions``: the
    occlusion conditions a study CAMs (full, eyes, nose, mouth).
    """

    method: str = "layercam"
    layers: tuple[str, ...] | None = None
    target: str | int = "positive"
    steps: str | tuple[int, ...] = "all"
    conditions: tuple[str, ...] = ("full",)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise FacepsychError(
                f"unknown CAM method {self.method!r}; use one of {', '.join(METHODS)}"
            )
        if isinstance(self.layers, str):
            object.__setattr__(self, "layers", (self.layers,))
        elif self.layers is not None:
            object.__setattr__(self, "layers", tuple(self.layers) or None)
        if isinstance(self.steps, str) and self.steps != "all":
            raise FacepsychError(f"CAM steps must be 'all' or frame indices, not {self.steps!r}")
        if not isinstance(self.steps, str):
            object.__setattr__(self, "steps", tuple(int(s) for s in self.steps))
        conditions = (self.conditions,) if isinstance(self.conditions, str) else self.conditions
        object.__setattr__(self, "conditions", tuple(conditions))

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["layers"] = None if self.layers is None else list(self.layers)
        out["steps"] = self.steps if self.steps == "all" else list(self.steps)
        out["conditions"] = list(self.conditions)
        return out

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> CamSettings:
        """Settings from a mapping such as a study's ``analysis.cam`` section (other keys, e.g.
        ``enabled``, are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


def cam_steps(n_frames: int, settings: CamSettings) -> list[int]:
    """The frame indices ``settings.steps`` chooses (all, or the listed ones inside 0..n−1)."""
    steps = list(range(n_frames)) if settings.steps == "all" else list(settings.steps)
    return [s for s in steps if 0 <= s < n_frames]


def parse_target(target: str | int) -> str | int:
    """A CAM target as :func:`facepsych.attention.compute_cams` takes it: ``"3"`` -> 3."""
    if isinstance(target, int):
        return target
    text = str(target).strip()
    return int(text) if text.lstrip("-").isdigit() else text


def default_cam_layer(net: nn.Module) -> str:
    """The CAM layer of ``net`` when none is given: ``facepsych.models.default_cam_layer(net)``
    (the registry's layer for the net's architecture) where the models stage offers it, else the
    last ReLU of ``net.features`` (AlexNet ``features.11``, VGG16 ``features.29``)."""
    from facepsych import models

    lookup = getattr(models, "default_cam_layer", None)
    if lookup is not None:
        return lookup(net)
    features = getattr(net, "features", None)
    if features is None:
        raise FacepsychError("the model has no 'features'; give the CAM layer(s) explicitly")
    relus = [name for name, m in features.named_children() if isinstance(m, nn.ReLU)]
    if not relus:
        raise FacepsychError("no ReLU in the model's features; give the CAM layer(s) explicitly")
    return f"features.{relus[-1]}"


def cam_layers(net: nn.Module, settings: CamSettings) -> tuple[str, ...]:
    """The layers the settings name, or the net's default CAM layer."""
    return settings.layers if settings.layers else (default_cam_layer(net),)


def cam_images(
    net: nn.Module, images: Sequence[Any], settings: CamSettings, *, batch_size: int | None = None
) -> CamResult:
    """CAMs of PIL ``images`` (preprocessed by ``net.preprocessing``) at :func:`cam_layers`,
    for ``settings.target`` parsed by :func:`parse_target`."""
    prep = getattr(net, "preprocessing", None)
    if prep is None:
        raise FacepsychError(
            "the model has no preprocessing; load it with facepsych.train.load_run"
        )
    return compute_cams(
        net,
        prep.batch(list(images)),
        method=settings.method,
        layers=cam_layers(net, settings),
        target=parse_target(settings.target),
        batch_size=batch_size,
    )


def _load_rgb(path):
    """The frame as 8-bit RGB through the one decoder (16-bit scaled, pixel cap)."""
    from PIL import Image

    from facepsych.data.images import read_rgb

    if isinstance(path, Image.Image):  # a frame already in memory (e.g. a face chip)
        return path.convert("RGB")
    return read_rgb(path)


def _masks(continuum: Any, step: int, regions: str, shape: tuple[int, int], frame_size):
    if regions == "landmarks" and continuum.landmarks is not None:
        masks = landmark_masks(continuum.landmarks[step], continuum.scheme, shape, frame_size)
    else:
        masks = companion_masks(shape)
    return {k: v for k, v in masks.items() if k in REGIONS}


def cam_continuum(
    net: nn.Module,
    continuum: Any,
    settings: CamSettings,
    regions: str = "landmarks",
    ident: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """CAMs of the ``settings.steps`` frames of ``continuum`` (a
    :class:`facepsych.stimuli.Continuum`) and their region shares.

    ``regions``: ``landmarks`` (the frame's landmark polygons, scaled x' = x·w/W, y' = y·h/H to
    the map; the companion boxes when the continuum has no landmarks) or ``boxes`` /
    ``companion`` (the companion's fixed 224 × 224 boxes, scaled to the map). ``ident``: columns
    put first in every row; ``continuum`` and ``condition`` default to the continuum's name and
    condition.

    Returns (rows, maps, steps, sizes): one row per frame (ident, continuum, condition, step,
    level, method, layers, eyes, nose, mouth, other, diagnostic_ratio), the fused maps
    (N, h, w) in [0, 1], the frame indices (N,) and each frame's original (W, H).
    """
    if regions not in REGION_SOURCES:
        raise FacepsychError(f"unknown regions {regions!r}; use landmarks or boxes")
    steps = cam_steps(len(continuum.frames), settings)
    if not steps:
        raise FacepsychError(
            f"no CAM step of {list(settings.steps)} lies in the {len(continuum.frames)} frames "
            f"of {continuum.name}"
        )
    images = [_load_rgb(continuum.frames[s]) for s in steps]
    layers = cam_layers(net, settings)
    result = cam_images(net, images, settings)
    maps = result.maps.detach().cpu().numpy()
    shape = maps.shape[-2:]
    key = dict(ident or {})
    key.setdefault("continuum", continuum.name)
    key.setdefault("condition", continuum.condition)
    rows = []
    for j, s in enumerate(steps):
        shares = region_shares(maps[j], _masks(continuum, s, regions, shape, images[j].size))
        rows.append(
            {
                **key,
                "step": s,
                "level": float(continuum.levels[s]),
                "method": settings.method,
                "layers": "+".join(layers),
                **{k: float(v) for k, v in shares.items()},
            }
        )
    return rows, maps, np.asarray(steps), [img.size for img in images]
