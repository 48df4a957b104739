"""Expression continua of held-out lab identities, in the continuum folder format of
:mod:`facepsych.stimuli` (scheme ``ibug68``): level 0 = most negative, level 1 = most positive,
expression = lo + level·(hi − lo), one nuisance draw shared by every step; optionally with the
eyes / nose / mouth occluded (:func:`facepsych.stimuli.occlude_continuum`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from facepsych.errors import FacepsychError
from facepsych.synthetic.params import (
    FaceParams,
    Nuisance,
    RegionWeights,
    sample_identity,
    sample_nuisance,
)
from facepsych.synthetic.render import render_face
from facepsych.synthetic.writers import (
    CONTINUUM_IDS,
    _check_counts,
    _check_render,
    _prepare,
    identity_name,
)


def continuum_frames(
    identity: FaceParams | int,
    steps: int = 21,
    *,
    size: int = 96,
    seed: int = 0,
    nuisance: Nuisance | float | None = 0.0,
    weights: RegionWeights | Mapping | str | None = None,
    expression_range: tuple[float, float] = (-1.0, 1.0),
):
    """Render a continuum: returns ``(levels, expressions, images, landmarks)``. One nuisance
    draw (from ``seed``) is shared by every step, so only the expression changes."""
    if int(steps) < 2:
        raise FacepsychError(f"a continuum needs at least 2 steps, got {steps}")
    lo, hi = (float(v) for v in expression_range)
    if not (-1 <= lo < hi <= 1):
        raise FacepsychError(f"expression_range must satisfy -1 <= lo < hi <= 1, got {lo}, {hi}")
    nz = nuisance
    if nuisance is not None and not isinstance(nuisance, Nuisance):
        nz = sample_nuisance(np.random.default_rng([int(seed), 7]), float(nuisance))
    levels = np.linspace(0.0, 1.0, int(steps))
    exprs = lo + levels * (hi - lo)
    imgs, pts = [], []
    for e in exprs:
        img, p = render_face(identity, float(e), size=size, seed=seed, nuisance=nz, weights=weights)
        imgs.append(img)
        pts.append(p)
    return levels, exprs, imgs, pts


def write_synthetic_continuum(
    out_dir,
    identity: FaceParams | int,
    steps: int = 21,
    *,
    size: int = 96,
    seed: int = 0,
    nuisance: Nuisance | float | None = 0.0,
    weights: RegionWeights | Mapping | str | None = None,
    expression_range: tuple[float, float] = (-1.0, 1.0),
    condition: str | None = None,
) -> Path:
    """Write one continuum folder (``step_00.png …``, ``landmarks_00.csv …``, ``manifest.csv``,
    scheme ``ibug68``) and return the folder. ``source_a``/``source_b`` name the identity and the
    end expressions, e.g. ``synthetic:n100000:e=-1.00``."""
    from facepsych.stimuli import write_continuum

    levels, exprs, imgs, pts = continuum_frames(
        identity,
        steps,
        size=size,
        seed=seed,
        nuisance=nuisance,
        weights=weights,
        expression_range=expression_range,
    )
    root = _prepare(out_dir)  # after rendering: bad steps / size leave no folder
    tag = identity_name(identity) if not isinstance(identity, FaceParams) else "custom"
    meta = {
        "identity": tag,
        "seed": seed,
        "steps": int(steps),
        "size": size,
        "expression_range": [float(exprs[0]), float(exprs[-1])],
        "expressions": [round(float(e), 6) for e in exprs],
        "weights": RegionWeights.coerce(weights).as_dict(),
        "identity_params": (
            identity if isinstance(identity, FaceParams) else sample_identity(identity)
        ).as_dict(),
    }
    write_continuum(
        root,
        imgs,
        pts,
        levels,
        scheme="ibug68",
        source_a=f"synthetic:{tag}:e={exprs[0]:.2f}",
        source_b=f"synthetic:{tag}:e={exprs[-1]:.2f}",
        condition=condition,
        extra_files={"synthetic.json": json.dumps(meta, indent=2)},
    )
    return root


def write_continuum_set(
    out_dir,
    *,
    n_continua: int = 4,
    steps: int = 21,
    size: int = 96,
    seed: int = 0,
    nuisance: float = 0.0,
    weights: RegionWeights | Mapping | str | None = None,
    first_identity: int = CONTINUUM_IDS,
    occlusions: Sequence[str] = (),
    subfolders: bool | None = None,
    progress: bool = True,
) -> list[Path]:
    """Continua of held-out identities ``first_identity + i``; returns every folder written.

    Layout: ``out_dir/<identity>/`` per continuum (``subfolders`` None: only when
    ``n_continua`` > 1, else ``out_dir`` itself is the continuum). With ``occlusions`` (any of
    eyes, nose, mouth), each continuum becomes ``<identity>/full/`` (condition ``full``) plus
    ``<identity>/<region>/`` made by :func:`facepsych.stimuli.occlude_continuum` from the exact
    landmarks.
    """
    _check_counts(n_continua=n_continua)
    occlusions = list(occlusions)
    bad = sorted(set(occlusions) - {"eyes", "nose", "mouth"})
    if bad:
        raise FacepsychError(
            f"unknown occlusion region(s): {', '.join(bad)} (use eyes, nose, mouth)"
        )
    if int(steps) < 2:
        raise FacepsychError(f"a continuum needs at least 2 steps, got {steps}")
    _check_render(size, nuisance)
    weights = RegionWeights.coerce(weights)
    root = _prepare(out_dir)
    nest = n_continua > 1 if subfolders is None else bool(subfolders)
    out = []
    for i in tqdm(range(n_continua), desc="synth continua", disable=not progress, leave=False):
        ident = first_identity + i
        base = root / identity_name(ident) if nest else root
        full = base / "full" if occlusions else base
        out.append(
            write_synthetic_continuum(
                full, ident, steps, size=size, seed=int(seed) * 1000 + i, nuisance=nuisance,
                weights=weights, condition="full" if occlusions else None,
            )
        )  # fmt: skip
        if occlusions:
            from facepsych.stimuli.occlude import occlude_continuum

            for region in occlusions:
                occlude_continuum(full, region, base / region)
                out.append(base / region)
    return out
