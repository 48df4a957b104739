"""The model zoo as tables: architectures with parameter counts, and per-layer output shapes.

Both tables are computed on PyTorch's ``meta`` device: parameters have shapes but no storage and
no initialisation cost, so even VGG16 (138 M parameters) is listed instantly and without memory.

Example:
    >>> rows = layer_table("alexnet")
    >>> [r["output_shape"] for r in rows if r["path"] == "features.11"]
    ['(1, 256, 13, 13)']
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from facepsych.errors import FacepsychError
from facepsych.models.net import build_model, count_parameters
from facepsych.models.registry import PAPER_ARCHS, format_registry, panel, registry


def _meta_model(arch: str, **kwargs) -> torch.nn.Module:
    with torch.device("meta"):
        return build_model(arch, "random", **kwargs)


def model_table(archs: Sequence[str] = PAPER_ARCHS, **kwargs) -> list[dict]:
    """One row per architecture: input size, trainable/frozen parameters, weight sources.

    ``kwargs`` go to :func:`build_model` (e.g. ``hidden``, ``num_classes``); counts are for the
    default transfer setting (frozen ``features``, a 2-class head).
    """
    rows = []
    for arch in archs:
        net = _meta_model(arch, **kwargs)
        kinds = [e.weights.split(":")[0] for e in registry((arch,))]
        weights = [k for k in kinds if k in ("random", "imagenet")] + ["file"] + kinds
        trainable, frozen = count_parameters(net)
        rows.append(
            {
                "arch": arch,
                "input_size": net.preprocessing.image_size,
                "trainable": trainable,
                "frozen": frozen,
                "excitation": ",".join(net.spec()["excitation"] or []) or "-",
                "weights": ", ".join(dict.fromkeys(weights)),
            }
        )
    return rows


def registry_table(archs: Sequence[str] | None = None, **kwargs) -> list[dict]:
    """The registry (one row per ``arch:weights`` model) with each arch's trainable / frozen
    parameter counts for the default transfer setting (``kwargs`` as in :func:`model_table`)."""
    names = tuple(archs) if archs is not None else PAPER_ARCHS + tuple(panel())
    counts = {r["arch"]: r for r in model_table(names, **kwargs)}
    rows = []
    for entry, row in zip(registry(names), format_registry(registry(names)), strict=True):
        arch = counts[entry.arch]
        rows.append({**row, "trainable": arch["trainable"], "frozen": arch["frozen"]})
    order = ("model", "domain", "input", "trainable", "frozen", "preprocessing", "mean", "std",
             "cam_layer", "trained_on", "source", "sha256", "licence")  # fmt: skip
    return [{k: r[k] for k in order} for r in rows]


def layer_table(arch: str, image_size: int = 224, **kwargs) -> list[dict]:
    """Every module path in execution order with its output shape for one (1, 3, S, S) input.

    Excitation blocks appear where they act (e.g. ``excite.pool5`` between ``avgpool`` and
    ``classifier``). Columns: path, type, output_shape, params, trainable.
    """
    net = _meta_model(arch, **kwargs).eval()
    names = {module: name for name, module in net.named_modules() if name}
    order: list[str] = []
    shapes: dict[str, str] = {}
    handles = []

    def _pre(module, _inputs):
        order.append(names[module])

    def _post(module, _inputs, output):
        if isinstance(output, torch.Tensor):
            shapes[names[module]] = str(tuple(output.shape))

    for module in names:
        handles.append(module.register_forward_pre_hook(_pre))
        handles.append(module.register_forward_hook(_post))
    try:
        with torch.no_grad():
            net(torch.empty(1, 3, image_size, image_size, device="meta"))
    except RuntimeError as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise FacepsychError(
            f"{arch} cannot run at {image_size}x{image_size} px ({first_line}); use a larger "
            "--image-size"
        ) from None
    finally:
        for handle in handles:
            handle.remove()
    first = {name: i for i, name in reversed(list(enumerate(order)))}

    def _position(path: str) -> float:  # containers iterated by hand sit before their children
        hits = [i for name, i in first.items() if name == path or name.startswith(path + ".")]
        return min(hits) - 0.5 * (path not in first) if hits else float("inf")

    seen = [n for n in sorted(names.values(), key=_position) if n != "excite" or len(net.excite)]
    modules = dict(net.named_modules())
    rows = []
    for path in seen:
        module = modules[path]
        params = list(module.parameters())
        rows.append(
            {
                "path": path,
                "type": type(module).__name__,
                "output_shape": shapes.get(path, "-"),
                "params": sum(p.numel() for p in params),
                "trainable": any(p.requires_grad for p in params) if params else None,
            }
        )
    return rows


def format_table(rows: list[dict], columns: Sequence[str] | None = None) -> str:
    """Plain aligned text (one header line), readable in a terminal and in a pipe."""
    if not rows:
        return ""
    columns = list(columns or rows[0].keys())

    def cell(value) -> str:
        if value is None:
            return "-"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    cells = [[cell(r[c]) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    numeric = [all(isinstance(r[c], int) and not isinstance(r[c], bool) for r in rows)
               for c in columns]  # fmt: skip
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    for row in cells:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(row, widths, numeric, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def preprocessing_formula(prep) -> str:
    """How pixel values v (8-bit RGB, 0–255) become the network's input, in words:
    ``x = v/255, (x − mean) / std`` (imagenet, half), ``(v − mean) / 256`` (dlib),
    ``v − mean`` (vggface), ``(v − mean(v)) / max(std(v), 1/√n)`` per image (prewhiten)."""
    if prep.per_image:
        return "(v - mean(v)) / max(std(v), 1/sqrt(n)) per image (n = 3*S*S values, v in 0-255)"
    mean, std = tuple(prep.mean), tuple(prep.std)
    if prep.scale == 255.0:
        div = "" if set(std) == {1.0} else (
            f" / {std[0]:g}" if len(set(std)) == 1 else f" / std {std}"
        )  # fmt: skip
        return f"(v - mean {mean}){div}, v in 0-255"
    return f"x = v/255, (x - mean {mean}) / std {std}"


def weights_summary(net) -> str:
    """A one-screen summary of a loaded network: source, file, SHA-256, keys, preprocessing."""
    info = net.weight_info
    prep = net.preprocessing
    trainable, frozen = count_parameters(net)
    lines = [
        f"arch           {net.arch}",
        f"source         {info.source}",
        f"file           {info.path or '-'}",
        f"sha256         {info.sha256 or '-'}",
        f"loaded tensors {info.loaded_keys}",
        f"parameters     {trainable:,} trainable, {frozen:,} frozen",
        f"preprocessing  {prep.name}: {prep.image_size}x{prep.image_size} RGB, "
        + preprocessing_formula(prep),
    ]
    if info.skipped:
        lines.append(f"not loaded     {len(info.skipped)} tensors:")
        lines += [f"  {s}" for s in info.skipped]
    for warning in info.warnings:
        lines.append(f"warning        {warning}")
    return "\n".join(lines)
