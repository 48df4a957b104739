"""Face geometry: the 68 iBUG landmarks and the outlines the renderer fills, as pure numpy.

Coordinates are canonical face units (see :mod:`facepsych.synthetic.params`). iBUG order:
jaw 0–16 (image left to right), brows 17–21 / 22–26, nose bridge 27–30, nostrils 31–35,
eyes 36–41 (image-left eye: outer corner 36, upper lid 37–38, inner corner 39, lower lid 40–41)
and 42–47, outer lips 48–59 (corner 48, clockwise on screen), inner lips 60–67.

Expression acts per region (each e ∈ [−1, 1], negative → positive):

* brows: e > 0 raises the brow by ``0.016·e`` and arches it; e < 0 lowers and pulls together the
  inner end (``0.034·|e|·anger``) or raises it (``0.03·|e|·(1 − anger)``, "sad" brows);
* eyes: e > 0 lifts and curves the lower lid (cheek raise, lower-lid height × (1 − 0.65·e));
  e < 0 lowers the upper lid, more at the inner corner for anger, the outer corner for sadness;
* mouth: the lip midline is ``y = y_m − 0.052·e·x̂²`` (x̂ ∈ [−1, 1] across the mouth: corners up
  for e > 0, down for e < 0); width × (1 + 0.22·e) for e > 0; the lips part for e > 0.3
  (open smile, teeth) and press thinner for e < 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from facepsych.synthetic.params import FaceParams, Nuisance

CX = 0.5
#: The canonical point put at the image centre, and the zoom from canonical units to the frame.
FACE_CENTRE_Y = 0.46
FRAME_ZOOM = 1.22


@dataclass
class FaceShapes:
    """Everything the renderer draws, in canonical units. ``landmarks`` is (68, 2)."""

    landmarks: np.ndarray
    head: np.ndarray  # closed outline: jaw + crown
    crown: np.ndarray  # the top arc of the head, left to right
    eyes: list[dict] = field(default_factory=list)  # per eye: upper, lower, iris centre, radius
    brows: list[np.ndarray] = field(default_factory=list)  # filled brow polygons
    mouth_outer: np.ndarray | None = None
    mouth_inner: np.ndarray | None = None  # None when closed
    teeth: np.ndarray | None = None
    lip_line: np.ndarray | None = None
    nose_wings: list[np.ndarray] = field(default_factory=list)
    nostrils: list[tuple[np.ndarray, float]] = field(default_factory=list)
    folds: list[np.ndarray] = field(default_factory=list)  # nasolabial folds (smile)
    cheeks: list[np.ndarray] = field(default_factory=list)  # cheek centres (raise with smile)
    smile: float = 0.0


def _jaw_curve(p: FaceParams, t: np.ndarray) -> np.ndarray:
    k = 2.0 / p.jaw_shape
    c, s = np.cos(t), np.sin(t)
    x = CX - p.face_width * np.sign(c) * np.abs(c) ** k
    y = p.eye_y + 0.01 + p.face_length * np.abs(s) ** k
    return np.stack([x, y], 1)


def crown_arc(p: FaceParams, n: int = 24, extra: float = 0.0) -> np.ndarray:
    t = np.linspace(np.pi, 2 * np.pi, n)  # left → over the top → right
    x = CX + (p.face_width + extra) * np.cos(t)
    y = p.eye_y + 0.01 - (p.crown_height + extra) * np.abs(np.sin(t)) ** 0.8
    return np.stack([x, y], 1)


def _eye(p: FaceParams, side: int, e: float, anger: float) -> dict:
    """side −1 = image-left eye (36–41), +1 = image-right (42–47). u = −1 outer … +1 inner."""
    cx = CX + side * p.eye_spacing
    cy = p.eye_y
    w, h = p.eye_width, p.eye_height
    u = np.linspace(-1, 1, 25)
    base = (1 - u**2) ** 0.55
    up = h * base * (1 + 0.1 * max(e, 0))
    lo = 0.8 * h * base
    if e > 0:  # cheek raise: lower lid lifts, arching up in the middle (smiling eyes)
        lo = lo * (1 - 0.65 * e)
        up = up * (1 - 0.12 * e)
    elif e < 0:  # narrowing; angry: inner side lowered, sad: outer side lowered
        a = -e
        tilt = anger * (0.5 + 0.5 * u) + (1 - anger) * (0.5 - 0.5 * u)
        up = up * (1 - a * (0.25 + 0.3 * tilt))
    tilt_y = p.eye_tilt * w * u  # outer corner (u = −1) higher for positive tilt
    x = cx - side * w * u  # outer corner at u = −1 lies away from the midline
    upper = np.stack([x, cy - up + tilt_y], 1)
    lower = np.stack([x, cy + lo + tilt_y], 1)

    # landmarks at u = −1, −0.4, 0.4, 1 (upper), 0.4, −0.4 (lower)
    def at(curve, uu):
        return np.array([np.interp(uu, u, curve[:, 0]), np.interp(uu, u, curve[:, 1])])

    pts = [
        at(upper, -1),
        at(upper, -0.4),
        at(upper, 0.4),
        at(upper, 1),
        at(lower, 0.4),
        at(lower, -0.4),
    ]
    if side > 0:  # iBUG image-right eye starts at its inner corner (42) and runs outward
        pts = [
            at(upper, 1),
            at(upper, 0.4),
            at(upper, -0.4),
            at(upper, -1),
            at(lower, -0.4),
            at(lower, 0.4),
        ]
    r = p.iris_size * h * 1.25
    iris_y = cy + 0.1 * h
    return {
        "upper": upper,
        "lower": lower,
        "iris": np.array([cx, iris_y]),
        "radius": r,
        "landmarks": np.array(pts),
        "opening": float(np.max(up + lo)),
    }


def _brow(p: FaceParams, side: int, e: float, anger: float) -> tuple[np.ndarray, np.ndarray]:
    """Returns the 5 landmarks (outer → inner for side −1) and the filled brow polygon."""
    ex = CX + side * p.eye_spacing
    v = np.linspace(-1, 1, 15)  # −1 outer … +1 inner
    inner_x = ex - side * (p.eye_width * 1.05)
    outer_x = ex + side * (p.eye_width * 1.3)
    x = outer_x + (inner_x - outer_x) * (v + 1) / 2
    base_y = p.eye_y - p.brow_height
    arch = p.brow_arch * (1 - ((v + 0.2) / 1.2) ** 2)
    y = base_y - arch + 0.006 * (v + 1) / 2
    inner_w = (v + 1) / 2  # 0 at the outer end, 1 at the inner end
    if e > 0:
        y = y - 0.016 * e - 0.008 * e * (1 - v**2)
    elif e < 0:
        a = -e
        y = y + a * inner_w**1.5 * (0.034 * anger - 0.03 * (1 - anger))
        y = y - a * (1 - inner_w) * 0.004 * anger
        x = x + side * a * anger * 0.012 * inner_w
    centre = np.stack([x, y], 1)
    th = p.brow_thickness * (0.55 + 0.45 * np.sin(np.pi * (v + 1.15) / 2.3))
    top = centre - np.stack([np.zeros_like(th), th * 0.5], 1)
    bot = centre + np.stack([np.zeros_like(th), th * 0.5], 1)
    poly = np.concatenate([top, bot[::-1]])
    idx = np.linspace(0, len(v) - 1, 5).round().astype(int)
    lms = top[idx] * 0.6 + centre[idx] * 0.4
    if side > 0:
        lms = lms[::-1]  # 22 inner → 26 outer
    return lms, poly


def _mouth(p: FaceParams, e: float, anger: float) -> dict:
    ym = p.eye_y + p.nose_length + p.mouth_gap
    hw = p.mouth_width * (1 + 0.22 * max(e, 0) - 0.05 * max(-e, 0))
    xs = np.linspace(-1, 1, 31)
    mid = ym - 0.052 * e * xs**2 + 0.008 * max(e, 0) * (1 - xs**2)
    opening = 0.034 * np.clip((e - 0.3) / 0.7, 0, 1)
    thin = 1 - 0.3 * max(-e, 0) * anger
    tu = p.lip_thickness * 0.85 * thin * (1 - xs**2) ** 0.45
    tu = tu * (1 - 0.35 * np.exp(-((xs / 0.16) ** 2)))  # cupid's bow dip
    tl = p.lip_thickness * 1.15 * thin * (1 - xs**2) ** 0.5
    gap = opening * (1 - xs**2) ** 0.7
    x = CX + hw * xs
    upper_outer = np.stack([x, mid - gap / 2 - tu], 1)
    lower_outer = np.stack([x, mid + gap / 2 + tl], 1)
    upper_inner = np.stack([x, mid - gap / 2], 1)
    lower_inner = np.stack([x, mid + gap / 2], 1)

    def at(curve, xx):
        return np.array([np.interp(xx, xs, curve[:, 0]), np.interp(xx, xs, curve[:, 1])])

    outer = [at(upper_outer, v) for v in (-1, -0.6, -0.22, 0, 0.22, 0.6, 1)]
    outer += [at(lower_outer, v) for v in (0.6, 0.22, 0, -0.22, -0.6)]
    inner = [at(upper_inner, v) for v in (-0.9, -0.4, 0, 0.4, 0.9)]
    inner += [at(lower_inner, v) for v in (0.4, 0, -0.4)]
    res = {
        "landmarks": np.array(outer + inner),
        "outer": np.concatenate([upper_outer, lower_outer[::-1][1:-1]]),
        "line": upper_inner,
        "inner": None,
        "teeth": None,
        "ym": ym,
        "hw": hw,
    }
    if opening > 1e-4:
        res["inner"] = np.concatenate([upper_inner, lower_inner[::-1][1:-1]])
        sel = np.abs(xs) <= 0.8
        t_top = upper_inner[sel]
        t_bot = t_top + np.stack([np.zeros(sel.sum()), gap[sel] * 0.55], 1)
        res["teeth"] = np.concatenate([t_top, t_bot[::-1]])
    return res


def face_shapes(p: FaceParams, region_expr: dict[str, float]) -> FaceShapes:
    """All shapes of face ``p`` with per-region expressions ``{"brows", "eyes", "mouth"}``."""
    eb, ee, em = region_expr["brows"], region_expr["eyes"], region_expr["mouth"]
    lm = np.zeros((68, 2))
    lm[0:17] = _jaw_curve(p, np.linspace(0, np.pi, 17))
    head = np.concatenate([_jaw_curve(p, np.linspace(0, np.pi, 40)), crown_arc(p)[::-1][1:-1]])
    brows, eyes = [], []
    for side, sl_b, sl_e in ((-1, slice(17, 22), slice(36, 42)), (1, slice(22, 27), slice(42, 48))):
        b_lm, b_poly = _brow(p, side, eb, p.anger)
        lm[sl_b] = b_lm
        brows.append(b_poly)
        eye = _eye(p, side, ee, p.anger)
        lm[sl_e] = eye["landmarks"]
        eyes.append(eye)
    top = p.eye_y - 0.004
    tip = p.eye_y + p.nose_length
    lm[27:31] = np.stack([np.full(4, CX), np.linspace(top, tip, 4)], 1)
    nw = p.nose_width
    base = tip + 0.018
    lm[31:36] = np.array(
        [
            [CX - nw, base - 0.006],
            [CX - 0.5 * nw, base + 0.004],
            [CX, base + 0.008],
            [CX + 0.5 * nw, base + 0.004],
            [CX + nw, base - 0.006],
        ]
    )
    wings = []
    for s in (-1, 1):
        t = np.linspace(-0.6 * np.pi, 0.55 * np.pi, 12)
        wings.append(
            np.stack(
                [CX + s * (nw * 0.78 + 0.012 * np.cos(t)), base - 0.012 + 0.014 * np.sin(t)], 1
            )
        )
    nostrils = [(np.array([CX + s * nw * 0.45, base + 0.0]), nw * 0.22) for s in (-1, 1)]
    mouth = _mouth(p, em, p.anger)
    lm[48:68] = mouth["landmarks"]
    smile = max(em, 0.0)
    folds = []
    if smile > 0.05:
        for s in (-1, 1):
            a = np.array([CX + s * (nw + 0.01), base - 0.02])
            b = np.array([CX + s * (mouth["hw"] + 0.012), mouth["ym"] + 0.01])
            tt = np.linspace(0, 1, 10)[:, None]
            bulge = np.array([s * 0.018, 0.0])
            folds.append(a * (1 - tt) + b * tt + bulge * np.sin(np.pi * tt))
    cheeks = [
        np.array([CX + s * (p.eye_spacing + 0.01), p.eye_y + 0.075 - 0.02 * max(ee, 0)])
        for s in (-1, 1)
    ]
    return FaceShapes(
        landmarks=lm,
        head=head,
        crown=crown_arc(p),
        eyes=eyes,
        brows=brows,
        mouth_outer=mouth["outer"],
        mouth_inner=mouth["inner"],
        teeth=mouth["teeth"],
        lip_line=mouth["line"],
        nose_wings=wings,
        nostrils=nostrils,
        folds=folds,
        cheeks=cheeks,
        smile=smile,
    )


def pose_transform(nuisance: Nuisance, size: float):
    """Return ``f(points, depth=0) -> pixels`` for the pose of ``nuisance`` at image ``size``.

    ``pixels = size·(½ + zoom·scale·R(rotation)·(p − (0.5, FACE_CENTRE_Y)) + shift)``, zoom =
    ``FRAME_ZOOM`` (so the face, not the shoulders, fills the frame).

    ``depth`` (0 = face outline plane, 1 = nose tip) scales the yaw shift ``0.05·yaw·depth`` and
    the outline narrows by ``1 − 0.08·|yaw|``.
    """
    th = np.deg2rad(nuisance.rotation)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    yaw = float(nuisance.yaw)
    k = 1 - 0.08 * abs(yaw)
    # pixels = (q' − c)·A + t with q' the yawed point, A = zoom·scale·Rᵀ·size
    a_mat = rot.T * (nuisance.scale * FRAME_ZOOM * size)
    t = (np.array([0.5, 0.5]) + np.asarray(nuisance.shift, float)) * size
    t = t - np.array([CX, FACE_CENTRE_Y]) @ a_mat

    def f(points: np.ndarray, depth: float | np.ndarray = 0.0) -> np.ndarray:
        q = np.array(points, float)
        q[..., 0] = CX + (q[..., 0] - CX) * k + 0.05 * yaw * depth
        return q @ a_mat + t

    return f
