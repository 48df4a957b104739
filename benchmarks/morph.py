"""Benchmark: one 21-step morph continuum at 512 × 512 from given landmarks (issue 5).

Uses two London faces with their 189-point .tem templates when ../shared/data is present,
else two synthetic textured images with a 68-point layout. Times ``morph_continuum`` only (no
file writing), best of ``--repeat`` runs, and prints one line. Target: ≤ 2 s on 2 cores.

    python benchmarks/morph.py [--size 512] [--steps 21] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from facepsych.stimuli import morph_continuum, read_landmarks

LONDON = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "london_faces"


def inputs(size: int):
    """(img_a, img_b, pts_a, pts_b, description) resized to ``size``²."""
    from PIL import Image

    if (LONDON / "neutral" / "002.tem").is_file():
        imgs, pts = [], []
        for face in ("001", "002"):
            img = Image.open(LONDON / "neutral" / f"{face}.jpg").convert("RGB")
            scale = size / img.width
            imgs.append(img.resize((size, size)))
            pts.append(
                (read_landmarks(LONDON / "neutral" / f"{face}.tem").points + 0.5) * scale - 0.5
            )
        return (*imgs, *pts, "London faces 001->002, 189 landmarks")
    import cv2

    rng = np.random.default_rng(0)
    coarse = [rng.uniform(0, 255, (16, 16, 3)).astype(np.float32) for _ in range(2)]
    imgs = [cv2.resize(c, (size, size)).astype(np.uint8) for c in coarse]
    base = rng.uniform(0.2 * size, 0.8 * size, (68, 2))
    return (*imgs, base, base + rng.normal(0, size / 100, base.shape),
            "synthetic images, 68 landmarks")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=21)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    a, b, pa, pb, what = inputs(args.size)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        frames = morph_continuum(a, b, pa, pb, steps=args.steps)
        times.append(time.perf_counter() - t0)
    assert len(frames) == args.steps
    print(
        f"morph: {args.steps} steps at {args.size}x{args.size} ({what}): "
        f"{min(times):.2f} s (best of {args.repeat}; median {np.median(times):.2f} s; "
        "target <= 2 s)"
    )


if __name__ == "__main__":
    main()
