"""Study-level inputs, made once before the cells run.

- training data: a data folder as configured, or a synthetic expression set from the lab (cached
  in the user cache, see :mod:`facepsych.experiment.cache`);
- pre-trained backbones named in ``pretrain:`` (cached), so ``pretrained:NAME`` weights become
  ``file:PATH`` sources;
- stimuli: every continuum in every condition (``full`` and the eyes / nose / mouth-occluded
  versions) as continuum folders under ``RUN/stimuli/<continuum>/<condition>/``;
- the human reference (published, or fitted from a trial CSV) and ``humans.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from facepsych.atomic import safe_name
from facepsych.errors import FacepsychError
from facepsych.experiment.cache import cached
from facepsych.experiment.config import ContinuumSource, ExperimentConfig
from facepsych.experiment.rundir import RunFolder, write_csv, write_text
from facepsych.models.sources import parse_weights


@dataclass
class StimulusSet:
    """One continuum in one condition, as a continuum folder."""

    continuum: str
    condition: str
    path: str
    reverse: bool = False
    every: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"continuum": self.continuum, "condition": self.condition, "path": self.path,
                "reverse": self.reverse, "every": self.every}  # fmt: skip


# ------------------------------------------------------------------------------- training data


def prepare_data(cfg: ExperimentConfig) -> tuple[str, str, dict[str, Any]]:
    """Return (path, format, notes); a synthetic set is written to (or found in) the cache."""
    if cfg.data.format != "synthetic":
        return str(cfg.data.path), cfg.data.format, {}
    from facepsych.synthetic import write_expression_set

    syn = cfg.data.synthetic
    assert syn is not None
    settings = {"kind": "expressions", **syn.model_dump()}

    def build(tmp: Path) -> None:
        write_expression_set(
            tmp,
            n_identities=syn.identities,
            per_identity=syn.images_per_identity,
            size=syn.image_size,
            seed=syn.seed,
            val_fraction=cfg.data.val_fraction,
            progress=False,
            **syn.options,
        )

    path, hit = cached("expressions", settings, build)
    return str(path), "folder", {"synthetic_data_cache_hit": hit}


# --------------------------------------------------------------------------------- pretraining


def prepare_weights(
    cfg: ExperimentConfig, *, log=print, device: str = "auto"
) -> tuple[dict[str, str], dict[str, Any]]:
    """Map each ``pretrained:NAME`` source to ``file:PATH`` (pre-training on ``device`` on a cache
    miss). ``log`` gets one line when a pre-training starts, one per epoch (with val acc) and one
    at its end (val acc, seconds)."""
    resolved: dict[str, str] = {}
    info: dict[str, Any] = {}
    used = {s for e in cfg.models for s in e.weights.values()}
    for source in sorted(used):
        src = parse_weights(source)
        if src.kind != "pretrained":
            resolved[source] = source
            continue
        name = src.name
        spec = cfg.pretrain[name]
        settings = {"kind": "pretrain", **spec.model_dump()}

        def build(tmp: Path, spec=spec, name=name) -> None:
            from facepsych.train.pretrain import pretrain

            log(
                f"pre-training {name}: {spec.arch} on {spec.task} ({spec.data}), "
                f"{spec.epochs} epochs"
            )
            res = pretrain(
                out=tmp / "backbone.pth", progress=False, device=device,
                log=lambda line: log(f"pre-training {name}: {line}"), **spec.model_dump(),
            )  # fmt: skip
            acc = res.history[-1]["val_acc"] if res.history else float("nan")
            log(f"pre-training {name} done: val acc {acc:.3f} ({res.seconds:.1f} s)")

        folder, hit = cached("pretrained", settings, build)
        ckpt = folder / "backbone.pth"
        resolved[source] = f"file:{ckpt}"
        info[name] = {"path": str(ckpt), "cache_hit": hit, **spec.model_dump()}
        history = _pretrain_history(folder / "backbone.json")
        if history:
            last = history[-1]
            info[name].update({"final_val_acc": last.get("val_acc"), "history": history})
    return resolved, info


def _pretrain_history(path: Path) -> list[dict[str, Any]]:
    import json

    try:
        return list(json.loads(path.read_text()).get("history") or [])
    except (OSError, ValueError, AttributeError):
        return []


def weight_hashes(sources: dict[str, str]) -> dict[str, str | None]:
    """SHA-256 of each resolved source's file (None for sources without a path, or no file)."""
    from facepsych.models.weights import sha256_file

    out: dict[str, str | None] = {}
    for original, source in sources.items():
        path = parse_weights(source).path
        out[original] = sha256_file(path) if path is not None and path.is_file() else None
    return out


# ------------------------------------------------------------------------------------ stimuli


def _slug(name: str) -> str:
    return safe_name(name, "continuum name")


def _continuum_folders(src: ContinuumSource, index: int, root: Path) -> list[tuple[str, Path]]:
    """(name, folder) pairs of one stimuli.continua entry; materialises synthetic / morphs.

    Every name is a safe path component (:func:`facepsych.atomic.safe_name`) before it names a
    folder under ``root``: ``../../x`` is ``x``, so nothing is written outside the run."""
    if src.path is not None:
        path = Path(src.path)
        if (path / "manifest.csv").is_file() or any(path.glob("step_*.png")):
            return [(_slug(src.name or path.name), path)]
        subs = sorted(p for p in path.iterdir() if p.is_dir())
        subs = [p for p in subs if (p / "manifest.csv").is_file() or any(p.glob("step_*.png"))]
        if not subs:
            raise FacepsychError(f"stimuli.continua[{index}].path: no continuum folder in {path}")
        prefix = f"{src.name}-" if src.name else ""
        return [(_slug(prefix + p.name), p) for p in subs]
    if src.synthetic is not None:
        from facepsych.synthetic import identity_name, write_synthetic_continuum

        syn = src.synthetic
        out = []
        for k in range(syn.identities):
            ident = syn.first_identity + k
            name = f"{src.name}-{identity_name(ident)}" if src.name else identity_name(ident)
            name = _slug(name)
            folder = root / name / "full"
            if not (folder / ".complete").is_file():
                write_synthetic_continuum(
                    folder,
                    ident,
                    syn.steps,
                    size=syn.image_size,
                    seed=syn.seed * 1000 + k,
                    **syn.options,
                )
                write_text(folder / ".complete", "")
            out.append((name, folder))
        return out
    assert src.morph is not None
    from facepsych.stimuli.morph import morph_files

    m = src.morph
    name = _slug(src.name or f"morph-{index:02d}")
    folder = root / name / "full"
    if not (folder / ".complete").is_file():
        morph_files(
            m.a, m.b, folder, landmarks_a=m.landmarks_a, landmarks_b=m.landmarks_b,
            detector=m.detector, steps=m.steps, size=m.size, align=m.align, oval=m.oval,
        )  # fmt: skip
        write_text(folder / ".complete", "")
    return [(name, folder)]


def prepare_stimuli(cfg: ExperimentConfig, run: RunFolder) -> list[StimulusSet]:
    """Every continuum × condition as a folder; occluded versions are written under the run."""
    from facepsych.stimuli import occlude_continuum

    root = run.stimuli_dir
    sets: list[StimulusSet] = []
    names: set[str] = set()
    for i, src in enumerate(cfg.stimuli.continua):
        for name, folder in _continuum_folders(src, i, root):
            if name in names:
                raise FacepsychError(
                    f"stimuli.continua[{i}]: continuum name {name!r} is used twice"
                )
            names.add(name)
            for cond in cfg.stimuli.conditions:
                if cond == "full":
                    sets.append(StimulusSet(name, "full", str(folder), src.reverse, src.every))
                    continue
                out = root / name / cond
                if not (out / ".complete").is_file():
                    kwargs: dict[str, Any] = {"fill": cfg.stimuli.occlusion.fill}
                    if cfg.stimuli.occlusion.regions == "boxes":
                        kwargs["boxes"] = "companion"
                    occlude_continuum(folder, cond, out, **kwargs)
                    write_text(out / ".complete", "")
                sets.append(StimulusSet(name, cond, str(out), src.reverse, src.every))
    return sets


# ------------------------------------------------------------------------------------- humans


def prepare_humans(cfg: ExperimentConfig, run: RunFolder) -> Any:
    """The human reference for comparisons. Writes ``humans.csv`` (per-subject fits, or the
    published reference as one row) and, for trial data, ``humans_mean_curve.csv`` (and
    ``humans_trials.csv`` when the trials name their continuum)."""
    from facepsych import psychophysics as pp

    h = cfg.humans
    if h.source == "published":
        ref = pp.PUBLISHED_REFERENCE
        write_csv(
            run.path / "humans.csv", pd.DataFrame([{"subject": "published", **ref.as_dict()}])
        )
        return ref
    if h.source == "trials":  # a file or folder as the lab has it, in h.format
        try:
            trials = pp.read_human(h.path, h.human_format())
        except FacepsychError as exc:
            raise FacepsychError(f"humans.path: {exc}") from None
        if {"continuum", "level", "response"} <= set(trials.columns):
            write_csv(run.path / "humans_trials.csv", trials)  # per-stimulus agreement
    else:  # aggregated counts (subject, level, k, n)
        trials = pp.load_human_trials(h.path, response_codes=h.response_codes)
    fit = cfg.analysis.fit
    humans = pp.fit_humans(
        trials, method=h.method, function=fit.function, bootstrap=h.bootstrap, seed=cfg.seed,
    )  # fmt: skip
    write_csv(run.path / "humans.csv", humans.per_subject)
    write_csv(run.path / "humans_mean_curve.csv", humans.mean_curve)
    return humans
