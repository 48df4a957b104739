"""Procedural object images in many classes (shapes, textures, simple scenes) for object-based
pre-training. Each image: random textured background, one object of its class with random
colour, position (±0.12), size (×0.75–1.15) and rotation, then lighting and pixel noise.

Example::

    >>> from facepsych.synthetic import render_object
    >>> render_object("star", seed=3, size=64).size
    (64, 64)
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from facepsych.errors import FacepsychError
from facepsych.synthetic.params import BACKGROUNDS
from facepsych.synthetic.textures import background, light_and_noise

SHAPES = ("circle", "square", "triangle", "star", "ring", "cross", "hexagon", "crescent")
PATTERNS = ("stripes", "checker", "dots", "waves")
SCENES = ("landscape", "house", "tree", "boat")
#: All object classes, in label order.
OBJECT_CLASSES = SHAPES + PATTERNS + SCENES


def _regular(n: int, r_out: float, r_in: float | None = None, phase: float = 0.0):
    k = n * (2 if r_in is not None else 1)
    t = phase + np.arange(k) * 2 * np.pi / k - np.pi / 2
    r = np.full(k, r_out)
    if r_in is not None:
        r[1::2] = r_in
    return np.stack([r * np.cos(t), r * np.sin(t)], 1)


def _shape_polys(name: str, rng: np.random.Generator) -> list[tuple[np.ndarray, int]]:
    """Polygons (unit coordinates around 0, radius ≈ 0.3) with a colour slot (0 main, 1 other,
    2 background-cutout)."""
    if name == "circle":
        return [(_regular(40, 0.3), 0)]
    if name == "square":
        return [(_regular(4, 0.36, phase=np.pi / 4), 0)]
    if name == "triangle":
        return [(_regular(3, 0.36), 0)]
    if name == "star":
        return [(_regular(5, 0.38, 0.16), 0)]
    if name == "ring":
        return [(_regular(40, 0.32), 0), (_regular(40, 0.18), 2)]
    if name == "cross":
        a, b = 0.1, 0.34
        pts = [
            (-a, -b),
            (a, -b),
            (a, -a),
            (b, -a),
            (b, a),
            (a, a),
            (a, b),
            (-a, b),
            (-a, a),
            (-b, a),
            (-b, -a),
            (-a, -a),
        ]
        return [(np.array(pts, float), 0)]
    if name == "hexagon":
        return [(_regular(6, 0.33), 0)]
    if name == "crescent":
        return [(_regular(40, 0.32), 0), (_regular(40, 0.28) + [0.14, -0.06], 2)]
    raise FacepsychError(f"unknown shape {name!r}")


def _pattern(name: str, size: int, rng: np.random.Generator, c1, c2) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size] / size
    a = rng.uniform(0, np.pi)
    f = rng.uniform(4, 10)
    u = xx * np.cos(a) + yy * np.sin(a)
    v = -xx * np.sin(a) + yy * np.cos(a)
    if name == "stripes":
        m = (np.sin(2 * np.pi * f * u) > 0).astype(float)
    elif name == "checker":
        m = ((np.sin(2 * np.pi * f * u) * np.sin(2 * np.pi * f * v)) > 0).astype(float)
    elif name == "dots":
        m = ((np.sin(np.pi * f * u) ** 2 * np.sin(np.pi * f * v) ** 2) > 0.45).astype(float)
    elif name == "waves":
        m = (np.sin(2 * np.pi * f * u + 2.5 * np.sin(2 * np.pi * 2 * v)) > 0).astype(float)
    else:
        raise FacepsychError(f"unknown pattern {name!r}")
    m = m[..., None]
    return np.asarray(c1)[None, None] * (1 - m) + np.asarray(c2)[None, None] * m


def _scene(name: str, draw: ImageDraw.ImageDraw, S: int, rng: np.random.Generator, col):
    def box(x0, y0, x1, y1, c):
        draw.rectangle([x0 * S, y0 * S, x1 * S, y1 * S], fill=c)

    def poly(pts, c):
        draw.polygon([(x * S, y * S) for x, y in pts], fill=c)

    def disc(cx, cy, r, c):
        draw.ellipse([(cx - r) * S, (cy - r) * S, (cx + r) * S, (cy + r) * S], fill=c)

    h = rng.uniform(0.55, 0.72)
    sky = col(rng.uniform([0.45, 0.6, 0.8], [0.7, 0.85, 1.0]))
    ground = col(rng.uniform([0.2, 0.4, 0.1], [0.5, 0.7, 0.35]))
    if name == "boat":
        ground = col(rng.uniform([0.05, 0.2, 0.45], [0.2, 0.4, 0.7]))
    box(0, 0, 1, h, sky)
    box(0, h, 1, 1, ground)
    x = rng.uniform(0.35, 0.65)
    if name == "landscape":
        disc(
            rng.uniform(0.15, 0.85),
            rng.uniform(0.12, 0.3),
            rng.uniform(0.06, 0.1),
            col((1.0, 0.85, 0.3)),
        )
        for _ in range(int(rng.integers(2, 4))):
            cx, w = rng.uniform(0, 1), rng.uniform(0.2, 0.45)
            poly(
                [(cx - w, h), (cx, h - rng.uniform(0.15, 0.35)), (cx + w, h)],
                col(rng.uniform(0.25, 0.55, 3)),
            )
    elif name == "house":
        w = rng.uniform(0.18, 0.26)
        top = h - rng.uniform(0.2, 0.3)
        box(x - w, top, x + w, h + 0.05, col(rng.uniform(0.4, 0.95, 3)))
        poly(
            [(x - w - 0.04, top), (x, top - rng.uniform(0.12, 0.2)), (x + w + 0.04, top)],
            col(rng.uniform([0.4, 0.1, 0.05], [0.7, 0.3, 0.2])),
        )
        box(x - 0.04, h - 0.1, x + 0.04, h + 0.05, col((0.3, 0.2, 0.12)))
    elif name == "tree":
        box(x - 0.03, h - 0.15, x + 0.03, h + 0.08, col((0.4, 0.26, 0.13)))
        g = col(rng.uniform([0.05, 0.35, 0.05], [0.3, 0.65, 0.25]))
        for dx, dy, r in ((0, -0.3, 0.16), (-0.1, -0.2, 0.12), (0.1, -0.2, 0.12)):
            disc(x + dx, h + dy, r, g)
    elif name == "boat":
        hull = col(rng.uniform(0.3, 0.9, 3))
        poly(
            [
                (x - 0.25, h - 0.02),
                (x + 0.25, h - 0.02),
                (x + 0.17, h + 0.08),
                (x - 0.17, h + 0.08),
            ],
            hull,
        )
        box(x - 0.01, h - 0.35, x + 0.01, h - 0.02, col((0.3, 0.2, 0.1)))
        poly(
            [(x + 0.015, h - 0.34), (x + 0.2, h - 0.06), (x + 0.015, h - 0.06)],
            col((0.95, 0.95, 0.9)),
        )
    else:
        raise FacepsychError(f"unknown scene {name!r}")


def render_object(
    cls: str | int, seed: int = 0, size: int = 64, *, nuisance: float = 1.0, supersample: int = 2
) -> Image.Image:
    """Render one object image of class ``cls`` (name or index in :data:`OBJECT_CLASSES`)."""
    if isinstance(cls, int | np.integer):
        if not 0 <= int(cls) < len(OBJECT_CLASSES):
            n = len(OBJECT_CLASSES)
            raise FacepsychError(f"object class index {cls} out of range 0..{n - 1}")
        cls = OBJECT_CLASSES[int(cls)]
    if cls not in OBJECT_CLASSES:
        names = ", ".join(OBJECT_CLASSES)
        raise FacepsychError(f"unknown object class {cls!r} (choose from {names})")
    rng = np.random.default_rng([int(seed), OBJECT_CLASSES.index(cls)])
    ss = max(1, int(supersample))
    S = int(size) * ss
    c1, c2 = rng.uniform(0.1, 0.9, 3), rng.uniform(0.1, 0.9, 3)
    kind = BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))] if nuisance > 0 else "plain"
    bg = background(kind, int(size), c1, c2, int(rng.integers(2**31)))

    def col(c):
        return tuple(int(np.clip(v, 0, 1) * 255 + 0.5) for v in c)

    if cls in PATTERNS:
        fg = _pattern(cls, int(size), rng, rng.uniform(0, 1, 3), rng.uniform(0, 1, 3))
        yy, xx = np.mgrid[0:size, 0:size] / size
        cx, cy = 0.5 + rng.uniform(-0.1, 0.1, 2) * nuisance
        r = rng.uniform(0.28, 0.4)
        mask = (np.maximum(np.abs(xx - cx), np.abs(yy - cy)) < r)[..., None]
        bg = np.where(mask, fg, bg)
    img = Image.fromarray((bg * 255 + 0.5).astype(np.uint8)).resize((S, S), Image.BILINEAR)
    draw = ImageDraw.Draw(img)
    if cls in SHAPES:
        th = rng.uniform(0, 2 * np.pi)
        rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
        centre = 0.5 + rng.uniform(-0.12, 0.12, 2) * nuisance
        scale = 1 + rng.uniform(-0.25, 0.15) * nuisance
        colours = [col(rng.uniform(0, 1, 3)), col(rng.uniform(0, 1, 3)), None]
        for pts, slot in _shape_polys(cls, rng):
            q = (pts @ rot.T * scale + centre) * S
            fill = colours[slot] if slot < 2 else col(c1)
            draw.polygon([tuple(p) for p in q], fill=fill)
    elif cls in SCENES:
        _scene(cls, draw, S, rng, col)
    if ss > 1:
        img = img.reduce(ss)
    arr = np.asarray(img, dtype=np.float64) / 255.0
    light = rng.uniform(0, 0.25) * nuisance
    out = light_and_noise(
        arr,
        angle=rng.uniform(0, 2 * np.pi),
        light=light,
        ambient=1 + rng.uniform(-0.2, 0.15) * nuisance,
        noise=rng.uniform(0, 6) * nuisance,
        seed=int(rng.integers(2**31)),
    )
    return Image.fromarray(out)
