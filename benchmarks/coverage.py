"""Benchmark: coverage of facepsych's bootstrap confidence intervals for PSE, slope and JND.

Simulated observers with known (μ, σ, γ, λ) answer ``--trials`` trials at each of ``--levels``
evenly spaced levels in [0, 1]; each is fitted (MLE, cumulative normal, γ, λ ∈ [0, .05], or
fixed at the truth with ``--fixed-asymptotes``) with a
``--bootstrap``-sample parametric bootstrap and ``--ci`` intervals (debiased | bca | percentile;
``all`` runs each on the same simulated observers). The
coverage of a quantity is the share of simulations whose 95 % interval contains its true value
(PSE μ; slope (1 − γ − λ)/(σ√(2π)); JND 0.6745 σ). A 95 % rate measured over S simulations has a
binomial SD of √(.95 · .05 / S) (1.5 points at S = 200).

Usage: python benchmarks/coverage.py [--sims 400] [--bootstrap 1000]
       [--ci debiased|bca|percentile|all]
       [--mu 0.5] [--sigma 0.1] [--levels 11] [--trials 20] [--fixed-asymptotes]
Prints one line per method and quantity: ``coverage <method> <name> <rate> (<hits>/<sims>)``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from facepsych.psychophysics import fit_psychometric, jnd, psi, slope_at_pse

TRUE = {"mu": 0.5, "sigma": 0.1, "guess": 0.02, "lapse": 0.02}
METHODS = ("debiased", "bca", "percentile")


def coverage(sims, bootstrap, ci_method, levels=11, trials=20, seed=2024, truth=TRUE, fixed=False):
    """{name: hits} over ``sims`` simulated observers, and the seconds it took. ``fixed``: γ, λ
    fixed at their true values instead of free in [0, .05]."""
    x = np.linspace(0, 1, levels)
    n = np.full(levels, trials)
    true = {
        "pse": truth["mu"],
        "slope": float(slope_at_pse(truth["mu"], truth["sigma"], truth["guess"], truth["lapse"])),
        "jnd": float(jnd(truth["mu"], truth["sigma"])),
    }
    rng = np.random.default_rng(seed)
    hits = dict.fromkeys(true, 0)
    t0 = time.perf_counter()
    for rep in range(sims):
        k = rng.binomial(n, psi(x, truth["mu"], truth["sigma"], truth["guess"], truth["lapse"]))
        asymptotes = {"guess": truth["guess"], "lapse": truth["lapse"]} if fixed else {}
        fit = fit_psychometric(
            x, k, n, bootstrap=bootstrap, seed=rep, ci_method=ci_method, **asymptotes
        )
        for name, value in true.items():
            hits[name] += getattr(fit, f"{name}_lo") <= value <= getattr(fit, f"{name}_hi")
    return hits, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, default=400)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--ci", default="all", choices=[*METHODS, "all"])
    ap.add_argument("--levels", type=int, default=11)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--mu", type=float, default=TRUE["mu"])
    ap.add_argument("--sigma", type=float, default=TRUE["sigma"])
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--fixed-asymptotes", action="store_true", help="γ, λ fixed at the truth")
    args = ap.parse_args()
    if args.sims < 1 or args.bootstrap < 1 or args.levels < 3 or args.trials < 1:
        ap.error("need --sims >= 1, --bootstrap >= 1, --levels >= 3, --trials >= 1")
    truth = {**TRUE, "mu": args.mu, "sigma": args.sigma}
    asym = "fixed at the truth" if args.fixed_asymptotes else "free in [0, .05]"
    print(
        f"# {args.sims} simulated observers, mu {args.mu:g}, sigma {args.sigma:g}, "
        f"{args.levels} levels x {args.trials} trials, guess/lapse {asym}, "
        f"B = {args.bootstrap}, seed {args.seed}"
    )
    for method in METHODS if args.ci == "all" else (args.ci,):
        hits, seconds = coverage(
            args.sims, args.bootstrap, method, args.levels, args.trials, seed=args.seed,
            truth=truth, fixed=args.fixed_asymptotes,
        )  # fmt: skip
        for name, h in hits.items():
            print(f"coverage {method} {name} {h / args.sims:.3f} ({h}/{args.sims})")
        print(f"# {method}: {seconds:.0f} s")


if __name__ == "__main__":
    main()
