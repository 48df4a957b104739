"""Contact sheets: all frames of a continuum in one PNG, labelled with their levels."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from facepsych.atomic import atomic_write
from facepsych.data.images import read_rgb, to_rgb
from facepsych.stimuli.continuum import load_continuum


def contact_sheet(continuum, out=None, *, columns: int = 7, thumb: int = 160) -> Image.Image:
    """Tile the frames of a continuum (a folder/manifest path or a list of PIL images) into a
    grid of ``columns`` thumbnails ``thumb`` px wide, each labelled with its level; save to
    ``out`` when given."""
    if isinstance(continuum, str | Path):
        cont = load_continuum(continuum)
        images = [read_rgb(f) for f in cont.frames]
        levels = list(cont.levels)
    else:
        images = [to_rgb(im) for im in continuum]
        n = len(images)
        levels = [i / max(n - 1, 1) for i in range(n)]
    w0, h0 = images[0].size
    tw, th = thumb, max(1, round(thumb * h0 / w0))
    rows = -(-len(images) // columns)
    label = 14
    sheet = Image.new("RGB", (columns * tw, rows * (th + label)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (im, level) in enumerate(zip(images, levels, strict=True)):
        x, y = (i % columns) * tw, (i // columns) * (th + label)
        sheet.paste(im.resize((tw, th), Image.Resampling.LANCZOS), (x, y))
        draw.text((x + 3, y + th + 1), f"{i}: {level:.2f}", fill="black")
    if out is not None:
        fmt = Image.registered_extensions().get(Path(out).suffix.lower(), "PNG")
        atomic_write(out, lambda p: sheet.save(p, format=fmt))
    return sheet
