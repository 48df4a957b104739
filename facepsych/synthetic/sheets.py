"""Contact sheets: a grid of images saved as one PNG, for looking at what the lab draws."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from facepsych.errors import FacepsychError


def contact_sheet(
    images: Sequence[Image.Image], columns: int, *, pad: int = 2, background: int = 255
) -> Image.Image:
    """Tile ``images`` (all resized to the first one's size) row by row, ``columns`` per row."""
    if not images:
        raise FacepsychError("contact sheet needs at least one image")
    w, h = images[0].size
    columns = max(1, int(columns))
    rows = -(-len(images) // columns)
    sheet = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad, 3), background, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, columns)
        a = np.asarray(im.convert("RGB").resize((w, h)))
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        sheet[y : y + h, x : x + w] = a
    return Image.fromarray(sheet)


def save_contact_sheet(images, columns: int, path, **kw) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(images, columns, **kw).save(path)
    return path


def sheet_of_folder(folder, path, *, columns: int = 8, limit: int = 64) -> Path:
    """Contact sheet of the images a writer produced (continuum steps in order; else the first
    ``limit`` images found, alternating class folders)."""
    folder = Path(folder)
    files = sorted(folder.glob("step_*.png"))
    if not files:
        groups = [sorted(d.glob("*.png")) for d in sorted(folder.iterdir()) if d.is_dir()]
        groups = [g for g in groups if g]
        per = max(1, limit // max(len(groups), 1))
        files = [f for g in groups for f in g[:per]][:limit]
    if not files:
        raise FacepsychError(f"no images found under {folder}")
    return save_contact_sheet([Image.open(f) for f in files], columns, path)
