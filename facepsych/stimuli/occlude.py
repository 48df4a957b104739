"""Occluding the eyes, nose or mouth of a face image or of a whole continuum.

The occluder is a boolean mask: from landmarks, the region's convex hull (``mode="hull"``) or its
axis-aligned bounding box (``mode="box"``), both enlarged by ``pad`` × the interocular distance;
or a fixed box (``boxes="companion"``: the companion's 224 × 224 boxes scaled to the image).
Inside the mask the pixels are replaced by

- ``grey``: the image's mean grey level (one value, all channels: mean of all pixels);
- a colour (``"#rrggbb"`` / ``"r,g,b"``);
- ``noise``: Gaussian noise with the image's per-channel mean and standard deviation (seeded);
- ``blur``: the image blurred with a Gaussian of σ = √(mask area) / 4 (at least 2 px).

Pixels outside the mask are never changed.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from facepsych.atomic import atomic_write, refuse_overlap
from facepsych.errors import FacepsychError
from facepsych.stimuli.continuum import CONDITIONS, load_continuum, write_continuum_frames
from facepsych.stimuli.morph import check_inside, load_rgb, parse_colour
from facepsych.stimuli.regions import (
    COMPANION_BOXES,
    REGIONS,
    bounding_box_mask,
    box_masks,
    polygon_mask,
    region_polygons,
)

FILLS = ("grey", "noise", "blur")
MODES = ("box", "hull")
DEFAULT_PAD = 0.15


def _boxes(boxes) -> dict | None:
    if boxes is None:
        return None
    if isinstance(boxes, str):
        if boxes != "companion":
            raise FacepsychError(f"unknown boxes {boxes!r}; use companion")
        return COMPANION_BOXES
    return dict(boxes)


def occlusion_mask(
    shape: tuple[int, int],
    region: str,
    *,
    landmarks=None,
    scheme: str | None = None,
    boxes=None,
    mode: str = "box",
    pad: float = DEFAULT_PAD,
    brows: bool = False,
) -> np.ndarray:
    """Boolean ``(H, W)`` mask of the occluder for ``region`` (eyes, nose, mouth)."""
    if region not in REGIONS:
        raise FacepsychError(f"unknown region {region!r}; use one of {REGIONS}")
    if mode not in MODES:
        raise FacepsychError(f"unknown occluder mode {mode!r}; use one of {MODES}")
    box_set = _boxes(boxes)
    if box_set is not None:
        if region not in box_set:
            raise FacepsychError(f"no box for region {region!r}")
        return box_masks(shape, {region: box_set[region]})[region]
    if landmarks is None:
        raise FacepsychError(
            "occluding a region needs landmarks (a file or --detector dlib) or fixed boxes "
            "(--boxes companion)"
        )
    polygon = region_polygons(landmarks, scheme, brows=brows, pad=pad)[region]
    return polygon_mask(polygon, shape) if mode == "hull" else bounding_box_mask(polygon, shape)


def fill_pixels(image: np.ndarray, mask: np.ndarray, fill: str = "grey", seed: int = 0):
    """Return a copy of ``image`` (H, W, 3 uint8) with the ``mask`` pixels replaced (see module
    doc for the fills)."""
    out = image.copy()
    if not mask.any():
        return out
    if fill == "grey":
        out[mask] = np.uint8(np.clip(np.round(image.mean()), 0, 255))
    elif fill == "noise":
        rng = np.random.default_rng(seed)
        mean = image.reshape(-1, 3).mean(0)
        std = image.reshape(-1, 3).std(0)
        noise = rng.normal(mean, std, size=(int(mask.sum()), 3))
        out[mask] = np.clip(np.round(noise), 0, 255).astype(np.uint8)
    elif fill == "blur":
        sigma = max(2.0, float(np.sqrt(mask.sum())) / 4)
        blurred = cv2.GaussianBlur(image, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
        out[mask] = blurred[mask]
    else:
        out[mask] = parse_colour(fill)
    return out


def _check_fill(fill: str) -> None:
    if fill not in FILLS:
        parse_colour(fill)  # raises a one-line error for anything that is not a colour


def occlude_image(
    img,
    region: str,
    *,
    landmarks=None,
    scheme: str | None = None,
    boxes=None,
    fill: str = "grey",
    seed: int = 0,
    mode: str = "box",
    pad: float = DEFAULT_PAD,
    brows: bool = False,
) -> Image.Image:
    """Occlude ``region`` of one image (path, PIL image or array); returns a PIL image."""
    _check_fill(fill)
    rgb = load_rgb(img)
    mask = occlusion_mask(rgb.shape[:2], region, landmarks=landmarks, scheme=scheme, boxes=boxes,
                          mode=mode, pad=pad, brows=brows)  # fmt: skip
    return Image.fromarray(fill_pixels(rgb, mask, fill, seed))


def occlude_continuum(
    src_dir,
    region: str,
    out_dir,
    *,
    boxes=None,
    fill: str = "grey",
    seed: int = 0,
    mode: str = "box",
    pad: float = DEFAULT_PAD,
    brows: bool = False,
    progress: bool = False,
) -> Path:
    """Occlude ``region`` on every frame of a continuum (landmarks from its manifest, or fixed
    ``boxes``) and write a continuum folder with ``condition = region`` (``full`` copies the
    frames). Landmarks must lie inside their frame (the check morphing uses). Frames are
    streamed into a staged folder that replaces ``out_dir`` only when complete: nothing is
    written when any frame fails, and ``out_dir`` may not be, lie inside or contain the source.
    Returns the manifest path."""
    if region not in CONDITIONS:
        raise FacepsychError(f"unknown region {region!r}; use one of {REGIONS}")
    _check_fill(fill)
    _boxes(boxes)
    cont = load_continuum(src_dir)
    if region != "full" and boxes is None and cont.landmarks is None:
        raise FacepsychError(
            f"{src_dir} has no landmarks in its manifest; give --boxes companion to use fixed boxes"
        )
    refuse_overlap(out_dir, [src_dir, *cont.frames])
    meta = _manifest_meta(Path(src_dir))
    iterator = range(len(cont))
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, desc=f"occlude {region}", unit="frame")

    def frames():
        for i in iterator:
            rgb = load_rgb(cont.frames[i])
            lm = None if cont.landmarks is None else cont.landmarks[i]
            if lm is not None:
                lm = check_inside(lm, rgb.shape[:2], f"{Path(cont.frames[i]).name}")
            if region == "full":
                yield rgb, lm
                continue
            mask = occlusion_mask(rgb.shape[:2], region, landmarks=lm, scheme=cont.scheme,
                                  boxes=boxes, mode=mode, pad=pad, brows=brows)  # fmt: skip
            yield fill_pixels(rgb, mask, fill, seed), lm

    return write_continuum_frames(
        out_dir,
        frames(),
        cont.levels,
        landmarks=cont.landmarks is not None,
        scheme=cont.scheme,
        source_a=meta.get("source_a"),
        source_b=meta.get("source_b"),
        alpha_shape=meta.get("alpha_shape"),
        alpha_texture=meta.get("alpha_texture"),
        condition=region,
        inputs=[src_dir, *cont.frames],
    )


def _manifest_meta(src: Path) -> dict:
    """source_a/b (single values) and per-frame alphas of a source manifest, in level order."""
    manifest = src if src.is_file() else src / "manifest.csv"
    if not manifest.is_file():  # a set of numbered frames: alphas unknown
        return {"alpha_shape": "", "alpha_texture": ""}
    with manifest.open(newline="") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: float(r["level"]))
    meta: dict = {}
    for key in ("source_a", "source_b"):
        values = {r.get(key) or "" for r in rows}
        meta[key] = values.pop() if len(values) == 1 else None
    for key in ("alpha_shape", "alpha_texture"):
        if all(r.get(key) not in (None, "") for r in rows):
            meta[key] = [float(r[key]) for r in rows]
        else:
            meta[key] = [""] * len(rows)
    return meta


def occlude_path(
    src,
    region: str,
    out_dir,
    *,
    landmarks=None,
    detector: str | None = None,
    largest: bool = False,
    predictor=None,
    **options,
) -> Path:
    """Occlude a continuum folder (→ :func:`occlude_continuum`, returns its manifest) or one
    image (landmarks from ``landmarks``/``detector``/a sibling file unless ``boxes`` are given;
    writes ``out_dir/<stem>_<region>.png`` and returns it)."""
    from facepsych.stimuli.morph import landmarks_for

    src = Path(src)
    if src.is_dir() or src.suffix.lower() == ".csv":
        return occlude_continuum(src, region, out_dir, **options)
    if not src.is_file():
        raise FacepsychError(f"not found: {src}")
    out = Path(out_dir) / f"{src.stem}_{region}.png"
    refuse_overlap(out, [src, landmarks])
    rgb = load_rgb(src)
    pts, scheme = None, None
    if options.get("boxes") is None:
        found = dict(detector=detector, largest=largest, predictor=predictor)
        pts, scheme = landmarks_for(src, landmarks, **found)
        pts = check_inside(pts, rgb.shape[:2], src.name)
    options.pop("progress", None)
    img = occlude_image(rgb, region, landmarks=pts, scheme=scheme, **options)
    return atomic_write(out, lambda p: img.save(p, format="PNG"))
