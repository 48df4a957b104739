"""The thread policy, device resolution and plain progress lines."""

from __future__ import annotations

import io

import pytest
import torch

from facepsych.errors import FacepsychError
from facepsych.runtime import (
    THREADS_ENV,
    StepLog,
    apply_threads,
    is_interactive,
    resolve_device,
    resolve_threads,
)


def test_threads_are_cores_divided_by_workers_unless_overridden(monkeypatch):
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert resolve_threads(workers=1, cores=16) == 16
    assert resolve_threads(workers=3, cores=16) == 5
    assert resolve_threads(workers=4, cores=2) == 1  # never 0
    monkeypatch.setenv(THREADS_ENV, "3")
    assert resolve_threads(workers=4, cores=16) == 3
    assert resolve_threads(2, workers=4, cores=16) == 2  # an explicit value wins


@pytest.mark.parametrize(
    ("threads", "env", "message"),
    [
        (0, None, "threads must be a positive integer, got 0"),
        (None, "many", "FACEPSYCH_THREADS must be a positive integer, got 'many'"),
        (None, "-2", "FACEPSYCH_THREADS must be a positive integer, got '-2'"),
    ],
)
def test_bad_thread_counts_are_one_line_errors(monkeypatch, threads, env, message):
    if env is None:
        monkeypatch.delenv(THREADS_ENV, raising=False)
    else:
        monkeypatch.setenv(THREADS_ENV, env)
    with pytest.raises(FacepsychError, match=f"^{message}$"):
        resolve_threads(threads)


def test_apply_threads_sets_torch(monkeypatch):
    monkeypatch.setenv(THREADS_ENV, "2")
    assert apply_threads() == 2 and torch.get_num_threads() == 2
    assert apply_threads(1) == 1 and torch.get_num_threads() == 1


def test_devices():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("CPU") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    with pytest.raises(FacepsychError, match=r"^unknown device 'tpu' \(use auto, cpu, cuda or"):
        resolve_device("tpu")
    with pytest.raises(FacepsychError, match=r"^unknown device 'mps'"):
        resolve_device("mps")
    if not torch.cuda.is_available():
        with pytest.raises(FacepsychError, match="^device 'cuda:1' asked for, but no CUDA GPU"):
            resolve_device("cuda:1")


def test_step_log_writes_lines_only_off_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    pipe, tty = io.StringIO(), Tty()
    assert not is_interactive(pipe) and is_interactive(tty)
    StepLog(pipe)("extracting features: shard 1/2")
    StepLog(tty)("hidden on a terminal")
    (line,) = pipe.getvalue().splitlines()
    assert line.startswith("[") and line.endswith("s] extracting features: shard 1/2")
    assert tty.getvalue() == ""
