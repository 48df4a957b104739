"""Time ``facepsych demo`` (full and --quick) on a cold cache, then again on the warm cache.

Cold = a fresh, empty ``FACEPSYCH_CACHE`` (as on a new machine: the lab data are rendered and
the backbones pre-trained); warm = the same cache, a new run folder. Budgets on a 2-core CPU:
full <= 480 s, --quick <= 120 s (cold). Each run is a separate ``facepsych demo`` process; the
child CPU time (user + sys) and the 1-minute load average at the start are printed with the wall
time, because wall time on a shared machine depends on what else runs.

    python benchmarks/demo.py [--quick-only | --full-only] [--keep DIR]

One result line per measurement, e.g.
``demo --quick cold: 95.2 s wall (budget 120 s, within), 160.3 s CPU, load 1.2``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET = {"--quick": 120.0, "full": 480.0}


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed_demo(quick: bool, cache: Path, out: Path) -> tuple[float, float]:
    env = {**os.environ, "FACEPSYCH_CACHE": str(cache)}
    cmd = [sys.executable, "-m", "facepsych.cli", "demo", "--out", str(out)]
    cmd += ["--quick"] if quick else []
    cpu0, t0 = _child_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _child_cpu() - cpu0
    if proc.returncode != 0:
        sys.exit(f"demo failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--quick-only", action="store_true")
    group.add_argument("--full-only", action="store_true")
    ap.add_argument("--keep", type=Path, help="keep the run folders and caches here")
    args = ap.parse_args()
    variants = [True] if args.quick_only else [False] if args.full_only else [True, False]
    root = args.keep or Path(tempfile.mkdtemp(prefix="facepsych-demo-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    for quick in variants:
        name = "--quick" if quick else "full"
        cache = root / f"cache-{name.strip('-')}"
        for phase in ("cold", "warm"):
            load = os.getloadavg()[0]
            wall, cpu = timed_demo(quick, cache, root / f"run-{name.strip('-')}-{phase}")
            verdict = ""
            if phase == "cold":
                ok = "within" if wall <= BUDGET[name] else "OVER"
                verdict = f" (budget {BUDGET[name]:.0f} s, {ok})"
            label = "demo --quick" if quick else "demo"
            print(f"{label} {phase}: {wall:.1f} s wall{verdict}, {cpu:.1f} s CPU, load {load:.1f}",
                  flush=True)  # fmt: skip
    print(f"run folders: {root}")


if __name__ == "__main__":
    main()
