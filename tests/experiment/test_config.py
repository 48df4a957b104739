"""Config schema: every error at once with its config path, files checked, paths resolved."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from facepsych.errors import FacepsychError
from facepsych.experiment import config_from_dict, load_config
from facepsych.experiment.config import weights_label


def _minimal(**over):
    raw = {
        "data": {"format": "synthetic"},
        "models": [{"arch": "alexnet", "weights": "random"}],
        "stimuli": {"continua": [{"synthetic": {"identities": 1}}]},
    }
    raw.update(over)
    return raw


def _errors(raw, tmp_path: Path) -> list[str]:
    f = tmp_path / "c.yaml"
    f.write_text(yaml.safe_dump(raw))
    with pytest.raises(FacepsychError) as exc:
        load_config(f)
    lines = str(exc.value).splitlines()
    assert lines[0] == f"{f}: {len(lines) - 1} problem{'s' if len(lines) > 2 else ''}"
    return [ln.strip() for ln in lines[1:]]


def test_minimal_config_defaults():
    cfg = config_from_dict(_minimal())
    assert cfg.models[0].weights == {"random": "random"}
    assert cfg.models[0].seeds == [0]
    assert cfg.training.epochs == 40 and cfg.training.batch_size == 128
    assert cfg.training.lr == pytest.approx(1e-4)
    assert cfg.humans.source == "published"
    assert cfg.stimuli.conditions == ["full"]
    assert cfg.analysis.fit.guess == (0.0, 0.05)


def test_all_errors_reported_at_once_with_paths(tmp_path):
    raw = _minimal(
        data={"format": "folder", "path": "missing-data", "bogus": 1},
        models=[
            {"arch": "alexnet", "weights": ["random", "file:nope.pth"]},
            {"arch": "fe-alexnet", "excitation": ["pool9"]},
            {"arch": "vgg11", "seeds": "x", "weights": "pretrained:face"},
        ],
        stimuli={"continua": [{"path": "no-continuum"}, {}], "conditions": ["full", "ears"]},
        humans={"source": "trials"},
    )
    errs = _errors(raw, tmp_path)
    assert "data.bogus: unknown key" in errs
    assert f"data.path: data folder not found: {tmp_path / 'missing-data'}" in errs
    assert f"models[0].weights[1]: file not found: {tmp_path / 'nope.pth'}" in errs
    bad_pos = "models[1].excitation: unknown excitation position 'pool9'"
    assert any(e.startswith(bad_pos) for e in errs)
    assert any(e.startswith("models[2].seeds[0]: ") for e in errs)
    assert "models[2].weights: no pretrain entry named 'face' (pretrain: {face: …})" in errs
    missing = tmp_path / "no-continuum"
    assert f"stimuli.continua[0].path: continuum folder not found: {missing}" in errs
    assert "stimuli.continua[1]: give exactly one of path, synthetic, morph" in errs
    assert any(e.startswith("stimuli.conditions[1]: ") for e in errs)
    assert "humans: source 'trials' needs a path" in errs


def test_missing_sections_and_bad_types(tmp_path):
    errs = _errors({"models": "alexnet", "training": {"epochs": 0}}, tmp_path)
    assert "data: required key missing" in errs
    assert "stimuli: required key missing" in errs
    assert any(e.startswith("models: ") for e in errs)
    assert any(e.startswith("training.epochs: ") for e in errs)


def test_yaml_and_file_level_errors(tmp_path):
    with pytest.raises(FacepsychError, match=r"^config file not found: "):
        load_config(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: [unclosed\n")
    with pytest.raises(FacepsychError, match=r"not valid YAML \(line \d+, column \d+\)"):
        load_config(bad)
    top = tmp_path / "list.yaml"
    top.write_text("- a\n- b\n")
    with pytest.raises(FacepsychError, match="top level must be a mapping of sections, got list"):
        load_config(top)


def test_yaml_is_loaded_safely(tmp_path):
    f = tmp_path / "evil.yaml"
    f.write_text("name: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(FacepsychError, match="not valid YAML"):
        load_config(f)


def test_relative_paths_resolve_against_config_folder(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "w.pth").write_bytes(b"x")
    (tmp_path / "cont").mkdir()
    f = tmp_path / "sub" / "c.yaml"
    f.parent.mkdir()
    f.write_text(
        yaml.safe_dump(
            {
                "data": {"format": "folder", "path": "../data"},
                "models": [{"arch": "alexnet", "weights": {"face": "file:../w.pth"}}],
                "stimuli": {"continua": [{"path": "../cont"}]},
            }
        )
    )
    cfg = load_config(f)
    assert cfg.data.path == str((tmp_path / "data").resolve())
    assert cfg.models[0].weights == {"face": f"file:{(tmp_path / 'w.pth').resolve()}"}
    assert cfg.stimuli.continua[0].path == str((tmp_path / "cont").resolve())


def test_fingerprint_ignores_output_but_not_grid():
    a = config_from_dict(_minimal(output={"dir": "/tmp/a"}))
    b = config_from_dict(_minimal(output={"dir": "/tmp/b"}))
    c = config_from_dict(_minimal(models=[{"arch": "alexnet", "seeds": [0, 1]}]))
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != c.fingerprint()


@pytest.mark.parametrize(
    ("source", "label"),
    [
        ("imagenet", "imagenet"),
        ("random", "random"),
        ("file:/x/face_alexnet.pth", "face_alexnet"),
        ("pretrained:face", "face"),
        ("vggface:/w/vgg_face.pth", "vgg_face"),
    ],
)
def test_weights_label(source, label):
    assert weights_label(source) == label


def test_shipped_configs_validate(tmp_path):
    root = Path(__file__).resolve().parents[2]
    import facepsych

    demo = Path(facepsych.__file__).parent / "configs" / "demo.yaml"
    cfg = load_config(demo)
    assert {m.arch for m in cfg.models} >= {"alexnet", "fe-alexnet"}
    for name in ("paper.yaml", "se-ablation.yaml"):
        # the paper configs name files the user fills in: only schema errors would be a bug
        try:
            load_config(root / "configs" / name)
        except FacepsychError as exc:
            problems = str(exc).splitlines()[1:]
            assert problems and all("not found" in p for p in problems), str(exc)


def test_training_section_is_derived_from_train_config(tmp_path):
    from dataclasses import fields

    from facepsych.experiment.config import TrainingConfig, TrainingOverrides
    from facepsych.train import TrainConfig

    runner_set = {"seed", "cache_dir", "progress"}
    study = {f.name for f in fields(TrainConfig)} - runner_set
    assert set(TrainingConfig.model_fields) == study | {"hidden"}
    assert set(TrainingOverrides.model_fields) == study | {"hidden"}
    defaults = TrainingConfig()
    assert (defaults.image_size, defaults.device, defaults.workers) == (224, "auto", 4)
    errs = _errors({"models": "alexnet", "training": {"balance": "odd", "workers": -1}}, tmp_path)
    assert any(e.startswith("training.balance: ") for e in errs)
    assert any(e.startswith("training.workers: ") for e in errs)


# ------------------------------------------------------------------------------ strict values


@pytest.mark.parametrize(
    ("section", "line"),
    [
        ({"training": {"epochs": True}},
         "training.epochs: Input should be a valid integer (got True, bool)"),
        ({"training": {"epochs": "3"}},
         "training.epochs: Input should be a valid integer (got '3', str)"),
        ({"training": {"augment": 1}},
         "training.augment: Input should be a valid boolean (got 1, int)"),
        ({"training": {"lr": "1e-3"}},
         "training.lr: Input should be a valid number (got '1e-3', str)"),
        ({"seed": 1.5}, "seed: Input should be a valid integer (got 1.5, float)"),
        ({"output": {"figures": "yes"}},
         "output.figures: Input should be a valid boolean (got 'yes', str)"),
    ],
)  # fmt: skip
def test_values_are_taken_as_written(tmp_path, section, line):
    """No bool-as-int, no "3"-as-int, no 1-as-bool: YAML's types are the config's."""
    assert _errors(_minimal(**section), tmp_path) == [line]


def test_a_float_field_takes_an_int_and_a_pair_takes_a_list(tmp_path):
    cfg = config_from_dict(
        _minimal(training={"lr": 1, "epochs": 2}, analysis={"fit": {"guess": [0, 0.02]}})
    )
    assert cfg.training.lr == 1.0 and cfg.training.epochs == 2
    assert cfg.analysis.fit.guess == (0.0, 0.02)


@pytest.mark.parametrize(
    ("over", "line"),
    [
        ({"name": ""}, "name: name must not be empty"),
        ({"name": "   "}, "name: name must not be empty"),
        ({"name": "../"}, "name: name '../' has no usable characters; use letters, digits, "
                          "'.', '_', '-'"),
        ({"stimuli": {"continua": [{"name": "", "synthetic": {"identities": 1}}]}},
         "stimuli.continua[0].name: continuum name must not be empty"),
        ({"models": [{"arch": "alexnet", "name": "///"}]},
         "models[0].name: model name '///' has no usable characters; use letters, digits, '.', "
         "'_', '-'"),
    ],
)  # fmt: skip
def test_names_must_name_something(tmp_path, over, line):
    assert _errors(_minimal(**over), tmp_path) == [line]


@pytest.mark.parametrize(
    ("over", "start"),
    [
        ({"models": [{"arch": "resnet50"}]}, "models[0]: unknown arch 'resnet50' (known: alexnet"),
        ({"models": [{"arch": "alexnet", "weights": "vggface:w.pth"}]},
         "models[0]: vggface weights are VGG16 weights; use arch vgg16, not alexnet"),
        ({"models": [{"arch": "mobilenet_v2", "weights": "dlib"}]},
         "models[0]: mobilenet_v2 has no 'dlib' weights (it has: "),
        ({"pretrain": {"p": {"task": "identity", "arch": "vgg99"}},
          "models": [{"arch": "alexnet", "weights": "pretrained:p"}]},
         "pretrain.p.arch: unknown arch 'vgg99'"),
    ],
)  # fmt: skip
def test_archs_and_their_weights_are_checked_by_the_schema(tmp_path, over, start):
    (tmp_path / "w.pth").write_bytes(b"x")
    errors = _errors(_minimal(**over), tmp_path)
    assert any(e.startswith(start) for e in errors), errors
