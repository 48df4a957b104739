"""facepsych.experiment: one YAML config runs the whole paradigm into a resumable run folder.

>>> from facepsych.experiment import load_config, run_experiment   # doctest: +SKIP
>>> run_dir = run_experiment("configs/paper.yaml", "runs/paper", resume=True)   # doctest: +SKIP

Public API: :func:`load_config`, :func:`config_from_dict`, :class:`ExperimentConfig`,
:func:`expand_grid`, :class:`Cell`, :class:`RunFolder`, :func:`run_experiment`, :func:`cache_dir`,
:func:`ranking_table`, :func:`findings`.
"""

from facepsych.experiment.cache import cache_dir
from facepsych.experiment.config import ExperimentConfig
from facepsych.experiment.grid import Cell, expand_grid
from facepsych.experiment.loading import config_from_dict, load_config
from facepsych.experiment.rundir import RunFolder
from facepsych.experiment.runner import run_experiment
from facepsych.experiment.summary import findings, ranking_table

__all__ = [
    "Cell",
    "ExperimentConfig",
    "RunFolder",
    "cache_dir",
    "config_from_dict",
    "expand_grid",
    "findings",
    "load_config",
    "ranking_table",
    "run_experiment",
]
