"""Human data as labs have it: each format written by the test itself, read back, fitted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import io

from facepsych.errors import FacepsychError
from facepsych.psychophysics import fit_humans
from facepsych.psychophysics.trialfiles import HumanFormat, read_human

from .conftest import LEVELS11, simulate_trials


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    return simulate_trials(n_subjects=6, trials=10, pse_mean=0.5, pse_sd=0.05, seed=3)


def _same_trials(got: pd.DataFrame, want: pd.DataFrame) -> None:
    key = ["subject", "level", "response"]
    a = got[key].sort_values(key).reset_index(drop=True)
    b = want[key].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def _pses(trials: pd.DataFrame) -> pd.Series:
    h = fit_humans(trials, bootstrap=0, splits=10)
    return h.per_subject.set_index("subject")["pse"]


def _write_psychopy(folder, truth, keys=("j", "f")):
    folder.mkdir(exist_ok=True)
    for s, df in truth.groupby("subject"):
        out = pd.DataFrame(
            {
                "participant": s,
                "morph": df["level"],
                "key_resp.keys": np.where(df["response"] == 1, keys[0], keys[1]),
                "key_resp.rt": 0.5,
            }
        )
        blank = pd.DataFrame({"participant": [s], "morph": [""], "key_resp.keys": [""]})
        pd.concat([blank, out], ignore_index=True).to_csv(folder / f"{s}_session.csv", index=False)


def test_psychopy_folder_recovers_the_trials_and_their_pses(tmp_path, truth):
    _write_psychopy(tmp_path / "pp", truth)
    fmt = HumanFormat("psychopy", level_column="morph", response_column="key_resp.keys",
                      subject_column="participant", positive="J", negative="f")  # fmt: skip
    got = read_human(tmp_path / "pp", fmt)
    _same_trials(got, truth)
    pd.testing.assert_series_equal(_pses(got), _pses(truth))
    assert abs(_pses(got).mean() - 0.5) < 0.06


def test_psychopy_errors_name_file_line_and_column(tmp_path, truth):
    _write_psychopy(tmp_path / "pp", truth.head(30))
    f = tmp_path / "pp" / "s00_session.csv"
    fmt = HumanFormat("psychopy", level_column="morph", response_column="key_resp.keys",
                      subject_column="participant", positive="j", negative="f")  # fmt: skip
    df = pd.read_csv(f, dtype=object, keep_default_na=False)
    df.loc[3, "key_resp.keys"] = "space"
    df.to_csv(f, index=False)
    with pytest.raises(FacepsychError) as info:
        read_human(f, fmt)
    assert str(info.value) == (
        f"{f}: line 5, column 'key_resp.keys': response 'space' is neither 'j' (positive) "
        "nor 'f' (negative)"
    )
    df.loc[3, "key_resp.keys"] = "j"
    df.loc[4, "morph"] = "half"
    df.to_csv(f, index=False)
    with pytest.raises(FacepsychError, match=r"line 6, column 'morph': level 'half' is not a num"):
        read_human(f, fmt)
    df.loc[4, "morph"] = ""
    df.to_csv(f, index=False)
    with pytest.raises(FacepsychError, match=r"line 6, column 'morph': level is missing$"):
        read_human(f, fmt)
    with pytest.raises(FacepsychError, match=r"no level column 'level' \(columns: participant"):
        read_human(f, HumanFormat("psychopy", response_column="key_resp.keys"))


def _write_mat(folder, truth, levels=LEVELS11):
    folder.mkdir(exist_ok=True)
    for s, df in truth.groupby("subject"):
        index = np.searchsorted(levels, df["level"].to_numpy()) + 1
        code = np.where(df["response"] == 1, 1, 2)  # the companion's 1 = happy, 2 = sad
        m = np.column_stack([np.arange(len(df)) + 1, index, np.full(len(df), 0.7), code])
        io.savemat(folder / f"{s}.mat", {"result_dummy": m})


def test_mat_folder_one_file_per_subject(tmp_path, truth):
    _write_mat(tmp_path / "mat", truth)
    got = read_human(tmp_path / "mat", HumanFormat("mat", response_codes="12"))
    _same_trials(got, truth)
    pd.testing.assert_series_equal(_pses(got), _pses(truth))
    # explicit levels and other column numbers
    m = io.loadmat(tmp_path / "mat" / "s00.mat")["result_dummy"][:, [3, 1]]
    io.savemat(tmp_path / "one.mat", {"res": m})
    fmt = HumanFormat("mat", response_codes="12", mat_variable="res", mat_level_col=2,
                      mat_response_col=1, mat_levels=tuple(LEVELS11 * 100))  # fmt: skip
    one = read_human(tmp_path / "one.mat", fmt)
    assert set(one["subject"]) == {"one"} and one["level"].max() == pytest.approx(100)


def test_mat_errors_name_file_row_and_column(tmp_path):
    f = tmp_path / "s1.mat"
    io.savemat(f, {"result_dummy": np.array([[1, 3, 0, 1], [2, 2.5, 0, 2]])})
    with pytest.raises(FacepsychError) as info:
        read_human(f, HumanFormat("mat", response_codes="12"))
    assert str(info.value) == f"{f}: row 2, column 2: level index 2.5 is not a whole number >= 1"
    io.savemat(f, {"result_dummy": np.array([[1, 3, 0, 1], [2, 2, 0, 3]])})
    with pytest.raises(FacepsychError) as info:
        read_human(f, HumanFormat("mat", response_codes="12"))
    assert str(info.value) == f"{f}: row 2, column 4: response '3.0' is not coded 1/2"
    with pytest.raises(FacepsychError, match=r"no variable 'trials' \(variables: result_dummy\)"):
        read_human(f, HumanFormat("mat", mat_variable="trials"))
    with pytest.raises(FacepsychError, match=r"has 4 columns; column 7 is needed$"):
        read_human(f, HumanFormat("mat", mat_response_col=7))
    with pytest.raises(FacepsychError, match=r"row 1, column 2: level index 3 exceeds the 2 lev"):
        read_human(f, HumanFormat("mat", response_codes="12", mat_levels=(0.0, 1.0)))
    (tmp_path / "bad.mat").write_text("not a mat file")
    with pytest.raises(FacepsychError, match=r"cannot read .*bad.mat as a MATLAB .mat file"):
        read_human(tmp_path / "bad.mat", HumanFormat("mat"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FacepsychError, match=r"no \.mat files in this folder$"):
        read_human(tmp_path / "empty", HumanFormat("mat"))


def test_xlsx_long_format(tmp_path, truth):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "notes"
    ws = book.create_sheet("trials")
    ws.append(["Observer", "Morph level", "Answer"])
    for r in truth.itertuples():
        ws.append([r.subject, r.level, "happy" if r.response else "sad"])
    book.save(tmp_path / "h.xlsx")
    fmt = HumanFormat("xlsx", subject_column="observer", level_column="morph level",
                      response_column="answer", positive="happy", negative="sad",
                      sheet="trials")  # fmt: skip
    got = read_human(tmp_path / "h.xlsx", fmt)
    _same_trials(got, truth)
    pd.testing.assert_series_equal(_pses(got), _pses(truth))
    ws.cell(row=5, column=2, value="x")
    book.save(tmp_path / "h.xlsx")
    with pytest.raises(FacepsychError) as info:
        read_human(tmp_path / "h.xlsx", fmt)
    assert str(info.value) == (
        f"{tmp_path / 'h.xlsx'} sheet trials: row 5, column 'Morph level': level 'x' is not a "
        "number"
    )
    with pytest.raises(FacepsychError, match=r"no sheet 'data' \(sheets: notes, trials\)$"):
        read_human(tmp_path / "h.xlsx", HumanFormat("xlsx", sheet="data"))


def test_csv_format_and_bad_options(tmp_path, truth):
    truth.to_csv(tmp_path / "h.csv", index=False)
    _same_trials(read_human(tmp_path / "h.csv"), truth)
    with pytest.raises(FacepsychError, match=r"^unknown human data format 'sav'; choose csv"):
        HumanFormat("sav")
    with pytest.raises(FacepsychError, match=r"^give both positive and negative response labels"):
        HumanFormat("psychopy", positive="j")
    with pytest.raises(FacepsychError, match=r"^human data not found: "):
        read_human(tmp_path / "none.csv")
