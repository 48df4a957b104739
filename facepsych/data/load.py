"""``load_dataset``: read any supported format, map labels to valence, assign splits."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from facepsych.data.affectnet import read_affectnet
from facepsych.data.dataset import FaceDataset, Sample
from facepsych.data.fer2013 import read_fer2013
from facepsych.data.folders import read_facial_expressions, read_folder
from facepsych.data.problems import BadInput
from facepsych.data.splits import stratified_group_split
from facepsych.data.valence import ValenceMap, resolve_valence
from facepsych.errors import FacepsychError

READERS = {
    "affectnet": read_affectnet,
    "fer2013": read_fer2013,
    "facial_expressions": read_facial_expressions,
    "folder": read_folder,
}
FORMATS = tuple(READERS)


def load_dataset(
    path: str | Path,
    format: str,
    *,
    valence: str | Mapping | ValenceMap = "default",
    skip_bad: bool = False,
    val_fraction: float = 0.2,
    seed: int = 0,
) -> FaceDataset:
    """Load a labelled face dataset as positive (1) / negative (0) valence samples.

    Splits: the dataset's own when it gives them (AffectNet training/validation CSVs, FER2013
    ``Usage``, ``split`` column or split folders); otherwise a seeded stratified split with
    ``val_fraction`` of each class in validation, grouped by identity when the format has
    identities (see :func:`facepsych.data.splits.stratified_group_split`).

    Bad rows/files raise ``FacepsychError`` naming the file, line and column; with ``skip_bad``
    they are skipped and listed in ``dataset.skipped`` (``item``, ``reason``).
    """
    fmt = str(format).strip().lower().replace("-", "_")
    if fmt not in READERS:
        raise FacepsychError(f"unknown dataset format {format!r} (use {', '.join(FORMATS)})")
    if not 0.0 <= val_fraction < 1.0:
        raise FacepsychError(f"val_fraction must be in [0, 1), got {val_fraction}")
    root = Path(path).expanduser()
    if not root.exists():
        raise FacepsychError(f"dataset path not found: {root}")
    vmap = resolve_valence(valence)
    bad = BadInput(skip_bad)
    records = READERS[fmt](root, vmap, bad)

    seen: set[str] = set()
    unique = []
    for r in records:
        if r.image_id in seen:
            bad(f"{r.image_id}", "listed more than once")
            continue
        seen.add(r.image_id)
        unique.append(r)
    records = unique
    if not records:
        extra = f" ({len(bad.skipped)} skipped)" if bad.skipped else ""
        raise FacepsychError(
            f"{root}: no usable {vmap.name!r} valence samples in this {fmt} dataset{extra}"
        )

    given = [r.split for r in records]
    if any(s is not None for s in given):
        splits = [s or "train" for s in given]
        split_source = "dataset"
        if "val" not in splits and val_fraction > 0:
            # Only train (and maybe test) given: carve validation out of train, by identity.
            train_idx = [i for i, s in enumerate(splits) if s == "train"]
            mask = stratified_group_split(
                [records[i].label for i in train_idx],
                [records[i].identity for i in train_idx],
                val_fraction=val_fraction,
                seed=seed,
            )
            for i, is_val in zip(train_idx, mask, strict=True):
                if is_val:
                    splits[i] = "val"
            split_source = f"dataset + seeded validation split (seed {seed})"
    else:
        mask = stratified_group_split(
            [r.label for r in records],
            [r.identity for r in records],
            val_fraction=val_fraction,
            seed=seed,
        )
        splits = ["val" if m else "train" for m in mask]
        by = "identity" if any(r.identity for r in records) else "sample"
        split_source = f"seeded stratified split by {by} (seed {seed}, val {val_fraction:g})"

    samples = [
        Sample(r.image_id, r.label, r.identity, s) for r, s in zip(records, splits, strict=True)
    ]
    refs = {r.image_id: r.ref for r in records}
    return FaceDataset(
        samples,
        refs,
        name=root.name,
        format=fmt,
        root=root,
        valence=vmap.as_dict(),
        skipped=bad.skipped,
        split_source=split_source,
        skip_bad=skip_bad,
    )
