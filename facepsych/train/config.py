"""Training configuration and result dataclasses (the companion's protocol as defaults)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from facepsych.errors import FacepsychError

BALANCE_MODES = ("none", "weights", "sampler")
EXTRACT_EXECUTORS = ("local", "ray")


def check_extract_executor(name: str) -> str:
    """``name`` if it is a known feature-extraction executor, else FacepsychError (one line)."""
    if name not in EXTRACT_EXECUTORS:
        raise FacepsychError(f"unknown extraction executor {name!r} (use local or ray)")
    return name


def default_cache_dir() -> Path:
    """``<cache root>/features`` (root: ``$FACEPSYCH_CACHE``, else ``$XDG_CACHE_HOME/facepsych``,
    else ``~/.cache/facepsych``; see :mod:`facepsych.paths`), the same folder the experiment
    runner uses."""
    from facepsych.paths import cache_root

    return cache_root() / "features"


@dataclass
class TrainConfig:
    """Transfer-training settings. Defaults: the companion's Adam lr 1e-4, batch 128, 40 epochs,
    best validation epoch kept.

    The one schema of the protocol: ``facepsych train``'s options and the study config's
    ``training:`` section are built from these fields (field metadata: ``ge`` / ``gt`` bounds,
    ``choices``, ``help``; ``study: False`` for what the runner sets per cell).

    - ``image_size``: overrides the net spec's input size when set.
    - ``balance``: ``none`` | ``weights`` (cross-entropy weights w_c = N / (2 n_c)) | ``sampler``
      (each epoch draws N training samples with replacement, P(i) ∝ 1 / n_{c(i)}).
    - ``augment``: random resized crop (scale 0.8–1) + horizontal flip on training images; forces
      full forwards (the cache holds un-augmented features).
    - ``cache``: train the head on cached backbone features when the net allows it.
    - ``cache_dtype``: ``float16`` (default; memory-mapped shards, half the bytes) or ``float32``.
    - ``workers``: processes that decode images for the feature extraction (threads for full
      forwards); 0 or 1 = none.
    - ``extract_executor``: where the frozen feature extraction runs: ``local`` (this process,
      on ``device``) or ``ray`` (the cache shards spread over Ray tasks on the CPU, one per shard,
      :func:`facepsych.train.sharded.extract_on_ray`; a cluster at ``$RAY_ADDRESS`` when set, its
      workers sharing the cache folder). Both write the same cache; only where it runs changes.
    - ``extract_workers``: CPUs of the local Ray that ``extract_executor: ray`` starts when
      ``$RAY_ADDRESS`` is unset and no Ray is running (a cluster brings its own).
    - ``standardize``: build the net with a feature standardiser before the head and set its
      mean / s.d. from the training images' frozen features (see
      :class:`facepsych.models.FeatureStandardizer`). Off by default (the companion's protocol).
    """

    epochs: int = field(default=40, metadata={"ge": 1})
    batch_size: int = field(default=128, metadata={"ge": 1})
    lr: float = field(default=1e-4, metadata={"gt": 0.0})
    weight_decay: float = field(default=0.0, metadata={"ge": 0.0})
    seed: int = field(default=0, metadata={"study": False})
    image_size: int | None = field(default=None, metadata={"ge": 16})
    balance: str = field(default="none", metadata={"choices": BALANCE_MODES})
    augment: bool = False
    cache: bool = field(
        default=True, metadata={"help": "train on cached frozen features when possible"}
    )
    cache_dir: str | None = field(default=None, metadata={"study": False})
    cache_dtype: str = field(
        default="float16",
        metadata={"choices": ("float16", "float32"), "help": "feature cache storage on disk"},
    )
    extract_batch_size: int = field(default=64, metadata={"ge": 1})
    extract_executor: str = field(
        default="local",
        metadata={
            "choices": EXTRACT_EXECUTORS,
            "help": "feature extraction here (local) or cache shards over Ray tasks (ray)",
        },
    )
    extract_workers: int = field(
        default=2, metadata={"ge": 1, "help": "CPUs of the local Ray the ray extraction starts"}
    )
    workers: int = field(default=4, metadata={"ge": 0})
    device: str = field(default="cpu", metadata={"help": "cpu, cuda, cuda:N"})
    standardize: bool = field(
        default=False,
        metadata={"help": "standardise each frozen feature (training mean / s.d.) before the head"},
    )
    progress: bool = field(default=True, metadata={"study": False})

    def __post_init__(self) -> None:
        if int(self.workers) < 0:
            raise FacepsychError(f"workers must be >= 0, got {self.workers}")
        for name in ("epochs", "batch_size", "extract_batch_size", "extract_workers"):
            if int(getattr(self, name)) < 1:
                value = getattr(self, name)
                raise FacepsychError(f"{name} must be a positive integer, got {value}")
        if not float(self.lr) > 0:
            raise FacepsychError(f"lr must be positive, got {self.lr}")
        if self.balance not in BALANCE_MODES:
            raise FacepsychError(
                f"unknown balance mode {self.balance!r} (use {', '.join(BALANCE_MODES)})"
            )
        if self.cache_dtype not in ("float16", "float32"):
            raise FacepsychError(
                f"unknown cache dtype {self.cache_dtype!r} (use float16 or float32)"
            )
        check_extract_executor(self.extract_executor)
        if self.image_size is not None and int(self.image_size) < 16:
            raise FacepsychError(f"image_size must be at least 16, got {self.image_size}")

    def resolved_cache_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else default_cache_dir()

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class TrainResult:
    """What one training run produced (the run folder holds the files)."""

    run_dir: Path
    best_epoch: int
    best_val_acc: float
    best_val_loss: float
    final_val_acc: float
    epochs: int
    mode: str  # "cached" or "full-forward"
    fallback_reason: str | None
    cache_path: str | None
    cache_hit: bool
    extract_seconds: float
    train_seconds: float
    n_train: int
    n_val: int
    skipped: int
    metrics: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["run_dir"] = str(self.run_dir)
        return out


def train_defaults() -> dict[str, object]:
    """``name -> default`` of every :class:`TrainConfig` field: what ``facepsych train``'s
    options show and use (its ``--device`` alone defaults to ``auto``, as the study's
    ``training.device`` does)."""
    return {f.name: f.default for f in fields(TrainConfig)}


def study_fields() -> dict[str, tuple[object, object, dict]]:
    """``name -> (type, default, metadata)`` of the fields a study config may set."""
    import typing

    hints = typing.get_type_hints(TrainConfig)
    return {
        f.name: (hints[f.name], f.default, dict(f.metadata))
        for f in fields(TrainConfig)
        if f.metadata.get("study", True)
    }
