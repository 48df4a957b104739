"""`facepsych fit` and `facepsych compare` through facepsych.cli.main."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from facepsych.psychophysics import psi
from tests.cli_run import run

from .conftest import simulate_trials

REQUIRED = (
    "group,method,function,pse,pse_lo,pse_hi,slope,slope_lo,slope_hi,sigma,jnd,guess,lapse,"
    "deviance,r2,rmse,n_levels,fit_ok,reason"
).split(",")
X21 = np.round(np.linspace(0, 1, 21), 2)


@pytest.fixture()
def counts_csv(tmp_path):
    n = np.full(11, 30)
    x = np.linspace(0, 1, 11)
    k = np.random.default_rng(0).binomial(n, psi(x, 0.45, 0.1))
    path = tmp_path / "counts.csv"
    pd.DataFrame({"level": x, "k": k, "n": n}).to_csv(path, index=False)
    return path


def test_fit_counts_writes_table_and_plot(tmp_path, counts_csv, capsys):
    out, plot = tmp_path / "fits.csv", tmp_path / "fits.png"
    code, stdout, _ = run(
        ["fit", str(counts_csv), "--bootstrap", "200", "--out", str(out), "--plot", str(plot)],
        capsys,
    )
    assert code == 0
    table = pd.read_csv(out)
    assert set(REQUIRED) <= set(table.columns) and len(table) == 1
    assert (
        table.loc[0, "method"] == "mle"
        and table.loc[0, "pse_lo"] < table.loc[0, "pse"] < table.loc[0, "pse_hi"]
    )
    assert abs(table.loc[0, "pse"] - 0.45) < 0.05
    assert plot.stat().st_size > 5000
    assert "all" in stdout and "pse" in stdout


def test_fit_trials_by_subject_with_1_2_codes(tmp_path, capsys):
    t = simulate_trials(n_subjects=3, trials=15)
    t["response"] = 2 - t["response"]
    t.to_csv(tmp_path / "t.csv", index=False)
    out = tmp_path / "f.csv"
    code, _, _ = run(
        [
            "fit",
            str(tmp_path / "t.csv"),
            "--codes",
            "12",
            "--group-by",
            "subject",
            "--bootstrap",
            "50",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0
    table = pd.read_csv(out)
    assert list(table["group"]) == ["s00", "s01", "s02"] and "subject" in table.columns


def test_fit_proportions_defaults_to_lsq(tmp_path, capsys):
    pd.DataFrame({"level": X21, "p": psi(X21, 0.6, 0.07)}).to_csv(tmp_path / "m.csv", index=False)
    out = tmp_path / "f.csv"
    code, _, _ = run(
        ["fit", str(tmp_path / "m.csv"), "--function", "logistic", "--out", str(out)], capsys
    )
    assert code == 0
    row = pd.read_csv(out).iloc[0]
    assert row["method"] == "lsq" and row["n_levels"] == 9 and row["function"] == "logistic"


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ({"x": [0, 1], "y": [1, 2]}, "error: cannot recognise"),
        (
            {"level": [0, 0.5, 1], "k": [1, 5, 3], "n": [4, 4, 4]},
            "error: k > n at level 0.5 (k=5, n=4)",
        ),
        (
            {"level": [0, 0.5, 1], "k": [4, 4, 4], "n": [4, 4, 4]},
            "error: all responses are identical",
        ),
        (
            {"level": [0, 1, 1], "k": [1, 2, 3], "n": [4, 4, 4]},
            "error: need at least 3 distinct levels, got 2",
        ),
        ({"level": [0, None, 1], "k": [1, 2, 3], "n": [4, 4, 4]}, "error: "),
    ],
)
def test_fit_bad_input_is_one_line_and_exit_2(tmp_path, capsys, frame, message):
    pd.DataFrame(frame).to_csv(tmp_path / "bad.csv", index=False)
    code, _, err = run(["fit", str(tmp_path / "bad.csv"), "--bootstrap", "0"], capsys)
    assert code == 2 and err.startswith(message) and err.count("\n") == 1


def test_fit_unknown_group_column(counts_csv, capsys):
    code, _, err = run(["fit", str(counts_csv), "--group-by", "model"], capsys)
    assert code == 2 and "no column 'model' to group by" in err


def test_compare_with_reference_and_with_trials(tmp_path, capsys):
    preds = pd.concat(
        [
            pd.DataFrame({"model": m, "level": X21, "p": psi(X21, mu, 0.07)})
            for m, mu in (("a", 0.4), ("b", 0.52))
        ]
    )
    preds.to_csv(tmp_path / "preds.csv", index=False)
    out = tmp_path / "cmp.csv"
    code, stdout, _ = run(
        ["compare", "--model", str(tmp_path / "preds.csv"), "--out", str(out)], capsys
    )
    assert code == 0 and "published reference" in stdout
    table = pd.read_csv(out)
    assert list(table["group"]) == ["a", "b"] and (table["human_kind"] == "reference").all()
    assert table.loc[0, "z"] == pytest.approx((table.loc[0, "model_pse"] - 0.514) / 0.092)
    simulate_trials(n_subjects=8, trials=10).to_csv(tmp_path / "h.csv", index=False)
    code, _, _ = run(
        [
            "compare",
            "--model",
            str(tmp_path / "preds.csv"),
            "--human",
            str(tmp_path / "h.csv"),
            "--bootstrap",
            "200",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0
    table = pd.read_csv(out)
    assert (table["human_kind"] == "data").all() and table["rmse"].notna().all()


def test_compare_rejects_non_prediction_file(counts_csv, capsys):
    code, _, err = run(["compare", "--model", str(counts_csv)], capsys)
    assert code == 2 and "model predictions need columns level,p" in err


def test_compare_with_anova_over_model_factors(tmp_path, capsys):
    cells = [
        ("alexnet", "object", 0.3),
        ("alexnet", "face", 0.32),
        ("vgg16", "object", 0.5),
        ("vgg16", "face", 0.52),
    ]
    preds = pd.concat(
        [
            pd.DataFrame({"arch": a, "weights": w, "level": X21, "p": psi(X21, mu, 0.07)})
            for a, w, mu in cells
        ]
    )
    preds.to_csv(tmp_path / "preds.csv", index=False)
    simulate_trials(n_subjects=10, trials=10).to_csv(tmp_path / "h.csv", index=False)
    anova = tmp_path / "anova.csv"
    argv = ["compare", "--model", str(tmp_path / "preds.csv"), "--human", str(tmp_path / "h.csv"),
            "--bootstrap", "100", "--anova-by", "arch,weights",
            "--anova-out", str(anova)]  # fmt: skip
    code, stdout, _ = run(argv, capsys)
    assert code == 0 and "Greenhouse-Geisser" in stdout
    res = pd.read_csv(anova).set_index("effect")
    assert list(res.index) == ["arch", "weights", "arch × weights"]
    assert res.loc["arch", "p"] < 0.001
    code, _, err = run(
        ["compare", "--model", str(tmp_path / "preds.csv"), "--anova-by", "arch"], capsys
    )
    assert code == 2 and "the ANOVA needs human trials of one condition (not the reference)" in err


def test_fit_proportions_with_trial_counts_uses_them(tmp_path, capsys):
    x = np.linspace(0, 1, 11)
    n = np.full(11, 40)
    k = np.random.default_rng(5).binomial(n, psi(x, 0.55, 0.1))
    pd.DataFrame({"level": x, "p": k / n, "n": n}).to_csv(tmp_path / "pn.csv", index=False)
    pd.DataFrame({"level": x, "k": k, "n": n}).to_csv(tmp_path / "kn.csv", index=False)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for src, dst in (("pn.csv", a), ("kn.csv", b)):
        code, _, _ = run(
            [
                "fit",
                str(tmp_path / src),
                "--method",
                "mle",
                "--bootstrap",
                "100",
                "--out",
                str(dst),
            ],
            capsys,
        )
        assert code == 0
    ra, rb = pd.read_csv(a).iloc[0], pd.read_csv(b).iloc[0]
    assert ra["pse"] == pytest.approx(rb["pse"]) and ra["pse_lo"] == pytest.approx(rb["pse_lo"])


def test_fit_and_compare_read_facepsych_predict_output(tmp_path, capsys):
    """Regression (QA): the CSV `facepsych predict` writes (image, p_positive, predicted_label,
    level, condition) must feed `facepsych fit` and `facepsych compare` directly; p_positive is
    read as p, and image / predicted_label are per-stimulus columns, not model groups."""
    p = psi(X21, 0.6, 0.07)
    preds = pd.DataFrame(
        {
            "image": [f"c/full/step_{i:02d}.png" for i in range(21)],
            "p_positive": p,
            "predicted_label": np.where(p >= 0.5, "positive", "negative"),
            "level": X21,
            "condition": "full",
        }
    )
    preds.to_csv(tmp_path / "preds.csv", index=False)
    out = tmp_path / "fits.csv"
    code, _, err = run(["fit", str(tmp_path / "preds.csv"), "--out", str(out)], capsys)
    assert code == 0, err
    assert pd.read_csv(out).loc[0, "pse"] == pytest.approx(0.6, abs=0.01)
    cmp = tmp_path / "cmp.csv"
    code, _, err = run(
        ["compare", "--model", str(tmp_path / "preds.csv"), "--out", str(cmp)], capsys
    )
    assert code == 0, err
    table = pd.read_csv(cmp)
    assert list(table["group"]) == ["full"]
    assert table.loc[0, "model_pse"] == pytest.approx(0.6, abs=0.01)


def test_compare_prints_why_a_model_curve_could_not_be_fitted(tmp_path, capsys):
    """Regression (QA): a flat model curve printed a row of NaN with no reason on screen."""
    pd.DataFrame({"level": X21, "p": 0.5}).to_csv(tmp_path / "flat.csv", index=False)
    code, stdout, _ = run(["compare", "--model", str(tmp_path / "flat.csv")], capsys)
    assert code == 0 and "all responses are identical" in stdout


def test_fit_and_compare_read_human_files_in_lab_formats(tmp_path, capsys):
    from scipy import io

    t = simulate_trials(n_subjects=4, trials=12, seed=5)
    folder = tmp_path / "mat"
    folder.mkdir()
    for s, df in t.groupby("subject"):
        index = np.round(df["level"].to_numpy() * 10).astype(int) + 1
        code = np.where(df["response"] == 1, 1, 2)
        m = np.column_stack([np.arange(len(df)) + 1, index, np.zeros(len(df)), code])
        io.savemat(folder / f"{s}.mat", {"result_dummy": m})
    out = tmp_path / "fits.csv"
    code, _, err = run(["fit", "--human", str(folder), "--format", "mat", "--codes", "12",
                        "--group-by", "subject", "--bootstrap", "0", "--out", str(out)],
                       capsys)  # fmt: skip
    assert code == 0, err
    mat_fits = pd.read_csv(out).set_index("group")["pse"]
    t.to_csv(tmp_path / "h.csv", index=False)
    code, _, err = run(["fit", str(tmp_path / "h.csv"), "--group-by", "subject", "--bootstrap",
                        "0", "--out", str(out)], capsys)  # fmt: skip
    assert code == 0, err
    pd.testing.assert_series_equal(mat_fits, pd.read_csv(out).set_index("group")["pse"])
    preds = tmp_path / "preds.csv"
    pd.DataFrame({"level": X21, "p": psi(X21, 0.5, 0.15)}).to_csv(preds, index=False)
    code, stdout, err = run(["compare", "--model", str(preds), "--human", str(folder),
                             "--format", "mat", "--codes", "12", "--bootstrap", "200",
                             "--out", str(tmp_path / "cmp.csv")], capsys)  # fmt: skip
    assert code == 0, err
    row = pd.read_csv(tmp_path / "cmp.csv").iloc[0]
    assert row["human_kind"] == "data" and row["n_subjects"] >= 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fit"], "error: give the data as DATA.csv or as --human FILE_OR_FOLDER (one of them)\n"),
        (["fit", "--human", "nowhere", "--format", "sav"],
         "error: unknown human data format 'sav'; choose csv, psychopy, mat, xlsx\n"),
        (["fit", "COUNTS", "--bootstrap", "30000000"],
         "error: bootstrap must be at most 1000000 samples (got 30000000); 10000 give "
         "percentiles to about ±0.5 %\n"),
        (["fit", "COUNTS", "--ci", "studentised"],
         "error: unknown ci method 'studentised'; choose debiased, bca or percentile\n"),
    ],
)  # fmt: skip
def test_fit_option_errors_are_one_line(argv, message, counts_csv, capsys):
    argv = [str(counts_csv) if a == "COUNTS" else a for a in argv]
    code, _, err = run(argv, capsys)
    assert code == 2 and err == message


@pytest.mark.parametrize(
    ("k", "n", "message"),
    [
        ([1, 2, 3], [4, 1e19, 4], "n=1e+19 at line 3 is too large (at most 1e+15 trials per row)"),
        ([1, 2.5, 3], [4, 4, 4], "counts must be whole numbers (k=2.5 at line 3)"),
        ([1, -2, 3], [4, 4, 4], "counts must not be negative (k=-2 at line 3)"),
        ([1, 2, 3], [4, 4, -1], "counts must not be negative (n=-1 at line 4)"),
    ],
)
def test_fit_rejects_bad_counts_naming_the_row(tmp_path, capsys, k, n, message):
    path = tmp_path / "c.csv"
    pd.DataFrame({"level": [0, 0.5, 1], "k": k, "n": n}).to_csv(path, index=False)
    code, _, err = run(["fit", str(path), "--bootstrap", "50"], capsys)
    assert code == 2 and err == f"error: {path}: {message}\n"


def test_compare_with_human_trials_reports_stimulus_agreement(tmp_path, capsys):
    t = simulate_trials(n_subjects=8, trials=4, seed=6)
    t.to_csv(tmp_path / "h.csv", index=False)
    x = np.round(np.linspace(0, 1, 11), 2)
    pd.DataFrame({"level": x, "p": psi(x, 0.5, 0.1)}).to_csv(tmp_path / "m.csv", index=False)
    out = tmp_path / "cmp.csv"
    code, _, err = run(["compare", "--model", str(tmp_path / "m.csv"), "--human",
                        str(tmp_path / "h.csv"), "--bootstrap", "100", "--out", str(out)],
                       capsys)  # fmt: skip
    assert code == 0, err
    row = pd.read_csv(out).iloc[0]
    assert row["n_stimuli"] == 11 and row["agreement_n_subjects"] == 8
    assert row["stimulus_r"] > 0.9 and row["kappa_lo"] < row["kappa"] < row["kappa_hi"]
    assert row["n_subjects"] >= 6  # the PSE comparison's subjects are kept
