"""The result of one psychometric fit and the structured checks it carries.

A fit is *flagged* by the checks it fails (:class:`FitFlag`); ``fit_ok`` is "no flag" and the prose
``reason`` is derived from the flags (one phrase per flag, in the order the flags are declared).
In CSV form the flags are one column ``flags`` holding the '|'-joined flag names.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from facepsych.errors import FacepsychError
from facepsych.psychophysics.functions import psi


class FitFlag(enum.StrEnum):
    """One failed check of a psychometric fit (the value is the name used in CSV files)."""

    pse_at_bound = "pse_at_bound"
    pse_outside_range = "pse_outside_range"
    sigma_at_bound = "sigma_at_bound"
    guess_at_bound = "guess_at_bound"
    lapse_at_bound = "lapse_at_bound"
    non_monotone = "non_monotone"
    too_few_levels = "too_few_levels"
    no_convergence = "no_convergence"
    constant_responses = "constant_responses"


FLAG_TEXT = {
    FitFlag.no_convergence: "optimiser did not converge",
    FitFlag.constant_responses: "all responses are identical: nothing to fit",
    FitFlag.too_few_levels: "too few levels for the free parameters",
    FitFlag.pse_outside_range: "PSE outside the tested range",
    FitFlag.pse_at_bound: "PSE at a bound of its range",
    FitFlag.sigma_at_bound: "sigma at a bound of its range",
    FitFlag.guess_at_bound: "guess at its upper bound",
    FitFlag.lapse_at_bound: "lapse at its upper bound",
    FitFlag.non_monotone: "data not monotonically increasing with level",
}
# flags after which the PSE (and slope) is still a usable estimate: the curve crosses 50 % inside
# the tested range, only an asymptote sits on its bound
PSE_TOLERATES = frozenset({FitFlag.guess_at_bound, FitFlag.lapse_at_bound})


def parse_flags(value) -> frozenset[FitFlag]:
    """Flags from a set of FitFlag / names, or from the CSV form 'a|b' ('' or NaN: none)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return frozenset()
    if isinstance(value, str):
        value = [v for v in value.replace(";", "|").split("|") if v.strip()]
    out = set()
    for v in value:
        try:
            out.add(v if isinstance(v, FitFlag) else FitFlag(str(v).strip()))
        except ValueError:
            names = ", ".join(f.value for f in FitFlag)
            raise FacepsychError(f"unknown fit flag {str(v)!r}; known: {names}") from None
    return frozenset(out)


def flags_text(flags: Iterable[FitFlag]) -> str:
    """The '|'-joined flag names in declaration order (the CSV column)."""
    fl = set(flags)
    return "|".join(f.value for f in FitFlag if f in fl)


def describe_flags(flags: Iterable[FitFlag]) -> str:
    """The prose reason: one phrase per flag, '; '-joined ('' for no flag)."""
    fl = set(flags)
    return "; ".join(text for f, text in FLAG_TEXT.items() if f in fl)


@dataclass
class PsychometricFit:
    """Result of one psychometric fit. ``sigma`` is F's scale in t-units (ln x for the Weibull).

    ``flags`` are the checks the fit failed; ``fit_ok`` (no flag) and ``reason`` (prose) are
    derived from them. ``scope`` says what was fitted: one ``continuum`` or a model ``series``
    (the mean curve of many continua, see :func:`facepsych.psychophysics.fit_series`).
    """

    pse: float
    pse_lo: float
    pse_hi: float
    slope: float
    slope_lo: float
    slope_hi: float
    sigma: float
    jnd: float
    jnd_lo: float
    jnd_hi: float
    guess: float
    lapse: float
    deviance: float
    loglik: float
    r2: float
    rmse: float
    n_levels: int
    fit_ok: bool
    reason: str
    method: str
    function: str
    deviance_p: float = math.nan
    n_trials: float = math.nan
    n_boot: int = 0
    flags: frozenset[FitFlag] = frozenset()
    scope: str = "continuum"
    boot: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.flags = parse_flags(self.flags)
        if self.flags:
            self.fit_ok = False
            self.reason = describe_flags(self.flags)
        else:  # a row read from an older table may carry a reason that names no flag
            self.reason = str(self.reason or "")
            self.fit_ok = bool(self.fit_ok) and not self.reason

    def predict(self, x) -> np.ndarray:
        """ψ(x) with the fitted parameters."""
        return psi(
            np.asarray(x, dtype=float), self.pse, self.sigma, self.guess, self.lapse, self.function
        )

    def band(self, x, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise percentile band of the bootstrap curves ψ*(x) (NaN without a bootstrap)."""
        x = np.asarray(x, dtype=float)
        if self.boot is None or len(self.boot) == 0:
            nan = np.full(x.shape, np.nan)
            return nan, nan.copy()
        b = self.boot
        curves = psi(x[None, :], b[:, :1], b[:, 1:2], b[:, 2:3], b[:, 3:4], self.function)
        q = 100 * (1 - level) / 2
        return np.nanpercentile(curves, q, axis=0), np.nanpercentile(curves, 100 - q, axis=0)

    def as_dict(self) -> dict:
        """Flat row: every field but ``boot``; ``flags`` as the '|'-joined names."""
        d = asdict(self)
        d.pop("boot")
        d["flags"] = flags_text(self.flags)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> PsychometricFit:
        """Rebuild from ``as_dict`` output or a CSV row (missing numbers become NaN)."""
        out = {}
        for f in fields(cls):
            if f.name == "boot":
                continue
            v = d.get(f.name)
            missing = v is None or (isinstance(v, float) and math.isnan(v))
            if f.name == "fit_ok":
                out[f.name] = str(v).strip().lower() in ("true", "1", "1.0")
            elif f.name == "flags":
                out[f.name] = parse_flags(v)
            elif f.name in ("reason", "method", "function"):
                out[f.name] = "" if missing else str(v)
            elif f.name == "scope":
                out[f.name] = "continuum" if missing else str(v)
            elif f.name in ("n_levels", "n_boot"):
                out[f.name] = 0 if missing else int(v)
            else:
                out[f.name] = math.nan if missing else float(v)
        if not out["function"]:
            out["function"] = "cumnorm"
        return cls(**out)

    @classmethod
    def unfitted(
        cls, flags: Iterable[FitFlag], *, method: str, function: str, n_levels: int, **values
    ) -> PsychometricFit:
        """A fit that could not be made (e.g. constant responses): NaN numbers and its flags."""
        nums = {
            f.name: math.nan
            for f in fields(cls)
            if f.type in ("float", float) and f.name not in ("deviance_p", "n_trials")
        }
        nums.update(values)
        return cls(
            **nums, n_levels=int(n_levels), fit_ok=False, reason="", method=method,
            function=function, flags=frozenset(flags),
        )  # fmt: skip
