"""A whole study, end to end: the experiment runner's cells, then the study page.

The runner (:mod:`facepsych.experiment`) orchestrates cells and knows nothing of the report; the
report (:mod:`facepsych.report`) reads a finished run folder. This module, like the CLI, sits
above both and hands the report builder to the runner, so neither imports the other.

    >>> from facepsych.study import run_study                     # doctest: +SKIP
    >>> run_study("configs/paper.yaml", "runs/paper")              # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def run_study(config: Any, out_dir: str | Path | None = None, **kwargs: Any) -> Path:
    """:func:`facepsych.experiment.run_experiment` with ``report.html`` written at the end
    (when the config's ``output.figures`` is on); same arguments, returns the run folder."""
    from facepsych.experiment import run_experiment
    from facepsych.report import build_report

    kwargs.setdefault("report", build_report)
    return run_experiment(config, out_dir, **kwargs)


def run_demo_study(out: str | Path | None = None, **kwargs: Any) -> Path:
    """:func:`facepsych.experiment.demo.run_demo` with its ``report.html``."""
    from facepsych.experiment.demo import run_demo
    from facepsych.report import build_report

    kwargs.setdefault("report", build_report)
    return run_demo(out, **kwargs)
