"""Whole-network pre-training on identities / objects, checkpoint format, DDP under torchrun."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from facepsych.errors import FacepsychError
from facepsych.train.pretrain import PretrainConfig, pretrain, torchvision_state_dict

TINY = dict(arch="alexnet", image_size=64, hidden=16, batch_size=6, progress=False)


def test_identity_checkpoint_is_torchvision_format_and_loads_with_file_source(tmp_path):
    from facepsych.models import build_model

    ckpt = tmp_path / "face_alexnet.pth"
    res = pretrain(out=ckpt, task="identity", classes=3, per_class=4, epochs=1, **TINY)
    state = torch.load(ckpt, weights_only=True)
    assert all(k.startswith(("features.", "classifier.")) for k in state)
    assert state["features.0.weight"].shape == (64, 3, 11, 11)
    assert state["classifier.6.weight"].shape == (3, 16)  # one output per identity
    assert res.class_names == ["n050000", "n050001", "n050002"]
    meta = json.loads(ckpt.with_suffix(".json").read_text())
    assert meta["sha256"] == res.sha256 and len(meta["history"]) == 1
    assert meta["config"]["task"] == "identity" and meta["world_size"] == 1

    net = build_model("alexnet", f"file:{ckpt}", hidden=16, image_size=64)
    n_feat = sum(k.startswith("features.") for k in state)
    assert net.weight_info.loaded_keys == n_feat + 4  # fc6, fc7 load; the 3-way layer is skipped
    assert any("classifier.6.weight" in s for s in net.weight_info.skipped)
    for k, v in net.features.state_dict().items():
        assert torch.equal(v, state[f"features.{k}"])


def test_training_reduces_the_loss_on_objects(tmp_path):
    """AlexNet from scratch starts slowly: 25 epochs on 8 images of 2 classes (with random
    flips and dropout) must bring the cross-entropy well below chance (ln 2 = 0.693)."""
    cfg = {**TINY, "hidden": 64, "batch_size": 8}
    res = pretrain(
        out=tmp_path / "obj.pth",
        task="objects",
        classes=2,
        per_class=4,
        epochs=25,
        val_fraction=0.0,
        **cfg,
    )
    losses = [h["train_loss"] for h in res.history]
    assert sum(losses[-3:]) / 3 < 0.7 * losses[0], losses


def test_folder_data_one_subfolder_per_class(tmp_path):
    from facepsych.synthetic import write_object_set

    write_object_set(
        tmp_path / "data", classes=["star", "house"], per_class=3, size=64, progress=False
    )
    res = pretrain(
        out=tmp_path / "o.pth", task="objects", data=str(tmp_path / "data"), epochs=1, **TINY
    )
    assert res.class_names == ["house", "star"]
    assert torch.load(tmp_path / "o.pth", weights_only=True)["classifier.6.bias"].shape == (2,)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (dict(task="faces"), "unknown pretraining task 'faces' (use identity or objects)"),
        (dict(arch="fe-alexnet"), "pretrain the plain alexnet backbone; fe-alexnet adds"),
        (dict(image_size=48), "alexnet needs images of at least 63 pixels"),
        (dict(data="/no/such/folder"), "training data folder not found: /no/such/folder"),
        (dict(task="objects", classes=40), "the lab has 16 object classes, 40 were asked for"),
    ],
)
def test_user_errors(tmp_path, kw, message):
    cfg = {**TINY, "epochs": 1, "classes": 2, "per_class": 2, **kw}
    with pytest.raises(FacepsychError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        pretrain(PretrainConfig(**cfg), tmp_path / "x.pth")


def test_folder_with_one_class_is_refused(tmp_path):
    (tmp_path / "only").mkdir()
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tmp_path / "only" / "a.png")
    with pytest.raises(FacepsychError, match="needs at least 2 class sub-folders with images"):
        pretrain(out=tmp_path / "x.pth", data=str(tmp_path), epochs=1, **TINY)


def test_ddp_two_cpu_processes_end_with_identical_weights(tmp_path):
    """torchrun, 2 processes, gloo: each trains on its shard; DDP averages the gradients, so
    both ranks hold the same weights afterwards, which differ from the initial ones."""
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(
        """
        import os, sys, torch
        from facepsych.train.pretrain import pretrain, torchvision_state_dict
        out = sys.argv[1]
        res = pretrain(out=out + "/ckpt.pth", task="objects", arch="alexnet", classes=3,
                       per_class=6, image_size=64, epochs=1, batch_size=4, hidden=16,
                       progress=False)
        torch.save(torchvision_state_dict(res.net), f"{out}/rank{os.environ['RANK']}.pt")
        """
    ))  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
           "2", str(script), str(tmp_path)]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    saved = torch.load(tmp_path / "ckpt.pth", weights_only=True)
    assert r0.keys() == r1.keys() == saved.keys()
    for k in r0:
        assert torch.equal(r0[k], r1[k]), k
        assert torch.equal(r0[k], saved[k]), k
    from facepsych.models import build_model

    init = torchvision_state_dict(
        build_model("alexnet", num_classes=3, hidden=16, freeze=False, seed=0, image_size=64)
    )
    assert not torch.equal(init["features.0.weight"], r0["features.0.weight"])
    meta = json.loads((tmp_path / "ckpt.json").read_text())
    assert meta["world_size"] == 2


def test_cli_pretrain_and_its_user_error(tmp_path, capsys):
    from facepsych.cli import main

    ckpt = tmp_path / "obj.pth"
    main(["pretrain", "--task", "objects", "--arch", "alexnet", "--data", "synthetic",
          "--classes", "2", "--per-class", "2", "--epochs", "1", "--image-size", "64",
          "--hidden", "8", "--batch-size", "4", "--out", str(ckpt)])  # fmt: skip
    assert ckpt.is_file()
    assert f"wrote {ckpt} (2 classes, 1 process(es), val acc" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["pretrain", "--task", "faces", "--out", str(ckpt)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: unknown pretraining task 'faces' (use identity or objects)"


def test_out_folder_is_refused_before_training(tmp_path):
    """Regression (QA): `--out DIR` trained every epoch, then failed saving with a traceback."""
    with pytest.raises(FacepsychError, match=r"is a folder; give a checkpoint file name"):
        pretrain(PretrainConfig(**{**TINY, "epochs": 1, "classes": 2, "per_class": 2}), tmp_path)


def test_log_gets_one_line_per_epoch_with_the_validation_accuracy(tmp_path):
    lines: list[str] = []
    res = pretrain(out=tmp_path / "c.pth", task="identity", classes=2, per_class=4, epochs=2,
                   device="cpu", log=lines.append, **TINY)  # fmt: skip
    assert len(lines) == 2
    for k, (line, row) in enumerate(zip(lines, res.history, strict=True), start=1):
        assert line.startswith(f"epoch {k}/2: train loss {row['train_loss']:.3f} acc ")
        assert f"val acc {row['val_acc']:.3f} (" in line
    assert json.loads((tmp_path / "c.json").read_text())["config"]["device"] == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_cuda_without_a_gpu_is_one_line_before_training(tmp_path):
    with pytest.raises(FacepsychError, match=r"^device 'cuda' asked for, but no CUDA GPU"):
        pretrain(out=tmp_path / "c.pth", device="cuda", **TINY)
    assert not (tmp_path / "c.pth").exists()
