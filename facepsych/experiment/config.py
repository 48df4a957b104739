"""The study config: one YAML file describes the whole paradigm.

``facepsych.experiment.load_config(path)`` (:mod:`facepsych.experiment.loading`) reads the file
with a safe YAML loader (no duplicate keys, bounded alias expansion), validates it with this
module's strict, typed pydantic schema (archs and their weights, names, CAM target included) and
checks every file it names. All problems are reported at once, one line each, with the
path of the offending value inside the config (``models[2].weights: file not found: …``), as a
single :class:`~facepsych.errors.FacepsychError`.

Relative paths are resolved against the folder that holds the config file; ``~`` and ``$VARS``
are expanded.

Example::

    >>> from facepsych.experiment import config_from_dict
    >>> cfg = config_from_dict({"data": {"format": "synthetic"},
    ...                         "models": [{"arch": "alexnet", "weights": "random"}],
    ...                         "stimuli": {"continua": [{"synthetic": {"identities": 1}}]}})
    >>> cfg.models[0].weights
    {'random': 'random'}
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from facepsych.errors import FacepsychError
from facepsych.models.excitation import ALEXNET_POSITIONS, EXCITED_ARCHS
from facepsych.models.sources import parse_weights, weights_label
from facepsych.stimuli.continuum import CONDITIONS
from facepsych.train.config import study_fields

Condition = Literal[CONDITIONS]  # "full", "eyes", "nose", "mouth"

ARCHS_WITH_EXCITATION = tuple(EXCITED_ARCHS)
EXCITATION_POSITIONS = ALEXNET_POSITIONS


class _Strict(BaseModel):
    """Unknown keys refused; values taken as written: an int is not ``true`` or ``"3"``, a bool
    is not ``1`` or ``"yes"`` (a float field takes an int)."""

    model_config = ConfigDict(extra="forbid", validate_default=True, strict=True)


def _as_tuple(value: Any) -> Any:
    """YAML has lists, not tuples: a two-item list is the pair it spells."""
    return tuple(value) if isinstance(value, list) else value


def _slug_or_error(value: str | None, what: str) -> str | None:
    """Refuse a name that is empty or has no usable path characters (it names a folder)."""
    if value is None:
        return None
    if not value.strip():
        raise ValueError(f"{what} must not be empty")
    from facepsych.atomic import safe_name

    try:
        safe_name(value, what)
    except FacepsychError as exc:
        raise ValueError(str(exc)) from None
    return value


def _arch_problem(arch: str, sources: list[str]) -> str | None:
    """Why ``arch`` (with these weight spellings) cannot be built, or None."""
    from facepsych.models.registry import PAPER_ARCHS, lookup, panel

    known = (*PAPER_ARCHS, *panel())
    if arch not in known:
        return f"unknown arch {arch!r} (known: {', '.join(known)})"
    for source in sources:
        try:
            if parse_weights(source).kind != "pretrained":
                lookup(arch, source)
        except FacepsychError as exc:
            return str(exc)
    return None


def _as_list(value: Any) -> Any:
    return value if isinstance(value, list | tuple) else [value]


class SyntheticFaces(_Strict):
    """Expressive faces from the built-in lab (``facepsych.synthetic.write_expression_set``)."""

    identities: int = Field(40, ge=2)
    images_per_identity: int = Field(20, ge=2)
    image_size: int = Field(64, ge=16)
    seed: int = 0
    options: dict[str, Any] = Field(default_factory=dict)


class DataConfig(_Strict):
    """Training data for the valence classifier."""

    format: Literal["affectnet", "fer2013", "facial_expressions", "folder", "synthetic"]
    path: str | None = None
    valence: str | dict[str, int] = "default"
    skip_bad: bool = False
    val_fraction: float = Field(0.2, gt=0.0, lt=1.0)
    seed: int = 0
    max_per_class: int | None = Field(None, ge=1)
    synthetic: SyntheticFaces | None = None
    crop: str | dict[str, Any] = Field(
        "none",
        description="face (every image and continuum frame cut to the aligned face chip every "
        "network sees; facepsych.data.CropSettings) or none",
    )

    @field_validator("crop")
    @classmethod
    def _crop_valid(cls, value: str | dict[str, Any]) -> str | dict[str, Any]:
        from facepsych.data.crop import parse_crop

        try:
            settings = parse_crop(value)
        except FacepsychError as exc:
            raise ValueError(str(exc)) from None
        return settings.mode if isinstance(value, str) else settings.as_dict()

    @model_validator(mode="after")
    def _path_or_synthetic(self) -> DataConfig:
        if self.format == "synthetic":
            if self.synthetic is None:
                self.synthetic = SyntheticFaces()
        elif self.path is None:
            raise ValueError(f"format {self.format!r} needs a path")
        return self


def _training_fields(optional: bool) -> dict[str, Any]:
    """Pydantic fields of the study's ``training:`` section, derived from
    :class:`facepsych.train.TrainConfig` (bounds, choices and help from its field metadata); the
    study adds ``hidden`` (the head width) and its own defaults (224 px, device ``auto``)."""
    out: dict[str, Any] = {}
    for name, (kind, default, meta) in study_fields().items():
        if "choices" in meta:
            kind = Literal[tuple(meta["choices"])]
        default = _STUDY_DEFAULTS.get(name, default)
        help_text = _STUDY_HELP.get(name, meta.get("help"))
        bounds = {k: meta[k] for k in ("ge", "gt") if k in meta}
        if optional:
            kind, default = kind | None, None
        out[name] = (kind, Field(default, description=help_text, **bounds))
    out["hidden"] = (int | None, Field(None, ge=1, description="classifier hidden width"))
    return out


_STUDY_DEFAULTS: dict[str, Any] = {"image_size": 224, "device": "auto"}
_STUDY_HELP = {"device": "auto (cuda when available), cpu, cuda, cuda:N"}

#: The transfer protocol (companion defaults: Adam, lr 1e-4, batch 128, 40 epochs).
TrainingConfig = create_model("TrainingConfig", __base__=_Strict, **_training_fields(False))
#: Per-model overrides of :data:`TrainingConfig` (None: the study's value).
TrainingOverrides = create_model("TrainingOverrides", __base__=_Strict, **_training_fields(True))


class PretrainSpec(_Strict):
    """A backbone pre-trained by facepsych itself (``facepsych.train.pretrain``), cached.

    Referenced from ``models[*].weights`` as ``pretrained:NAME``.
    """

    task: Literal["identity", "objects"]
    arch: str
    data: str = "synthetic"
    epochs: int = Field(5, ge=1)
    image_size: int = Field(64, ge=16)
    batch_size: int = Field(64, ge=1)
    lr: float = Field(3e-4, gt=0.0)
    hidden: int | None = Field(512, ge=1)
    classes: int = Field(32, ge=2, description="synthetic identities / object classes")
    per_class: int = Field(40, ge=2, description="synthetic images per class")
    seed: int = 0

    @field_validator("arch")
    @classmethod
    def _arch_known(cls, value: str) -> str:
        problem = _arch_problem(value, [])
        if problem:
            raise ValueError(problem)
        return value


class ModelEntry(_Strict):
    """One line of the model grid: arch × weights × excitation × reduction × seeds."""

    arch: str
    name: str | None = None
    weights: dict[str, str] = Field(default_factory=lambda: {"random": "random"})
    excitation: list[list[str]] | None = None
    reduction: list[int] = Field(default_factory=lambda: [16])
    seeds: list[int] = Field(default_factory=lambda: [0])
    hidden: int | None = Field(None, ge=1)
    options: dict[str, Any] = Field(default_factory=dict)
    training: TrainingOverrides | None = None

    @model_validator(mode="after")
    def _arch_known(self) -> ModelEntry:
        problem = _arch_problem(self.arch, list(self.weights.values()))
        if problem:
            raise ValueError(problem)
        return self

    @field_validator("name")
    @classmethod
    def _name_usable(cls, value: str | None) -> str | None:
        return _slug_or_error(value, "model name")

    @field_validator("weights", mode="before")
    @classmethod
    def _weights_mapping(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        out = {}
        for source in _as_list(value):
            if not isinstance(source, str):
                raise ValueError(f"a weight source must be a string, got {source!r}")
            out[weights_label(source)] = source
        return out

    @field_validator("weights")
    @classmethod
    def _weights_valid(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("at least one weight source is needed")
        for source in value.values():
            try:
                parse_weights(source)
            except FacepsychError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("excitation", mode="before")
    @classmethod
    def _excitation_variants(cls, value: Any) -> Any:
        if value is None:
            return None
        variants = _as_list(value)
        if variants and all(isinstance(v, str) for v in variants):
            # a flat list of positions is ONE variant, except "none" alone
            return [[] if variants == ["none"] else list(variants)]
        return [[] if v in ("none", None, []) else _as_list(v) for v in variants]

    @field_validator("excitation")
    @classmethod
    def _excitation_positions(cls, value: list[list[str]] | None) -> list[list[str]] | None:
        for variant in value or []:
            for pos in variant:
                if pos not in EXCITATION_POSITIONS:
                    raise ValueError(
                        f"unknown excitation position {pos!r} ({', '.join(EXCITATION_POSITIONS)})"
                    )
        return value

    @model_validator(mode="after")
    def _excitation_arch(self) -> ModelEntry:
        if any(self.excitation or []) and self.arch not in EXCITED_ARCHS:
            raise ValueError(
                f"excitation blocks are only available for {', '.join(EXCITED_ARCHS)}, "
                f"not {self.arch!r}"
            )
        return self

    @field_validator("reduction", "seeds", mode="before")
    @classmethod
    def _int_list(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("reduction")
    @classmethod
    def _reduction_positive(cls, value: list[int]) -> list[int]:
        if any(r < 1 for r in value):
            raise ValueError("reduction ratios must be >= 1")
        return value

    @property
    def label(self) -> str:
        return self.name or self.arch


class SyntheticContinua(_Strict):
    """Continua of held-out lab identities (``facepsych.synthetic.write_synthetic_continuum``)."""

    identities: int = Field(3, ge=1)
    steps: int = Field(21, ge=3)
    image_size: int = Field(64, ge=16)
    first_identity: int = Field(100_000, ge=0, description="held-out identity seeds start here")
    seed: int = 0
    options: dict[str, Any] = Field(default_factory=dict)


class MorphRecipe(_Strict):
    """A morph between two photographs with their landmark files."""

    a: str
    b: str
    landmarks_a: str | None = None
    landmarks_b: str | None = None
    detector: Literal["dlib"] | None = Field(None, description="detect missing landmarks")
    steps: int = Field(21, ge=3)
    size: int | None = Field(None, ge=16, description="output side in px (default: a's size)")
    align: bool = False
    oval: bool = False

    @model_validator(mode="after")
    def _landmarks_or_detector(self) -> MorphRecipe:
        if self.detector is None and (self.landmarks_a is None or self.landmarks_b is None):
            raise ValueError("give landmarks_a and landmarks_b, or detector: dlib")
        return self


class ContinuumSource(_Strict):
    """Exactly one of ``path`` (a continuum folder or a folder of them), ``synthetic``,
    ``morph``."""

    name: str | None = None
    path: str | None = None
    synthetic: SyntheticContinua | None = None
    morph: MorphRecipe | None = None
    reverse: bool = False
    every: int = Field(1, ge=1)

    @field_validator("name")
    @classmethod
    def _name_usable(cls, value: str | None) -> str | None:
        return _slug_or_error(value, "continuum name")

    @model_validator(mode="after")
    def _exactly_one(self) -> ContinuumSource:
        given = [k for k in ("path", "synthetic", "morph") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of path, synthetic, morph"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


class OcclusionConfig(_Strict):
    regions: Literal["landmarks", "boxes"] = "landmarks"
    fill: str = "grey"


class StimuliConfig(_Strict):
    continua: list[ContinuumSource] = Field(min_length=1)
    conditions: list[Condition] = Field(default_factory=lambda: ["full"], min_length=1)
    occlusion: OcclusionConfig = Field(default_factory=OcclusionConfig)


class HumansConfig(_Strict):
    """``published`` = the companion's N = 40 reference; ``trials`` = human trial data as the
    lab has it (a file or a folder in ``format``: csv, psychopy, mat or xlsx, read by
    :func:`facepsych.psychophysics.read_human` with the column options below);
    ``aggregated`` = a ``subject, level, k, n`` CSV."""

    source: Literal["published", "trials", "aggregated"] = "published"
    path: str | None = None
    format: Literal["csv", "psychopy", "mat", "xlsx"] = "csv"
    response_codes: Literal["01", "12"] = "01"
    level_column: str = "level"
    response_column: str = "response"
    subject_column: str | None = Field(
        None, description="default: participant for psychopy, else subject"
    )
    positive: str | None = None
    negative: str | None = None
    mat_variable: str = "result_dummy"
    mat_level_col: int = Field(2, ge=1)
    mat_response_col: int = Field(4, ge=1)
    mat_levels: list[float] | None = None
    sheet: str | None = None
    method: Literal["mle", "lsq"] = Field("mle", description="fit of the human trials")
    bootstrap: int = Field(200, ge=0)

    @model_validator(mode="after")
    def _path_needed(self) -> HumansConfig:
        if self.source != "published" and self.path is None:
            raise ValueError(f"source {self.source!r} needs a path")
        if self.source == "aggregated" and self.format != "csv":
            raise ValueError("source 'aggregated' reads a subject, level, k, n CSV (format csv)")
        from facepsych.errors import FacepsychError

        try:
            self.human_format()
        except FacepsychError as exc:
            raise ValueError(str(exc)) from None
        return self

    def human_format(self):
        """The :class:`facepsych.psychophysics.HumanFormat` these options describe."""
        from facepsych.psychophysics.trialfiles import HumanFormat

        return HumanFormat(
            format=self.format, level_column=self.level_column,
            response_column=self.response_column,
            subject_column=self.subject_column or None,
            response_codes=self.response_codes, positive=self.positive, negative=self.negative,
            mat_variable=self.mat_variable, mat_level_col=self.mat_level_col,
            mat_response_col=self.mat_response_col,
            mat_levels=None if self.mat_levels is None else tuple(self.mat_levels),
            sheet=self.sheet,
        )  # fmt: skip


class FitSettings(_Strict):
    method: Literal["lsq", "mle"] = "lsq"
    function: Literal["cumnorm", "logistic", "weibull", "gumbel"] = "cumnorm"
    bootstrap: int = Field(1000, ge=0)
    guess: float | tuple[float, float] = (0.0, 0.05)
    lapse: float | tuple[float, float] = (0.0, 0.05)
    trials_per_level: int = Field(
        40, ge=1, description="pseudo trial count per level when fitting P(positive) by MLE"
    )

    @field_validator("guess", "lapse", mode="before")
    @classmethod
    def _pair(cls, value: Any) -> Any:
        return _as_tuple(value)


class CamSettings(_Strict):
    enabled: bool = True
    method: Literal["layercam", "gradcam"] = "layercam"
    layers: list[str] | None = None
    target: str = "positive"
    steps: Literal["all"] | list[int] = "all"
    conditions: list[Condition] = Field(default_factory=lambda: ["full"])

    @field_validator("layers", mode="before")
    @classmethod
    def _layers_list(cls, value: Any) -> Any:
        return None if value is None else _as_list(value)

    @field_validator("target")
    @classmethod
    def _target_known(cls, value: str) -> str:
        text = value.strip()
        if text not in ("positive", "predicted") and text not in ("0", "1"):
            raise ValueError(
                f"unknown target {value!r}; use 'positive', 'predicted' or a class index 0..1"
            )
        return value


class AnalysisConfig(_Strict):
    fit: FitSettings = Field(default_factory=FitSettings)
    cam: CamSettings = Field(default_factory=CamSettings)
    regions: Literal["landmarks", "boxes"] = "landmarks"
    fixations: str | None = None


class OutputConfig(_Strict):
    dir: str | None = None
    save_checkpoints: bool = True
    figures: bool = True


class ExperimentConfig(_Strict):
    """The whole study. ``as_dict()`` is the resolved config stored in ``manifest.json``."""

    name: str = "study"
    description: str = ""
    seed: int = 0
    notes: dict[str, Any] = Field(default_factory=dict)
    data: DataConfig
    pretrain: dict[str, PretrainSpec] = Field(default_factory=dict)
    models: list[ModelEntry] = Field(min_length=1)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    stimuli: StimuliConfig
    humans: HumansConfig = Field(default_factory=HumansConfig)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    base_dir: str = Field(".", description="folder relative paths were resolved against")

    @field_validator("name")
    @classmethod
    def _name_usable(cls, value: str) -> str:
        return _slug_or_error(value, "name")

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def fingerprint(self) -> str:
        """SHA-256 of the resolved config minus ``output`` (where it goes does not change it)."""
        d = self.as_dict()
        d.pop("output", None)
        d.pop("base_dir", None)
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()


__all__ = ["ExperimentConfig", "weights_label"]
