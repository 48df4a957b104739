"""The demo: config validates in both sizes; `facepsych demo --quick` runs end to end (tiny)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from facepsych.experiment import config_from_dict, expand_grid
from facepsych.experiment.demo import demo_config, demo_config_path


def test_demo_config_is_packaged_and_valid():
    assert demo_config_path().is_file()
    full = config_from_dict(demo_config(), base_dir=demo_config_path().parent)
    quick = config_from_dict(demo_config(quick=True), base_dir=demo_config_path().parent)
    archs = {c.arch for c in expand_grid(full)}
    assert archs == {"alexnet", "vgg11", "vgg13", "vgg16", "fe-alexnet"}
    assert {c.arch for c in expand_grid(quick)} == {"alexnet", "fe-alexnet"}
    assert set(quick.pretrain) == {"object-alexnet", "face-alexnet"}
    # object- and face-based twins of every model (+ an untrained alexnet control),
    # fe-alexnet = pool5 with r = 16
    for cells in (expand_grid(full), expand_grid(quick)):
        assert {c.weights for c in cells if c.arch != "alexnet"} == {"object", "face"}
        assert {c.weights for c in cells if c.arch == "alexnet"} == {"object", "face", "random"}
        fe = [c for c in cells if c.arch == "fe-alexnet"]
        assert fe and all(c.excitation == ("pool5",) and c.reduction == 16 for c in fe)
    assert full.stimuli.conditions == ["full", "eyes", "nose", "mouth"]
    assert full.humans.source == "published"
    # every scale reduction is stated next to the paper's value
    rows = full.notes["scale"]
    assert rows and all({"setting", "this_run", "paper"} <= set(r) for r in rows)
    settings = {r["setting"] for r in rows}
    assert {"pre-training", "pre-training (vgg)", "feature standardisation"} <= settings
    # --quick keeps the alexnet rows and drops the vgg-only ones
    quick_rows = {r["setting"]: str(r["this_run"]) for r in quick.notes["scale"]}
    assert "pre-training" in quick_rows and "pre-training (vgg)" not in quick_rows
    assert not any("vgg" in v for k, v in quick_rows.items() if k != "architectures")
    # the demo's heads see standardised frozen features
    assert full.training.standardize is True


def test_unknown_scale():
    from facepsych.errors import FacepsychError

    with pytest.raises(
        FacepsychError, match="unknown demo scale 'huge' \\(choose default, tiny\\)"
    ):
        demo_config(scale="huge")


@pytest.mark.slow
def test_demo_quick_tiny_end_to_end(tmp_path, capsys):
    from facepsych.cli import main

    out = tmp_path / "demo"
    main(["demo", "--quick", "--scale", "tiny", "--out", str(out)])
    printed = capsys.readouterr().out
    assert f"report: {(out / 'report.html').resolve()}" in printed
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 6
    assert "Scale reductions" in html and "tiny test scale" in html
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["pretrained"]) == {"object-alexnet", "face-alexnet"}
    assert all(not p["cache_hit"] for p in manifest["pretrained"].values())
    preds = pd.read_csv(out / "predictions.csv")
    # 5 cells (alexnet × object, face, random; fe-alexnet × object, face)
    # × 2 continua × 4 conditions × 5 steps
    assert len(preds) == 5 * 2 * 4 * 5
    assert set(preds["condition"]) == {"full", "eyes", "nose", "mouth"}
