"""Reading a training run folder back: the model with its best weights, its config, metrics."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from facepsych.errors import FacepsychError


def read_run_config(run_dir: str | Path) -> dict:
    """``config.json`` of a run folder (FacepsychError when the folder is not a finished run)."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise FacepsychError(f"{run_dir}: not a finished training run (no config.json)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise FacepsychError(f"{path}: invalid JSON ({exc.msg})") from None


def load_run(run_dir: str | Path, *, map_location: str | torch.device = "cpu"):
    """Rebuild the run's FacepsychNet (architecture from ``config.json``) with ``best.pt`` loaded
    strictly, the run's preprocessing and weight info, in eval mode."""
    from facepsych.models import build_model
    from facepsych.models.preprocessing import Preprocessing
    from facepsych.models.weights import WeightInfo

    run_dir = Path(run_dir)
    config = read_run_config(run_dir)
    ckpt = run_dir / "best.pt"
    if not ckpt.is_file():
        raise FacepsychError(f"{run_dir}: best.pt is missing")
    spec = dict(config["net"])
    spec["weights"] = "random"  # every tensor comes from best.pt
    net = build_model(**spec)
    from facepsych.models.weights import read_state_dict

    state = read_state_dict(ckpt)  # one-line errors for truncated / corrupted / foreign files
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise FacepsychError(f"{ckpt}: does not match the run's model ({first})") from None
    if "preprocessing" in config:
        net.preprocessing = Preprocessing.from_dict(config["preprocessing"])
    if "weight_info" in config:
        net.weight_info = WeightInfo.from_dict(config["weight_info"])
    return net.eval()


def read_metrics(run_dir: str | Path):
    """``metrics.csv`` as a DataFrame."""
    import pandas as pd

    return pd.read_csv(Path(run_dir) / "metrics.csv")
