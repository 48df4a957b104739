"""Saliency vs human fixations: ``compare_attention`` and the fixation metrics rows it writes.

``compare_attention``: ``cams.npz`` (from ``facepsych cam``) + a fixation CSV -> one row of
fixation metrics per image (:data:`METRIC_COLUMNS`). The CAM is resized to the image's original
size, where the fixation coordinates live. Fixation images are matched to CAM images by
:func:`match_names` (exact name, else unique basename, else unique stem).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from facepsych.attention.fixations import check_points, load_fixations, sigma_pixels
from facepsych.attention.metrics import auc_borji, auc_judd, auc_shuffled, cc, kl_div, nss, sim
from facepsych.errors import FacepsychError

__all__ = ["METRIC_COLUMNS", "compare_attention", "fixation_rows", "load_cams", "match_names"]

METRIC_COLUMNS = ("image", "n_fixations", "nss", "cc", "sim", "kl_div", "auc_judd", "auc_borji",
                  "auc_shuffled", "sigma_px")  # fmt: skip


def match_names(fix_names: list[str], cam_names: list[str]) -> tuple[dict[str, int], list[str]]:
    """(fixation-table image name -> CAM index, unmatched names): exact name, else unique
    basename, else unique stem."""
    exact = {n: i for i, n in enumerate(cam_names)}
    by_base: dict[str, list[int]] = {}
    by_stem: dict[str, list[int]] = {}
    for i, n in enumerate(cam_names):
        by_base.setdefault(Path(n).name, []).append(i)
        by_stem.setdefault(Path(n).stem, []).append(i)
    out, unknown = {}, []
    for name in fix_names:
        if name in exact:
            out[name] = exact[name]
        elif len(by_base.get(Path(name).name, [])) == 1:
            out[name] = by_base[Path(name).name][0]
        elif len(by_stem.get(Path(name).stem, [])) == 1:
            out[name] = by_stem[Path(name).stem][0]
        else:
            unknown.append(name)
    return out, unknown


def _match_names(fix_names: list[str], cam_names: list[str]) -> dict[str, int]:
    """:func:`match_names`, raising when a fixation image has no CAM."""
    out, unknown = match_names(fix_names, cam_names)
    if unknown:
        raise FacepsychError(
            f"{len(unknown)} fixation image(s) have no CAM, e.g. {unknown[0]!r}; "
            f"CAM images: {', '.join(cam_names[:5])}{' …' if len(cam_names) > 5 else ''}"
        )
    return out


def load_cams(cams_dir: str | Path) -> dict[str, np.ndarray]:
    """The arrays of ``cams.npz`` in ``cams_dir`` (or the file itself), in the layout of
    ``facepsych cam``: at least ``images`` (N names), ``maps`` (N, h, w) and ``sizes`` (N, 2
    original W, H).

    A study cell's ``cams.npz`` (``RUN/cells/<cell>/``: ``frames`` relative to the run folder,
    ``steps``, ``continuum``, float16 ``maps``) reads the same: ``images`` are its frames and
    ``sizes`` are read from the frames' headers."""
    path = Path(cams_dir)
    path = path / "cams.npz" if path.is_dir() else path
    if not path.is_file():
        raise FacepsychError(f"no cams.npz at {path} (write one with: facepsych cam RUN_DIR …)")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise FacepsychError(f"cannot read {path} ({type(exc).__name__}: not a cams.npz)") from None
    if "images" not in arrays and {"frames", "maps"} <= set(arrays):
        arrays = _cell_cams(arrays, path)
    missing = [k for k in ("images", "maps", "sizes") if k not in arrays]
    if missing:
        raise FacepsychError(
            f"{path} lacks {', '.join(missing)}: not a cams.npz of facepsych cam or of a study cell"
        )
    return arrays


def _cell_cams(arrays: dict[str, np.ndarray], path: Path) -> dict[str, np.ndarray]:
    """A study cell's arrays in the ``facepsych cam`` layout (see :func:`load_cams`)."""
    from PIL import Image

    frames = [str(f) for f in np.atleast_1d(arrays["frames"])]
    roots = [path.parent, *path.parent.parents[:2]]  # the cell, cells/, the run folder
    sizes = []
    for frame in frames:
        candidates = [Path(frame)] if Path(frame).is_absolute() else [r / frame for r in roots]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise FacepsychError(
                f"{path}: frame {frame} not found beside the run folder (was the run moved "
                "without its stimuli?)"
            )
        try:
            with Image.open(found) as img:
                sizes.append(img.size)
        except OSError as exc:
            raise FacepsychError(f"cannot read image {found} ({type(exc).__name__})") from None
    n = len(frames)
    out = dict(arrays)
    out.update(
        images=np.array(frames),
        maps=arrays["maps"].astype(np.float32),
        sizes=np.array(sizes, int).reshape(n, 2),
        conditions=np.array(["full"] * n),
    )
    return out


def _metric_row(sal, pts, other, frame, s_px, n_splits, seed) -> dict:
    h, w = frame
    return {
        "n_fixations": len(pts),
        "nss": nss(sal, pts, shape=(h, w)),
        "cc": cc(sal, pts, sigma=s_px, shape=(h, w)),
        "sim": sim(sal, pts, sigma=s_px, shape=(h, w)),
        "kl_div": kl_div(sal, pts, sigma=s_px, shape=(h, w)),
        "auc_judd": auc_judd(sal, pts, shape=(h, w), seed=seed),
        "auc_borji": auc_borji(sal, pts, shape=(h, w), n_splits=n_splits, seed=seed),
        "auc_shuffled": float("nan") if other is None else auc_shuffled(
            sal, pts, other, shape=(h, w), n_splits=n_splits, seed=seed),
        "sigma_px": s_px,
    }  # fmt: skip


def fixation_rows(
    maps,
    sizes,
    index: dict[str, int],
    table: pd.DataFrame,
    *,
    sigma: float | None = None,
    sigma_deg: float | None = None,
    ppd: float | None = None,
    n_splits: int = 100,
    seed: int = 0,
    per_subject: bool = False,
) -> list[dict]:
    """Metric rows (``METRIC_COLUMNS``, + ``subject`` with ``per_subject``) of the fixation
    images in ``index`` (fixation name -> CAM index into ``maps`` (N, h, w) and ``sizes`` (N, 2)
    original (W, H)), in the order of ``index``; the core of :func:`compare_attention`.

    Fixations of ``table`` images not in ``index`` are ignored (also as shuffled-AUC negatives).
    """
    fix_names = list(index)
    points = {}
    for name in fix_names:
        w, h = (int(v) for v in sizes[index[name]])
        pts = table.loc[table["image"] == name, ["x", "y"]].to_numpy(float)
        points[name] = check_points(pts, (h, w), image=name)
    rows = []
    for name in fix_names:
        i = index[name]
        w, h = (int(v) for v in sizes[i])
        if sigma is None and sigma_deg is None:
            s_px = max(h, w) / 30.0
        else:
            s_px = sigma_pixels(sigma, sigma_deg=sigma_deg, ppd=ppd)
        sal = maps[i]
        others = [points[o] * np.array([w / sizes[index[o]][0], h / sizes[index[o]][1]])
                  for o in fix_names if o != name]  # fmt: skip
        other = np.clip(np.concatenate(others), 0, [w - 1e-6, h - 1e-6]) if others else None
        if not per_subject:
            rows.append({"image": name, **_metric_row(sal, points[name], other, (h, w), s_px,
                                                      n_splits, seed)})  # fmt: skip
            continue
        sel = table[table["image"] == name]
        for subject, grp in sel.groupby("subject", sort=True):
            pts = grp[["x", "y"]].to_numpy(float)
            rows.append({"image": name, "subject": subject,
                         **_metric_row(sal, pts, other, (h, w), s_px, n_splits, seed)})  # fmt: skip
    return rows


def compare_attention(
    cams_dir: str | Path,
    fixations: str | Path,
    out_csv: str | Path | None = None,
    *,
    sigma: float | None = None,
    sigma_deg: float | None = None,
    ppd: float | None = None,
    n_splits: int = 100,
    seed: int = 0,
    per_subject: bool = False,
) -> pd.DataFrame:
    """Fixation metrics (NSS, CC, SIM, KL, AUC-Judd, AUC-Borji, shuffled AUC) per image (all
    subjects pooled), or per image × subject with ``per_subject`` (needs a ``subject`` column).

    The fused CAM is resized to the image's original size. Density maps for CC / SIM / KL use a
    Gaussian of ``sigma`` px, or ``sigma_deg`` × ``ppd``; default σ = max(H, W) / 30 px.
    Shuffled AUC draws its negatives from the other images' fixations (all subjects, rescaled
    to this frame); it is NaN when the table has a single image.
    """
    cams = load_cams(cams_dir)
    names = [str(n) for n in cams["images"]]
    table = load_fixations(fixations)
    if per_subject and "subject" not in table.columns:
        raise FacepsychError("per-subject metrics need a 'subject' column in the fixation file")
    index = _match_names(list(dict.fromkeys(table["image"])), names)
    rows = fixation_rows(
        cams["maps"], cams["sizes"], index, table, sigma=sigma, sigma_deg=sigma_deg, ppd=ppd,
        n_splits=n_splits, seed=seed, per_subject=per_subject,
    )  # fmt: skip
    columns = list(METRIC_COLUMNS)
    if per_subject:
        columns.insert(1, "subject")
    df = pd.DataFrame(rows, columns=columns)
    if out_csv is not None:
        from facepsych.atomic import atomic_csv

        atomic_csv(out_csv, df)
    return df
