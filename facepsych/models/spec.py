"""NetSpec: what a network is (arch + weights + head + excitation), as one JSON-able dataclass.

``build_model(spec)`` and the keyword form ``build_model(arch, weights, **kw)`` build the same net;
``FacepsychNet.spec()`` returns the dict form, so ``build_model(NetSpec.from_dict(net.spec()))``
rebuilds the architecture of a trained net (the run folder's ``config.json`` stores it).

Example:
    >>> spec = NetSpec("fe-alexnet", "random", hidden=64, seed=0)
    >>> NetSpec.from_dict(spec.as_dict()) == spec
    True
    >>> spec.source.kind
    'random'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from facepsych.errors import FacepsychError
from facepsych.models.sources import WeightSource, parse_weights


@dataclass(frozen=True)
class NetSpec:
    """A network description.

    - ``arch``: ``alexnet``, ``vgg11``, ``vgg13``, ``vgg16``, ``fe-alexnet``, a panel arch
      (``mobilenet_v2``, ``dlib-resnet``, …) or another torchvision ``features`` + ``classifier``
      model.
    - ``weights``: a weights spelling (:func:`facepsych.models.parse_weights`).
    - ``num_classes`` outputs of the last Linear; ``hidden`` the classifier's hidden width (None:
      the arch's own, 4096); ``excitation`` fe-alexnet positions (None: ``("pool5",)``),
      ``reduction`` the SE ratio r; ``seed`` makes the initialisation deterministic;
      ``standardize`` puts a feature standardiser before the head; ``image_size`` /
      ``preprocessing`` override the arch's and weight source's own (None: theirs); ``freeze``
      freezes ``features``.
    """

    arch: str
    weights: str = "random"
    num_classes: int = 2
    hidden: int | None = None
    excitation: tuple[str, ...] | None = None
    reduction: int = 16
    seed: int | None = None
    standardize: bool = False
    image_size: int | None = None
    preprocessing: str | None = None
    freeze: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.excitation, str):  # "conv3,fc6" from a config or the command line
            parts = tuple(p.strip() for p in self.excitation.split(",") if p.strip())
            object.__setattr__(self, "excitation", parts)
        elif self.excitation is not None:
            object.__setattr__(self, "excitation", tuple(self.excitation))
        if not isinstance(self.arch, str) or not self.arch:
            raise FacepsychError(f"arch must be a non-empty name, got {self.arch!r}")
        parse_weights(self.weights)

    @property
    def source(self) -> WeightSource:
        """The parsed weights spelling."""
        return parse_weights(self.weights)

    def with_weights(self, weights: str) -> NetSpec:
        return replace(self, weights=weights)

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``build_model(arch, weights, **kwargs)``."""
        out = asdict(self)
        out.pop("arch")
        out.pop("weights")
        return out

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if out["excitation"] is not None:
            out["excitation"] = list(out["excitation"])
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetSpec:
        """From :meth:`as_dict` or ``FacepsychNet.spec()`` (unknown keys are refused)."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise FacepsychError(f"unknown net spec key(s): {', '.join(unknown)}")
        if "arch" not in data:
            raise FacepsychError("a net spec needs an arch")
        values = dict(data)
        excitation = values.get("excitation")
        if isinstance(excitation, Sequence) and not isinstance(excitation, str):
            values["excitation"] = tuple(excitation)
        return cls(**values)

    def build(self):
        """``build_model(self)``."""
        from facepsych.models.net import build_model

        return build_model(self)
