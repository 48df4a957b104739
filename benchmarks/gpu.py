"""Benchmark: the network stages on a CUDA GPU (prints "no GPU" and exits 0 without one).

Per backbone (default alexnet, vgg11, vgg13, vgg16; random weights, 224 px):

- frozen extraction img/s: ``facepsych.train.extract.frozen_pass`` (bf16 autocast,
  channels_last, non-blocking copies from pinned memory) on random images at the batch size
  ``fill_batch_size`` picks; decoding is left out (it runs in DataLoader worker processes);
- the fraction of the roofline: achieved FLOP/s (forward FLOPs per image, counted by
  ``torch.utils.flop_counter``, × img/s) ÷ the device's measured bf16 matmul FLOP/s
  (8192³ GEMMs): the best rate this GPU reaches on dense math;
- head s/epoch: the paper's head (C → 4096 → 4096 → 2, Adam, batch 128) on ``--n`` cached
  feature rows held on the GPU;
- CAM img/s: LayerCAM at the default CAM layer, batch 32.

    python benchmarks/gpu.py [--archs alexnet vgg16] [--n 20000] [--seconds 3] [--device cuda]
"""

from __future__ import annotations

import argparse
import time

import torch

CAM_LAYER = {"alexnet": "features.11", "vgg11": "features.19", "vgg13": "features.23",
             "vgg16": "features.29"}  # fmt: skip


def _timed(fn, device, seconds: float) -> tuple[int, float]:
    """Call ``fn`` repeatedly (after 2 warm-ups) for about ``seconds``; (calls, elapsed)."""
    for _ in range(2):
        fn()
    torch.cuda.synchronize(device)
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        calls += 1
    torch.cuda.synchronize(device)
    return calls, time.perf_counter() - t0


def matmul_peak(device, seconds: float) -> float:
    a = torch.randn(8192, 8192, device=device, dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device=device, dtype=torch.bfloat16)
    calls, took = _timed(lambda: a @ b, device, seconds)
    return 2 * 8192**3 * calls / took


def forward_flops(net, size: int) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.zeros(1, 3, size, size, device=next(net.parameters()).device)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net.backbone(x)
    return float(counter.get_total_flops())


def bench_arch(arch: str, a, device, peak: float) -> str:
    """The result line of one backbone."""
    from facepsych.attention import compute_cams
    from facepsych.models import build_model
    from facepsych.train.extract import fill_batch_size, frozen_pass

    torch.manual_seed(0)
    net = build_model(arch, "random", image_size=a.size).to(device).eval()
    flops = forward_flops(net, a.size)
    net = net.to(memory_format=torch.channels_last)
    batch = fill_batch_size(net, device)
    x = torch.rand(batch, 3, a.size, a.size).pin_memory()
    with torch.no_grad():
        calls, took = _timed(lambda: frozen_pass(net, x, device), device, a.seconds)
    rate = calls * batch / took
    with torch.no_grad():
        dim = frozen_pass(net, x[:1], device).shape[1]

    feats = torch.randn(a.n, dim, device=device)
    labels = torch.randint(0, 2, (a.n,), device=device)
    from facepsych.models import trainable_parameters

    head = net.head
    net.train()
    opt = torch.optim.Adam(trainable_parameters(net), lr=1e-4)

    def epoch():
        for s in range(0, a.n, 128):
            loss = torch.nn.functional.cross_entropy(head(feats[s : s + 128]),
                                                     labels[s : s + 128])  # fmt: skip
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    epoch()
    torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    epoch()
    torch.cuda.synchronize(device)
    head_s = time.perf_counter() - t0

    cam_x = torch.rand(32, 3, a.size, a.size, device=device)
    calls, took = _timed(
        lambda: compute_cams(net, cam_x, method="layercam", layers=(CAM_LAYER[arch],)),
        device, a.seconds,
    )  # fmt: skip
    cam_rate = calls * 32 / took
    return (
        f"{arch}: extraction {rate:.0f} img/s at {a.size} px (batch {batch}, bf16), "
        f"{flops / 1e9:.2f} GFLOP/img, {rate * flops / peak:.1%} of the matmul roofline | "
        f"head {head_s:.2f} s/epoch ({a.n} rows, {dim}-d) | LayerCAM {cam_rate:.0f} img/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", nargs="+", default=["alexnet", "vgg11", "vgg13", "vgg16"])
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--n", type=int, default=20_000, help="feature rows for the head epoch")
    parser.add_argument("--seconds", type=float, default=3.0, help="timing window per figure")
    parser.add_argument("--device", default="cuda")
    a = parser.parse_args()
    if not torch.cuda.is_available():
        print("no GPU")
        return

    from facepsych.runtime import resolve_device

    device = resolve_device(a.device)
    torch.backends.cudnn.benchmark = True
    peak = matmul_peak(device, a.seconds)
    print(f"{torch.cuda.get_device_name(device)}: bf16 matmul {peak / 1e12:.1f} TFLOP/s")
    for arch in a.archs:
        print(bench_arch(arch, a, device, peak))
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
