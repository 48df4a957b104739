"""facepsych.report: figures and the self-contained HTML report of a run folder.

>>> from facepsych.report import build_report   # doctest: +SKIP
>>> build_report("runs/paper")                  # doctest: +SKIP  -> runs/paper/report.html
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["build_report"]


def build_report(run_dir: str | Path) -> Path:
    """Write ``RUN_DIR/report.html`` (see :mod:`facepsych.report.html`)."""
    from facepsych.report.html import build_report as _build

    return _build(run_dir)
