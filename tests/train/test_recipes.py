"""--crop face through the command line: train records the crop, predict and cam reuse it, and
the network sees the chips (spied at the preprocessing), not the full frames."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from facepsych.cli import main
from facepsych.models.preprocessing import Preprocessing
from facepsych.synthetic import write_expression_set, write_synthetic_continuum

CHIP = 48  # the chip size these tests ask for; the lab frames are 80 px


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    data = root / "faces"
    write_expression_set(data, n_identities=4, per_identity=4, size=80, progress=False)
    cont = write_synthetic_continuum(root / "cont", 100_000, steps=3, size=80)
    return data, cont


@pytest.fixture(scope="module")
def face_run(lab, tmp_path_factory):
    from facepsych.train import TrainConfig
    from facepsych.train.recipes import train_from_path

    data, _ = lab
    run = tmp_path_factory.mktemp("runs") / "run"
    config = TrainConfig(epochs=1, batch_size=8, image_size=64, cache=False, progress=False)
    train_from_path(
        "alexnet", "random", data, "folder", run, hidden=8, config=config,
        crop={"mode": "face", "size": CHIP},
    )  # fmt: skip
    return run


@pytest.fixture
def seen(monkeypatch):
    """The sizes of the images the network's preprocessing receives."""
    sizes: list[tuple[int, int]] = []
    original = Preprocessing.batch

    def spy(self, images):
        sizes.extend(img.size for img in images)
        return original(self, images)

    monkeypatch.setattr(Preprocessing, "batch", spy)
    return sizes


def test_train_records_the_crop(face_run):
    config = json.loads((face_run / "config.json").read_text())
    assert config["crop"]["mode"] == "face" and config["crop"]["size"] == CHIP


def test_predict_reuses_the_runs_crop(face_run, lab, seen, capsys):
    _, cont = lab
    main(["predict", str(face_run), "--images", str(cont)])
    assert "3 images" in capsys.readouterr().out
    table = pd.read_csv(face_run / "predictions.csv")  # the default --out
    assert list(table["level"]) == [0.0, 0.5, 1.0]
    assert seen == [(CHIP, CHIP)] * 3  # chips, not the 80 px frames
    seen.clear()
    out = face_run / "full.csv"
    main(["predict", str(face_run), "--images", str(cont), "--crop", "none", "--out", str(out)])
    assert seen == [(80, 80)] * 3


def test_cam_reuses_the_crop_and_moves_landmarks_into_the_chip(face_run, lab, seen):
    _, cont = lab
    main(["cam", str(face_run), "--images", str(cont), "--regions", "landmarks"])
    assert seen and set(seen) == {(CHIP, CHIP)}
    arrays = np.load(face_run / "cams" / "cams.npz")
    assert arrays["sizes"].tolist() == [[CHIP, CHIP]] * 3
    regions = pd.read_csv(face_run / "cams" / "regions.csv")
    fused = regions[regions["layer"] == "fused"]
    # chip landmarks put the regions on the face: the three regions hold real CAM mass
    assert (fused[["eyes", "nose", "mouth"]].sum(axis=1) > 0.05).all()


def test_crop_face_on_faceless_images_is_one_line_or_skipped(lab, tmp_path, capsys):
    data, _ = lab
    mixed = tmp_path / "mixed"
    import shutil

    shutil.copytree(data, mixed)
    Image.new("RGB", (80, 80), (128, 128, 128)).save(mixed / "positive" / "grey.png")
    with open(mixed / "labels.csv", "a") as fh:
        fh.write("positive/grey.png,1,grey,train\n")
    argv = ["train", "--arch", "alexnet", "--weights", "random", "--data", str(mixed),
            "--format", "folder", "--crop", "face", "--epochs", "1", "--hidden", "8",
            "--image-size", "64", "--no-cache"]  # fmt: skip
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--out", str(tmp_path / "r1")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "grey.png" in err and err.count("\n") == 1
    main([*argv, "--out", str(tmp_path / "r2"), "--skip-bad"])
    assert "1 skipped" in capsys.readouterr().out
    skipped = pd.read_csv(tmp_path / "r2" / "skipped.csv")
    assert skipped.iloc[0].astype(str).str.contains("grey.png").any()
