from __future__ import annotations

import json

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


@pytest.mark.slow
def test_train_extracts_on_ray_as_it_does_locally(local_ray, striped_dir, tmp_path, capsys):
    args = ["train", "--arch", "alexnet", "--weights", "random", "--data", str(striped_dir),
            "--format", "folder", "--epochs", "2", "--batch-size", "8", "--lr", "0.001",
            "--image-size", "64", "--hidden", "16", "--seed", "1"]  # fmt: skip
    main([*args, "--out", str(tmp_path / "here"), "--cache-dir", str(tmp_path / "c1")])
    main([*args, "--out", str(tmp_path / "ray"), "--cache-dir", str(tmp_path / "c2"),
          "--extract-executor", "ray"])  # fmt: skip
    here, ray = (pd.read_csv(tmp_path / r / "metrics.csv") for r in ("here", "ray"))
    cols = ["train_loss", "train_acc", "val_loss", "val_acc"]
    pd.testing.assert_frame_equal(here[cols], ray[cols])
    config = json.loads((tmp_path / "ray" / "config.json").read_text())
    assert config["train"]["extract_executor"] == "ray"
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main([*args, "--out", str(tmp_path / "x"), "--extract-executor", "spark"])
    assert exc.value.code == 2
    assert capsys.readouterr().err == (
        "error: unknown extraction executor 'spark' (use local or ray)\n"
    )


def test_train_options_default_to_train_config():
    from dataclasses import fields

    import typer

    from facepsych.cli import app
    from facepsych.train import TrainConfig

    options = {p.name: p.default for p in typer.main.get_command(app).commands["train"].params}
    defaults = {f.name: f.default for f in fields(TrainConfig)}
    shared = set(options) & set(defaults) - {"device"}
    assert shared == {"epochs", "batch_size", "lr", "image_size", "seed", "balance", "augment",
                      "cache_dir", "cache_dtype", "standardize", "extract_executor",
                      "extract_workers"}  # fmt: skip
    assert {k: options[k] for k in shared} == {k: defaults[k] for k in shared}
    assert options["no_cache"] is (not defaults["cache"])
    assert options["device"] == "auto"  # the CLI's one own default, as the study's
