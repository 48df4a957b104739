"""Fixtures of the attention tests: a tiny trained-run folder and two small continua."""

from __future__ import annotations

import json

import pytest
import torch

from facepsych.cli import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from facepsych.models import build_model

    net = build_model("alexnet", "random", hidden=8, seed=0, image_size=64)
    path = tmp_path_factory.mktemp("run")
    (path / "config.json").write_text(json.dumps({"net": net.spec()}))
    torch.save(net.state_dict(), path / "best.pt")
    return path


@pytest.fixture(scope="module")
def continua(tmp_path_factory):
    synthetic = pytest.importorskip("facepsych.synthetic")
    root = tmp_path_factory.mktemp("continua")
    for cond in ("full", "eyes"):
        synthetic.write_synthetic_continuum(root / cond, 3, steps=3, size=48, condition=cond)
    return root


def cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    return exc.value.code, capsys.readouterr()
