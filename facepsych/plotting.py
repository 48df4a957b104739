"""What every figure shares: the Agg backend, the series colours, and saving as PNG.

Each stage draws its own results (``facepsych.train.plots``, ``facepsych.psychophysics.plots``,
``facepsych.attention.plots``); the study page (``facepsych.report``) composes them. All of them
write through :func:`save_figure`.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["colors", "save_figure"]


def colors(n: int) -> list:
    """``n`` distinct colours: tab10 up to 10 series, tab20 beyond (cycling past 20)."""
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


def save_figure(fig: plt.Figure, path: str | Path, *, tight_bbox: bool = True) -> Path:
    """Write ``fig`` at exactly ``path`` (110 dpi, folders created, atomically), close it,
    return the path. The format follows the suffix where matplotlib writes it (``.pdf``,
    ``.svg`` …), else PNG; no suffix is ever added, so the path returned is the path written.
    A folder is refused.

    ``tight_bbox`` crops to the drawn content (``bbox_inches="tight"``); without it the figure
    keeps its own size (callers then run ``fig.tight_layout()`` first).
    """
    from facepsych.atomic import atomic_write

    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    kind = suffix if suffix in fig.canvas.get_supported_filetypes() else "png"
    try:
        atomic_write(
            path,
            lambda tmp: fig.savefig(
                tmp, format=kind, dpi=110, bbox_inches="tight" if tight_bbox else None
            ),
        )
    finally:
        plt.close(fig)
    return path
