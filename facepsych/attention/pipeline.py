"""File-level CAM workflows behind ``facepsych cam`` and ``facepsych attention-compare``.

``run_cams``: a trained run folder + images (one image, a folder of images, a continuum folder,
or a folder of continuum folders such as full/eyes/nose/mouth occlusion sets) ->
``cams.npz`` (fused maps, raw per-layer maps, vertical profiles, image names, levels,
conditions, original sizes, targets, P(positive)), ``regions.csv`` (tidy region shares per
image × layer), ``profiles.csv`` (peak row and region of each fused map's vertical profile),
overlays, a grid figure (conditions × steps) and region-share bars.

``compare_attention``: ``cams.npz`` + a fixation CSV -> one row of fixation metrics per image.
The CAM is resized to the image's original size, where the fixation coordinates live.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from facepsych.attention.cam import _CamEngine, compute_cams
from facepsych.attention.fixations import check_points, load_fixations
from facepsych.attention.metrics import auc_borji, auc_judd, auc_shuffled, cc, kl_div, nss, sim
from facepsych.attention.regions import (
    REGION_COLUMNS,
    companion_masks,
    landmark_masks,
    region_rows,
    vertical_profile,
)
from facepsych.errors import FacepsychError

__all__ = [
    "METRIC_COLUMNS",
    "ImageItem",
    "collect_images",
    "compare_attention",
    "default_cam_layer",
    "fixation_rows",
    "match_names",
    "run_cams",
]

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
METRIC_COLUMNS = ("image", "n_fixations", "nss", "cc", "sim", "kl_div", "auc_judd", "auc_borji",
                  "auc_shuffled", "sigma_px")  # fmt: skip


@dataclass
class ImageItem:
    """One image to explain: its file, name (relative to the input root), level, condition and
    landmarks (pixel coordinates in the image's own frame) when the continuum has them."""

    path: Path
    name: str
    level: float = float("nan")
    condition: str = "full"
    landmarks: np.ndarray | None = None
    scheme: str | None = None


def _continuum_items(folder: Path, root: Path) -> list[ImageItem]:
    from facepsych.stimuli import load_continuum

    cont = load_continuum(folder)
    items = []
    for i, frame in enumerate(cont.frames):
        items.append(ImageItem(
            path=Path(frame), name=Path(frame).relative_to(root).as_posix()
            if Path(frame).is_relative_to(root) else Path(frame).name,
            level=float(cont.levels[i]), condition=cont.condition,
            landmarks=None if cont.landmarks is None else np.asarray(cont.landmarks[i], float),
            scheme=cont.scheme,
        ))  # fmt: skip
    return items


def collect_images(path: str | Path) -> list[ImageItem]:
    """Images under ``path``: a file, a continuum folder (``manifest.csv``) or manifest file
    (e.g. from ``facepsych continuum DIR --out set.csv``), a folder holding
    continuum folders at any depth (e.g. ``ID/full``, ``ID/eyes`` from ``facepsych synth
    continuum --occlude``), or a plain folder of images (sorted by name)."""
    root = Path(path)
    if root.is_file() and root.suffix.lower() == ".csv":  # a continuum manifest
        return _continuum_items(root, root.parent)
    if root.is_file():
        if root.suffix.lower() not in IMAGE_SUFFIXES:
            raise FacepsychError(f"{root} is not an image ({', '.join(sorted(IMAGE_SUFFIXES))})")
        return [ImageItem(path=root, name=root.name)]
    if not root.is_dir():
        raise FacepsychError(f"images not found: {root}")
    if (root / "manifest.csv").is_file():
        return _continuum_items(root, root)
    subs = sorted(m.parent for m in root.rglob("manifest.csv"))  # continua at any depth
    if subs:
        return [item for d in subs for item in _continuum_items(d, root)]
    files = sorted(f for f in root.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise FacepsychError(f"no images in {root}")
    return [ImageItem(path=f, name=f.name) for f in files]


def default_cam_layer(net: nn.Module) -> str:
    """The last ReLU of ``net.features`` (AlexNet ``features.11``, VGG16 ``features.29``)."""
    features = getattr(net, "features", None)
    if features is None:
        raise FacepsychError("the model has no 'features'; give the CAM layer(s) explicitly")
    relus = [name for name, m in features.named_children() if isinstance(m, nn.ReLU)]
    if not relus:
        raise FacepsychError("no ReLU in the model's features; give the CAM layer(s) explicitly")
    return f"features.{relus[-1]}"


def _load_run(run_dir: Path) -> nn.Module:
    try:
        from facepsych.train import load_run
    except ImportError:  # pragma: no cover - until the train stage exports it
        from facepsych.train.runs import load_run
    return load_run(run_dir)


def _load_rgb(path: Path):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            return img.convert("RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise FacepsychError(f"cannot read image {path}: {exc}".splitlines()[0]) from exc


def _parse_target(target: str | int):
    if isinstance(target, int):
        return target
    text = str(target).strip()
    return int(text) if text.lstrip("-").isdigit() else text


def _safe_name(name: str) -> str:
    return Path(name).with_suffix("").as_posix().replace("/", "__")


def run_cams(
    run_dir: str | Path,
    images: str | Path,
    out_dir: str | Path,
    *,
    method: str = "layercam",
    layers: list[str] | tuple[str, ...] | None = None,
    target: str | int = "positive",
    regions: str = "companion",
    batch_size: int = 32,
    overlays: bool = True,
    net: nn.Module | None = None,
) -> Path:
    """CAMs of every image for the model of ``run_dir`` (or ``net``); writes ``cams.npz``,
    ``regions.csv``, ``profiles.csv``, ``overlays/``, ``cam_grid.png``, ``region_shares.png``.
    Returns ``out_dir``."""
    if regions not in ("companion", "landmarks"):
        raise FacepsychError(f"unknown regions {regions!r}; use landmarks or companion")
    items = collect_images(images)
    if regions == "landmarks":
        missing = [it.name for it in items if it.landmarks is None]
        if missing:
            raise FacepsychError(
                f"{missing[0]} has no landmarks (continuum manifest without them, or plain "
                "images); use --regions companion"
            )
    net = _load_run(Path(run_dir)) if net is None else net
    prep = getattr(net, "preprocessing", None)
    if prep is None:
        raise FacepsychError(
            "the model has no preprocessing; load it with facepsych.train.load_run"
        )
    layers = tuple(layers) if layers else (default_cam_layer(net),)
    _CamEngine(net, layers)  # validates the layer names before any image is read
    tgt = _parse_target(target)

    maps, raws, targets, probs, sizes, pil_images = [], {ly: [] for ly in layers}, [], [], [], []
    from tqdm import tqdm

    starts = range(0, len(items), batch_size)
    for start in tqdm(starts, desc="CAMs", unit="batch", leave=False, disable=len(starts) < 2):
        chunk = items[start : start + batch_size]
        pils = [_load_rgb(it.path) for it in chunk]
        res = compute_cams(net, prep.batch(pils), method=method, layers=layers, target=tgt)
        maps.append(res.maps.cpu().numpy().astype(np.float32))
        for ly in layers:
            raws[ly].append(res.raw[ly].cpu().numpy().astype(np.float32))
        targets.append(res.targets.cpu().numpy())
        p = torch.softmax(res.scores, 1)
        probs.append(p[:, 1].cpu().numpy() if p.shape[1] > 1 else np.full(len(chunk), np.nan))
        sizes += [img.size for img in pils]
        pil_images += pils if overlays else []
    fused = np.concatenate(maps)
    raw = {ly: np.concatenate(v) for ly, v in raws.items()}
    shape = fused.shape[1:]
    out = Path(out_dir)  # created only now: a bad method, target or image leaves no folder
    out.mkdir(parents=True, exist_ok=True)

    if regions == "companion":
        masks = [companion_masks(shape)] * len(items)
    else:
        masks = [landmark_masks(it.landmarks, it.scheme, shape, frame_size=sz)
                 for it, sz in zip(items, sizes, strict=True)]  # fmt: skip
    names = [it.name for it in items]
    levels = [it.level for it in items]
    conds = [it.condition for it in items]
    rows = region_rows(fused, masks, images=names, levels=levels, condition=conds,
                       layer="fused", method=method)  # fmt: skip
    if len(layers) > 1:
        for ly in layers:
            up = torch.nn.functional.interpolate(
                torch.from_numpy(raw[ly])[:, None], size=shape, mode="bilinear",
                align_corners=False,
            )[:, 0].numpy()  # fmt: skip
            rows += region_rows(up, masks, images=names, levels=levels, condition=conds,
                                layer=ly, method=method)  # fmt: skip
    table = pd.DataFrame(rows, columns=list(REGION_COLUMNS))
    table.to_csv(out / "regions.csv", index=False)
    profiles = [vertical_profile(m, msk) for m, msk in zip(fused, masks, strict=True)]
    pd.DataFrame({
        "image": names, "level": levels, "condition": conds,
        "peak_row": [p.peak_row for p in profiles],
        "peak_region": [p.peak_region for p in profiles],
    }).to_csv(out / "profiles.csv", index=False)  # fmt: skip

    np.savez_compressed(
        out / "cams.npz",
        images=np.array(names), levels=np.array(levels, float), conditions=np.array(conds),
        sizes=np.array(sizes, int), targets=np.concatenate(targets),
        profiles=np.stack([p.profile for p in profiles]).astype(np.float32),
        p_positive=np.concatenate(probs), maps=fused, layers=np.array(layers),
        method=np.array(method), **{f"raw/{ly}": v for ly, v in raw.items()},
    )  # fmt: skip
    (out / "cams.json").write_text(json.dumps({
        "method": method, "layers": list(layers), "target": str(target), "regions": regions,
        "images": len(items), "map_size": list(shape), "run_dir": str(run_dir),
    }, indent=2))  # fmt: skip
    if overlays:
        _write_figures(out, items, pil_images, fused, rows, method, layers)
    return out


def _write_figures(out, items, pils, fused, rows, method, layers) -> None:
    from facepsych.report.cam_figures import cam_grid, plot_region_shares, save_overlay

    for it, img, cam in zip(items, pils, fused, strict=True):
        save_overlay(img, cam, out / "overlays" / f"{_safe_name(it.name)}.png")
    # one row per continuum folder (e.g. ID/full, ID/eyes) so identities are never mixed in a row
    keys = [(Path(it.name).parent.as_posix(), it.condition) for it in items]
    groups = list(dict.fromkeys(keys))
    labels = [folder if folder not in ("", ".") else cond for folder, cond in groups]
    cells, col_labels = [], None
    for key in groups:
        idx = [i for i, k in enumerate(keys) if k == key]
        if len(idx) > 11:  # at most 11 evenly spaced steps per row
            idx = [idx[int(round(k))] for k in np.linspace(0, len(idx) - 1, 11)]
        cells.append([(pils[i], fused[i]) for i in idx])
        if col_labels is None:
            col_labels = [
                f"{items[i].level:.2f}" if np.isfinite(items[i].level) else Path(items[i].name).stem
                for i in idx
            ]
    cam_grid(cells, out / "cam_grid.png", row_labels=labels, col_labels=col_labels,
             title=f"{method} {' + '.join(layers)}")  # fmt: skip
    fused_rows = [r for r in rows if r["layer"] == "fused"]
    plot_region_shares(fused_rows, out / "region_shares.png", by="condition",
                       title=f"{method}: share of CAM mass")  # fmt: skip


# ------------------------------------------------------------------------- fixation comparison
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
    """The arrays of ``cams.npz`` in ``cams_dir`` (or the file itself)."""
    path = Path(cams_dir)
    path = path / "cams.npz" if path.is_dir() else path
    if not path.is_file():
        raise FacepsychError(f"no cams.npz at {path} (write one with: facepsych cam RUN_DIR …)")
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


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
    from facepsych.attention.fixations import sigma_pixels

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
        Path(out_csv).parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(out_csv, index=False)
    return df
