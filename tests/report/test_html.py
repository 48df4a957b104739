"""report/html.py: the "Model attention vs human fixations" table from attention.csv."""

from __future__ import annotations

import numpy as np
import pandas as pd

from facepsych.report.html import _attention_table


def _att(rng) -> pd.DataFrame:
    rows = []
    for model, variant in (("alexnet", "plain"), ("fe-alexnet", "pool5-r16")):
        for seed in (0, 1):
            for step, image in ((0, "a.png"), (4, "b.png"), (8, "c.png")):
                rows.append({
                    "cell_id": f"{model}-{seed}", "model": model, "weights": "imagenet",
                    "variant": variant, "seed": seed, "continuum": "id1", "condition": "full",
                    "step": step, "image": image,
                    **{m: rng.normal() for m in ("nss", "cc", "sim", "kl_div", "auc_judd")},
                })  # fmt: skip
    return pd.DataFrame(rows)


def test_table_html_has_one_row_per_series_and_nothing_without_rows():
    html = _attention_table(_att(np.random.default_rng(0)))
    assert html.startswith("<h2>Model attention vs human fixations</h2>")
    assert html.count("<tr>") == 3 and "<th>AUC-Judd</th>" in html
    one = _att(np.random.default_rng(0)).query("image == 'a.png'")  # one image: no interval
    assert "[" not in _attention_table(one).split("</th></tr>")[1]
    assert _attention_table(pd.DataFrame()) == ""
