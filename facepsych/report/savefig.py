"""Saving a matplotlib figure as PNG: the one place every report figure goes through."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402


def save_figure(fig: plt.Figure, path: str | Path, *, tight_bbox: bool = True) -> Path:
    """Write ``fig`` to ``path`` at 110 dpi (creating the folder), close it, return the path.

    ``tight_bbox`` crops to the drawn content (``bbox_inches="tight"``); without it the figure
    keeps its own size (callers then run ``fig.tight_layout()`` first).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight" if tight_bbox else None)
    plt.close(fig)
    return path
