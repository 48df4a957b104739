"""Study inputs: weights resolution and hashes, the training data choice."""

from __future__ import annotations

import hashlib

from facepsych.experiment import config_from_dict
from facepsych.experiment.prepare import prepare_data, prepare_weights, weight_hashes


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
