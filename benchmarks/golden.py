"""Golden summary of the tiny demo: the same seed must write the same tables and findings.

Runs ``facepsych demo --quick --scale tiny`` (or reads an existing run folder) and compares its
``predictions.csv``, ``fits.csv``, ``regions.csv`` and the report's findings with the golden copy
in ``tests/experiment/golden/`` (numbers to a relative / absolute tolerance of 1e-6; the run
folder in image paths is replaced by ``RUN``). Prints one result line; exit 1 on a difference.

    PYTHONPATH=$PWD python benchmarks/golden.py                   # run the demo and compare
    PYTHONPATH=$PWD python benchmarks/golden.py --run DIR         # compare an existing run
    PYTHONPATH=$PWD python benchmarks/golden.py --run DIR --write # regenerate the golden copy

Regenerate (``--write``) whenever a change is meant to move the numbers (e.g. a new fitting rule),
and say so in the commit.
"""

from __future__ import annotations

import argparse
import html
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "experiment" / "golden"
TABLES = ("predictions.csv", "fits.csv", "regions.csv")
TOLERANCE = 1e-6


def findings(run: Path) -> list[str]:
    """The report's findings, one string each (from ``report.html``)."""
    text = (run / "report.html").read_text(encoding="utf-8")
    block = re.search(r"<ul class='findings'>(.*?)</ul>", text, re.S)
    items = re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S) if block else []
    return [html.unescape(s) for s in items]


def normalised(run: Path, name: str) -> pd.DataFrame:
    df = pd.read_csv(run / name, keep_default_na=False)
    for col in df.columns:
        if not pd.api.types.is_numeric_dtype(df[col]):
            df[col] = df[col].astype(str).str.replace(str(run), "RUN", regex=False)
    return df


def compare_tables(a: pd.DataFrame, b: pd.DataFrame, name: str) -> list[str]:
    problems = []
    missing = [c for c in a.columns if c not in b.columns]
    if missing:
        return [f"{name}: columns missing: {', '.join(missing)}"]
    b = b[list(a.columns)]  # new columns are reported by compare(), not compared
    if len(a) != len(b):
        return [f"{name}: {len(a)} rows vs {len(b)}"]
    for col in a.columns:
        x = pd.to_numeric(a[col].replace("", np.nan), errors="coerce")
        y = pd.to_numeric(b[col].replace("", np.nan), errors="coerce")
        numeric = x.notna() | (a[col] == "")
        if numeric.all() and (y.notna() | (b[col] == "")).all():
            same = np.isclose(x, y, rtol=TOLERANCE, atol=TOLERANCE, equal_nan=True)
        else:
            same = (a[col].astype(str) == b[col].astype(str)).to_numpy()
        if not same.all():
            row = int(np.flatnonzero(~same)[0])
            problems.append(
                f"{name}: column {col}: {int((~same).sum())} rows differ "
                f"(first row {row}: {a[col].iloc[row]!r} vs {b[col].iloc[row]!r})"
            )
    return problems


def write_golden(run: Path) -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        normalised(run, name).to_csv(GOLDEN / name, index=False)
    (GOLDEN / "findings.txt").write_text("\n".join(findings(run)) + "\n", encoding="utf-8")


def compare(run: Path) -> list[str]:
    problems = []
    for name in TABLES:
        gold = pd.read_csv(GOLDEN / name, keep_default_na=False)
        new = normalised(run, name)
        problems += compare_tables(gold, new, name)
        added = [c for c in new.columns if c not in gold.columns]
        if added:
            print(f"golden: note: {name} has new columns {', '.join(added)} (not compared)")
    gold_findings = (GOLDEN / "findings.txt").read_text(encoding="utf-8").splitlines()
    new = findings(run)
    if gold_findings != new:
        diff = [f for f in new if f not in gold_findings][:1] or ["(order)"]
        problems.append(f"findings differ ({len(gold_findings)} vs {len(new)}; new: {diff[0]})")
    return problems


def run_demo(out: Path) -> None:
    args = ["demo", "--quick", "--scale", "tiny", "--out", str(out)]
    cmd = [
        sys.executable,
        "-c",
        "import sys; from facepsych.cli import main; sys.exit(main())",
        *args,
    ]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="an existing demo run folder")
    parser.add_argument("--write", action="store_true", help="regenerate the golden copy")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run or Path(tmp) / "demo"
        if args.run is None:
            run_demo(run)
        if args.write:
            write_golden(run)
            print(f"golden: wrote {len(TABLES)} tables and findings to {GOLDEN}")
            return 0
        problems = compare(run)
    if problems:
        print("golden: DIFFERENT: " + "; ".join(problems))
        return 1
    print(f"golden: same ({', '.join(TABLES)}, findings; tolerance {TOLERANCE:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
