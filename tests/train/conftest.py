"""Tiny striped-face stand-ins for fast training tests (horizontal = positive, vertical =
negative), written as a ``labels.csv`` folder with identities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facepsych.data import load_dataset


def striped_image(label: int, seed: int, size: int = 24) -> Image.Image:
    rng = np.random.default_rng(seed)
    period = int(rng.integers(4, 7))
    phase = int(rng.integers(0, period))
    ramp = ((np.arange(size) + phase) // (period // 2)) % 2 * 150.0 + 50.0
    img = np.tile(ramp[:, None], (1, size)) if label == 1 else np.tile(ramp[None, :], (size, 1))
    img = img + rng.normal(0, 20, size=(size, size))
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "L").convert("RGB")


def write_striped_folder(root: Path, n_per_class: int = 16, n_ids: int = 8) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    rows = ["file,label,identity"]
    for k in range(2 * n_per_class):
        label = k % 2
        name = f"img/{k:03d}.png"
        (root / "img").mkdir(exist_ok=True)
        striped_image(label, k).save(root / name)
        rows.append(f"{name},{'positive' if label else 'negative'},p{k % n_ids}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture
def striped_dir(tmp_path: Path) -> Path:
    return write_striped_folder(tmp_path / "striped")


@pytest.fixture
def striped_ds(striped_dir: Path):
    return load_dataset(striped_dir, "folder", val_fraction=0.25, seed=0)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"
