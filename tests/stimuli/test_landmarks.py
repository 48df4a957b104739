"""Landmark file I/O: round trips for every format, .tem line groups, schemes, bad files."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from facepsych.errors import FacepsychError
from facepsych.stimuli import Landmarks, LineGroup, read_landmarks, write_landmarks

TEM = """4
10.5\t20.0
30.0\t40.25
50.0\t60.0
70.0\t80.0
2
0
3
0 1 2
1
2
2 3
"""


def test_tem_reads_points_and_groups(tmp_path):
    path = tmp_path / "face.tem"
    path.write_text(TEM)
    lm = read_landmarks(path)
    np.testing.assert_array_equal(lm.points, [[10.5, 20], [30, 40.25], [50, 60], [70, 80]])
    assert lm.scheme == "generic"
    assert lm.groups == [LineGroup(0, (0, 1, 2)), LineGroup(1, (2, 3))]


def test_tem_round_trip_is_byte_identical(tmp_path):
    src = tmp_path / "a.tem"
    src.write_text(TEM)
    out = write_landmarks(tmp_path / "b.tem", read_landmarks(src))
    assert out.read_text() == TEM


def test_london_tem_round_trip(london_faces, tmp_path):
    src = london_faces / "neutral" / "001.tem"
    lm = read_landmarks(src)
    assert lm.scheme == "webmorph189" and lm.points.shape == (189, 2)
    assert len(lm.groups) == 44
    out = write_landmarks(tmp_path / "001.tem", lm)
    assert out.read_text().split() == src.read_text().split()
    back = read_landmarks(out)
    np.testing.assert_array_equal(back.points, lm.points)
    assert back.groups == lm.groups


finite = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, width=32)


@settings(max_examples=30, deadline=None)
@given(
    pts=arrays(np.float64, st.tuples(st.integers(1, 80), st.just(2)), elements=finite),
    suffix=st.sampled_from([".tem", ".pts", ".csv", ".json"]),
)
def test_every_format_round_trips(tmp_path_factory, pts, suffix):
    path = tmp_path_factory.mktemp("lm") / f"p{suffix}"
    write_landmarks(path, pts)
    back = read_landmarks(path)
    np.testing.assert_allclose(back.points, pts, atol=1e-6)
    assert len(back) == len(pts)


def test_scheme_inferred_from_count(tmp_path):
    rng = np.random.default_rng(0)
    write_landmarks(tmp_path / "a.pts", rng.uniform(0, 100, (68, 2)))
    assert read_landmarks(tmp_path / "a.pts").scheme == "ibug68"
    text = (tmp_path / "a.pts").read_text()
    assert text.startswith("version: 1\nn_points: 68\n{\n") and text.endswith("}\n")
    write_landmarks(tmp_path / "b.json", Landmarks(rng.uniform(0, 9, (189, 2)), "webmorph189"))
    assert read_landmarks(tmp_path / "b.json").scheme == "webmorph189"


def test_csv_without_header_and_json_dict_points(tmp_path):
    (tmp_path / "a.csv").write_text("1,2\n3,4\n")
    np.testing.assert_array_equal(read_landmarks(tmp_path / "a.csv").points, [[1, 2], [3, 4]])
    (tmp_path / "b.json").write_text('[{"x": 1, "y": 2}, {"x": 5, "y": 6}]')
    np.testing.assert_array_equal(read_landmarks(tmp_path / "b.json").points, [[1, 2], [5, 6]])


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.txt", "1 2", "unknown landmark file type '.txt'"),
        ("a.tem", "5\n1 2\n", "header says 5 points but the file has 1 lines"),
        ("a.csv", "x,y\n1,zz\n", "malformed .csv landmark file"),
        ("a.pts", "version: 1\nn_points: 3\n{\n1 2\n}\n", "n_points says 3, found 1"),
    ],
)
def test_bad_files_raise_one_line(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(FacepsychError, match=message) as info:
        read_landmarks(path)
    assert "\n" not in str(info.value)


def test_missing_file_and_wrong_scheme_count(tmp_path):
    with pytest.raises(FacepsychError, match="landmark file not found"):
        read_landmarks(tmp_path / "nope.tem")
    with pytest.raises(FacepsychError, match="scheme ibug68 needs 68 points, got 3"):
        Landmarks(np.zeros((3, 2)), "ibug68")


def test_one_based_pts_are_shifted(tmp_path):
    (tmp_path / "a.pts").write_text("version: 1\nn_points: 2\n{\n1 1\n10.5 20\n}\n")
    np.testing.assert_array_equal(read_landmarks(tmp_path / "a.pts").points, [[1, 1], [10.5, 20]])
    shifted = read_landmarks(tmp_path / "a.pts", one_based=True).points
    np.testing.assert_array_equal(shifted, [[0, 0], [9.5, 19]])


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("empty.csv", "", "empty landmark file (no points)"),
        ("blank.tem", "\n\n", "empty landmark file (no points)"),
        ("empty.json", "", "empty landmark file (no points)"),
        ("header.csv", "x,y\n", "no landmark points (only a header)"),
    ],
)
def test_empty_landmark_files_say_so(tmp_path, name, text, message):
    """Regression: an empty landmark CSV said '(list index out of range)'."""
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(FacepsychError) as info:
        read_landmarks(path)
    assert str(info.value) == f"{path}: {message}"


def test_landmark_writer_is_atomic_on_disk_full(tmp_path, monkeypatch):
    """Regression: a failed write left a 0-byte landmark file."""
    import errno
    from pathlib import Path

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(FacepsychError, match=r"face.csv: no space left on the device$"):
        write_landmarks(tmp_path / "face.csv", np.ones((68, 2)))
    assert list(tmp_path.iterdir()) == []
