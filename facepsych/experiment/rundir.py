"""Run folders: layout, atomic writes, completion markers, resume and config-change checks.

Layout of a run folder::

    manifest.json          resolved config, versions, seeds, weight hashes, data summary, timings
    predictions.csv fits.csv humans.csv comparison.csv regions.csv   (merged from the cells)
    cells/<cell_id>/       one folder per grid cell; ``done.json`` is written last
    training/<cell_id>/    per-cell training run (metrics.csv, best.pt, learning_curves.png)
    stimuli/               the continua (and occluded versions) every cell judged
    figures/               PNG figures;  report.html

Every file is written to a temporary name in the same folder and renamed into place
(``os.replace`` is atomic on POSIX), so a crash or ``kill -9`` leaves either the old file or the
new one, never half of one. A cell counts as finished only when its ``done.json`` exists.
While a run writes the folder it holds the folder's lock (``.facepsych.lock``, see
:class:`facepsych.atomic.FolderLock`): a second run on the same folder fails at once.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd

from facepsych.atomic import (
    LOCK_NAME,
    FolderLock,
    atomic_csv,
    atomic_json,
    atomic_text,
    atomic_write,
)
from facepsych.errors import FacepsychError

MANIFEST = "manifest.json"
MERGED_TABLES = (
    "predictions.csv",
    "fits.csv",
    "humans.csv",
    "comparison.csv",
    "regions.csv",
    "attention.csv",
)


def read_csv_or_empty(path: Path) -> pd.DataFrame:
    """The table at ``path``; an empty DataFrame when the file is missing or has no rows."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame()
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


write_text = atomic_text
write_json = atomic_json
write_csv = atomic_csv
__all__ = ["RunFolder", "atomic_write", "read_csv_or_empty", "read_json", "write_csv",
           "write_json", "write_text"]  # fmt: skip


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _changed_sections(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    keys = sorted(set(old) | set(new) - {"output", "base_dir"})
    return [k for k in keys if k not in ("output", "base_dir") and old.get(k) != new.get(k)]


class RunFolder:
    """One study's output folder (see the module docstring)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.lock = FolderLock(self.path, "--out folder")

    # ------------------------------------------------------------------ paths
    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    def cell_dir(self, cell_id: str) -> Path:
        return self.path / "cells" / cell_id

    def training_dir(self, cell_id: str) -> Path:
        return self.path / "training" / cell_id

    @property
    def stimuli_dir(self) -> Path:
        return self.path / "stimuli"

    @property
    def figures_dir(self) -> Path:
        return self.path / "figures"

    # ------------------------------------------------------------------ state
    def is_done(self, cell_id: str) -> bool:
        return (self.cell_dir(cell_id) / "done.json").is_file()

    def done_cells(self) -> list[str]:
        root = self.path / "cells"
        if not root.is_dir():
            return []
        return sorted(p.parent.name for p in root.glob("*/done.json"))

    def mark_started(self, cell_id: str) -> int:
        """Count attempts at a cell (``attempts.txt``); returns this attempt's number."""
        f = self.cell_dir(cell_id) / "attempts.txt"
        n = int(f.read_text()) + 1 if f.is_file() else 1
        write_text(f, f"{n}\n")
        return n

    def mark_done(self, cell_id: str, info: dict[str, Any]) -> None:
        write_json(self.cell_dir(cell_id) / "done.json", {"finished_at": time.time(), **info})

    def read_manifest(self) -> dict[str, Any] | None:
        if not self.manifest_path.is_file():
            return None
        try:
            return read_json(self.manifest_path)
        except (OSError, json.JSONDecodeError) as exc:
            raise FacepsychError(f"{self.manifest_path}: unreadable manifest ({exc})") from None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json(self.manifest_path, manifest)

    # ------------------------------------------------------------------ opening
    def check_writable(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FacepsychError(
                f"cannot create run folder {self.path}: {exc.strerror or exc}"
            ) from None
        if not os.access(self.path, os.W_OK | os.X_OK):
            raise FacepsychError(f"cannot write to run folder {self.path}: permission denied")
        try:
            probe = self.path / f".facepsych-write-test-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise FacepsychError(
                f"cannot write to run folder {self.path}: {exc.strerror or exc}"
            ) from None

    def prepare(
        self, config: dict[str, Any], fingerprint: str, *, resume: bool, force: bool
    ) -> str:
        """Open the folder for a run of ``config``; return ``new``, ``resume`` or ``restart``.

        Refuses (FacepsychError, nothing touched): an unwritable folder; a folder another process
        is writing; a non-empty folder that is not a run folder; a run folder of a different
        config unless ``force``; a run folder of the same config with finished cells unless
        ``resume`` or ``force``. On success the folder's lock is held until :meth:`release` (or
        the process ends).
        """
        if self.path.exists() and not self.path.is_dir():
            raise FacepsychError(f"run folder {self.path} exists and is not a folder")
        try:
            self.check_writable()  # the one-line "cannot create/write" errors, before the lock
            self.lock.acquire()
            return self._prepare(config, fingerprint, resume=resume, force=force)
        except BaseException:
            self.lock.release()
            raise

    def release(self) -> None:
        """Give the folder's lock back."""
        self.lock.release()

    def _prepare(
        self, config: dict[str, Any], fingerprint: str, *, resume: bool, force: bool
    ) -> str:
        manifest = self.read_manifest() if self.path.is_dir() else None
        if manifest is None:
            if self.path.is_dir() and any(p.name != LOCK_NAME for p in self.path.iterdir()):
                raise FacepsychError(
                    f"{self.path} is not empty and holds no {MANIFEST}: choose a new or empty "
                    "folder for the run (nothing was written)"
                )
            self.check_writable()
            return "new"
        self.check_writable()
        old_fp = manifest.get("config_fingerprint")
        if old_fp != fingerprint:
            if not force:
                changed = _changed_sections(manifest.get("config") or {}, config)
                what = f" (changed: {', '.join(changed)})" if changed else ""
                raise FacepsychError(
                    f"{self.path} holds a run of a different config{what}; use a new --out folder,"
                    " or --force to discard that run and start over (nothing was changed)"
                )
            self.clear()
            return "restart"
        done = self.done_cells()
        if force:
            self.clear()
            return "restart"
        if done and not resume:
            raise FacepsychError(
                f"{self.path} already holds this run ({len(done)} cell(s) finished); pass --resume"
                " to continue it or --force to start over"
            )
        return "resume" if done else "new"

    def clear(self) -> None:
        """Remove what a run writes (never other files a user put in the folder)."""
        for name in ("cells", "training", "stimuli", "figures"):
            shutil.rmtree(self.path / name, ignore_errors=True)
        for name in (*MERGED_TABLES, "report.html", MANIFEST):
            (self.path / name).unlink(missing_ok=True)
