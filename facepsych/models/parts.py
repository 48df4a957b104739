"""The parts of a FacepsychNet: (features, pooling, classifier) of a torchvision CNN or of a panel
backbone (:mod:`facepsych.models.archs`), the classifier resized to the task, and FE-AlexNet's
excitation blocks. :func:`facepsych.models.net.build_model` assembles them.

torchvision archs keep torchvision's module paths and initialisation: AlexNet and VGG are built on
the meta device and initialised as torchvision does (:func:`_materialize`), so the same seed gives
the same backbone whatever the head's width; other archs are built by torchvision directly.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import torch
from torch import nn

from facepsych.errors import FacepsychError
from facepsych.models.excitation import (
    ALEXNET_POSITIONS,
    CONV_CHANNELS,
    FC6_AFTER,
    ExcitationBlock,
    backbone_arch,
)
from facepsych.models.registry import PAPER_ARCHS, panel

DEFAULT_HIDDEN = 4096
DEFAULT_EXCITATION: tuple[str, ...] = ("pool5",)
_HEAD_MODULES = (nn.Linear, nn.Dropout, nn.ReLU, nn.ReLU6, nn.Hardswish, nn.SiLU, nn.GELU,
                 nn.Identity)  # fmt: skip


def torchvision_name(arch: str) -> str:
    """The torchvision builder behind ``arch`` (``fe-alexnet`` -> ``alexnet``)."""
    return backbone_arch(arch)


def _torchvision_model(arch: str) -> nn.Module:
    import torchvision

    name = torchvision_name(arch)
    try:
        available = set(torchvision.models.list_models(module=torchvision.models))
    except Exception:  # pragma: no cover - very old torchvision
        available = set()
    if name not in available:
        raise FacepsychError(
            f"unknown architecture {arch!r}; use one of {', '.join(PAPER_ARCHS + tuple(panel()))} "
            "or a torchvision "
            "classification model with `features` and `classifier` (e.g. vgg19, efficientnet_b0)"
        )
    if _init_family(name) is None:
        model = torchvision.models.get_model(name, weights=None)
    else:  # structure only; _materialize initialises what is kept (skips the discarded head)
        with torch.device("meta"):
            model = torchvision.models.get_model(name, weights=None)
    features = getattr(model, "features", None)
    classifier = getattr(model, "classifier", None)
    if not isinstance(features, nn.Module) or not isinstance(classifier, nn.Module):
        raise FacepsychError(
            f"architecture {arch!r} is not supported: it needs `features` and `classifier` modules"
        )
    head_layers = list(classifier) if isinstance(classifier, nn.Sequential) else [classifier]
    if not all(isinstance(m, _HEAD_MODULES) for m in head_layers):
        kinds = sorted({type(m).__name__ for m in head_layers if not isinstance(m, _HEAD_MODULES)})
        raise FacepsychError(
            f"architecture {arch!r} is not supported: its classifier has {', '.join(kinds)} "
            "layers that need a feature map, not a pooled vector"
        )
    return model


def _init_family(name: str) -> str | None:
    """Archs whose torchvision initialisation is replicated by :func:`_materialize`."""
    if name == "alexnet":
        return "default"
    if name.startswith("vgg"):
        return "vgg"
    return None


def _materialize(model: nn.Module, family: str | None) -> None:
    """Allocate a meta-built model on the default device and initialise it like torchvision.

    ``default`` (AlexNet): each layer's own ``reset_parameters`` (PyTorch defaults).
    ``vgg``: as torchvision's VGG: conv weights ~ kaiming-normal (fan_out, relu), conv biases 0,
    BN weight 1 / bias 0, Linear weights ~ N(0, 0.01²), biases 0. Layers built outside the meta
    context (already real) are re-initialised the same way, so the whole net follows one rule.
    Under a ``torch.device("meta")`` context nothing is allocated (the zoo tables use that).
    """
    target = torch.empty(0).device
    if family is None or target.type == "meta":
        return
    model.to_empty(device=target)
    for m in model.modules():
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()
        if family != "vgg":
            continue
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.constant_(m.bias, 0)


def _pooling(model: nn.Module, arch: str) -> nn.Module:
    avgpool = getattr(model, "avgpool", None)
    if isinstance(avgpool, nn.Module):
        return avgpool
    if torchvision_name(arch).startswith("densenet"):  # densenet applies ReLU before pooling
        return nn.Sequential(nn.ReLU(inplace=False), nn.AdaptiveAvgPool2d((1, 1)))
    return nn.AdaptiveAvgPool2d((1, 1))


def _resize_classifier(classifier: nn.Module, num_classes: int, hidden: int | None) -> nn.Module:
    """Replace the last Linear by ``→ num_classes``; with ``hidden``, set every hidden width."""
    if isinstance(classifier, nn.Linear):
        if hidden is not None:
            raise FacepsychError("this architecture's classifier has no hidden layer to resize")
        return nn.Linear(classifier.in_features, num_classes)
    linear_idx = [i for i, m in enumerate(classifier) if isinstance(m, nn.Linear)]
    if not linear_idx:
        raise FacepsychError("the architecture's classifier has no Linear layer")
    if hidden is not None and len(linear_idx) < 2:
        raise FacepsychError("this architecture's classifier has no hidden layer to resize")
    for pos, idx in enumerate(linear_idx):
        old = classifier[idx]
        last = pos == len(linear_idx) - 1
        if hidden is None and not last:
            continue
        in_f = old.in_features if (pos == 0 or hidden is None) else hidden
        out_f = num_classes if last else hidden
        classifier[idx] = nn.Linear(in_f, out_f, bias=old.bias is not None)
    return classifier


def _fc6_width(classifier: nn.Module) -> int:
    return classifier[FC6_AFTER - 1].out_features


def excitation_blocks(
    arch: str, excitation: Sequence[str] | None, reduction: int, classifier: nn.Module
) -> tuple[nn.ModuleDict, tuple[str, ...] | None]:
    if arch != "fe-alexnet":
        if excitation:
            raise FacepsychError(
                f"excitation blocks are only available for fe-alexnet, not {arch!r}"
            )
        return nn.ModuleDict(), None
    if isinstance(excitation, str):  # "conv3,fc6" from a config or the command line
        excitation = [p.strip() for p in excitation.split(",") if p.strip()]
    positions = tuple(DEFAULT_EXCITATION if excitation is None else excitation)
    unknown = [p for p in positions if p not in ALEXNET_POSITIONS]
    if unknown:
        raise FacepsychError(
            f"unknown excitation position {unknown[0]!r}; "
            f"choose among {', '.join(ALEXNET_POSITIONS)}"
        )
    if len(set(positions)) != len(positions):
        raise FacepsychError(f"excitation positions repeat: {', '.join(positions)}")
    if int(reduction) < 1:
        raise FacepsychError(f"reduction ratio must be a positive integer, got {reduction}")
    ordered = tuple(p for p in ALEXNET_POSITIONS if p in positions)
    blocks = nn.ModuleDict()
    for pos in ordered:
        channels = _fc6_width(classifier) if pos == "fc6" else CONV_CHANNELS[pos]
        blocks[pos] = ExcitationBlock(channels, int(reduction))
    return blocks, ordered


def panel_parts(arch: str, num_classes: int, hidden: int | None) -> tuple[nn.Module, ...]:
    """A panel arch (``facepsych.models.archs``): its features, a global average pool and the
    paper's head Dropout → C→h → ReLU → Dropout → h→h → ReLU → h→num_classes (h = ``hidden``,
    default 4096), in torch's default initialisation drawn after the features'."""
    from facepsych.models.archs import build_features

    spec = panel()[arch]
    features = build_features(arch)
    width = DEFAULT_HIDDEN if hidden is None else int(hidden)
    classifier = nn.Sequential(
        nn.Dropout(),
        nn.Linear(int(spec.out_channels), width),
        nn.ReLU(inplace=True),
        nn.Dropout(),
        nn.Linear(width, width),
        nn.ReLU(inplace=True),
        nn.Linear(width, int(num_classes)),
    )
    return features, nn.AdaptiveAvgPool2d(1), classifier


def torchvision_parts(arch: str, num_classes: int, hidden: int | None) -> tuple[nn.Module, ...]:
    model = _torchvision_model(arch)
    family = _init_family(torchvision_name(arch))
    # New head layers are built on the meta device too, so they draw no random numbers
    # before the backbone is initialised: the same seed gives the same backbone whatever
    # the head's width.
    with torch.device("meta") if family is not None else contextlib.nullcontext():
        classifier = _resize_classifier(model.classifier, int(num_classes), hidden)
    model.classifier = classifier
    _materialize(model, family)
    return model.features, _pooling(model, arch), classifier
