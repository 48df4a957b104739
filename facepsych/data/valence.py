"""Valence maps: which emotion labels count as positive (1), negative (0) or excluded.

Emotion names from every supported format are first normalised to one canonical vocabulary
(``happiness``/``HAPPY``/``joy`` → ``happy``, ``angry`` → ``anger``, …, see :data:`SYNONYMS`).
A :class:`ValenceMap` then sends each canonical name to 1, 0 or ``None`` (excluded). A label that
is neither mapped nor excluded is a bad input (``KeyError``; the loaders turn it into one line
naming the file and row).

Named maps (``resolve_valence(name)``):

- ``default``   positive {happy}; negative {sad, anger, fear, disgust, contempt}; the other known
  emotions (neutral, surprise, none, uncertain, non-face) excluded.
- ``happy-sad`` the companion project's two classes: positive {happy}, negative {sad}.
- ``valence`` / ``valence:T`` AffectNet's continuous ``valence`` column: v > T → positive,
  v < −T → negative, |v| ≤ T excluded (T = 0 when omitted); values outside [−1, 1] (AffectNet's −2
  for non-faces) excluded.
- a path to a YAML file, or a mapping, with keys ``positive``, ``negative`` and optionally
  ``exclude`` (lists of labels) and ``name``.

The labels ``positive`` and ``negative`` (e.g. folder names) always map to 1 and 0.

>>> resolve_valence("default").label("HAPPINESS")
1
>>> resolve_valence("happy-sad").label("anger") is None
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from facepsych.errors import FacepsychError

#: Canonical emotion vocabulary (AffectNet's 11 codes, FER2013's 7, facial_expressions' 8).
EMOTIONS = (
    "neutral",
    "happy",
    "sad",
    "surprise",
    "fear",
    "disgust",
    "anger",
    "contempt",
    "none",
    "uncertain",
    "non-face",
)

#: Accepted spellings → canonical name (compared lower-case, with ``_``/space turned into ``-``).
SYNONYMS: dict[str, str] = {
    "happiness": "happy",
    "joy": "happy",
    "smile": "happy",
    "smiling": "happy",
    "sadness": "sad",
    "angry": "anger",
    "fearful": "fear",
    "afraid": "fear",
    "scared": "fear",
    "disgusted": "disgust",
    "surprised": "surprise",
    "calm": "neutral",
    "nonface": "non-face",
    "no-face": "non-face",
    "pos": "positive",
    "neg": "negative",
}

#: AffectNet expression codes (official CSV and the companion's ``file_path,expression`` CSV).
AFFECTNET_CODES = dict(enumerate(EMOTIONS))
#: FER2013 ``emotion`` codes.
FER2013_CODES = {
    0: "anger",
    1: "disgust",
    2: "fear",
    3: "happy",
    4: "sad",
    5: "surprise",
    6: "neutral",
}


def normalise_emotion(label: Any) -> str:
    """Lower-case, trim, unify separators and map synonyms: ``' HAPPINESS '`` → ``'happy'``."""
    text = str(label).strip().lower().replace("_", "-").replace(" ", "-")
    return SYNONYMS.get(text, text)


@dataclass(frozen=True)
class ValenceMap:
    """Emotion → valence label: 1 positive, 0 negative, ``None`` excluded; unknown → KeyError.

    ``threshold`` set means a continuous-valence map (AffectNet's ``valence`` column), applied with
    :meth:`label_value`.
    """

    name: str
    positive: frozenset[str]
    negative: frozenset[str]
    excluded: frozenset[str] = field(default_factory=frozenset)
    threshold: float | None = None

    @property
    def continuous(self) -> bool:
        return self.threshold is not None

    def label(self, emotion: Any) -> int | None:
        """Valence label of an emotion name (any spelling); ``KeyError`` when it is not mapped."""
        name = normalise_emotion(emotion)
        if name == "positive" or name in self.positive:
            return 1
        if name == "negative" or name in self.negative:
            return 0
        if name in self.excluded:
            return None
        raise KeyError(name)

    def label_value(self, value: float) -> int | None:
        """Continuous valence v: 1 if v > T, 0 if v < −T, else ``None`` (also for |v| > 1)."""
        if self.threshold is None:
            raise ValueError(f"valence map {self.name!r} is not a continuous-valence map")
        if not math.isfinite(value) or abs(value) > 1.0:
            return None
        if value > self.threshold:
            return 1
        if value < -self.threshold:
            return 0
        return None

    def describe(self) -> str:
        """One short line: ``positive: happy; negative: anger, sad; excluded: neutral``."""
        if self.continuous:
            return f"valence > {self.threshold:g} positive, < {-self.threshold:g} negative"
        parts = [
            "positive: " + ", ".join(sorted(self.positive)),
            "negative: " + ", ".join(sorted(self.negative)),
        ]
        if self.excluded:
            parts.append("excluded: " + ", ".join(sorted(self.excluded)))
        return "; ".join(parts)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "positive": sorted(self.positive),
            "negative": sorted(self.negative),
            "exclude": sorted(self.excluded),
            "threshold": self.threshold,
        }


def _known_rest(positive: set[str], negative: set[str]) -> frozenset[str]:
    return frozenset(e for e in EMOTIONS if e not in positive and e not in negative)


DEFAULT = ValenceMap(
    "default",
    frozenset({"happy"}),
    frozenset({"sad", "anger", "fear", "disgust", "contempt"}),
    _known_rest({"happy"}, {"sad", "anger", "fear", "disgust", "contempt"}),
)
HAPPY_SAD = ValenceMap(
    "happy-sad",
    frozenset({"happy"}),
    frozenset({"sad"}),
    _known_rest({"happy"}, {"sad"}),
)
NAMED_MAPS = {"default": DEFAULT, "happy-sad": HAPPY_SAD}


def _labels(value: Any, key: str, where: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple | set | frozenset):
        raise FacepsychError(f"{where}: '{key}' must be a list of labels, got {value!r}")
    return frozenset(normalise_emotion(v) for v in value)


def valence_from_mapping(mapping: Mapping, where: str = "valence mapping") -> ValenceMap:
    """Build a map from ``{positive: [...], negative: [...], exclude: [...], name: ...}``."""
    unknown = set(mapping) - {"name", "positive", "negative", "exclude", "excluded"}
    if unknown:
        raise FacepsychError(
            f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))} "
            "(expected positive, negative, exclude, name)"
        )
    positive = _labels(mapping.get("positive"), "positive", where)
    negative = _labels(mapping.get("negative"), "negative", where)
    excluded = _labels(mapping.get("exclude", mapping.get("excluded")), "exclude", where)
    if not positive or not negative:
        raise FacepsychError(f"{where}: needs at least one 'positive' and one 'negative' label")
    both = positive & negative
    if both:
        raise FacepsychError(f"{where}: label(s) both positive and negative: {sorted(both)}")
    return ValenceMap(
        str(mapping.get("name", "custom")), positive, negative, excluded - positive - negative
    )


def resolve_valence(spec: str | Mapping | ValenceMap) -> ValenceMap:
    """A :class:`ValenceMap` from a name, ``valence:T``, a YAML path or a mapping."""
    if isinstance(spec, ValenceMap):
        return spec
    if isinstance(spec, Mapping):
        return valence_from_mapping(spec)
    text = str(spec).strip()
    if text in NAMED_MAPS:
        return NAMED_MAPS[text]
    if text == "valence" or text.startswith("valence:"):
        raw = text.partition(":")[2] or "0"
        try:
            threshold = float(raw)
        except ValueError:
            raise FacepsychError(f"valence threshold must be a number, got {raw!r}") from None
        if not 0.0 <= threshold < 1.0:
            raise FacepsychError(f"valence threshold must be in [0, 1), got {threshold:g}")
        return ValenceMap(f"valence:{threshold:g}", frozenset(), frozenset(), threshold=threshold)
    path = Path(text)
    if path.suffix.lower() in {".yaml", ".yml"} or path.is_file():
        if not path.is_file():
            raise FacepsychError(f"valence map file not found: {path}")
        import yaml

        from facepsych.safeyaml import YamlDocumentError, read_yaml

        try:
            data = read_yaml(path.read_text(encoding="utf-8"))
        except YamlDocumentError as exc:
            raise FacepsychError(f"{path}: not a usable valence map: {exc}") from None
        except yaml.YAMLError as exc:
            raise FacepsychError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
        except UnicodeDecodeError:
            raise FacepsychError(f"{path}: not a text file") from None
        if not isinstance(data, Mapping):
            raise FacepsychError(f"{path}: expected a mapping with 'positive' and 'negative' lists")
        data = dict(data)
        data.setdefault("name", path.stem)
        return valence_from_mapping(data, where=str(path))
    names = ", ".join([*NAMED_MAPS, "valence:T"])
    raise FacepsychError(f"unknown valence map {text!r} (use {names}, or a YAML file)")
