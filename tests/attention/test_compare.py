"""``facepsych attention-compare`` and :func:`facepsych.attention.compare_attention` end to end
(tiny images; fixtures in conftest.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from facepsych.attention import METRIC_COLUMNS, compare_attention, run_cams
from facepsych.attention.compare import load_cams
from facepsych.cli import main
from facepsych.errors import FacepsychError
from tests.attention.conftest import cli as _cli


def test_attention_compare(run_dir, continua, tmp_path, capsys):
    out = tmp_path / "cams"
    run_cams(run_dir, continua, out, overlays=False)
    fix = tmp_path / "fix.csv"
    pd.DataFrame(
        {
            "image": ["full/step_00.png"] * 3 + ["step_01.png"] * 2,
            "x": [10, 24, 30, 5, 40],
            "y": [12, 20, 30, 6, 44],
        }
    ).to_csv(fix, index=False)
    # step_01.png is ambiguous (full/ and eyes/) -> a clear error
    code, io = _cli(["attention-compare", "--cams", str(out), "--fixations", str(fix),
                     "--out", str(tmp_path / "m.csv")], capsys)  # fmt: skip
    assert code == 2 and "have no CAM, e.g. 'step_01.png'" in io.err
    df = pd.read_csv(fix)
    df.loc[df["image"] == "step_01.png", "image"] = "eyes/step_01.png"
    df.to_csv(fix, index=False)
    main(["attention-compare", "--cams", str(out), "--fixations", str(fix),
          "--out", str(tmp_path / "m.csv"), "--sigma", "3"])  # fmt: skip
    metrics = pd.read_csv(tmp_path / "m.csv")
    assert list(metrics.columns) == list(METRIC_COLUMNS)
    assert metrics["n_fixations"].tolist() == [3, 2]
    values = metrics[["nss", "cc", "sim", "kl_div", "auc_judd", "auc_borji", "auc_shuffled"]]
    assert values.notna().all().all()
    assert (metrics["sigma_px"] == 3).all()
    again = compare_attention(out, fix, sigma=3)
    pd.testing.assert_frame_equal(again, metrics, check_dtype=False)
    with pytest.raises(FacepsychError, match="need a 'subject' column"):
        compare_attention(out, fix, per_subject=True)
    df["subject"] = [1, 1, 2, 1, 1]
    df.to_csv(fix, index=False)
    main(["attention-compare", "--cams", str(out), "--fixations", str(fix),
          "--out", str(tmp_path / "s.csv"), "--sigma", "3", "--per-subject"])  # fmt: skip
    per = pd.read_csv(tmp_path / "s.csv")
    assert per[["image", "subject", "n_fixations"]].values.tolist() == [
        ["full/step_00.png", 1, 2],
        ["full/step_00.png", 2, 1],
        ["eyes/step_01.png", 1, 2],
    ]
    # a subject who made all of an image's fixations scores what the pooled row scores
    pooled, single = metrics.iloc[1], per.iloc[2]
    for col in ("nss", "cc", "auc_judd", "auc_borji", "auc_shuffled"):
        assert single[col] == pytest.approx(pooled[col])


def test_attention_compare_errors(run_dir, continua, tmp_path, capsys):
    out = tmp_path / "cams"
    run_cams(run_dir, continua / "full", out, overlays=False)
    capsys.readouterr()
    fix = tmp_path / "fix.csv"
    fix.write_text("image,x,y\nstep_00.png,48,3\n")
    code, io = _cli(["attention-compare", "--cams", str(out), "--fixations", str(fix),
                     "--out", str(tmp_path / "m.csv")], capsys)  # fmt: skip
    assert code == 2
    assert io.err == (
        "error: fixation (x=48, y=3) for image 'step_00.png' lies outside the 48x48 image "
        "(1 of 1 fixations outside)\n"
    )
    fix.write_text("image,x,y\n")
    code, io = _cli(["attention-compare", "--cams", str(out), "--fixations", str(fix),
                     "--out", str(tmp_path / "m.csv")], capsys)  # fmt: skip
    assert code == 2 and io.err.startswith("error: no fixations in")
    with pytest.raises(FacepsychError, match="no cams.npz at"):
        compare_attention(tmp_path / "nowhere", fix)


def test_a_study_cells_cams_read_like_facepsych_cams(tmp_path, monkeypatch, capsys):
    """``attention-compare --cams RUN/cells/<cell>`` on the runner's own cams.npz (frames,
    steps, float16 maps): images are the frames, sizes come from the frames' headers."""
    import copy

    import numpy as np

    from facepsych.experiment import config_from_dict, run_experiment
    from tests.experiment.conftest import TINY

    monkeypatch.setenv("FACEPSYCH_CACHE", str(tmp_path / "cache"))
    cfg = copy.deepcopy(TINY)
    cfg["models"] = cfg["models"][:1]
    cfg["stimuli"]["conditions"] = ["full"]
    cfg["stimuli"]["continua"][0]["synthetic"].update(steps=3, image_size=48)
    cfg["analysis"]["cam"]["steps"] = [0, 2]
    run = run_experiment(config_from_dict(cfg), tmp_path / "run", progress=False, report=None)
    cell = next((run / "cells").iterdir())
    with np.load(cell / "cams.npz") as raw:
        assert "images" not in raw.files and "frames" in raw.files  # the runner's own layout
        frames = [str(f) for f in raw["frames"]]
    cams = load_cams(cell)
    assert [str(n) for n in cams["images"]] == frames and cams["maps"].dtype == np.float32
    assert cams["sizes"].tolist() == [[48, 48], [48, 48]]
    fix = tmp_path / "fix.csv"
    names = [frames[0].rsplit("/", 1)[-1]] * 2 + [frames[1]] * 2  # a basename and a full name
    pd.DataFrame({"image": names, "x": [10, 20, 30, 5], "y": [12, 20, 30, 40]}).to_csv(
        fix, index=False
    )
    out = tmp_path / "m.csv"
    main(["attention-compare", "--cams", str(cell), "--fixations", str(fix), "--out", str(out),
          "--sigma", "3"])  # fmt: skip
    metrics = pd.read_csv(out)
    assert metrics["n_fixations"].tolist() == [2, 2] and metrics["nss"].notna().all()
    # the same maps written by facepsych cam's layout give the same metrics
    np.savez(tmp_path / "cams.npz", images=np.array(frames), maps=cams["maps"],
             sizes=cams["sizes"])  # fmt: skip
    same = compare_attention(tmp_path / "cams.npz", fix, sigma=3)
    pd.testing.assert_frame_equal(same, metrics, check_dtype=False)


@pytest.mark.parametrize("keys", [{"maps": [[[0.0]]]}, {"frames": ["a.png"]}])
def test_a_cams_file_of_neither_layout_is_one_line(tmp_path, keys):
    import numpy as np

    np.savez(tmp_path / "cams.npz", **{k: np.array(v) for k, v in keys.items()})
    with pytest.raises(FacepsychError) as exc:
        load_cams(tmp_path)
    assert str(exc.value).startswith(f"{tmp_path / 'cams.npz'} lacks images")
    assert str(exc.value).endswith("not a cams.npz of facepsych cam or of a study cell")
