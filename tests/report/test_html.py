"""report/html.py: the "Model attention vs human fixations" table from attention.csv."""

from __future__ import annotations

import numpy as np
import pandas as pd

from facepsych.report.html import _attention_table
from tests.experiment.studyfixtures import attention_rows


def test_table_html_has_one_row_per_series_and_nothing_without_rows():
    html = _attention_table(attention_rows(np.random.default_rng(0)))
    assert html.startswith("<h2>Model attention vs human fixations</h2>")
    assert html.count("<tr>") == 3 and "<th>AUC-Judd</th>" in html
    one = attention_rows(np.random.default_rng(0))
    one = one.query("image == 'a.png'")  # one image: no interval
    assert "[" not in _attention_table(one).split("</th></tr>")[1]
    assert _attention_table(pd.DataFrame()) == ""


def _run_folder(tmp_path):
    import json

    from facepsych.experiment.seriesfits import series_fits, with_series
    from tests.experiment import studyfixtures as sf

    preds = sf.predictions()
    preds.to_csv(tmp_path / "predictions.csv", index=False)
    with_series(pd.DataFrame(), series_fits(preds, sf.FIT)).to_csv(
        tmp_path / "fits.csv", index=False
    )
    keys = ["cell_id", "model", "arch", "weights", "variant", "seed", "continuum", "condition"]
    regions = preds[keys].drop_duplicates().assign(eyes=0.3, nose=0.2, mouth=0.1)
    regions.to_csv(tmp_path / "regions.csv", index=False)
    stimuli = [{"continuum": f"id{j}", "condition": "full"} for j in range(4)]
    manifest = {"status": "complete", "config": {"name": "panel", "analysis": {"fit": sf.FIT}},
                "cells": sf.cells(), "stimuli": stimuli}  # fmt: skip
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_first_screen_is_the_figure_and_the_net_table_before_any_details(tmp_path):
    from facepsych.report import build_report

    page = build_report(_run_folder(tmp_path)).read_text()
    fig, table = page.index("<figure class='answer'>"), page.index("<table class='answer'>")
    assert fig < table < page.index("<details")
    assert page.index("Object vs face pre-training") < page.index("<details")
    assert page.index("Where the nets look") < page.index("<details")
    assert "mobilenet_v2 · imagenet" in page and "<td class='l'>face</td>" in page
    assert "needs human trial data" in page  # published reference: no per-stimulus agreement
    assert "No package ships an ImageNet-trained and a face-trained net" in page
    assert (tmp_path / "figures" / "net_curves.png").is_file()


def test_bounds_read_as_one_sided_intervals():
    from facepsych.report.html import _ci, _ci2

    assert _ci(3.989, 3.989, np.inf, 2, "lower") == "≥ 3.99 [3.99, ∞)"
    assert _ci(-1.5, -np.inf, -0.25, 2, "upper") == "≤ -1.50 (−∞, -0.25]"
    both = _ci2(np.nan, np.nan, np.nan, 2, "both")
    assert both == "–<br><span class='ci'>both σ on the floor</span>"
    assert _ci(0.5, 0.4, 0.6, 1) == "0.5 [0.4, 0.6]" and _ci(0.5, np.nan, np.nan) == "0.50"
