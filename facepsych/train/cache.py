"""Frozen-feature cache: run the frozen backbone once per (model, weights, preprocessing, dataset)
and keep its outputs on disk as memory-mapped float16 shards.

Key = sha256 of ``{backbone module structure, sha256 of the backbone's tensors (features +
avgpool), preprocessing, dataset fingerprint (image ids + file size/mtime or pixel bytes),
transform = "none", precision of the frozen pass (``float32``, or ``bfloat16`` autocast on a
GPU: :func:`facepsych.train.extract.extraction_precision`), storage = {format, dtype}}``. The
device's name is not part of it: a float32 extraction on any CPU, or in Ray tasks, is the same
cache. The head (classifier width, pool5/fc6
excitation, reduction) and the architecture's name are not part of the key, so one extraction
serves every head on the same backbone and data (``alexnet`` and ``fe-alexnet`` with the same
weights share it).

Layout of ``<cache_dir>/<key[:32]>/``:

- ``meta.json``: key, key material, dtype, shard size, sample count (written first);
- ``shard-KKKKK.npy`` + ``shard-KKKKK.json``: the rows of samples ``[K·S, (K+1)·S)`` (dataset
  order; undecodable images skipped and listed) as an ``.npy`` array (rows, D) in the cache dtype,
  and their image ids. A shard is complete when its ``.json`` exists;
- ``shard-KKKKK.partial.npy`` / ``.partial.json``: the shard being written, extended after every
  batch (the array is flushed before the json that counts its rows is replaced atomically), so an
  interrupted extraction resumes at the first sample not yet counted;
- ``complete.json``: written last (row count, dimension, failures); its presence is a cache hit.

Shards can be written by different processes or machines (:mod:`facepsych.train.sharded`); a
per-shard lock file keeps two local writers off the same shard. Readers open the shards with
``numpy.load(mmap_mode="r")`` and gather rows per batch, so memory use does not grow with N.
float16 keeps 11 significant bits (relative error ≤ 2⁻¹¹ ≈ 4.9e-4) between ±6.1e-5 and ±65504.
Backbones whose features are tiny (random twins of batch-normalised nets give |z| ≈ 1e-9, which
float16 would flush to 0) are stored scaled by an exact power of two, ``2**scale_exp`` per shard
(recorded in the shard's json, chosen from its first batch so that its largest |z| lands near
2¹⁰; 0 when that largest |z| is at least 2⁻⁴), and unscaled on reading, so their relative
precision is the same as for ordinary features. Values that still fall beyond ±65504 or below
6.1e-5 after scaling are refused with a message suggesting ``float32``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import shutil
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from facepsych import __version__
from facepsych.data import FaceDataset
from facepsych.errors import FacepsychError
from facepsych.runtime import StepLog, is_interactive
from facepsych.train.atomic import write_json
from facepsych.train.config import check_extract_executor
from facepsych.train.extract import extract_batches, extraction_precision

#: Bump whenever loader, crop or preprocessing code changes the pixels that reach the backbone
#: (2: AffectNet face boxes outside the image became bad inputs), so stale caches are not reused.
CACHE_VERSION = 2
CACHE_FORMAT = "npy-shards"
CACHE_DTYPES = ("float16", "float32")
DEFAULT_SHARD_SIZE = 4096
_F16_MAX = float(np.finfo(np.float16).max)
_F16_TINY = float(np.finfo(np.float16).tiny)


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


def _check_dtype(dtype: str) -> str:
    if dtype not in CACHE_DTYPES:
        raise FacepsychError(f"unknown cache dtype {dtype!r} (use {' or '.join(CACHE_DTYPES)})")
    return dtype


def cache_key_material(
    net, dataset: FaceDataset, dtype: str = "float16", precision: str = "float32"
) -> dict:
    """The JSON-able description whose sha256 names the cache folder (``precision``: the frozen
    pass's arithmetic, :func:`facepsych.train.extract.extraction_precision`)."""
    return {
        "version": CACHE_VERSION,
        "facepsych": __version__,
        "torch": str(torch.__version__),  # a plain str: weights_only loading refuses TorchVersion
        "modules": repr(net.features) + repr(net.avgpool),
        "backbone_sha256": backbone_sha256(net),
        "preprocessing": net.preprocessing.as_dict(),
        "dataset": dataset.fingerprint(),
        "transform": "none",
        "precision": precision,
        "storage": {"format": CACHE_FORMAT, "dtype": _check_dtype(dtype)},
    }


def cache_key(material: dict) -> str:
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def shard_ranges(n_samples: int, shard_size: int) -> list[tuple[int, int]]:
    """``[(start, stop), …]`` sample ranges of the shards, in dataset order."""
    return [(a, min(a + shard_size, n_samples)) for a in range(0, n_samples, shard_size)]


def _shard(folder: Path, k: int, suffix: str) -> Path:
    return folder / f"shard-{k:05d}{suffix}"


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# ----------------------------------------------------------------------------- reading
class FeatureRows:
    """Rows of a :class:`FeatureStore` for a list of image ids; indexing gathers a batch.

    ``rows[idx]`` (a tensor, array or slice of positions in this view) → float32 tensor (n, D),
    read from the memory-mapped shards (only those rows are touched)."""

    def __init__(self, store: FeatureStore, rows: np.ndarray):
        self.store, self.rows = store, np.asarray(rows, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.rows), self.store.dim)

    def __getitem__(self, idx) -> torch.Tensor:
        if isinstance(idx, torch.Tensor):
            idx = idx.numpy()
        return self.store.gather(self.rows[idx])

    def to_tensor(self, chunk: int = 4096) -> torch.Tensor:
        """All rows as one float32 tensor (loads them into memory)."""
        parts = [self.store.gather(self.rows[a : a + chunk]) for a in range(0, len(self), chunk)]
        return torch.cat(parts) if parts else torch.zeros(0, self.store.dim)


class FeatureStore:
    """A complete cache folder: ``ids`` (row order), ``dim``, ``dtype``.

    Each :meth:`gather` maps the shards it needs and unmaps them on return, so the rows read stay
    in the page cache (reclaimable) instead of adding to this process's resident memory."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        done = _read_json(self.folder / "complete.json")
        if done is None:
            raise FacepsychError(f"{self.folder}: not a complete feature cache")
        self.key, self.dim, self.failed = done["key"], int(done["dim"]), list(done["failed"])
        self.ids: list[str] = []
        self._shards: list[tuple[Path, np.dtype, int, tuple[int, int], int] | None] = []
        self._unscale: list[float] = []
        dtypes = set()
        offsets = [0]
        for k in range(int(done["shards"])):
            info = _read_json(_shard(self.folder, k, ".json"))
            if info is None:
                raise FacepsychError(f"{self.folder}: shard {k} is missing")
            rows = int(info["rows"])
            if rows:
                path = _shard(self.folder, k, ".npy")
                arr = np.load(path, mmap_mode="r")
                if arr.ndim != 2 or arr.shape[1] != self.dim or arr.shape[0] < rows:
                    raise FacepsychError(f"{self.folder}: shard {k} has shape {arr.shape}")
                self._shards.append((path, arr.dtype, int(arr.offset), arr.shape, rows))
                self._unscale.append(2.0 ** -int(info.get("scale_exp", 0)))
                dtypes.add(str(arr.dtype))
                del arr
            else:
                self._shards.append(None)
                self._unscale.append(1.0)
            self.ids += list(info["ids"])
            offsets.append(offsets[-1] + rows)
        if len(self.ids) != int(done["n"]):
            raise FacepsychError(f"{self.folder}: {len(self.ids)} rows, expected {done['n']}")
        self._offsets = np.asarray(offsets, dtype=np.int64)
        if len(dtypes) > 1:
            raise FacepsychError(f"{self.folder}: shards of different dtypes {sorted(dtypes)}")
        self.dtype = dtypes.pop() if dtypes else "float16"
        self._index = {i: r for r, i in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        """Bytes of the shard files on disk."""
        return sum(p.stat().st_size for p in self.folder.glob("shard-*.npy"))

    def positions(self, image_ids: Iterable[str]) -> np.ndarray:
        try:
            return np.fromiter((self._index[i] for i in image_ids), dtype=np.int64)
        except KeyError as exc:
            raise FacepsychError(f"image {exc.args[0]!r} is not in the feature cache") from None

    def view(self, image_ids: Iterable[str]) -> FeatureRows:
        return FeatureRows(self, self.positions(image_ids))

    def _map(self, k: int) -> np.ndarray:
        path, dtype, offset, shape, rows = self._shards[k]
        return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)[:rows]

    def gather(self, rows: np.ndarray) -> torch.Tensor:
        """Rows (global positions) → float32 tensor, in the given order."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        out = np.empty((len(rows), self.dim), dtype=np.float32)
        shard = np.searchsorted(self._offsets, rows, side="right") - 1
        for k in np.unique(shard):
            sel = np.nonzero(shard == k)[0]
            local = rows[sel] - self._offsets[k]
            order = np.argsort(local, kind="stable")  # ascending reads from the memory map
            out[sel[order]] = self._map(int(k))[local[order]]
            if self._unscale[int(k)] != 1.0:
                out[sel] *= self._unscale[int(k)]
        return torch.from_numpy(out)


@dataclass
class CachedFeatures:
    """Backbone outputs for the dataset samples that could be read (``ids`` in dataset order)."""

    ids: list[str]
    store: FeatureStore
    path: Path | None
    hit: bool
    seconds: float
    failed: list[dict]

    @property
    def features(self) -> torch.Tensor:
        """Every row as one float32 tensor (N, D): loads the whole cache into memory."""
        return self.store.view(self.ids).to_tensor()

    def rows(self, image_ids: list[str]) -> FeatureRows:
        """The rows of ``image_ids`` as a lazily gathered view (see :class:`FeatureRows`)."""
        return self.store.view(image_ids)


# ----------------------------------------------------------------------------- writing
@contextmanager
def _locked(path: Path):
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _partial_state(folder: Path, k: int, start: int, stop: int, dtype: str):
    """Resume state of shard ``k``: (json state, open memmap or None)."""
    part_npy, part_json = _shard(folder, k, ".partial.npy"), _shard(folder, k, ".partial.json")
    state = _read_json(part_json)
    if state is None or (state.get("start"), state.get("stop")) != (start, stop):
        state = {"start": start, "stop": stop, "done": start, "ids": [], "failed": []}
    final_npy = _shard(folder, k, ".npy")
    if not part_npy.exists() and final_npy.exists():  # stopped between the rename and the json
        os.replace(final_npy, part_npy)
    arr = None
    if state["ids"]:
        try:
            arr = np.load(part_npy, mmap_mode="r+")
            if arr.dtype != np.dtype(dtype) or arr.shape[0] != stop - start:
                raise ValueError("layout")
        except (OSError, ValueError):
            state = {"start": start, "stop": stop, "done": start, "ids": [], "failed": []}
            arr = None
    return state, arr


def float16_scale_exp(largest: float) -> int:
    """The power of two ``e`` that float16 storage multiplies features by: 0 for ordinary
    features (largest |z| ≥ 2⁻⁴), else the ``e`` that puts the largest |z| near 2¹⁰."""
    if not largest > 0 or largest >= 2.0**-4:
        return 0
    return int(min(10 - math.ceil(math.log2(largest)), 120))


def _check_float16_range(arch: str, largest: float) -> None:
    if largest > _F16_MAX:
        raise FacepsychError(
            f"{arch}: features exceed the float16 range (±65504); "
            "use the float32 feature cache (cache_dtype float32)"
        )
    if 0 < largest < _F16_TINY:
        raise FacepsychError(
            f"{arch}: features are below the float16 range (|z| < 6.1e-5); "
            "use the float32 feature cache (cache_dtype float32)"
        )


def write_shard(
    net,
    dataset: FaceDataset,
    folder: Path,
    k: int,
    start: int,
    stop: int,
    *,
    dtype: str = "float16",
    batch_size: int = 64,
    device: torch.device | str = "cpu",
    workers: int = 0,
    skip_bad: bool = False,
    on_batch: Callable[[int], None] | None = None,
) -> None:
    """Extract samples ``[start, stop)`` into shard ``k`` of ``folder`` (resuming a partial one)."""
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(_shard(folder, k, ".lock")):
        if _shard(folder, k, ".json").is_file():
            return
        part_npy, part_json = _shard(folder, k, ".partial.npy"), _shard(folder, k, ".partial.json")
        state, arr = _partial_state(folder, k, start, stop, dtype)
        if on_batch is not None and state["done"] > start:
            on_batch(state["done"] - start)
        todo = list(range(state["done"], stop))
        batches = [todo[a : a + batch_size] for a in range(0, len(todo), batch_size)]
        stream = extract_batches(
            net, dataset, batches, device=device, workers=workers, skip_bad=skip_bad
        )
        for batch, (kept, feats, failed) in zip(batches, stream, strict=True):
            if feats is not None:
                if dtype == "float16":
                    if "scale_exp" not in state:
                        state["scale_exp"] = float16_scale_exp(float(feats.abs().max()))
                    feats = feats * 2.0 ** state["scale_exp"]
                    _check_float16_range(net.arch, float(feats.abs().max()))
                if arr is None:
                    shape = (stop - start, int(feats.shape[1]))
                    arr = np.lib.format.open_memmap(part_npy, mode="w+", dtype=dtype, shape=shape)
                r = len(state["ids"])
                arr[r : r + len(kept)] = feats.numpy()
                arr.flush()
                state["ids"] += [dataset.samples[p].image_id for p in kept]
            state["failed"] += failed
            state["done"] = batch[-1] + 1
            write_json(part_json, state)
            if on_batch is not None:
                on_batch(len(batch))
        rows = len(state["ids"])
        if arr is not None:
            del arr
            os.replace(part_npy, _shard(folder, k, ".npy"))
        info = {"start": start, "stop": stop, "rows": rows, "ids": state["ids"]}
        if state.get("scale_exp"):
            info["scale_exp"] = int(state["scale_exp"])
        write_json(_shard(folder, k, ".json"), info | {"failed": state["failed"]})
        part_json.unlink(missing_ok=True)


def prepare_folder(folder: Path, meta: dict) -> dict:
    """Create ``folder`` with ``meta.json``, or keep the existing one when its key matches (its
    shard size wins, so a resumed extraction keeps its layout); a mismatch empties the folder."""
    old = _read_json(folder / "meta.json")
    if (
        old is not None
        and old.get("key") == meta["key"]
        and old.get("n_samples") == meta["n_samples"]
    ):
        return old
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    write_json(folder / "meta.json", meta)
    return meta


def pending_shards(folder: Path, n_shards: int) -> list[int]:
    return [k for k in range(n_shards) if not _shard(folder, k, ".json").is_file()]


def finish_folder(folder: Path, meta: dict) -> FeatureStore:
    """Write ``complete.json`` from the shard files (all must exist) and open the store."""
    n_shards = len(shard_ranges(meta["n_samples"], meta["shard_size"]))
    n, dim, failed = 0, None, []
    for k in range(n_shards):
        info = _read_json(_shard(folder, k, ".json"))
        if info is None:
            raise FacepsychError(f"{folder}: shard {k} was not written")
        n += int(info["rows"])
        failed += info["failed"]
        if info["rows"] and dim is None:
            dim = int(np.load(_shard(folder, k, ".npy"), mmap_mode="r").shape[1])
    if dim is None:
        raise FacepsychError(f"no readable images in dataset {meta['dataset']!r}")
    done = {"key": meta["key"], "n": n, "dim": dim, "shards": n_shards, "failed": failed}
    write_json(folder / "complete.json", done)
    for lock in folder.glob("shard-*.lock"):
        lock.unlink(missing_ok=True)
    return FeatureStore(folder)


def _open_hit(folder: Path, key: str) -> FeatureStore | None:
    try:
        store = FeatureStore(folder)
    except (FacepsychError, OSError, ValueError, KeyError, TypeError):
        return None
    return store if store.key == key else None


_PROCESS_T0 = time.perf_counter()


def cached_features(
    net,
    dataset: FaceDataset,
    cache_dir: str | Path,
    *,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
    progress: bool = True,
    workers: int = 0,
    dtype: str = "float16",
    shard_size: int = DEFAULT_SHARD_SIZE,
    executor: str = "local",
    executor_workers: int = 2,
) -> CachedFeatures:
    """The backbone features of ``dataset`` from the cache, extracting the missing shards first.

    ``executor="ray"`` extracts the missing shards in Ray tasks, one per shard, on the CPU
    (:func:`facepsych.train.sharded.extract_on_ray`: the Ray at ``$RAY_ADDRESS``, the one already
    running, else a local Ray of ``executor_workers`` CPUs); the folder must be shared by them."""
    check_extract_executor(executor)
    if not net.cacheable:
        raise FacepsychError(
            f"{net.arch}: a trainable block sits inside the backbone; features cannot be cached"
        )
    if int(shard_size) < 1:
        raise FacepsychError(f"shard_size must be a positive integer, got {shard_size}")
    t0 = time.perf_counter()
    # Ray tasks extract on their CPU whatever device the caller trains on
    precision = extraction_precision("cpu" if executor == "ray" else device)
    material = cache_key_material(net, dataset, dtype, precision)
    key = cache_key(material)
    folder = Path(cache_dir) / key[:32]
    store = _open_hit(folder, key)
    if store is not None:
        return CachedFeatures(
            store.ids, store, folder, True, time.perf_counter() - t0, store.failed
        )
    meta = {
        "key": key,
        "material": material,
        "weights": net.weight_info.as_dict(),
        "dataset": dataset.name,
        "dtype": dtype,
        "shard_size": int(shard_size),
        "n_samples": len(dataset.samples),
    }
    if (folder / "complete.json").exists():  # unreadable: start again
        shutil.rmtree(folder)
    meta = prepare_folder(folder, meta)
    ranges = shard_ranges(meta["n_samples"], meta["shard_size"])
    todo = pending_shards(folder, len(ranges))
    if executor == "ray" and todo:
        from facepsych.train.sharded import extract_on_ray

        extract_on_ray(
            net, dataset, folder, meta, todo, workers=executor_workers, batch_size=batch_size,
            progress=progress,
        )  # fmt: skip
    elif todo:
        _extract_here(net, dataset, folder, meta, todo, batch_size, device, workers, progress)
    store = finish_folder(folder, meta)
    return CachedFeatures(store.ids, store, folder, False, time.perf_counter() - t0, store.failed)


def _extract_here(net, dataset, folder, meta, todo, batch_size, device, workers, progress):
    ranges = shard_ranges(meta["n_samples"], meta["shard_size"])
    interactive = progress and is_interactive()
    bar = tqdm(total=meta["n_samples"], desc="extracting features", unit="img",
               disable=not interactive)  # fmt: skip
    bar.update(meta["n_samples"] - sum(ranges[k][1] - ranges[k][0] for k in todo))
    # plain lines whenever stderr is no terminal, also under a runner that turned the bar off
    log = StepLog(enabled=not is_interactive())
    log.t0 = _PROCESS_T0  # elapsed since this process started working, not since this call
    n_todo = sum(ranges[k][1] - ranges[k][0] for k in todo)
    log(f"extracting features: {net.arch}, {n_todo} img in {len(todo)} shard(s) on {device}")
    t0 = time.perf_counter()
    try:
        for j, k in enumerate(todo):
            t = time.perf_counter()
            start, stop = ranges[k]
            write_shard(
                net, dataset, folder, k, start, stop, dtype=meta["dtype"], batch_size=batch_size,
                device=device, workers=workers, skip_bad=dataset.skip_bad, on_batch=bar.update,
            )  # fmt: skip
            if len(todo) > 1:
                rate = (stop - start) / max(time.perf_counter() - t, 1e-9)
                log(f"extracting features: shard {j + 1}/{len(todo)} ({stop - start} img, "
                    f"{_rate(rate)} img/s)")  # fmt: skip
    finally:
        bar.close()
    took = time.perf_counter() - t0
    log(f"extracted features: {net.arch}, {n_todo} img in {took:.1f} s "
        f"({_rate(n_todo / max(took, 1e-9))} img/s)")  # fmt: skip


def _rate(per_second: float) -> str:
    """Images per second, one decimal below 10 (a VGG16 on a CPU does 0.9, not "1")."""
    return f"{per_second:.1f}" if per_second < 10 else f"{per_second:.0f}"


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
    """``net.backbone`` over every sample into memory (no cache) → (ids, (N, D) float32, failed).

    An image that cannot be decoded raises ``FacepsychError`` naming the file, or with
    ``skip_bad`` (default: the dataset's own setting) is left out and listed in ``failed``.
    ``workers`` > 1 decodes images in that many DataLoader worker processes (order is kept)."""
    skip = dataset.skip_bad if skip_bad is None else skip_bad
    n = len(dataset.samples)
    batches = [list(range(a, min(a + batch_size, n))) for a in range(0, n, batch_size)]
    ids: list[str] = []
    chunks: list[torch.Tensor] = []
    failed: list[dict] = []
    bar = tqdm(total=n, desc="extracting features", unit="img", disable=not progress)
    try:
        for batch, (kept, feats, bad) in zip(
            batches,
            extract_batches(net, dataset, batches, device=device, workers=workers, skip_bad=skip),
            strict=True,
        ):
            if feats is not None:
                chunks.append(feats)
                ids += [dataset.samples[p].image_id for p in kept]
            failed += bad
            bar.update(len(batch))
    finally:
        bar.close()
    if not chunks:
        raise FacepsychError(f"no readable images in dataset {dataset.name!r}")
    return ids, torch.cat(chunks), failed
