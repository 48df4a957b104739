"""Transfer training of a valence head on a frozen backbone (the paper's protocol).

Loss: cross-entropy L = −Σ_i w_{y_i} log softmax(f(x_i))_{y_i} / Σ_i w_{y_i} (w = 1, or
w_c = N / (2 n_c) with ``balance="weights"``); Adam on the trainable parameters only (the head,
plus any excitation blocks); the epoch with the best validation accuracy (ties: lower validation
loss) is kept.

Two paths, chosen automatically and reported (``TrainResult.mode``, the console, config.json):

- ``cached``: the backbone runs once per (model, weights, preprocessing, dataset) via
  :mod:`facepsych.train.cache`; each epoch only runs ``net.head`` on cached features.
- ``full-forward``: every batch decodes its images and runs the whole net, as the companion's
  loop did. Used when a trainable block sits inside the backbone (conv1…conv5 excitation), when
  ``augment`` is on, or when ``cache=False``.

Deterministic on the CPU: one ``torch.manual_seed(seed)`` governs dropout and augmentation, and
a seeded ``torch.Generator`` the batch order, so the same seed gives identical metrics and weights.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from facepsych.data import FaceDataset
from facepsych.data.crop import parse_crop
from facepsych.errors import FacepsychError
from facepsych.runtime import resolve_device
from facepsych.train.atomic import save_torch, write_json, write_text
from facepsych.train.cache import FeatureRows, cached_features
from facepsych.train.config import TrainConfig, TrainResult
from facepsych.train.extract import fill_batch_size
from facepsych.train.runs import writes_run_folder

METRIC_COLUMNS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds")


def _augmenter(size: int) -> Callable:
    from torchvision import transforms as T

    return T.Compose(
        [
            T.RandomResizedCrop(size, scale=(0.8, 1.0), ratio=(0.9, 1.1), antialias=True),
            T.RandomHorizontalFlip(),
        ]
    )


def _epoch_order(labels: torch.Tensor, balance: str, gen: torch.Generator) -> torch.Tensor:
    n = len(labels)
    if balance != "sampler":
        return torch.randperm(n, generator=gen)
    counts = torch.bincount(labels, minlength=2).double().clamp(min=1)
    return torch.multinomial(1.0 / counts[labels], n, replacement=True, generator=gen)


def _metrics_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=METRIC_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: r[k] for k in METRIC_COLUMNS})
    return buf.getvalue()


def _fallback_reason(net, config: TrainConfig) -> str | None:
    if not config.cache:
        return "feature cache disabled (cache=False)"
    if not net.cacheable:
        return (
            "trainable excitation inside the conv stack ("
            + ", ".join(k for k in net.excite if k.startswith("conv"))
            + ")"
        )
    if config.augment:
        return "random augmentation changes the backbone input every epoch"
    return None


class _Batches:
    """Batches of (inputs, labels) for one split: cached features or decoded images."""

    def __init__(
        self, net, data: FaceDataset, feats: FeatureRows | None, augment, device, pool=None
    ):
        self.net, self.data, self.feats = net, data, feats
        self.augment, self.device, self.pool = augment, device, pool
        self.labels = torch.as_tensor(data.labels(), dtype=torch.long)

    def __len__(self) -> int:
        return len(self.labels)

    def get(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = self.labels[idx].to(self.device)
        if self.feats is not None:  # gathered from the memory-mapped cache, one batch at a time
            x = self.feats[idx]
            if self.device.type == "cuda":
                return x.pin_memory().to(self.device, non_blocking=True), y
            return x, y
        chosen = [self.data.samples[int(i)] for i in idx]
        mapper = self.pool.map if self.pool is not None else map
        images = list(mapper(self.data.load_image, chosen))  # decoded in threads, order kept
        if self.augment is not None:  # main thread: the global RNG stays deterministic
            images = [self.augment(img) for img in images]
        return self.net.preprocessing.batch(images).to(self.device), y

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.head(x) if self.feats is not None else self.net(x)


def _evaluate(batches: _Batches, loss_fn: nn.Module, batch_size: int) -> tuple[float, float]:
    if len(batches) == 0:
        return math.nan, math.nan
    batches.net.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(batches), batch_size):
            idx = torch.arange(start, min(start + batch_size, len(batches)))
            x, y = batches.get(idx)
            out = batches.logits(x)
            total_loss += float(loss_fn(out, y)) * len(y)
            correct += int((out.argmax(1) == y).sum())
    return total_loss / len(batches), correct / len(batches)


def _backbone_batches(net, data: FaceDataset, config: TrainConfig) -> Iterator[torch.Tensor]:
    """One no-grad pass of the backbone over ``data`` (un-augmented), batch by batch: the
    features the standardiser's statistics come from when they are not cached (full-forward)."""
    device = next(net.parameters()).device
    was_training = net.training
    net.eval()
    step = config.extract_batch_size
    try:
        with torch.no_grad():
            for start in range(0, len(data), step):
                images = [data.load_image(s) for s in data.samples[start : start + step]]
                yield net.backbone(net.preprocessing.batch(images).to(device)).cpu()
    finally:
        net.train(was_training)


def _feature_batches(feats: FeatureRows, chunk: int = 4096) -> Iterator[torch.Tensor]:
    """The cached rows in chunks of ``chunk`` (only one chunk in memory at a time)."""
    for start in range(0, len(feats), chunk):
        yield feats[start : start + chunk]


def check_decodable(dataset: FaceDataset, *, progress: bool = True) -> list[dict]:
    """Decode every image once; the failures as ``{image_id, item, reason}`` (for skip_bad)."""
    failed = []
    for s in tqdm(dataset.samples, desc="checking images", unit="img", disable=not progress):
        try:
            dataset.load_image(s)
        except FacepsychError as exc:
            failed.append({"image_id": s.image_id, "item": dataset.describe(s), "reason": str(exc)})
    return failed


def _build(net_spec: dict, config: TrainConfig):
    from facepsych.models import build_model

    spec = dict(net_spec)
    if spec.get("seed") is None:  # a spec without a seed gets the run's seed (deterministic init)
        spec["seed"] = config.seed
    if config.image_size is not None:
        spec["image_size"] = int(config.image_size)
    spec["freeze"] = True
    if config.standardize:
        spec["standardize"] = True
    net = build_model(**spec)
    _check_input_size(net)
    return net


def _check_input_size(net) -> None:
    """One tiny forward of the frozen part: an image size too small for the architecture is a
    one-line error before anything is written (not a pooling traceback mid-extraction)."""
    size = net.preprocessing.image_size
    was_training = net.training
    try:
        with torch.no_grad():
            net.eval().backbone(torch.zeros(1, 3, size, size))
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise FacepsychError(
            f"{net.arch} cannot run at {size}x{size} px ({first}); use a larger --image-size"
        ) from None
    finally:
        net.train(was_training)


def _check_classes(counts: dict) -> None:
    if min(counts.values()) == 0:
        raise FacepsychError(
            f"the training split needs both classes, got {counts} (check the valence map)"
        )


@writes_run_folder
def train_valence(
    net_spec: dict, dataset: FaceDataset, out_dir: str | Path, config: TrainConfig | None = None
) -> TrainResult:
    """Train a valence head for ``build_model(**net_spec)`` on ``dataset``; write the run folder.

    Run folder: ``config.json`` (net spec, TrainConfig, data summary, mode, cache), ``metrics.csv``
    (epoch, train_loss, train_acc, val_loss, val_acc, seconds; rewritten after every epoch),
    ``best.pt`` (state dict of the whole FacepsychNet at the best validation epoch),
    ``learning_curves.png``, ``skipped.csv`` when inputs were skipped. Every file is written
    atomically; ``config.json`` is written last.
    """
    config = config or TrainConfig()
    out = Path(out_dir)
    _check_classes(dataset.split("train").class_counts())  # before any folder or extraction
    device = resolve_device(config.device)
    if out.exists() and not out.is_dir():
        raise FacepsychError(f"run folder {out} exists and is not a folder")
    net = _build(net_spec, config).to(device)  # bad arch / weights fail before the folder exists
    if device.type == "cuda":
        net = net.to(memory_format=torch.channels_last)
    # The folder is made by the first (atomic) write, after epoch 1: an image that fails to
    # decode during extraction or the first epoch leaves nothing behind.
    reason = _fallback_reason(net, config)
    mode = "cached" if reason is None else "full-forward"
    log = tqdm.write if config.progress else (lambda *_: None)
    log(f"training {net.arch} ({mode}{': ' + reason if reason else ''})")

    # ---- data: cached features (train/val) or lazy images
    skipped = list(dataset.skipped)
    cache_path, cache_hit, extract_seconds = None, False, 0.0
    train_feats = val_feats = None
    # Augmentation alone leaves the backbone cacheable: validation features are still cached.
    use_cache_for_val = config.cache and net.cacheable and len(dataset.split("val")) > 0
    if mode == "cached" or use_cache_for_val:
        extract_batch = config.extract_batch_size
        if device.type == "cuda":  # at least the configured batch, more while memory allows
            extract_batch = max(extract_batch, fill_batch_size(net, device))
        cf = cached_features(
            net,
            dataset if mode == "cached" else dataset.split("val"),
            config.resolved_cache_dir(),
            batch_size=extract_batch,
            device=device,
            progress=config.progress,
            workers=config.workers,
            dtype=getattr(config, "cache_dtype", "float16"),
            executor=config.extract_executor,
            executor_workers=config.extract_workers,
        )
        cache_path, cache_hit, extract_seconds = str(cf.path), cf.hit, cf.seconds
        log(f"features {'reused from' if cf.hit else 'cached to'} {cf.path}")
        if cf.failed:
            skipped += cf.failed
            dataset = dataset.without({f["image_id"] for f in cf.failed})
    if mode == "full-forward" and dataset.skip_bad:
        failed = check_decodable(dataset, progress=config.progress)
        skipped += failed
        dataset = dataset.without({f["image_id"] for f in failed})
    train_set, val_set = dataset.split("train"), dataset.split("val")
    if mode == "cached":
        train_feats = cf.rows([s.image_id for s in train_set.samples])
    if use_cache_for_val:
        val_feats = cf.rows([s.image_id for s in val_set.samples])
    counts = train_set.class_counts()
    log(
        "data: "
        + ", ".join(
            f"{name} {len(part)} ({part.class_counts()['negative']} negative / "
            f"{part.class_counts()['positive']} positive)"
            for name, part in (("train", train_set), ("val", val_set))
        )
        + (f", {len(skipped)} skipped" if skipped else "")
    )
    _check_classes(counts)

    if net.standardize is not None:
        net.standardize.set_statistics_from(  # streamed: the split is never loaded whole
            _feature_batches(train_feats)
            if train_feats is not None
            else _backbone_batches(net, train_set, config)
        )
        log("features standardised with the training split's mean and s.d.")

    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    augment = _augmenter(net.preprocessing.image_size) if config.augment else None
    pool = ThreadPoolExecutor(config.workers) if config.workers > 1 else None
    train_b = _Batches(net, train_set, train_feats, augment, device, pool)
    val_b = _Batches(net, val_set, val_feats, None, device, pool)
    weight = None
    if config.balance == "weights":
        weight = torch.as_tensor(train_set.class_weights(), dtype=torch.float32, device=device)
    loss_fn = nn.CrossEntropyLoss(weight=weight)
    eval_loss = nn.CrossEntropyLoss()
    from facepsych.models import trainable_parameters

    params = trainable_parameters(net)
    # only trainable tensors change; the best epoch keeps a copy of those (frozen ones are fixed)
    trainables = {k: p for k, p in net.named_parameters() if p.requires_grad}
    optim = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)

    rows: list[dict] = []
    best: tuple[float, float] | None = None
    best_state: dict | None = None
    best_epoch = 0
    t_train = time.perf_counter()
    n_batches = math.ceil(len(train_b) / config.batch_size)
    for epoch in range(1, config.epochs + 1):
        t0 = time.perf_counter()
        net.train()
        order = _epoch_order(train_b.labels, config.balance, gen)
        total_loss, correct, seen = 0.0, 0, 0
        bar = tqdm(
            total=n_batches,
            desc=f"epoch {epoch}/{config.epochs}",
            unit="batch",
            leave=False,
            disable=not config.progress,
        )
        for start in range(0, len(order), config.batch_size):
            idx = order[start : start + config.batch_size]
            x, y = train_b.get(idx)
            logits = train_b.logits(x)
            loss = loss_fn(logits, y)
            optim.zero_grad(set_to_none=True)
            loss.backward()
            optim.step()
            total_loss += float(loss.detach()) * len(y)
            correct += int((logits.detach().argmax(1) == y).sum())
            seen += len(y)
            bar.update(1)
        bar.close()
        val_loss, val_acc = _evaluate(val_b, eval_loss, max(config.batch_size, 256))
        row = {
            "epoch": epoch,
            "train_loss": total_loss / seen,
            "train_acc": correct / seen,
            "val_loss": val_loss,
            "val_acc": val_acc,
            "seconds": time.perf_counter() - t0,
        }
        rows.append(row)
        score = (val_acc, -val_loss) if not math.isnan(val_acc) else (0.0, float(epoch))
        if best is None or score > best:
            best, best_epoch = score, epoch
            best_state = {k: p.detach().clone() for k, p in trainables.items()}
        write_text(out / "metrics.csv", _metrics_csv(rows))
        log(
            f"epoch {epoch}: train_loss {row['train_loss']:.4f} acc {row['train_acc']:.3f}"
            f"  val_loss {val_loss:.4f} acc {val_acc:.3f}"
        )
    train_seconds = time.perf_counter() - t_train
    if pool is not None:
        pool.shutdown()

    assert best_state is not None
    with torch.no_grad():
        for k, p in trainables.items():
            p.copy_(best_state[k])
    save_torch(out / "best.pt", {k: v.detach().cpu() for k, v in net.state_dict().items()})
    _write_skipped(out, skipped)
    try:
        from facepsych.train.plots import plot_learning_curves

        plot_learning_curves(rows, out / "learning_curves.png", title=f"{net.arch} ({mode})")
    except ImportError:  # pragma: no cover - matplotlib is a core dependency
        pass
    best_row = rows[best_epoch - 1]
    result = TrainResult(
        run_dir=out,
        best_epoch=best_epoch,
        best_val_acc=best_row["val_acc"],
        best_val_loss=best_row["val_loss"],
        final_val_acc=rows[-1]["val_acc"],
        epochs=config.epochs,
        mode=mode,
        fallback_reason=reason,
        cache_path=cache_path,
        cache_hit=cache_hit,
        extract_seconds=extract_seconds,
        train_seconds=train_seconds,
        n_train=len(train_set),
        n_val=len(val_set),
        skipped=len(skipped),
        metrics=rows,
    )
    summary = dataset.summary()
    summary["skipped"] = len(skipped)
    write_json(
        out / "config.json",
        json.loads(
            json.dumps(
                {
                    "net": net.spec(),
                    "train": config.as_dict(),
                    "data": summary,
                    "crop": parse_crop(summary.get("crop")).as_dict(),
                    "preprocessing": net.preprocessing.as_dict(),
                    "weight_info": net.weight_info.as_dict(),
                    "result": {k: v for k, v in result.as_dict().items() if k != "metrics"},
                },
                default=str,
            )
        ),
    )
    return result


def _write_skipped(out: Path, skipped: list[dict]) -> None:
    path = out / "skipped.csv"
    if not skipped:
        path.unlink(missing_ok=True)
        return
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=("item", "reason"), lineterminator="\n")
    writer.writeheader()
    for s in skipped:
        writer.writerow({"item": s.get("item", ""), "reason": s.get("reason", "")})
    write_text(path, buf.getvalue())
