"""End to end: a tiny grid runs, every table is consistent, the report embeds the figures."""

from __future__ import annotations

import json
import re

import pandas as pd

from facepsych.experiment import config_from_dict, expand_grid


def test_every_file_exists(tiny_run):
    for name in ("manifest.json", "predictions.csv", "fits.csv", "humans.csv", "comparison.csv",
                 "regions.csv", "report.html"):  # fmt: skip
        assert (tiny_run / name).is_file(), name
    for fig in ("psychometric_full.png", "pse_zscores.png", "pse_occlusion_shift.png",
                "region_shares.png", "cam_grid.png", "learning_curves.png"):  # fmt: skip
        assert (tiny_run / "figures" / fig).stat().st_size > 1000, fig
    manifest = json.loads((tiny_run / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert set(manifest["versions"]) >= {"facepsych", "torch", "torchvision", "python"}
    for cell in manifest["cells"]:
        assert (tiny_run / "training" / cell["cell_id"] / "best.pt").is_file()
        assert (tiny_run / "training" / cell["cell_id"] / "metrics.csv").is_file()


def test_row_counts_match_the_grid(tiny_run):
    from tests.experiment.conftest import TINY

    cells = expand_grid(config_from_dict(TINY))
    n_cells, n_cont, n_cond, n_steps = len(cells), 1, 2, 5
    preds = pd.read_csv(tiny_run / "predictions.csv")
    assert len(preds) == n_cells * n_cont * n_cond * n_steps
    assert list(preds.columns[:12]) == [
        "cell_id", "model", "arch", "weights", "domain", "variant", "seed", "continuum",
        "condition", "level", "image", "p_positive",
    ]  # fmt: skip
    assert preds["p_positive"].between(0, 1).all()
    assert sorted(preds["level"].unique()) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert set(preds["cell_id"]) == {c.cell_id for c in cells}
    fits = pd.read_csv(tiny_run / "fits.csv")
    # one fit per cell × continuum × condition, then one series fit per net × condition
    n_nets = len({(c.model, c.weights, c.variant) for c in cells})
    assert list(fits["scope"]) == ["continuum"] * (n_cells * n_cont * n_cond) + ["series"] * (
        n_nets * n_cond
    )
    assert {"pse", "slope", "fit_ok", "reason"} <= set(fits.columns)
    comparison = pd.read_csv(tiny_run / "comparison.csv")
    assert list(comparison["scope"]) == list(fits["scope"])
    regions = pd.read_csv(tiny_run / "regions.csv")
    assert len(regions) == n_cells * n_cont * 2  # CAM steps 0 and 4, full faces only
    shares = regions[["eyes", "nose", "mouth", "other"]].sum(axis=1)
    assert shares.dropna().round(6).eq(1.0).all()
    # the merged table is exactly the cells' tables in grid order
    per_cell = pd.concat(
        [pd.read_csv(tiny_run / "cells" / c.cell_id / "predictions.csv") for c in cells],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(per_cell, preds)


def test_report_embeds_every_figure(tiny_run):
    html = (tiny_run / "report.html").read_text()
    pngs = sorted((tiny_run / "figures").glob("*.png"))
    embedded = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(embedded) == len(pngs) >= 6
    import base64

    assert {base64.b64decode(e)[:8] for e in embedded} == {b"\x89PNG\r\n\x1a\n"}
    assert "Human-likeness ranking" in html and "manifest.json" in html
    assert 'src="http' not in html and "<script" not in html  # self-contained, no network


def test_report_rebuilds_from_the_folder_alone(tiny_run, tmp_path):
    import shutil

    from facepsych.cli import main

    copy = tmp_path / "copy"
    shutil.copytree(tiny_run, copy)
    (copy / "report.html").unlink()
    shutil.rmtree(copy / "figures")
    hidden = tiny_run.with_name("hidden")
    tiny_run.rename(hidden)  # the copy must not need the original folder
    try:
        main(["report", str(copy)])
    finally:
        hidden.rename(tiny_run)
    assert (copy / "report.html").is_file()
    assert len(list((copy / "figures").glob("*.png"))) >= 6


def test_device_overrides_every_cell_and_keeps_the_fingerprint(tiny_config, tmp_path, monkeypatch):
    import facepsych.experiment.runner as runner

    seen = {}

    def stop(task, payloads, **kwargs):
        seen["devices"] = {p.cell.training["device"] for p in payloads}
        seen["ids"] = [p.cell_id for p in payloads]
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_cells", stop)
    cfg = config_from_dict(tiny_config)
    try:
        runner.run_experiment(cfg, tmp_path / "r", device="cpu", progress=False, report=None)
    except KeyboardInterrupt:
        pass
    assert seen["devices"] == {"cpu"}
    assert seen["ids"] == [c.cell_id for c in expand_grid(cfg)]
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["device"] == "cpu"
    assert manifest["config_fingerprint"] == cfg.fingerprint()
    assert manifest["config"]["training"]["device"] == "auto"
