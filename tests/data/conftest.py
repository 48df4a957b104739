"""Small on-disk datasets written by the tests themselves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def write_image(path: Path, value: int = 128, size: tuple[int, int] = (16, 16), mode="L") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(value)
    arr = np.clip(value + rng.integers(-10, 10, size=(size[1], size[0])), 0, 255).astype(np.uint8)
    Image.fromarray(arr, "L").convert(mode).save(path)
    return path


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


@pytest.fixture
def legend_dir(tmp_path: Path) -> Path:
    """A facial_expressions-style folder: 3 people x (happy, sad) in mixed-case labels."""
    root = tmp_path / "fe"
    rows = []
    for person in ("Ann_Lee", "Bob", "Cy"):
        for k, emotion in enumerate(("happiness", "SADNESS", "Neutral", "HAPPINESS", "anger")):
            name = f"{person}_{k + 1:04d}.jpg"
            write_image(root / "images" / name, 40 * k + 20)
            rows.append(f"302,{name},{emotion}")
    write_csv(root / "legend.csv", "user.id,image,emotion", rows)
    return root
