"""Continuum folders: the written format, loading by manifest or by numbered frames."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from facepsych.errors import FacepsychError
from facepsych.stimuli import index_continuum, load_continuum, write_continuum
from facepsych.stimuli.continuum import MANIFEST_COLUMNS


def _frames(n, size=8):
    return [np.full((size, size, 3), 10 * i, np.uint8) for i in range(n)]


def _write(tmp_path, n=21, **meta):
    levels = np.linspace(0, 1, n)
    points = [np.array([[1.0 + i, 2.0], [3.0, 4.0 + i]]) for i in range(n)]
    return write_continuum(tmp_path / "set", _frames(n), points, levels, scheme="generic", **meta)


def test_written_folder_has_the_contract_layout(tmp_path):
    manifest = _write(tmp_path, source_a="a.jpg", source_b="b.jpg")
    folder = manifest.parent
    assert sorted(p.name for p in folder.glob("step_*.png")) == [
        f"step_{i:02d}.png" for i in range(21)
    ]
    assert (folder / "landmarks_20.csv").read_text() == "x,y\n21.0,2.0\n3.0,24.0\n"
    with manifest.open() as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == MANIFEST_COLUMNS
    assert [float(r["level"]) for r in rows] == pytest.approx(np.linspace(0, 1, 21))
    assert rows[5]["file"] == "step_05.png" and rows[5]["landmarks"] == "landmarks_05.csv"
    assert rows[0]["source_a"] == "a.jpg" and float(rows[20]["alpha_texture"]) == 1.0


def test_condition_column_for_occluded_sets(tmp_path):
    manifest = _write(tmp_path, n=3, condition="eyes")
    with manifest.open() as fh:
        assert next(csv.DictReader(fh))["condition"] == "eyes"
    assert load_continuum(manifest.parent).condition == "eyes"


def test_load_round_trip_with_landmarks(tmp_path):
    folder = _write(tmp_path).parent
    cont = load_continuum(folder)
    assert len(cont) == 21 and cont.condition == "full" and cont.scheme == "generic"
    np.testing.assert_allclose(cont.levels, np.linspace(0, 1, 21))
    np.testing.assert_array_equal(cont.landmarks[7], [[8, 2], [3, 11]])
    assert np.asarray(Image.open(cont.frames[3]))[0, 0, 0] == 30


def test_reverse_and_every(tmp_path):
    folder = _write(tmp_path).parent
    cont = load_continuum(folder, reverse=True, every=5)
    assert [f.name for f in cont.frames] == [
        "step_20.png",
        "step_15.png",
        "step_10.png",
        "step_05.png",
        "step_00.png",
    ]
    np.testing.assert_allclose(cont.levels, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_array_equal(cont.landmarks[0], [[21, 2], [3, 24]])


@pytest.mark.parametrize(
    ("names", "every", "expected_first", "n_out"),
    [
        ([f"bm_ave_{i}.jpg" for i in range(1, 22)], 1, "bm_ave_1.jpg", 21),
        ([f"F_{i:03d}.tif" for i in range(0, 201)], 10, "F_000.tif", 21),
        ([f"level_{i:03d}.png" for i in range(0, 11)], 1, "level_000.png", 11),
    ],
)
def test_numbered_frames_in_any_style(tmp_path, names, every, expected_first, n_out):
    img = Image.new("RGB", (2, 2))
    for name in reversed(names):
        img.save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not a frame")
    cont = load_continuum(tmp_path, every=every)
    assert cont.frames[0].name == expected_first and len(cont) == n_out
    np.testing.assert_allclose(cont.levels, np.linspace(0, 1, n_out))
    # numeric (not lexical) order: bm_ave_2 before bm_ave_10
    numbers = [int("".join(c for c in f.stem if c.isdigit())) for f in cont.frames]
    assert numbers == sorted(numbers)
    assert cont.landmarks is None and cont.scheme is None


def test_index_continuum_writes_a_loadable_manifest(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(1, 6):
        Image.new("RGB", (2, 2), (i, i, i)).save(src / f"bm_{i}.png")
    out = index_continuum(src, tmp_path / "idx" / "manifest.csv", reverse=True)
    cont = load_continuum(out)
    assert [f.name for f in cont.frames] == [f"bm_{i}.png" for i in (5, 4, 3, 2, 1)]
    np.testing.assert_allclose(cont.levels, np.linspace(0, 1, 5))


def test_bad_inputs(tmp_path):
    with pytest.raises(FacepsychError, match="needs at least 2 frames, got 1"):
        write_continuum(tmp_path / "x", _frames(1), None, [0.0])
    with pytest.raises(FacepsychError, match="3 levels for 2 frames"):
        write_continuum(tmp_path / "x", _frames(2), None, [0.0, 0.5, 1.0])
    assert not (tmp_path / "x").exists()
    with pytest.raises(FacepsychError, match="continuum not found"):
        load_continuum(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FacepsychError, match="no numbered image frames"):
        load_continuum(tmp_path / "empty")
    dup = tmp_path / "dup"
    dup.mkdir()
    for name in ("a_1.png", "b_1.png", "a_2.png"):
        Image.new("RGB", (2, 2)).save(dup / name)
    with pytest.raises(FacepsychError, match=r"share the number\(s\) \[1\]"):
        load_continuum(dup)
    folder = _write(tmp_path, n=3).parent
    with pytest.raises(FacepsychError, match="every=5 leaves 1 of 3 frames"):
        load_continuum(folder, every=5)


def test_rewriting_a_shorter_set_removes_stale_frames(tmp_path):
    _write(tmp_path, n=21)
    (tmp_path / "set" / "notes.txt").write_text("kept")
    _write(tmp_path, n=3)
    names = sorted(p.name for p in (tmp_path / "set").iterdir())
    assert names == sorted(
        ["manifest.csv", "notes.txt"]
        + [f"step_{i:02d}.png" for i in range(3)]
        + [f"landmarks_{i:02d}.csv" for i in range(3)]
    )


def test_index_keeps_metadata_and_swaps_ends_on_reverse(tmp_path):
    folder = _write(tmp_path, n=5, source_a="neg.png", source_b="pos.png").parent
    out = index_continuum(folder, tmp_path / "elsewhere" / "m.csv", reverse=True)
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert (
        rows[0]["file"] == "../set/step_04.png"
        and rows[0]["landmarks"] == "../set/landmarks_04.csv"
    )
    assert rows[0]["source_a"] == "pos.png" and rows[0]["source_b"] == "neg.png"
    assert float(rows[0]["alpha_shape"]) == 0.0 and float(rows[1]["alpha_texture"]) == 0.25
    cont = load_continuum(out)
    np.testing.assert_array_equal(cont.landmarks[0], [[5, 2], [3, 8]])


def test_frames_are_written_one_at_a_time(tmp_path):
    """A generator of frames is consumed as it is written: frame k is asked for only once frame
    k − 1 is on disk (in the staging folder), so a long morph never holds every frame."""
    n, seen = 6, []

    def frames():
        for i in range(n):
            staging = [p for p in tmp_path.iterdir() if ".staging-" in p.name]
            seen.append(sorted(q.name for q in staging[0].glob("step_*.png")) if staging else None)
            yield np.full((8, 8, 3), i, np.uint8)

    write_continuum(tmp_path / "set", frames(), None, np.linspace(0, 1, n))
    assert seen == [[f"step_{j:02d}.png" for j in range(i)] for i in range(n)]
    assert len(load_continuum(tmp_path / "set")) == n


def test_a_failing_frame_leaves_the_old_set(tmp_path):
    _write(tmp_path, n=3)
    before = {p.name: p.read_bytes() for p in (tmp_path / "set").iterdir()}

    def frames():
        yield from _frames(2)
        raise FacepsychError("frame 2 failed")

    with pytest.raises(FacepsychError, match="frame 2 failed"):
        write_continuum(tmp_path / "set", frames(), None, np.linspace(0, 1, 5))
    with pytest.raises(FacepsychError, match="5 levels for 2 frames"):
        write_continuum(tmp_path / "set", iter(_frames(2)), None, np.linspace(0, 1, 5))
    assert {p.name: p.read_bytes() for p in (tmp_path / "set").iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]


def test_continuum_refuses_an_output_overlapping_an_input(tmp_path):
    src = _write(tmp_path, n=3).parent
    with pytest.raises(FacepsychError, match="is the input"):
        write_continuum(src, _frames(3), None, [0, 0.5, 1], inputs=[src])
    with pytest.raises(FacepsychError, match="lies inside the input"):
        write_continuum(src / "eyes", _frames(3), None, [0, 0.5, 1], inputs=[src])
