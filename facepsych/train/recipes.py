"""One-call recipe for the command line: load a dataset from disk and train on it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from facepsych.train.config import TrainConfig, TrainResult
from facepsych.train.transfer import train_valence


def train_from_path(
    arch: str,
    weights: str,
    data: str | Path,
    format: str,
    out_dir: str | Path,
    *,
    valence: str = "default",
    skip_bad: bool = False,
    val_fraction: float = 0.2,
    hidden: int | None = None,
    excitation: Sequence[str] | None = None,
    reduction: int = 16,
    config: TrainConfig | None = None,
    force: bool = False,
) -> TrainResult:
    """``load_dataset(data, format, …)`` then ``train_valence`` with the given net spec."""
    from facepsych.data import load_dataset

    config = config or TrainConfig()
    dataset = load_dataset(
        data,
        format,
        valence=valence,
        skip_bad=skip_bad,
        val_fraction=val_fraction,
        seed=config.seed,
    )
    spec: dict = {"arch": arch, "weights": weights, "hidden": hidden, "reduction": reduction}
    if excitation:
        spec["excitation"] = list(excitation)
    return train_valence(spec, dataset, out_dir, config, force=force)
