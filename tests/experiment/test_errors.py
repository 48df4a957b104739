"""Bad input through the CLI: one clear message, exit status 2, nothing overwritten."""

from __future__ import annotations

import json

import pytest
import yaml

from facepsych.cli import main


def _run(argv, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    return exc.value.code, capsys.readouterr().err


def test_config_errors_exit_2_with_every_problem(tmp_path, capsys):
    f = tmp_path / "bad.yaml"
    raw = {
        "data": {"format": "folder", "path": "nowhere"},
        "models": [{"arch": "alexnet", "weights": "file:w.pth"}],
        "stimuli": {"continua": [{"path": "c"}]},
        "extra": 1,
    }
    f.write_text(yaml.safe_dump(raw))
    code, err = _run(["run", str(f), "--out", str(tmp_path / "run")], capsys)
    assert code == 2
    assert err.startswith(f"error: {f}: 4 problems\n")
    assert "  extra: unknown key" in err
    assert f"  models[0].weights: file not found: {tmp_path / 'w.pth'}" in err
    assert "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_unwritable_output_folder(tiny_config, tmp_path, capsys):
    f = tmp_path / "c.yaml"
    f.write_text(yaml.safe_dump(tiny_config))
    code, err = _run(["run", str(f), "--out", "/proc/facepsych-run"], capsys)
    assert code == 2
    assert err.startswith("error: cannot create run folder /proc/facepsych-run: ")


def test_run_folder_of_another_config_is_refused(tiny_config, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    manifest = {"config_fingerprint": "0" * 64, "config": {"name": "other"}, "status": "complete"}
    (run / "manifest.json").write_text(json.dumps(manifest))
    before = (run / "manifest.json").read_bytes()
    f = tmp_path / "c.yaml"
    f.write_text(yaml.safe_dump(tiny_config))
    code, err = _run(["run", str(f), "--out", str(run)], capsys)
    assert code == 2
    assert "holds a run of a different config (changed: " in err
    assert err.rstrip().endswith("--force to discard that run and start over (nothing was changed)")
    assert (run / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in run.iterdir()) == ["manifest.json"]


def test_foreign_folder_is_refused(tiny_config, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    f = tmp_path / "c.yaml"
    f.write_text(yaml.safe_dump(tiny_config))
    code, err = _run(["run", str(f), "--out", str(tmp_path), "--force"], capsys)
    assert code == 2 and "holds no manifest.json" in err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_report_of_a_non_run_folder(tmp_path, capsys):
    code, err = _run(["report", str(tmp_path)], capsys)
    assert code == 2
    assert err.strip() == f"error: {tmp_path} is not a run folder: manifest.json not found"


def test_unknown_executor(tiny_config, tmp_path, capsys):
    f = tmp_path / "c.yaml"
    f.write_text(yaml.safe_dump(tiny_config))
    code, err = _run(["run", str(f), "--out", str(tmp_path / "r"), "--executor", "slurm"], capsys)
    assert code == 2
    assert err.strip() == "error: unknown executor 'slurm' (choose local or ray)"
    assert not (tmp_path / "r").exists()
