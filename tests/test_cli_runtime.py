"""The CLI's run-time options: the global ``--threads``, ``--device`` on every command that runs a
network, ``train --cache-dtype``, and the plain progress lines of a non-interactive run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from facepsych.runtime import THREADS_ENV
from tests.cli_run import run

ROOT = Path(__file__).resolve().parents[1]
NO_GPU = "device 'cuda' asked for, but no CUDA GPU is available here"


def test_global_threads_are_applied_and_hold_for_one_command_only(tmp_path, capsys):
    before = os.environ.get(THREADS_ENV)
    code, _, err = run(
        ["--threads", "3", "predict", str(tmp_path / "none"), "--images", str(tmp_path),
         "--out", str(tmp_path / "p.csv"), "--device", "cpu"], capsys,
    )  # fmt: skip
    assert code == 2 and err.startswith("error: ")  # no run folder; the threads came first
    assert torch.get_num_threads() == 3
    assert os.environ.get(THREADS_ENV) == before


@pytest.mark.parametrize("value", ["0", "-2"])
def test_bad_threads_is_one_line(value, capsys):
    code, _, err = run(["--threads", value, "models"], capsys)
    assert (code, err) == (2, f"error: threads must be a positive integer, got {value}\n")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--arch", "alexnet", "--data", "D", "--out", "O", "--weights", "random",
         "--format", "folder"],
        ["predict", "R", "--images", "I", "--out", "o.csv"],
        ["cam", "R", "--images", "I", "--out", "O"],
        ["pretrain", "--out", "c.pth"],
        ["run", "study.yaml"],
        ["demo", "--scale", "tiny"],
    ],
    ids=["train", "predict", "cam", "pretrain", "run", "demo"],
)  # fmt: skip
def test_cuda_without_a_gpu_is_one_line_before_any_work(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run([*argv, "--device", "cuda"], capsys)
    assert (code, err) == (2, f"error: {NO_GPU}\n")
    assert list(tmp_path.iterdir()) == []


def test_unknown_device_and_cache_dtype_are_one_line(tmp_path, capsys):
    code, _, err = run(["predict", "R", "--images", "I", "--out", "o.csv", "--device", "tpu"],
                       capsys)  # fmt: skip
    assert (code, err) == (2, "error: unknown device 'tpu' (use auto, cpu, cuda or cuda:N)\n")
    code, _, err = run(
        ["train", "--arch", "alexnet", "--data", str(tmp_path), "--out", str(tmp_path / "o"),
         "--weights", "random", "--format", "folder", "--cache-dtype", "int8"], capsys,
    )  # fmt: skip
    assert (code, err) == (2, "error: unknown cache dtype 'int8' (use float16 or float32)\n")


def test_train_cache_dtype_reaches_the_cache(tmp_path, capsys, monkeypatch):
    import numpy as np

    from tests.train.conftest import write_striped_folder

    data = write_striped_folder(tmp_path / "data", n_per_class=4, n_ids=2)
    dtypes = {}
    for dtype in ("float16", "float32"):
        cache = tmp_path / f"cache-{dtype}"
        code, out, err = run(
            ["train", "--arch", "alexnet", "--data", str(data), "--out", str(tmp_path / dtype),
             "--weights", "random", "--format", "folder", "--epochs", "1", "--hidden", "8",
             "--image-size", "64", "--cache-dir", str(cache), "--cache-dtype", dtype,
             "--device", "cpu"], capsys,
        )  # fmt: skip
        assert code == 0, err
        shards = sorted(cache.rglob("*.npy"))
        assert shards
        dtypes[dtype] = {str(np.load(s, mmap_mode="r").dtype) for s in shards}
    assert dtypes == {"float16": {"float16"}, "float32": {"float32"}}


@pytest.mark.slow
def test_non_interactive_demo_prints_a_line_per_step(tmp_path):
    """``facepsych demo`` with stdout and stderr captured (no terminal): one ``[elapsed]`` line
    per pre-training start, epoch and end, per feature extraction start and end, per cell."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FACEPSYCH_CACHE": str(tmp_path / "cache"),
           THREADS_ENV: "1"}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "facepsych.cli", "demo", "--scale", "tiny",
         "--out", str(tmp_path / "demo"), "--device", "cpu"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    stamp = r"^\[ *\d+\.\ds\] "
    out, err = proc.stdout, proc.stderr
    cells = re.findall(stamp + r"cell (\d)/7 done: \S+ \(\d+\.\d s\)$", out, re.M)
    assert cells == ["1", "2", "3", "4", "5", "6", "7"]
    for name, task in (("face-alexnet", "identity"), ("object-alexnet", "objects")):
        assert re.search(stamp + f"pre-training {name}: alexnet on {task} ", err, re.M)
        assert re.search(
            stamp + f"pre-training {name}: epoch 1/1: train loss .* val acc \\d\\.\\d{{3}}", err,
            re.M,
        )  # fmt: skip
        assert re.search(stamp + f"pre-training {name} done: val acc \\d\\.\\d{{3}} ", err, re.M)
    starts = re.findall(stamp + r"extracting features: \S+, \d+ img in 1 shard\(s\) on cpu$",
                        err, re.M)  # fmt: skip
    rate = r"\(\d+(?:\.\d)? img/s\)"
    ends = re.findall(stamp + r"extracted features: \S+, \d+ img in \d+\.\d s " + rate + "$",
                      err, re.M)  # fmt: skip
    assert len(starts) == len(ends) >= 1
    assert "report: " in out
