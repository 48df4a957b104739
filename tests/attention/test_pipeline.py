"""``facepsych cam`` end to end (tiny images, fixtures in conftest.py), and a real-photo smoke
test on ../shared/data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facepsych.attention import (
    collect_images,
    default_cam_layer,
    run_cams,
)
from facepsych.attention.regions import REGION_COLUMNS
from facepsych.cli import main
from tests.attention.conftest import cli as _cli


def test_cam_command_writes_maps_regions_and_figures(run_dir, continua, tmp_path, capsys):
    out = tmp_path / "cams"
    main([
        "cam", str(run_dir), "--images", str(continua), "--out", str(out),
        "--layers", "features.8", "--layers", "features.11", "--regions", "landmarks",
        "--batch-size", "4",
    ])  # fmt: skip
    assert "wrote" in capsys.readouterr().out
    with np.load(out / "cams.npz") as data:
        names = list(data["images"])
        assert names[0] == "eyes/step_00.png" and len(names) == 6
        assert data["maps"].shape == (6, 64, 64)
        assert data["raw/features.11"].shape == (6, 3, 3)  # AlexNet conv5 at 64 px
        assert data["raw/features.8"].shape == (6, 3, 3)
        assert list(data["levels"][:3]) == [0.0, 0.5, 1.0]
        assert tuple(data["sizes"][0]) == (48, 48)
        assert np.all((data["p_positive"] >= 0) & (data["p_positive"] <= 1))
    table = pd.read_csv(out / "regions.csv")
    assert list(table.columns) == list(REGION_COLUMNS)
    assert set(table["layer"]) == {"fused", "features.8", "features.11"}
    assert set(table["condition"]) == {"full", "eyes"}
    parts = table[["eyes", "nose", "mouth", "other"]].sum(axis=1)
    np.testing.assert_allclose(parts, 1.0)
    prof = pd.read_csv(out / "profiles.csv")
    assert len(prof) == 6 and set(prof["peak_region"]) <= {"eyes", "nose", "mouth", "other"}
    assert prof["peak_row"].between(0, 63).all()
    for name in ("cam_grid.png", "region_shares.png", "overlays/full__step_02.png"):
        assert (out / name).stat().st_size > 0


def test_collect_images_finds_continua_at_any_depth(continua, tmp_path):
    """Regression (QA): `facepsych synth continuum --occlude` writes ID/full, ID/eyes, ...;
    `facepsych cam --images` on that output folder said 'no images'."""
    import shutil

    for ident in ("n1", "n2"):
        shutil.copytree(continua, tmp_path / "set" / ident)
    items = collect_images(tmp_path / "set")
    assert len(items) == 12
    assert items[0].name == "n1/eyes/step_00.png" and items[0].condition == "eyes"
    assert items[-1].name == "n2/full/step_02.png" and items[-1].level == 1.0
    assert all(it.landmarks is not None for it in items)


def test_cam_grid_rows_never_mix_continua(run_dir, continua, tmp_path, monkeypatch):
    """Regression (QA): with several identities (ID/full, ID/eyes, ...) the grid had one row per
    condition holding the steps of every identity; now one row per continuum folder."""
    import shutil

    import facepsych.attention.plots as figures

    seen = {}

    def fake_grid(cells, path, *, row_labels, col_labels, title):
        seen.update(rows=list(row_labels), lengths=[len(c) for c in cells], cols=list(col_labels))

    monkeypatch.setattr(figures, "cam_grid", fake_grid)
    for ident in ("n1", "n2"):
        shutil.copytree(continua, tmp_path / "set" / ident)
    run_cams(run_dir, tmp_path / "set", tmp_path / "out")
    assert seen["rows"] == ["n1/eyes", "n1/full", "n2/eyes", "n2/full"]
    assert seen["lengths"] == [3, 3, 3, 3] and seen["cols"] == ["0.00", "0.50", "1.00"]


def test_collect_images_from_a_manifest_file(continua):
    """Regression (QA): a continuum manifest.csv given directly was refused as 'not an image'."""
    items = collect_images(continua / "eyes" / "manifest.csv")
    assert [it.level for it in items] == [0.0, 0.5, 1.0] and items[0].condition == "eyes"
    assert items[0].name == "step_00.png" and items[0].landmarks is not None


def test_cam_library_equals_engine(run_dir, continua, tmp_path):
    """The file workflow stores what the engine computes (gradcam, class 0, one continuum)."""
    from facepsych.attention import compute_cams
    from facepsych.train import load_run

    out = run_cams(run_dir, continua / "full", tmp_path / "o", method="gradcam", target="0",
                   overlays=False)  # fmt: skip
    net = load_run(run_dir)
    items = collect_images(continua / "full")
    from PIL import Image

    x = net.preprocessing.batch([Image.open(it.path).convert("RGB") for it in items])
    ref = compute_cams(net, x, method="gradcam", layers=(default_cam_layer(net),), target=0)
    with np.load(out / "cams.npz") as data:
        np.testing.assert_allclose(data["maps"], ref.maps.numpy(), atol=1e-5)
        assert list(data["targets"]) == [0, 0, 0]
    assert not (out / "overlays").exists()


def test_cam_errors(run_dir, continua, tmp_path, capsys):
    code, io = _cli(["cam", str(run_dir), "--images", str(continua), "--out", str(tmp_path),
                     "--layers", "features.42"], capsys)  # fmt: skip
    assert code == 2 and io.err.startswith("error: unknown layer 'features.42'; valid layers:")
    assert io.err.count("\n") == 1
    plain = tmp_path / "plain"
    plain.mkdir()
    from PIL import Image

    Image.new("RGB", (20, 20)).save(plain / "a.png")
    code, io = _cli(["cam", str(run_dir), "--images", str(plain), "--out", str(tmp_path / "o"),
                     "--regions", "landmarks"], capsys)  # fmt: skip
    assert code == 2 and "a.png has no landmarks" in io.err
    code, io = _cli(["cam", str(tmp_path), "--images", str(plain), "--out", str(tmp_path / "o")],
                    capsys)  # fmt: skip
    assert code == 2 and "not a finished training run" in io.err


def test_cam_layers_space_separated_as_in_the_contract(run_dir, continua, tmp_path, capsys):
    """Regression (QA): the issue's form `--layers features.11 ...` must take several names
    after one --layers; a stray positional without --layers is still an error."""
    out = tmp_path / "cams"
    main(["cam", str(run_dir), "--images", str(continua / "full"), "--out", str(out),
          "--layers", "features.8", "features.11", "--target", "0"])  # fmt: skip
    with np.load(out / "cams.npz") as data:
        assert list(data["layers"]) == ["features.8", "features.11"]
    code, io = _cli(["cam", str(run_dir), "stray", "--images", str(continua), "--out",
                     str(tmp_path / "o")], capsys)  # fmt: skip
    assert code == 2 and io.err == "error: unexpected argument(s): stray\n"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--target", "7"], "error: target class out of range"),
        (["--target", "banana"], "error: unknown target 'banana'"),
        (["--method", "foo"], "error: unknown CAM method 'foo'"),
        (["--layers", "classifier.1"], "error: layer 'classifier.1' outputs"),
    ],
)
def test_cam_bad_option_writes_nothing(run_dir, continua, tmp_path, capsys, option, message):
    """Regression (QA): these errors used to leave an empty output folder behind."""
    out = tmp_path / "cams"
    code, io = _cli(["cam", str(run_dir), "--images", str(continua), "--out", str(out), *option],
                    capsys)  # fmt: skip
    assert code == 2 and io.err.startswith(message) and io.err.count("\n") == 1
    assert not out.exists()


def test_real_photos_smoke(london_faces, tmp_path):
    """Real London-set photos with their webmorph189 templates: landmark regions are sane and the
    shares of a CAM are a distribution (random AlexNet weights: no claim about where it looks)."""
    from PIL import Image

    from facepsych.attention import compute_cams, landmark_masks, region_shares
    from facepsych.models import build_model
    from facepsych.stimuli import read_landmarks

    net = build_model("alexnet", "random", hidden=8, seed=0)
    ids = ["001", "002"]
    pils = [Image.open(london_faces / "neutral" / f"{i}.jpg").convert("RGB") for i in ids]
    res = compute_cams(net, net.preprocessing.batch(pils), layers=("features.8", "features.11"))
    for i, img, cam in zip(ids, pils, res.maps, strict=True):
        lm = read_landmarks(london_faces / "neutral" / f"{i}.tem")
        masks = landmark_masks(lm.points, lm.scheme, tuple(cam.shape), frame_size=img.size)
        rows_eyes = np.nonzero(masks["eyes"].any(1))[0]
        rows_mouth = np.nonzero(masks["mouth"].any(1))[0]
        assert rows_eyes.size and rows_mouth.size and rows_eyes.mean() < rows_mouth.mean()
        shares = region_shares(cam, masks)
        total = shares["eyes"] + shares["nose"] + shares["mouth"] + shares["other"]
        assert total == pytest.approx(1.0) and 0 <= shares["diagnostic_ratio"] <= 1


def test_cam_command_on_a_real_morph_continuum(london_faces, run_dir, tmp_path, capsys):
    """London faces 001 -> 002 (webmorph189 templates), 3 morph steps at 128 px, landmark regions
    through the CLI: the region table is complete and every share row is a distribution."""
    from facepsych.stimuli import morph_continuum, read_landmarks, write_continuum

    nd = london_faces / "neutral"
    pts = [read_landmarks(nd / f"{i}.tem") for i in ("001", "002")]
    frames = morph_continuum(nd / "001.jpg", nd / "002.jpg", pts[0].points, pts[1].points,
                             steps=3, size=128)  # fmt: skip
    cont = tmp_path / "london"
    write_continuum(cont, [f for f, _ in frames], [p for _, p in frames], [0.0, 0.5, 1.0],
                    scheme="webmorph189")  # fmt: skip
    out = tmp_path / "out"
    main(["cam", str(run_dir), "--images", str(cont), "--out", str(out), "--regions", "landmarks"])
    table = pd.read_csv(out / "regions.csv")
    assert len(table) == 3 and table["level"].tolist() == [0.0, 0.5, 1.0]
    parts = table[["eyes", "nose", "mouth", "other"]]
    np.testing.assert_allclose(parts.sum(axis=1), 1.0)
    assert (parts[["eyes", "nose", "mouth"]] > 0).all().all()  # every region holds some mass


def _sixteen_bit(tmp_path):
    """A 16-bit greyscale PNG (``I;16``, values far above 255) and its 8-bit scaling."""
    from PIL import Image

    rng = np.random.default_rng(0)
    grey16 = rng.integers(20_000, 65_535, size=(40, 40), dtype=np.uint16)
    img = Image.fromarray(grey16)
    assert img.mode == "I;16"
    (tmp_path / "deep").mkdir()
    (tmp_path / "flat").mkdir()
    img.save(tmp_path / "deep" / "face.png")
    grey8 = np.round(grey16 * (255 / 65535)).astype(np.uint8)
    Image.fromarray(grey8).convert("RGB").save(tmp_path / "flat" / "face.png")
    return tmp_path / "deep" / "face.png", tmp_path / "flat" / "face.png"


def test_a_16_bit_png_is_scaled_not_clipped_through_facepsych_cam(run_dir, tmp_path, capsys):
    """PIL's convert("RGB") clips I;16 to white; through the one decoder the CAM of the 16-bit
    image is the CAM of its 8-bit scaling, and not the CAM of a white frame."""
    from PIL import Image

    deep, flat = _sixteen_bit(tmp_path)
    Image.new("RGB", (40, 40), "white").save(tmp_path / "white.png")
    maps = {}
    for key, image in (("deep", deep), ("flat", flat), ("white", tmp_path / "white.png")):
        out = tmp_path / f"cams-{key}"
        main(["cam", str(run_dir), "--images", str(image), "--out", str(out)])
        with np.load(out / "cams.npz") as data:
            maps[key] = data["maps"][0]
            assert data["sizes"].tolist() == [[40, 40]]
    np.testing.assert_allclose(maps["deep"], maps["flat"], atol=1e-6)
    assert not np.allclose(maps["deep"], maps["white"], atol=1e-3)


def test_a_16_bit_image_is_scaled_on_the_predict_path(tmp_path):
    """The same scaling on the model's own preprocessing (predict / pretrain inputs)."""
    from PIL import Image

    from facepsych.models.preprocessing import preprocessing_for

    deep, flat = _sixteen_bit(tmp_path)
    prep = preprocessing_for("imagenet", 32)
    with Image.open(deep) as a, Image.open(flat) as b:
        np.testing.assert_allclose(prep.array(a), prep.array(b), atol=1e-6)


def test_cam_outputs_are_written_atomically(run_dir, continua, tmp_path, monkeypatch, capsys):
    """Disk full while the CAM tables are written: one line naming the file, and no partial
    file left (the temp file is removed)."""
    import errno

    def full(self, path, *args, **kwargs):
        open(path, "w").close()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    out = tmp_path / "o"
    code, io = _cli(["cam", str(run_dir), "--images", str(continua / "full"), "--out", str(out)],
                    capsys)  # fmt: skip
    assert code == 2 and io.err == f"error: {out / 'regions.csv'}: no space left on the device\n"
    assert list(out.iterdir()) == []
