"""The user cache: location, keys, atomic publication, reuse."""

from __future__ import annotations

import pytest

from facepsych.experiment.cache import cache_dir, cache_key, cached


def test_location_env_then_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("FACEPSYCH_CACHE", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("FACEPSYCH_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_dir() == tmp_path / "x" / "facepsych"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert cache_dir() == tmp_path / "h" / ".cache" / "facepsych"


def test_key_depends_on_every_setting_not_order():
    assert cache_key({"a": 1, "b": 2}) == cache_key({"b": 2, "a": 1})
    assert cache_key({"a": 1, "b": 2}) != cache_key({"a": 1, "b": 3})
    assert len(cache_key({})) == 16


def test_built_once_then_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEPSYCH_CACHE", str(tmp_path))
    calls = []

    def build(folder):
        calls.append(folder)
        (folder / "x.txt").write_text("data")

    first, hit1 = cached("things", {"n": 1}, build)
    second, hit2 = cached("things", {"n": 1}, build)
    assert (hit1, hit2) == (False, True) and first == second and len(calls) == 1
    assert (first / "x.txt").read_text() == "data"
    _, hit3 = cached("things", {"n": 2}, build)
    assert not hit3 and len(calls) == 2


def test_interrupted_build_is_not_published(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEPSYCH_CACHE", str(tmp_path))

    def boom(folder):
        (folder / "half.txt").write_text("x")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cached("things", {"n": 1}, boom)
    assert list((tmp_path / "things").iterdir()) == []
    _, hit = cached("things", {"n": 1}, lambda f: None)
    assert not hit


def test_unwritable_cache_is_a_clear_error(monkeypatch):
    from facepsych.errors import FacepsychError

    monkeypatch.setenv("FACEPSYCH_CACHE", "/proc/facepsych-cache")
    with pytest.raises(
        FacepsychError, match=r"^cannot write the cache folder /proc/facepsych-cache/t"
    ):
        cached("t", {}, lambda f: None)


def test_a_killed_builds_folder_goes_with_the_next_build(tmp_path, monkeypatch):
    """A build killed mid-way leaves ``.KEY.staging-PID-*``; the next build of that entry
    removes it (a live builder's, or another entry's, stays)."""
    import json
    import os
    import subprocess

    monkeypatch.setenv("FACEPSYCH_CACHE", str(tmp_path))
    dead = subprocess.Popen(["true"])
    dead.wait()
    settings = {"n": 1}
    key = cache_key(settings)
    root = tmp_path / "things"
    root.mkdir()
    stale = root / f".{key}.staging-{dead.pid}-abc"
    live = root / f".{key}.staging-{os.getppid()}-abc"
    other = root / f".{cache_key({'n': 2})}.staging-{dead.pid}-abc"
    for folder in (stale, live, other):
        folder.mkdir()
        (folder / "half.bin").write_bytes(b"x")
    path, hit = cached("things", settings, lambda tmp: (tmp / "a.txt").write_text("a"))
    assert not hit and (path / "a.txt").read_text() == "a"
    assert json.loads((path / "settings.json").read_text()) == settings
    assert not stale.exists() and live.exists() and other.exists()
