"""facepsych.csvfiles: binary files and unparsable CSVs are one line naming the file, through
every command that reads a user's CSV."""

from __future__ import annotations

import pytest

from facepsych.csvfiles import read_csv
from facepsych.errors import FacepsychError
from tests.cli_run import run

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"


def test_a_binary_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "face.csv"
    path.write_bytes(PNG)
    with pytest.raises(FacepsychError, match=r"face.csv is not a text table \(binary content\)$"):
        read_csv(path)


def test_text_parses_and_broken_text_is_one_line(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("level,p\n0,0.1\n1,0.9\n")
    assert read_csv(good)["p"].tolist() == [0.1, 0.9]
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(FacepsychError, match=r"^cannot read .*empty.csv as CSV: No columns"):
        read_csv(empty)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("level,p\n0,0.5\ncaf\xe9,1\n".encode("latin-1"))
    with pytest.raises(FacepsychError, match=r"^cannot read .*latin.csv as CSV"):
        read_csv(latin)


@pytest.mark.parametrize(
    "argv",
    [
        ["fit", "{f}"],
        ["fit", "--human", "{f}"],
        ["fit", "--human", "{f}", "--format", "psychopy"],
        ["compare", "--model", "{f}"],
    ],
)
def test_every_command_reading_a_csv_refuses_a_binary_file(tmp_path, capsys, argv):
    f = tmp_path / "trials.csv"
    f.write_bytes(PNG)
    code, _, err = run([a.format(f=f) for a in argv], capsys)
    assert code == 2 and err.strip() == f"error: {f} is not a text table (binary content)"


def test_fixations_and_image_lists_refuse_a_binary_file(tmp_path):
    from facepsych.attention.fixations import load_fixations
    from facepsych.train.predict import collect_images

    f = tmp_path / "fix.csv"
    f.write_bytes(PNG)
    with pytest.raises(FacepsychError, match=r"fix.csv is not a text table"):
        load_fixations(f)
    with pytest.raises(FacepsychError, match=r"fix.csv is not a text table"):
        collect_images(f)
