"""Benchmark: the feature cache at AffectNet size (N faces, float16 memory-mapped shards).

Writes ``--n`` lab faces as an image folder (``labels.csv`` + PNGs; ``--unique`` distinct renders,
default 500, rounded up to whole identities of 10 renders (at least 20, at most N rounded up),
positive and negative in turn, repeated as separate files up to N: decoding and extraction cost
the same per file),
then, per architecture (default alexnet and vgg16 at 224 px, random weights, the paper's 4096-wide
head), in a fresh child process so that each peak RSS is its own:

1. extracts the features into an empty cache (``cached_features``, ``--workers`` DataLoader
   decoding processes) → extraction img/s, cache bytes on disk;
2. trains the head for ``--epochs`` epochs reading that cache in batches → head s/epoch;

and prints one line per arch with the projection to ``--project`` faces (default 290,000: the
paper's AffectNet): extraction hours, cache GB, head s/epoch, all linear in N. Peak RSS is the
child's ``ru_maxrss`` (the trainer; also as it stood after the extraction) and the largest of
its DataLoader workers'.
Goals: peak RSS ≤ 4 GB at any N; AlexNet cache for 290k ≤ 6 GB.

Arguments out of range (``--n`` below 10, a count below 1, …) stop it at once with one line
``error: …`` (exit status 2), and so does a child that fails or dies: its error, not a hang.

    python benchmarks/scale.py [--n 50000] [--archs alexnet vgg16] [--epochs 2] [--workers 2]
        [--unique 500] [--image-size 224] [--hidden 4096] [--batch-size 128] [--threads N]
        [--device cpu] [--dir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import queue as queues
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

GB = 1e9
#: The fewest faces that give a training split with both classes and a validation split.
MIN_FACES = 10
PER_IDENTITY = 10


class BenchmarkError(Exception):
    """A one-line reason the benchmark stops (printed as ``error: …``, exit status 2)."""


def identities_for(n: int, unique: int) -> int:
    """Lab identities rendered: enough for ``min(unique, n)`` renders of 10 each, at least 2."""
    return max(2, math.ceil(min(unique, n) / PER_IDENTITY))


def write_faces(root: Path, n: int, unique: int, size: int) -> float:
    """N lab face PNGs + ``labels.csv`` (file, label, identity); returns the seconds taken."""
    from facepsych.synthetic import write_expression_set

    t0 = time.perf_counter()
    src = root / "_renders"
    ws = write_expression_set(src, n_identities=identities_for(n, unique),
                              per_identity=PER_IDENTITY, size=size, seed=0,
                              progress=False)  # fmt: skip
    del ws
    # negative and positive in turn, so that any first N renders hold both classes
    neg, pos = (sorted((src / d).glob("*.png")) for d in ("negative", "positive"))
    renders = [p for pair in zip(neg, pos, strict=True) for p in pair]
    rows = ["file,label,identity"]
    (root / "img").mkdir(parents=True, exist_ok=True)
    for k in range(n):
        p = renders[k % len(renders)]
        name = f"img/{k:07d}.png"
        shutil.copyfile(p, root / name)
        label = "positive" if "positive" in p.parts else "negative"
        rows.append(f"{name},{label},p{k % 997}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    shutil.rmtree(src)
    return time.perf_counter() - t0


def _measure(arch: str, args: dict, queue) -> None:
    """Child process: extraction + head training for one arch; puts the figures on ``queue``, or
    ``{"error": message}`` when it fails."""
    try:
        queue.put(_figures(arch, args))
    except Exception as exc:  # the parent reports it in one line
        queue.put(
            {"error": f"{arch}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"}
        )


def _figures(arch: str, args: dict) -> dict:
    from facepsych.data import load_dataset
    from facepsych.models import build_model
    from facepsych.runtime import apply_threads, resolve_device
    from facepsych.train import TrainConfig, train_valence
    from facepsych.train.cache import cached_features

    threads = apply_threads(args["threads"])
    ds = load_dataset(args["data"], "folder", val_fraction=0.1, seed=0)
    cache = Path(args["cache"]) / arch
    spec = {"arch": arch, "weights": "random", "hidden": args["hidden"],
            "image_size": args["image_size"], "seed": 0}  # fmt: skip
    device = resolve_device(args["device"])
    net = build_model(**spec).to(device)
    t0 = time.perf_counter()
    cf = cached_features(net, ds, cache, batch_size=64, device=device, progress=False,
                         workers=args["workers"])  # fmt: skip
    extract_s = time.perf_counter() - t0
    extract_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB
    nbytes, dim = cf.store.nbytes, cf.store.dim
    del cf, net
    cfg = TrainConfig(epochs=args["epochs"], batch_size=args["batch_size"], seed=0,
                      cache_dir=str(cache), workers=args["workers"], device=args["device"],
                      progress=False)  # fmt: skip
    result = train_valence(spec, ds, Path(args["runs"]) / arch, cfg)
    epoch_s = [m["seconds"] for m in result.metrics]
    return {
        "arch": arch,
        "n": len(ds),
        "dim": dim,
        "threads": threads,
        "extract_s": extract_s,
        "cache_bytes": nbytes,
        "cache_hit": result.cache_hit,
        "epoch_s": sum(epoch_s) / len(epoch_s),
        "val_acc": result.best_val_acc,
        "extract_rss_gb": extract_rss,
        "rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB,
        "worker_rss_gb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / GB,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--archs", nargs="+", default=["alexnet", "vgg16"])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--unique", type=int, default=500)
    parser.add_argument("--render-size", type=int, default=128)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--hidden", type=int, default=4096)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--project", type=int, default=290_000)
    parser.add_argument("--dir", default=None, help="work folder (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    return parser.parse_args(argv)


def check_args(a: argparse.Namespace) -> None:
    """Refuse values the benchmark cannot run with, before any work (one line each)."""
    if a.n < MIN_FACES:
        raise BenchmarkError(f"--n must be at least {MIN_FACES}, got {a.n}")
    least = {"unique": 1, "epochs": 1, "workers": 0, "render_size": 16, "image_size": 16,
             "hidden": 1, "batch_size": 1, "project": 1}  # fmt: skip
    for name, low in least.items():
        if getattr(a, name) < low:
            flag = "--" + name.replace("_", "-")
            raise BenchmarkError(f"{flag} must be at least {low}, got {getattr(a, name)}")
    if a.threads is not None and a.threads < 1:
        raise BenchmarkError(f"--threads must be at least 1, got {a.threads}")
    if not a.archs:
        raise BenchmarkError("--archs needs at least one architecture")


def _result(child, queue) -> dict:
    """The child's figures; a child that fails, or dies without a word, is a BenchmarkError."""
    while True:
        try:
            r = queue.get(timeout=0.5)
            break
        except queues.Empty:
            if not child.is_alive():
                try:  # it may have put its result just before exiting
                    r = queue.get(timeout=0.1)
                    break
                except queues.Empty:
                    raise BenchmarkError(
                        f"the measuring process died (exit code {child.exitcode})"
                    ) from None
    child.join()
    if "error" in r:
        raise BenchmarkError(r["error"])
    return r


def run(a: argparse.Namespace) -> None:
    check_args(a)
    work = Path(a.dir) if a.dir else Path(tempfile.mkdtemp(prefix="facepsych-scale-"))
    try:
        data = work / "faces"
        if not (data / "labels.csv").is_file():
            took = write_faces(data, a.n, a.unique, a.render_size)
            print(f"wrote {a.n} faces ({a.render_size} px PNG) to {data} in {took:.1f} s")
        else:
            print(f"reusing the faces in {data}")
        args = {"data": str(data), "cache": str(work / "cache"), "runs": str(work / "runs"),
                "threads": a.threads, "hidden": a.hidden, "image_size": a.image_size,
                "device": a.device, "workers": a.workers, "epochs": a.epochs,
                "batch_size": a.batch_size}  # fmt: skip
        ctx = multiprocessing.get_context("spawn")
        for arch in a.archs:
            queue = ctx.Queue()
            child = ctx.Process(target=_measure, args=(arch, args, queue))
            child.start()
            r = _result(child, queue)
            scale = a.project / r["n"]
            print(
                f"{arch}: N {r['n']}, {r['dim']}-d, {r['threads']} thread(s), {a.workers} "
                f"decoders | extraction {r['n'] / r['extract_s']:.1f} img/s, "
                f"cache {r['cache_bytes'] / GB:.3f} GB | head {r['epoch_s']:.2f} s/epoch "
                f"(cache hit {r['cache_hit']}) | peak RSS {r['rss_gb']:.2f} GB (after "
                f"extraction {r['extract_rss_gb']:.2f} GB; decoder "
                f"{r['worker_rss_gb']:.2f} GB) | projected to {a.project}: extraction "
                f"{r['extract_s'] * scale / 3600:.1f} h, cache {r['cache_bytes'] * scale / GB:.2f}"
                f" GB, head {r['epoch_s'] * scale:.0f} s/epoch",
                flush=True,
            )
    finally:
        if not a.keep and not a.dir:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    try:
        run(parse_args(argv))
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
