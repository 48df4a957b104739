"""Pre-train a whole torchvision-layout network on face identities or object classes.

This is how to make face-based AlexNet / VGG11 / VGG13 backbones, which nobody publishes: train
the full network (``features`` + ``classifier``) with cross-entropy on identity (or object) labels,
then save a torchvision-format state dict (keys ``features.*``, ``classifier.*``) that
``build_model(arch, "file:CKPT.pth")`` / ``--weights file:CKPT.pth`` loads (the identity-sized
last layer is skipped there, as ImageNet's 1000-class layer is).

Data: ``"synthetic"`` renders the built-in lab in memory (identities from
:data:`facepsych.synthetic.PRETRAIN_IDS`, disjoint from the expression and continuum faces; or
:data:`facepsych.synthetic.OBJECT_CLASSES`), or a folder with one sub-folder per class
(VGGFace2 / ImageFolder layout). Images are normalised with ImageNet mean/std, the preprocessing
``file:`` weights get by default. A random ``val_fraction`` of images per class is held out and
its accuracy reported per epoch.

Multi-process data parallel: run under ``torchrun`` (``WORLD_SIZE`` > 1) and each process trains
on its shard (``DistributedSampler``) with gradients averaged by DDP — nccl on ``cuda:LOCAL_RANK``,
gloo with ``--device cpu`` or without a GPU (each CPU rank takes cores ÷ ranks-on-its-node
threads). Rank 0 writes the checkpoint (and alone reports its SHA-256). Example::

    torchrun --nproc_per_node 2 -m facepsych.cli pretrain --task identity --arch alexnet \\
        --data synthetic --epochs 2 --image-size 64 --out face_alexnet.pth

Optimiser: Adam (lr ``lr``), loss: cross-entropy, with random horizontal flips.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset
from tqdm.auto import tqdm

from facepsych.data.records import IMAGE_SUFFIXES
from facepsych.errors import FacepsychError
from facepsych.runtime import apply_threads, resolve_device
from facepsych.train.extract import decode_workers

TASKS = ("identity", "objects")


@dataclass
class PretrainConfig:
    """Settings of one pre-training run (see module doc)."""

    task: str = "identity"
    arch: str = "alexnet"
    data: str = "synthetic"
    epochs: int = 5
    image_size: int = 64
    batch_size: int = 64
    lr: float = 3e-4
    hidden: int | None = 512
    seed: int = 0
    classes: int = 32  # synthetic identities (objects: at most len(OBJECT_CLASSES))
    per_class: int = 40  # synthetic images per class
    val_fraction: float = 0.1
    workers: int = 0
    device: str = "auto"
    progress: bool = True

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class PretrainResult:
    """Where the checkpoint went and how training went (``history``: one dict per epoch)."""

    path: Path
    sha256: str
    config: dict
    class_names: list[str]
    history: list[dict] = field(default_factory=list)
    world_size: int = 1
    rank: int = 0
    seconds: float = 0.0
    net: nn.Module | None = None  # the trained network (not serialised)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("net")
        d["path"] = str(self.path)
        d["num_classes"] = self.num_classes
        return d


# ----------------------------------------------------------------------------- data


def synthetic_arrays(
    task: str, classes: int, per_class: int, size: int, seed: int = 0, progress: bool = False
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Render the lab in memory: ``(images uint8 (N, S, S, 3), labels (N,), class names)``.

    identity: ``classes`` identities × ``per_class`` faces, expression ~ U(−1, 1), full nuisance;
    objects: the first ``classes`` of ``OBJECT_CLASSES`` × ``per_class`` images.
    """
    from facepsych.synthetic import (
        OBJECT_CLASSES,
        PRETRAIN_IDS,
        identity_name,
        render_face,
        render_object,
        sample_identity,
    )

    if classes < 2 or per_class < 1:
        raise FacepsychError(f"need at least 2 classes and 1 image each, got {classes}×{per_class}")
    rng = np.random.default_rng([int(seed), 17])
    if task == "objects":
        if classes > len(OBJECT_CLASSES):
            raise FacepsychError(
                f"the lab has {len(OBJECT_CLASSES)} object classes, {classes} were asked for"
            )
        names = list(OBJECT_CLASSES[:classes])
    else:
        names = [identity_name(PRETRAIN_IDS + i) for i in range(classes)]
    imgs = np.empty((classes * per_class, size, size, 3), np.uint8)
    labels = np.repeat(np.arange(classes), per_class)
    bar = tqdm(total=len(labels), desc=f"render {task}", disable=not progress, leave=False)
    for c in range(classes):
        params = sample_identity(PRETRAIN_IDS + c) if task == "identity" else None
        for k in range(per_class):
            s = int(rng.integers(2**31))
            if task == "identity":
                img, _ = render_face(
                    params, float(rng.uniform(-1, 1)), size=size, seed=s, nuisance=1.0
                )
            else:
                img = render_object(names[c], seed=s, size=size)
            imgs[c * per_class + k] = np.asarray(img)
            bar.update()
    bar.close()
    return imgs, labels, names


def folder_index(root: Path) -> tuple[list[Path], np.ndarray, list[str]]:
    """One sub-folder per class → (files, labels, class names), classes sorted by name."""
    if not root.is_dir():
        raise FacepsychError(f"training data folder not found: {root}")
    names = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    files, labels = [], []
    for i, n in enumerate(names):
        fs = sorted(p for p in (root / n).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        files += fs
        labels += [i] * len(fs)
    names_used = [n for i, n in enumerate(names) if i in set(labels)]
    if len(names_used) < 2:
        raise FacepsychError(
            f"{root} needs at least 2 class sub-folders with images (one per identity or class), "
            f"found {len(names_used)}"
        )
    return files, np.asarray(labels), names


class _ImageFiles(Dataset):
    def __init__(self, files, labels, prep):
        self.files, self.labels, self.prep = files, labels, prep

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        from facepsych.data.images import read_rgb

        x = self.prep(read_rgb(self.files[i]))
        return x, int(self.labels[i])


def _normalise(imgs: np.ndarray, prep) -> torch.Tensor:
    x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() * (prep.scale / 255.0)
    mean = torch.tensor(prep.mean, dtype=torch.float32)[None, :, None, None]
    std = torch.tensor(prep.std, dtype=torch.float32)[None, :, None, None]
    return (x - mean) / std


def _split(labels: np.ndarray, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per class, hold out round(val_fraction·n) images: at least one when val_fraction > 0,
    never all of them."""
    rng = np.random.default_rng([int(seed), 19])
    tr, va = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_val = int(round(val_fraction * len(idx)))
        n_val = min(max(n_val, 1 if val_fraction > 0 else 0), len(idx) - 1)
        va += idx[:n_val].tolist()
        tr += idx[n_val:].tolist()
    return np.sort(np.asarray(tr, int)), np.sort(np.asarray(va, int))


# ----------------------------------------------------------------------------- training


def _dist_setup(device: str = "auto") -> tuple[int, int, torch.device]:
    """(rank, world size, device). One process: ``resolve_device(device)``. Under ``torchrun``
    (``WORLD_SIZE`` > 1): nccl on ``cuda:LOCAL_RANK`` unless the device is the CPU, else gloo;
    every CPU rank gets the thread policy's share, cores ÷ ranks on this node."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    dev = resolve_device(device)
    if world <= 1:
        return 0, 1, dev
    import torch.distributed as dist

    local = int(os.environ.get("LOCAL_RANK", "0"))
    if dev.type == "cuda":
        dev = torch.device("cuda", local)
        torch.cuda.set_device(dev)
        backend = "nccl"
    else:
        backend = "gloo"
        apply_threads(workers=int(os.environ.get("LOCAL_WORLD_SIZE", world)))
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return dist.get_rank(), dist.get_world_size(), dev


def _check(cfg: PretrainConfig) -> None:
    if cfg.task not in TASKS:
        raise FacepsychError(f"unknown pretraining task {cfg.task!r} (use identity or objects)")
    if cfg.arch == "fe-alexnet":
        raise FacepsychError(
            "pretrain the plain alexnet backbone; fe-alexnet adds its excitation blocks on top "
            "(build_model('fe-alexnet', 'file:CKPT.pth'))"
        )
    if cfg.epochs < 1 or cfg.batch_size < 1:
        raise FacepsychError("epochs and batch size must be at least 1")
    if cfg.image_size < 32:
        raise FacepsychError(f"image size must be at least 32 pixels, got {cfg.image_size}")
    if "alexnet" in cfg.arch and cfg.image_size < 63:
        raise FacepsychError(
            f"alexnet needs images of at least 63 pixels (its features collapse below), "
            f"got {cfg.image_size}"
        )
    if not 0 <= cfg.val_fraction < 1:
        raise FacepsychError(f"val_fraction must be in [0, 1), got {cfg.val_fraction}")


def torchvision_state_dict(net: nn.Module) -> dict[str, torch.Tensor]:
    """The ``features.*`` and ``classifier.*`` tensors (cloned to CPU), torchvision key names."""
    net = getattr(net, "module", net)
    return {
        k: v.detach().cpu().clone()
        for k, v in net.state_dict().items()
        if k.startswith(("features.", "classifier."))
    }


def _evaluate(net, loader, device) -> tuple[float, float]:
    net.eval()
    loss_sum, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            out = net(x)
            loss_sum += float(nn.functional.cross_entropy(out, y, reduction="sum"))
            correct += int((out.argmax(1) == y).sum())
            n += len(y)
    return (loss_sum / n, correct / n) if n else (float("nan"), float("nan"))


def pretrain(
    config: PretrainConfig | None = None,
    out: str | Path = "pretrained.pth",
    *,
    log: Callable[[str], None] | None = None,
    **overrides,
) -> PretrainResult:
    """Train ``config.arch`` on ``config.task`` and save a torchvision-format state dict at
    ``out`` (plus ``out`` with suffix ``.json``: config, classes, per-epoch history).

    ``log`` (rank 0 only) receives one line per finished epoch, ``epoch k/E: train loss …, val
    acc …`` — the plain progress a non-interactive run prints."""
    from torch.utils.data.distributed import DistributedSampler

    from facepsych.models import build_model
    from facepsych.models.weights import sha256_file

    cfg = PretrainConfig(**{**(config.as_dict() if config else {}), **overrides})
    _check(cfg)
    out = Path(out)
    if out.is_dir():  # fail before training, not when saving
        raise FacepsychError(f"--out {out} is a folder; give a checkpoint file name (CKPT.pth)")
    rank, world, device = _dist_setup(cfg.device)
    t0 = time.time()
    show = cfg.progress and rank == 0
    net = build_model(
        cfg.arch,
        "random",
        num_classes=2,
        hidden=cfg.hidden,
        freeze=False,
        seed=cfg.seed,
        image_size=cfg.image_size,
    )
    prep = net.preprocessing
    if cfg.data == "synthetic":
        imgs, labels, names = synthetic_arrays(
            cfg.task, cfg.classes, cfg.per_class, cfg.image_size, cfg.seed, progress=show
        )
        tr, va = _split(labels, cfg.val_fraction, cfg.seed)
        x_all = _normalise(imgs, prep)
        y_all = torch.from_numpy(labels).long()
        train_ds = TensorDataset(x_all[tr], y_all[tr])
        val_ds = TensorDataset(x_all[va], y_all[va])
    else:
        files, labels, names = folder_index(Path(cfg.data))
        tr, va = _split(labels, cfg.val_fraction, cfg.seed)
        train_ds = _ImageFiles([files[i] for i in tr], labels[tr], prep)
        val_ds = _ImageFiles([files[i] for i in va], labels[va], prep)
    # the real head: one output per class (rebuilt with the same seed, so identical on all ranks)
    net = build_model(
        cfg.arch,
        "random",
        num_classes=len(names),
        hidden=cfg.hidden,
        freeze=False,
        seed=cfg.seed,
        image_size=cfg.image_size,
    ).to(device)
    model: nn.Module = net
    sampler = None
    if world > 1:
        model = nn.parallel.DistributedDataParallel(
            net, device_ids=[device.index] if device.type == "cuda" else None
        )
        sampler = DistributedSampler(
            train_ds, num_replicas=world, rank=rank, shuffle=True, seed=cfg.seed
        )
    gen = torch.Generator().manual_seed(cfg.seed)
    train_loader = DataLoader(
        train_ds,
        batch_size=cfg.batch_size,
        shuffle=sampler is None,
        sampler=sampler,
        num_workers=decode_workers(cfg.workers),
        generator=gen,
        drop_last=len(train_ds) >= 2 * cfg.batch_size * world,
    )
    val_loader = DataLoader(val_ds, batch_size=256, num_workers=decode_workers(cfg.workers))
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    torch.manual_seed(cfg.seed + rank)  # dropout / flips differ per rank, gradients are averaged
    history = []
    for epoch in range(1, cfg.epochs + 1):
        if sampler is not None:
            sampler.set_epoch(epoch)
        model.train()
        te = time.time()
        loss_sum, correct, n = 0.0, 0, 0
        bar = tqdm(
            train_loader,
            desc=f"pretrain {cfg.arch} {cfg.task} epoch {epoch}/{cfg.epochs}",
            disable=not show,
            leave=False,
        )
        for x, y in bar:
            x, y = x.to(device), y.to(device)
            flip = torch.rand(len(x)) < 0.5
            x[flip] = x[flip].flip(-1)
            out_logits = model(x)
            loss = nn.functional.cross_entropy(out_logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += float(loss.detach()) * len(y)
            correct += int((out_logits.argmax(1) == y).sum())
            n += len(y)
            bar.set_postfix(loss=f"{loss_sum / n:.3f}", acc=f"{correct / n:.2f}")
        val_loss, val_acc = _evaluate(net, val_loader, device)
        row = dict(
            epoch=epoch,
            train_loss=loss_sum / max(n, 1),
            train_acc=correct / max(n, 1),
            val_loss=val_loss,
            val_acc=val_acc,
            seconds=time.time() - te,
        )
        history.append(row)
        line = (
            f"epoch {epoch}/{cfg.epochs}: train loss {row['train_loss']:.3f} acc "
            f"{row['train_acc']:.3f}, val acc {val_acc:.3f} ({row['seconds']:.1f} s)"
        )
        if show:
            tqdm.write(line)
        if log is not None and rank == 0:
            log(line)
    state = torchvision_state_dict(net)
    if rank == 0:
        from facepsych.atomic import save_torch

        save_torch(out, state)  # atomic, and the same state gives the same bytes (SHA-256)
    if world > 1:
        import torch.distributed as dist

        dist.barrier()
    sha = sha256_file(out) if rank == 0 else ""  # other nodes need not see rank 0's disk
    res = PretrainResult(
        out, sha, cfg.as_dict(), list(names), history, world, rank, time.time() - t0, net
    )
    if rank == 0:
        from facepsych.atomic import atomic_text

        atomic_text(out.with_suffix(".json"), json.dumps(res.as_dict(), indent=2))
    return res
