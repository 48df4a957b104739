"""``facepsych cam``: CAMs of a trained run's model for a file, a folder or continuum folders.

``run_cams``: a trained run folder + images (one image, a folder of images, a continuum folder,
or a folder of continuum folders such as full/eyes/nose/mouth occlusion sets) ->
``cams.npz`` (fused maps, raw per-layer maps, vertical profiles, image names, levels,
conditions, original sizes, targets, P(positive)), ``regions.csv`` (tidy region shares per
image × layer), ``profiles.csv`` (peak row and region of each fused map's vertical profile),
overlays, a grid figure (conditions × steps) and region-share bars. The maps are computed by
:func:`facepsych.attention.cam_images`, the path the study runner takes too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from facepsych.atomic import atomic_csv, atomic_json, atomic_write, ensure_folder
from facepsych.attention.cam import _CamEngine
from facepsych.attention.continuum import CamSettings, _load_rgb, cam_images, cam_layers
from facepsych.attention.regions import (
    REGION_COLUMNS,
    companion_masks,
    landmark_masks,
    region_rows,
    vertical_profile,
)
from facepsych.errors import FacepsychError
from facepsych.stimuli.continuum import IMAGE_SUFFIXES

__all__ = ["ImageItem", "collect_images", "run_cams"]


@dataclass
class ImageItem:
    """One image to explain: its file, name (relative to the input root), level, condition and
    landmarks (pixel coordinates in the image's own frame) when the continuum has them."""

    path: Path
    name: str
    level: float = float("nan")
    condition: str = "full"
    landmarks: np.ndarray | None = None
    scheme: str | None = None


def _continuum_items(folder: Path, root: Path) -> list[ImageItem]:
    from facepsych.stimuli import load_continuum

    cont = load_continuum(folder)
    items = []
    for i, frame in enumerate(cont.frames):
        items.append(ImageItem(
            path=Path(frame), name=Path(frame).relative_to(root).as_posix()
            if Path(frame).is_relative_to(root) else Path(frame).name,
            level=float(cont.levels[i]), condition=cont.condition,
            landmarks=None if cont.landmarks is None else np.asarray(cont.landmarks[i], float),
            scheme=cont.scheme,
        ))  # fmt: skip
    return items


def collect_images(path: str | Path) -> list[ImageItem]:
    """Images under ``path``: a file, a continuum folder (``manifest.csv``) or manifest file
    (e.g. from ``facepsych continuum DIR --out set.csv``), a folder holding
    continuum folders at any depth (e.g. ``ID/full``, ``ID/eyes`` from ``facepsych synth
    continuum --occlude``), or a plain folder of images (sorted by name)."""
    root = Path(path)
    if root.is_file() and root.suffix.lower() == ".csv":  # a continuum manifest
        return _continuum_items(root, root.parent)
    if root.is_file():
        if root.suffix.lower() not in IMAGE_SUFFIXES:
            raise FacepsychError(f"{root} is not an image ({', '.join(sorted(IMAGE_SUFFIXES))})")
        return [ImageItem(path=root, name=root.name)]
    if not root.is_dir():
        raise FacepsychError(f"images not found: {root}")
    if (root / "manifest.csv").is_file():
        return _continuum_items(root, root)
    subs = sorted(m.parent for m in root.rglob("manifest.csv"))  # continua at any depth
    if subs:
        return [item for d in subs for item in _continuum_items(d, root)]
    files = sorted(f for f in root.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise FacepsychError(f"no images in {root}")
    return [ImageItem(path=f, name=f.name) for f in files]


def _chip(cropper, item: ImageItem):
    """The image as the network sees it; a face chip carries the item's landmarks into chip
    pixels (``item`` is updated)."""
    image = _load_rgb(item.path)
    if not cropper.settings.enabled:
        return image
    face = cropper.crop(image, landmarks=item.landmarks, scheme=item.scheme, path=item.path)
    if item.landmarks is not None:
        item.landmarks, item.scheme = face.landmarks, face.scheme
    return face.image


def _safe_name(name: str) -> str:
    return Path(name).with_suffix("").as_posix().replace("/", "__")


def run_cams(
    run_dir: str | Path,
    images: str | Path,
    out_dir: str | Path,
    *,
    method: str = "layercam",
    layers: list[str] | tuple[str, ...] | None = None,
    target: str | int = "positive",
    regions: str = "companion",
    batch_size: int = 32,
    overlays: bool = True,
    net: nn.Module | None = None,
    crop=None,
) -> Path:
    """CAMs of every image for the model of ``run_dir`` (or ``net``); writes ``cams.npz``,
    ``regions.csv``, ``profiles.csv``, ``overlays/``, ``cam_grid.png``, ``region_shares.png``.
    Returns ``out_dir``.

    ``crop``: None = the run's recorded crop (``face``: each image is cut to its face chip, on
    the continuum's landmarks when it has them, and those landmarks are carried into chip pixels
    for ``regions="landmarks"``), else ``face`` / ``none``."""
    if regions not in ("companion", "landmarks"):
        raise FacepsychError(f"unknown regions {regions!r}; use landmarks or companion")
    items = collect_images(images)
    if regions == "landmarks":
        missing = [it.name for it in items if it.landmarks is None]
        if missing:
            raise FacepsychError(
                f"{missing[0]} has no landmarks (continuum manifest without them, or plain "
                "images); use --regions companion"
            )
    from facepsych.data import FaceCropper, crop_of_run, parse_crop

    if crop is None and run_dir is not None and (Path(run_dir) / "config.json").is_file():
        from facepsych.train.runs import read_run_config

        crop = crop_of_run(read_run_config(run_dir))
    cropper = FaceCropper(parse_crop(crop), table_root=Path(images))
    if net is None:
        from facepsych.train import load_run

        net = load_run(Path(run_dir))
    settings = CamSettings(method=method, layers=tuple(layers) if layers else None, target=target)
    layers = cam_layers(net, settings)
    _CamEngine(net, layers)  # validates the layer names before any image is read

    maps, raws, targets, probs, sizes, pil_images = [], {ly: [] for ly in layers}, [], [], [], []
    from tqdm import tqdm

    starts = range(0, len(items), batch_size)
    for start in tqdm(starts, desc="CAMs", unit="batch", leave=False, disable=len(starts) < 2):
        chunk = items[start : start + batch_size]
        pils = [_chip(cropper, it) for it in chunk]
        res = cam_images(net, pils, settings)
        maps.append(res.maps.cpu().numpy().astype(np.float32))
        for ly in layers:
            raws[ly].append(res.raw[ly].cpu().numpy().astype(np.float32))
        targets.append(res.targets.cpu().numpy())
        p = torch.softmax(res.scores, 1)
        probs.append(p[:, 1].cpu().numpy() if p.shape[1] > 1 else np.full(len(chunk), np.nan))
        sizes += [img.size for img in pils]
        pil_images += pils if overlays else []
    fused = np.concatenate(maps)
    raw = {ly: np.concatenate(v) for ly, v in raws.items()}
    shape = fused.shape[1:]
    out = ensure_folder(out_dir)  # created only now: a bad method, target or image leaves none

    if regions == "companion":
        masks = [companion_masks(shape)] * len(items)
    else:
        masks = [landmark_masks(it.landmarks, it.scheme, shape, frame_size=sz)
                 for it, sz in zip(items, sizes, strict=True)]  # fmt: skip
    names = [it.name for it in items]
    levels = [it.level for it in items]
    conds = [it.condition for it in items]
    rows = region_rows(fused, masks, images=names, levels=levels, condition=conds,
                       layer="fused", method=method)  # fmt: skip
    if len(layers) > 1:
        for ly in layers:
            up = torch.nn.functional.interpolate(
                torch.from_numpy(raw[ly])[:, None], size=shape, mode="bilinear",
                align_corners=False,
            )[:, 0].numpy()  # fmt: skip
            rows += region_rows(up, masks, images=names, levels=levels, condition=conds,
                                layer=ly, method=method)  # fmt: skip
    table = pd.DataFrame(rows, columns=list(REGION_COLUMNS))
    atomic_csv(out / "regions.csv", table)
    profiles = [vertical_profile(m, msk) for m, msk in zip(fused, masks, strict=True)]
    atomic_csv(out / "profiles.csv", pd.DataFrame({
        "image": names, "level": levels, "condition": conds,
        "peak_row": [p.peak_row for p in profiles],
        "peak_region": [p.peak_region for p in profiles],
    }))  # fmt: skip

    arrays = dict(
        images=np.array(names), levels=np.array(levels, float), conditions=np.array(conds),
        sizes=np.array(sizes, int), targets=np.concatenate(targets),
        profiles=np.stack([p.profile for p in profiles]).astype(np.float32),
        p_positive=np.concatenate(probs), maps=fused, layers=np.array(layers),
        method=np.array(method), **{f"raw/{ly}": v for ly, v in raw.items()},
    )  # fmt: skip
    atomic_write(out / "cams.npz", lambda p: _save_npz(p, arrays))
    atomic_json(out / "cams.json", {
        "method": method, "layers": list(layers), "target": str(target), "regions": regions,
        "images": len(items), "map_size": list(shape), "run_dir": str(run_dir),
    })  # fmt: skip
    if overlays:
        _write_figures(out, items, pil_images, fused, rows, method, layers)
    return out


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as fh:  # a handle: np.savez would add ".npz" to the temp name
        np.savez_compressed(fh, **arrays)


def _write_figures(out, items, pils, fused, rows, method, layers) -> None:
    from facepsych.attention.plots import cam_grid, plot_region_shares, save_overlay

    for it, img, cam in zip(items, pils, fused, strict=True):
        save_overlay(img, cam, out / "overlays" / f"{_safe_name(it.name)}.png")
    # one row per continuum folder (e.g. ID/full, ID/eyes) so identities are never mixed in a row
    keys = [(Path(it.name).parent.as_posix(), it.condition) for it in items]
    groups = list(dict.fromkeys(keys))
    labels = [folder if folder not in ("", ".") else cond for folder, cond in groups]
    cells, col_labels = [], None
    for key in groups:
        idx = [i for i, k in enumerate(keys) if k == key]
        if len(idx) > 11:  # at most 11 evenly spaced steps per row
            idx = [idx[int(round(k))] for k in np.linspace(0, len(idx) - 1, 11)]
        cells.append([(pils[i], fused[i]) for i in idx])
        if col_labels is None:
            col_labels = [
                f"{items[i].level:.2f}" if np.isfinite(items[i].level) else Path(items[i].name).stem
                for i in idx
            ]
    cam_grid(cells, out / "cam_grid.png", row_labels=labels, col_labels=col_labels,
             title=f"{method} {' + '.join(layers)}")  # fmt: skip
    fused_rows = [r for r in rows if r["layer"] == "fused"]
    plot_region_shares(fused_rows, out / "region_shares.png", by="condition",
                       title=f"{method}: share of CAM mass")  # fmt: skip
