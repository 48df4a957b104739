"""Learning-curve plot of a training run: loss and accuracy per epoch, train vs validation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from facepsych.train.atomic import atomic_write


def plot_learning_curves(
    metrics: Sequence[dict] | str | Path, out_png: str | Path, *, title: str | None = None
) -> Path:
    """Two panels (loss, accuracy) from metrics rows or a ``metrics.csv``; the best validation
    epoch is marked. Written atomically as PNG (Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if isinstance(metrics, str | Path):
        import pandas as pd

        rows = pd.read_csv(metrics).to_dict("records")
    else:
        rows = list(metrics)
    epochs = [int(r["epoch"]) for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for ax, key, label in ((axes[0], "loss", "cross-entropy"), (axes[1], "acc", "accuracy")):
        ax.plot(epochs, [r[f"train_{key}"] for r in rows], "o-", ms=3, label="train")
        val = [r[f"val_{key}"] for r in rows]
        if not all(math.isnan(float(v)) for v in val):
            ax.plot(epochs, val, "s-", ms=3, label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    accs = [float(r["val_acc"]) for r in rows]
    if accs and not all(math.isnan(a) for a in accs):
        best = max(range(len(accs)), key=lambda i: (accs[i], -float(rows[i]["val_loss"])))
        axes[1].axvline(epochs[best], color="grey", ls=":", label=f"best epoch {epochs[best]}")
        axes[1].set_ylim(0, 1.02)
    axes[1].legend(loc="lower right", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    out = atomic_write(out_png, lambda p: fig.savefig(p, format="png", dpi=110))
    plt.close(fig)
    return out
