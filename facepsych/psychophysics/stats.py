"""Interval statistics over replicates (e.g. continuum × seed fits of one model series).

- ``mean_ci``: m ± t_{1−α/2}(n−1) · s/√n over the finite values (s the SD, ddof 1).
- ``diff_ci``: mean(b) − mean(a). Unpaired: Welch's interval, se = √(s_a²/n_a + s_b²/n_b),
  ν = se⁴ / ((s_a²/n_a)²/(n_a−1) + (s_b²/n_b)²/(n_b−1)), n = n_a + n_b; paired: the t interval
  of the differences b_i − a_i over the pairs where both are finite, n = number of pairs.

Fewer than 2 values (per group) give NaN bounds; no values give NaN everywhere and n = 0.

Example:
    >>> mean_ci([1.0, 2.0, 3.0]).text(2)
    '2.00 [-0.48, 4.48] (n = 3)'
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from scipy.stats import t as student_t

from facepsych.errors import FacepsychError

__all__ = ["Interval", "diff_ci", "mean_ci"]


class Interval(NamedTuple):
    """(mean, lo, hi, n): unpacks as a tuple; ``text``/``excludes_zero`` for findings."""

    mean: float
    lo: float
    hi: float
    n: int

    def text(self, digits: int = 3) -> str:
        if self.n < 2 or not np.isfinite(self.lo):
            return f"{self.mean:.{digits}f} (n = {self.n}, no CI)"
        return f"{self.mean:.{digits}f} [{self.lo:.{digits}f}, {self.hi:.{digits}f}] (n = {self.n})"

    @property
    def excludes_zero(self) -> bool:
        return self.n >= 2 and bool(np.isfinite(self.lo)) and (self.lo > 0 or self.hi < 0)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._asdict())


def _quantile(level: float) -> float:
    if not 0 < level < 1:
        raise FacepsychError(f"level must lie in (0, 1) (got {level})")
    return 1 - (1 - level) / 2


def mean_ci(values: Any, level: float = 0.95) -> Interval:
    """Mean of the finite values with its t interval at ``level``."""
    q = _quantile(level)
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return Interval(np.nan, np.nan, np.nan, 0)
    m = float(v.mean())
    if len(v) < 2:
        return Interval(m, np.nan, np.nan, 1)
    h = float(student_t.ppf(q, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return Interval(m, m - h, m + h, len(v))


def diff_ci(a: Any, b: Any, level: float = 0.95, paired: bool = False) -> Interval:
    """mean(b) − mean(a) with Welch's interval (or, ``paired``, the t interval of b − a)."""
    q = _quantile(level)
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    if paired:
        if a.size != b.size:
            raise FacepsychError(f"paired values differ in length ({a.size} vs {b.size})")
        return mean_ci(b - a, level)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) == 0 or len(b) == 0:
        return Interval(np.nan, np.nan, np.nan, 0)
    d = float(b.mean() - a.mean())
    if len(a) < 2 or len(b) < 2:
        return Interval(d, np.nan, np.nan, len(a) + len(b))
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    if se == 0:
        return Interval(d, d, d, len(a) + len(b))
    nu = se**4 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    h = float(student_t.ppf(q, nu) * se)
    return Interval(d, d - h, d + h, len(a) + len(b))
