from __future__ import annotations

import numpy as np
import pytest

from facepsych.data import load_dataset
from facepsych.data.fer2013 import parse_pixels
from facepsych.errors import FacepsychError

from .conftest import write_csv


def _pixels(value: int, side: int = 48) -> str:
    return " ".join(str((value + i) % 256) for i in range(side * side))


def test_fer2013_rows_labels_and_usage(tmp_path):
    rows = [
        f"3,{_pixels(0)},Training",  # happy -> positive
        f"4,{_pixels(5)},Training",  # sad -> negative
        f"6,{_pixels(9)},Training",  # neutral -> excluded
        f"0,{_pixels(1)},PublicTest",  # anger -> negative, val
        f"3,{_pixels(2)},PrivateTest",  # happy, test
    ]
    path = write_csv(tmp_path / "fer2013.csv", "emotion,pixels,Usage", rows)
    ds = load_dataset(path, "fer2013")
    assert [(s.image_id, s.label, s.split) for s in ds] == [
        ("row2", 1, "train"),
        ("row3", 0, "train"),
        ("row5", 0, "val"),
        ("row6", 1, "test"),
    ]
    img = ds.load_image("row2")
    assert img.size == (48, 48) and img.mode == "RGB"
    arr = np.asarray(img)[:, :, 0].ravel()
    assert arr[:3].tolist() == [0, 1, 2] and arr[300] == 300 % 256


def test_fer2013_without_usage_gets_seeded_split(tmp_path):
    rows = [f"{3 if k % 2 else 4},{_pixels(k, 4)}" for k in range(10)]
    path = write_csv(tmp_path / "f.csv", "emotion,pixels", rows)
    ds = load_dataset(path, "fer2013", val_fraction=0.2, seed=0)
    assert ds.split("val").class_counts() == {"negative": 1, "positive": 1}


def test_fer2013_bad_pixels_and_codes(tmp_path):
    path = write_csv(tmp_path / "f.csv", "emotion,pixels,Usage", ["3,1 2 3,Training"])
    with pytest.raises(FacepsychError) as exc:
        load_dataset(path, "fer2013")
    assert str(exc.value) == (
        "f.csv line 2, column 'pixels': bad pixel string (3 values is not a square image) "
        "(use --skip-bad to skip bad inputs)"
    )
    path = write_csv(tmp_path / "f.csv", "emotion,pixels", [f"9,{_pixels(0, 2)}"])
    with pytest.raises(FacepsychError, match="f.csv line 2, column 'emotion': emotion '9'"):
        load_dataset(path, "fer2013")
    path = write_csv(tmp_path / "f.csv", "label,pixels", [f"3,{_pixels(0, 2)}"])
    with pytest.raises(FacepsychError, match=r"missing required column\(s\) emotion"):
        load_dataset(path, "fer2013")


def test_fer2013_skip_bad(tmp_path):
    rows = [f"3,{_pixels(0, 2)}", "4,1 2 x 4", f"4,{_pixels(0, 2)}", "3,999 0 0 0"]
    path = write_csv(tmp_path / "f.csv", "emotion,pixels", rows)
    ds = load_dataset(path, "fer2013", skip_bad=True, val_fraction=0.0)
    assert [s.image_id for s in ds] == ["row2", "row4"]
    assert [s["item"] for s in ds.skipped] == [
        "f.csv line 3, column 'pixels'",
        "f.csv line 5, column 'pixels'",
    ]


def test_parse_pixels_rejects_out_of_range():
    with pytest.raises(ValueError, match="outside 0-255"):
        parse_pixels("0 0 0 256")
    assert parse_pixels("0 1 2 3").tolist() == [[0, 1], [2, 3]]
