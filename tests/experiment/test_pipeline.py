"""pipeline._fit: model curves that cannot be fitted become rows that say why, not crashes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from facepsych.experiment.pipeline import _fit
from facepsych.psychophysics.fitting import PsychometricFit

FIT = {
    "method": "lsq",
    "function": "cumnorm",
    "guess": [0.0, 0.45],
    "lapse": [0.0, 0.45],
    "bootstrap": 0,
    "trials_per_level": 20,
}
LEVELS = np.linspace(0, 1, 21)


@pytest.mark.parametrize("value", [0.0, 1.0, 0.5])
def test_constant_model_answers_give_an_unfitted_row(value):
    row = _fit(LEVELS, np.full(21, value), FIT, seed=0)
    assert row["fit_ok"] is False
    assert "all responses are identical" in row["reason"]
    assert np.isnan(row["pse"]) and np.isnan(row["slope"])
    assert row["n_levels"] == 21 and row["method"] == "lsq"
    # same columns as a real fit, so the cell's fits.csv stays one table
    good = _fit(LEVELS, norm.cdf((LEVELS - 0.6) / 0.1), FIT, seed=0)
    assert set(row) == set(good) == set(PsychometricFit.__dataclass_fields__) - {"boot"}


def test_wide_asymptotes_recover_a_compressed_model_curve():
    # a model curve from 0.2 to 0.9: guess 0.2, lapse 0.1, PSE 0.6, sigma 0.15 (inside lsq's
    # sigma range [0.1, 100])
    p = 0.2 + 0.7 * norm.cdf((LEVELS - 0.6) / 0.15)
    row = _fit(LEVELS, p, FIT, seed=0)
    assert row["fit_ok"], row["reason"]
    assert row["pse"] == pytest.approx(0.6, abs=1e-3)
    assert row["guess"] == pytest.approx(0.2, abs=1e-3)
    assert row["lapse"] == pytest.approx(0.1, abs=1e-3)


def test_cell_task_is_picklable():
    import pickle

    from facepsych.experiment.grid import Cell
    from facepsych.experiment.pipeline import CellSettings, CellTask

    cell = Cell(
        cell_id="alexnet__random__plain__s0", index=0, entry=0, model="alexnet", arch="alexnet",
        weights="random",
        weights_source="random", variant="plain", excitation=(), reduction=None, seed=0,
        hidden=8,
    )  # fmt: skip
    settings = CellSettings("/run", "/data", "folder", {"valence": "default"}, {"cam": {}})
    task = CellTask(cell, settings, ({"continuum": "c", "condition": "full"},), "random")
    again = pickle.loads(pickle.dumps(task))
    assert again == task and again.cell_id == "alexnet__random__plain__s0"


def test_every_row_carries_the_cells_domain():
    from facepsych.experiment.pipeline import ID_COLUMNS

    assert ID_COLUMNS == ("cell_id", "model", "arch", "weights", "domain", "variant", "seed")


@pytest.mark.parametrize(
    ("arch", "weights", "domain"),
    [
        ("mobilenet_v2", "imagenet", "object"),
        ("efficientnet-lite0", "imagenet", "object"),
        ("dlib-resnet", "dlib", "face"),
        ("inception-resnet-v1", "casia-webface", "face"),
        ("dlib-resnet", "random", "none"),
        ("alexnet", "imagenet", "object"),
        ("vgg16", "vggface:/x/vgg_face.pth", "face"),
        ("alexnet", "pretrained:obj", "object"),
        ("alexnet", "pretrained:ids", "face"),
        ("alexnet", "file:/x/mine.pth", "unknown"),
    ],
)
def test_cell_domain_of_each_weights_spelling(arch, weights, domain):
    from facepsych.experiment.grid import cell_domain

    pretrain = {"obj": {"task": "objects"}, "ids": {"task": "identity"}}
    assert cell_domain(arch, weights, pretrain) == domain


def test_cell_crop_cuts_the_continuum_and_carries_its_landmarks(tmp_path):
    from facepsych.experiment.pipeline import _as_seen
    from facepsych.stimuli import load_continuum
    from facepsych.synthetic import write_synthetic_continuum

    cont = load_continuum(write_synthetic_continuum(tmp_path / "c", 100_000, steps=3, size=80))
    assert _as_seen(cont, "none") is cont
    seen = _as_seen(cont, {"mode": "face", "size": 40})
    assert [img.size for img in seen.frames] == [(40, 40)] * 3
    assert seen.landmarks is not None and len(seen.landmarks) == 3
    pts = np.asarray(seen.landmarks[0])
    assert pts.shape == np.asarray(cont.landmarks[0]).shape
    assert (pts.min(axis=0) > -10).all() and (pts.max(axis=0) < 50).all()  # inside the chip
    assert list(seen.levels) == list(cont.levels)
