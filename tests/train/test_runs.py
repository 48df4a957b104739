"""Reading run folders back (load_run): round trip and one-line errors."""

from __future__ import annotations

import json

import pytest
import torch

from facepsych.errors import FacepsychError
from facepsych.train import load_run


@pytest.fixture()
def run_dir(tmp_path):
    from facepsych.models import build_model

    net = build_model("alexnet", "random", hidden=8, seed=0, image_size=64)
    (tmp_path / "config.json").write_text(json.dumps({"net": net.spec()}))
    torch.save(net.state_dict(), tmp_path / "best.pt")
    return tmp_path, net


def test_load_run_round_trip(run_dir):
    path, net = run_dir
    loaded = load_run(path)
    for key, value in net.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
    assert not loaded.training


def test_truncated_best_pt_is_one_line(run_dir):
    """Regression (QA): `facepsych predict RUN` with a truncated best.pt printed a traceback."""
    path, _ = run_dir
    data = (path / "best.pt").read_bytes()
    (path / "best.pt").write_bytes(data[: len(data) // 3])
    with pytest.raises(FacepsychError, match=r"best.pt: the checkpoint is truncated or corrupted"):
        load_run(path)
