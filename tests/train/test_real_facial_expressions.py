"""Integration on the real facial_expressions photos (../shared/data; skips when absent).

One cached run with random (seeded) AlexNet weights at 128 px and a 256-wide head, Adam lr 1e-3,
20 epochs: it must write the run folder, predict, reproduce its own validation accuracy through
``predict_images``, and learn the real positive/negative split above chance. Measured here: best
validation accuracy 0.676 (epoch 19), final 0.670, against a majority-class rate of 0.513 on the
312 validation photos (identities never seen in training); ~25 s extraction + ~22 s training on
one busy CPU thread.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from facepsych.data import load_dataset
from facepsych.train import TrainConfig, load_run, predict_images, train_valence

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_run(facial_expressions, tmp_path_factory):
    base = tmp_path_factory.mktemp("real")
    ds = load_dataset(facial_expressions, "facial_expressions", seed=0)
    cfg = TrainConfig(
        epochs=20, batch_size=128, lr=1e-3, image_size=128, cache_dir=str(base / "cache"),
        progress=False,
    )  # fmt: skip
    spec = {"arch": "alexnet", "weights": "random", "hidden": 256}
    return ds, train_valence(spec, ds, base / "run", cfg)


def test_short_run_writes_folder_and_predicts(real_run):
    ds, result = real_run
    run = result.run_dir
    for name in ("config.json", "metrics.csv", "best.pt", "learning_curves.png"):
        assert (run / name).is_file()
    config = json.loads((run / "config.json").read_text())
    assert config["data"]["classes"] == {"negative": 758, "positive": 800}
    assert result.mode == "cached" and result.n_val == 312
    # predict_images on the validation photos reproduces the best epoch's val_acc
    net = load_run(run)
    val = ds.split("val")
    p = predict_images(net, [ds.load_image(s) for s in val.samples], batch_size=128)
    assert p.shape == (len(val),) and ((p >= 0) & (p <= 1)).all()
    acc = float(((p >= 0.5).astype(int) == val.labels()).mean())
    metrics = pd.read_csv(run / "metrics.csv")
    assert acc == pytest.approx(metrics["val_acc"].max(), abs=1.5 / len(val))


def test_real_valence_learned_above_chance(real_run):
    ds, result = real_run
    val_labels = ds.split("val").labels()
    chance = max(val_labels.mean(), 1 - val_labels.mean())  # 0.513
    # 0.62 is ~3.8 standard errors (sqrt(.25/312) = 0.028) above the majority rate
    assert result.best_val_acc > 0.62, result.metrics
    assert result.best_val_acc > chance + 0.1
    assert result.final_val_acc > 0.6
    assert np.mean([m["train_acc"] for m in result.metrics[-3:]]) > 0.6
