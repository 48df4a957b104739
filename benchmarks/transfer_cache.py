"""Benchmark: transfer training with the frozen-feature cache vs a full forward per batch (issue 3).

For each architecture (default AlexNet and VGG16 at 224 px with the paper's 4096-wide head) the
same head is trained for ``--epochs`` epochs on the same images with the same seed, twice:

- ``cached``: ``train_valence`` with a fresh, empty feature cache (the run extracts the features
  once, hashes and stores them, then trains the head on them);
- ``full``: ``train_valence(cache=False)``, the companion's loop: every batch decodes its images
  and runs the whole network (validation too, every epoch).

and the *ideal* is measured separately: one bare feature-extraction pass over the images
(``extract_features``) + the head-only training time (the training seconds of a third run that
reads the now-warm cache). Printed per arch: both wall times, their ratio, the ideal, the cached
run's ratio to the ideal (target ≤ 1.15), both final and best validation accuracies (equal:
same seed, same data, and the cache is exact). Both wall times include the same fixed costs
(building the net, writing the ~230 MB (AlexNet) / ~540 MB (VGG16) checkpoint, the plot); the
``core`` ratio leaves them out (extraction + cache I/O + training only). An untimed 1-epoch
warm-up run on 16 images comes first. The ``projected 40 epochs`` ratio scales the measured
per-epoch costs (full-forward epoch vs one extraction + head-only epochs) to the companion's 40.

Data: ``--data``/``--format`` (default: ``../shared/data/facial_expressions`` when present, else
synthetic noise images), a class-balanced seeded subset of ``--n-images`` per arch (defaults
alexnet 128, vgg16 48 so that the whole script finishes in a few minutes on 2 CPU cores).
Weights: ``--weights`` (default ``random``: timing and cache exactness do not depend on them).

    python benchmarks/transfer_cache.py [--archs alexnet vgg16] [--epochs 3] [--n-images N]
        [--batch-size 128] [--repeat 1] [--threads N] [--image-size 224] [--hidden 4096]
        [--weights random] [--data PATH --format FMT] [--device cpu]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from facepsych.data import FaceDataset, ImageRef, Sample, load_dataset
from facepsych.train import TrainConfig, extract_features, train_valence

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "facial_expressions"
DEFAULT_N = {"alexnet": 128, "vgg16": 48}


def _synthetic(n: int, seed: int = 0) -> FaceDataset:
    rng = np.random.default_rng(seed)
    samples, refs = [], {}
    for k in range(n):
        iid = f"noise{k:04d}"
        samples.append(Sample(iid, k % 2, None, "val" if k % 5 == 4 else "train"))
        refs[iid] = ImageRef(pixels=rng.integers(0, 256, size=(96, 96), dtype=np.uint8))
    return FaceDataset(samples, refs, name="noise", format="synthetic")


def _subset(ds: FaceDataset, n: int, seed: int) -> FaceDataset:
    """A seeded subset of n samples, half per class, keeping the dataset's own splits."""
    rng = np.random.default_rng(seed)
    keep: set[str] = set()
    for label in (0, 1):
        ids = [s.image_id for s in ds.samples if s.label == label]
        take = min(len(ids), n // 2 + (n % 2 if label else 0))
        keep |= set(rng.choice(ids, size=take, replace=False).tolist())
    sub = ds.without({s.image_id for s in ds.samples} - keep)
    if not len(sub.split("val")):  # tiny subsets: make sure there is a validation split
        sub.samples = [
            Sample(s.image_id, s.label, s.identity, "val" if i % 5 == 4 else "train")
            for i, s in enumerate(sub.samples)
        ]
    return sub


def bench_arch(arch: str, ds: FaceDataset, args: argparse.Namespace) -> dict:
    spec = {"arch": arch, "weights": args.weights, "hidden": args.hidden, "seed": 0}
    with tempfile.TemporaryDirectory(prefix="facepsych-bench-") as tmp:
        tmp = Path(tmp)
        cfg = dict(
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=1e-4,
            image_size=args.image_size,
            cache_dir=str(tmp / "cache"),
            device=args.device,
            progress=False,
            seed=0,
        )
        # untimed warm-up (allocator, Adam state, lazy imports) so run order does not bias
        warm_cfg = {**cfg, "epochs": 1, "cache_dir": str(tmp / "warmup-cache")}
        train_valence(spec, _subset(ds, 16, seed=1), tmp / "warmup", TrainConfig(**warm_cfg))

        t0 = time.perf_counter()
        cached = train_valence(spec, ds, tmp / "cached", TrainConfig(**cfg))
        t_cached = time.perf_counter() - t0

        t0 = time.perf_counter()
        full = train_valence(spec, ds, tmp / "full", TrainConfig(**cfg, cache=False))
        t_full = time.perf_counter() - t0

        warm = train_valence(spec, ds, tmp / "warm", TrainConfig(**cfg))
        assert warm.cache_hit
        from facepsych.models import build_model

        net = build_model(**{**spec, "image_size": args.image_size}).to(args.device)
        t0 = time.perf_counter()
        extract_features(net, ds, batch_size=64, device=args.device, progress=False)
        t_extract = time.perf_counter() - t0
    ideal = t_extract + warm.train_seconds
    core = cached.extract_seconds + cached.train_seconds
    # projection to the companion's 40 epochs from the measured per-epoch costs
    e = args.epochs
    full_40 = 40 * full.train_seconds / e
    ideal_40 = t_extract + 40 * warm.train_seconds / e
    return {
        "arch": arch,
        "n": len(ds),
        "epochs": args.epochs,
        "cached_s": t_cached,
        "full_s": t_full,
        "ratio": t_full / t_cached,
        "ideal_s": ideal,
        "cached_over_ideal": t_cached / ideal,
        "core_over_ideal": core / ideal,
        "extract_s": t_extract,
        "cached_extract_s": cached.extract_seconds,
        "cached_train_s": cached.train_seconds,
        "full_train_s": full.train_seconds,
        "ratio_40": full_40 / ideal_40,
        "head_s": warm.train_seconds,
        "acc_cached": cached.final_val_acc,
        "acc_full": full.final_val_acc,
        "best_cached": cached.best_val_acc,
        "best_full": full.best_val_acc,
    }


def _best_of(runs: list[dict]) -> dict:
    """Fastest of each timing over repeats; ratios recomputed from those minima."""
    r = dict(runs[0])
    for key in ("cached_s", "full_s", "extract_s", "head_s", "cached_extract_s", "cached_train_s",
                "full_train_s"):  # fmt: skip
        r[key] = min(x[key] for x in runs)
    r["ideal_s"] = r["extract_s"] + r["head_s"]
    r["ratio"] = r["full_s"] / r["cached_s"]
    r["cached_over_ideal"] = r["cached_s"] / r["ideal_s"]
    r["core_over_ideal"] = (r["cached_extract_s"] + r["cached_train_s"]) / r["ideal_s"]
    e = r["epochs"]
    r["ratio_40"] = (40 * r["full_train_s"] / e) / (r["extract_s"] + 40 * r["head_s"] / e)
    return r


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", nargs="+", default=["alexnet", "vgg16"])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--n-images", type=int, default=None, help="per arch (default 128/48)")
    parser.add_argument("--batch-size", type=int, default=128, help="companion: 128")
    parser.add_argument("--repeat", type=int, default=1, help="best of N for every timing")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--hidden", type=int, default=4096)
    parser.add_argument("--weights", default="random")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--format", default="facial_expressions")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    data = args.data or (SHARED if SHARED.is_dir() else None)
    full_ds = load_dataset(data, args.format) if data else _synthetic(400)
    print(
        f"data: {full_ds.name} ({len(full_ds)} images), {args.epochs} epochs, batch "
        f"{args.batch_size}, {args.image_size} px, hidden {args.hidden}, weights {args.weights}, "
        f"torch threads {torch.get_num_threads()}"
    )
    for arch in args.archs:
        n = args.n_images or DEFAULT_N.get(arch, 64)
        runs = [bench_arch(arch, _subset(full_ds, n, seed=0), args) for _ in range(args.repeat)]
        r = _best_of(runs)
        print(
            f"{r['arch']}: n={r['n']} cached {r['cached_s']:.1f}s, full-forward "
            f"{r['full_s']:.1f}s, full/cached {r['ratio']:.2f}x; ideal {r['ideal_s']:.1f}s "
            f"(extract {r['extract_s']:.1f}s + head {r['head_s']:.1f}s), cached/ideal "
            f"{r['cached_over_ideal']:.2f} (core {r['core_over_ideal']:.2f}: extract+cache "
            f"{r['cached_extract_s']:.1f}s + head {r['cached_train_s']:.1f}s); projected 40 "
            f"epochs full/ideal {r['ratio_40']:.1f}x; final val acc "
            f"cached {r['acc_cached']:.3f} full {r['acc_full']:.3f} (best {r['best_cached']:.3f} "
            f"/ {r['best_full']:.3f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
