"""facepsych.train: cached frozen-feature transfer training, run folders, prediction.

Example (not run as a doctest)::

    from facepsych.train import TrainConfig, train_valence, load_run, predict_images
    result = train_valence({"arch": "alexnet", "weights": "imagenet"}, dataset, "runs/a",
                           TrainConfig(epochs=40))
    p = predict_images(load_run("runs/a"), ["face.png"])
"""

from facepsych.train.cache import cached_features, extract_features
from facepsych.train.config import TrainConfig, TrainResult
from facepsych.train.predict import collect_images, predict_images, predict_to_csv
from facepsych.train.runs import load_run, read_metrics, read_run_config
from facepsych.train.transfer import train_valence

__all__ = [
    "TrainConfig",
    "TrainResult",
    "cached_features",
    "collect_images",
    "extract_features",
    "load_run",
    "predict_images",
    "predict_to_csv",
    "read_metrics",
    "read_run_config",
    "train_valence",
]
