"""Where the CAM mass falls on the face: eyes / nose / mouth shares, diagnostic ratio, profile.

For a non-negative map :math:`L` and disjoint region masks :math:`R_r`:

- share_r = Σ_{p ∈ R_r} L(p) / Σ_p L(p), for r ∈ {eyes, nose, mouth};
  other = 1 − eyes − nose − mouth (the mass everywhere else, face and background).
- diagnostic_ratio = (eyes + mouth) / (eyes + nose + mouth): how much of the feature-bound
  attention sits on the two diagnostic features for emotion.
- vertical profile: P(y) = Σ_x L(x, y), smoothed with a Gaussian of ``sigma`` rows; the peak
  region is the region whose rows contain argmax_y P (the one holding most mass on that row).

Overlapping masks (landmark hulls can touch) are made disjoint in the order eyes, nose, mouth:
a pixel already counted for an earlier region is not counted again.

Masks come from ``facepsych.stimuli`` (landmark polygons per image, or the companion's fixed
224 × 224 boxes: eyes x 52–171, y 70–99; nose y 120–149; mouth y 169–199, inclusive).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from facepsych.attention.maps import as_map
from facepsych.errors import FacepsychError

__all__ = [
    "REGIONS",
    "REGION_COLUMNS",
    "VerticalProfile",
    "companion_masks",
    "landmark_masks",
    "region_rows",
    "region_shares",
    "vertical_profile",
]

REGIONS = ("eyes", "nose", "mouth")
REGION_COLUMNS = (
    "image",
    "level",
    "condition",
    "layer",
    "method",
    "eyes",
    "nose",
    "mouth",
    "other",
    "diagnostic_ratio",
)


def _disjoint(masks: Mapping[str, np.ndarray], shape: tuple[int, int]) -> dict[str, np.ndarray]:
    missing = [r for r in REGIONS if r not in masks]
    if missing:
        raise FacepsychError(f"region masks lack {', '.join(missing)} (need eyes, nose, mouth)")
    taken = np.zeros(shape, bool)
    out = {}
    for region in REGIONS:
        mask = np.asarray(masks[region], bool)
        if mask.shape != shape:
            raise FacepsychError(
                f"mask {region!r} has shape {mask.shape} but the CAM has shape {shape}"
            )
        out[region] = mask & ~taken
        taken |= mask
    return out


def region_shares(cam, masks: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Share of CAM mass in eyes, nose, mouth and everywhere else, plus the diagnostic ratio.

    ``cam``: (H, W) non-negative map (negative values are clipped to 0). ``masks``: boolean
    (H, W) masks with keys eyes, nose, mouth (others, e.g. ``face``, are ignored). Returns NaN
    for every value when the map has no mass, and a NaN ratio when the three regions hold none.
    """
    arr = np.clip(as_map(cam), 0.0, None)
    regions = _disjoint(masks, arr.shape)
    total = float(arr.sum())
    if not np.isfinite(total) or total <= 0:
        return {"eyes": np.nan, "nose": np.nan, "mouth": np.nan, "other": np.nan,
                "diagnostic_ratio": np.nan}  # fmt: skip
    shares = {r: float(arr[regions[r]].sum() / total) for r in REGIONS}
    inside = shares["eyes"] + shares["nose"] + shares["mouth"]
    shares["other"] = max(0.0, 1.0 - inside)
    shares["diagnostic_ratio"] = (
        (shares["eyes"] + shares["mouth"]) / inside if inside > 0 else float("nan")
    )
    return shares


@dataclass
class VerticalProfile:
    """Row profile of a CAM: ``profile`` (H,) smoothed row sums, its peak row and region."""

    profile: np.ndarray
    peak_row: int
    peak_region: str
    sigma: float

    def as_dict(self) -> dict:
        d = asdict(self)
        d["profile"] = self.profile.tolist()
        return d


def vertical_profile(
    cam, masks: Mapping[str, np.ndarray] | None = None, *, sigma: float = 2.0
) -> VerticalProfile:
    """P(y) = Σ_x L(x, y) smoothed by a Gaussian (σ = ``sigma`` rows, edges reflected), its
    argmax row, and the region (eyes/nose/mouth, else ``other``) holding most mass on that row."""
    arr = np.clip(as_map(cam), 0.0, None)
    profile = arr.sum(axis=1)
    if sigma > 0:
        profile = gaussian_filter1d(profile, sigma, mode="reflect")
    peak = int(np.argmax(profile))
    region = "other"
    if masks is not None:
        regions = _disjoint(masks, arr.shape)
        mass = {
            r: float(arr[peak][regions[r][peak]].sum()) for r in REGIONS if regions[r][peak].any()
        }
        if mass:
            region = max(mass, key=mass.get)
    return VerticalProfile(profile=profile, peak_row=peak, peak_region=region, sigma=float(sigma))


def companion_masks(shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """The companion's fixed eyes / nose / mouth boxes
    (:data:`facepsych.stimuli.COMPANION_BOXES`) scaled from 224 × 224 to ``shape``."""
    from facepsych.stimuli import box_masks

    return box_masks(shape)


def landmark_masks(
    points: np.ndarray,
    scheme: str | None,
    shape: tuple[int, int],
    frame_size: tuple[int, int] | None = None,
) -> dict[str, np.ndarray]:
    """Region masks at map ``shape`` (H, W) from landmarks given in a frame of ``frame_size``
    (W, H) pixels (None: the landmarks are already in map pixels); x' = x·W/Wf, y' = y·H/Hf."""
    from facepsych.stimuli import region_masks

    pts = np.asarray(points, dtype=float)
    if frame_size is not None:
        fw, fh = frame_size
        pts = pts * np.array([shape[1] / fw, shape[0] / fh])
    return region_masks(pts, scheme, shape)


def region_rows(
    maps,
    masks: Sequence[Mapping[str, np.ndarray]] | Mapping[str, np.ndarray],
    *,
    images: Sequence[str],
    levels: Sequence[float] | None = None,
    condition: str | Sequence[str] = "full",
    layer: str = "fused",
    method: str = "layercam",
) -> list[dict]:
    """Tidy rows (``REGION_COLUMNS``), one per map; ``masks`` one dict per map or one shared."""
    arrs = [as_map(m) for m in maps]
    if len(images) != len(arrs):
        raise FacepsychError(f"{len(images)} image names for {len(arrs)} maps")
    per_map = [masks] * len(arrs) if isinstance(masks, Mapping) else list(masks)
    levels = [np.nan] * len(arrs) if levels is None else list(levels)
    conds = [condition] * len(arrs) if isinstance(condition, str) else list(condition)
    rows = []
    for arr, msk, name, level, cond in zip(arrs, per_map, images, levels, conds, strict=True):
        shares = region_shares(arr, msk)
        rows.append({"image": name, "level": level, "condition": cond, "layer": layer,
                     "method": method, **shares})  # fmt: skip
    return rows
