"""Frozen-feature cache: run the frozen backbone once per (model, weights, preprocessing, dataset)
and keep its outputs on disk.

Key = sha256 of ``{backbone module structure, sha256 of the backbone's tensors (features +
avgpool), preprocessing, dataset fingerprint (image ids + file size/mtime or pixel bytes),
transform = "none"}``. The head (classifier width, pool5/fc6 excitation, reduction) and the
architecture's name are not part of the key, so one extraction serves every head on the same
backbone and data (``alexnet`` and ``fe-alexnet`` with the same weights share it). Files:
``<cache_dir>/<key[:32]>.pt`` with ``{"ids": [...], "features": Tensor (N, D) float32,
"meta": {...}}``, written atomically and read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from facepsych import __version__
from facepsych.data import FaceDataset
from facepsych.errors import FacepsychError
from facepsych.train.atomic import save_torch

#: Bump whenever loader, crop or preprocessing code changes the pixels that reach the backbone
#: (2: AffectNet face boxes outside the image became bad inputs), so stale caches are not reused.
CACHE_VERSION = 2


def backbone_sha256(net: torch.nn.Module) -> str:
    """sha256 over the names, shapes and bytes of ``features`` and ``avgpool`` tensors."""
    h = hashlib.sha256()
    for prefix in ("features", "avgpool"):
        module = getattr(net, prefix)
        for name, tensor in sorted(module.state_dict().items()):
            t = tensor.detach().to("cpu").contiguous()
            h.update(f"{prefix}.{name}:{tuple(t.shape)}:{t.dtype}".encode())
            h.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy())
    return h.hexdigest()


def cache_key_material(net, dataset: FaceDataset) -> dict:
    """The JSON-able description whose sha256 names the cache file."""
    return {
        "version": CACHE_VERSION,
        "facepsych": __version__,
        "torch": str(torch.__version__),  # a plain str: weights_only loading refuses TorchVersion
        "modules": repr(net.features) + repr(net.avgpool),
        "backbone_sha256": backbone_sha256(net),
        "preprocessing": net.preprocessing.as_dict(),
        "dataset": dataset.fingerprint(),
        "transform": "none",
    }


def cache_key(material: dict) -> str:
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


@dataclass
class CachedFeatures:
    """Backbone outputs for the dataset samples that could be read (``ids`` in dataset order)."""

    ids: list[str]
    features: torch.Tensor
    path: Path | None
    hit: bool
    seconds: float
    failed: list[dict]

    def rows(self, image_ids: list[str]) -> torch.Tensor:
        index = {i: k for k, i in enumerate(self.ids)}
        return self.features[[index[i] for i in image_ids]]


def _try_load(dataset: FaceDataset, preprocess):
    """sample -> preprocessed tensor (3, S, S), or the FacepsychError (decoded in a thread)."""

    def load(sample):
        try:
            return preprocess(dataset.load_image(sample))
        except FacepsychError as exc:
            return exc

    return load


@torch.no_grad()
def extract_features(
    net,
    dataset: FaceDataset,
    *,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
    progress: bool = True,
    skip_bad: bool | None = None,
    workers: int = 0,
) -> tuple[list[str], torch.Tensor, list[dict]]:
    """``net.backbone`` over every sample (eval mode, no augmentation) → (ids, (N, D), failed).

    An image that cannot be decoded raises ``FacepsychError`` naming the file, or with
    ``skip_bad`` (default: the dataset's own setting) is left out and listed in ``failed``.
    ``workers`` > 1 decodes images in that many threads (PIL releases the GIL; order is kept).
    """
    skip = dataset.skip_bad if skip_bad is None else skip_bad
    was_training = net.training
    net.eval()
    ids: list[str] = []
    chunks: list[torch.Tensor] = []
    failed: list[dict] = []
    samples = dataset.samples
    bar = tqdm(total=len(samples), desc="extracting features", unit="img", disable=not progress)
    pool = ThreadPoolExecutor(workers) if workers > 1 else None
    try:
        for start in range(0, len(samples), batch_size):
            batch, images = [], []
            chunk = samples[start : start + batch_size]
            mapper = pool.map if pool is not None else map
            loaded_chunk = mapper(_try_load(dataset, net.preprocessing), chunk)
            for s, loaded in zip(chunk, loaded_chunk, strict=True):
                if isinstance(loaded, FacepsychError):
                    if not skip:
                        raise loaded
                    failed.append(
                        {"image_id": s.image_id, "item": dataset.describe(s), "reason": str(loaded)}
                    )
                else:
                    images.append(loaded)
                    batch.append(s.image_id)
            if images:
                x = torch.stack(images).to(device)
                chunks.append(net.backbone(x).float().cpu())
                ids += batch
            bar.update(len(samples[start : start + batch_size]))
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown()
        net.train(was_training)
    if not chunks:
        raise FacepsychError(f"no readable images in dataset {dataset.name!r}")
    return ids, torch.cat(chunks), failed


def cached_features(
    net,
    dataset: FaceDataset,
    cache_dir: str | Path,
    *,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
    progress: bool = True,
    workers: int = 0,
) -> CachedFeatures:
    """Load the backbone features of ``dataset`` from the cache, extracting them on a miss."""
    if not net.cacheable:
        raise FacepsychError(
            f"{net.arch}: a trainable block sits inside the backbone; features cannot be cached"
        )
    t0 = time.perf_counter()
    material = cache_key_material(net, dataset)
    key = cache_key(material)
    path = Path(cache_dir) / f"{key[:32]}.pt"
    if path.is_file():
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
            if blob.get("meta", {}).get("key") == key:
                return CachedFeatures(
                    list(blob["ids"]),
                    blob["features"],
                    path,
                    True,
                    time.perf_counter() - t0,
                    list(blob["meta"].get("failed", [])),
                )
        except Exception:  # unreadable/old cache file: recompute and overwrite
            pass
    ids, feats, failed = extract_features(
        net, dataset, batch_size=batch_size, device=device, progress=progress, workers=workers
    )
    meta = {
        "key": key,
        "material": material,
        "weights": net.weight_info.as_dict(),
        "n": len(ids),
        "dim": int(feats.shape[1]),
        "failed": failed,
    }
    save_torch(path, {"ids": ids, "features": feats, "meta": meta})
    return CachedFeatures(ids, feats, path, False, time.perf_counter() - t0, failed)
