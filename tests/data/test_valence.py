from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facepsych.data.valence import (
    EMOTIONS,
    normalise_emotion,
    resolve_valence,
)
from facepsych.errors import FacepsychError


def test_default_map_matches_the_issue():
    vmap = resolve_valence("default")
    assert vmap.label("happy") == 1
    for neg in ("sad", "anger", "fear", "disgust", "contempt"):
        assert vmap.label(neg) == 0
    for other in ("neutral", "surprise", "none", "uncertain", "non-face"):
        assert vmap.label(other) is None


def test_mixed_case_and_synonyms_normalise():
    vmap = resolve_valence("default")
    assert [vmap.label(x) for x in ("HAPPINESS", " Happiness ", "SADNESS", "angry")] == [1, 1, 0, 0]
    assert normalise_emotion("Non_Face") == "non-face"


def test_happy_sad_excludes_other_emotions():
    vmap = resolve_valence("happy-sad")
    assert vmap.label("happiness") == 1 and vmap.label("sadness") == 0
    assert vmap.label("anger") is None


def test_unknown_label_is_a_key_error():
    with pytest.raises(KeyError):
        resolve_valence("default").label("joyfull")


def test_positive_negative_labels_always_map():
    for name in ("default", "happy-sad"):
        vmap = resolve_valence(name)
        assert vmap.label("Positive") == 1 and vmap.label("negative") == 0


def test_valence_threshold():
    vmap = resolve_valence("valence:0.2")
    assert vmap.continuous
    assert [vmap.label_value(v) for v in (0.5, 0.2, 0.0, -0.21, -2.0)] == [1, None, None, 0, None]
    assert resolve_valence("valence").threshold == 0.0


@given(st.floats(-1, 1, allow_nan=False), st.floats(0, 0.99))
def test_threshold_is_antisymmetric(v, t):
    vmap = resolve_valence(f"valence:{t}")
    a, b = vmap.label_value(v), vmap.label_value(-v)
    assert (a is None) == (b is None)
    if a is not None:
        assert a == 1 - b


def test_user_yaml_map(tmp_path):
    path = tmp_path / "smiles.yaml"
    path.write_text("positive: [smile, happy]\nnegative: [frown]\nexclude: [neutral]\n")
    vmap = resolve_valence(str(path))
    assert vmap.name == "smiles"
    assert vmap.label("Smile") == 1 and vmap.label("frown") == 0 and vmap.label("neutral") is None
    with pytest.raises(KeyError):
        vmap.label("anger")


def test_mapping_errors_are_one_line(tmp_path):
    with pytest.raises(FacepsychError, match="needs at least one 'positive' and one 'negative'"):
        resolve_valence({"positive": ["happy"]})
    with pytest.raises(FacepsychError, match=r"both positive and negative: \['happy'\]"):
        resolve_valence({"positive": ["happy"], "negative": ["happy"]})
    with pytest.raises(FacepsychError, match="unknown valence map 'nope'"):
        resolve_valence("nope")
    with pytest.raises(FacepsychError, match="valence map file not found"):
        resolve_valence(str(tmp_path / "missing.yaml"))
    with pytest.raises(FacepsychError, match=r"valence threshold must be in \[0, 1\)"):
        resolve_valence("valence:1.5")


def test_a_hostile_or_broken_map_file_is_one_line(tmp_path):
    import time

    laughs = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        laughs.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [{', '.join([f'*{prev}'] * 9)}]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join([*laughs, "positive: *i", "negative: [sad]"]) + "\n")
    start = time.perf_counter()
    with pytest.raises(FacepsychError, match=r"bomb.yaml: not a usable valence map: its aliases"):
        resolve_valence(str(bomb))
    assert time.perf_counter() - start < 1.0
    dup = tmp_path / "dup.yaml"
    dup.write_text("positive: [happy]\nnegative: [sad]\npositive: [smile]\n")
    with pytest.raises(
        FacepsychError, match=r"duplicate key 'positive' \(line 3; first at line 1\)"
    ):
        resolve_valence(str(dup))
    binary = tmp_path / "map.yaml"
    binary.write_bytes(b"\xff\xfe\x00positive")
    with pytest.raises(FacepsychError, match=r"map.yaml: not a text file"):
        resolve_valence(str(binary))


def test_every_canonical_emotion_is_known_to_default():
    vmap = resolve_valence("default")
    for e in EMOTIONS:
        vmap.label(e)  # no KeyError
