"""configs/real-weights.yaml: validates as shipped, and runs end to end at a tiny scale (counts
overridden here, not in the file): every panel net and its random twin on face chips."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml

from facepsych.experiment import config_from_dict, expand_grid, load_config

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "real-weights.yaml"
PANEL = {
    "mobilenet_v2": ("imagenet", "object"),
    "efficientnet-lite0": ("imagenet", "object"),
    "dlib-resnet": ("dlib", "face"),
    "inception-resnet-v1": ("casia-webface", "face"),
}


def test_real_weights_config_validates():
    cfg = load_config(CONFIG)
    cells = expand_grid(cfg)
    assert cfg.data.crop == "face"
    assert cfg.stimuli.conditions == ["full", "eyes", "nose", "mouth"]
    for arch, (weights, domain) in PANEL.items():
        mine = [c for c in cells if c.arch == arch]
        assert {(c.weights, c.domain) for c in mine} == {(weights, domain), ("random", "none")}
        assert sorted({c.seed for c in mine}) == [0, 1, 2]  # >= 3 head seeds
    assert len(cells) == 4 * 2 * 3


@pytest.mark.slow
def test_real_weights_config_runs_at_a_tiny_scale(tmp_path):
    from facepsych.study import run_study

    raw = copy.deepcopy(yaml.safe_load(CONFIG.read_text()))
    raw["data"]["synthetic"].update({"identities": 4, "images_per_identity": 4, "image_size": 64})
    raw["stimuli"]["continua"][0]["synthetic"].update(
        {"identities": 1, "steps": 3, "image_size": 64}
    )
    for m in raw["models"]:
        m["seeds"] = [0]
    raw["training"].update({"epochs": 1, "batch_size": 8, "hidden": 8})
    raw["analysis"]["fit"]["bootstrap"] = 0
    raw["analysis"]["cam"]["conditions"] = ["full"]
    cfg = config_from_dict(raw, base_dir=CONFIG.parent)
    run = run_study(cfg, tmp_path / "run", progress=False, log=lambda msg: None)
    preds = pd.read_csv(run / "predictions.csv")
    assert len(preds) == 8 * 4 * 3  # 8 cells × 4 conditions × 3 steps
    got = set(zip(preds["arch"], preds["weights"], preds["domain"], strict=True))
    want = {(a, w, d) for a, (w, d) in PANEL.items()} | {(a, "random", "none") for a in PANEL}
    assert got == want
    regions = pd.read_csv(run / "regions.csv")
    assert set(regions["arch"]) == set(PANEL) and "domain" in regions.columns
