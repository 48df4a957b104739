"""One grid cell, end to end: train → predict every continuum × condition → fit → CAM regions.

``run_cell(task: CellTask)`` is the executor task. It only reads its picklable task and the files it
names, and writes under ``RUN/cells/<cell_id>/`` and ``RUN/training/<cell_id>/``:

- ``predictions.csv``: model, weights, variant, seed, continuum, condition, level, image,
  p_positive (one row per frame);
- ``fits.csv``: one row per continuum × condition (the PsychometricFit fields);
- ``regions.csv``: one row per CAM image (eyes, nose, mouth, other, diagnostic_ratio);
- ``attention.csv`` (only with ``analysis.fixations``): one row per CAM image that the fixation
  file names: continuum, condition, step, level, image (the fixation file's name) and the
  fixation metrics (:mod:`facepsych.attention.matching`);
- ``cams.npz``: the fused CAM maps of the first continuum's full-view frames (for the figures);
- ``done.json`` last (timings, attempt number).

Each file is written atomically, so an interrupted cell is simply redone by a resumed run.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from facepsych.experiment.grid import Cell
from facepsych.experiment.rundir import (
    RunFolder,
    atomic_write,
    read_csv_or_empty,
    write_csv,
    write_text,
)

#: The cell identity every row carries; ``domain`` = what the weights learned (object / face /
#: none for a random twin / unknown), the grouping of object- vs face-based comparisons.
ID_COLUMNS = ("cell_id", "model", "arch", "weights", "domain", "variant", "seed")


@dataclass(frozen=True)
class CellSettings:
    """What every cell of a run shares: the run folder, the training data (path, format and the
    config's ``data`` section), the config's ``analysis`` section, the feature cache folder."""

    run_dir: str
    data_path: str
    data_format: str
    data: dict[str, Any]
    analysis: dict[str, Any]
    feature_cache: str | None = None


@dataclass(frozen=True)
class CellTask:
    """One executor task: a grid cell, the run's shared settings, the stimulus sets (rows of
    ``StimulusSet.as_dict()``) and the cell's resolved weights spelling. Picklable."""

    cell: Cell
    settings: CellSettings
    stimuli: tuple[dict[str, Any], ...]
    weights_source: str

    @property
    def cell_id(self) -> str:
        return self.cell.cell_id


def _train_config(training: dict[str, Any], seed: int, cache_dir: str | None) -> Any:
    """Build the train stage's TrainConfig from the study's training section (known keys only)."""
    from facepsych.train import TrainConfig

    names = {f.name for f in dataclasses.fields(TrainConfig)}
    values = dict(training)
    values["seed"] = seed
    values["progress"] = False
    if values.get("device", "auto") == "auto":
        import torch

        values["device"] = "cuda" if torch.cuda.is_available() else "cpu"
    if cache_dir is not None:
        values["cache_dir"] = cache_dir
    return TrainConfig(**{k: v for k, v in values.items() if k in names and v is not None})


def _fit(levels: np.ndarray, p: np.ndarray, fit_cfg: dict[str, Any], seed: int) -> dict[str, Any]:
    """:func:`facepsych.psychophysics.fit_responses` of one curve, as a fits.csv row (an
    unfitted, flagged fit for a constant curve: a result, not a crash)."""
    from facepsych.psychophysics import FitSettings, fit_responses

    return fit_responses(levels, p, FitSettings(**fit_cfg), seed=seed).as_dict()


def _cam_regions(
    net: Any,
    cont: Any,
    cam_cfg: dict[str, Any],
    regions: str,
    ident: dict[str, Any],
    continuum: str,
    condition: str,
) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """:func:`facepsych.attention.cam_continuum` of one continuum × condition of the cell."""
    from facepsych.attention import CamSettings, cam_continuum

    key = {**ident, "continuum": continuum, "condition": condition}
    return cam_continuum(net, cont, CamSettings.from_dict(cam_cfg), regions, key)


def _cell_attention(
    fixations: Any, index: dict[str, int], cont: Any, maps: np.ndarray, steps: np.ndarray,
    sizes: list[tuple[int, int]], continuum: str, condition: str,
) -> list[dict[str, Any]]:  # fmt: skip
    """Fixation metrics of the CAM'd frames of one continuum × condition the fixations name
    (``index``: fixation name -> position in ``steps``)."""
    from facepsych.attention import attention_rows

    keys = [
        {"continuum": continuum, "condition": condition, "step": int(s),
         "level": float(cont.levels[s])}
        for s in steps
    ]  # fmt: skip
    return attention_rows(fixations, maps, sizes, keys, index)


def _train(task: CellTask, run: RunFolder) -> tuple[Any, dict[str, Any], Path]:
    """Train the cell's valence head on the valence set (its face chips with ``data.crop:
    face``); (training result, net spec, training folder)."""
    from facepsych.data import crop_dataset, load_dataset
    from facepsych.train import train_valence

    cell, settings, d = task.cell, task.settings, task.settings.data
    dataset = load_dataset(
        settings.data_path, settings.data_format, valence=d["valence"], skip_bad=d["skip_bad"],
        val_fraction=d["val_fraction"], seed=d["seed"],
    )  # fmt: skip
    dataset = crop_dataset(dataset, d.get("crop"), eager=True)
    train_dir = run.training_dir(cell.cell_id)
    tconf = _train_config(cell.training, cell.seed, settings.feature_cache)
    spec = cell.net_spec(task.weights_source)
    return train_valence(spec, dataset, train_dir, tconf, force=True), spec, train_dir


def _as_seen(cont: Any, crop: Any) -> Any:
    """The continuum as the network sees it: itself (crop ``none``), or a copy whose frames are
    the face chips (PIL images cut on each frame's landmarks) and whose landmarks are in chip
    pixels, so CAM region shares still use them."""
    from facepsych.data import crop_continuum, parse_crop

    settings = parse_crop(crop)
    if not settings.enabled:
        return cont
    chips = crop_continuum(cont, settings)
    return dataclasses.replace(
        cont, frames=chips.images, landmarks=chips.landmarks,
        scheme=chips.scheme if chips.landmarks is not None else cont.scheme,
    )  # fmt: skip


def _predict(task: CellTask, net: Any, ident: dict[str, Any]) -> tuple[pd.DataFrame, dict, dict]:
    """P(positive) of every frame of every stimulus set (of its face chips with ``data.crop:
    face``); (predictions, {(continuum, condition): Continuum as on disk}, {same key: Continuum
    as the network sees it})."""
    from facepsych.stimuli import load_continuum
    from facepsych.train import predict_images

    crop = task.settings.data.get("crop")
    rows, conts, seen = [], {}, {}
    for s in task.stimuli:
        cont = load_continuum(s["path"], reverse=s.get("reverse", False), every=s.get("every", 1))
        key = (s["continuum"], s["condition"])
        conts[key], seen[key] = cont, _as_seen(cont, crop)
        p = predict_images(net, list(seen[key].frames))
        for level, frame, prob in zip(cont.levels, cont.frames, p, strict=True):
            rows.append(
                {**ident, "continuum": s["continuum"], "condition": s["condition"],
                 "level": float(level), "image": str(frame), "p_positive": float(prob)}
            )  # fmt: skip
    return pd.DataFrame(rows), conts, seen


def _fits(predictions: pd.DataFrame, task: CellTask, ident: dict[str, Any]) -> pd.DataFrame:
    """One fitted curve per continuum × condition."""
    rows = []
    for (continuum, condition), grp in predictions.groupby(["continuum", "condition"], sort=False):
        levels, p = grp["level"].to_numpy(), grp["p_positive"].to_numpy()
        fit = _fit(levels, p, task.settings.analysis["fit"], seed=task.cell.seed)
        rows.append({**ident, "continuum": continuum, "condition": condition, **fit})
    return pd.DataFrame(rows)


def _cams(
    task: CellTask, net: Any, conts: dict, ident: dict[str, Any], run: RunFolder, out: Path,
    seen: dict | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:  # fmt: skip
    """CAM region rows of the configured conditions, fixation rows (None without fixations);
    writes ``cams.npz`` (the first continuum's full-view maps; with a face crop the chips they
    were computed on are written to ``chips/`` beside it and named in ``frames``)."""
    seen = conts if seen is None else seen
    analysis = task.settings.analysis
    cam_cfg = analysis["cam"]
    if not cam_cfg["enabled"]:
        return [], None
    fixations, fix_index = None, {}
    if analysis.get("fixations"):
        from facepsych.attention import CamSettings, cam_sets, match_fixation_frames
        from facepsych.attention.fixations import load_fixations

        fixations = load_fixations(analysis["fixations"])
        sets = cam_sets(list(task.stimuli), CamSettings.from_dict(cam_cfg))
        fix_index = match_fixation_frames(
            list(dict.fromkeys(fixations["image"])), {k: v[0] for k, v in sets.items()}
        )
    region_rows: list[dict[str, Any]] = []
    att_rows: list[dict[str, Any]] = []
    first_maps = None
    for (continuum, condition), cont in conts.items():
        if condition not in cam_cfg["conditions"]:
            continue
        rows, maps, steps, sizes = _cam_regions(
            net, seen[(continuum, condition)], cam_cfg, analysis["regions"], ident, continuum,
            condition,
        )  # fmt: skip
        region_rows.extend(rows)
        if fixations is not None:
            att = _cell_attention(
                fixations, fix_index[(continuum, condition)], cont, maps, steps, sizes,
                continuum, condition,
            )  # fmt: skip
            att_rows.extend({**ident, **row} for row in att)
        if first_maps is None and condition == "full":
            chips = seen[(continuum, condition)].frames
            if chips is not cont.frames:  # face chips: keep the images the maps belong to
                frames = [_write_chip(chips[s], out / "chips" / f"step_{s:02d}.png", run.path)
                          for s in steps]  # fmt: skip
            else:
                frames = [_relative(cont.frames[s], run.path) for s in steps]
            first_maps = (continuum, maps, steps, frames)
    if first_maps is not None:
        continuum, maps, steps, frames = first_maps
        arrays = {"maps": maps.astype(np.float16), "steps": steps,
                  "frames": np.asarray(frames), "continuum": np.asarray(continuum)}  # fmt: skip
        atomic_write(out / "cams.npz", lambda p: _save_npz(p, arrays))
    return region_rows, (att_rows if fixations is not None else None)


def run_cell(task: CellTask) -> dict[str, Any]:
    """The executor task for one cell: train → predict → fit → CAM → write (module docstring)."""
    import torch

    from facepsych.train import load_run

    cell = task.cell
    run = RunFolder(task.settings.run_dir)
    out = run.cell_dir(cell.cell_id)
    attempt = run.mark_started(cell.cell_id)
    ident = {name: getattr(cell, name) for name in ID_COLUMNS}
    timings: dict[str, float] = {}

    def step(name: str) -> float:
        write_text(out / "step.txt", name)
        return time.perf_counter()

    torch.manual_seed(cell.seed)
    np.random.seed(cell.seed % (2**32))  # noqa: NPY002  (libraries that use the global RNG)
    t = step("train")
    result, spec, train_dir = _train(task, run)
    timings["train_s"] = time.perf_counter() - t
    t = step("predict")
    from facepsych.runtime import resolve_device

    net = load_run(train_dir).eval().to(resolve_device(cell.training.get("device") or "auto"))
    predictions, conts, seen = _predict(task, net, ident)
    timings["predict_s"] = time.perf_counter() - t
    t = step("fit")
    fits = _fits(predictions, task, ident)
    timings["fit_s"] = time.perf_counter() - t
    t = step("cam")
    region_rows, att_rows = _cams(task, net, conts, ident, run, out, seen)
    timings["cam_s"] = time.perf_counter() - t

    write_csv(out / "predictions.csv", predictions)
    write_csv(out / "fits.csv", fits)
    write_csv(out / "regions.csv", pd.DataFrame(region_rows))
    if att_rows is not None:
        from facepsych.attention import ATTENTION_KEYS, METRIC_COLUMNS

        columns = [*ID_COLUMNS, *ATTENTION_KEYS, *METRIC_COLUMNS]
        write_csv(out / "attention.csv", pd.DataFrame(att_rows, columns=columns))
    info = {
        "cell": cell.as_dict(), "attempt": attempt, "timings": timings, "net_spec": spec,
        "weight_info": _weight_info(net), "best_epoch": getattr(result, "best_epoch", None),
        "best_val_acc": getattr(result, "best_val_acc", None), "training_dir": str(train_dir),
    }  # fmt: skip
    run.mark_done(cell.cell_id, info)
    return info


def _relative(path: str | Path, root: Path) -> str:
    """``path`` relative to the run folder when inside it (the folder stays movable)."""
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def _write_chip(image: Any, path: Path, root: Path) -> str:
    """Save a chip (PNG, atomically); its path relative to the run folder."""
    atomic_write(path, lambda p: image.save(p, format="PNG"))
    return _relative(path, root)


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def _weight_info(net: Any) -> dict[str, Any] | None:
    wi = getattr(net, "weight_info", None)
    return wi.as_dict() if hasattr(wi, "as_dict") else None


def read_cell_table(run: RunFolder, cell_id: str, name: str) -> pd.DataFrame:
    return read_csv_or_empty(Path(run.cell_dir(cell_id)) / name)
