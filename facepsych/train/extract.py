"""Frozen-backbone feature extraction in batches: images decoded in DataLoader worker processes,
the backbone run in eval mode without gradients.

On CUDA the frozen pass runs under bfloat16 autocast with ``channels_last`` inputs, pinned host
memory and non-blocking copies; on the CPU it runs in float32 (bit-identical to
``net.backbone(x)``). The output rows are returned as float32 on the CPU.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

from facepsych.data import FaceDataset
from facepsych.errors import FacepsychError
from facepsych.runtime import available_cores


def decode_workers(workers: int, *, cores: int | None = None) -> int:
    """DataLoader worker processes actually started: ``min(workers, cores)`` (0 stays 0), so a
    request for more decoders than CPUs neither oversubscribes them nor draws torch's warning."""
    return max(0, min(int(workers), cores or available_cores()))


class _Decoded(torch.utils.data.Dataset):
    """Sample position → (position, preprocessed tensor (3, S, S) or the error message)."""

    def __init__(self, dataset: FaceDataset, preprocess):
        self.dataset, self.preprocess = dataset, preprocess

    def __len__(self) -> int:
        return len(self.dataset.samples)

    def __getitem__(self, pos: int):
        try:
            return pos, self.preprocess(self.dataset.load_image(self.dataset.samples[pos]))
        except FacepsychError as exc:
            return pos, str(exc)


def _collate(items):
    return items


def decoded_batches(
    dataset: FaceDataset,
    preprocess,
    batches: Sequence[Sequence[int]],
    *,
    workers: int = 0,
    pin_memory: bool = False,
) -> Iterator[list[tuple[int, torch.Tensor | str]]]:
    """Decode each batch of sample positions, in order; ``workers`` > 1 uses that many DataLoader
    worker processes (each runs torch with one thread; never more processes than batches or
    cores, :func:`decode_workers`), else this process decodes."""
    source = _Decoded(dataset, preprocess)
    workers = min(decode_workers(workers), len(batches))
    if workers <= 1:
        for batch in batches:
            yield [source[p] for p in batch]
        return
    loader = torch.utils.data.DataLoader(
        source,
        batch_sampler=[list(b) for b in batches],
        num_workers=workers,
        collate_fn=_collate,
        pin_memory=False,
        prefetch_factor=2,
        persistent_workers=False,
    )
    for items in loader:
        if pin_memory:
            items = [(p, x.pin_memory() if isinstance(x, torch.Tensor) else x) for p, x in items]
        yield items


def extraction_precision(device: torch.device | str) -> str:
    """The arithmetic of the frozen pass on ``device``: ``"bfloat16"`` (autocast) on CUDA,
    ``"float32"`` elsewhere. What changes the numbers is this, not the device's name, so the
    feature cache keys on it: a CPU run never reuses features a GPU computed in bfloat16."""
    return "bfloat16" if torch.device(device).type == "cuda" else "float32"


#: Images per backbone call on the CPU: VGG16's first block holds 64 × 224² floats per image
#: (12.8 MB a tensor), so 64-image calls peaked near 4 GB; 16 keeps the peak near 1 GB.
CPU_CHUNK = 16


def frozen_pass(net, x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``net.backbone(x)`` as float32 on the CPU (bf16 autocast + channels_last on CUDA; on the
    CPU in calls of at most :data:`CPU_CHUNK` images, each image's row is the same)."""
    if extraction_precision(device) == "bfloat16":
        x = x.to(device, non_blocking=True).contiguous(memory_format=torch.channels_last)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            out = net.backbone(x)
        return out.float().cpu()
    x = x.to(device)
    return torch.cat(
        [net.backbone(x[a : a + CPU_CHUNK]).float() for a in range(0, len(x), CPU_CHUNK)]
    )


@torch.no_grad()
def extract_batches(
    net,
    dataset: FaceDataset,
    batches: Sequence[Sequence[int]],
    *,
    device: torch.device | str = "cpu",
    workers: int = 0,
    skip_bad: bool = False,
) -> Iterator[tuple[list[int], torch.Tensor | None, list[dict]]]:
    """Per batch of sample positions: (positions read, features (n, D) float32 or None, failures).

    An undecodable image raises its ``FacepsychError``, or with ``skip_bad`` is listed as
    ``{image_id, item, reason}`` and left out."""
    device = torch.device(device)
    was_training = net.training
    net.eval()
    try:
        for items in decoded_batches(
            dataset, net.preprocessing, batches, workers=workers, pin_memory=device.type == "cuda"
        ):
            kept, images, failed = [], [], []
            for pos, x in items:
                if isinstance(x, str):
                    if not skip_bad:
                        raise FacepsychError(x)
                    s = dataset.samples[pos]
                    failed.append(
                        {"image_id": s.image_id, "item": dataset.describe(s), "reason": x}
                    )
                else:
                    kept.append(pos)
                    images.append(x)
            feats = frozen_pass(net, torch.stack(images), device) if images else None
            yield kept, feats, failed
    finally:
        net.train(was_training)


def fill_batch_size(
    net, device: torch.device, *, fraction: float = 0.6, ceiling: int = 1024
) -> int:
    """A frozen-extraction batch size that fills ``fraction`` of the free CUDA memory, measured
    from the peak memory of a 2-image probe (at least 1, at most ``ceiling``); 64 on the CPU."""
    if device.type != "cuda":
        return 64
    size = net.preprocessing.image_size
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    with torch.no_grad():
        frozen_pass(net, torch.zeros(2, 3, size, size), device)
    per_image = max(1, (torch.cuda.max_memory_allocated(device) - base) // 2)
    free, _ = torch.cuda.mem_get_info(device)
    return int(max(1, min(ceiling, fraction * free // per_image)))
