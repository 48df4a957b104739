"""Benchmark: facepsych's MLE fit against psignifit 4 on the same simulated data sets.

psignifit (GPL) is a benchmark-only extra (`pip install psignifit`, the `bench` extra); the
package never imports it. For each family shared by both (cumnorm = psignifit 'norm', logistic,
gumbel) and each seed, binomial data are simulated from known (μ, σ, γ, λ) on the 21-level
continuum; both fit a yes/no psychometric function with γ, λ free (psignifit: bounds [0, .05]).
psignifit's threshold at thresh_PC = 0.5 is the PSE (unscaled F = 0.5), the same quantity as
facepsych's μ. Prints one line per fit, then the summary: per-fit times, the speed ratio
(point estimate), the 1,000-sample bootstrap time, and how often facepsych's PSE lies inside
psignifit's 95 % credible interval.

Usage: python benchmarks/fit_vs_psignifit.py [--seeds 3] [--trials 30]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

from facepsych.psychophysics import fit_psychometric, psi

FAMILIES = {"cumnorm": "norm", "logistic": "logistic", "gumbel": "gumbel"}
TRUE = {"mu": 0.5, "sigma": 0.1, "guess": 0.02, "lapse": 0.02}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--trials", type=int, default=30)
    args = ap.parse_args()
    try:
        import psignifit
    except ImportError:
        raise SystemExit(
            "psignifit is not installed: pip install psignifit (benchmark only)"
        ) from None

    x = np.round(np.linspace(0, 1, 21), 2)
    n = np.full(x.size, args.trials)
    ours_t, ours_boot_t, ps_t, inside = [], [], [], []
    print(
        "family   seed  facepsych_pse  psignifit_pse  psignifit_95ci      inside"
        "  t_ours_ms  t_boot_ms  t_psignifit_ms"
    )
    for fam, ps_name in FAMILIES.items():
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            k = rng.binomial(
                n, psi(x, TRUE["mu"], TRUE["sigma"], TRUE["guess"], TRUE["lapse"], fam)
            )
            t0 = time.perf_counter()
            ours = fit_psychometric(x, k, n, function=fam, bootstrap=0)
            t1 = time.perf_counter()
            boot = fit_psychometric(x, k, n, function=fam, bootstrap=1000, seed=seed)
            t2 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = psignifit.psignifit(
                    np.column_stack([x, k, n]),
                    sigmoid=ps_name,
                    experiment_type="yes/no",
                    bounds={"gamma": (0.0, 0.05), "lambda": (0.0, 0.05)},
                    verbose=False,
                )
            t3 = time.perf_counter()
            pse_ps = float(res.parameter_estimate_MAP["threshold"])
            lo, hi = res.confidence_intervals["threshold"]["0.95"]
            ok = lo <= ours.pse <= hi
            ours_t.append(t1 - t0)
            ours_boot_t.append(t2 - t1)
            ps_t.append(t3 - t2)
            inside.append(ok)
            print(
                f"{fam:8s} {seed:4d}  {ours.pse:13.4f}  {pse_ps:13.4f}"
                f"  [{lo:.4f}, {hi:.4f}]  {ok!s:6s}"
                f"  {1e3 * (t1 - t0):9.1f}  {1e3 * (t2 - t1):9.1f}  {1e3 * (t3 - t2):14.1f}"
            )
            assert abs(boot.pse - ours.pse) < 1e-12
    med_o, med_p, med_b = (statistics.median(v) for v in (ours_t, ps_t, ours_boot_t))
    print(
        f"RESULT fits={len(inside)} median_point_fit_ms={1e3 * med_o:.1f}"
        f" median_psignifit_ms={1e3 * med_p:.1f} speed_ratio={med_p / med_o:.0f}x"
        f" median_bootstrap1000_s={med_b:.2f} max_bootstrap1000_s={max(ours_boot_t):.2f} "
        f"pse_inside_psignifit_95ci={sum(inside)}/{len(inside)}"
    )


if __name__ == "__main__":
    main()
