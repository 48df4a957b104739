"""Grad-CAM and LayerCAM: class activation maps from any named layer of any ``nn.Module``.

For a target score :math:`y` (a logit, before softmax) and the activation :math:`A` of a layer
(channels :math:`k`, positions :math:`(i, j)`), with gradient :math:`G = \\partial y / \\partial A`:

- Grad-CAM (Selvaraju et al. 2017):
  :math:`L = \\mathrm{ReLU}(\\sum_k w_k A_k)`, :math:`w_k = \\frac{1}{hw} \\sum_{ij} G_k(i, j)`.
- LayerCAM (Jiang et al. 2021):
  :math:`L(i, j) = \\mathrm{ReLU}(\\sum_k \\mathrm{ReLU}(G_k(i, j)) A_k(i, j))`.

Several layers are fused as in torchcam (and the LayerCAM paper, eq. 9): every layer's map is
min–max normalised, scaled by :math:`\\tanh(2 L)` (LayerCAM only, and only when more than one layer
is fused), upsampled bilinearly to the input size, and combined by an element-wise maximum; the
fused map is min–max normalised again. The raw (unnormalised) per-layer maps are kept.

Frozen backbones: the classic trap is that, with ``requires_grad=False`` parameters and an input
that does not require grad, the hooked activations have no autograd history and the hooks see no
gradient. Here the first hooked layer's output is turned into a leaf that requires grad (and grad
mode is switched on from that point of the forward pass), so the maps work on any frozen model and
no graph is built for the layers before it (less memory, faster backward). The hooked output is
cloned before it goes on, so an in-place ReLU after a convolution does not overwrite it: the map of
``features.10`` is the map of the convolution's output, not of the ReLU's.

Example::

    >>> import torch, torchvision
    >>> net = torchvision.models.alexnet(num_classes=2).eval()
    >>> res = compute_cams(net, torch.rand(2, 3, 224, 224), layers=("features.11",))
    >>> tuple(res.maps.shape), tuple(res.raw["features.11"].shape)
    ((2, 224, 224), (2, 13, 13))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from facepsych.errors import FacepsychError

__all__ = [
    "CamResult",
    "GradCam",
    "LayerCam",
    "compute_cams",
    "fuse_cams",
    "minmax_normalise",
    "resolve_targets",
]

METHODS = ("layercam", "gradcam")
POSITIVE_CLASS = 1


@dataclass
class CamResult:
    """Output of :func:`compute_cams`.

    Attributes:
        maps: (B, H, W) fused map at the input size, min–max normalised to [0, 1].
        raw: layer name -> (B, h, w) raw map, ReLU(weighted channel sum), not normalised.
        targets: (B,) class index whose logit was explained, per image.
        scores: (B, K) the logits of the forward pass.
        method: ``layercam`` or ``gradcam``.
        layers: the layer names, in the order given.
    """

    maps: Tensor
    raw: dict[str, Tensor]
    targets: Tensor
    scores: Tensor
    method: str
    layers: tuple[str, ...] = field(default_factory=tuple)

    def layer_maps(self, layer: str, size: tuple[int, int] | None = None) -> Tensor:
        """One layer's map, min–max normalised, optionally upsampled (bilinear) to ``size``."""
        cam = minmax_normalise(self.raw[layer].clone())
        if size is not None:
            cam = _upsample(cam, size)
        return cam

    def as_dict(self) -> dict[str, Any]:
        """JSON-able summary (shapes and metadata, not the arrays)."""
        return {
            "method": self.method,
            "layers": list(self.layers),
            "maps_shape": list(self.maps.shape),
            "raw_shapes": {k: list(v.shape) for k, v in self.raw.items()},
            "targets": self.targets.tolist(),
        }


def minmax_normalise(cams: Tensor) -> Tensor:
    """Per-map min–max normalisation over the last two dims: (L − min) / (max − min); a flat
    map becomes all zeros. (No additive epsilon: CAM magnitudes can be ~1e-6, where torchcam's
    ``+ 1e-8`` would visibly shrink the maximum below 1.)"""
    flat = cams.flatten(-2)
    lo = flat.amin(-1, keepdim=True).unsqueeze(-1)
    span = flat.amax(-1, keepdim=True).unsqueeze(-1) - lo
    return (cams - lo) / torch.where(span > 0, span, torch.ones_like(span))


def _upsample(cams: Tensor, size: tuple[int, int]) -> Tensor:
    if tuple(cams.shape[-2:]) == tuple(size):
        return cams
    return F.interpolate(cams.unsqueeze(1), size=size, mode="bilinear", align_corners=False)[:, 0]


def fuse_cams(cams: Sequence[Tensor], size: tuple[int, int], *, tanh_scale: bool) -> Tensor:
    """Fuse per-layer (B, h, w) maps into one (B, *size) map in [0, 1].

    Each map is min–max normalised, optionally scaled by tanh(2·L) (LayerCAM's multi-layer
    fusion; skipped for a single layer, where it would only re-warp the values), upsampled
    bilinearly to ``size``, and the maps are combined by an element-wise maximum; the result is
    min–max normalised.
    """
    scaled = [minmax_normalise(c) for c in cams]
    if tanh_scale and len(scaled) > 1:
        scaled = [torch.tanh(2.0 * c) for c in scaled]
    fused = _upsample(scaled[0], size)
    for cam in scaled[1:]:
        fused = torch.maximum(fused, _upsample(cam, size))
    return minmax_normalise(fused)


def resolve_targets(scores: Tensor, target: str | int | Sequence[int]) -> Tensor:
    """Class index per image: ``positive`` (1), ``predicted`` (argmax), an int or one per image."""
    n, k = scores.shape
    if isinstance(target, str):
        if target == "positive":
            if k <= POSITIVE_CLASS:
                raise FacepsychError(
                    f"target 'positive' needs a class {POSITIVE_CLASS} but the model has {k} output"
                )
            return torch.full((n,), POSITIVE_CLASS, dtype=torch.long, device=scores.device)
        if target == "predicted":
            return scores.argmax(1)
        if target.lstrip("-").isdigit():
            return resolve_targets(scores, int(target))
        raise FacepsychError(
            f"unknown target {target!r}; use 'positive', 'predicted' or a class index 0..{k - 1}"
        )
    idx = torch.as_tensor(target, dtype=torch.long, device=scores.device)
    if idx.ndim == 0:
        idx = idx.expand(n).clone()
    if idx.shape != (n,):
        raise FacepsychError(f"got {idx.numel()} targets for a batch of {n} images")
    if bool(((idx < 0) | (idx >= k)).any()):
        raise FacepsychError(f"target class out of range: the model has classes 0..{k - 1}")
    return idx


class _CamEngine:
    """Hook lifecycle shared by the CAM methods: use as a context manager.

    ``with LayerCam(net, ["features.11"]) as cam: result = cam(images, target="positive")``
    """

    method = ""
    tanh_fusion = False

    def __init__(self, model: nn.Module, layers: Sequence[str]) -> None:
        if isinstance(layers, str):
            layers = (layers,)
        if not layers:
            raise FacepsychError("give at least one layer for the CAM")
        modules = dict(model.named_modules())
        unknown = [name for name in layers if name not in modules or name == ""]
        if unknown:
            valid = ", ".join(n for n in modules if n)
            raise FacepsychError(f"unknown layer {unknown[0]!r}; valid layers: {valid}")
        if len(set(layers)) != len(layers):
            raise FacepsychError(f"layer listed twice in {list(layers)}")
        self.model = model
        self.layers = tuple(layers)
        self._modules = {name: modules[name] for name in self.layers}
        self._handles: list[Any] = []
        self._acts: dict[str, Tensor] = {}

    # -- hook lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> _CamEngine:
        for name, module in self._modules.items():
            self._handles.append(module.register_forward_hook(self._make_hook(name)))
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._acts.clear()

    def _make_hook(self, name: str):
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> Tensor:
            if not isinstance(output, Tensor) or output.ndim != 4:
                shape = tuple(output.shape) if isinstance(output, Tensor) else type(output).__name__
                raise FacepsychError(
                    f"layer {name!r} outputs {shape}, not a (B, C, h, w) feature map; "
                    "pick a convolutional layer (e.g. features.11 for AlexNet)"
                )
            if name in self._acts:
                raise FacepsychError(f"layer {name!r} runs more than once per forward pass")
            if not output.requires_grad:
                # First hooked layer (or a frozen stretch): start the graph here.
                torch.set_grad_enabled(True)
                output = output.detach().requires_grad_(True)
            self._acts[name] = output
            return output.clone()  # protects the stored activation from in-place ops downstream

        return hook

    # -- computation -----------------------------------------------------------------------------
    def _channel_weights(self, act: Tensor, grad: Tensor) -> Tensor:
        raise NotImplementedError

    def __call__(self, images: Tensor, target: str | int | Sequence[int] = "positive") -> CamResult:
        if not self._handles:
            raise RuntimeError("use the CAM engine as a context manager (with ... as cam:)")
        if images.ndim != 4:
            raise FacepsychError(f"images must be a (B, 3, H, W) tensor, got {tuple(images.shape)}")
        self._acts.clear()
        grad_was_on = torch.is_grad_enabled()
        try:
            torch.set_grad_enabled(False)
            scores = self.model(images)
            torch.set_grad_enabled(True)
            if not isinstance(scores, Tensor) or scores.ndim != 2:
                raise FacepsychError("the model must return (B, K) logits for CAMs")
            missing = [name for name in self.layers if name not in self._acts]
            if missing:
                raise FacepsychError(
                    f"layer {missing[0]!r} was not run by the model's forward pass"
                )
            targets = resolve_targets(scores.detach(), target)
            score = scores.gather(1, targets[:, None]).sum()
            acts = [self._acts[name] for name in self.layers]
            if not score.requires_grad:
                raise FacepsychError(
                    f"the target score does not depend on layer {self.layers[0]!r}: "
                    "the graph is disconnected after it"
                )
            grads = torch.autograd.grad(score, acts, allow_unused=True)
            for name, grad in zip(self.layers, grads, strict=True):
                if grad is None:
                    raise FacepsychError(
                        f"the target score does not depend on layer {name!r}: "
                        "the graph is disconnected after it"
                    )
            with torch.no_grad():
                raw = {
                    name: torch.relu((self._channel_weights(a, g) * a).sum(1))
                    for name, a, g in zip(self.layers, acts, grads, strict=True)
                }
                maps = fuse_cams(
                    list(raw.values()), tuple(images.shape[-2:]), tanh_scale=self.tanh_fusion
                )
        finally:
            torch.set_grad_enabled(grad_was_on)
            self._acts.clear()
        return CamResult(
            maps=maps.detach(),
            raw={k: v.detach() for k, v in raw.items()},
            targets=targets.detach(),
            scores=scores.detach(),
            method=self.method,
            layers=self.layers,
        )


class GradCam(_CamEngine):
    """Grad-CAM: channel weight = spatial mean of the gradient, w_k = mean_ij ∂y/∂A_k(i, j)."""

    method = "gradcam"
    tanh_fusion = False

    def _channel_weights(self, act: Tensor, grad: Tensor) -> Tensor:
        return grad.mean(dim=(2, 3), keepdim=True)


class LayerCam(_CamEngine):
    """LayerCAM: position-wise weight = ReLU of the gradient, w_k(i, j) = ReLU(∂y/∂A_k(i, j))."""

    method = "layercam"
    tanh_fusion = True

    def _channel_weights(self, act: Tensor, grad: Tensor) -> Tensor:
        return torch.relu(grad)


_ENGINES: dict[str, type[_CamEngine]] = {"layercam": LayerCam, "gradcam": GradCam}


def compute_cams(
    net: nn.Module,
    images: Tensor,
    *,
    method: str = "layercam",
    layers: Sequence[str] = ("features.11",),
    target: str | int | Sequence[int] = "positive",
    batch_size: int | None = None,
) -> CamResult:
    """CAMs of ``images`` (B, 3, H, W) for ``net`` at ``layers`` (torchvision module paths).

    ``target``: ``"positive"`` (class 1, the positive-valence logit), ``"predicted"`` (each
    image's argmax) or a class index (int, or one per image). The model is put in eval mode for
    the computation and its mode restored afterwards; ``batch_size`` splits large batches.
    """
    if method not in _ENGINES:
        raise FacepsychError(f"unknown CAM method {method!r}; use one of {', '.join(METHODS)}")
    if isinstance(layers, str):
        layers = (layers,)
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or len(images) == 0:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise FacepsychError(f"images must be a non-empty (B, 3, H, W) tensor, got {shape}")
    device = _device_of(net)
    images = images.to(device)
    step = batch_size or max(len(images), 1)
    if not isinstance(target, (str, int)):
        target = torch.as_tensor(target, dtype=torch.long)
        if target.numel() != len(images):
            raise FacepsychError(
                f"got {target.numel()} targets for a batch of {len(images)} images"
            )
    was_training = [(m, m.training) for m in net.modules()]
    net.eval()
    parts: list[CamResult] = []
    try:
        with _ENGINES[method](net, layers) as engine:
            for start in range(0, len(images), step):
                tgt = target if isinstance(target, (str, int)) else target[start : start + step]
                parts.append(engine(images[start : start + step], tgt))
    finally:
        for module, mode in was_training:
            module.training = mode
    if len(parts) == 1:
        return parts[0]
    return CamResult(
        maps=torch.cat([p.maps for p in parts]),
        raw={k: torch.cat([p.raw[k] for p in parts]) for k in parts[0].raw},
        targets=torch.cat([p.targets for p in parts]),
        scores=torch.cat([p.scores for p in parts]),
        method=method,
        layers=parts[0].layers,
    )


def _device_of(net: nn.Module) -> torch.device:
    for tensor in net.parameters():
        return tensor.device
    return torch.device("cpu")
