"""Weight sources: one spelling each, strict checks, readable diffs, SHA-256 for the run log.

Sources:

- ``random``: torchvision's initialisation (seeded by ``build_model(seed=…)``).
- ``imagenet``: torchvision's IMAGENET1K_V1 file from ``$TORCH_HOME/hub/checkpoints/<file name>``
  (e.g. ``alexnet-owt-7be5be79.pth``); ``imagenet:PATH`` for a file elsewhere. Never downloads:
  ``facepsych weights download ARCH`` is the explicit opt-in.
- ``file:PATH``: any torchvision-format state dict (``features.N…``, ``classifier.N…``), possibly
  wrapped in ``{"state_dict": …}`` and/or prefixed ``module.`` (DataParallel).
- ``vggface:PATH``: VGG-Face VGG16 (``conv1_1 … conv5_3``, ``fc6``, ``fc7``, ``fc8``): the 13
  convs map in order onto VGG16's feature convs, fc6/fc7 onto ``classifier.0/3``; fc8 (2 622
  identities) is dropped.

Rules: every ``features`` (and ``excite``) key must be present with the right shape, and no key may
be unknown; otherwise loading fails with a list ``key  expected  found``. Classifier tensors load
where their shapes match (fc6/fc7 of a 4096-wide head) and are skipped — and reported — where they
do not (the 1000-class last layer in a 2-class net). Files are read with
``torch.load(..., weights_only=True)``; their SHA-256 is recorded, and a torchvision-style file name
whose hash prefix (``…-7be5be79.pth``) disagrees with the content raises a warning.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import struct
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from facepsych.errors import FacepsychError
from facepsych.models.excitation import backbone_arch
from facepsych.models.sources import parse_weights

VGGFACE_CONVS: tuple[str, ...] = (
    "conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3",
    "conv4_1", "conv4_2", "conv4_3", "conv5_1", "conv5_2", "conv5_3",
)  # fmt: skip
_WRAPPERS: tuple[str, ...] = ("state_dict", "model_state_dict", "model")
#: torchvision / torch.hub names end in ``-<first 8+ hex digits of the SHA-256>.pth``; an all-digit
#: suffix (``run-20261129.pth``, ``epoch-000010.pt``) is read as a counter or date, not a hash.
_HASH_IN_NAME = re.compile(r"-((?=[0-9]*[a-f])[0-9a-f]{8,64})\.(?:pth|pt|bin|pth\.tar|ckpt)$")
_MAX_DIFF_LINES = 20


@dataclass
class WeightInfo:
    """What was loaded: the source as spelled, the file, its SHA-256, counts and notes."""

    source: str
    path: str | None
    sha256: str | None
    loaded_keys: int
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> WeightInfo:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


# ---------------------------------------------------------------------- sources and files
def parse_source(source: str) -> tuple[str, Path | None]:
    """``"file:/x.pt"`` -> ``("file", Path("/x.pt"))``; ``"imagenet"`` -> ``("imagenet", None)``
    (the ``kind, path`` of :func:`facepsych.models.parse_weights`)."""
    src = parse_weights(source)
    return src.kind, src.path


def imagenet_url(arch: str) -> str:
    """torchvision's IMAGENET1K_V1 URL for ``arch`` (``fe-alexnet`` uses AlexNet's)."""
    import torchvision

    name = backbone_arch(arch)
    try:
        enum = torchvision.models.get_model_weights(name)
        return enum["IMAGENET1K_V1"].url
    except (KeyError, ValueError) as exc:
        raise FacepsychError(f"torchvision has no IMAGENET1K_V1 weights for {arch!r}") from exc


def imagenet_file_name(arch: str) -> str:
    """E.g. ``alexnet-owt-7be5be79.pth``."""
    return imagenet_url(arch).rsplit("/", 1)[-1]


def imagenet_cache_path(arch: str) -> Path:
    """``$TORCH_HOME/hub/checkpoints/<torchvision file name>`` (where torchvision caches it)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / imagenet_file_name(arch)


def _check_weights_file(path: Path) -> None:
    """Raise unless ``path`` is a file: a folder is named as one, a missing path as missing."""
    if path.is_dir():
        raise FacepsychError(f"{path} is a folder, not a weights file")
    if not path.is_file():
        raise FacepsychError(f"weight file not found: {path}")


def resolve_path(arch: str, source: str) -> Path | None:
    """The file a source points to (None for ``random``); fails when it does not exist."""
    src = parse_weights(source)
    kind, path = src.kind, src.path
    if kind == "random":
        return None
    if path is None and kind != "imagenet":
        raise FacepsychError(f"weights {source!r} are not a file spelling (imagenet, file:PATH, …)")
    if kind == "imagenet" and path is None:
        path = imagenet_cache_path(arch)
        if not path.is_file():
            name = imagenet_file_name(arch)
            raise FacepsychError(
                f"ImageNet weights for {arch} not found: put {name} ({imagenet_url(arch)}) in "
                f"{path.parent}/, use imagenet:PATH, or run `facepsych weights download {arch}` "
                "on a machine that is online"
            )
    _check_weights_file(path)
    return path


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hash_prefix_warning(path: Path, sha256: str) -> str | None:
    """A message when a torchvision-style name (``name-<hex>.pth``) disagrees with the content."""
    match = _HASH_IN_NAME.search(path.name)
    if match and not sha256.startswith(match.group(1)):
        return (
            f"{path.name}: the hash prefix in the file name ({match.group(1)}) does not match its "
            f"SHA-256 ({sha256[:12]}…); the file may be corrupted or renamed"
        )
    return None


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read a state dict (``weights_only=True``); unwrap ``{"state_dict": …}``, strip ``module.``.

    Every failure is one line: missing, empty, truncated/corrupted, not a checkpoint (e.g. a text
    file), a pickle with Python objects that ``weights_only=True`` refuses, not a dict of tensors,
    a tensor holding NaN or infinite values (named by its key).
    """
    path = Path(path)
    _check_weights_file(path)
    with open(path, "rb") as fh:
        head = fh.read(4)
    if not head:
        raise FacepsychError(f"cannot read {path}: the file is empty")
    is_zip = head == b"PK\x03\x04"
    try:
        with warnings.catch_warnings():  # plain pickles also trigger a protocol warning
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            # zip checkpoints are memory-mapped: tensors are paged in while copied into the net
            obj = torch.load(path, map_location="cpu", weights_only=True, mmap=is_zip)
    except pickle.UnpicklingError as exc:
        text = str(exc)
        found = re.search(r"GLOBAL ([\w.]+)", text)
        if found:
            raise FacepsychError(
                f"cannot read {path}: it holds pickled Python objects ({found.group(1)}) that "
                "torch.load(weights_only=True) refuses; save a plain state dict instead"
            ) from None
        if head[:1] == b"\x80" and not is_zip:
            raise FacepsychError(
                f"cannot read {path}: it is a plain Python pickle, not a PyTorch checkpoint; "
                "torch.load(weights_only=True) refuses it"
            ) from None
        raise FacepsychError(
            f"cannot read {path}: not a PyTorch checkpoint (unrecognised content)"
        ) from None
    except (KeyError, IndexError, TypeError, AttributeError, struct.error):
        # the unpickler reading arbitrary bytes (a text file) as opcodes
        raise FacepsychError(
            f"cannot read {path}: not a PyTorch checkpoint (unrecognised content)"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        if is_zip:
            raise FacepsychError(
                f"cannot read {path}: the checkpoint is truncated or corrupted"
            ) from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FacepsychError(f"cannot read {path}: not a PyTorch checkpoint ({first})") from None
    state = _as_state_dict(obj, path)
    for key, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise FacepsychError(f"cannot use {path}: tensor {key} holds NaN or infinite values")
    return state


def _as_state_dict(obj: object, path: Path) -> dict[str, torch.Tensor]:
    if isinstance(obj, dict):
        for key in _WRAPPERS:
            inner = obj.get(key)
            if isinstance(inner, dict) and inner and all(isinstance(k, str) for k in inner):
                if any(isinstance(v, torch.Tensor) for v in inner.values()):
                    obj = inner
                    break
    if not isinstance(obj, dict):
        raise FacepsychError(
            f"{path} is not a state dict (found a {type(obj).__name__}); expected a dict of "
            "tensors such as model.state_dict()"
        )
    bad = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if bad or not obj:
        what = f"non-tensor entry {bad[0]!r}" if bad else "no entries"
        raise FacepsychError(f"{path} is not a state dict of tensors ({what})")
    state = {str(k): v for k, v in obj.items()}
    if all(k.startswith("module.") for k in state):
        state = {k[len("module.") :]: v for k, v in state.items()}
    return state


# ---------------------------------------------------------------------- VGG-Face mapping
def conv_indices(features: nn.Module) -> list[int]:
    """Indices of the Conv2d layers inside a ``features`` Sequential."""
    return [i for i, m in enumerate(features) if isinstance(m, nn.Conv2d)]


def map_vggface(state: dict[str, torch.Tensor], features: nn.Module) -> dict[str, torch.Tensor]:
    """Rename VGG-Face keys to torchvision VGG16 keys; fc8 is dropped.

    ``conv{b}_{i}.weight/bias`` -> ``features.{k}.weight/bias`` (k = the n-th conv of VGG16),
    ``fc6`` -> ``classifier.0``, ``fc7`` -> ``classifier.3``. Fully convolutional fc weights
    (4096, 512, 7, 7) are flattened to (4096, 25088). Unknown keys are kept (and then reported).
    """
    targets = conv_indices(features)
    if len(targets) != len(VGGFACE_CONVS):
        raise FacepsychError(
            f"vggface weights need VGG16's 13 convolutions; this network has {len(targets)}"
        )
    rename = {}
    for conv, idx in zip(VGGFACE_CONVS, targets, strict=True):
        rename[f"{conv}.weight"] = f"features.{idx}.weight"
        rename[f"{conv}.bias"] = f"features.{idx}.bias"
    for fc, idx in (("fc6", 0), ("fc7", 3)):
        rename[f"{fc}.weight"] = f"classifier.{idx}.weight"
        rename[f"{fc}.bias"] = f"classifier.{idx}.bias"
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key.startswith("fc8."):
            continue
        new = rename.get(key, key)
        if new.startswith("classifier.") and new.endswith(".weight") and value.dim() == 4:
            value = value.reshape(value.shape[0], -1)
        out[new] = value
    return out


# ---------------------------------------------------------------------- loading
def _shape(t: torch.Tensor | None) -> str:
    return "-" if t is None else str(tuple(t.shape))


def state_dict_problems(
    target: dict[str, torch.Tensor], state: dict[str, torch.Tensor]
) -> tuple[list[tuple[str, str, str, str]], list[str]]:
    """Compare a file's tensors with a network's.

    Returns ``(problems, skipped)``: problems are ``(kind, key, expected, found)`` rows for strict
    keys (``features.*``, ``excite.*``) and unknown keys; skipped are classifier keys whose shapes
    do not fit (they are not loaded).
    """
    problems: list[tuple[str, str, str, str]] = []
    skipped: list[str] = []
    for key, tensor in target.items():
        if not key.startswith(("features.", "excite.")):
            continue
        if key not in state:
            if key.startswith("excite.") and not any(k.startswith("excite.") for k in state):
                continue  # files without excitation blocks (torchvision files) are fine
            problems.append(("missing", key, _shape(tensor), "-"))
        elif state[key].shape != tensor.shape:
            problems.append(("shape", key, _shape(tensor), _shape(state[key])))
    for key, tensor in state.items():
        if key not in target:
            problems.append(("unexpected", key, "-", _shape(tensor)))
        elif key.startswith("classifier.") and tensor.shape != target[key].shape:
            skipped.append(f"{key} (file {_shape(tensor)}, network {_shape(target[key])})")
    return problems, skipped


def format_problems(arch: str, source: str, problems: list[tuple[str, str, str, str]]) -> str:
    """The readable diff: one header line, then ``kind  key  expected  found`` rows."""
    width = max(len(p[1]) for p in problems)
    lines = [f"weights {source} do not fit {arch} ({len(problems)} problems):"]
    lines.append(f"  {'problem':<10}  {'key':<{width}}  {'expected':<18}  found")
    for kind, key, expected, found in problems[:_MAX_DIFF_LINES]:
        lines.append(f"  {kind:<10}  {key:<{width}}  {expected:<18}  {found}")
    if len(problems) > _MAX_DIFF_LINES:
        lines.append(f"  … and {len(problems) - _MAX_DIFF_LINES} more")
    return "\n".join(lines)


def load_weights(net: nn.Module, source: str) -> WeightInfo:
    """Load ``source`` into ``net`` (a FacepsychNet) in place and describe what was loaded."""
    kind = parse_weights(source).kind
    if kind == "random":
        return WeightInfo(source=source, path=None, sha256=None, loaded_keys=0)
    arch = getattr(net, "arch", type(net).__name__)
    if kind == "vggface" and arch not in ("vgg16",):
        raise FacepsychError(f"vggface weights are VGG16 weights; use arch vgg16, not {arch}")
    path = resolve_path(arch, source)
    digest = sha256_file(path)
    notes: list[str] = []
    warning = hash_prefix_warning(path, digest)
    if warning:
        warnings.warn(warning, stacklevel=2)
        notes.append(warning)
    state = read_state_dict(path)
    skipped: list[str] = []
    if kind == "vggface":
        if "fc8.weight" in state:
            skipped.append(f"fc8.weight {_shape(state['fc8.weight'])} (VGG-Face identity layer)")
        if "fc8.bias" in state:
            skipped.append(f"fc8.bias {_shape(state['fc8.bias'])} (VGG-Face identity layer)")
        state = map_vggface(state, net.features)
    target = net.state_dict()
    problems, shape_skips = state_dict_problems(target, state)
    if problems:
        raise FacepsychError(format_problems(arch, source, problems))
    skipped += shape_skips
    loaded = 0
    with torch.no_grad():
        for key, value in state.items():
            if target[key].shape != value.shape:
                continue
            target[key].copy_(value.to(dtype=target[key].dtype))
            loaded += 1
    not_in_file = [k for k in target if k.startswith("classifier.") and k not in state]
    skipped += [f"{k} (not in file; kept initialisation)" for k in not_in_file]
    return WeightInfo(
        source=source,
        path=str(path.resolve()),
        sha256=digest,
        loaded_keys=loaded,
        skipped=skipped,
        warnings=notes,
    )


def download_imagenet(arch: str) -> Path:
    """Explicit opt-in: fetch torchvision's IMAGENET1K_V1 file into the hub cache (online only)."""
    target = imagenet_cache_path(arch)
    if target.is_file():
        return target
    try:
        torch.hub.load_state_dict_from_url(
            imagenet_url(arch), progress=True, check_hash=True, weights_only=True
        )
    except Exception as exc:  # network errors come in many types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FacepsychError(
            f"download of {imagenet_file_name(arch)} failed ({first}); copy the file to "
            f"{target.parent}/ by hand"
        ) from None
    return target
