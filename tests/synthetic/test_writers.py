"""Data-set writers: layouts, CSVs, disjoint identities, continua, loaders of the other stages."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from facepsych.errors import FacepsychError
from facepsych.synthetic import (
    CONTINUUM_IDS,
    identity_name,
    write_continuum_set,
    write_expression_set,
    write_identity_set,
    write_object_set,
    write_synthetic_continuum,
)


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_expression_set_layout_labels_and_identity_splits(tmp_path):
    ws = write_expression_set(
        tmp_path / "e", n_identities=5, per_identity=4, size=32, progress=False
    )
    rows = _rows(tmp_path / "e" / "labels.csv")
    assert list(rows[0]) == ["file", "label", "identity", "split"]
    assert len(rows) == ws.n_images == 20
    for r in rows:
        assert (tmp_path / "e" / r["file"]).is_file()
        assert r["file"].startswith("positive/" if r["label"] == "1" else "negative/")
    per_split = {s: {r["identity"] for r in rows if r["split"] == s} for s in ("train", "val")}
    assert per_split["val"] and per_split["train"]
    assert not per_split["val"] & per_split["train"]  # whole identities in val
    assert sum(r["label"] == "1" for r in rows) == 10  # balanced
    faces = _rows(tmp_path / "e" / "faces.csv")
    for f, r in zip(faces, rows, strict=True):
        assert (float(f["expression"]) > 0) == (r["label"] == "1")
        assert abs(float(f["expression"])) >= 0.2
    lms = _rows(tmp_path / "e" / "landmarks.csv")
    assert len(lms) == 20 and len(lms[0]) == 1 + 136
    assert {r["identity"] for r in rows}.isdisjoint(
        {identity_name(CONTINUUM_IDS + i) for i in range(100)}
    )


def test_expression_set_loads_with_the_folder_loader(tmp_path):
    from facepsych.data import load_dataset

    write_expression_set(tmp_path, n_identities=4, per_identity=2, size=32, progress=False)
    ds = load_dataset(tmp_path, "folder")
    assert len(ds.samples) == 8
    assert {s.label for s in ds.samples} == {0, 1}
    assert all(s.identity and s.identity.startswith("n") for s in ds.samples)
    assert {s.split for s in ds.samples} == {"train", "val"}


def test_identity_and_object_sets(tmp_path):
    ws = write_identity_set(
        tmp_path / "ids", n_identities=3, per_identity=2, size=32, progress=False
    )
    dirs = sorted(d.name for d in (tmp_path / "ids").iterdir() if d.is_dir())
    assert dirs == ws.classes == [identity_name(50_000 + i) for i in range(3)]
    assert all(len(list((tmp_path / "ids" / d).glob("*.png"))) == 2 for d in dirs)
    ws = write_object_set(
        tmp_path / "obj", classes=["star", "house"], per_class=3, size=32, progress=False
    )
    assert sorted(d.name for d in (tmp_path / "obj").iterdir() if d.is_dir()) == ["house", "star"]
    assert ws.n_images == 6


def test_continuum_folder_format_and_monotone_expression(tmp_path):
    from facepsych.stimuli import load_continuum

    out = write_synthetic_continuum(tmp_path / "c", CONTINUUM_IDS + 2, size=64, nuisance=0.5)
    manifest = _rows(out / "manifest.csv")
    assert list(manifest[0]) == [
        "step",
        "level",
        "file",
        "landmarks",
        "scheme",
        "source_a",
        "source_b",
        "alpha_shape",
        "alpha_texture",
    ]
    assert [r["file"] for r in manifest] == [f"step_{i:02d}.png" for i in range(21)]
    assert all(r["scheme"] == "ibug68" for r in manifest)
    cont = load_continuum(out)
    assert np.allclose(cont.levels, np.linspace(0, 1, 21))
    assert cont.landmarks is not None and cont.landmarks[0].shape == (68, 2)
    lift = [((p[51, 1] + p[57, 1]) / 2 - (p[48, 1] + p[54, 1]) / 2) for p in cont.landmarks]
    assert np.all(np.diff(lift) > 0)  # mouth corners rise step by step
    # pixels: the distance from the negative end grows along the continuum
    from PIL import Image

    frames = [np.asarray(Image.open(f), float) for f in cont.frames]
    dist = [np.abs(f - frames[0]).mean() for f in frames]
    assert np.all(np.diff(dist) > 0)
    # one nuisance draw for the whole continuum: the background corner never changes
    assert all(np.array_equal(f[:6, :6], frames[0][:6, :6]) for f in frames)


def test_continuum_set_with_occlusions(tmp_path):
    dirs = write_continuum_set(
        tmp_path, n_continua=2, steps=3, size=48, occlusions=["mouth"], progress=False
    )
    names = sorted(str(d.relative_to(tmp_path)) for d in dirs)
    assert names == ["n100000/full", "n100000/mouth", "n100001/full", "n100001/mouth"]
    cond = _rows(tmp_path / "n100000" / "mouth" / "manifest.csv")[0]["condition"]
    assert cond == "mouth"
    single = write_continuum_set(tmp_path / "one", n_continua=1, steps=3, size=48, progress=False)
    assert single == [tmp_path / "one"] and (tmp_path / "one" / "manifest.csv").is_file()


def test_writer_errors(tmp_path):
    with pytest.raises(FacepsychError, match="n_identities must be at least 1, got 0"):
        write_expression_set(tmp_path, n_identities=0, progress=False)
    with pytest.raises(FacepsychError, match="a continuum needs at least 2 steps, got 1"):
        write_synthetic_continuum(tmp_path / "c", 1, steps=1)
    with pytest.raises(FacepsychError, match=r"unknown occlusion region\(s\): ears"):
        write_continuum_set(tmp_path, occlusions=["ears"], progress=False)
    (tmp_path / "file").write_text("x")
    with pytest.raises(FacepsychError, match="output path exists and is not a folder"):
        write_object_set(tmp_path / "file", per_class=1, progress=False)


def test_lab_sets_are_written_all_at_once(tmp_path, monkeypatch):
    """A set replaces an earlier lab set only when complete; a failure (disk full) leaves the
    old one, and a folder that is not a lab set is never replaced."""
    from PIL import Image

    from facepsych.synthetic import write_object_set

    out = tmp_path / "objects"
    first = write_object_set(out, classes=["circle"], per_class=2, size=16, progress=False)
    assert (
        first.root == out and '"root": "' + str(out) + '"' in (out / "synthetic.json").read_text()
    )
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real_save = Image.Image.save

    def full(self, fp, *args, **kwargs):
        if str(fp).endswith("0001.png"):
            raise OSError(28, "No space left on device")
        return real_save(self, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", full)
    with pytest.raises(FacepsychError, match=r"objects: no space left on the device$"):
        write_object_set(out, classes=["circle"], per_class=3, size=16, seed=1, progress=False)
    monkeypatch.undo()
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["objects"]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("x")
    with pytest.raises(FacepsychError, match=r"mine holds files this command did not write"):
        write_object_set(mine, classes=["circle"], per_class=1, size=16, progress=False)
