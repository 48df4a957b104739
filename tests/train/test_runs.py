"""Reading run folders back (load_run): round trip and one-line errors."""

from __future__ import annotations

import json

import pytest
import torch

from facepsych.errors import FacepsychError
from facepsych.train import load_run
from facepsych.train.runs import read_metrics


@pytest.fixture()
def run_dir(tmp_path):
    from facepsych.models import build_model

    net = build_model("alexnet", "random", hidden=8, seed=0, image_size=64)
    (tmp_path / "config.json").write_text(json.dumps({"net": net.spec()}))
    torch.save(net.state_dict(), tmp_path / "best.pt")
    return tmp_path, net


def test_load_run_round_trip(run_dir):
    path, net = run_dir
    loaded = load_run(path)
    for key, value in net.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
    assert not loaded.training


def test_truncated_best_pt_is_one_line(run_dir):
    """Regression (QA): `facepsych predict RUN` with a truncated best.pt printed a traceback."""
    path, _ = run_dir
    data = (path / "best.pt").read_bytes()
    (path / "best.pt").write_bytes(data[: len(data) // 3])
    with pytest.raises(FacepsychError, match=r"best.pt: the checkpoint is truncated or corrupted"):
        load_run(path)


# ------------------------------------------------------------------------------------ writing

SPEC = {"arch": "alexnet", "weights": "random", "hidden": 8}


def _cfg(cache_dir, **kw):
    from facepsych.train import TrainConfig

    base = dict(epochs=1, batch_size=8, lr=1e-3, image_size=64, cache_dir=str(cache_dir))
    return TrainConfig(**{**base, "progress": False, **kw})


def test_claim_refuses_a_non_empty_folder_without_force(tmp_path):
    from facepsych.train.runs import claim_run_folder

    out = tmp_path / "run"
    out.mkdir()
    (out / "best.pt").write_bytes(b"old")
    (out / "notes.txt").write_text("mine")
    with pytest.raises(FacepsychError) as info:
        claim_run_folder(out)
    assert str(info.value) == (
        f"{out} is not empty (best.pt, notes.txt); choose a new --out folder, or --force to "
        "replace the run in it"
    )
    assert sorted(p.name for p in out.iterdir()) == ["best.pt", "notes.txt"]  # untouched
    claim = claim_run_folder(out, force=True)
    assert sorted(p.name for p in out.iterdir()) == [".facepsych.lock", "notes.txt"]
    claim.release()
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    (tmp_path / "file").write_text("")
    with pytest.raises(FacepsychError, match="exists and is not a folder"):
        claim_run_folder(tmp_path / "file", force=True)


def test_a_failed_claim_leaves_no_folder_it_made(tmp_path):
    from facepsych.train.runs import claim_run_folder

    claim = claim_run_folder(tmp_path / "new")
    claim.release(failed=True)
    assert not (tmp_path / "new").exists()


def test_train_refuses_a_finished_run_and_force_replaces_it(striped_ds, tmp_path, cache_dir):
    """Regression: `train` silently overwrote a finished run (or any non-empty folder)."""
    from facepsych.train import train_valence

    out = tmp_path / "run"
    train_valence(SPEC, striped_ds, out, _cfg(cache_dir))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(FacepsychError, match=r"run is not empty \(best.pt, config.json, "):
        train_valence(SPEC, striped_ds, out, _cfg(cache_dir, epochs=2))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    result = train_valence(SPEC, striped_ds, out, _cfg(cache_dir, epochs=2), force=True)
    assert result.best_epoch in (1, 2) and len(read_metrics(out)) == 2
    assert not (out / ".facepsych.lock").exists()


def test_same_seed_checkpoints_are_byte_identical(striped_ds, tmp_path, cache_dir):
    """Regression: torch.save recorded the temp file's random name, so same-seed best.pt files
    (and their printed SHA-256) differed."""
    import hashlib

    from facepsych.train import train_valence

    digests = []
    for name in ("a", "b"):
        train_valence(SPEC, striped_ds, tmp_path / name, _cfg(cache_dir, seed=5))
        digests.append(hashlib.sha256((tmp_path / name / "best.pt").read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_a_second_train_on_a_locked_folder_fails_in_one_line(striped_ds, tmp_path, cache_dir):
    """Regression: two trains on one --out mixed config.json/best.pt of one with metrics.csv of
    the other. The lock is held by another process here."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from facepsych.train import train_valence

    out = tmp_path / "run"
    root = Path(__file__).resolve().parents[2]
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from facepsych.atomic import lock_folder; "
         f"lock_folder({str(out)!r}); print('held', flush=True); time.sleep(60)"],
        env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(FacepsychError) as info:
            train_valence(SPEC, striped_ds, out, _cfg(cache_dir))
        assert str(info.value) == (
            f"{out} is being written by another facepsych process; wait for it to finish or "
            "choose another --out folder"
        )
    finally:
        holder.kill()
        holder.wait()
    assert [p.name for p in out.iterdir()] == [".facepsych.lock"]  # nothing of ours written
