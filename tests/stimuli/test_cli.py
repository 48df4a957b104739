"""The issue-5 commands: facepsych landmarks, morph, occlude, continuum."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from facepsych.stimuli import load_continuum, write_landmarks
from tests.cli_run import run
from tests.stimuli.faces import ibug_face, textured_image


@pytest.fixture
def pair(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    Image.fromarray(textured_image(64, 1)).save(a)
    Image.fromarray(textured_image(64, 2)).save(b)
    write_landmarks(tmp_path / "a.csv", ibug_face(64))
    write_landmarks(tmp_path / "b.csv", ibug_face(64, smile=1))
    return a, b


def test_morph_occlude_continuum_chain(pair, tmp_path, capsys):
    a, b = pair
    code, out, _ = run(["morph", a, b, "--landmarks-a", tmp_path / "a.csv", "--landmarks-b",
                        tmp_path / "b.csv", "--steps", 5, "--size", 48, "--out", tmp_path / "m"],
                       capsys)  # fmt: skip
    assert code == 0 and "wrote 5 frames" in out
    cont = load_continuum(tmp_path / "m")
    assert len(cont) == 5 and Image.open(cont.frames[0]).size == (48, 48)

    code, out, _ = run(["occlude", tmp_path / "m", "--region", "eyes", "--fill", "blur", "--out",
                        tmp_path / "e"], capsys)  # fmt: skip
    assert code == 0 and load_continuum(tmp_path / "e").condition == "eyes"

    code, out, _ = run(["continuum", tmp_path / "m", "--reverse", "--every", 2, "--out",
                        tmp_path / "idx.csv"], capsys)  # fmt: skip
    assert code == 0
    idx = load_continuum(tmp_path / "idx.csv")
    assert [f.name for f in idx.frames] == ["step_04.png", "step_02.png", "step_00.png"]
    np.testing.assert_allclose(idx.levels, [0, 0.5, 1])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--steps", "1"], "error: steps must be an integer >= 2, got 1"),
        (
            ["--landmarks-b", "short.csv"],
            "error: landmark count mismatch: A has 68 points, B has 5",
        ),
        (
            ["--landmarks-b", "far.csv"],
            "error: 68 landmark(s) of image B lie outside the 64x64 image",
        ),
    ],
)
def test_morph_bad_input_one_line_nothing_written(pair, tmp_path, capsys, extra, message):
    a, b = pair
    write_landmarks(tmp_path / "short.csv", ibug_face(64)[:5])
    write_landmarks(tmp_path / "far.csv", ibug_face(64) + 500)
    extra = [str(tmp_path / e) if e.endswith(".csv") else e for e in extra]
    code, _, err = run(["morph", a, b, "--out", tmp_path / "out", *extra], capsys)
    assert code == 2 and err.strip() == message
    assert not (tmp_path / "out").exists()


def test_unreadable_image_and_occlude_without_landmarks(tmp_path, capsys):
    bad = tmp_path / "bad.jpg"
    bad.write_text("nope")
    code, _, err = run(["morph", bad, bad, "--out", tmp_path / "o"], capsys)
    assert code == 2 and err.strip() == f"error: cannot read image {bad} (UnidentifiedImageError)"
    img = tmp_path / "face.png"
    Image.fromarray(textured_image(32)).save(img)
    code, _, err = run(["occlude", img, "--region", "eyes", "--out", tmp_path / "o"], capsys)
    assert code == 2 and "no landmarks for" in err and err.count("\n") == 1
    code, out, _ = run(["occlude", img, "--region", "eyes", "--boxes", "companion", "--out",
                        tmp_path / "o"], capsys)  # fmt: skip
    assert code == 0 and (tmp_path / "o" / "face_eyes.png").is_file()


def test_landmarks_command_rejects_bad_suffix_before_detecting(tmp_path, capsys):
    img = tmp_path / "face.png"
    Image.fromarray(textured_image(32)).save(img)
    code, _, err = run(["landmarks", img, "--out", tmp_path / "x.doc"], capsys)
    assert code == 2 and "unknown landmark file type '.doc'" in err


def test_landmarks_command_on_a_real_face(london_faces, tmp_path, capsys):
    pytest.importorskip("dlib")
    pytest.importorskip("face_recognition_models")
    code, out, _ = run(["landmarks", london_faces / "smiling" / "002.jpg", "--out",
                        tmp_path / "s.tem"], capsys)  # fmt: skip
    assert code == 0 and "wrote 68 landmarks" in out
    assert (tmp_path / "s.tem").read_text().startswith("68\n")


def _morph(pair, tmp_path, capsys, out, steps=5):
    a, b = pair
    return run(["morph", a, b, "--landmarks-a", tmp_path / "a.csv", "--landmarks-b",
                tmp_path / "b.csv", "--steps", steps, "--size", 32, "--out", out],
               capsys)  # fmt: skip


@pytest.mark.parametrize(
    ("out", "what"),
    [("m", "is the input"), ("m/eyes", "lies inside the input"), (".", "contains the input")],
)
def test_occlude_refuses_an_output_overlapping_its_source(pair, tmp_path, capsys, out, what):
    """Regression: `occlude C --region eyes --out C` overwrote the source continuum, exit 0."""
    assert _morph(pair, tmp_path, capsys, tmp_path / "m")[0] == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "m").iterdir()}
    code, _, err = run(["occlude", tmp_path / "m", "--region", "eyes", "--out", tmp_path / out],
                       capsys)  # fmt: skip
    assert code == 2 and what in err and err.count("\n") == 1
    assert {p.name: p.read_bytes() for p in (tmp_path / "m").iterdir()} == before


def test_morph_refuses_an_output_holding_its_inputs(pair, tmp_path, capsys):
    code, _, err = _morph(pair, tmp_path, capsys, tmp_path)
    assert code == 2 and err.strip() == (
        f"error: the output {tmp_path} contains the input {pair[0]}; choose another --out"
    )


def test_disk_full_mid_morph_keeps_the_old_continuum(pair, tmp_path, capsys, monkeypatch):
    """Regression: a morph into an existing continuum that failed part-way left a folder mixing
    two sets (and a traceback on ENOSPC)."""
    assert _morph(pair, tmp_path, capsys, tmp_path / "m", steps=3)[0] == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "m").iterdir()}
    real_save, calls = Image.Image.save, []

    def full_after_two(self, fp, *args, **kwargs):
        calls.append(fp)
        if len(calls) > 2:
            raise OSError(28, "No space left on device")
        return real_save(self, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", full_after_two)
    code, _, err = _morph(pair, tmp_path, capsys, tmp_path / "m", steps=7)
    monkeypatch.undo()
    assert code == 2 and err.strip() == f"error: {tmp_path / 'm'}: no space left on the device"
    assert {p.name: p.read_bytes() for p in (tmp_path / "m").iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if ".staging-" in p.name]
    assert len(load_continuum(tmp_path / "m")) == 3


def test_occlude_rejects_landmarks_outside_the_image(pair, tmp_path, capsys):
    """Regression: occlude accepted landmarks outside the image (morph refuses them)."""
    img = tmp_path / "face.png"
    Image.fromarray(textured_image(64)).save(img)
    write_landmarks(tmp_path / "big.csv", ibug_face(200))  # landmarks of a 200 px image
    code, _, err = run(["occlude", img, "--region", "eyes", "--landmarks", tmp_path / "big.csv",
                        "--out", tmp_path / "o"], capsys)  # fmt: skip
    assert code == 2 and err.strip().endswith("landmark(s) of face.png lie outside the 64x64 image")
    assert not (tmp_path / "o").exists()


def test_out_under_an_existing_file_says_so(pair, tmp_path, capsys):
    """Regression: `--out` under a file said 'File exists: <parent>'."""
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x")
    code, _, err = _morph(pair, tmp_path, capsys, blocker / "m")
    assert code == 2 and err == f"error: {blocker} is a file, not a folder\n"
    code, _, err = _morph(pair, tmp_path, capsys, blocker / "deeper" / "m")
    assert code == 2 and err == (
        f"error: cannot create {blocker / 'deeper'}: {blocker} is a file, not a folder\n"
    )
    assert blocker.read_text() == "x"
