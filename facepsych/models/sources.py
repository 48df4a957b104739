"""Weight sources: the one parser of a weights spelling.

Every weights string a user writes (command line, study config, run folder) is parsed here, once,
into a :class:`WeightSource`; nothing outside :mod:`facepsych.models` splits such a string.

Spellings:

- ``random``: the architecture's seeded initialisation.
- ``imagenet``: the object-trained file the registry names for the arch (torchvision's
  IMAGENET1K_V1 in the torch hub cache; for a packaged net, the file inside its package);
  ``imagenet:PATH`` for a torchvision-format file elsewhere.
- ``file:PATH``: any torchvision-format state dict.
- ``vggface:PATH``: VGG-Face VGG16 (``conv1_1 … fc8``), mapped onto torchvision's VGG16.
- ``pretrained:NAME``: a backbone facepsych pre-trains itself (a study's ``pretrain: {NAME: …}``);
  the study runner resolves it to a ``file:`` spelling before any net is built.
- packaged names (``dlib``, ``casia-webface``): weights shipped inside an installed package.

Example:
    >>> parse_weights("file:/x/face_alexnet.pth").label
    'face_alexnet'
    >>> parse_weights("pretrained:face").kind, parse_weights("pretrained:face").name
    ('pretrained', 'face')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from facepsych.errors import FacepsychError

#: Weights shipped inside installed packages (resolved per arch through the registry).
PACKAGED_NAMES: tuple[str, ...] = ("dlib", "casia-webface")
SOURCE_KINDS: tuple[str, ...] = ("random", "imagenet", "file", "vggface", "packaged", "pretrained")
SOURCE_SPELLINGS = (
    "random, imagenet, imagenet:PATH, file:PATH, vggface:PATH, pretrained:NAME, "
    + ", ".join(PACKAGED_NAMES)
)
_PATH_KINDS = ("file", "vggface")


@dataclass(frozen=True)
class WeightSource:
    """A parsed weights spelling.

    ``spelling`` is the string as given; ``kind`` one of :data:`SOURCE_KINDS`; ``path`` the file
    (``imagenet:PATH``, ``file:PATH``, ``vggface:PATH``), else None; ``name`` the packaged weights
    name (``dlib``) or the pre-training name (``pretrained:NAME``), else None.
    """

    spelling: str
    kind: str
    path: Path | None = None
    name: str | None = None

    @property
    def label(self) -> str:
        """Short column label: ``imagenet`` → ``imagenet``, ``file:/x/face_alexnet.pth`` →
        ``face_alexnet``, ``pretrained:face`` → ``face``, ``dlib`` → ``dlib``."""
        if self.name is not None:
            return self.name
        if self.path is not None:
            return self.path.stem or self.kind
        return self.kind

    @property
    def loads_file(self) -> bool:
        """True when building a net reads a file (everything but ``random``)."""
        return self.kind != "random"

    def with_path(self, path: str | Path) -> WeightSource:
        """The same kind pointing at ``path`` (e.g. made absolute); spelling re-derived."""
        if self.path is None:
            raise FacepsychError(f"weight source {self.spelling!r} has no path to replace")
        return parse_weights(f"{self.kind}:{path}")


def parse_weights(spelling: str | WeightSource) -> WeightSource:
    """Parse a weights spelling (see the module docstring); one-line error when it is not one.

    Paths keep the text given (``~`` expanded); whether the file exists is checked where it is
    read (:func:`facepsych.models.weights.resolve_path`) or by the study config's file check.
    """
    if isinstance(spelling, WeightSource):
        return spelling
    if not isinstance(spelling, str) or not spelling:
        raise FacepsychError(f"weight source must be one of {SOURCE_SPELLINGS}, got {spelling!r}")
    kind, sep, rest = spelling.partition(":")
    if kind == "random" and not sep:
        return WeightSource(spelling, "random")
    if kind in PACKAGED_NAMES and not sep:
        return WeightSource(spelling, "packaged", name=kind)
    if kind == "imagenet":
        path = Path(rest).expanduser() if sep and rest else None
        return WeightSource(spelling, "imagenet", path=path)
    if kind in _PATH_KINDS:
        if not rest:
            raise FacepsychError(f"weight source {kind}: needs a path, e.g. {kind}:weights.pth")
        return WeightSource(spelling, kind, path=Path(rest).expanduser())
    if kind == "pretrained":
        if not rest:
            raise FacepsychError(
                "weight source pretrained: needs a name, e.g. pretrained:face "
                "(a pretrain: entry of the study config)"
            )
        return WeightSource(spelling, "pretrained", name=rest)
    raise FacepsychError(f"unknown weight source {spelling!r}; use {SOURCE_SPELLINGS}")


def weights_label(spelling: str) -> str:
    """``parse_weights(spelling).label``."""
    return parse_weights(spelling).label
