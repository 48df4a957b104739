"""Executors: a process pool and a local Ray give the same results as the sequential loop; each
worker runs with the thread policy's threads; off a terminal each finished cell prints a line."""

from __future__ import annotations

import io
import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from facepsych.experiment import config_from_dict, executors
from facepsych.experiment.executors import Progress, run_cells
from facepsych.study import run_study
from tests.experiment.conftest import assert_same_results


def _threads_task(payload: dict) -> dict:
    import torch

    return {"cell": payload["cell"]["cell_id"], "threads": torch.get_num_threads()}


def _payloads(*ids: str) -> list[dict]:
    return [{"cell": {"cell_id": i}} for i in ids]


def test_a_line_per_finished_cell_when_not_a_terminal(tmp_path):
    out = io.StringIO()
    with Progress(2, tmp_path, stream=out) as prog:
        results = run_cells(_threads_task, _payloads("a", "b"), workers=1, progress=prog)
    assert [r["cell"] for r in results] == ["a", "b"]
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"\[ *\d+\.\ds\] cell 1/2 done: a \(\d+\.\d s\)", lines[0])
    assert re.fullmatch(r"\[ *\d+\.\ds\] cell 2/2 done: b \(\d+\.\d s\)", lines[1])


def test_no_lines_when_progress_is_off(tmp_path):
    out = io.StringIO()
    with Progress(1, tmp_path, stream=out, enabled=False) as prog:
        run_cells(_threads_task, _payloads("a"), workers=1, progress=prog)
    assert out.getvalue() == ""


class _ThreadPool(ThreadPoolExecutor):
    """The process pool's interface, in threads (spawning two torch processes takes ~20 s)."""

    def __init__(self, max_workers: int, mp_context=None):
        super().__init__(max_workers)


@pytest.mark.parametrize(("threads", "env", "expected"), [(3, None, 3), (None, "2", 2)])
def test_pool_workers_use_the_thread_policy(tmp_path, monkeypatch, threads, env, expected):
    monkeypatch.setattr(executors, "ProcessPoolExecutor", _ThreadPool)
    if env is None:
        monkeypatch.delenv("FACEPSYCH_THREADS", raising=False)
    else:
        monkeypatch.setenv("FACEPSYCH_THREADS", env)
    with Progress(2, tmp_path, enabled=False) as prog:
        results = run_cells(_threads_task, _payloads("a", "b"), workers=2, threads=threads,
                            progress=prog)  # fmt: skip
    assert sorted(r["threads"] for r in results) == [expected, expected]


@pytest.mark.slow
def test_process_pool_matches_sequential(tiny_config, tiny_run, tmp_path):
    out = run_study(config_from_dict(tiny_config), tmp_path / "pool", workers=2,
                         progress=False)  # fmt: skip
    assert_same_results(out, tiny_run)


@pytest.mark.slow
def test_local_ray_with_two_cpus(local_ray, tiny_config, tiny_run, tmp_path):
    out = run_study(config_from_dict(tiny_config), tmp_path / "ray", executor="ray",
                         workers=2, progress=False)  # fmt: skip
    assert_same_results(out, tiny_run)
    assert local_ray.is_initialized()  # the test's Ray was used, not a second one


def test_pool_workers_share_the_cores_by_default(tmp_path, monkeypatch):
    from facepsych.runtime import available_cores

    monkeypatch.setattr(executors, "ProcessPoolExecutor", _ThreadPool)
    monkeypatch.delenv("FACEPSYCH_THREADS", raising=False)
    with Progress(2, tmp_path, enabled=False) as prog:
        results = run_cells(_threads_task, _payloads("a", "b"), workers=2, progress=prog)
    assert [r["threads"] for r in results] == [max(1, available_cores() // 2)] * 2


def test_lines_count_from_the_given_start(tmp_path):
    import time

    out = io.StringIO()
    with Progress(1, tmp_path, stream=out, started=time.perf_counter() - 100.0) as prog:
        run_cells(_threads_task, _payloads("a"), workers=1, progress=prog)
    assert re.fullmatch(r"\[ *1\d\d\.\ds\] cell 1/1 done: a \(\d+\.\d s\)\n", out.getvalue())


@pytest.mark.slow
def test_ray_feature_extraction_matches_local(local_ray, tiny_config, tiny_run, tmp_path,
                                              monkeypatch):  # fmt: skip
    from facepsych.train import sharded

    monkeypatch.setenv("FACEPSYCH_CACHE", str(tmp_path / "cache"))  # none of tiny_run's features
    folders = []
    extract = sharded.extract_on_ray

    def spy(net, dataset, folder, *args, **kwargs):
        folders.append(folder)
        return extract(net, dataset, folder, *args, **kwargs)

    monkeypatch.setattr(sharded, "extract_on_ray", spy)
    tiny_config["training"]["extract_executor"] = "ray"
    out = run_study(config_from_dict(tiny_config), tmp_path / "ray", progress=False)
    assert_same_results(out, tiny_run)
    assert folders and all(f.is_relative_to(tmp_path / "cache") for f in folders)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["extract_executor"] == "ray"
    assert {c["training"]["extract_executor"] for c in manifest["cells"]} == {"ray"}


def test_an_unknown_extraction_executor_is_one_line(tiny_config, tmp_path):
    from facepsych.errors import FacepsychError

    with pytest.raises(
        FacepsychError, match=r"^unknown extraction executor 'spark' \(use local or"
    ):
        run_study(config_from_dict(tiny_config), tmp_path / "r", extract_executor="spark")
    assert not (tmp_path / "r").exists()
    bad = {**tiny_config, "training": {**tiny_config["training"], "extract_executor": "spark"}}
    with pytest.raises(
        FacepsychError, match=r"training\.extract_executor: Input should be 'local'"
    ):
        config_from_dict(bad)
