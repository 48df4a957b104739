"""analysis.fixations: every cell compares its CAMs with human fixations (attention.csv)."""

from __future__ import annotations

import copy
import json
import os

import numpy as np
import pandas as pd
import pytest

from facepsych.errors import FacepsychError
from facepsych.experiment import config_from_dict, expand_grid
from facepsych.study import run_study
from tests.experiment.conftest import TINY

CONT = "n100000"  # the tiny study's one lab continuum (the first held-out identity)


def _fixation_csv(path, names_points):
    rows = [{"image": n, "x": x, "y": y, "subject": s}
            for n, pts in names_points.items() for s, (x, y) in enumerate(pts)]  # fmt: skip
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


FIXATIONS = {
    "step_00.png": [(20.5, 25.0), (40.0, 26.0), (31.0, 45.0)],  # eyes and mouth of a 64 px face
    "step_04.png": [(32.0, 44.0), (30.0, 47.5), (22.0, 24.0), (5.0, 60.0)],
    f"{CONT}/mouth/step_04.png": [(32.0, 30.0), (10.0, 10.0)],  # binds to the mouth set only
    "n000000/full/step_00.png": [(3.0, 3.0)],  # no such continuum: no basename fallback
    "step_02.png": [(30.0, 30.0)],  # a frame the cells do not CAM (steps 0 and 4)
    "elsewhere.png": [(1.0, 1.0)],  # no such frame
}


def _with_fixations(path, **cam) -> dict:
    cfg = copy.deepcopy(TINY)
    cfg["analysis"]["fixations"] = str(path)
    cfg["analysis"]["cam"].update(cam)
    return cfg


@pytest.fixture(scope="module")
def fix_run(tmp_path_factory):
    """TINY with a fixation file and CAMs of the full and mouth-occluded faces."""
    cache = str(tmp_path_factory.getbasetemp() / "cache")
    old = os.environ.get("FACEPSYCH_CACHE")
    os.environ["FACEPSYCH_CACHE"] = cache
    try:
        root = tmp_path_factory.mktemp("fix")
        fix = _fixation_csv(root / "fixations.csv", FIXATIONS)
        cfg = _with_fixations(fix, conditions=["full", "mouth"])
        out = run_study(config_from_dict(cfg), root / "run", progress=False, log=lambda m: 0)
    finally:
        if old is None:
            os.environ.pop("FACEPSYCH_CACHE", None)
        else:
            os.environ["FACEPSYCH_CACHE"] = old
    return out, fix, cfg


# ---------------------------------------------------------------------------- the study run
def test_attention_table_has_one_row_per_cam_frame_named(fix_run):
    run, _, cfg = fix_run
    att = pd.read_csv(run / "attention.csv")
    cells = expand_grid(config_from_dict(cfg))
    got = set(zip(att["cell_id"], att["condition"], att["step"], att["image"], strict=True))
    want = set()
    for c in cells:
        want |= {(c.cell_id, cond, 0, "step_00.png") for cond in ("full", "mouth")}
        want |= {(c.cell_id, cond, 4, "step_04.png") for cond in ("full", "mouth")}
        want.add((c.cell_id, "mouth", 4, f"{CONT}/mouth/step_04.png"))
    assert got == want and len(att) == len(want)
    assert list(att.columns[:12]) == [
        "cell_id", "model", "arch", "weights", "domain", "variant", "seed", "continuum",
        "condition", "step", "level", "image",
    ]  # fmt: skip
    assert (att["continuum"] == CONT).all()
    assert att["n_fixations"].tolist() == [len(FIXATIONS[n]) for n in att["image"]]
    assert att["auc_judd"].between(0, 1).all() and np.isfinite(att["nss"]).all()
    # the run table is the cells' tables in grid order
    per_cell = pd.concat([pd.read_csv(run / "cells" / c.cell_id / "attention.csv") for c in cells])
    pd.testing.assert_frame_equal(per_cell.reset_index(drop=True), att)
    info = json.loads((run / "manifest.json").read_text())["fixations"]
    assert info["images"] == 6 and info["matched"] == 3
    assert sorted(info["unmatched"]) == ["elsewhere.png", "n000000/full/step_00.png", "step_02.png"]


def test_nss_equals_the_metric_on_the_saved_cam(fix_run):
    from facepsych.attention import nss

    run, _, cfg = fix_run
    att = pd.read_csv(run / "attention.csv")
    cell = expand_grid(config_from_dict(cfg))[0].cell_id
    with np.load(run / "cells" / cell / "cams.npz") as z:  # first continuum, full faces
        maps, steps = z["maps"].astype(np.float32), z["steps"].tolist()
    for name, step in (("step_00.png", 0), ("step_04.png", 4)):
        want = nss(maps[steps.index(step)], np.array(FIXATIONS[name]), shape=(64, 64))
        row = att[(att["cell_id"] == cell) & (att["condition"] == "full") & (att["image"] == name)]
        assert row["nss"].item() == pytest.approx(want, rel=1e-2, abs=1e-2)  # maps saved fp16


def test_cell_rows_equal_attention_compare_on_the_same_frames(fix_run, tmp_path):
    """A CAM set's rows are `facepsych cam` + `attention-compare` on that continuum folder with
    the fixations of its matched images (same CAMs, same metrics, same shuffled negatives)."""
    from facepsych.attention import METRIC_COLUMNS, compare_attention, run_cams
    from facepsych.train import load_run

    run, fix, cfg = fix_run
    cell = expand_grid(config_from_dict(cfg))[1].cell_id
    net = load_run(run / "training" / cell)
    cams = run_cams(None, run / "stimuli" / CONT / "full", tmp_path / "cams", net=net,
                    overlays=False)  # fmt: skip
    table = pd.read_csv(fix)
    table[table["image"].isin(["step_00.png", "step_04.png"])].to_csv(tmp_path / "f.csv")
    ref = compare_attention(cams, tmp_path / "f.csv")
    att = pd.read_csv(run / "cells" / cell / "attention.csv")
    got = att[att["condition"] == "full"][list(METRIC_COLUMNS)].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, ref, check_exact=False, rtol=1e-4, atol=1e-6)


def test_report_has_the_attention_table(fix_run):
    run, _, _ = fix_run
    html = (run / "report.html").read_text()
    assert "<h2>Model attention vs human fixations</h2>" in html
    section = html.split("<h2>Model attention vs human fixations</h2>")[1].split("<h2>")[0]
    assert "alexnet · random" in section and "fe-alexnet · random · pool5-r16" in section
    assert section.count("<tr>") == 1 + 2 * 2  # header + 2 series × 2 conditions


def test_no_fixations_no_attention_table(tiny_run):
    assert not (tiny_run / "attention.csv").exists()
    assert not list((tiny_run / "cells").glob("*/attention.csv"))
    assert "Model attention vs human fixations" not in (tiny_run / "report.html").read_text()


# ------------------------------------------------------------------------------------ errors
def test_fixations_naming_no_cam_frame_fail_before_any_cell(tmp_path):
    fix = _fixation_csv(tmp_path / "fix.csv", {"a.png": [(1, 1)], "step_02.png": [(2, 2)]})
    out = tmp_path / "run"
    with pytest.raises(FacepsychError) as err:
        run_study(config_from_dict(_with_fixations(fix)), out, progress=False)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("analysis.fixations: none of the 2 fixation image(s) names a CAM'd frame")
    assert "'a.png', 'step_02.png'" in msg and f"'{CONT}/full/step_00.png'" in msg
    assert not (out / "training").exists() and not list(out.glob("cells/*/*"))


def test_fixations_outside_a_matched_frame_fail_before_any_cell(tmp_path):
    fix = _fixation_csv(tmp_path / "fix.csv", {"step_00.png": [(10, 10), (64, 3)]})
    out = tmp_path / "run"
    with pytest.raises(FacepsychError, match=r"fixation \(x=64, y=3\) for image 'step_00.png' "
                       r"lies outside the 64x64 image"):  # fmt: skip
        run_study(config_from_dict(_with_fixations(fix)), out, progress=False)
    assert not (out / "training").exists()


def test_config_checks_the_fixation_file_and_the_cams(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("image,x\na.png,1\n")
    with pytest.raises(FacepsychError) as err:
        config_from_dict(_with_fixations(bad, enabled=False))
    lines = str(err.value).splitlines()
    assert lines[0] == "config: 2 problems"
    assert lines[1:] == [
        "  analysis.fixations: the fixations are compared with the model's CAMs; "
        "set analysis.cam.enabled: true",
        "  analysis.fixations: bad.csv lacks column(s) y; expected image, x, y[, subject, "
        "duration]",
    ]
