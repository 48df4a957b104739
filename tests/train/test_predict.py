from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from facepsych.errors import FacepsychError
from facepsych.train import TrainConfig, collect_images, load_run, predict_images, train_valence
from facepsych.train.predict import predict_to_csv

from .conftest import striped_image


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from facepsych.data import load_dataset

    from .conftest import write_striped_folder

    base = tmp_path_factory.mktemp("predict")
    ds = load_dataset(write_striped_folder(base / "data"), "folder", val_fraction=0.25)
    cfg = TrainConfig(
        epochs=2, batch_size=8, lr=1e-3, image_size=64, cache_dir=str(base / "c"), progress=False
    )
    spec = {"arch": "alexnet", "weights": "random", "hidden": 16}
    train_valence(spec, ds, base / "run", cfg)
    return base / "run"


def test_predict_images_is_softmax_of_the_loaded_net(run_dir, tmp_path):
    net = load_run(run_dir)
    images = [striped_image(k % 2, 500 + k) for k in range(5)]
    paths = []
    for k, img in enumerate(images):
        img.save(tmp_path / f"{k}.png")
        paths.append(tmp_path / f"{k}.png")
    p = predict_images(net, images, batch_size=2)
    with torch.no_grad():
        ref = torch.softmax(net(net.preprocessing.batch(images)), 1)[:, 1].numpy()
    assert p.shape == (5,)
    np.testing.assert_allclose(p, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predict_images(net, paths), p, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predict_images(net, [str(x) for x in paths[::-1]]), p[::-1], 1e-5)


def test_predict_csv_for_a_continuum_folder(run_dir, tmp_path):
    from facepsych.stimuli import write_continuum

    folder = tmp_path / "cont"
    frames = [striped_image(1, k) for k in range(3)]
    points = [np.zeros((3, 2)) for _ in frames]
    levels = [0.0, 0.5, 1.0]
    write_continuum(folder, frames, points, levels, scheme="generic")
    out = tmp_path / "preds.csv"
    table = predict_to_csv(run_dir, folder, out)
    saved = pd.read_csv(out)
    assert list(saved.columns)[:4] == ["image", "p_positive", "predicted_label", "level"]
    assert saved["level"].tolist() == levels
    assert saved["image"].str.endswith(("step_00.png", "step_01.png", "step_02.png")).all()
    expected = np.where(saved["p_positive"] >= 0.5, "positive", "negative")
    assert saved["predicted_label"].tolist() == expected.tolist()
    assert len(table) == 3


def test_collect_images_from_nested_continuum_folders(tmp_path):
    """Regression (QA): `facepsych synth continuum --occlude` writes ID/full, ID/eyes, ...;
    `facepsych predict --images` on the parent folder must keep level, condition and the
    continuum name (it used to return bare images without levels, which `fit` cannot use)."""
    from facepsych.stimuli import write_continuum

    frames = [striped_image(1, k) for k in range(3)]
    points = [np.zeros((3, 2)) for _ in frames]
    for ident in ("id_b", "id_a"):
        write_continuum(tmp_path / ident / "full", frames, points, [0, 0.5, 1], scheme="generic")
        write_continuum(
            tmp_path / ident / "eyes", frames, points, [0, 0.5, 1], scheme="generic",
            condition="eyes",
        )  # fmt: skip
    files, extra = collect_images(tmp_path)
    assert len(files) == 12 and set(extra) == {"level", "condition", "continuum"}
    assert extra["continuum"] == ["id_a"] * 6 + ["id_b"] * 6
    assert extra["condition"][:6] == ["eyes"] * 3 + ["full"] * 3
    assert extra["level"][:3] == [0.0, 0.5, 1.0]
    assert files[0] == tmp_path / "id_a" / "eyes" / "step_00.png"
    files, extra = collect_images(tmp_path / "id_a")
    assert extra["continuum"] == ["id_a"] * 6


def test_collect_images_from_an_indexed_manifest(tmp_path):
    """Regression (QA): `facepsych continuum DIR --out set.csv` writes a manifest elsewhere;
    `facepsych predict --images set.csv` read it as a plain list and dropped the levels."""
    from facepsych.stimuli.continuum import index_continuum

    (tmp_path / "F").mkdir()
    for i in range(5):
        striped_image(1, i).save(tmp_path / "F" / f"F_{i:03d}.png")
    manifest = index_continuum(tmp_path / "F", tmp_path / "set.csv", reverse=True)
    files, extra = collect_images(manifest)
    assert files[0].name == "F_004.png" and files[-1].name == "F_000.png"
    assert extra["level"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert extra["condition"] == ["full"] * 5


def test_collect_images_from_folder_and_lists(tmp_path):
    for name in ("b.png", "a.jpg", "sub/c.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        striped_image(0, 1).save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("a.jpg\nsub/c.png\n")
    (tmp_path / "list.csv").write_text("image\nb.png\n")
    files, extra = collect_images(tmp_path)
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.jpg", "b.png", "sub/c.png"]
    assert extra == {}
    assert collect_images(tmp_path / "notes.txt")[0] == [tmp_path / "a.jpg", tmp_path / "sub/c.png"]
    assert collect_images(tmp_path / "list.csv")[0] == [tmp_path / "b.png"]
    with pytest.raises(FacepsychError, match="images not found"):
        collect_images(tmp_path / "nope")


def test_unreadable_image_and_not_a_run(run_dir, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    with pytest.raises(FacepsychError, match="cannot read image .*bad.png"):
        predict_images(load_run(run_dir), [bad])
    with pytest.raises(FacepsychError, match="not a finished training run"):
        load_run(tmp_path)
