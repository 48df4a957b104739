"""benchmarks/real_photos.py: its numeric core on known curves, and a tiny smoke run on the real
photos (one London continuum, 40 training photos, dlib-resnet, 2 epochs; skips where
../shared/data is absent)."""

from __future__ import annotations

from argparse import Namespace

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from tests.integration.conftest import load_benchmark


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("real_photos")


LEVELS = np.linspace(0, 1, 21)


def test_summary_recovers_a_known_series(bench):
    # shifted copies of Φ((x − 0.45 − δ) / 0.15) (lsq keeps σ ≥ 0.1): series PSE 0.45, every ρ = 1
    deltas = np.linspace(-0.05, 0.05, 9)
    P = np.stack([norm.cdf((LEVELS - 0.45 - d) / 0.15) for d in deltas])
    s = bench.curve_summary(LEVELS, P)
    assert s["n_continua"] == 9
    assert s["rho"] == pytest.approx(1.0)
    assert s["usable_pse"] == 1.0
    assert s["pse"] == pytest.approx(0.45, abs=0.01)
    assert s["pse_lo"] <= 0.45 <= s["pse_hi"]
    assert s["slope_lo"] <= s["slope"] <= s["slope_hi"]
    assert s["span"] == pytest.approx(np.ptp(P.mean(axis=0)))


def test_summary_of_flat_and_falling_curves(bench):
    flat = np.full((3, 21), 0.4)
    s = bench.curve_summary(LEVELS, flat)
    assert s["rho"] == 0.0 and s["usable_fit"] == 0.0 and s["usable_pse"] == 0.0
    assert s["span"] == 0.0
    falling = np.stack([1 - LEVELS, 1 - LEVELS**2])
    assert bench.curve_summary(LEVELS, falling)["rho"] == pytest.approx(-1.0)


def test_gains_are_pretrained_minus_twin(bench):
    table = pd.DataFrame(
        [
            {"arch": "a", "weights": "dlib", "domain": "face", "val_acc": 0.8, "rho": 0.5,
             "pse": 0.4, "usable_fit": 0.9},
            {"arch": "a", "weights": "random", "domain": "random", "val_acc": 0.7, "rho": 0.2,
             "pse": 0.6, "usable_fit": 0.5},
            {"arch": "b", "weights": "random", "domain": "random", "val_acc": 0.6, "rho": 0.1,
             "pse": 0.5, "usable_fit": 0.5},
        ]
    )  # fmt: skip
    gains = bench.pretraining_gains(table)
    assert list(gains.arch) == ["a"]  # b has no pre-trained row
    g = gains.iloc[0]
    assert g.domain == "face"
    assert (g.d_val_acc, g.d_rho, g.d_pse, g.d_usable_fit) == pytest.approx((0.1, 0.3, -0.2, 0.4))


@pytest.mark.slow
def test_smoke_on_real_photos(bench, london_faces, facial_expressions, tmp_path):
    folders, failed = bench.london_continua(1, tmp_path / "continua")
    assert failed == [] and [f.name for f in folders] == ["001"]
    stamp = (folders[0] / "manifest.csv").stat().st_mtime_ns
    assert bench.london_continua(1, tmp_path / "continua")[0] == folders  # reused, not remade
    assert (folders[0] / "manifest.csv").stat().st_mtime_ns == stamp
    levels, chips = bench.continuum_chips(folders)
    assert np.allclose(levels, LEVELS) and len(chips[0]) == 21
    assert chips[0][0].size == (224, 224)

    from facepsych.data import crop_dataset, load_dataset, parse_crop

    ds = load_dataset(facial_expressions, "facial_expressions", skip_bad=True)
    train, val = ds.split("train").samples, ds.split("val").samples
    keep = [s.image_id for s in train if s.label == 0][:15]
    keep += [s.image_id for s in train if s.label == 1][:15]
    keep += [s.image_id for s in val][:10]
    rest = {s.image_id for s in ds.samples} - set(keep)
    small = crop_dataset(ds.without(rest), parse_crop("face"), eager=True)
    assert len(small.samples) + len(small.skipped) == 40
    args = Namespace(epochs=2, lr=1e-3, cache=tmp_path / "features")
    row, P = bench.run_net("dlib-resnet", "random", small, levels, chips, tmp_path, args)
    assert P.shape == (1, 21) and ((P >= 0) & (P <= 1)).all()
    assert row["n_train"] + row["n_val"] == len(small.samples)
    assert 0 <= row["val_acc"] <= 1 and -1 <= row["rho"] <= 1
    assert (tmp_path / "runs" / "dlib-resnet-random" / "best.pt").is_file()
    bench.write_tables([row], {"dlib-resnet random": P}, levels, ["001"], tmp_path)
    table = pd.read_csv(tmp_path / "real_photos.csv")
    assert list(table.arch) == ["dlib-resnet"] and table.val_acc[0] == pytest.approx(row["val_acc"])
    curves = pd.read_csv(tmp_path / "curves.csv")
    assert len(curves) == 21 and np.allclose(curves.p, P[0])
