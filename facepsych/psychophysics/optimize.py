"""A vectorised, bounded Levenberg–Marquardt / Fisher-scoring optimiser for psychometric fits.

It fits B data sets at once (all bootstrap samples, or all grid starts of one data set): every
step is a batched 4×4 solve, so 1,000 bootstrap refits cost about as much as a few dozen
scalar fits. Parameters are θ = (m, s, γ, λ) with m = t(μ) and s = ln σ (see ``functions``).

Objectives (maximised), for proportions y with weights n at the levels x:

* ``binomial``: ℓ(θ) = Σ n [y ln ψ + (1 − y) ln(1 − ψ)];
  gradient Σ n (y − ψ) / (ψ(1 − ψ)) · ∂ψ/∂θ, Fisher information Σ n / (ψ(1 − ψ)) · ∂ψ ∂ψᵀ.
* ``lsq``: −½ Σ n (y − ψ)²; gradient Σ n (y − ψ) ∂ψ/∂θ, Gauss–Newton matrix Σ n ∂ψ ∂ψᵀ.

With ψ = γ + (1 − γ − λ) G(z), z = (t(x) − m) / e^s, a = 1 − γ − λ:
∂ψ/∂m = −a g(z) / σ, ∂ψ/∂s = −a g(z) z, ∂ψ/∂γ = 1 − G(z), ∂ψ/∂λ = −G(z).

Bounds are handled by projection with an active set (a parameter at a bound whose gradient
points outward is held for that step) — the projected Newton method. Fixed parameters are
parameters whose lower and upper bounds coincide.
"""

from __future__ import annotations

import numpy as np

from facepsych.psychophysics.functions import Family

PSI_EPS = 1e-10


def psi_and_jacobian(theta: np.ndarray, tx: np.ndarray, fam: Family, jac: bool = True):
    """ψ (B, L) and ∂ψ/∂θ (B, L, 4) for parameters θ (B, 4) at transformed levels tx (L,)."""
    m, s, g, lam = (theta[:, i : i + 1] for i in range(4))
    sigma = np.exp(s)
    z = (tx[None, :] - m) / sigma
    cdf = fam.cdf(z)
    a = 1.0 - g - lam
    psi = g + a * cdf
    if not jac:
        return psi, None
    pdf = fam.pdf(z)
    zc = np.clip(z, -1e6, 1e6)
    J = np.empty(psi.shape + (4,))
    J[..., 0] = -a * pdf / sigma
    J[..., 1] = -a * pdf * zc
    J[..., 2] = 1.0 - cdf
    J[..., 3] = -cdf
    return psi, J


def objective(psi: np.ndarray, y: np.ndarray, n: np.ndarray, kind: str) -> np.ndarray:
    """The maximised objective per data set (B,)."""
    if kind == "binomial":
        p = np.clip(psi, PSI_EPS, 1.0 - PSI_EPS)
        return np.sum(n * (y * np.log(p) + (1.0 - y) * np.log1p(-p)), axis=-1)
    return -0.5 * np.sum(n * (y - psi) ** 2, axis=-1)


def fit_batch(
    theta0: np.ndarray,
    tx: np.ndarray,
    y: np.ndarray,
    n: np.ndarray,
    fam: Family,
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    kind: str = "binomial",
    max_iter: int = 200,
    tol: float = 1e-10,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximise the objective for B data sets at once.

    ``theta0`` (B, 4) starts, ``y`` (B, L) proportions, ``n`` (B, L) or (L,) weights, bounds (4,).
    Returns (θ̂ (B, 4), objective (B,), converged (B,) bool).
    """
    theta = np.clip(np.array(theta0, dtype=float), lower, upper)
    B = theta.shape[0]
    y = np.broadcast_to(y, (B, tx.size))
    n = np.broadcast_to(n, (B, tx.size))
    fixed = upper - lower <= 0.0
    damp = np.full(B, 1e-3)
    active_rows = np.arange(B)
    done = np.zeros(B, dtype=bool)
    psi, J = psi_and_jacobian(theta, tx, fam)
    obj = objective(psi, y, n, kind)
    eye = np.eye(4)
    span = np.where(fixed, 1.0, upper - lower)
    for _ in range(max_iter):
        idx = active_rows[~done[active_rows]]
        if idx.size == 0:
            break
        th, ps, Jb, yb, nb = theta[idx], psi[idx], J[idx], y[idx], n[idx]
        if kind == "binomial":
            pc = np.clip(ps, PSI_EPS, 1.0 - PSI_EPS)
            w = nb / (pc * (1.0 - pc))
        else:
            w = nb
        grad = np.einsum("bl,blp->bp", w * (yb - ps), Jb)
        H = np.einsum("bl,blp,blq->bpq", w, Jb, Jb)
        tiny = 1e-9 * span
        hold = (
            fixed[None, :]
            | ((th <= lower + tiny) & (grad < 0))
            | ((th >= upper - tiny) & (grad > 0))
        )
        grad = np.where(hold, 0.0, grad)
        keep = ~hold
        H = H * (keep[:, :, None] & keep[:, None, :])
        diag = np.einsum("bpp->bp", H)
        scale = np.where(keep, diag, 1.0) + 1e-12
        Hd = (
            H
            + (damp[idx, None] * scale)[:, :, None] * eye
            + np.where(keep, 0.0, 1.0)[:, :, None] * eye
        )
        try:
            step = np.linalg.solve(Hd, grad[..., None])[..., 0]
        except np.linalg.LinAlgError:  # pragma: no cover - singular despite damping
            step = grad / scale
        new = np.clip(th + step, lower, upper)
        psi_new, J_new = psi_and_jacobian(new, tx, fam)
        obj_new = objective(psi_new, yb, nb, kind)
        better = np.isfinite(obj_new) & (obj_new >= obj[idx])
        gain = np.where(better, obj_new - obj[idx], 0.0)
        moved = np.max(np.abs(new - th) / span, axis=1)
        theta[idx] = np.where(better[:, None], new, th)
        psi[idx] = np.where(better[:, None], psi_new, ps)
        J[idx] = np.where(better[:, None, None], J_new, Jb)
        obj[idx] = np.where(better, obj_new, obj[idx])
        damp[idx] = np.where(better, np.maximum(damp[idx] / 5.0, 1e-12), damp[idx] * 8.0)
        small = gain <= tol * (1.0 + np.abs(obj[idx]))
        done[idx] = (better & small & (moved < 1e-6)) | (damp[idx] > 1e10)
    converged = done
    return theta, obj, converged
