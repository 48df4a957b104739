"""facepsych.psychophysics: psychometric functions, fitting (MLE, LSQ), bootstrap, human data,
model-vs-human scores, repeated-measures ANOVA.

>>> import numpy as np
>>> from facepsych.psychophysics import fit_psychometric, psi
>>> x = np.linspace(0, 1, 11); n = np.full(11, 50)
>>> fit = fit_psychometric(x, np.round(n * psi(x, 0.45, 0.1)), n, bootstrap=200)
>>> bool(fit.pse_lo < 0.45 < fit.pse_hi)
True
"""

from facepsych.psychophysics.agreement import cohens_kappa, stimulus_agreement
from facepsych.psychophysics.anova import delta_pse_anova, rm_anova
from facepsych.psychophysics.compare import compare_to_humans
from facepsych.psychophysics.fitting import (
    COMPANION_LSQ_LEVELS,
    COMPANION_LSQ_START,
    PsychometricFit,
    binomial_deviance,
    binomial_loglik,
    fit_psychometric,
)
from facepsych.psychophysics.functions import FUNCTIONS, jnd, psi, slope_at_pse, x_at_f
from facepsych.psychophysics.humans import (
    PUBLISHED_REFERENCE,
    HumanFits,
    HumanReference,
    fit_humans,
    fit_humans_by,
    load_human_trials,
    spearman_brown,
)
from facepsych.psychophysics.responses import (
    FitSettings,
    fit_responses,
    sigma_on_floor,
    usable_fit,
    usable_pse,
)
from facepsych.psychophysics.result import FitFlag, parse_flags
from facepsych.psychophysics.series import fit_series, series_table
from facepsych.psychophysics.stats import Interval, diff_ci, mean_ci
from facepsych.psychophysics.tables import FitTable, compare_table, fit_table
from facepsych.psychophysics.trialfiles import HumanFormat, read_human

__all__ = [
    "COMPANION_LSQ_LEVELS",
    "COMPANION_LSQ_START",
    "FUNCTIONS",
    "FitFlag",
    "FitSettings",
    "FitTable",
    "HumanFits",
    "HumanFormat",
    "HumanReference",
    "Interval",
    "PUBLISHED_REFERENCE",
    "PsychometricFit",
    "binomial_deviance",
    "binomial_loglik",
    "cohens_kappa",
    "compare_table",
    "compare_to_humans",
    "delta_pse_anova",
    "diff_ci",
    "fit_humans",
    "fit_humans_by",
    "fit_psychometric",
    "fit_responses",
    "fit_series",
    "fit_table",
    "jnd",
    "load_human_trials",
    "mean_ci",
    "parse_flags",
    "psi",
    "read_human",
    "rm_anova",
    "series_table",
    "slope_at_pse",
    "spearman_brown",
    "stimulus_agreement",
    "sigma_on_floor",
    "usable_fit",
    "usable_pse",
    "x_at_f",
]
