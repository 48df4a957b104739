"""`facepsych synth …` commands."""

from __future__ import annotations

import pytest

from facepsych.cli import main


def test_synth_faces_objects_continuum(tmp_path, capsys):
    main(
        [
            "synth",
            "faces",
            "--out",
            str(tmp_path / "f"),
            "--identities",
            "3",
            "--per-identity",
            "2",
            "--size",
            "32",
            "--sheet",
            str(tmp_path / "f.png"),
        ]
    )
    assert (tmp_path / "f" / "labels.csv").is_file() and (tmp_path / "f.png").is_file()
    main(
        [
            "synth",
            "faces",
            "--identity-set",
            "--out",
            str(tmp_path / "i"),
            "--identities",
            "2",
            "--per-identity",
            "2",
            "--size",
            "32",
        ]
    )
    assert len([d for d in (tmp_path / "i").iterdir() if d.is_dir()]) == 2
    main(
        [
            "synth",
            "objects",
            "--out",
            str(tmp_path / "o"),
            "--per-class",
            "1",
            "--size",
            "32",
            "--classes",
            "star,tree",
        ]
    )
    assert sorted(d.name for d in (tmp_path / "o").iterdir() if d.is_dir()) == ["star", "tree"]
    main(
        [
            "synth",
            "continuum",
            "--out",
            str(tmp_path / "c"),
            "--steps",
            "5",
            "--size",
            "48",
            "--weights",
            "brows=0,eyes=1,mouth=0",
            "--sheet",
            str(tmp_path / "c.png"),
        ]
    )
    assert len(list((tmp_path / "c").glob("step_*.png"))) == 5
    out = capsys.readouterr().out
    assert "wrote 6 faces of 3 identities" in out and "wrote 1 continuum folder(s)" in out


def test_synth_user_error_is_one_line_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["synth", "continuum", "--out", str(tmp_path), "--weights", "nose=1"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: unknown expression region(s): nose (use brows, eyes, mouth)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["continuum", "--steps", "1"], "error: a continuum needs at least 2 steps, got 1"),
        (["continuum", "--size", "8"], "error: image size must be at least 16 pixels, got 8"),
        (["faces", "--size", "8"], "error: image size must be at least 16 pixels, got 8"),
        (["faces", "--val-fraction", "1.5"], "error: val_fraction must be in [0, 1), got 1.5"),
        (
            ["faces", "--identity-set", "--nuisance", "-1"],
            "error: nuisance strength must be >= 0, got -1.0",
        ),
        (["objects", "--classes", "circle,foo"], "error: unknown object class 'foo'"),
    ],
)
def test_synth_bad_option_writes_nothing(tmp_path, capsys, args, message):
    """Regression (QA): these errors used to leave a (partly) created output folder behind,
    and --val-fraction 1.5 was accepted."""
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        main(["synth", *args, "--out", str(out)])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.startswith(message) and err.count("\n") == 1
    assert not out.exists()
