"""Loading a study config: YAML → validated, file-checked, path-resolved ExperimentConfig.

Every problem is collected — pydantic's schema errors and the missing files the raw mapping names
— and raised at once as one :class:`~facepsych.errors.FacepsychError`, one line per problem with
its location in the config (``models[2].weights.face: file not found: …``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from facepsych.errors import FacepsychError
from facepsych.experiment.config import ExperimentConfig, _as_list
from facepsych.models.sources import WeightSource, parse_weights
from facepsych.safeyaml import YamlDocumentError, read_yaml


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or "[" in str(part):
            continue  # pydantic's union/validator tags add noise, not location
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


_TYPE_ERRORS = ("int_type", "bool_type", "float_type", "string_type", "list_type", "dict_type",
                "tuple_type", "model_type")  # fmt: skip


def _pydantic_errors(exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors():
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key missing"
        elif err["type"] in _TYPE_ERRORS:
            msg = f"{msg} (got {err.get('input')!r}, {type(err.get('input')).__name__})"
        line = f"{_loc(err['loc'])}: {msg}"
        if line not in lines:
            lines.append(line)
    return lines


def _resolve(path: str, base: Path) -> Path:
    p = Path(os.path.expandvars(os.path.expanduser(path)))
    return p if p.is_absolute() else (base / p)


def _file_errors(raw: dict[str, Any], base: Path) -> list[str]:
    """Check every file the (possibly invalid) raw config names; tolerate malformed parts."""
    errors: list[str] = []

    def check(loc: str, value: Any, kind: str = "file or folder", what: str = "file") -> None:
        if not isinstance(value, str):
            return
        path = _resolve(value, base)
        if not path.exists():
            errors.append(f"{loc}: {kind} not found: {path}")
        elif kind == "file" and path.is_dir():
            errors.append(f"{loc}: {path} is a folder, not a {what}")

    data = raw.get("data")
    if isinstance(data, dict) and data.get("format") != "synthetic":
        check("data.path", data.get("path"), "data folder")
    pre = raw.get("pretrain") if isinstance(raw.get("pretrain"), dict) else {}
    for name, spec in pre.items():
        if isinstance(spec, dict) and spec.get("data", "synthetic") != "synthetic":
            check(f"pretrain.{name}.data", spec.get("data"), "data folder")
    models = raw.get("models")
    for i, entry in enumerate(models if isinstance(models, list) else []):
        if not isinstance(entry, dict):
            continue
        weights = entry.get("weights", [])
        items = weights.items() if isinstance(weights, dict) else enumerate(_as_list(weights))
        single = not isinstance(weights, dict | list)
        for key, source in items:
            loc = f"models[{i}].weights" + (
                "" if single else f".{key}" if isinstance(key, str) else f"[{key}]"
            )
            src = _source_or_none(source)
            if src is None:
                continue
            if src.path is not None:
                check(loc, str(src.path), "file", "weights file")
            elif src.kind == "pretrained" and src.name not in pre:
                name = src.name
                errors.append(f"{loc}: no pretrain entry named {name!r} (pretrain: {{{name}: …}})")
    stimuli = raw.get("stimuli")
    continua = stimuli.get("continua") if isinstance(stimuli, dict) else None
    for i, src in enumerate(continua if isinstance(continua, list) else []):
        if not isinstance(src, dict):
            continue
        check(f"stimuli.continua[{i}].path", src.get("path"), "continuum folder")
        morph = src.get("morph")
        if isinstance(morph, dict):
            for key in ("a", "b", "landmarks_a", "landmarks_b"):
                check(f"stimuli.continua[{i}].morph.{key}", morph.get(key), "file")
    humans = raw.get("humans")
    if isinstance(humans, dict) and humans.get("source", "published") != "published":
        check("humans.path", humans.get("path"), "trial file or folder")
    analysis = raw.get("analysis")
    if isinstance(analysis, dict):
        check("analysis.fixations", analysis.get("fixations"), "file")
        errors.extend(_fixation_errors(analysis, base))
    return errors


def _valence_spelling(value: Any, base: Path) -> Any:
    """A valence map file named relative to the config, as a path that exists from anywhere."""
    if isinstance(value, str) and Path(value).suffix.lower() in {".yaml", ".yml"}:
        return str(_resolve(value, base).resolve())
    return value


def _value_errors(cfg: ExperimentConfig, base: Path) -> list[str]:
    """Values the schema types but another stage parses: the valence map, the occlusion
    colour, device spellings (whether the device exists here is the runner's to say)."""
    from facepsych.data.valence import resolve_valence
    from facepsych.runtime import resolve_device
    from facepsych.stimuli.morph import parse_colour

    checks: list[tuple[str, Any, Any]] = [
        ("data.valence", resolve_valence, _valence_spelling(cfg.data.valence, base)),
        ("stimuli.occlusion.fill", parse_colour, cfg.stimuli.occlusion.fill),
        ("training.device", resolve_device, cfg.training.device),
    ]
    for i, entry in enumerate(cfg.models):
        device = entry.training.device if entry.training is not None else None
        if device is not None:
            checks.append((f"models[{i}].training.device", resolve_device, device))
    errors = []
    for loc, parse, value in checks:
        try:
            parse(value)
        except FacepsychError as exc:
            message = str(exc)
            if parse is resolve_device and not message.startswith("unknown device"):
                continue
            errors.append(f"{loc}: {message}")
    return errors


def _cam_layer_errors(cfg: ExperimentConfig) -> list[str]:
    """The CAM layers named in ``analysis.cam.layers`` that a model of the grid lacks (each
    arch built once, with random weights on the ``meta`` device: names only, no memory)."""
    cam = cfg.analysis.cam
    if not cam.enabled or not cam.layers:
        return []
    import torch

    from facepsych.models import build_model

    errors: list[str] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for i, entry in enumerate(cfg.models):
        for variant in entry.excitation or [[]]:
            key = (entry.arch, tuple(variant))
            if key in seen:
                continue
            seen.add(key)
            try:
                with torch.device("meta"):
                    net = build_model(entry.arch, "random", hidden=8, excitation=variant or None)
            except FacepsychError:
                continue  # the cell reports what the schema could not know
            names = {name for name, _ in net.named_modules() if name}
            for layer in cam.layers:
                if layer not in names:
                    errors.append(
                        f"analysis.cam.layers: models[{i}] ({entry.arch}) has no layer {layer!r}"
                        " (`facepsych models --layers ARCH` lists them)"
                    )
    return list(dict.fromkeys(errors))


def _source_or_none(source: Any) -> WeightSource | None:
    """The parsed spelling, or None when it is not one (the schema reports that)."""
    try:
        return parse_weights(source)
    except FacepsychError:
        return None


def _fixation_errors(analysis: dict[str, Any], base: Path) -> list[str]:
    """The fixation file reads as ``image, x, y[, subject, duration]`` and the CAMs it is compared
    with are on (which frames it names is checked once the stimuli exist, before training)."""
    from facepsych.attention.fixations import load_fixations

    fix = analysis.get("fixations")
    if not isinstance(fix, str):
        return []
    errors = []
    cam = analysis.get("cam")
    if isinstance(cam, dict) and cam.get("enabled") is False:
        errors.append(
            "analysis.fixations: the fixations are compared with the model's CAMs; "
            "set analysis.cam.enabled: true"
        )
    if _resolve(fix, base).is_file():
        try:
            load_fixations(_resolve(fix, base))
        except FacepsychError as exc:
            errors.append(f"analysis.fixations: {exc}")
    return errors


def _absolutise(cfg: ExperimentConfig, base: Path) -> ExperimentConfig:
    """Turn every relative path in the validated config into an absolute one."""

    def res(p: str | None) -> str | None:
        return None if p is None else str(_resolve(p, base).resolve())

    cfg.base_dir = str(base.resolve())
    cfg.data.valence = _valence_spelling(cfg.data.valence, base)
    if cfg.data.path is not None:
        cfg.data.path = res(cfg.data.path)
    for spec in cfg.pretrain.values():
        if spec.data != "synthetic":
            spec.data = res(spec.data)
    for entry in cfg.models:
        for label, source in entry.weights.items():
            src = parse_weights(source)
            if src.path is not None:
                entry.weights[label] = src.with_path(res(str(src.path))).spelling
    for src in cfg.stimuli.continua:
        src.path = res(src.path)
        if src.morph is not None:
            for key in ("a", "b", "landmarks_a", "landmarks_b"):
                setattr(src.morph, key, res(getattr(src.morph, key)))
    cfg.humans.path = res(cfg.humans.path)
    cfg.analysis.fixations = res(cfg.analysis.fixations)
    cfg.output.dir = res(cfg.output.dir)
    return cfg


def config_from_dict(
    raw: Any, *, base_dir: str | Path = ".", source: str = "config"
) -> ExperimentConfig:
    """Validate a config mapping; raise one FacepsychError listing every problem."""
    if not isinstance(raw, dict):
        raise FacepsychError(
            f"{source}: the top level must be a mapping of sections, got {type(raw).__name__}"
        )
    base = Path(base_dir)
    raw = dict(raw)
    raw.pop("base_dir", None)
    errors: list[str] = []
    cfg = None
    try:
        cfg = ExperimentConfig.model_validate(raw)
    except ValidationError as exc:
        errors.extend(_pydantic_errors(exc))
    errors.extend(_file_errors(raw, base))
    if cfg is not None:
        errors.extend(_value_errors(cfg, base))
        errors.extend(_cam_layer_errors(cfg))
    if errors:
        n = len(errors)
        head = f"{source}: {n} problem{'s' if n > 1 else ''}"
        raise FacepsychError(head + "\n  " + "\n  ".join(errors))
    assert cfg is not None
    return _absolutise(cfg, base)


def load_config(path: str | Path) -> ExperimentConfig:
    """Read, validate and resolve a YAML study config (see the module docstring)."""
    path = Path(path)
    if path.is_dir():
        raise FacepsychError(f"{path} is a folder, not a config file")
    if not path.is_file():
        raise FacepsychError(f"config file not found: {path}")
    try:
        raw = read_yaml(path.read_text(encoding="utf-8"))
    except YamlDocumentError as exc:
        raise FacepsychError(f"{path}: not a usable config: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FacepsychError(f"{path}: not valid YAML{where}: {problem}") from None
    except UnicodeDecodeError:
        raise FacepsychError(f"{path}: not a text file") from None
    return config_from_dict(raw, base_dir=path.parent, source=str(path))
