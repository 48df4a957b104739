from __future__ import annotations

import math

import pytest
from PIL import Image

from facepsych.train.plots import plot_learning_curves

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_plot_from_rows_and_csv(tmp_path):
    rows = [
        {"epoch": e, "train_loss": 1 / e, "train_acc": 0.5 + e / 20, "val_loss": 1.2 / e,
         "val_acc": 0.5 + e / 25, "seconds": 0.1}
        for e in range(1, 6)
    ]  # fmt: skip
    out = plot_learning_curves(rows, tmp_path / "lc.png", title="t")
    with Image.open(out) as img:
        assert img.format == "PNG" and img.width > 500
    import pandas as pd

    pd.DataFrame(rows).to_csv(tmp_path / "metrics.csv", index=False)
    assert plot_learning_curves(tmp_path / "metrics.csv", tmp_path / "b.png").is_file()
    for r in rows:
        r["val_loss"] = r["val_acc"] = math.nan  # no validation split: still a plot
    assert plot_learning_curves(rows, tmp_path / "c.png").is_file()
    assert not list(tmp_path.glob(".*tmp"))
