"""The one atomic writer: files, staged folders, input overlap, folder locks, safe names, and the
one-line OSError messages."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from facepsych.atomic import (
    atomic_csv,
    atomic_json,
    atomic_text,
    ensure_folder,
    lock_folder,
    refuse_overlap,
    remove_stale_staging,
    safe_name,
    save_torch,
    staged_folder,
)
from facepsych.errors import FacepsychError, os_error

ROOT = Path(__file__).resolve().parents[1]


def _disk_full_after(monkeypatch, nbytes: int = 3):
    """Make Path.write_text / write_bytes write ``nbytes`` then fail with ENOSPC."""

    def full(self, data, *args, **kwargs):
        with open(self, "wb") as fh:
            fh.write((data.encode() if isinstance(data, str) else data)[:nbytes])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_text", full)
    monkeypatch.setattr(Path, "write_bytes", full)


# ------------------------------------------------------------------------------------ files


def test_disk_full_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "fits.csv"
    target.write_text("old\n")
    _disk_full_after(monkeypatch)
    with pytest.raises(FacepsychError) as info:
        atomic_text(target, "new content\n")
    assert str(info.value) == f"{target}: no space left on the device"
    monkeypatch.undo()
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fits.csv"]


def test_disk_full_on_a_new_file_leaves_nothing(tmp_path, monkeypatch):
    _disk_full_after(monkeypatch)
    with pytest.raises(FacepsychError, match="no space left"):
        atomic_json(tmp_path / "new.json", {"a": 1})
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []  # no 0-byte or half file


def test_csv_rows_and_frames(tmp_path):
    import pandas as pd

    atomic_csv(tmp_path / "a.csv", [{"x": 1, "y": 2}], ["x", "y"])
    atomic_csv(tmp_path / "b.csv", pd.DataFrame({"x": [1], "y": [2]}))
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text() == "x,y\n1,2\n"


def test_out_under_an_existing_file_says_what_is_wrong(tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x")
    with pytest.raises(FacepsychError) as info:
        atomic_text(blocker / "run" / "a.txt", "x")  # parent of parent is a file
    assert str(info.value) == f"cannot create {blocker / 'run'}: {blocker} is a file, not a folder"
    with pytest.raises(FacepsychError) as info:
        atomic_text(blocker / "a.txt", "x")  # the parent itself is the file
    assert str(info.value) == f"{blocker} is a file, not a folder"
    with pytest.raises(FacepsychError, match=r"is a folder, not a file$"):
        atomic_text(tmp_path, "x")


def test_os_error_names_the_path_in_one_line(tmp_path):
    p = tmp_path / "x"
    for code, reason in [
        (errno.ENOSPC, "no space left on the device"),
        (errno.EACCES, "permission denied"),
        (errno.EROFS, "read-only file system"),
    ]:
        assert str(os_error(OSError(code, os.strerror(code)), p)) == f"{p}: {reason}"
    exc = OSError(errno.EACCES, "Permission denied", str(p), None, str(tmp_path / "y"))
    assert str(os_error(exc)) == f"{tmp_path / 'y'}: permission denied"  # a rename's target
    assert str(os_error(OSError(errno.EIO, "Input/output error"))) == "Input/output error"


def test_same_object_saves_to_identical_bytes(tmp_path):
    torch.manual_seed(0)
    state = {"w": torch.randn(4, 3), "b": torch.zeros(3)}
    a, b = save_torch(tmp_path / "a" / "best.pt", state), save_torch(tmp_path / "best.pt", state)
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    assert b"best.pt" not in a.read_bytes() and b".tmp" not in a.read_bytes()
    loaded = torch.load(a, weights_only=True)
    assert torch.equal(loaded["w"], state["w"])


# ------------------------------------------------------------------------------------ inputs


def test_refuse_output_equal_inside_or_containing_an_input(tmp_path):
    src = tmp_path / "C"
    src.mkdir()
    (src / "a.png").write_bytes(b"")
    with pytest.raises(FacepsychError, match=r"the output .* is the input"):
        refuse_overlap(tmp_path / "x" / ".." / "C", [src])
    with pytest.raises(FacepsychError, match=r"lies inside the input"):
        refuse_overlap(src / "eyes", [src])
    with pytest.raises(FacepsychError, match=r"contains the input"):
        refuse_overlap(tmp_path, [src / "a.png"])
    refuse_overlap(tmp_path / "C-eyes", [src, None])  # a sibling is fine
    (tmp_path / "link").symlink_to(src)
    with pytest.raises(FacepsychError, match=r"is the input"):
        refuse_overlap(tmp_path / "link", [src])


# ------------------------------------------------------------------------------------ folders


def _old_folder(tmp_path) -> Path:
    target = tmp_path / "out"
    target.mkdir()
    (target / "a.txt").write_text("old a")
    (target / "b.txt").write_text("old b")
    return target


def test_staged_folder_replaces_only_on_success(tmp_path):
    target = _old_folder(tmp_path)
    with staged_folder(target, replaceable=lambda p: True) as tmp:
        assert tmp.parent == target.parent and tmp != target
        (tmp / "a.txt").write_text("new a")
        assert (target / "a.txt").read_text() == "old a"  # nothing visible before the end
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"]
    assert (target / "a.txt").read_text() == "new a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temp folders left


def test_failure_or_interrupt_leaves_the_old_folder(tmp_path, monkeypatch):
    target = _old_folder(tmp_path)
    for exc in (FacepsychError("bad frame"), KeyboardInterrupt()):
        with pytest.raises(type(exc)):
            with staged_folder(target, replaceable=lambda p: True) as tmp:
                (tmp / "a.txt").write_text("half")
                raise exc
    _disk_full_after(monkeypatch)
    with pytest.raises(FacepsychError) as info:
        with staged_folder(target, replaceable=lambda p: True) as tmp:
            (tmp / "a.txt").write_text("new a")
    assert str(info.value) == f"{target}: no space left on the device"
    monkeypatch.undo()
    assert {p.name: p.read_text() for p in target.iterdir()} == {"a.txt": "old a", "b.txt": "old b"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_staged_folder_never_deletes_what_it_did_not_write(tmp_path):
    target = _old_folder(tmp_path)
    with pytest.raises(FacepsychError) as info:
        with staged_folder(target, replaceable=lambda p: p.name == "a.txt"):
            pytest.fail("the body must not run")
    assert str(info.value) == (
        f"{target} holds files this command did not write (b.txt); choose a new or empty folder "
        "(nothing was written)"
    )
    with staged_folder(target, replaceable=lambda p: p.name == "a.txt", keep_others=True) as tmp:
        (tmp / "a.txt").write_text("new a")
    assert {p.name: p.read_text() for p in target.iterdir()} == {"a.txt": "new a", "b.txt": "old b"}
    file = tmp_path / "f"
    file.write_text("")
    with pytest.raises(FacepsychError, match="is a file, not a folder"):
        with staged_folder(file):
            pass


def test_kill_9_mid_write_leaves_the_old_folder(tmp_path):
    target = _old_folder(tmp_path)
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from facepsych.atomic import staged_folder
        with staged_folder({str(target)!r}, replaceable=lambda p: True) as tmp:
            for i in range(1000):
                (tmp / f"{{i}}.txt").write_text("new")
                time.sleep(0.01)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        for _ in range(500):
            staging = [p for p in tmp_path.iterdir() if ".staging-" in p.name]
            if staging and len(list(staging[0].iterdir())) >= 3:
                break
            proc.poll()
            assert proc.returncode is None, "the writer ended early"
            import time

            time.sleep(0.02)
        proc.kill()
    finally:
        proc.wait()
    assert {p.name: p.read_text() for p in target.iterdir()} == {"a.txt": "old a", "b.txt": "old b"}


def test_ensure_folder(tmp_path):
    assert ensure_folder(tmp_path / "a" / "b").is_dir()


# ------------------------------------------------------------------------------------ locks


def test_a_second_process_cannot_take_a_held_lock(tmp_path):
    folder = tmp_path / "run"
    script = (
        "import sys; from facepsych.atomic import lock_folder\n"
        "from facepsych.errors import FacepsychError\n"
        f"try:\n    lock_folder({str(folder)!r}, '--out folder')\n"
        "except FacepsychError as e:\n    print(e); sys.exit(3)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with lock_folder(folder, "--out folder"):
        res = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True
        )
        assert res.returncode == 3
        assert res.stdout.strip() == (
            f"{folder} is being written by another facepsych process; wait for it to finish or "
            "choose another --out folder"
        )
    assert list(folder.iterdir()) == []  # the lock file goes with the lock
    res = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout


def test_lock_is_shared_within_one_process(tmp_path):
    outer = lock_folder(tmp_path)
    inner = lock_folder(tmp_path)
    inner.release()
    assert (tmp_path / ".facepsych.lock").exists()  # still held by ``outer``
    outer.release()
    assert not (tmp_path / ".facepsych.lock").exists()


# ------------------------------------------------------------------------------------ names


@pytest.mark.parametrize(
    "name, slug",
    [
        ("../../../x", "x"),
        ("../../x", "x"),
        ("/etc/passwd", "etc-passwd"),
        ("a/../b", "a-..-b"),
        ("happy face", "happy-face"),
        ("Émotion_01.v2", "Emotion_01.v2"),
        ("..\\..\\win", "win"),
    ],
)
def test_safe_name_is_one_path_component(name, slug):
    assert safe_name(name) == slug
    assert "/" not in slug and slug not in (".", "..") and not slug.startswith(".")


@pytest.mark.parametrize("name", ["", "..", "/", "../..", "***"])
def test_safe_name_with_nothing_left_is_an_error(name):
    with pytest.raises(FacepsychError, match=r"continuum name .* has no usable characters"):
        safe_name(name, "continuum name")


def _killed_writer(target: Path, hold: bool = False) -> subprocess.Popen:
    """A process inside ``staged_folder(target)``: killed with SIGKILL once it has written a
    file (``hold``: left running, asleep inside the block)."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys, time
        from facepsych.atomic import staged_folder
        with staged_folder({str(target)!r}, replaceable=lambda p: True) as tmp:
            (tmp / "half.txt").write_text("half")
            print("in", flush=True)
            if {hold!r}:
                time.sleep(60)
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE)
    assert proc.stdout.readline() == b"in\n"
    return proc


def _staging(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".staging-" in p.name)


def test_staging_left_by_kill_9_goes_with_the_next_write(tmp_path):
    target = _old_folder(tmp_path)
    proc = _killed_writer(target)
    assert proc.wait() == -9
    left = _staging(tmp_path)
    assert len(left) == 1 and left[0].startswith(f".{target.name}.staging-{proc.pid}-")
    (tmp_path / f".{target.name}.staging-old").mkdir()  # an older spelling, without a PID
    with staged_folder(target, replaceable=lambda p: True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert _staging(tmp_path) == []
    assert [p.name for p in target.iterdir()] == ["new.txt"]


def test_a_live_writers_staging_and_other_targets_are_kept(tmp_path):
    """Only a dead writer's folders of the same target go: a running writer keeps its own,
    and a killed write to another target is that target's to clean."""
    target = _old_folder(tmp_path)
    other = tmp_path / "other"
    dead = _killed_writer(other)
    dead.wait()
    live = _killed_writer(target, hold=True)
    try:
        with staged_folder(target, replaceable=lambda p: True) as tmp:
            (tmp / "new.txt").write_text("new")
        names = _staging(tmp_path)
        assert [n for n in names if n.startswith(f".{target.name}.staging-{live.pid}-")]
        assert [n for n in names if n.startswith(f".other.staging-{dead.pid}-")]
    finally:
        live.kill()
        live.wait()
    assert remove_stale_staging(target) and remove_stale_staging(other)
    assert _staging(tmp_path) == []
