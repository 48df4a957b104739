"""Study inputs: weights resolution and hashes, the training data choice, and human data as labs
have it named in the study config (humans: source trials, path, format and column options),
validated with the config and read through read_human."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from facepsych.errors import FacepsychError
from facepsych.experiment import config_from_dict
from facepsych.experiment.prepare import (
    prepare_data,
    prepare_humans,
    prepare_weights,
    weight_hashes,
)
from facepsych.experiment.rundir import RunFolder


def _cfg(tmp_path, weights, data=None):
    raw = {
        "data": data or {"format": "synthetic"},
        "models": [{"arch": "alexnet", "weights": weights}],
        "stimuli": {"continua": [{"synthetic": {"identities": 1}}]},
    }
    return config_from_dict(raw, base_dir=tmp_path)


def test_sources_without_pretraining_resolve_to_themselves(tmp_path):
    (tmp_path / "w.pth").write_bytes(b"weights")
    cfg = _cfg(tmp_path, ["random", "file:w.pth"])
    resolved, info = prepare_weights(cfg, log=lambda *_: None)
    path = (tmp_path / "w.pth").resolve()
    assert resolved == {"random": "random", f"file:{path}": f"file:{path}"} and info == {}


def test_weight_hashes_are_the_file_sha256(tmp_path):
    (tmp_path / "w.pth").write_bytes(b"weights")
    hashes = weight_hashes(
        {"f": f"file:{tmp_path / 'w.pth'}", "r": "random", "i": "imagenet", "g": "file:/no/such"}
    )
    assert hashes == {"f": hashlib.sha256(b"weights").hexdigest(), "r": None, "i": None, "g": None}


def test_a_data_folder_is_used_as_configured(tmp_path):
    (tmp_path / "faces").mkdir()
    cfg = _cfg(tmp_path, "random", data={"format": "folder", "path": "faces"})
    assert prepare_data(cfg) == (str((tmp_path / "faces").resolve()), "folder", {})


LEVELS = np.round(np.linspace(0, 1, 11), 2)


def _config(humans: dict) -> dict:
    return {
        "data": {"format": "synthetic"},
        "models": [{"arch": "alexnet", "weights": "random"}],
        "stimuli": {"continua": [{"synthetic": {"identities": 1}}]},
        "humans": humans,
        "analysis": {"fit": {"bootstrap": 0}},
    }


def _psychopy(folder, pse=(0.45, 0.55), seed=0):
    """One PsychoPy session file per participant: keys j (positive) / f, levels in 'morph'."""
    rng = np.random.default_rng(seed)
    folder.mkdir()
    for i, mu in enumerate(pse):
        rows = [{"participant": f"p{i}", "morph": "", "key_resp.keys": "", "continuum": ""}]
        for c in ("id0", "id1"):
            for x in LEVELS:
                for _ in range(10):
                    p = norm.cdf((x - mu) / 0.08)
                    key = "j" if rng.random() < p else "f"
                    rows.append({"participant": f"p{i}", "morph": x, "key_resp.keys": key,
                                 "continuum": c})  # fmt: skip
        pd.DataFrame(rows).to_csv(folder / f"p{i}_session.csv", index=False)
    return folder


PSYCHOPY = {"source": "trials", "format": "psychopy", "level_column": "morph",
            "response_column": "key_resp.keys", "positive": "j", "negative": "f"}  # fmt: skip


def test_psychopy_folder_in_the_config_gives_subject_fits_and_stimulus_trials(tmp_path):
    folder = _psychopy(tmp_path / "psychopy")
    cfg = config_from_dict(_config({**PSYCHOPY, "path": str(folder), "bootstrap": 0}))
    run = RunFolder(tmp_path / "run")
    run.path.mkdir()
    humans = prepare_humans(cfg, run)
    per = pd.read_csv(run.path / "humans.csv").set_index("subject")
    assert per.loc["p0", "pse"] == pytest.approx(0.45, abs=0.03)
    assert per.loc["p1", "pse"] == pytest.approx(0.55, abs=0.03)
    trials = pd.read_csv(run.path / "humans_trials.csv")
    assert len(trials) == 2 * 2 * 11 * 10 and set(trials["continuum"]) == {"id0", "id1"}
    assert humans.summary["n_subjects"] == 2


def test_trials_without_continuum_write_no_stimulus_trials(tmp_path):
    rows = [{"subject": "a", "level": x, "response": int(x > 0.5)} for x in LEVELS for _ in "ab"]
    f = tmp_path / "h.csv"
    pd.DataFrame(rows).to_csv(f, index=False)
    run = RunFolder(tmp_path / "run")
    run.path.mkdir()
    prepare_humans(config_from_dict(_config({"source": "trials", "path": str(f)})), run)
    assert (run.path / "humans.csv").is_file() and not (run.path / "humans_trials.csv").exists()


@pytest.mark.parametrize(
    ("humans", "message"),
    [
        ({"source": "trials", "path": "x", "format": "spss"}, "humans.format: "),
        ({"source": "trials", "path": "x", "format": "psychopy", "positive": "j"},
         "humans: give both positive and negative response labels, or neither"),
        ({"source": "aggregated", "path": "x", "format": "mat"},
         "humans: source 'aggregated' reads a subject, level, k, n CSV (format csv)"),
        ({"source": "trials", "path": "x", "mat_level_col": 0}, "humans.mat_level_col: "),
    ],
)  # fmt: skip
def test_config_errors_name_the_humans_key(tmp_path, humans, message):
    (tmp_path / "x").write_text("")
    with pytest.raises(FacepsychError) as err:
        config_from_dict(_config({**humans, "path": str(tmp_path / "x")}))
    assert message in str(err.value)


def test_a_bad_trial_file_is_one_line_naming_the_config_key(tmp_path):
    f = tmp_path / "bad.csv"
    pd.DataFrame({"participant": ["a"], "morph": [0.5], "key_resp.keys": ["q"]}).to_csv(f)
    cfg = config_from_dict(_config({**PSYCHOPY, "path": str(f)}))
    run = RunFolder(tmp_path / "run")
    run.path.mkdir()
    with pytest.raises(FacepsychError) as err:
        prepare_humans(cfg, run)
    msg = str(err.value)
    assert msg.startswith("humans.path: ") and "\n" not in msg and "bad.csv" in msg
