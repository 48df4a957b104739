"""Repeated-measures (within-subject) ANOVA with the Greenhouse–Geisser correction.

For N subjects measured in every cell of a factorial within-subject design, the data form
Y (N × cells). For an effect (a factor or an interaction) take the orthonormal contrast matrix
C = ⊗_f C_f with C_f an orthonormal basis of contrasts (k_f × (k_f − 1)) for factors in the
effect and the averaging vector 1/√k_f otherwise; Z = Y C (N × q). Then

    SS_effect = N ‖z̄‖²,  SS_error = Σ_s ‖z_s − z̄‖²,  df = (q, q (N − 1)),
    F = (SS_effect / q) / (SS_error / (q (N − 1))),
    ε_GG = tr(S)² / (q · tr(S²)),  S = cov(Z),   p_GG from F(ε q, ε q (N − 1)).

This is the univariate RM-ANOVA (identical to the classical sums-of-squares decomposition) and
ε_GG is Greenhouse & Geisser's (1959) estimate (1 for a one-degree-of-freedom effect).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from facepsych.errors import FacepsychError


def orthonormal_contrasts(k: int) -> np.ndarray:
    """A k × (k − 1) matrix with orthonormal columns, all orthogonal to the ones vector."""
    basis = np.column_stack([np.ones(k), np.eye(k)[:, : k - 1]])
    q, _ = np.linalg.qr(basis)
    return q[:, 1:]


def rm_anova(
    data: pd.DataFrame, dv: str, subject: str, within: str | Sequence[str]
) -> pd.DataFrame:
    """Repeated-measures ANOVA of ``dv`` over the within-subject factor(s) ``within``.

    Returns one row per effect: effect, df1, df2, ss, ss_error, ms, ms_error, F, p, eps_gg,
    df1_gg, df2_gg, p_gg, eta_p2 (partial η² = SS / (SS + SS_error)). Several rows per subject ×
    cell are averaged; every subject must have every cell (else FacepsychError).
    """
    factors = [within] if isinstance(within, str) else list(within)
    missing = [c for c in [dv, subject, *factors] if c not in data.columns]
    if missing:
        raise FacepsychError(f"rm_anova: missing column(s) {', '.join(missing)}")
    if not factors:
        raise FacepsychError("rm_anova: give at least one within-subject factor")
    df = data[[subject, *factors, dv]].copy()
    df[dv] = pd.to_numeric(df[dv], errors="coerce")
    if df[dv].isna().any():
        raise FacepsychError(f"rm_anova: {dv} has missing or non-numeric values")
    levels = [sorted(df[f].unique(), key=str) for f in factors]
    ks = [len(lv) for lv in levels]
    if min(ks) < 2:
        raise FacepsychError(
            f"rm_anova: factor {factors[ks.index(min(ks))]} needs at least 2 levels"
        )
    cells = list(itertools.product(*levels))
    table = df.groupby([subject, *factors])[dv].mean().unstack(factors)
    table = table.reindex(
        columns=pd.MultiIndex.from_tuples(cells) if len(factors) > 1 else [c[0] for c in cells]
    )
    incomplete = table.isna().any(axis=1)
    if incomplete.any():
        raise FacepsychError(
            f"rm_anova: subject {table.index[incomplete][0]} lacks some cells "
            "(need a complete design)"
        )
    Y = table.to_numpy(dtype=float)
    N = Y.shape[0]
    if N < 2:
        raise FacepsychError("rm_anova: need at least 2 subjects")
    rows = []
    for r in range(1, len(factors) + 1):
        for effect in itertools.combinations(range(len(factors)), r):
            C = np.ones((1, 1))
            for i, k in enumerate(ks):
                Ci = orthonormal_contrasts(k) if i in effect else np.full((k, 1), 1 / np.sqrt(k))
                C = np.kron(C, Ci)
            Z = Y @ C
            zbar = Z.mean(axis=0)
            q = Z.shape[1]
            ss = N * float(zbar @ zbar)
            ss_err = float(np.sum((Z - zbar) ** 2))
            df1, df2 = q, q * (N - 1)
            ms, ms_err = ss / df1, ss_err / df2
            F = ms / ms_err if ms_err > 0 else np.inf
            if q > 1:
                S = np.cov(Z, rowvar=False)
                eps = float(np.trace(S) ** 2 / (q * np.trace(S @ S))) if np.trace(S) > 0 else 1.0
            else:
                eps = 1.0
            rows.append(
                {
                    "effect": " × ".join(factors[i] for i in effect),
                    "df1": df1, "df2": df2, "ss": ss, "ss_error": ss_err,
                    "ms": ms, "ms_error": ms_err,
                    "F": F, "p": float(stats.f.sf(F, df1, df2)), "eps_gg": eps,
                    "df1_gg": eps * df1, "df2_gg": eps * df2,
                    "p_gg": float(stats.f.sf(F, eps * df1, eps * df2)),
                    "eta_p2": ss / (ss + ss_err) if ss + ss_err > 0 else np.nan,
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


def delta_pse_anova(
    subject_pse: pd.Series, models: pd.DataFrame, factors: str | Sequence[str]
) -> pd.DataFrame:
    """The companion's analysis: |PSE_model − PSE_subject| for every human subject × model, then
    a repeated-measures ANOVA over the model ``factors`` with subjects as the repeated unit.

    ``subject_pse``: PSE per subject (index = subject); ``models``: one row per model with the
    factor columns and ``pse``.
    """
    factors = [factors] if isinstance(factors, str) else list(factors)
    if "pse" not in models.columns:
        raise FacepsychError("models table needs a 'pse' column")
    pse = pd.to_numeric(subject_pse, errors="coerce").dropna()
    if pse.size < 2:
        raise FacepsychError("need the PSEs of at least 2 human subjects")
    rows = [
        {"subject": s, **{f: m[f] for f in factors}, "abs_dpse": abs(float(m["pse"]) - float(v))}
        for s, v in pse.items()
        for _, m in models.iterrows()
    ]
    return rm_anova(pd.DataFrame(rows), "abs_dpse", "subject", factors)
