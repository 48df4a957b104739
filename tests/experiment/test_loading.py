"""Loading a study config: weights files checked and made absolute through parse_weights."""

from __future__ import annotations

import pytest

from facepsych.errors import FacepsychError
from facepsych.experiment import config_from_dict


def _raw(weights, **over):
    raw = {
        "data": {"format": "synthetic"},
        "models": [{"arch": "alexnet", "weights": weights}],
        "stimuli": {"continua": [{"synthetic": {"identities": 1}}]},
    }
    raw.update(over)
    return raw


def test_relative_weight_files_become_absolute(tmp_path):
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "face_alexnet.pth").write_bytes(b"x")
    cfg = config_from_dict(_raw(["file:w/face_alexnet.pth", "imagenet"]), base_dir=tmp_path)
    weights = cfg.models[0].weights
    assert weights == {
        "face_alexnet": f"file:{(tmp_path / 'w' / 'face_alexnet.pth').resolve()}",
        "imagenet": "imagenet",
    }


def test_every_weights_problem_at_once(tmp_path):
    raw = _raw({"a": "file:missing.pth", "b": "vggface:gone.pth", "c": "pretrained:face",
                "d": "imagenet1k"})  # fmt: skip
    with pytest.raises(FacepsychError) as err:
        config_from_dict(raw, base_dir=tmp_path, source="c.yaml")
    lines = [ln.strip() for ln in str(err.value).splitlines()]
    assert lines[0] == "c.yaml: 4 problems"
    assert f"models[0].weights.a: file not found: {tmp_path / 'missing.pth'}" in lines
    assert f"models[0].weights.b: file not found: {tmp_path / 'gone.pth'}" in lines
    assert "models[0].weights.c: no pretrain entry named 'face' (pretrain: {face: …})" in lines
    assert any(
        ln.startswith("models[0].weights: unknown weight source 'imagenet1k'") for ln in lines
    )


def test_the_top_level_must_be_a_mapping():
    with pytest.raises(
        FacepsychError, match="the top level must be a mapping of sections, got list"
    ):
        config_from_dict([1, 2])
