"""Benchmark: LayerCAM on AlexNet and VGG16, facepsych vs torchcam (vs pytorch-grad-cam) (issue 6).

Batch of ``--batch`` images at ``--size`` px, classifier class 1 as the target, the paradigm's
frozen ``features`` (so torchcam and pytorch-grad-cam get an input that requires grad, else their
hooks see no gradient). Random (seeded) weights: no weight file is needed, and speed and map
agreement do not depend on the weights. For each model and layer set it prints one line per
engine: images per second (best of ``--repeat`` timed rounds, engines alternating, after a warm-up
round) and the smallest
per-image Pearson r between that engine's map and facepsych's.

pytorch-grad-cam is optional: it is used when ``import pytorch_grad_cam`` works (its PyPI
package ``grad-cam`` pulls opencv-python and scikit-learn; ``--gradcam-path DIR`` adds a folder
where it was installed with ``pip install --no-deps --target DIR grad-cam ttach scikit-learn
joblib threadpoolctl narwhals``). Its multi-layer fusion is a mean, not LayerCAM's, so it runs
on single layers only.

With ``--memory`` it also prints each engine's extra peak memory for one call (peak RSS over the
RSS before the call on Linux CPUs, the allocator's peak on CUDA).

    python benchmarks/cam.py [--models alexnet vgg16] [--batch 32] [--size 224] [--repeat 3]
                             [--device auto] [--multi] [--memory] [--gradcam-path DIR]
"""

from __future__ import annotations

import argparse
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

from facepsych.attention import compute_cams

LAYERS = {
    "alexnet": {"last": ("features.11",), "multi": ("features.4", "features.7", "features.11")},
    "vgg16": {"last": ("features.29",), "multi": ("features.15", "features.22", "features.29")},
}
TARGET = 1


def _model(arch: str, device: torch.device) -> torch.nn.Module:
    torch.manual_seed(0)
    net = getattr(torchvision.models, arch)(num_classes=2).eval().to(device)
    for p in net.features.parameters():
        p.requires_grad_(False)
    return net


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time_interleaved(engines: dict, fn_args, device, repeat: int) -> dict:
    """Best time and last output per engine; engines alternate within each round so that a
    changing machine load hits them alike. One untimed warm-up round first."""
    best = dict.fromkeys(engines, float("inf"))
    outs = {}
    for rnd in range(repeat + 1):
        for name, fn in engines.items():
            _sync(device)
            t0 = time.perf_counter()
            outs[name] = fn(*fn_args)
            _sync(device)
            if rnd > 0:
                best[name] = min(best[name], time.perf_counter() - t0)
    return {name: (best[name], outs[name]) for name in engines}


def _facepsych(net, x, layers):
    return compute_cams(net, x, method="layercam", layers=layers, target=TARGET).maps


def _torchcam(net, x, layers):
    from torchcam.methods import LayerCAM

    xx = x.detach().clone().requires_grad_(True)
    with LayerCAM(net, list(layers)) as extractor:
        scores = net(xx)
        cams = extractor(class_idx=TARGET, scores=scores)
        if len(cams) > 1:
            fused = extractor.fuse_cams(cams, target_shape=tuple(x.shape[-2:]))
        else:
            fused = F.interpolate(cams[0][:, None], x.shape[-2:], mode="bilinear")[:, 0]
    return fused.detach()


def _gradcam(net, x, layers):
    from pytorch_grad_cam import LayerCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    modules = dict(net.named_modules())
    xx = x.detach().clone().requires_grad_(True)
    with LayerCAM(model=net, target_layers=[modules[n] for n in layers]) as cam:
        maps = cam(input_tensor=xx, targets=[ClassifierOutputTarget(TARGET)] * len(x))
    return torch.from_numpy(maps)


def _min_r(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.detach().float().cpu().flatten(1), b.detach().float().cpu().flatten(1)
    a = a - a.mean(1, keepdim=True)
    b = b - b.mean(1, keepdim=True)
    r = (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1)).clamp_min(1e-12)
    return float(r.min())


def _proc_status_kib(key: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def peak_memory_mib(
    engine: str, arch: str, net, x, layers, device, fresh: bool = False
) -> float | None:
    """Extra peak memory (MiB) of one CAM call: CUDA allocator peak over the allocation before the
    call; on Linux CPUs the peak RSS (VmHWM, reset through /proc/self/clear_refs) over the RSS
    before the call. None where neither is available."""
    fn = {"facepsych": _facepsych, "torchcam": _torchcam}[engine]
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        fn(net, x, layers)
        torch.cuda.synchronize(device)
        return (torch.cuda.max_memory_allocated(device) - base) / 2**20
    if not fresh:  # a fresh process, so that earlier calls' cached heap does not hide the peak
        import subprocess

        cmd = [
            sys.executable,
            __file__,
            "--peak-child",
            engine,
            *layers,
            "--models",
            arch,
            "--batch",
            str(len(x)),
            "--size",
            str(x.shape[-1]),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("peak ")]
        return float(lines[-1].split()[1]) if lines and lines[-1].split()[1] != "None" else None
    try:
        import gc

        gc.collect()
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # reset the peak RSS
        base = _proc_status_kib("VmRSS")
        fn(net, x, layers)
        return (_proc_status_kib("VmHWM") - base) / 1024.0
    except OSError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["alexnet", "vgg16"], choices=list(LAYERS))
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--multi", action="store_true", help="also the multi-layer fusion")
    parser.add_argument("--gradcam-path", default=None)
    parser.add_argument("--memory", action="store_true", help="also peak memory per engine")
    parser.add_argument("--peak-child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_child:  # internal: ENGINE LAYER...; prints "peak MiB"
        engine, layers = args.peak_child[0], tuple(args.peak_child[1:])
        cpu = torch.device("cpu")
        net = _model(args.models[0], cpu)
        x = torch.rand(args.batch, 3, args.size, args.size)
        print(f"peak {peak_memory_mib(engine, args.models[0], net, x, layers, cpu, fresh=True)}")
        return
    if args.gradcam_path:
        sys.path.insert(0, args.gradcam_path)
    try:
        import pytorch_grad_cam  # noqa: F401

        have_gradcam = True
    except ImportError:
        have_gradcam = False
    device = torch.device(
        ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    )
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else (
        f"CPU, {torch.get_num_threads()} threads")  # fmt: skip
    x = torch.rand(args.batch, 3, args.size, args.size, generator=torch.Generator().manual_seed(0))
    x = x.to(device)
    for arch in args.models:
        net = _model(arch, device)
        for kind in ("last", "multi") if args.multi else ("last",):
            layers = LAYERS[arch][kind]
            engines = {"facepsych": _facepsych, "torchcam": _torchcam}
            if have_gradcam and kind == "last":
                engines["pytorch-grad-cam"] = _gradcam
            results = _time_interleaved(engines, (net, x, layers), device, args.repeat)
            ref = results["facepsych"][1]
            base = args.batch / results["torchcam"][0]
            for name, (sec, maps) in results.items():
                ips = args.batch / sec
                print(
                    f"cam: LayerCAM {arch} {'+'.join(layers)} batch {args.batch} at {args.size} px "
                    f"on {where}: {name} {ips:.1f} img/s ({ips / base:.2f}x torchcam), "
                    f"min r vs facepsych {_min_r(maps, ref):.5f}",
                    flush=True,
                )
            if args.memory:
                mem = {e: peak_memory_mib(e, arch, net, x, layers, device)
                       for e in ("facepsych", "torchcam")}  # fmt: skip
                shown = {e: "n/a" if v is None else f"{v:.0f} MiB" for e, v in mem.items()}
                print(
                    f"cam: LayerCAM {arch} {'+'.join(layers)} batch {args.batch} at {args.size} px "
                    f"on {where}: extra peak memory of one call: facepsych {shown['facepsych']}, "
                    f"torchcam {shown['torchcam']}",
                    flush=True,
                )
    if not have_gradcam:
        print("cam: pytorch-grad-cam not importable: skipped (see --gradcam-path)")


if __name__ == "__main__":
    main()
