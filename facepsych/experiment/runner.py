"""``run_experiment``: one config runs the whole paradigm into a resumable run folder.

Order of work:

1. validate the config, expand the grid into cells, open the run folder (refuse a changed config
   unless ``force``; skip finished cells when ``resume``);
2. study inputs once: stimuli in every condition (then, with ``analysis.fixations``, the check
   that the fixation file names some CAM'd frame, before anything is trained), training data,
   pre-trained backbones (cached), the human reference (``humans.csv``);
3. the unfinished cells, through the chosen executor (:mod:`facepsych.experiment.executors`);
4. merge the cells' tables in grid order into ``predictions.csv``, ``fits.csv``, ``regions.csv``
   (and ``attention.csv`` with ``analysis.fixations``); add the series fits to ``fits.csv``
   (:mod:`facepsych.experiment.seriesfits`); score every fit and series against the humans
   (``comparison.csv``); write ``manifest.json``;
5. figures and ``report.html``, by the ``report`` callable the caller hands in (the study page
   sits above the runner: :func:`facepsych.study.run_study` passes
   :func:`facepsych.report.build_report`).
"""

from __future__ import annotations

import dataclasses
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from facepsych.errors import FacepsychError
from facepsych.experiment.config import ExperimentConfig
from facepsych.experiment.executors import EXECUTORS, Progress, run_cells
from facepsych.experiment.grid import Cell, expand_grid
from facepsych.experiment.loading import load_config
from facepsych.experiment.pipeline import CellSettings, CellTask, read_cell_table, run_cell
from facepsych.experiment.prepare import (
    prepare_data,
    prepare_humans,
    prepare_stimuli,
    prepare_weights,
    weight_hashes,
)
from facepsych.experiment.rundir import RunFolder, read_json, write_csv
from facepsych.runtime import StepLog, resolve_device
from facepsych.train.config import check_extract_executor


def _versions() -> dict[str, str]:
    import torch
    import torchvision

    from facepsych import __version__

    return {
        "facepsych": __version__,
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "platform": platform.platform(),
    }


def _as_config(config: str | Path | ExperimentConfig | dict) -> ExperimentConfig:
    if isinstance(config, ExperimentConfig):
        return config
    if isinstance(config, dict):
        from facepsych.experiment.loading import config_from_dict

        return config_from_dict(config)
    return load_config(config)


def default_out_dir(cfg: ExperimentConfig) -> Path:
    if cfg.output.dir:
        return Path(cfg.output.dir)
    from facepsych.atomic import safe_name

    return Path("runs") / safe_name(cfg.name, "config name")


def compare_fits(predictions: pd.DataFrame, fits: pd.DataFrame, humans: Any) -> pd.DataFrame:
    """``comparison.csv``: one row per model × continuum × condition, scored against humans."""
    from facepsych.psychophysics import PsychometricFit, compare_to_humans

    rows = []
    keys = ["cell_id", "continuum", "condition"]
    fit_idx = fits.set_index(keys) if len(fits) else None
    for key, grp in predictions.groupby(keys, sort=False):
        first = grp.iloc[0]
        model_fit = None
        if fit_idx is not None and key in fit_idx.index:
            model_fit = PsychometricFit.from_dict(fit_idx.loc[key].to_dict())
        scores = compare_to_humans(
            grp["level"].to_numpy(), grp["p_positive"].to_numpy(), humans, model_fit=model_fit
        )
        row = {k: first[k] for k in ("cell_id", "model", "arch", "weights", "variant", "seed")}
        row.update({"continuum": key[1], "condition": key[2]})
        row.update({k: v for k, v in scores.items() if np.isscalar(v) or v is None})
        rows.append(row)
    return pd.DataFrame(rows)


def merge_tables(
    run: RunFolder, cells: list[Cell], *, attention: bool = False
) -> dict[str, pd.DataFrame]:
    """The cells' tables concatenated in grid order (``attention.csv`` too with ``attention``)."""
    out = {}
    names = ("predictions.csv", "fits.csv", "regions.csv")
    for name in (*names, "attention.csv") if attention else names:
        frames = [read_cell_table(run, c.cell_id, name) for c in cells]
        frames = [f for f in frames if len(f)]
        out[name] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return out


def run_experiment(
    config_path_or_obj: str | Path | ExperimentConfig | dict,
    out_dir: str | Path | None = None,
    *,
    executor: str = "local",
    workers: int = 1,
    resume: bool = False,
    force: bool = False,
    progress: bool = True,
    report: Callable[[Path], Any] | None = None,
    log=None,
    device: str | None = None,
    extract_executor: str | None = None,
) -> Path:
    """Run the study described by a config into ``out_dir``; return the run folder.

    ``device`` (``auto`` | ``cpu`` | ``cuda[:N]``) overrides every cell's ``training.device``
    (training, prediction and CAMs run there) and the pre-training's; the config fingerprint
    and the cell ids do not change, so a run resumes on another device. ``extract_executor``
    (``local`` | ``ray``) likewise overrides every cell's ``training.extract_executor``: where
    the frozen features are extracted, not what they are.

    Off a terminal (a pipe, a file, ``nohup``, CI) the log lines carry the elapsed time
    (:class:`facepsych.runtime.StepLog`) and the cells print one line each as they finish."""
    steps = StepLog()
    if log is None:
        log = steps if steps.enabled else (lambda msg: print(msg, file=sys.stderr))
    t0 = time.time()
    if executor not in EXECUTORS:
        raise FacepsychError(f"unknown executor {executor!r} (choose {' or '.join(EXECUTORS)})")
    if workers < 1:
        raise FacepsychError(f"--workers must be >= 1, got {workers}")
    if device is not None:
        resolve_device(device)  # a wrong spelling, or cuda without a GPU: one line, before work
    if extract_executor is not None:
        check_extract_executor(extract_executor)
    cfg = _as_config(config_path_or_obj)
    cells = expand_grid(cfg)
    overrides = {k: v for k, v in (("device", device), ("extract_executor", extract_executor))
                 if v is not None}  # fmt: skip
    if overrides:
        cells = [dataclasses.replace(c, training={**c.training, **overrides}) for c in cells]
    run = RunFolder(out_dir if out_dir is not None else default_out_dir(cfg))
    config_dict = cfg.as_dict()
    mode = run.prepare(config_dict, cfg.fingerprint(), resume=resume, force=force)

    manifest: dict[str, Any] = {
        "status": "running",
        "config_fingerprint": cfg.fingerprint(),
        "config": config_dict,
        "versions": _versions(),
        "cells": [c.as_dict() for c in cells],
        "seeds": {"study": cfg.seed, "cells": sorted({c.seed for c in cells})},
        "started_at": t0,
        "mode": mode,
        "executor": executor,
        "workers": workers,
        "device": device or cfg.training.device,
        "extract_executor": extract_executor or cfg.training.extract_executor,
    }
    old = run.read_manifest()
    if old and mode == "resume":
        manifest["timings"] = old.get("timings", {})
    run.write_manifest(manifest)

    timings: dict[str, float] = {}
    t = time.time()
    stimuli = prepare_stimuli(cfg, run)
    if cfg.analysis.fixations:  # which frames the fixations name: known before any training
        from facepsych.attention import CamSettings, check_fixations

        fix_info = check_fixations(
            cfg.analysis.fixations,
            [s.as_dict() for s in stimuli],
            CamSettings.from_dict(cfg.analysis.cam.model_dump()),
        )
        manifest["fixations"] = fix_info
        if fix_info["unmatched"]:
            log(
                f"fixations: {fix_info['matched']} of {fix_info['images']} image(s) name a CAM'd "
                f"frame; not compared: {', '.join(fix_info['unmatched'][:3])}"
                + (" …" if len(fix_info["unmatched"]) > 3 else "")
            )
    data_path, data_format, data_notes = prepare_data(cfg)
    sources, pretrain_info = prepare_weights(
        cfg, log=log, device=device or cfg.training.device or "auto"
    )
    humans = prepare_humans(cfg, run)
    timings["prepare_s"] = time.time() - t

    from facepsych.data import load_dataset

    ds = load_dataset(
        data_path,
        data_format,
        valence=cfg.data.valence,
        skip_bad=cfg.data.skip_bad,
        val_fraction=cfg.data.val_fraction,
        seed=cfg.data.seed,
    )
    data_summary = ds.summary()
    manifest.update(
        {
            "data": {
                "path": data_path,
                "format": data_format,
                **data_notes,
                "summary": data_summary,
            },
            "pretrained": pretrain_info,
            "weights": {
                s: {"resolved": sources[s], "sha256": h} for s, h in weight_hashes(sources).items()
            },
            "stimuli": [s.as_dict() for s in stimuli],
        }
    )
    run.write_manifest(manifest)

    todo = [c for c in cells if not run.is_done(c.cell_id)]
    if len(todo) < len(cells):
        log(f"resuming: {len(cells) - len(todo)} of {len(cells)} cells already finished")
    from facepsych.experiment.cache import cache_dir

    feature_cache = str(cache_dir() / "features")
    settings = CellSettings(
        run_dir=str(run.path),
        data_path=data_path,
        data_format=data_format,
        data=config_dict["data"],
        analysis=config_dict["analysis"],
        feature_cache=feature_cache,
    )
    stimulus_rows = tuple(s.as_dict() for s in stimuli)
    payloads = [
        CellTask(c, settings, stimulus_rows, weights_source=sources[c.weights_source]) for c in todo
    ]
    t = time.time()
    with Progress(
        len(cells), run.path, enabled=progress, done=len(cells) - len(todo), started=steps.t0
    ) as prog:
        run_cells(run_cell, payloads, executor=executor, workers=workers, progress=prog)
    timings["cells_s"] = time.time() - t

    t = time.time()
    tables = merge_tables(run, cells, attention=bool(cfg.analysis.fixations))
    from facepsych.experiment import seriesfits

    preds, per_continuum = tables["predictions.csv"], tables["fits.csv"]
    series = seriesfits.series_fits(preds, cfg.analysis.fit.model_dump(), seed=cfg.seed)
    tables["fits.csv"] = seriesfits.with_series(per_continuum, series)
    for name, df in tables.items():
        write_csv(run.path / name, df)
    comparison = seriesfits.with_series_comparison(
        compare_fits(preds, per_continuum, humans),
        seriesfits.series_comparison(
            preds, series, humans, seriesfits.read_trials(run.path), seed=cfg.seed
        ),
    )
    write_csv(run.path / "comparison.csv", comparison)
    timings["merge_s"] = time.time() - t

    cell_info = {c.cell_id: read_json(run.cell_dir(c.cell_id) / "done.json") for c in cells}
    manifest.update(
        {
            "status": "complete",
            "finished_at": time.time(),
            "cell_results": cell_info,
            "timings": {**timings, "total_s": time.time() - t0},
        }
    )
    run.write_manifest(manifest)
    if report and cfg.output.figures:
        t = time.time()
        report(run.path)
        manifest["timings"]["report_s"] = time.time() - t
        run.write_manifest(manifest)
    return run.path
