"""The model registry: every ``arch:weights`` identifier facepsych knows, and what it is.

As brain-score names its models, a model here is an ``arch × weights`` identifier
(``alexnet:imagenet``, ``vgg16:vggface``, ``dlib-resnet:dlib``). Each :class:`RegistryEntry` carries
what a user needs to trust it: where the file comes from (a package, the torch hub cache, a path
the user gives), its pinned SHA-256 when there is one, the input size and normalisation, the data it
was trained on, its licence, its domain (``object`` / ``face`` / ``none`` for random weights) and
the default CAM layer. ``facepsych models`` prints this table.

Architectures: the torchvision ones (:data:`facepsych.models.PAPER_ARCHS`) and the panel of real
nets that install from the package index (:mod:`facepsych.models.archs`, when present).

Example:
    >>> lookup("alexnet", "imagenet").domain, lookup("alexnet", "imagenet").cam_layer
    ('object', 'features.11')
    >>> domain_of("fe-alexnet", "random")
    'none'
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from facepsych.errors import FacepsychError
from facepsych.models.excitation import backbone_arch
from facepsych.models.sources import parse_weights

#: The paper's architectures (torchvision builders), plus FE-AlexNet.
PAPER_ARCHS: tuple[str, ...] = ("alexnet", "vgg11", "vgg13", "vgg16", "fe-alexnet")
DOMAINS: tuple[str, ...] = ("object", "face", "none")
_IMAGENET_TRAINED_ON = "ImageNet-1k (torchvision IMAGENET1K_V1)"
_IMAGENET_LICENCE = "BSD-3-Clause (torchvision); ImageNet terms of access"


@dataclass(frozen=True)
class RegistryEntry:
    """One ``arch:weights`` model (see the module docstring). ``sha256`` is None when the file
    is not pinned (torchvision names carry a hash prefix; a user's file is hashed when loaded)."""

    identifier: str
    arch: str
    weights: str
    source: str
    package: str | None
    resource: str | None
    sha256: str | None
    input_size: int
    mean: tuple[float, ...] | None
    std: tuple[float, ...] | None
    preprocessing: str
    trained_on: str
    licence: str
    domain: str | None
    cam_layer: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def panel() -> dict[str, Any]:
    """The real-net panel (``facepsych.models.archs.PANEL``); empty when that module is absent."""
    try:
        module = importlib.import_module("facepsych.models.archs")
    except ModuleNotFoundError as exc:
        if exc.name in ("facepsych.models.archs",):
            return {}
        raise
    return dict(getattr(module, "PANEL", {}))


def _norm(name: str, size: int) -> tuple[tuple[float, ...] | None, tuple[float, ...] | None]:
    from facepsych.models.preprocessing import preprocessing_for

    try:
        prep = preprocessing_for(name, size)
    except FacepsychError:
        return None, None
    mean = getattr(prep, "mean", None)
    std = getattr(prep, "std", None)
    return (tuple(mean) if mean is not None else None, tuple(std) if std is not None else None)


@cache
def _torchvision_cam_layer(arch: str) -> str:
    """The last ReLU of torchvision's ``features`` (AlexNet ``features.11``, VGG16
    ``features.29``)."""
    import torch
    import torchvision
    from torch import nn

    with torch.device("meta"):
        model = torchvision.models.get_model(backbone_arch(arch), weights=None)
    features = getattr(model, "features", None)
    relus = [n for n, m in features.named_children() if isinstance(m, nn.ReLU)] if features else []
    return f"features.{relus[-1]}" if relus else "features"


def default_cam_layer(arch: Any) -> str:
    """The default CAM layer of an arch name or a built net: the panel arch's own
    (``PanelArch.cam_layer``), else the last ReLU of ``features``."""
    if not isinstance(arch, str):  # a built net
        name = getattr(arch, "arch", None)
        if isinstance(name, str) and name in panel():
            return panel()[name].cam_layer
        from torch import nn

        features = getattr(arch, "features", None)
        if features is None:
            raise FacepsychError("the model has no 'features'; give the CAM layer(s) explicitly")
        relus = [n for n, m in features.named_children() if isinstance(m, nn.ReLU)]
        if not relus:
            raise FacepsychError(
                "no ReLU in the model's features; give the CAM layer(s) explicitly"
            )
        return f"features.{relus[-1]}"
    if arch in panel():
        return panel()[arch].cam_layer
    return _torchvision_cam_layer(arch)


def _torchvision_entries(arch: str) -> list[RegistryEntry]:
    from facepsych.models.weights import imagenet_cache_path, imagenet_file_name

    cam = default_cam_layer(arch)
    mean, std = _norm("imagenet", 224)
    common = dict(arch=arch, input_size=224, cam_layer=cam, sha256=None)
    try:
        resource = imagenet_file_name(arch)
    except FacepsychError:  # a torchvision arch without IMAGENET1K_V1 weights
        resource = None
    rows = [
        RegistryEntry(
            identifier=f"{arch}:random", weights="random", source="seeded initialisation",
            package=None, resource=None, mean=mean, std=std, preprocessing="imagenet",
            trained_on="-", licence="-", domain="none", **common,
        ),
        RegistryEntry(
            identifier=f"{arch}:imagenet", weights="imagenet",
            source=f"torch hub cache ({imagenet_cache_path(arch).parent})",
            package="torchvision", resource=resource, mean=mean, std=std,
            preprocessing="imagenet", trained_on=_IMAGENET_TRAINED_ON,
            licence=_IMAGENET_LICENCE, domain="object", **common,
        ),
    ]  # fmt: skip
    if resource is None:
        rows.pop()
    if backbone_arch(arch) == "vgg16":
        mean, std = _norm("vggface", 224)
        rows.append(
            RegistryEntry(
                identifier=f"{arch}:vggface", weights="vggface:PATH",
                source="path (vggface:PATH; keys conv1_1 … fc8)", package=None, resource=None,
                mean=mean, std=std, preprocessing="vggface",
                trained_on="VGG-Face (2 622 identities)", licence="see the VGG-Face release",
                domain="face", **common,
            )
        )  # fmt: skip
    return rows


def _panel_entries(arch: str, spec: Any) -> list[RegistryEntry]:
    mean, std = _norm(spec.preprocessing, spec.input_size)
    common = dict(
        arch=arch, input_size=int(spec.input_size), cam_layer=spec.cam_layer, mean=mean, std=std,
        preprocessing=spec.preprocessing,
    )  # fmt: skip
    rows = [
        RegistryEntry(
            identifier=f"{arch}:random", weights="random", source="seeded initialisation",
            package=None, resource=None, sha256=None, trained_on="-", licence="-", domain="none",
            **common,
        )
    ]  # fmt: skip
    for w in spec.weights:
        rows.append(
            RegistryEntry(
                identifier=f"{arch}:{w.name}", weights=w.name, source=f"package {w.package}",
                package=w.package, resource=w.resource, sha256=w.sha256, trained_on=w.trained_on,
                licence=w.licence, domain=w.domain, **common,
            )
        )  # fmt: skip
    return rows


def registry(archs: tuple[str, ...] | None = None) -> list[RegistryEntry]:
    """Every known ``arch:weights`` entry (of ``archs``; default: the paper's and the panel's)."""
    known = panel()
    names = archs if archs is not None else PAPER_ARCHS + tuple(known)
    rows: list[RegistryEntry] = []
    for arch in names:
        rows += _panel_entries(arch, known[arch]) if arch in known else _torchvision_entries(arch)
    return rows


def lookup(arch: str, weights: str) -> RegistryEntry:
    """The entry of ``arch`` with the weights spelling ``weights``.

    ``imagenet:PATH``, ``file:PATH`` and ``vggface:PATH`` give an entry for that path (domain:
    ``object`` for imagenet, ``face`` for vggface, None — not known from the spelling — for a
    file); ``pretrained:NAME`` must be resolved to a file by the study runner first.
    """
    src = parse_weights(weights)
    entries = {e.weights: e for e in registry((arch,))}
    if src.kind == "random":
        return entries["random"]
    if src.kind == "pretrained":
        raise FacepsychError(
            f"weights {weights!r} name a study pre-training; the study runner resolves them to a "
            "file: spelling"
        )
    if src.kind in ("imagenet", "packaged") and src.path is None:
        key = src.name or "imagenet"
        if key not in entries:
            have = ", ".join(e.weights for e in entries.values())
            raise FacepsychError(f"{arch} has no {key!r} weights (it has: {have})")
        return entries[key]
    base = entries["random"]
    domain = {"imagenet": "object", "vggface": "face"}.get(src.kind)
    template = entries.get("vggface:PATH") if src.kind == "vggface" else base
    if template is None:
        raise FacepsychError(f"vggface weights are VGG16 weights; use arch vgg16, not {arch}")
    return RegistryEntry(
        **{
            **template.as_dict(),
            "identifier": f"{arch}:{src.spelling}",
            "weights": src.spelling,
            "source": f"path {src.path}",
            "domain": domain,
            "trained_on": template.trained_on if src.kind == "vggface" else "-",
        }
    )


def domain_of(arch: str, weights: str) -> str | None:
    """``object`` / ``face`` / ``none`` (random) for ``arch`` with ``weights``; None when the
    spelling does not say (a user's ``file:PATH``, a study's ``pretrained:NAME``)."""
    src = parse_weights(weights)
    if src.kind == "pretrained":
        return None
    return lookup(arch, weights).domain


def format_registry(entries: list[RegistryEntry]) -> list[dict[str, Any]]:
    """Rows for :func:`facepsych.models.zoo.format_table`."""

    def numbers(v: tuple[float, ...] | None) -> str:
        return "-" if v is None else "(" + ", ".join(f"{x:g}" for x in v) + ")"

    return [
        {
            "model": e.identifier,
            "domain": e.domain or "-",
            "input": e.input_size,
            "preprocessing": e.preprocessing,
            "mean": numbers(e.mean),
            "std": numbers(e.std),
            "cam_layer": e.cam_layer,
            "trained_on": e.trained_on,
            "source": e.source,
            "sha256": e.sha256[:12] + "…" if e.sha256 else "-",
            "licence": e.licence,
        }
        for e in entries
    ]
