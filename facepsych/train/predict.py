"""P(positive) for images with a trained run: arrays for code, a tidy CSV for the command line.

P(positive) = softmax(net(x))[1], x = the run's own preprocessing of the image — of its face
chip when the run was trained with ``crop: face`` (the run's recorded crop is reused: continuum
frames are cut on their own landmark files, other images on a ``landmarks.csv``, a sidecar file
or dlib detection).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm.auto import tqdm

from facepsych.data.records import IMAGE_SUFFIXES
from facepsych.errors import FacepsychError
from facepsych.train.atomic import write_text


def _open(item: Path | Image.Image) -> Image.Image:
    from facepsych.data.images import read_rgb, to_rgb

    return to_rgb(item) if isinstance(item, Image.Image) else read_rgb(item)


@torch.no_grad()
def predict_images(
    net, images: Sequence[Path | str | Image.Image], *, batch_size: int = 64, progress: bool = False
) -> np.ndarray:
    """P(positive) per image, shape (N,), in input order (eval mode, no gradient)."""
    net.eval()
    device = next(net.parameters()).device
    out: list[np.ndarray] = []
    items = [Path(i) if isinstance(i, str) else i for i in images]
    for start in tqdm(
        range(0, len(items), batch_size), desc="predicting", unit="batch", disable=not progress
    ):
        batch = [_open(i) for i in items[start : start + batch_size]]
        x = net.preprocessing.batch(batch)
        if device.type == "cuda":  # float32 on the GPU: P(positive) feeds the curve fits
            x = x.pin_memory().to(device, non_blocking=True)
        logits = net(x.to(device))
        out.append(torch.softmax(logits.float(), dim=1)[:, 1].cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0)


Marks = dict[Path, tuple[np.ndarray, str | None]]  # frame -> its continuum landmarks, scheme


def _marks(cont) -> Marks:
    if cont.landmarks is None:
        return {}
    pairs = zip(cont.frames, cont.landmarks, strict=True)
    return {Path(f): (np.asarray(p, float), cont.scheme) for f, p in pairs}


def _single_continuum(path: Path) -> tuple[list[Path], dict[str, list], Marks]:
    from facepsych.stimuli import load_continuum

    cont = load_continuum(path)
    extra: dict[str, list] = {"level": [float(v) for v in cont.levels]}
    extra["condition"] = [cont.condition] * len(cont.frames)
    return list(cont.frames), extra, _marks(cont)


def _collect_continua(root: Path, folders: list[Path]) -> tuple[list[Path], dict[str, list], Marks]:
    from facepsych.stimuli import load_continuum

    files: list[Path] = []
    extra: dict[str, list] = {"level": [], "condition": [], "continuum": []}
    marks: Marks = {}
    for folder in folders:
        cont = load_continuum(folder)
        parts = folder.relative_to(root).parts
        if parts and parts[-1] == cont.condition:
            parts = parts[:-1]
        name = "/".join(parts) or root.name
        files += list(cont.frames)
        extra["level"] += [float(v) for v in cont.levels]
        extra["condition"] += [cont.condition] * len(cont.frames)
        extra["continuum"] += [name] * len(cont.frames)
        marks.update(_marks(cont))
    return files, extra, marks


def collect_images(path: str | Path) -> tuple[list[Path], dict[str, list]]:
    """The images named by ``path`` and extra per-image columns.

    - a continuum folder (``manifest.csv``): frames in level order, columns ``level`` (+ ``step``,
      ``condition``), read with ``facepsych.stimuli.load_continuum``;
    - a folder holding continuum folders at any depth (e.g. ``facepsych synth continuum
      --occlude`` writes ``ID/full``, ``ID/eyes``, …): every continuum, columns ``level``,
      ``condition`` and ``continuum`` (the folder relative to ``path``, less a last component
      that just names the condition);
    - a continuum ``manifest.csv`` anywhere (e.g. from ``facepsych continuum DIR --out
      set.csv``): as a continuum folder;
    - another folder: its image files (recursively, sorted);
    - a ``.txt`` list (one path per line, relative to the list's folder) or a ``.csv`` with an
      ``image`` or ``file`` column;
    - a single image file.
    """
    files, extra, _ = _collect(path)
    return files, extra


def _collect(path: str | Path) -> tuple[list[Path], dict[str, list], Marks]:
    """:func:`collect_images` plus the landmarks of continuum frames."""
    path = Path(path)
    if path.is_dir() and (path / "manifest.csv").is_file():
        return _single_continuum(path)
    if path.is_dir():
        continua = sorted(m.parent for m in path.rglob("manifest.csv"))
        if continua:
            return _collect_continua(path, continua)
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
        if not files:
            raise FacepsychError(f"{path}: no image files found")
        return files, {}, {}
    if not path.exists():
        raise FacepsychError(f"images not found: {path}")
    if path.suffix.lower() == ".txt":
        lines = [ln.strip() for ln in path.read_text().splitlines() if ln.strip()]
        files = [(path.parent / ln) if not Path(ln).is_absolute() else Path(ln) for ln in lines]
        return files, {}, {}
    if path.suffix.lower() == ".csv":
        from facepsych.csvfiles import read_csv

        table = read_csv(path)
        if {"step", "level", "file"} <= set(table.columns):  # a continuum manifest
            return _single_continuum(path)
        column = next((c for c in ("image", "file") if c in table.columns), None)
        if column is None:
            raise FacepsychError(f"{path}: needs an 'image' or 'file' column")
        return [path.parent / str(v) for v in table[column]], {}, {}
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return [path], {}, {}
    raise FacepsychError(f"{path}: give a folder, a continuum folder, a .txt/.csv list or an image")


def chip_images(files: Sequence[Path], crop, marks: Marks | None = None, *, root=None) -> list:
    """``files`` as the inputs a run with ``crop`` sees: the files themselves (crop ``none``), or
    their face chips, cut on ``marks`` (a continuum frame's own landmarks) where given, else on a
    ``landmarks.csv`` up to ``root``, a sidecar landmark file or dlib detection."""
    from facepsych.data import FaceCropper, parse_crop

    settings = parse_crop(crop)
    if not settings.enabled:
        return list(files)
    cropper = FaceCropper(settings, table_root=root)
    out = []
    for f in files:
        pts, scheme = (marks or {}).get(Path(f), (None, None))
        out.append(cropper(_open(Path(f)), landmarks=pts, scheme=scheme, path=Path(f)))
    return out


def run_crop(run_dir: str | Path, crop=None):
    """The crop to use with a run: ``crop`` when given, else the one the run recorded."""
    from facepsych.data import crop_of_run, parse_crop
    from facepsych.train.runs import read_run_config

    return parse_crop(crop) if crop is not None else crop_of_run(read_run_config(run_dir))


def predict_to_csv(
    run_dir: str | Path,
    images: str | Path,
    out_csv: str | Path,
    *,
    batch_size: int = 64,
    device: str = "cpu",
    crop=None,
):
    """Predict with a run folder's best model on ``device`` (``auto`` | ``cpu`` | ``cuda[:N]``);
    write the tidy CSV ``image, p_positive, predicted_label`` (+ ``level``, ``condition`` for a
    continuum) atomically; return the table. ``crop``: None = the run's recorded crop
    (:func:`run_crop`), else ``face`` / ``none``."""
    import pandas as pd

    from facepsych.runtime import resolve_device
    from facepsych.train.runs import load_run

    settings = run_crop(run_dir, crop)
    net = load_run(run_dir).to(resolve_device(device))
    files, extra, marks = _collect(images)
    root = Path(images) if Path(images).is_dir() else Path(images).parent
    inputs = chip_images(files, settings, marks, root=root)
    p = predict_images(net, inputs, batch_size=batch_size, progress=True)
    table = pd.DataFrame({"image": [str(f) for f in files], "p_positive": p})
    table["predicted_label"] = np.where(p >= 0.5, "positive", "negative")
    for key, values in extra.items():
        table[key] = values
    write_text(out_csv, table.to_csv(index=False))
    return table
