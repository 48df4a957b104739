"""Run folders: atomic writes, markers, refusing changed configs, unwritable folders."""

from __future__ import annotations

import os

import pytest

from facepsych.errors import FacepsychError
from facepsych.experiment.rundir import RunFolder, atomic_write, write_json


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("old")

    def boom(p):
        p.write_text("half")
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        atomic_write(f, boom)
    assert f.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # no temp file left behind


def test_new_resume_restart_and_refusals(tmp_path):
    run = RunFolder(tmp_path / "run")
    cfg = {"name": "x", "models": [1]}
    assert run.prepare(cfg, "fp1", resume=False, force=False) == "new"
    write_json(run.manifest_path, {"config_fingerprint": "fp1", "config": cfg})
    assert run.prepare(cfg, "fp1", resume=False, force=False) == "new"  # nothing finished yet
    assert run.mark_started("c1") == 1
    run.mark_done("c1", {"x": 1})
    assert run.done_cells() == ["c1"] and run.is_done("c1")
    msg = r"already holds this run \(1 cell\(s\) finished\); pass --resume"
    with pytest.raises(FacepsychError, match=msg):
        run.prepare(cfg, "fp1", resume=False, force=False)
    assert run.prepare(cfg, "fp1", resume=True, force=False) == "resume"
    other = {"name": "x", "models": [1, 2]}
    msg = r"holds a run of a different config \(changed: models\); use a new --out folder"
    with pytest.raises(FacepsychError, match=msg):
        run.prepare(other, "fp2", resume=True, force=False)
    assert run.is_done("c1")  # nothing was touched
    assert run.prepare(other, "fp2", resume=False, force=True) == "restart"
    assert not run.is_done("c1") and not run.manifest_path.exists()


def test_foreign_non_empty_folder_is_refused(tmp_path):
    (tmp_path / "mine.txt").write_text("keep")
    with pytest.raises(FacepsychError, match="is not empty and holds no manifest.json"):
        RunFolder(tmp_path).prepare({}, "fp", resume=False, force=True)
    assert (tmp_path / "mine.txt").read_text() == "keep"


def test_file_in_place_of_folder(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(FacepsychError, match="exists and is not a folder"):
        RunFolder(f).prepare({}, "fp", resume=False, force=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_parent(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        msg = r"^cannot create run folder .*run: Permission denied"
        with pytest.raises(FacepsychError, match=msg):
            RunFolder(ro / "run").prepare({}, "fp", resume=False, force=False)
    finally:
        ro.chmod(0o700)


def test_unwritable_folder_as_root_via_readonly_path(tmp_path):
    # /proc is read-only for everyone, root included
    with pytest.raises(FacepsychError, match=r"^cannot create run folder /proc/facepsych-run"):
        RunFolder("/proc/facepsych-run").prepare({}, "fp", resume=False, force=False)


def test_a_second_run_on_the_same_folder_fails_in_one_line(tmp_path):
    """Two `facepsych run` on one --out each ran every cell; the second now stops at once."""
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "run"
    root = Path(__file__).resolve().parents[2]
    first = subprocess.Popen(
        [sys.executable, "-c", "import time; from facepsych.experiment.rundir import RunFolder; "
         f"print(RunFolder({str(path)!r}).prepare({{}}, 'fp', resume=False, force=False), "
         "flush=True); time.sleep(60)"],
        env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert first.stdout.readline().strip() == "new"
        with pytest.raises(FacepsychError) as info:
            RunFolder(path).prepare({}, "fp", resume=False, force=False)
        assert str(info.value) == (
            f"{path} is being written by another facepsych process; wait for it to finish or "
            "choose another --out folder"
        )
    finally:
        first.kill()
        first.wait()
    run = RunFolder(path)  # a killed run leaves no lock behind
    assert run.prepare({}, "fp", resume=False, force=False) == "new"
    run.release()
    assert list(path.iterdir()) == []
