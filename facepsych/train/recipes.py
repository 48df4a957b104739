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
    crop=None,
) -> TrainResult:
    """``load_dataset(data, format, …)``, cut to face chips by ``crop`` (``face`` | ``none`` |
    :class:`facepsych.data.CropSettings`; every face is located before training, so a faceless
    image is one error, or skipped and listed with ``skip_bad``), then ``train_valence`` with the
    given net spec. The run's ``config.json`` records the crop (``"crop"``) for ``predict`` and
    ``cam``."""
    from facepsych.data import load_dataset
    from facepsych.data.crop import crop_dataset

    config = config or TrainConfig()
    dataset = load_dataset(
        data,
        format,
        valence=valence,
        skip_bad=skip_bad,
        val_fraction=val_fraction,
        seed=config.seed,
    )
    dataset = crop_dataset(dataset, crop, eager=True)
    spec: dict = {"arch": arch, "weights": weights, "hidden": hidden, "reduction": reduction}
    if excitation:
        spec["excitation"] = list(excitation)
    return train_valence(spec, dataset, out_dir, config, force=force)
