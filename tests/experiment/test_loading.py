"""Loading a study config: the YAML read safely (bounded aliases, no duplicate keys), weights
files checked and made absolute through parse_weights."""

from __future__ import annotations

import pytest

from facepsych.errors import FacepsychError
from facepsych.experiment import config_from_dict, load_config
from facepsych.safeyaml import MAX_YAML_NODES, read_yaml


def _raw(weights, **over):
    raw = {
        "data": {"format": "synthetic"},
        "models": [{"arch": "alexnet", "weights": weights}],
        "stimuli": {"continua": [{"synthetic": {"identities": 1}}]},
    }
    raw.update(over)
    return raw


def test_relative_weight_files_become_absolute(tmp_path):
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "face_alexnet.pth").write_bytes(b"x")
    cfg = config_from_dict(_raw(["file:w/face_alexnet.pth", "imagenet"]), base_dir=tmp_path)
    weights = cfg.models[0].weights
    assert weights == {
        "face_alexnet": f"file:{(tmp_path / 'w' / 'face_alexnet.pth').resolve()}",
        "imagenet": "imagenet",
    }


def test_every_weights_problem_at_once(tmp_path):
    raw = _raw({"a": "file:missing.pth", "b": "vggface:gone.pth", "c": "pretrained:face",
                "d": "imagenet1k"})  # fmt: skip
    with pytest.raises(FacepsychError) as err:
        config_from_dict(raw, base_dir=tmp_path, source="c.yaml")
    lines = [ln.strip() for ln in str(err.value).splitlines()]
    assert lines[0] == "c.yaml: 4 problems"
    assert f"models[0].weights.a: file not found: {tmp_path / 'missing.pth'}" in lines
    assert f"models[0].weights.b: file not found: {tmp_path / 'gone.pth'}" in lines
    assert "models[0].weights.c: no pretrain entry named 'face' (pretrain: {face: …})" in lines
    assert any(
        ln.startswith("models[0].weights: unknown weight source 'imagenet1k'") for ln in lines
    )


def test_the_top_level_must_be_a_mapping():
    with pytest.raises(
        FacepsychError, match="the top level must be a mapping of sections, got list"
    ):
        config_from_dict([1, 2])


# ----------------------------------------------------------------------- the YAML document itself


def _laughs(depth: int, section: str = "notes") -> str:
    """A "billion laughs" document: each level repeats the previous one nine times."""
    lines = [
        f"{section}:",
        '  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
    ]
    for k in range(1, depth + 1):
        lines.append(f"  l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("depth", "section"), [(9, "notes"), (6, "description_list")])
def test_nested_aliases_are_refused_at_once(tmp_path, depth, section):
    """9 levels of nine expand to 9**10 values (the classic bomb); 6 levels (4.8 M) in another
    section are refused the same way: the count of expanded nodes is bounded, not the example."""
    import time

    f = tmp_path / "laughs.yaml"
    f.write_text(_laughs(depth, section))
    t = time.perf_counter()
    with pytest.raises(FacepsychError) as exc:
        load_config(f)
    assert time.perf_counter() - t < 5
    assert str(exc.value) == (
        f"{f}: not a usable config: its aliases expand to more than {MAX_YAML_NODES} values; "
        "a config or map is far smaller (nested aliases?)"
    )


def test_a_few_aliases_are_still_fine():
    """Anchors and aliases are ordinary YAML: a small expansion reads as before."""
    doc = _laughs(2)  # 9**3 values: far under the bound
    assert read_yaml(doc)["notes"]["l2"][0][0] == ["lol"] * 9


def test_an_alias_into_itself_is_refused(tmp_path):
    f = tmp_path / "loop.yaml"
    f.write_text("notes: &a {again: *a}\n")
    with pytest.raises(FacepsychError) as exc:
        load_config(f)
    assert str(exc.value) == (
        f"{f}: not a usable config: an alias refers to the node that contains it"
    )


@pytest.mark.parametrize(
    ("doc", "line"),
    [
        ("name: a\nseed: 1\nname: b\n", "duplicate key 'name' (line 3; first at line 1)"),
        ("training:\n  epochs: 1\n  lr: 0.1\n  epochs: 2\n",
         "duplicate key 'epochs' (line 4; first at line 2)"),
    ],
)  # fmt: skip
def test_duplicate_keys_are_refused_with_their_line(tmp_path, doc, line):
    """A top-level and a nested duplicate: YAML would keep the last value silently."""
    f = tmp_path / "dup.yaml"
    f.write_text(doc)
    with pytest.raises(FacepsychError) as exc:
        load_config(f)
    assert str(exc.value) == f"{f}: not a usable config: {line}"


def test_a_folder_as_config_is_named_a_folder(tmp_path):
    with pytest.raises(FacepsychError) as exc:
        load_config(tmp_path)
    assert str(exc.value) == f"{tmp_path} is a folder, not a config file"


def test_a_weights_folder_is_named_a_folder(tmp_path):
    (tmp_path / "weights").mkdir()
    with pytest.raises(FacepsychError) as exc:
        config_from_dict(_raw("file:weights"), base_dir=tmp_path)
    assert f"models[0].weights: {tmp_path / 'weights'} is a folder, not a weights file" in str(
        exc.value
    )
