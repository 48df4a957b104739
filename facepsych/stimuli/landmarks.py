"""Facial landmark files: webmorph ``.tem``, iBUG ``.pts``, ``.csv`` and ``.json``.

A landmark set is an ``(N, 2)`` float array of ``(x, y)`` pixel coordinates (origin top-left,
x to the right, y down) plus the name of its *scheme*, which says what each index means:

- ``ibug68``: the 68-point iBUG / dlib / menpo layout (jaw 0–16, brows 17–26, nose 27–35,
  eyes 36–47, mouth 48–67);
- ``webmorph189``: the 189-point Face Research Lab (London set) webmorph template;
- ``generic``: anything else (regions cannot be named, morphing still works).

The scheme is inferred from the point count unless given. ``.tem`` files also carry *line
groups* (which points connect); they are read into :attr:`Landmarks.groups` and written back
unchanged, so a read → write round trip reproduces the file's structure.

Example::

    >>> lm = read_landmarks("001.tem")          # doctest: +SKIP
    >>> lm.points.shape, lm.scheme
    ((189, 2), 'webmorph189')
    >>> write_landmarks("001.csv", lm)          # doctest: +SKIP
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facepsych.atomic import atomic_text
from facepsych.errors import FacepsychError

SCHEMES = ("ibug68", "webmorph189", "generic")
SCHEME_SIZES = {"ibug68": 68, "webmorph189": 189}
LANDMARK_SUFFIXES = (".tem", ".pts", ".csv", ".json")


@dataclass(frozen=True)
class LineGroup:
    """One webmorph line: ``closed`` flag as written in the file (0/1) and the point indices."""

    closed: int
    indices: tuple[int, ...]

    def as_dict(self) -> dict:
        return {"closed": self.closed, "indices": list(self.indices)}


@dataclass
class Landmarks:
    """Points ``(N, 2)`` (x, y in pixels), their scheme, and optional ``.tem`` line groups."""

    points: np.ndarray
    scheme: str = "generic"
    groups: list[LineGroup] | None = None
    trailer: list[str] = field(default_factory=list)  # unparsed .tem lines after the groups

    def __post_init__(self) -> None:
        self.points = as_points(self.points)
        if self.scheme not in SCHEMES:
            raise FacepsychError(f"unknown landmark scheme {self.scheme!r}; use one of {SCHEMES}")
        expected = SCHEME_SIZES.get(self.scheme)
        if expected is not None and len(self.points) != expected:
            raise FacepsychError(
                f"scheme {self.scheme} needs {expected} points, got {len(self.points)}"
            )

    def __len__(self) -> int:
        return len(self.points)

    def as_dict(self) -> dict:
        return {
            "scheme": self.scheme,
            "points": self.points.tolist(),
            "groups": None if self.groups is None else [g.as_dict() for g in self.groups],
        }


def as_points(points) -> np.ndarray:
    """Validate and return ``points`` as a float64 ``(N, 2)`` array of finite values."""
    arr = np.asarray(points, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 2 or len(arr) == 0:
        raise FacepsychError(f"landmarks must be an (N, 2) array of x, y; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise FacepsychError("landmarks contain NaN or infinite values")
    return arr


def infer_scheme(n_points: int) -> str:
    """``ibug68`` for 68 points, ``webmorph189`` for 189, else ``generic``."""
    for name, size in SCHEME_SIZES.items():
        if n_points == size:
            return name
    return "generic"


# ------------------------------------------------------------------------------------ reading


def read_landmarks(path, scheme: str | None = None, *, one_based: bool = False) -> Landmarks:
    """Read a landmark file by its suffix (``.tem``, ``.pts``, ``.csv``, ``.json``).

    Coordinates are taken as written (0-based pixels, as dlib, webmorph and this package write
    them). The original iBUG 300-W annotations are 1-based (Matlab): pass ``one_based=True`` to
    subtract 1 from x and y."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in LANDMARK_SUFFIXES:
        raise FacepsychError(
            f"{path}: unknown landmark file type {suffix!r}; use one of {LANDMARK_SUFFIXES}"
        )
    if not path.is_file():
        raise FacepsychError(f"landmark file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FacepsychError(f"{path}: cannot read landmark file ({exc})") from exc
    if not text.strip():
        raise FacepsychError(f"{path}: empty landmark file (no points)")
    reader = {".tem": _parse_tem, ".pts": _parse_pts, ".csv": _parse_csv, ".json": _parse_json}
    try:
        points, groups, trailer, file_scheme = reader[suffix](text)
    except FacepsychError as exc:
        raise FacepsychError(f"{path}: {exc}") from None
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise FacepsychError(f"{path}: malformed {suffix} landmark file ({exc})") from None
    points = as_points(points) - (1.0 if one_based else 0.0)
    scheme = scheme or file_scheme or infer_scheme(len(points))
    try:
        return Landmarks(points, scheme, groups, trailer)
    except FacepsychError as exc:
        raise FacepsychError(f"{path}: {exc}") from None


def _parse_tem(text: str):
    lines = [ln.strip() for ln in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    n = int(lines[0])
    if len(lines) < 1 + n:
        raise FacepsychError(f"header says {n} points but the file has {len(lines) - 1} lines")
    points = [[float(v) for v in ln.split()[:2]] for ln in lines[1 : 1 + n]]
    rest = lines[1 + n :]
    groups: list[LineGroup] | None = None
    trailer: list[str] = []
    if rest:
        n_groups = int(rest[0])
        groups = []
        pos = 1
        for _ in range(n_groups):
            closed, count = int(rest[pos]), int(rest[pos + 1])
            indices = tuple(int(v) for v in rest[pos + 2].split())
            if len(indices) != count:
                raise FacepsychError(f"line group {len(groups)} lists {len(indices)} != {count}")
            if any(i < 0 or i >= n for i in indices):
                raise FacepsychError(f"line group {len(groups)} refers to a point beyond {n - 1}")
            groups.append(LineGroup(closed, indices))
            pos += 3
        trailer = rest[pos:]
    return points, groups, trailer, None


def _parse_pts(text: str):
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    start = lines.index("{") + 1
    end = lines.index("}", start)
    points = [[float(v) for v in ln.split()[:2]] for ln in lines[start:end]]
    declared = [ln for ln in lines[:start] if ln.lower().startswith("n_points")]
    if declared and int(declared[0].split(":")[1]) != len(points):
        raise FacepsychError(
            f"n_points says {declared[0].split(':')[1].strip()}, found {len(points)}"
        )
    return points, None, [], None


def _parse_csv(text: str):
    rows = [r for r in csv.reader(text.splitlines()) if r and any(c.strip() for c in r)]
    header = [c.strip().lower() for c in rows[0]]
    if "x" in header and "y" in header:
        ix, iy = header.index("x"), header.index("y")
        rows = rows[1:]
    else:
        ix, iy = 0, 1
    if not rows:
        raise FacepsychError("no landmark points (only a header)")
    return [[float(r[ix]), float(r[iy])] for r in rows], None, [], None


def _parse_json(text: str):
    data = json.loads(text)
    scheme = None
    groups = None
    if isinstance(data, dict):
        scheme = data.get("scheme")
        if data.get("groups"):
            groups = [LineGroup(int(g["closed"]), tuple(g["indices"])) for g in data["groups"]]
        data = data["points"]
    points = [[p["x"], p["y"]] if isinstance(p, dict) else p[:2] for p in data]
    return points, groups, [], scheme


# ------------------------------------------------------------------------------------ writing


def write_landmarks(path, landmarks: Landmarks | np.ndarray, scheme: str | None = None) -> Path:
    """Write landmarks by suffix, atomically. ``.tem`` keeps line groups; ``.pts`` is iBUG's
    layout; ``.csv`` has a header ``x,y``; ``.json`` is ``{"scheme", "points", "groups"}``."""
    path = Path(path)
    if not isinstance(landmarks, Landmarks):
        pts = as_points(landmarks)
        landmarks = Landmarks(pts, scheme or infer_scheme(len(pts)))
    suffix = path.suffix.lower()
    if suffix not in LANDMARK_SUFFIXES:
        raise FacepsychError(
            f"{path}: unknown landmark file type {suffix!r}; use one of {LANDMARK_SUFFIXES}"
        )
    text = {".tem": _format_tem, ".pts": _format_pts, ".csv": _format_csv, ".json": _format_json}[
        suffix
    ](landmarks)
    return atomic_text(path, text)


def _num(v: float) -> str:
    """Short faithful text for a coordinate (``282.5``, ``316.0``, ``12.345678``)."""
    return repr(round(float(v), 6))


def _format_tem(lm: Landmarks) -> str:
    lines = [str(len(lm.points))]
    lines += [f"{_num(x)}\t{_num(y)}" for x, y in lm.points]
    groups = lm.groups or []
    lines.append(str(len(groups)))
    for g in groups:
        lines += [str(g.closed), str(len(g.indices)), " ".join(str(i) for i in g.indices)]
    lines += lm.trailer
    return "\n".join(lines) + "\n"


def _format_pts(lm: Landmarks) -> str:
    body = [f"{_num(x)} {_num(y)}" for x, y in lm.points]
    return "\n".join(["version: 1", f"n_points: {len(lm.points)}", "{", *body, "}"]) + "\n"


def _format_csv(lm: Landmarks) -> str:
    return "x,y\n" + "".join(f"{_num(x)},{_num(y)}\n" for x, y in lm.points)


def _format_json(lm: Landmarks) -> str:
    return json.dumps(lm.as_dict(), indent=1) + "\n"
