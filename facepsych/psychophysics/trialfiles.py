"""Human trial data as labs have it: PsychoPy CSV exports, MATLAB result matrices, Excel sheets.

Every reader returns one trial per row: ``subject`` (str), ``level`` (float), ``response``
(0/1, 1 = positive), plus ``continuum``/``condition`` when present. A problem stops the read
with one line naming the file, the row and the column.

Formats (``HumanFormat.format``):

* ``csv``: facepsych's own ``subject, level, response`` (or ``subject, level, k, n``) CSV.
* ``psychopy``: a trial-handler CSV export (one per session, or a folder of them). The level
  and response columns are named by options (``level_column``, ``response_column``); the
  subject comes from ``subject_column`` (PsychoPy's ``participant``) or else the file name.
  Rows with neither a level nor a response (instruction and break routines) are skipped.
* ``mat``: MATLAB ``.mat`` files, one per subject (the file name is the subject), or a folder
  of them; the matrix ``mat_variable`` (the companion's ``result_dummy``) holds one trial per
  row with the level *index* in column ``mat_level_col`` (2) and the response code in column
  ``mat_response_col`` (4), columns counted from 1. Index i is level ``mat_levels[i − 1]``
  (default: L evenly spaced levels on [0, 1], L the largest index in the files).
* ``xlsx``: an Excel sheet in long format (one trial per row: subject, level, response
  columns named by options; first sheet unless ``sheet``).

Responses are numbers coded by ``response_codes`` ("01": 1 = positive; "12": 1 = positive,
2 = negative — the companion's), or, with ``positive`` and ``negative`` given, labels (keys such
as ``j``/``f`` or words such as ``happy``/``sad``, case-insensitive).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from facepsych.csvfiles import read_csv
from facepsych.errors import FacepsychError

FORMATS = ("csv", "psychopy", "mat", "xlsx")
_SUFFIX = {"csv": ".csv", "psychopy": ".csv", "mat": ".mat", "xlsx": ".xlsx"}


@dataclass(frozen=True)
class HumanFormat:
    """How to read a lab's human data (see the module docstring for each field's role)."""

    format: str = "csv"
    level_column: str = "level"
    response_column: str = "response"
    subject_column: str | None = None  # None: PsychoPy's "participant", else "subject"
    response_codes: str = "01"
    positive: str | None = None
    negative: str | None = None
    mat_variable: str = "result_dummy"
    mat_level_col: int = 2
    mat_response_col: int = 4
    mat_levels: tuple[float, ...] | None = None
    sheet: str | None = None

    def __post_init__(self) -> None:
        if self.subject_column is None:
            default = "participant" if self.format == "psychopy" else "subject"
            object.__setattr__(self, "subject_column", default)
        if self.format not in FORMATS:
            raise FacepsychError(
                f"unknown human data format {self.format!r}; choose {', '.join(FORMATS)}"
            )
        if (self.positive is None) != (self.negative is None):
            raise FacepsychError("give both positive and negative response labels, or neither")
        if self.response_codes not in ("01", "12"):
            raise FacepsychError(
                f"response_codes must be '01' or '12' (got {self.response_codes!r})"
            )
        for name in ("mat_level_col", "mat_response_col"):
            v = getattr(self, name)
            if int(v) != v or v < 1:
                raise FacepsychError(f"{name} must be a column number >= 1 (got {v})")


def _files(path: Path, fmt: str) -> list[Path]:
    if path.is_dir():
        files = sorted(
            p for p in path.iterdir() if p.suffix.lower() == _SUFFIX[fmt] and p.is_file()
        )
        if not files:
            raise FacepsychError(f"{path}: no {_SUFFIX[fmt]} files in this folder")
        return files
    if not path.is_file():
        raise FacepsychError(f"human data not found: {path}")
    return [path]


def _code(value, fmt: HumanFormat, where: str) -> int:
    """One response → 0/1 (``where`` names file, row and column for the error)."""
    if fmt.positive is not None:
        text = str(value).strip().lower()
        if text == str(fmt.positive).strip().lower():
            return 1
        if text == str(fmt.negative).strip().lower():
            return 0
        raise FacepsychError(
            f"{where}: response {str(value).strip()!r} is neither {fmt.positive!r} (positive) "
            f"nor {fmt.negative!r} (negative)"
        )
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    codes = {"01": {1.0: 1, 0.0: 0}, "12": {1.0: 1, 2.0: 0}}[fmt.response_codes]
    if v not in codes:
        shown = "0/1" if fmt.response_codes == "01" else "1/2"
        hint = " (for 1 = positive, 2 = negative use response codes 12)" if v == 2.0 else ""
        raise FacepsychError(f"{where}: response {str(value).strip()!r} is not coded {shown}{hint}")
    return codes[v]


def _level(value, where: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not math.isfinite(v):
        raise FacepsychError(f"{where}: level {str(value).strip()!r} is not a number")
    return v


def _blank(value) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or str(value).strip() == ""
    )


def _columns(df: pd.DataFrame, wanted: dict[str, str], source: str) -> dict[str, str]:
    """Map roles to actual column names (case-insensitive, stripped)."""
    lookup = {str(c).strip().lower(): c for c in df.columns}
    out = {}
    for role, name in wanted.items():
        key = str(name).strip().lower()
        if key not in lookup:
            raise FacepsychError(
                f"{source}: no {role} column {name!r} (columns: {', '.join(map(str, df.columns))})"
            )
        out[role] = lookup[key]
    return out


def _table_trials(df: pd.DataFrame, fmt: HumanFormat, source: str, first_row: int, unit: str,
                  default_subject: str | None, skip_blank: bool) -> pd.DataFrame:  # fmt: skip
    wanted = {"level": fmt.level_column, "response": fmt.response_column}
    has_subject = str(fmt.subject_column).strip().lower() in {
        str(c).strip().lower() for c in df.columns
    }
    if has_subject:
        wanted["subject"] = fmt.subject_column
    elif default_subject is None:
        _columns(df, {"subject": fmt.subject_column}, source)  # raises the missing-column error
    cols = _columns(df, wanted, source)
    extra = {str(c).strip().lower(): c for c in df.columns}
    rows = []
    for i, rec in enumerate(df.to_dict("records")):
        lv, resp = rec[cols["level"]], rec[cols["response"]]
        if skip_blank and _blank(lv) and _blank(resp):
            continue
        where = f"{source}: {unit} {i + first_row}"
        if _blank(lv):
            raise FacepsychError(f"{where}, column {cols['level']!r}: level is missing")
        if _blank(resp):
            raise FacepsychError(f"{where}, column {cols['response']!r}: response is missing")
        subject = rec[cols["subject"]] if has_subject else default_subject
        if _blank(subject):
            raise FacepsychError(f"{where}, column {cols['subject']!r}: subject is missing")
        row = {
            "subject": str(subject).strip(),
            "level": _level(lv, f"{where}, column {cols['level']!r}"),
            "response": _code(resp, fmt, f"{where}, column {cols['response']!r}"),
        }
        for g in ("continuum", "condition"):
            if g in extra:
                row[g] = rec[extra[g]]
        rows.append(row)
    if not rows:
        raise FacepsychError(f"{source}: no trials (no row has a level and a response)")
    return pd.DataFrame(rows)


def _read_csv(file: Path) -> pd.DataFrame:
    return read_csv(file, dtype=object, keep_default_na=False)


def _read_psychopy(files: list[Path], fmt: HumanFormat) -> pd.DataFrame:
    parts = [
        _table_trials(_read_csv(f), fmt, str(f), 2, "line", f.stem, skip_blank=True) for f in files
    ]
    return pd.concat(parts, ignore_index=True)


def _read_xlsx(files: list[Path], fmt: HumanFormat) -> pd.DataFrame:
    import openpyxl

    parts = []
    for f in files:
        try:
            book = openpyxl.load_workbook(f, read_only=True, data_only=True)
        except Exception as exc:  # zip/xml errors of a file that is not a workbook
            raise FacepsychError(f"cannot read {f} as an Excel workbook: {exc}") from None
        try:
            if fmt.sheet is not None and fmt.sheet not in book.sheetnames:
                raise FacepsychError(
                    f"{f}: no sheet {fmt.sheet!r} (sheets: {', '.join(book.sheetnames)})"
                )
            ws = book[fmt.sheet] if fmt.sheet is not None else book.worksheets[0]
            values = list(ws.iter_rows(values_only=True))
        finally:
            book.close()
        if not values:
            raise FacepsychError(f"{f}: the sheet is empty")
        df = pd.DataFrame(values[1:], columns=[str(c) for c in values[0]], dtype=object)
        parts.append(_table_trials(df, fmt, f"{f} sheet {ws.title}", 2, "row", None, True))
    return pd.concat(parts, ignore_index=True)


def _read_mat(files: list[Path], fmt: HumanFormat) -> pd.DataFrame:
    from scipy import io

    mats = []
    for f in files:
        try:
            content = io.loadmat(f)
        except Exception as exc:  # not a MATLAB file, or a v7.3 (HDF5) one
            raise FacepsychError(f"cannot read {f} as a MATLAB .mat file: {exc}") from None
        if fmt.mat_variable not in content:
            names = ", ".join(k for k in content if not k.startswith("__")) or "none"
            raise FacepsychError(f"{f}: no variable {fmt.mat_variable!r} (variables: {names})")
        m = np.asarray(content[fmt.mat_variable])
        if m.ndim != 2 or not np.issubdtype(m.dtype, np.number):
            raise FacepsychError(f"{f}: {fmt.mat_variable} is not a numeric matrix")
        need = max(fmt.mat_level_col, fmt.mat_response_col)
        if m.shape[1] < need:
            raise FacepsychError(
                f"{f}: {fmt.mat_variable} has {m.shape[1]} columns; column {need} is needed"
            )
        mats.append((f, m.astype(float)))
    idx_col, resp_col = fmt.mat_level_col - 1, fmt.mat_response_col - 1
    for f, m in mats:
        idx = m[:, idx_col]
        bad = np.flatnonzero(~np.isfinite(idx) | (idx < 1) | (idx != np.round(idx)))
        if bad.size:
            raise FacepsychError(
                f"{f}: row {bad[0] + 1}, column {fmt.mat_level_col}: level index "
                f"{idx[bad[0]]:g} is not a whole number >= 1"
            )
    levels = fmt.mat_levels
    if levels is None:
        top = int(max(m[:, idx_col].max() for _, m in mats if m.size))
        levels = tuple(np.linspace(0, 1, top)) if top > 1 else (0.0,)
    levels = np.asarray(levels, dtype=float)
    rows = []
    for f, m in mats:
        for r, rec in enumerate(m):
            i = int(rec[idx_col])
            if i > levels.size:
                raise FacepsychError(
                    f"{f}: row {r + 1}, column {fmt.mat_level_col}: level index {i} exceeds the "
                    f"{levels.size} levels"
                )
            resp = rec[resp_col]
            where = f"{f}: row {r + 1}, column {fmt.mat_response_col}"
            rows.append(
                {
                    "subject": f.stem,
                    "level": float(levels[i - 1]),
                    "response": _code(resp, fmt, where),
                }
            )
    if not rows:
        raise FacepsychError(f"{files[0]}: no trials in {fmt.mat_variable}")
    return pd.DataFrame(rows)


def read_human(path, fmt: HumanFormat | None = None) -> pd.DataFrame:
    """Read human trials from a file or a folder of files in ``fmt.format`` (default csv)."""
    from facepsych.psychophysics.humans import load_human_trials

    fmt = fmt or HumanFormat()
    path = Path(path)
    files = _files(path, fmt.format)
    if fmt.format == "csv":
        parts = [load_human_trials(f, fmt.response_codes) for f in files]
        return pd.concat(parts, ignore_index=True)
    reader = {"psychopy": _read_psychopy, "mat": _read_mat, "xlsx": _read_xlsx}[fmt.format]
    return reader(files, fmt)


def parse_levels(text: str | Sequence[float] | None) -> tuple[float, ...] | None:
    """'0,0.1,...' or a sequence → a tuple of levels (None stays None)."""
    if text is None:
        return None
    items = text.split(",") if isinstance(text, str) else list(text)
    try:
        return tuple(float(v) for v in items if str(v).strip())
    except ValueError:
        raise FacepsychError(f"levels must be comma-separated numbers (got {text!r})") from None
