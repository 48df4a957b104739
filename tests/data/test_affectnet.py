from __future__ import annotations

import pytest

from facepsych.data import load_dataset
from facepsych.errors import FacepsychError

from .conftest import write_csv, write_image

HEADER = (
    "subDirectory_filePath,face_x,face_y,face_width,face_height,facial_landmarks,"
    "expression,valence,arousal"
)


def _official(root, rows, name="training.csv"):
    lines = []
    for rel, box, expr, val in rows:
        write_image(root / "Manually_Annotated_Images" / rel, 100, size=(40, 30))
        b = ",".join(str(v) for v in box) if box else ",,,"
        lines.append(f'{rel},{b},"1.0;2.0",{expr},{val},0.1')
    return write_csv(root / name, HEADER, lines)


def test_official_csv_crops_face_box(tmp_path):
    path = _official(
        tmp_path,
        [
            ("1/a.jpg", (5, 4, 20, 10), 1, 0.8),
            ("1/b.jpg", None, 2, -0.6),
            ("2/c.jpg", (0, 0, 8, 8), 0, 0.0),  # neutral: excluded by default
            ("2/d.jpg", (1, 1, 6, 9), 6, -0.7),
        ],
        name="list.csv",
    )
    ds = load_dataset(path, "affectnet", val_fraction=0.0)
    assert [(s.image_id, s.label) for s in ds] == [("1/a.jpg", 1), ("1/b.jpg", 0), ("2/d.jpg", 0)]
    assert ds.load_image("1/a.jpg").size == (20, 10)
    assert ds.load_image("1/b.jpg").size == (40, 30)  # no box -> whole image
    assert ds.load_image("2/d.jpg").size == (6, 9)


def test_training_validation_layout_gives_splits(tmp_path):
    _official(tmp_path, [("t/a.jpg", None, 1, 0.5), ("t/b.jpg", None, 2, -0.5)], "training.csv")
    _official(tmp_path, [("v/c.jpg", None, 1, 0.5), ("v/d.jpg", None, 5, -0.5)], "validation.csv")
    ds = load_dataset(tmp_path, "affectnet")
    assert [(s.image_id, s.split) for s in ds] == [
        ("t/a.jpg", "train"),
        ("t/b.jpg", "train"),
        ("v/c.jpg", "val"),
        ("v/d.jpg", "val"),
    ]


def test_valence_threshold_uses_the_valence_column(tmp_path):
    path = _official(
        tmp_path,
        [("a.jpg", None, 0, 0.5), ("b.jpg", None, 0, -0.5), ("c.jpg", None, 1, 0.05),
         ("d.jpg", None, 10, -2)],
        name="x.csv",
    )  # fmt: skip
    ds = load_dataset(path, "affectnet", valence="valence:0.1", val_fraction=0.0)
    assert [(s.image_id, s.label) for s in ds] == [("a.jpg", 1), ("b.jpg", 0)]


def test_simple_file_path_expression_csv(tmp_path):
    write_image(tmp_path / "img" / "x.png")
    write_image(tmp_path / "img" / "y.png")
    rows = ["img/x.png,1", "img/y.png,sad"]
    path = write_csv(tmp_path / "labels.csv", "file_path,expression", rows)
    ds = load_dataset(path, "affectnet", val_fraction=0.0)
    assert [(s.image_id, s.label) for s in ds] == [("img/x.png", 1), ("img/y.png", 0)]


def test_affectnet_bad_inputs(tmp_path):
    path = _official(tmp_path, [("a.jpg", (1, 1, 0, 5), 1, 0.5)], name="x.csv")
    with pytest.raises(FacepsychError, match=r"x.csv line 2: bad face box \(face box needs"):
        load_dataset(path, "affectnet")
    path = _official(tmp_path, [("a.jpg", None, 12, 0.5)], name="x.csv")
    with pytest.raises(FacepsychError, match="x.csv line 2: expression '12' is not in the valence"):
        load_dataset(path, "affectnet")
    path = write_csv(tmp_path / "y.csv", HEADER, ['missing.jpg,,,,,"",1,0.5,0'])
    with pytest.raises(FacepsychError, match="y.csv line 2, column 'subDirectory_filePath': image"):
        load_dataset(path, "affectnet")
    path = write_csv(tmp_path / "z.csv", "subDirectory_filePath,valence", ["a.jpg,0.5"])
    with pytest.raises(FacepsychError, match=r"missing required column\(s\) expression"):
        load_dataset(path, "affectnet")


def test_face_box_outside_the_image_is_a_bad_input(tmp_path):
    """Regression (QA): a box wholly outside the image was cropped into a black image and
    trained on; now loading it is a one-line error (skipped with --skip-bad)."""
    path = _official(
        tmp_path, [("1/a.jpg", (500, 4, 20, 10), 1, 0.8), ("1/b.jpg", (38, 28, 20, 10), 2, -0.6)]
    )
    ds = load_dataset(path, "affectnet", val_fraction=0.0)
    with pytest.raises(FacepsychError, match=r"face box \(x=500, y=4, w=20, h=10\) lies outside"):
        ds.load_image("1/a.jpg")
    assert ds.load_image("1/b.jpg").size == (20, 10)  # partly outside: still cropped
