"""Benchmark: the packaged real nets' feature extraction, one thread, native input size.

For each arch of ``facepsych.models.archs.PANEL`` (its packaged weights loaded; ``--random``
uses the seeded random twin instead, for machines without the packages) it prints one line:
parameters of the features, the weight file's load time, and ms per image for a forward pass
through ``features`` (best of ``--repeat`` timed rounds of ``--batch`` images, after a warm-up).

    OMP_NUM_THREADS=1 python benchmarks/real_nets.py [--archs dlib-resnet ...] [--batch 8]
                                                    [--repeat 3] [--threads 1] [--random]
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from facepsych.models.archs import PANEL, build_features, load_packaged_weights


def measure(arch: str, batch: int, repeat: int, random: bool) -> str:
    entry = PANEL[arch]
    torch.manual_seed(0)
    features = build_features(arch).eval()
    start = time.perf_counter()
    if not random:
        load_packaged_weights(features, arch, entry.weights[0].name)
    load_s = time.perf_counter() - start
    x = torch.randn(batch, 3, entry.input_size, entry.input_size)
    best = float("inf")
    with torch.inference_mode():
        features(x)
        for _ in range(repeat):
            start = time.perf_counter()
            out = features(x)
            best = min(best, time.perf_counter() - start)
    params = sum(p.numel() for p in features.parameters())
    return (
        f"{arch}: {params:,} feature parameters, input {entry.input_size} px, "
        f"map {tuple(out.shape[1:])}, load {load_s:.2f} s, {1000 * best / batch:.1f} ms/image "
        f"(batch {batch}, {torch.get_num_threads()} thread(s), "
        f"{'random twin' if random else entry.weights[0].name})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", nargs="+", default=list(PANEL))
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--random", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for arch in args.archs:
        print(measure(arch, args.batch, args.repeat, args.random), flush=True)


if __name__ == "__main__":
    main()
