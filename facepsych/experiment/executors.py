"""Executors: run the grid's cells sequentially, in a local process pool, or on Ray.

Every executor calls the same top-level function ``task(payload) -> dict`` once per cell; the
payload (a :class:`~facepsych.experiment.pipeline.CellTask`, or a dict with ``cell.cell_id``) is
picklable plain data, so it crosses process and machine boundaries unchanged. Cells
report their current step in ``cells/<id>/step.txt``; the driver polls those files for the
progress display, which therefore works the same for every executor.

- ``local`` with ``workers == 1``: a plain loop in this process.
- ``local`` with ``workers > 1``: :class:`concurrent.futures.ProcessPoolExecutor` (spawn); each
  worker sets its torch threads by the policy of :mod:`facepsych.runtime` (cores ÷ workers, or
  ``threads`` / ``$FACEPSYCH_THREADS``).
- ``ray``: ``ray.init(address=$RAY_ADDRESS)`` when set, else a local Ray with ``workers`` CPUs;
  one remote task per cell, each with ``threads`` CPUs and torch threads (default 1)
  (``pip install -e ".[ray]"``).

Progress: on a terminal a rich bar with each running cell's step; anywhere else (a pipe, a file,
``nohup``, CI) one line per finished cell, ``[elapsed] cell k/N done: ID (s)``.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from facepsych.errors import FacepsychError
from facepsych.runtime import StepLog, apply_threads, is_interactive, resolve_threads

EXECUTORS = ("local", "ray")


def _with_threads(task: Callable[[dict], dict], threads: int, payload: dict) -> dict:
    apply_threads(threads)
    return task(payload)


class Progress:
    """cells done / total: a rich bar with each running cell's step on a terminal, else one
    plain line per finished cell (``stream``: default stdout, where the bar would be;
    ``started``: the ``time.perf_counter()`` the lines' elapsed times count from)."""

    def __init__(
        self,
        total: int,
        run_dir: Path,
        *,
        enabled: bool = True,
        done: int = 0,
        stream=None,
        interactive: bool | None = None,
        started: float | None = None,
    ):
        self.total = total
        self.done = done
        self.run_dir = Path(run_dir)
        self.enabled = enabled
        self.stream = sys.stdout if stream is None else stream
        self.interactive = is_interactive(self.stream) if interactive is None else interactive
        self.lines = StepLog(self.stream, enabled=enabled and not self.interactive)
        if started is not None:  # elapsed times from the run's start (time.perf_counter)
            self.lines.t0 = started
        self._progress = None
        self._task = None
        self.running: list[str] = []
        self._started: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Progress:
        if self.enabled and self.interactive:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("cells"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                transient=False,
                console=Console(file=self.stream),
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("", total=self.total, completed=self.done)
            self._thread = threading.Thread(target=self._refresh, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def _refresh(self) -> None:
        while not self._stop.wait(0.5):
            self._show()

    def step(self, running: Sequence[str]) -> None:
        """Set the cells now running (their current steps are read from ``step.txt``)."""
        self.running = list(running)
        now = time.perf_counter()
        for cid in self.running:
            self._started.setdefault(cid, now)
        self._show()

    def _show(self) -> None:
        if self._progress is None or not self.running:
            return
        parts = []
        for cid in list(self.running):
            f = self.run_dir / "cells" / cid / "step.txt"
            try:
                parts.append(f"{cid}: {f.read_text().strip()}")
            except OSError:
                parts.append(f"{cid}: starting")
        self._progress.update(self._task, description="; ".join(parts)[:160])

    def advance(self, cell_id: str | None = None) -> None:
        """One more cell finished (``cell_id`` names it in the plain line)."""
        self.done += 1
        if cell_id is not None:
            started = self._started.pop(cell_id, None)
            took = f" ({time.perf_counter() - started:.1f} s)" if started is not None else ""
            self.lines(f"cell {self.done}/{self.total} done: {cell_id}{took}")
        else:
            self.lines(f"cell {self.done}/{self.total} done")
        if self.done >= self.total:
            self.running = []
        if self._progress is not None:
            self._progress.update(self._task, completed=self.done)
            if self.done >= self.total:
                self._progress.update(self._task, description="done")


def _cell_id(payload: Any) -> str:
    """The cell id of a payload (a CellTask or a ``{"cell": {"cell_id": …}}`` mapping)."""
    cell_id = getattr(payload, "cell_id", None)
    return str(cell_id) if cell_id is not None else str(payload["cell"]["cell_id"])


def run_local(
    task: Callable[[dict], dict],
    payloads: Sequence[dict],
    *,
    workers: int,
    progress: Progress,
    threads: int | None = None,
) -> list[dict]:
    """Run ``task`` over ``payloads`` here (workers == 1) or in a spawn process pool whose
    workers each use ``resolve_threads(threads, workers=workers)`` torch threads."""
    results: list[dict] = []
    if workers <= 1 or len(payloads) <= 1:
        if threads is not None:
            apply_threads(threads)
        for payload in payloads:
            progress.step([_cell_id(payload)])
            results.append(task(payload))
            progress.advance(_cell_id(payload))
        return results
    threads = resolve_threads(threads, workers=workers)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(_with_threads, task, threads, p): p for p in payloads}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in finished:
                results.append(fut.result())
                progress.advance(_cell_id(futures[fut]))
            progress.step([_cell_id(futures[f]) for f in pending][:workers])
    return results


def run_ray(
    task: Callable[[dict], dict],
    payloads: Sequence[dict],
    *,
    workers: int,
    progress: Progress,
    threads: int | None = None,
) -> list[dict]:
    """One Ray task per cell (``threads`` CPUs and torch threads each, default 1); connects to
    ``$RAY_ADDRESS``, uses a Ray already initialised here, or starts a local Ray."""
    from facepsych.train.sharded import ray_session

    ray, started = ray_session(workers)
    per_task = 1 if threads is None else resolve_threads(threads)
    try:
        remote = ray.remote(num_cpus=per_task)(_with_threads)
        refs = {remote.remote(task, per_task, p): p for p in payloads}
        pending = list(refs)
        results: list[dict] = []
        while pending:
            ready, pending = ray.wait(pending, num_returns=1, timeout=0.5)
            for ref in ready:
                results.append(ray.get(ref))
                progress.advance(_cell_id(refs[ref]))
            progress.step([_cell_id(refs[r]) for r in pending][: max(1, workers)])
        return results
    finally:
        if started:
            ray.shutdown()


def run_cells(
    task: Callable[[dict], dict],
    payloads: Sequence[dict],
    *,
    executor: str = "local",
    workers: int = 1,
    progress: Progress,
    threads: int | None = None,
) -> list[dict]:
    """Dispatch to the chosen executor; results come back in completion order. ``threads``:
    torch threads per worker (default: the policy of :func:`facepsych.runtime.resolve_threads`)."""
    if executor not in EXECUTORS:
        raise FacepsychError(f"unknown executor {executor!r} (choose {' or '.join(EXECUTORS)})")
    if workers < 1:
        raise FacepsychError(f"--workers must be >= 1, got {workers}")
    if executor == "ray":
        return run_ray(task, payloads, workers=workers, progress=progress, threads=threads)
    return run_local(task, payloads, workers=workers, progress=progress, threads=threads)
