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


@pytest.mark.parametrize(
    ("over", "line"),
    [
        ({"models": [{"arch": "resnet50", "weights": "random"}]},
         "  models[0]: unknown arch 'resnet50' (known: "),
        ({"models": [{"arch": "alexnet", "weights": "vggface:w.pth"}]},
         "  models[0]: vggface weights are VGG16 weights; use arch vgg16, not alexnet"),
        ({"training": {"epochs": True}},
         "  training.epochs: Input should be a valid integer (got True, bool)"),
        ({"name": ""}, "  name: name must not be empty"),
        ({"analysis": {"cam": {"layers": ["features.99"]}}},
         "  analysis.cam.layers: models[0] (alexnet) has no layer 'features.99'"),
        ({"analysis": {"cam": {"target": "banana"}}},
         "  analysis.cam.target: unknown target 'banana'; use 'positive', 'predicted' or a "
         "class index 0..1"),
        ({"models": [{"arch": "alexnet", "excitation": ["conv1"]}]},
         "  models[0]: excitation blocks are only available for fe-alexnet, not 'alexnet'"),
        ({"stimuli": {"continua": [{"synthetic": {"identities": 1}}],
                      "occlusion": {"fill": "banana"}}},
         "  stimuli.occlusion.fill: bad colour 'banana'; use grey, #rrggbb or r,g,b"),
        ({"data": {"format": "synthetic", "valence": "nonsense"}},
         "  data.valence: unknown valence map 'nonsense'"),
        ({"data": {"format": "synthetic", "valence": "map.yaml"}},
         "  data.valence: valence map file not found: "),
        ({"training": {"device": "banana"}},
         "  training.device: unknown device 'banana' (use auto, cpu, cuda or cuda:N)"),
    ],
)  # fmt: skip
def test_a_config_error_leaves_no_run_folder(tiny_config, tmp_path, capsys, over, line):
    """Everything the config can be checked for (schema, archs and their weights, CAM layers
    and target, colours, valence maps, device spellings) is checked before the first byte of
    the run folder."""
    (tmp_path / "w.pth").write_bytes(b"x")
    f = tmp_path / "c.yaml"
    f.write_text(yaml.safe_dump({**tiny_config, **over}))
    code, err = _run(["run", str(f), "--out", str(tmp_path / "run")], capsys)
    assert code == 2 and err.startswith(f"error: {f}: ") and f"\n{line}" in err, err
    assert not (tmp_path / "run").exists()


def test_names_never_leave_the_run_folder(tiny_config, tmp_path, monkeypatch, capsys):
    """A config name ``../../x`` and a continuum name ``../../../y`` become the slugs ``x``
    and ``y``: every file the run writes lies in ``runs/x``."""
    cfg = {
        **tiny_config,
        "name": "../../x",
        "models": [{"arch": "alexnet", "weights": "random", "hidden": 4}],
        "stimuli": {"continua": [{"name": "../../../y",
                                  "synthetic": {"identities": 1, "steps": 3, "image_size": 32}}]},
        "analysis": {"fit": {"bootstrap": 0}, "cam": {"enabled": False}},
        "training": {"epochs": 1, "batch_size": 8, "image_size": 64},
        "output": {"figures": False},
    }  # fmt: skip
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    (work / "c.yaml").write_text(yaml.safe_dump(cfg))
    monkeypatch.chdir(work)
    try:
        main(["run", "c.yaml"])
    except SystemExit as exc:
        assert not exc.code, capsys.readouterr().err
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    outside = [p for p in written if not p.startswith("a/b/runs/x/") and p != "a/b/c.yaml"]
    assert outside == []
    stimuli = work / "runs" / "x" / "stimuli"
    names = [p.name for p in stimuli.iterdir()]
    assert len(names) == 1 and names[0].startswith("y-"), names
