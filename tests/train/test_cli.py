from __future__ import annotations

import pandas as pd
import pytest

from facepsych.cli import main


def test_train_then_predict(striped_dir, tmp_path, capsys):
    run = tmp_path / "run"
    main(
        [
            "train", "--arch", "alexnet", "--weights", "random", "--data", str(striped_dir),
            "--format", "folder", "--epochs", "2", "--batch-size", "8", "--lr", "0.001",
            "--image-size", "64", "--hidden", "16", "--seed", "1", "--out", str(run),
            "--cache-dir", str(tmp_path / "cache"),
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "best epoch" in out and "(cached, 24 train / 8 val, 0 skipped)" in out
    assert (run / "best.pt").is_file() and (run / "metrics.csv").is_file()
    preds = tmp_path / "preds.csv"
    main(["predict", str(run), "--images", str(striped_dir / "img"), "--out", str(preds)])
    table = pd.read_csv(preds)
    assert list(table.columns) == ["image", "p_positive", "predicted_label"]
    assert len(table) == 32 and table["p_positive"].between(0, 1).all()


def test_user_errors_exit_2_with_one_line(striped_dir, tmp_path, capsys):
    args = ["train", "--arch", "alexnet", "--weights", "random", "--data", str(striped_dir)]
    with pytest.raises(SystemExit) as exc:
        main([*args, "--format", "csv", "--out", str(tmp_path / "r")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err == (
        "error: unknown dataset format 'csv' (use affectnet, fer2013, facial_expressions, folder)\n"
    )
    with pytest.raises(SystemExit) as exc:
        main(["predict", str(tmp_path), "--images", str(striped_dir), "--out", "x.csv"])
    assert exc.value.code == 2
    assert "not a finished training run" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--arch", "resnet50"], "error: architecture 'resnet50' is not supported"),
        (["--weights", "file:nope.pth"], "error: weight file not found: nope.pth"),
        (["--image-size", "32"], "error: alexnet cannot run at 32x32 px"),
        (["--device", "banana"], "error: unknown device 'banana'"),
        pytest.param(
            ["--device", "cuda"],
            "error: device 'cuda' asked for, but no CUDA GPU is available here",
            marks=pytest.mark.skipif(
                __import__("torch").cuda.is_available(), reason="a GPU is present"
            ),
        ),
    ],
)
def test_bad_model_leaves_no_run_folder(striped_dir, tmp_path, capsys, option, message):
    """Regression (QA): an unknown arch or a bad weight file used to leave an empty run folder;
    an image size too small for the arch gave a pooling traceback mid-extraction; --device cuda
    without a GPU gave a CUDA driver traceback."""
    run = tmp_path / "r"
    args = ["train", "--arch", "alexnet", "--weights", "random", "--data", str(striped_dir),
            "--format", "folder", "--epochs", "1", "--out", str(run)]  # fmt: skip
    with pytest.raises(SystemExit) as exc:
        main([*args, *option])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.startswith(message) and err.count("\n") == 1
    assert not run.exists()
