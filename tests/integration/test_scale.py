"""benchmarks/scale.py: arguments out of range stop it at once in one line; fewer faces than
distinct renders still hold both classes; a measuring process that fails or dies is reported,
never waited on."""

from __future__ import annotations

import csv
import multiprocessing
import os
import subprocess
import sys

import pytest

from tests.integration.conftest import BENCHMARKS, load_benchmark

SCRIPT = BENCHMARKS / "scale.py"


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("scale")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--n", "5"], "--n must be at least 10, got 5"),
        (["--n", "0"], "--n must be at least 10, got 0"),
        (["--unique", "0"], "--unique must be at least 1, got 0"),
        (["--epochs", "0"], "--epochs must be at least 1, got 0"),
        (["--workers", "-1"], "--workers must be at least 0, got -1"),
        (["--image-size", "8"], "--image-size must be at least 16, got 8"),
        (["--render-size", "4"], "--render-size must be at least 16, got 4"),
        (["--hidden", "0"], "--hidden must be at least 1, got 0"),
        (["--batch-size", "0"], "--batch-size must be at least 1, got 0"),
        (["--project", "0"], "--project must be at least 1, got 0"),
        (["--threads", "0"], "--threads must be at least 1, got 0"),
    ],
)
def test_out_of_range_arguments_stop_at_once(bench, capsys, tmp_path, argv, message):
    assert bench.main([*argv, "--dir", str(tmp_path / "work")]) == 2
    out, err = capsys.readouterr()
    assert err == f"error: {message}\n" and out == ""
    assert not (tmp_path / "work").exists()  # nothing written


def test_identities_cover_the_renders_asked_for(bench):
    assert bench.identities_for(50_000, 500) == 50
    assert bench.identities_for(12, 500) == 2  # never more renders than faces (rounded up)
    assert bench.identities_for(35, 500) == 4
    assert bench.identities_for(1000, 1) == 2  # at least 2 identities: 20 renders


def test_fewer_faces_than_renders_hold_both_classes(bench, tmp_path):
    bench.write_faces(tmp_path, 11, 500, 32)
    with open(tmp_path / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 11 and len(list((tmp_path / "img").glob("*.png"))) == 11
    labels = [r["label"] for r in rows]
    assert labels == ["negative", "positive"] * 5 + ["negative"]  # in turn
    assert not (tmp_path / "_renders").exists()


def test_the_smallest_set_trains(bench, tmp_path):
    bench.write_faces(tmp_path / "faces", bench.MIN_FACES, 500, 32)
    args = {"data": str(tmp_path / "faces"), "cache": str(tmp_path / "cache"),
            "runs": str(tmp_path / "runs"), "threads": 1, "hidden": 8, "image_size": 64,
            "device": "cpu", "workers": 0, "epochs": 1, "batch_size": 8}  # fmt: skip
    r = bench._figures("alexnet", args)
    assert r["n"] == bench.MIN_FACES and r["dim"] == 9216 and r["cache_hit"]
    assert r["cache_bytes"] == bench.MIN_FACES * 9216 * 2 + 128  # float16 rows + .npy header


def _die() -> None:
    os._exit(3)


def _fail(queue) -> None:
    queue.put({"error": "alexnet: out of memory"})


def test_a_dead_child_is_an_error_not_a_hang(bench):
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_die)
    child.start()
    with pytest.raises(bench.BenchmarkError, match=r"^the measuring process died \(exit code 3\)$"):
        bench._result(child, queue)


def test_a_failing_child_reports_its_error(bench):
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_fail, args=(queue,))
    child.start()
    with pytest.raises(bench.BenchmarkError, match=r"^alexnet: out of memory$"):
        bench._result(child, queue)
    assert child.exitcode == 0


def test_an_arch_that_cannot_be_built_stops_the_run(tmp_path):
    argv = ["--n", "10", "--archs", "bogus", "--epochs", "1", "--render-size", "32",
            "--image-size", "64", "--hidden", "8", "--workers", "0", "--threads", "1",
            "--dir", str(tmp_path)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(SCRIPT.parents[1])}
    done = subprocess.run([sys.executable, str(SCRIPT), *argv], capture_output=True, text=True,
                          env=env, timeout=120)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith("error: bogus: unknown architecture 'bogus'")
