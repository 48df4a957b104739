"""report/html.py: the "Model attention vs human fixations" table from attention.csv."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from facepsych.report.html import _attention_table, attention_summary


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


def test_summary_averages_seeds_then_gives_a_t_interval_over_images():
    att = _att(np.random.default_rng(3))
    out = attention_summary(att)
    assert out["series"].tolist() == ["alexnet · imagenet", "fe-alexnet · imagenet · pool5-r16"]
    assert out["n_images"].tolist() == [3, 3]
    sel = att[att["model"] == "fe-alexnet"]
    per_image = sel.groupby("image")["cc"].mean().to_numpy()  # over the two seeds
    m, se = per_image.mean(), per_image.std(ddof=1) / np.sqrt(3)
    lo, hi = stats.t.interval(0.95, 2, loc=m, scale=se)
    row = out.iloc[1]
    assert (row["cc"], row["cc_lo"], row["cc_hi"]) == pytest.approx((m, lo, hi))


def test_table_html_has_one_row_per_series_and_nothing_without_rows():
    html = _attention_table(_att(np.random.default_rng(0)))
    assert html.startswith("<h2>Model attention vs human fixations</h2>")
    assert html.count("<tr>") == 3 and "<th>AUC-Judd</th>" in html
    one = _att(np.random.default_rng(0)).query("image == 'a.png'")  # one image: no interval
    assert "[" not in _attention_table(one).split("</th></tr>")[1]
    assert _attention_table(pd.DataFrame()) == ""
