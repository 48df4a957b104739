"""Fixation names -> CAM'd frames of a study (facepsych.attention.matching); the study-level
behaviour (attention.csv, the checks before any cell) is in tests/experiment/test_attention.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PIL import Image

from facepsych.attention import (
    ATTENTION_KEYS,
    CamSettings,
    attention_rows,
    cam_sets,
    compare_attention,
    frame_name,
    match_fixation_frames,
)


def test_matching_by_file_stem_path_and_qualified_name():
    sets = {
        ("a", "full"): ["step_00.png", "step_04.png"],
        ("a", "mouth"): ["step_00.png", "step_04.png"],
        ("b", "full"): ["sub/x_00.png", "sub/x_04.png"],
    }
    fix = ["step_00.png", "a/mouth/step_04.png", "x_04", "sub/x_00.png", "zz.png",
           "a/eyes/step_00.png", "b/full/x_00"]  # fmt: skip
    out = match_fixation_frames(fix, sets)
    assert out[("a", "full")] == {"step_00.png": 0}  # qualified names do not leak here
    assert out[("a", "mouth")] == {"a/mouth/step_04.png": 1, "step_00.png": 0}
    assert out[("b", "full")] == {"x_04": 1, "sub/x_00.png": 0, "b/full/x_00": 0}
    # a name two frames of one set share (same stem) is ambiguous there: not matched
    assert match_fixation_frames(["f"], {("c", "full"): ["f.png", "f.jpg"]}) == {("c", "full"): {}}


def test_frame_name_is_relative_to_the_continuum_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    assert frame_name(tmp_path / "sub" / "a.png", tmp_path) == "sub/a.png"
    assert frame_name("/elsewhere/b.png", tmp_path) == "b.png"


def test_cam_sets_take_the_settings_steps_and_conditions(tmp_path):
    from facepsych.synthetic import write_synthetic_continuum

    stimuli = []
    for cond in ("full", "eyes"):
        path = write_synthetic_continuum(tmp_path / cond, 3, steps=5, size=32, condition=cond)
        stimuli.append({"continuum": "c", "condition": cond, "path": str(path)})
    sets = cam_sets(stimuli, CamSettings(steps=[0, 4, 9]))
    assert list(sets) == [("c", "full")]
    names, frames = sets[("c", "full")]
    assert names == ["step_00.png", "step_04.png"] and len(frames) == 2


def test_attention_rows_equal_compare_attention_on_the_same_maps(tmp_path):
    rng = np.random.default_rng(0)
    maps = rng.random((2, 8, 8))
    sizes = [(16, 16), (16, 16)]
    table = pd.DataFrame({"image": ["b.png", "a.png", "a.png"], "x": [3.0, 5.0, 9.0],
                          "y": [4.0, 6.0, 2.0]})  # fmt: skip
    keys = [{"continuum": "c", "condition": "full", "step": s, "level": s / 4} for s in (0, 4)]
    rows = attention_rows(table, maps, sizes, keys, {"b.png": 1, "a.png": 0})
    assert [r["image"] for r in rows] == ["a.png", "b.png"]  # frame order
    assert list(rows[0])[:4] == list(ATTENTION_KEYS) and rows[1]["step"] == 4
    for i, name in enumerate(("a.png", "b.png")):
        Image.new("RGB", sizes[i]).save(tmp_path / name)
    np.savez(tmp_path / "cams.npz", images=np.array(["a.png", "b.png"]), maps=maps,
             sizes=np.array(sizes))  # fmt: skip
    table.to_csv(tmp_path / "fix.csv", index=False)
    ref = compare_attention(tmp_path / "cams.npz", tmp_path / "fix.csv")
    assert [r["nss"] for r in rows] == ref.set_index("image").loc[
        ["a.png", "b.png"], "nss"
    ].tolist()
    assert attention_rows(table, maps, sizes, keys, {}) == []
