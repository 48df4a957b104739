"""Benchmark: every panel net and its random twin, trained on real photos, judging real morphs.

For each net of ``facepsych.models.archs.PANEL`` with its packaged weights and its seeded random
twin (``random``, same arch):

1. the valence head is trained on ``../shared/data/facial_expressions`` (format
   ``facial_expressions``: positive = happiness; negative = anger, sadness, disgust, fear,
   contempt), every photo cut to the aligned face chip (``--crop face``: dlib 5-point detection;
   photos where no face is found are skipped and counted), on cached frozen features
   (``facepsych.train.train_valence``). Head: the panel classifier with ``hidden`` = 256, a
   feature standardiser (z − mean) / s.d. fitted on the training features (random twins' features
   live on other scales than pre-trained ones), Adam (``--lr``, default 1e-3: the head is trained
   from scratch on ~1.1k photos), batch 128, ``--epochs`` (default 40), best validation epoch;
   the feature cache is float32 (the random object twins' activations vanish to ~1e-9, below
   float16's range);
2. the 40 London identities are morphed neutral → smiling (21 steps, levels 0…1; landmarks:
   dlib 68-point detection on both photos, B similarity-aligned onto A), cached in
   ``--continua`` and reused between runs, cut to face chips on each frame's own landmarks;
3. P(positive) per frame (``predict_images``).

Per net it prints validation accuracy, the mean Spearman ρ of P(positive) with morph level over
continua (a constant curve has no ρ and counts as 0), the share of per-continuum fits that are
usable (``usable_fit``: no flag; ``usable_pse``: at most guess/lapse at a bound), and the series
fit of the mean curve (``fit_series``, lsq, PSE and slope with 95 % bootstrap CIs over
continua); then the pre-training gain over the twin: Δ = pre-trained − random for val acc, ρ and
PSE. Face nets (dlib-resnet, inception-resnet-v1) and object nets (mobilenet_v2,
efficientnet-lite0) differ in architecture, so object-vs-face is read on the gains.

Writes ``OUT/real_photos.csv`` (one row per net), ``OUT/curves.csv`` (P per continuum × level ×
net), ``OUT/mean_curves.png`` and the run folders under ``OUT/runs``.

    OMP_NUM_THREADS=1 python benchmarks/real_photos.py [--nets dlib-resnet ...] [--epochs 40]
        [--identities 40] [--which both|pretrained|random] [--lr 1e-3] [--out /tmp/real_photos]
        [--continua DIR] [--cache DIR] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from facepsych.errors import FacepsychError

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
STEPS = 21
HIDDEN = 256
NETS = {
    "mobilenet_v2": "imagenet",
    "efficientnet-lite0": "imagenet",
    "dlib-resnet": "dlib",
    "inception-resnet-v1": "casia-webface",
}


# --------------------------------------------------------------------------- numeric core


def curve_summary(levels, P, settings=None, *, seed: int = 0) -> dict:
    """Summary of one net's curves ``P`` (n_continua × n_levels) of P(positive) at ``levels``.

    - ``rho``: mean over continua of Spearman's ρ between level and P (a constant curve has no
      rank order: it counts as ρ = 0); ``rho_lo``/``rho_hi``: the 95 % t interval of that mean;
    - ``usable_fit`` / ``usable_pse``: shares of per-continuum fits (``fit_responses``, no
      bootstrap) passing :func:`usable_fit` / :func:`usable_pse`;
    - ``pse``, ``slope`` with ``_lo``/``_hi``: :func:`fit_series` of the mean curve, bootstrap over
      continua; ``span``: max − min of the mean curve.
    """
    from scipy.stats import spearmanr

    from facepsych.psychophysics import (
        FitSettings,
        fit_responses,
        fit_series,
        mean_ci,
        usable_fit,
        usable_pse,
    )

    settings = settings or FitSettings()
    x = np.asarray(levels, dtype=float)
    M = np.atleast_2d(np.asarray(P, dtype=float))
    rhos = []
    for row in M:
        rho = spearmanr(x, row).statistic if np.ptp(row) > 0 else 0.0
        rhos.append(0.0 if not np.isfinite(rho) else float(rho))
    point = FitSettings(**{**settings.as_dict(), "bootstrap": 0})
    fits = [fit_responses(x, row, point, seed=seed) for row in M]
    series = fit_series(x, M, settings, seed=seed)
    rho_ci = mean_ci(rhos) if len(rhos) > 1 else None
    mean = M.mean(axis=0)
    return {
        "n_continua": int(M.shape[0]),
        "rho": float(np.mean(rhos)),
        "rho_lo": float(rho_ci.lo) if rho_ci else float("nan"),
        "rho_hi": float(rho_ci.hi) if rho_ci else float("nan"),
        "usable_fit": float(np.mean([usable_fit(f) for f in fits])),
        "usable_pse": float(np.mean([usable_pse(f) for f in fits])),
        "span": float(np.ptp(mean)),
        "pse": float(series.pse),
        "pse_lo": float(series.pse_lo),
        "pse_hi": float(series.pse_hi),
        "slope": float(series.slope),
        "slope_lo": float(series.slope_lo),
        "slope_hi": float(series.slope_hi),
        "series_flags": ";".join(sorted(str(f) for f in series.flags)),
    }


def pretraining_gains(table: pd.DataFrame) -> pd.DataFrame:
    """Per arch: pre-trained minus random twin for val_acc, rho and pse (columns ``d_…``)."""
    rows = []
    for arch, group in table.groupby("arch", sort=False):
        real = group[group.weights != "random"]
        twin = group[group.weights == "random"]
        if real.empty or twin.empty:
            continue
        r, t = real.iloc[0], twin.iloc[0]
        rows.append(
            {
                "arch": arch,
                "domain": r.domain,
                "d_val_acc": r.val_acc - t.val_acc,
                "d_rho": r.rho - t.rho,
                "d_pse": r.pse - t.pse,
                "d_usable_fit": r.usable_fit - t.usable_fit,
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ stimuli


def london_continua(identities: int, folder: Path) -> tuple[list[Path], list[str]]:
    """Neutral → smiling continuum folders of the first ``identities`` London faces (made once,
    reused when ``folder/NNN/manifest.csv`` exists); returns (folders, failures)."""
    from facepsych.stimuli import morph_files

    london = DATA / "london_faces"
    ids = sorted(p.stem for p in (london / "neutral").glob("*.jpg"))[:identities]
    made, failed = [], []
    for face in ids:
        out = folder / face
        if not (out / "manifest.csv").is_file():
            try:
                morph_files(
                    london / "neutral" / f"{face}.jpg", london / "smiling" / f"{face}.jpg", out,
                    detector="dlib", largest=True, steps=STEPS, align=True,
                )  # fmt: skip
            except FacepsychError as exc:
                failed.append(f"{face}: {exc}")
                continue
        made.append(out)
    return made, failed


def continuum_chips(folders: list[Path]) -> tuple[np.ndarray, list[list]]:
    """(levels, chips per continuum): every frame cut to the face chip on its own landmarks."""
    from facepsych.data import crop_continuum, parse_crop
    from facepsych.stimuli import load_continuum

    crop = parse_crop("face")
    levels, chips = None, []
    for folder in folders:
        cropped = crop_continuum(load_continuum(folder), crop)
        levels = np.asarray(cropped.levels, dtype=float)
        chips.append(cropped.images)
    return levels, chips


def training_set(eager: bool = True):
    from facepsych.data import crop_dataset, load_dataset, parse_crop

    ds = load_dataset(DATA / "facial_expressions", "facial_expressions", skip_bad=True)
    return crop_dataset(ds, parse_crop("face"), eager=eager)


# --------------------------------------------------------------------------------- nets


def run_net(arch, weights, dataset, levels, chips, out: Path, args) -> tuple[dict, np.ndarray]:
    from facepsych.models import domain_of
    from facepsych.train import TrainConfig, load_run, predict_images, train_valence

    spec = {"arch": arch, "weights": weights, "hidden": HIDDEN, "seed": 0, "standardize": True}
    config = TrainConfig(
        epochs=args.epochs, lr=args.lr, standardize=True, cache_dir=str(args.cache),
        cache_dtype="float32", workers=0, progress=False,
    )  # fmt: skip
    run_dir = out / "runs" / f"{arch}-{weights}"
    t0 = time.perf_counter()
    result = train_valence(spec, dataset, run_dir, config)
    t_train = time.perf_counter() - t0
    net = load_run(run_dir)
    t0 = time.perf_counter()
    flat = [img for frames in chips for img in frames]
    P = predict_images(net, flat, batch_size=32).reshape(len(chips), -1)
    t_pred = time.perf_counter() - t0
    row = {
        "arch": arch,
        "weights": weights,
        "domain": domain_of(arch, weights) if weights != "random" else "random",
        "val_acc": result.best_val_acc,
        "best_epoch": result.best_epoch,
        "n_train": result.n_train,
        "n_val": result.n_val,
        "skipped": result.skipped,
        **curve_summary(levels, P),
        "train_s": round(t_train, 1),
        "extract_s": round(result.extract_seconds, 1),
        "predict_s": round(t_pred, 1),
    }
    return row, P


def line(r: dict) -> str:
    return (
        f"{r['arch']:<20} {r['weights']:<14} val acc {r['val_acc']:.3f}  "
        f"rho {r['rho']:+.3f} [{r['rho_lo']:+.3f}, {r['rho_hi']:+.3f}]  "
        f"usable fits {r['usable_fit']:.2f} (PSE {r['usable_pse']:.2f})  span {r['span']:.3f}  "
        f"PSE {r['pse']:.3f} [{r['pse_lo']:.3f}, {r['pse_hi']:.3f}]  "
        f"slope {r['slope']:.2f} [{r['slope_lo']:.2f}, {r['slope_hi']:.2f}]"
        f"{' flags ' + r['series_flags'] if r['series_flags'] else ''}  "
        f"({r['extract_s']:.0f} s extract, {r['train_s']:.0f} s train, {r['predict_s']:.0f} s "
        "predict)"
    )


def write_tables(rows, curves, levels, names, out: Path) -> None:
    """``real_photos.csv`` (one row per net) and ``curves.csv`` (net, continuum, level, p),
    rewritten after every net so that a stopped run keeps what it measured."""
    from facepsych.atomic import atomic_csv

    atomic_csv(out / "real_photos.csv", pd.DataFrame(rows))
    long = [
        {"net": name, "continuum": names[i], "level": lv, "p": P[i, j]}
        for name, P in curves.items()
        for i in range(P.shape[0])
        for j, lv in enumerate(levels)
    ]
    atomic_csv(out / "curves.csv", pd.DataFrame(long))


def plot(levels, curves: dict[str, np.ndarray], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, P in curves.items():
        ax.plot(levels, P.mean(axis=0), ls="--" if name.endswith("random") else "-", label=name)
    ax.set(xlabel="morph level (neutral → smiling)", ylabel="mean P(positive)", ylim=(0, 1))
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", nargs="+", default=list(NETS), choices=list(NETS))
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--which", choices=("both", "pretrained", "random"), default="both")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--identities", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("/tmp/real_photos"))
    parser.add_argument("--continua", type=Path, default=None, help="default OUT/continua")
    parser.add_argument("--cache", type=Path, default=None, help="default OUT/features")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if not (DATA / "facial_expressions").is_dir():
        raise SystemExit(f"error: {DATA} is absent (the benchmark needs ../shared/data)")
    from facepsych.runtime import apply_threads

    apply_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    args.continua = args.continua or args.out / "continua"
    args.cache = args.cache or args.out / "features"
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)

    t0 = time.perf_counter()
    folders, failed = london_continua(args.identities, args.continua)
    levels, chips = continuum_chips(folders)
    print(
        f"continua: {len(folders)} of {args.identities} identities × {STEPS} steps "
        f"({len(failed)} failed{': ' + '; '.join(failed) if failed else ''}), "
        f"{time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    t0 = time.perf_counter()
    dataset = training_set()
    counts = dataset.class_counts()
    print(
        f"training photos: {len(dataset.samples)} with a face ({counts}), "
        f"{len(dataset.skipped)} skipped (no face found), {time.perf_counter() - t0:.0f} s",
        flush=True,
    )

    rows, curves = [], {}
    for arch in args.nets:
        for weights in {"both": (NETS[arch], "random"), "pretrained": (NETS[arch],),
                        "random": ("random",)}[args.which]:  # fmt: skip
            row, P = run_net(arch, weights, dataset, levels, chips, args.out, args)
            rows.append(row)
            curves[f"{arch} {weights}"] = P
            print(line(row), flush=True)
            write_tables(rows, curves, levels, [f.name for f in folders], args.out)
    table = pd.DataFrame(rows)
    plot(levels, curves, args.out / "mean_curves.png")

    gains = pretraining_gains(table)
    print("\npre-training gain (pre-trained − random twin):")
    for g in gains.itertuples():
        print(
            f"  {g.arch:<20} {g.domain:<7} Δ val acc {g.d_val_acc:+.3f}  Δ rho {g.d_rho:+.3f}  "
            f"Δ PSE {g.d_pse:+.3f}  Δ usable fits {g.d_usable_fit:+.2f}"
        )
    for domain in ("object", "face") if not gains.empty else ():
        part = gains[gains.domain == domain]
        if not part.empty:
            print(
                f"  {domain} nets (mean of {len(part)}): Δ val acc {part.d_val_acc.mean():+.3f}  "
                f"Δ rho {part.d_rho.mean():+.3f}  Δ PSE {part.d_pse.mean():+.3f}"
            )
    print(
        "note: face and object nets differ in architecture (no package ships one arch with both "
        "pre-trainings); compare gains over twins, not only raw values."
    )
    print(f"wrote {args.out / 'real_photos.csv'}, curves.csv, mean_curves.png")
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
