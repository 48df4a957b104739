"""Grid expansion: the models section becomes a list of cells (model × weights × variant × seed).

Each :class:`Cell` is one training run plus everything measured on it. Its ``cell_id`` is a
readable, filesystem-safe slug that is stable across runs of the same config, so a resumed run
finds the cells it already finished::

    alexnet__imagenet__plain__s0
    fe-alexnet__face__pool5-r16__s1

The number of cells is Σ_entries |weights| × |excitation variants| × |reductions| × |seeds|, where
reductions only multiply variants that have excitation.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from facepsych.experiment.config import ARCHS_WITH_EXCITATION, ExperimentConfig
from facepsych.models.excitation import backbone_arch


@dataclass(frozen=True)
class Cell:
    """One grid cell. ``net_spec`` is what ``build_model(**net_spec)`` takes. ``domain``: what
    the weights learned (:func:`cell_domain`: ``object``, ``face``, ``none`` for a random twin,
    ``unknown`` for a user's file)."""

    cell_id: str
    index: int
    entry: int
    model: str
    arch: str
    weights: str
    weights_source: str
    variant: str
    excitation: tuple[str, ...]
    reduction: int | None
    seed: int
    hidden: int | None
    training: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    domain: str = "unknown"

    @property
    def backbone_key(self) -> str:
        """Cells with the same key share frozen features (same arch family, weights, size)."""
        base = backbone_arch(self.arch)
        size = self.training.get("image_size")
        return f"{base}|{self.weights_source}|{size}"

    def net_spec(self, weights_source: str | None = None) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "arch": self.arch,
            "weights": weights_source or self.weights_source,
            "num_classes": 2,
            "hidden": self.hidden,
            "seed": self.seed,
        }
        if self.excitation or self.arch in ARCHS_WITH_EXCITATION:
            spec["excitation"] = list(self.excitation)
            spec["reduction"] = self.reduction if self.reduction is not None else 16
        spec.update(self.options)
        return spec

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["excitation"] = list(self.excitation)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Cell:
        d = dict(d)
        d["excitation"] = tuple(d.get("excitation") or ())
        return cls(**d)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


def variant_name(excitation: tuple[str, ...], reduction: int | None) -> str:
    """``plain`` without excitation, else ``pool5-r16``, ``conv1+conv2-r8``."""
    if not excitation:
        return "plain"
    return "+".join(excitation) + f"-r{reduction}"


def cell_domain(arch: str, weights: str, pretrain: dict[str, Any] | None = None) -> str:
    """``object`` / ``face`` / ``none`` for ``arch`` with the weights spelling ``weights``
    (:func:`facepsych.models.domain_of`); a study pre-training ``pretrained:NAME`` has the domain of
    its task (``identity`` → ``face``, ``objects`` → ``object``); ``unknown`` when the spelling does
    not say (a user's ``file:PATH``)."""
    from facepsych.models import domain_of, parse_weights

    src = parse_weights(weights)
    if src.kind == "pretrained":
        spec = (pretrain or {}).get(src.name)
        task = getattr(spec, "task", None) if spec is not None else None
        if isinstance(spec, dict):
            task = spec.get("task")
        return {"identity": "face", "objects": "object"}.get(task, "unknown")
    return domain_of(arch, weights) or "unknown"


def expand_grid(cfg: ExperimentConfig) -> list[Cell]:
    """All cells of the study, in config order. Duplicate cells are an error of the config."""
    from facepsych.errors import FacepsychError

    cells: list[Cell] = []
    seen: dict[str, int] = {}
    for e, entry in enumerate(cfg.models):
        training = cfg.training.model_dump()
        if entry.training is not None:
            training.update(entry.training.model_dump(exclude_none=True))
        hidden = entry.hidden if entry.hidden is not None else training.get("hidden")
        if entry.excitation is not None:
            variants = [tuple(v) for v in entry.excitation]
        elif entry.arch in ARCHS_WITH_EXCITATION:
            variants = [("pool5",)]
        else:
            variants = [()]
        for wlabel, wsource in entry.weights.items():
            domain = cell_domain(entry.arch, wsource, cfg.pretrain)
            for exc in variants:
                reductions = entry.reduction if exc else [None]
                for r in reductions:
                    for seed in entry.seeds:
                        variant = variant_name(exc, r)
                        cid = "__".join(
                            _slug(x) for x in (entry.label, wlabel, variant, f"s{seed}")
                        )
                        if cid in seen:
                            raise FacepsychError(
                                f"models[{e}]: cell {cid} is already defined by "
                                f"models[{seen[cid]}]; give one of them a distinct name:"
                            )
                        seen[cid] = e
                        cells.append(
                            Cell(
                                cell_id=cid,
                                index=len(cells),
                                entry=e,
                                model=entry.label,
                                arch=entry.arch,
                                weights=wlabel,
                                weights_source=wsource,
                                variant=variant,
                                excitation=exc,
                                reduction=r,
                                seed=seed,
                                hidden=hidden,
                                training=training,
                                options=dict(entry.options),
                                domain=domain,
                            )
                        )
    return cells
