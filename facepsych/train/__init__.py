"""facepsych.train: cached frozen-feature transfer training, run folders, prediction.

Example (not run as a doctest)::

    from facepsych.train import TrainConfig, train_valence, load_run, predict_images
    result = train_valence({"arch": "alexnet", "weights": "imagenet"}, dataset, "runs/a",
                           TrainConfig(epochs=40))
    p = predict_images(load_run("runs/a"), ["face.png"])

The names load on first use, so that ``facepsych.train.config`` (the protocol's one schema, read
by the CLI to build its options) imports without torch.
"""

from __future__ import annotations

import importlib

#: Public name -> the module that defines it.
_EXPORTS = {
    "TrainConfig": "config",
    "TrainResult": "config",
    "cached_features": "cache",
    "extract_features": "cache",
    "collect_images": "predict",
    "predict_images": "predict",
    "predict_to_csv": "predict",
    "load_run": "runs",
    "read_metrics": "runs",
    "read_run_config": "runs",
    "train_valence": "transfer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"facepsych.train.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'facepsych.train' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
