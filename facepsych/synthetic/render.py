"""Draw a synthetic face with PIL (supersampled, so edges are anti-aliased) and return its
68 iBUG landmarks in output pixel coordinates.

Example::

    >>> from facepsych.synthetic import render_face, sample_identity
    >>> img, pts = render_face(sample_identity(3), expression=0.8, size=96)
    >>> img.size, pts.shape
    ((96, 96), (68, 2))
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from PIL import Image, ImageDraw

from facepsych.errors import FacepsychError
from facepsych.synthetic.geometry import CX, FaceShapes, crown_arc, face_shapes, pose_transform
from facepsych.synthetic.params import (
    FaceParams,
    Nuisance,
    RegionWeights,
    sample_identity,
    sample_nuisance,
)
from facepsych.synthetic.textures import background, light_and_noise

#: Depth of each landmark (0 = outline plane, 1 = nose tip) for the yaw of the pose jitter.
LANDMARK_DEPTH = np.concatenate(
    [
        np.zeros(17),
        np.full(10, 0.45),
        np.linspace(0.6, 1.0, 4),
        np.full(5, 0.85),
        np.full(12, 0.45),
        np.full(20, 0.55),
    ]
)


def _c(rgb, k: float = 1.0, alpha: int | None = None):
    v = tuple(int(min(max(x * k, 0.0), 1.0) * 255 + 0.5) for x in rgb)
    return v if alpha is None else (*v, int(alpha))


def _ellipse(centre, rx, ry, n=24):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([centre[0] + rx * np.cos(t), centre[1] + ry * np.sin(t)], 1)


def _poly(draw, pts, fill):
    draw.polygon(np.asarray(pts, float).ravel().tolist(), fill=fill)


def _line(draw, pts, fill, width):
    flat = np.asarray(pts, float).ravel().tolist()
    draw.line(flat, fill=fill, width=max(1, int(round(width))), joint="curve")


def _shrink(pts, centre, k):
    return centre + (pts - centre) * k


def _hair_front(p: FaceParams) -> tuple[np.ndarray, float]:
    """Polygon of the hair in front of the head (canonical units) and its opacity."""
    style = p.hair_style
    outer = crown_arc(p, 30, extra=p.hair_volume if style != 4 else 0.006)
    fw = p.face_width
    y_h = p.eye_y - p.brow_height - 0.085
    xs = np.linspace(fw + 0.004, -fw - 0.004, 41)  # right → left, closing the arc
    xn = np.abs(xs) / fw
    temple = p.eye_y - 0.025
    if style == 1:  # fringe: low, jagged bangs
        y_f = p.eye_y - p.brow_height - 0.05
        saw = 0.012 * np.abs(((xs / fw * 4.5) % 1.0) - 0.5)
        y = y_f + saw + (temple - y_f) * xn**6
    elif style == 3:  # side part: hair sweeps low across one side of the forehead
        y = y_h + 0.045 * np.clip((xs / fw + 1) / 2, 0, 1) ** 2 + (temple - y_h) * xn**4
    elif style == 2:  # long, centre parting
        y = y_h - 0.012 * np.exp(-((xs / 0.03) ** 2)) + (temple - y_h) * xn**3
    else:
        y = y_h + (temple - y_h) * xn**4
    hairline = np.stack([CX + xs, y], 1)
    start = np.array([[CX - fw - 0.004, temple + 0.01]])
    end = np.array([[CX + fw + 0.004, temple + 0.01]])
    poly = np.concatenate([start, outer, end, hairline])
    return poly, (0.6 if style == 4 else 1.0)


def _hair_back(p: FaceParams) -> np.ndarray | None:
    if p.hair_style != 2:
        return None
    v = p.hair_volume + 0.02
    arc = crown_arc(p, 30, extra=v)
    low = p.eye_y + p.face_length * 0.95
    left = np.array([[CX - p.face_width - v - 0.02, low], [CX - p.face_width + 0.02, low + 0.02]])
    right = np.array([[CX + p.face_width - 0.02, low + 0.02], [CX + p.face_width + v + 0.02, low]])
    return np.concatenate([left[::-1][:1], arc, right[::-1], left[1:]])


def _draw(draw: ImageDraw.ImageDraw, p: FaceParams, sh: FaceShapes, region_expr, f, px: float):
    """Paint all parts; ``f(points, depth)`` maps canonical units to supersampled pixels, ``px``
    is one canonical unit in pixels (line widths)."""
    skin, hair = p.skin, p.hair
    chin_y = p.eye_y + 0.01 + p.face_length
    back = _hair_back(p)
    if back is not None:
        _poly(draw, f(back), _c(hair, 0.85))
    neck = np.array(
        [
            [CX - 0.075, p.eye_y + 0.15],
            [CX + 0.075, p.eye_y + 0.15],
            [CX + 0.085, 1.1],
            [CX - 0.085, 1.1],
        ]
    )
    _poly(draw, f(neck), _c(skin, 0.82))
    t = np.linspace(np.pi, 2 * np.pi, 20)
    shoulders = np.concatenate(
        [
            [[CX - 0.5, 1.1]],
            np.stack([CX + 0.43 * np.cos(t), chin_y + 0.09 + 0.07 * (1 + np.sin(t))], 1),
            [[CX + 0.5, 1.1]],
        ]
    )
    _poly(draw, f(shoulders), _c(p.clothes))
    collar = np.array(
        [[CX - 0.09, chin_y + 0.085], [CX, chin_y + 0.15], [CX + 0.09, chin_y + 0.085]]
    )
    _poly(draw, f(collar), _c(skin, 0.82))
    for s in (-1, 1):  # ears
        ec = np.array([CX + s * (p.face_width + 0.004), p.eye_y + 0.05])
        _poly(draw, f(_ellipse(ec, 0.024 * p.ear_size, 0.048 * p.ear_size), -0.3), _c(skin, 0.95))
        _poly(draw, f(_ellipse(ec + [s * 0.004, 0], 0.011, 0.03), -0.3), _c(skin, 0.8))
    _poly(draw, f(sh.head), _c(skin))
    centre = np.array([CX, p.eye_y + 0.06])
    for k, a in ((0.86, 35), (0.66, 35)):
        _poly(draw, f(_shrink(sh.head, centre, k), 0.3), _c(skin, 1.12, a))
    for eye in sh.eyes:  # eyes: sclera, iris, pupil, then skin-coloured lids clip the iris
        up, lo = eye["upper"], eye["lower"]
        ic, r = eye["iris"], eye["radius"]
        _poly(draw, f(np.concatenate([up, lo[::-1]]), 0.45), (242, 240, 236))
        _poly(draw, f(_ellipse(ic, r, r), 0.45), _c(p.iris))
        _poly(draw, f(_ellipse(ic, r * 0.45, r * 0.45), 0.45), (15, 12, 12))
        glint = _ellipse(ic + [-0.3 * r, -0.35 * r], r * 0.2, r * 0.2)
        _poly(draw, f(glint, 0.45), (250, 250, 250))
        top = np.array([[up[-1, 0], ic[1] - 2 * r], [up[0, 0], ic[1] - 2 * r]])
        bot = np.array([[lo[-1, 0], ic[1] + 2 * r], [lo[0, 0], ic[1] + 2 * r]])
        _poly(draw, f(np.concatenate([up, top]), 0.45), _c(skin))
        _poly(draw, f(np.concatenate([lo, bot]), 0.45), _c(skin))
    eb, ee, em = region_expr["brows"], region_expr["eyes"], region_expr["mouth"]
    for eye in sh.eyes:
        up, lo = eye["upper"], eye["lower"]
        lid = up + [0, -0.012]
        _poly(draw, f(np.concatenate([up, lid[::-1]]), 0.45), _c(skin, 0.82, 110))
        _line(draw, f(up, 0.45), _c(hair, 0.4, 255), 0.0065 * px)
        _line(draw, f(lo, 0.45), _c(skin, 0.55, 140), 0.0025 * px)
        if ee > 0.1:  # raised cheek crease under a smiling eye
            _line(draw, f(lo[3:-3] + [0, 0.011], 0.45), _c(skin, 0.6, int(120 * ee)), 0.003 * px)
    for c in sh.cheeks:
        blush = _c((0.9, 0.35, 0.35), 1.0, 10 + 40 * max(ee, 0))
        _poly(draw, f(_ellipse(c, 0.045, 0.03), 0.4), blush)
    lm = sh.landmarks
    nose_side = np.array([lm[27] + [0.012, 0.01], lm[30] + [0.02, -0.01]])
    _line(draw, f(nose_side, 0.8), _c(skin, 0.7, 90), 0.01 * px)
    _poly(draw, f(_ellipse(lm[30], 0.018, 0.014), 1.0), _c(skin, 1.15, 90))
    for w in sh.nose_wings:
        _line(draw, f(w, 0.85), _c(skin, 0.55, 170), 0.004 * px)
    for c, rr in sh.nostrils:
        _poly(draw, f(_ellipse(c, rr, rr * 0.55), 0.85), _c(skin, 0.3, 220))
    for fold in sh.folds:
        _line(draw, f(fold, 0.5), _c(skin, 0.6, int(60 + 140 * sh.smile)), 0.004 * px)
    _poly(draw, f(sh.mouth_outer, 0.55), _c(p.lip))
    if sh.mouth_inner is not None:
        _poly(draw, f(sh.mouth_inner, 0.55), (70, 25, 30))
        _poly(draw, f(sh.teeth, 0.55), (238, 234, 226))
    else:
        _line(draw, f(sh.lip_line, 0.55), _c(p.lip, 0.45, 255), 0.004 * px)
    low_lip = np.array([CX, lm[57][1] - 0.006])
    _poly(draw, f(_ellipse(low_lip, 0.022, 0.004), 0.55), _c(p.lip, 1.2, 90))
    if em < -0.2:  # turned-down mouth: shadows below the corners
        a = -em
        for i, s in ((48, -1), (54, 1)):
            seg = np.array([lm[i] + [s * 0.003, 0.004], lm[i] + [s * 0.012, 0.012 + 0.015 * a]])
            _line(draw, f(seg, 0.55), _c(skin, 0.55, int(160 * a)), 0.004 * px)
    if eb < -0.2:  # frown lines (anger) or forehead wrinkles (sadness)
        a = -eb
        for s in (-1, 1):
            seg = np.array(
                [
                    [CX + s * 0.012, p.eye_y - p.brow_height + 0.006],
                    [CX + s * 0.009, p.eye_y - p.brow_height + 0.03],
                ]
            )
            _line(draw, f(seg, 0.45), _c(skin, 0.6, int(170 * a * p.anger)), 0.004 * px)
        xs = np.linspace(-0.05, 0.05, 9)
        wr = np.stack([CX + xs, p.eye_y - p.brow_height - 0.04 + 0.01 * (xs / 0.05) ** 2], 1)
        _line(draw, f(wr, 0.3), _c(skin, 0.65, int(150 * a * (1 - p.anger))), 0.004 * px)
    front, alpha = _hair_front(p)
    _poly(draw, f(front), _c(hair, 1.0, int(255 * alpha)))
    brow_col = _c(hair, 0.75)  # brows last: a fringe never hides them
    for b in sh.brows:
        _poly(draw, f(b, 0.45), brow_col)


def render_face(
    identity: FaceParams | int,
    expression: float,
    *,
    size: int = 96,
    seed: int = 0,
    nuisance: Nuisance | float | None = None,
    weights: RegionWeights | Mapping | str | None = None,
    supersample: int = 3,
) -> tuple[Image.Image, np.ndarray]:
    """Render one face and return ``(RGB image, landmarks (68, 2) in pixels)``.

    ``identity``: a :class:`FaceParams` or an int seed for :func:`sample_identity`.
    ``expression`` ∈ [−1, 1] (−1 most negative, +1 most positive); each region shows
    ``clip(w_region·expression, −1, 1)`` with ``weights`` (default all 1).
    ``nuisance``: a :class:`Nuisance` used as is, a float strength for
    :func:`sample_nuisance` drawn from ``seed``, or None for the canonical frontal face.
    """
    if not -1.0 <= float(expression) <= 1.0:
        raise FacepsychError(f"expression must be in [-1, 1], got {expression}")
    if int(size) < 16:
        raise FacepsychError(f"image size must be at least 16 pixels, got {size}")
    p = sample_identity(identity) if not isinstance(identity, FaceParams) else identity
    if nuisance is None:
        nz = Nuisance()
    elif isinstance(nuisance, Nuisance):
        nz = nuisance
    else:
        nz = sample_nuisance(np.random.default_rng([int(seed), 7]), float(nuisance))
    region_expr = RegionWeights.coerce(weights).apply(expression)
    sh = face_shapes(p, region_expr)
    ss = max(1, int(supersample))
    big = int(size) * ss
    bg = background(
        nz.background, int(size), nz.background_colour, nz.background_colour2, nz.texture_seed
    )
    img = Image.fromarray((bg * 255 + 0.5).astype(np.uint8)).resize((big, big), Image.BILINEAR)
    draw = ImageDraw.Draw(img, "RGBA")
    f_big = pose_transform(nz, big)
    _draw(draw, p, sh, region_expr, f_big, px=big)
    if ss > 1:
        img = img.reduce(ss)
    arr = np.asarray(img, dtype=np.float64) / 255.0
    arr = light_and_noise(
        arr,
        angle=nz.light_angle,
        light=nz.light,
        ambient=nz.ambient,
        noise=nz.noise,
        seed=int(nz.texture_seed) + 1,
    )
    f_out = pose_transform(nz, int(size))
    pts = f_out(sh.landmarks, LANDMARK_DEPTH)
    # pixel-index coordinates (pixel i is centred on i): supersampled pixel X covers the output
    # interval [X/ss, (X+1)/ss), so a point drawn at X = c·big lies at c·size + 0.5/ss − 0.5
    pts = pts + 0.5 / ss - 0.5
    return Image.fromarray(arr), pts


def face_region_masks(landmarks: np.ndarray, size: int | tuple[int, int]) -> dict[str, np.ndarray]:
    """Boolean eyes / nose / mouth / face masks of a rendered face, from its 68 landmarks via
    :func:`facepsych.stimuli.region_masks` (scheme ``ibug68``)."""
    from facepsych.stimuli import region_masks

    shape = (size, size) if isinstance(size, int) else tuple(size)
    return region_masks(np.asarray(landmarks, float), "ibug68", shape)
