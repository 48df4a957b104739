"""Kill-and-resume: a run killed (SIGKILL) after its first cell resumes without redoing it, and
ends with the same outputs as a clean run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from facepsych.experiment import config_from_dict, expand_grid
from tests.experiment.conftest import assert_same_results


def _cli(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from facepsych.cli import main; main()", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait(path: Path, proc: subprocess.Popen, timeout: float) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if path.exists():
            return
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"run ended early (rc {proc.returncode}): {err[-2000:]}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"{path} did not appear within {timeout} s")


@pytest.mark.slow
def test_kill_after_first_cell_then_resume(tiny_config, tiny_run, tmp_path):
    cfg_file = tmp_path / "tiny.yaml"
    cfg_file.write_text(yaml.safe_dump(tiny_config))
    cells = expand_grid(config_from_dict(tiny_config))
    first, last = cells[0].cell_id, cells[-1].cell_id
    env = {**os.environ, "FACEPSYCH_CACHE": str(tmp_path / "cache")}
    run = tmp_path / "run"

    proc = _cli("run", str(cfg_file), "--out", str(run), env=env)
    _wait(run / "cells" / first / "done.json", proc, timeout=240)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (run / "cells" / last / "done.json").exists(), "killed too late to test resume"
    done_before = (run / "cells" / first / "done.json").read_text()
    preds_before = (run / "cells" / first / "predictions.csv").stat().st_mtime_ns

    # the same command without --resume is refused and changes nothing
    again = _cli("run", str(cfg_file), "--out", str(run), env=env)
    _, err = again.communicate(timeout=120)
    assert again.returncode == 2
    assert err.strip().endswith("pass --resume to continue it or --force to start over")

    resumed = _cli("run", str(cfg_file), "--out", str(run), "--resume", env=env)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err[-2000:]
    assert "resuming: 1 of 2 cells already finished" in err
    assert (run / "cells" / first / "done.json").read_text() == done_before
    assert (run / "cells" / first / "predictions.csv").stat().st_mtime_ns == preds_before
    assert (run / "cells" / first / "attempts.txt").read_text().strip() == "1"
    assert json.loads((run / "manifest.json").read_text())["status"] == "complete"

    assert_same_results(run, tiny_run)  # equal to a clean run of the same config
