"""Hand-made predictions of a study with known answers: object, face and random nets."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

LEVELS = np.linspace(0, 1, 21)
SHIFTS = (-0.02, -0.01, 0.01, 0.02)  # per continuum: symmetric, so the series PSE is exact
# (model, arch, weights, weights_source, curve kind, PSE)
NETS = (
    ("mobilenet_v2", "mobilenet_v2", "imagenet", "imagenet", "sigmoid", 0.40),
    ("mobilenet_v2", "mobilenet_v2", "random", "random", "flat", None),
    ("dlib-resnet", "dlib-resnet", "dlib", "dlib", "sigmoid", 0.60),
    ("dlib-resnet", "dlib-resnet", "random", "random", "flat", None),
)
SIGMA = 0.1


def curve(kind: str, pse: float | None, shift: float) -> np.ndarray:
    """A sigmoid Φ((x − PSE − shift)/σ), or a flat line 0.4 + 0.2·x (+ shift)."""
    if kind == "sigmoid":
        return norm.cdf((LEVELS - pse - shift) / SIGMA)
    return 0.4 + 0.2 * LEVELS + shift


def cells(seeds=(0, 1)) -> list[dict]:
    return [
        {"cell_id": f"{m}__{w}__plain__s{s}", "model": m, "arch": a, "weights": w,
         "weights_source": src, "variant": "plain", "seed": s}
        for m, a, w, src, _, _ in NETS for s in seeds
    ]  # fmt: skip


def predictions(seeds=(0, 1), conditions=("full",)) -> pd.DataFrame:
    rows = []
    for c in cells(seeds):
        kind, pse = next((k, p) for m, _, w, _, k, p in NETS
                         if m == c["model"] and w == c["weights"])  # fmt: skip
        for cond in conditions:
            for j, shift in enumerate(SHIFTS):
                for x, p in zip(LEVELS, curve(kind, pse, shift), strict=True):
                    rows.append({**{k: c[k] for k in ("cell_id", "model", "arch", "weights",
                                                       "variant", "seed")},
                                 "continuum": f"id{j}", "condition": cond, "level": x,
                                 "p_positive": float(p)})  # fmt: skip
    return pd.DataFrame(rows)


def span_of(kind: str, pse: float | None) -> float:
    """The exact span of a net's curves (the mean over continua of p(1) − p(0))."""
    return float(np.mean([curve(kind, pse, s)[-1] - curve(kind, pse, s)[0] for s in SHIFTS]))


FIT = {"method": "lsq", "function": "cumnorm", "guess": [0.0, 0.05], "lapse": [0.0, 0.05],
       "bootstrap": 200}  # fmt: skip


def attention_rows(rng) -> pd.DataFrame:
    """attention.csv rows: alexnet and fe-alexnet × 2 seeds × 3 frames, random metrics."""
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
