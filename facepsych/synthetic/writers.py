"""Write lab data sets as ordinary image folders + CSV + landmarks.

Identity seeds live in disjoint ranges so the sets never share a person:
expression (valence) training faces use ``EXPRESSION_IDS + i``, identity pre-training faces
``PRETRAIN_IDS + i``, continua ``CONTINUUM_IDS + i``.

Layouts:

* expression set: ``positive/`` and ``negative/`` image folders plus ``labels.csv``
  (``file,label,identity,split``; label 1 = positive), ``faces.csv`` (file, identity, seed,
  expression, split) and ``landmarks.csv`` (file, x0, y0, … x67, y67; iBUG 68, pixels);
  the validation split holds whole identities.
* identity set: one sub-folder per identity (VGGFace2 style), ``landmarks.csv``.
* object set: one sub-folder per class (ImageFolder style).

Continua are written by :mod:`facepsych.synthetic.continua`. Every set is written into a staged
folder beside ``out_dir`` that takes its place when complete (nothing half-written).
"""

from __future__ import annotations

import csv
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from facepsych.atomic import atomic_text, atomic_write, staged_folder
from facepsych.errors import FacepsychError
from facepsych.synthetic.objects import OBJECT_CLASSES, render_object
from facepsych.synthetic.params import (
    RegionWeights,
    sample_identity,
)
from facepsych.synthetic.render import render_face

EXPRESSION_IDS = 0
PRETRAIN_IDS = 50_000
CONTINUUM_IDS = 100_000


@dataclass
class WrittenSet:
    """What a writer produced."""

    root: Path
    kind: str
    n_images: int
    classes: list[str] = field(default_factory=list)
    identities: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["root"] = str(self.root)
        return d


def identity_name(seed: int) -> str:
    return f"n{int(seed):06d}"


def _check_counts(**counts: int) -> None:
    for name, v in counts.items():
        if int(v) < 1:
            raise FacepsychError(f"{name} must be at least 1, got {v}")


def _check_render(size: int, nuisance: float, val_fraction: float = 0.0) -> None:
    """Validate what rendering would reject, before any folder is created."""
    if int(size) < 16:
        raise FacepsychError(f"image size must be at least 16 pixels, got {size}")
    if float(nuisance) < 0:
        raise FacepsychError(f"nuisance strength must be >= 0, got {nuisance}")
    if not 0 <= float(val_fraction) < 1:
        raise FacepsychError(f"val_fraction must be in [0, 1), got {val_fraction}")


def _prepare(out_dir) -> Path:
    root = Path(out_dir)
    if root.exists() and not root.is_dir():
        raise FacepsychError(f"output path exists and is not a folder: {root}")
    root.mkdir(parents=True, exist_ok=True)
    return root


def _write_meta(root: Path, ws: WrittenSet) -> None:
    atomic_text(root / "synthetic.json", json.dumps(ws.as_dict(), indent=2))


def _staged(write: Callable[..., WrittenSet]) -> Callable[..., WrittenSet]:
    """Run a set writer ``write(out_dir, **options)`` on a staged folder that replaces
    ``out_dir`` when the whole set is written (:func:`facepsych.atomic.staged_folder`): an
    interrupted or failed write leaves the old folder as it was. An existing ``out_dir`` is
    replaced only when it holds a lab set (``synthetic.json``) or nothing."""

    @functools.wraps(write)
    def wrapper(out_dir, **options) -> WrittenSet:
        target = Path(out_dir)
        if target.exists() and not target.is_dir():
            raise FacepsychError(f"output path exists and is not a folder: {target}")
        is_lab_set = (target / "synthetic.json").is_file()
        with staged_folder(target, replaceable=lambda _: is_lab_set) as tmp:
            ws = write(tmp, **options)
            ws.root = target
            _write_meta(tmp, ws)
        return ws

    return wrapper


def _landmark_row(name: str, pts: np.ndarray) -> list:
    return [name, *[f"{v:.3f}" for v in pts.reshape(-1)]]


LANDMARK_HEADER = ["file"] + [f"{a}{i}" for i in range(68) for a in ("x", "y")]


@_staged
def write_expression_set(
    out_dir,
    *,
    n_identities: int = 40,
    per_identity: int = 10,
    size: int = 64,
    seed: int = 0,
    weights: RegionWeights | Mapping | str | None = None,
    nuisance: float = 0.5,
    val_fraction: float = 0.2,
    min_abs_expression: float = 0.2,
    first_identity: int = EXPRESSION_IDS,
    progress: bool = True,
) -> WrittenSet:
    """Faces with valence labels for transfer training.

    Each identity gets ``per_identity`` faces, half positive and half negative, with
    |expression| ~ U(min_abs_expression, 1) and independent nuisance (strength ``nuisance``;
    the default 0.5 keeps pose jitter moderate: ±4°, ±2 % shift, so small training sets suffice).
    ``round(val_fraction·n_identities)`` identities (at least 1 when n_identities ≥ 2) form the
    ``val`` split.
    """
    _check_counts(n_identities=n_identities, per_identity=per_identity)
    if not 0 <= min_abs_expression < 1:
        raise FacepsychError(f"min_abs_expression must be in [0, 1), got {min_abs_expression}")
    _check_render(size, nuisance, val_fraction)
    weights = RegionWeights.coerce(weights)
    root = _prepare(out_dir)
    rng = np.random.default_rng([int(seed), 11])
    ids = [first_identity + i for i in range(n_identities)]
    n_val = int(round(val_fraction * n_identities))
    if n_identities >= 2 and val_fraction > 0:
        n_val = min(max(n_val, 1), n_identities - 1)
    val_ids = set(rng.permutation(ids)[:n_val].tolist()) if n_val else set()
    for d in ("positive", "negative"):
        (root / d).mkdir(exist_ok=True)
    labels, faces, lms = [], [], []
    total = n_identities * per_identity
    bar = tqdm(total=total, desc="synth faces", disable=not progress, leave=False)
    for ident in ids:
        params = sample_identity(ident)
        name = identity_name(ident)
        split = "val" if ident in val_ids else "train"
        signs = np.array([1 if k % 2 == 0 else -1 for k in range(per_identity)])
        rng.shuffle(signs)
        for k in range(per_identity):
            e = float(signs[k] * rng.uniform(min_abs_expression, 1.0))
            img_seed = int(rng.integers(2**31))
            img, pts = render_face(
                params, e, size=size, seed=img_seed, nuisance=nuisance, weights=weights
            )
            label = 1 if e > 0 else 0
            rel = f"{'positive' if label else 'negative'}/{name}_{k:03d}.png"
            img.save(root / rel)
            labels.append([rel, label, name, split])
            faces.append([rel, name, ident, img_seed, f"{e:.4f}", split])
            lms.append(_landmark_row(rel, pts))
            bar.update()
    bar.close()
    _csv(root / "labels.csv", ["file", "label", "identity", "split"], labels)
    _csv(
        root / "faces.csv",
        ["file", "identity", "identity_seed", "image_seed", "expression", "split"],
        faces,
    )
    _csv(root / "landmarks.csv", LANDMARK_HEADER, lms)
    ws = WrittenSet(
        root,
        "expression",
        total,
        ["negative", "positive"],
        [identity_name(i) for i in ids],
        dict(
            size=size,
            seed=seed,
            nuisance=nuisance,
            val_fraction=val_fraction,
            min_abs_expression=min_abs_expression,
            weights=RegionWeights.coerce(weights).as_dict(),
            val_identities=sorted(identity_name(i) for i in val_ids),
        ),
    )
    _write_meta(root, ws)
    return ws


@_staged
def write_identity_set(
    out_dir,
    *,
    n_identities: int = 50,
    per_identity: int = 20,
    size: int = 64,
    seed: int = 0,
    nuisance: float = 1.0,
    first_identity: int = PRETRAIN_IDS,
    progress: bool = True,
) -> WrittenSet:
    """One sub-folder per identity; expressions ~ U(−1, 1) so identity, not expression, is the
    class."""
    _check_counts(n_identities=n_identities, per_identity=per_identity)
    _check_render(size, nuisance)
    root = _prepare(out_dir)
    rng = np.random.default_rng([int(seed), 13])
    lms, names = [], []
    bar = tqdm(
        total=n_identities * per_identity,
        desc="synth identities",
        disable=not progress,
        leave=False,
    )
    for i in range(n_identities):
        ident = first_identity + i
        params = sample_identity(ident)
        name = identity_name(ident)
        names.append(name)
        (root / name).mkdir(exist_ok=True)
        for k in range(per_identity):
            img, pts = render_face(
                params,
                float(rng.uniform(-1, 1)),
                size=size,
                seed=int(rng.integers(2**31)),
                nuisance=nuisance,
            )
            rel = f"{name}/{k:03d}.png"
            img.save(root / rel)
            lms.append(_landmark_row(rel, pts))
            bar.update()
    bar.close()
    _csv(root / "landmarks.csv", LANDMARK_HEADER, lms)
    ws = WrittenSet(
        root,
        "identity",
        n_identities * per_identity,
        names,
        names,
        dict(size=size, seed=seed, nuisance=nuisance),
    )
    _write_meta(root, ws)
    return ws


@_staged
def write_object_set(
    out_dir,
    *,
    classes: Sequence[str] | None = None,
    per_class: int = 40,
    size: int = 64,
    seed: int = 0,
    nuisance: float = 1.0,
    progress: bool = True,
) -> WrittenSet:
    """One sub-folder per object class (default: all of :data:`OBJECT_CLASSES`)."""
    _check_counts(per_class=per_class)
    classes = list(classes or OBJECT_CLASSES)
    unknown = [c for c in classes if c not in OBJECT_CLASSES]
    if unknown:
        names = ", ".join(OBJECT_CLASSES)
        raise FacepsychError(f"unknown object class {unknown[0]!r} (choose from {names})")
    if float(nuisance) < 0:
        raise FacepsychError(f"nuisance strength must be >= 0, got {nuisance}")
    root = _prepare(out_dir)
    bar = tqdm(
        total=len(classes) * per_class, desc="synth objects", disable=not progress, leave=False
    )
    for c in classes:
        (root / c).mkdir(exist_ok=True)
        for k in range(per_class):
            render_object(c, seed=int(seed) * 1_000_003 + k, size=size, nuisance=nuisance).save(
                root / c / f"{k:04d}.png"
            )
            bar.update()
    bar.close()
    ws = WrittenSet(
        root,
        "objects",
        len(classes) * per_class,
        classes,
        [],
        dict(size=size, seed=seed, nuisance=nuisance),
    )
    _write_meta(root, ws)
    return ws


def _csv(path: Path, header: list[str], rows: list[list]) -> None:
    def write(p: Path) -> None:
        with open(p, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)

    atomic_write(path, write)
