"""Where facepsych keeps reusable files: one cache root for every stage.

``$FACEPSYCH_CACHE`` if set, else ``$XDG_CACHE_HOME/facepsych``, else ``~/.cache/facepsych``.
Stages keep their own sub-folders: ``features/`` (frozen-feature cache of transfer training),
``pretrained/`` and ``expressions/`` … (the experiment runner's lab data and backbones).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The cache root (see the module docstring)."""
    env = os.environ.get("FACEPSYCH_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "facepsych"
