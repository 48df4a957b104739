"""Training run folders: claiming one for writing (refuse a non-empty folder without ``force``,
lock it while written), and reading one back: the model with its best weights, config, metrics.
"""

from __future__ import annotations

import functools
import inspect
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import torch

from facepsych.atomic import LOCK_NAME, FolderLock
from facepsych.errors import FacepsychError

RUN_FILES = ("config.json", "metrics.csv", "best.pt", "learning_curves.png", "skipped.csv")


class RunClaim:
    """A training folder held for writing: its lock, and whether this claim created it."""

    def __init__(self, folder: Path, lock: FolderLock, created: bool):
        self.folder, self.lock, self.created = folder, lock, created

    def release(self, *, failed: bool = False) -> None:
        """Give the lock back; after a failure, remove a folder this claim created and nothing
        else wrote into."""
        self.lock.release()
        if failed and self.created and self.folder.is_dir():
            if all(p.name == LOCK_NAME for p in self.folder.iterdir()):
                shutil.rmtree(self.folder, ignore_errors=True)


def claim_run_folder(out_dir: str | Path, *, force: bool = False) -> RunClaim:
    """Hold ``out_dir`` for one training run.

    Refused with one line (nothing written): ``out_dir`` a file; a non-empty folder unless
    ``force`` (then the files a run writes, :data:`RUN_FILES`, are removed first so an old
    ``best.pt`` never sits beside new metrics; other files stay); a folder another process is
    writing. The folder's lock is held until :meth:`RunClaim.release`."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise FacepsychError(f"run folder {out} exists and is not a folder")
    created = not out.exists()
    lock = FolderLock(out, "--out folder").acquire()
    try:
        present = sorted(p.name for p in out.iterdir() if p.name != LOCK_NAME)
        if present and not force:
            shown = ", ".join(present[:3]) + (", …" if len(present) > 3 else "")
            raise FacepsychError(
                f"{out} is not empty ({shown}); choose a new --out folder, or --force to "
                "replace the run in it"
            )
        for name in RUN_FILES:
            (out / name).unlink(missing_ok=True)
    except BaseException:
        RunClaim(out, lock, created).release(failed=True)
        raise
    return RunClaim(out, lock, created)


def writes_run_folder(train: Callable) -> Callable:
    """Decorate a trainer ``train(..., out_dir, ...)``: it gains a keyword ``force`` and runs
    with its ``out_dir`` claimed (:func:`claim_run_folder`); a failed run leaves no folder it
    created."""
    signature = inspect.signature(train)

    @functools.wraps(train)
    def wrapper(*args, force: bool = False, **kwargs):
        out_dir = signature.bind(*args, **kwargs).arguments["out_dir"]
        claim = claim_run_folder(out_dir, force=force)
        try:
            result = train(*args, **kwargs)
        except BaseException:
            claim.release(failed=True)
            raise
        claim.release()
        return result

    return wrapper


def read_run_config(run_dir: str | Path) -> dict:
    """``config.json`` of a run folder (FacepsychError when the folder is not a finished run)."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise FacepsychError(f"{run_dir}: not a finished training run (no config.json)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise FacepsychError(f"{path}: invalid JSON ({exc.msg})") from None


def load_run(run_dir: str | Path, *, map_location: str | torch.device = "cpu"):
    """Rebuild the run's FacepsychNet (architecture from ``config.json``) with ``best.pt`` loaded
    strictly, the run's preprocessing and weight info, in eval mode."""
    from facepsych.models import build_model
    from facepsych.models.preprocessing import Preprocessing
    from facepsych.models.weights import WeightInfo

    run_dir = Path(run_dir)
    config = read_run_config(run_dir)
    ckpt = run_dir / "best.pt"
    if not ckpt.is_file():
        raise FacepsychError(f"{run_dir}: best.pt is missing")
    spec = dict(config["net"])
    spec["weights"] = "random"  # every tensor comes from best.pt
    net = build_model(**spec)
    from facepsych.models.weights import read_state_dict

    state = read_state_dict(ckpt)  # one-line errors for truncated / corrupted / foreign files
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise FacepsychError(f"{ckpt}: does not match the run's model ({first})") from None
    if "preprocessing" in config:
        net.preprocessing = Preprocessing.from_dict(config["preprocessing"])
    if "weight_info" in config:
        net.weight_info = WeightInfo.from_dict(config["weight_info"])
    return net.eval()


def read_metrics(run_dir: str | Path):
    """``metrics.csv`` as a DataFrame."""
    import pandas as pd

    return pd.read_csv(Path(run_dir) / "metrics.csv")
