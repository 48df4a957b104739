"""The user cache: synthetic data sets and pre-trained backbones, reused across runs.

Location: ``$FACEPSYCH_CACHE`` if set, else ``$XDG_CACHE_HOME/facepsych``, else
``~/.cache/facepsych``. An entry lives in ``<cache>/<kind>/<key>/`` where ``key`` is the first 16
hex digits of the SHA-256 of the JSON of everything that determines its content (settings and the
facepsych version). It is built in a temporary sibling folder and renamed into place when complete,
so an interrupted build is never mistaken for a finished one; the temp folder a killed build left
goes with the next build of that entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from facepsych.atomic import atomic_json, atomic_text, remove_stale_staging, staging_prefix
from facepsych.errors import FacepsychError
from facepsych.paths import cache_root


def cache_dir() -> Path:
    """The cache root (see the module docstring and :func:`facepsych.paths.cache_root`)."""
    return cache_root()


def cache_key(settings: dict[str, Any]) -> str:
    """16 hex digits of SHA-256(JSON(settings, sorted keys))."""
    from facepsych import __version__

    blob = json.dumps({"facepsych": __version__, **settings}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def cached(kind: str, settings: dict[str, Any], build: Callable[[Path], None]) -> tuple[Path, bool]:
    """Return ``(folder, hit)``; on a miss call ``build(tmp_folder)`` and publish it atomically."""
    root = cache_dir() / kind
    final = root / cache_key(settings)
    if (final / ".complete").is_file():
        return final, True
    try:
        root.mkdir(parents=True, exist_ok=True)
        remove_stale_staging(final)
        tmp = Path(tempfile.mkdtemp(prefix=staging_prefix(final), dir=root))
    except OSError as exc:
        raise FacepsychError(
            f"cannot write the cache folder {root}: {exc.strerror or exc} (set FACEPSYCH_CACHE "
            "to a writable folder)"
        ) from None
    try:
        build(tmp)
        atomic_json(tmp / "settings.json", settings)
        atomic_text(tmp / ".complete", "")
        if final.exists():  # a concurrent builder won; keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final, False
