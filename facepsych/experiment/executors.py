"""Executors: run the grid's cells sequentially, in a local process pool, or on Ray.

Every executor calls the same top-level function ``task(payload) -> dict`` once per cell; the
payload (a :class:`~facepsych.experiment.pipeline.CellTask`, or a dict with ``cell.cell_id``) is
picklable plain data, so it crosses process and machine boundaries unchanged. Cells
report their current step in ``cells/<id>/step.txt``; the driver polls those files for the
progress display, which therefore works the same for every executor.

- ``local`` with ``workers == 1``: a plain loop in this process.
- ``local`` with ``workers > 1``: :class:`concurrent.futures.ProcessPoolExecutor` (spawn), torch
  threads split between workers.
- ``ray``: ``ray.init(address=$RAY_ADDRESS)`` when set, else a local Ray with ``workers`` CPUs;
  one remote task per cell (``pip install -e ".[ray]"``).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from facepsych.errors import FacepsychError

EXECUTORS = ("local", "ray")


def _worker_init(threads: int) -> None:
    import torch

    torch.set_num_threads(max(1, threads))


def _task_id(payload: Any) -> str:
    """The cell id of a payload (a CellTask or a ``{"cell": {"cell_id": …}}`` mapping)."""
    cell_id = getattr(payload, "cell_id", None)
    return str(cell_id) if cell_id is not None else str(payload["cell"]["cell_id"])


def _with_threads(task: Callable[[dict], dict], threads: int, payload: dict) -> dict:
    _worker_init(threads)
    return task(payload)


class Progress:
    """cells done / total and each running cell's current step (rich, or plain lines)."""

    def __init__(self, total: int, run_dir: Path, *, enabled: bool = True, done: int = 0):
        self.total = total
        self.done = done
        self.run_dir = Path(run_dir)
        self.enabled = enabled
        self._progress = None
        self._task = None
        self.running: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Progress:
        if self.enabled:
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

    def advance(self) -> None:
        self.done += 1
        if self.done >= self.total:
            self.running = []
        if self._progress is not None:
            self._progress.update(self._task, completed=self.done)
            if self.done >= self.total:
                self._progress.update(self._task, description="done")


def run_local(
    task: Callable[[dict], dict], payloads: Sequence[dict], *, workers: int, progress: Progress
) -> list[dict]:
    """Run ``task`` over ``payloads`` here (workers == 1) or in a spawn process pool."""
    results: list[dict] = []
    if workers <= 1 or len(payloads) <= 1:
        for payload in payloads:
            progress.step([_task_id(payload)])
            results.append(task(payload))
            progress.advance()
        return results
    threads = max(1, (os.cpu_count() or 1) // workers)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(_with_threads, task, threads, p): p for p in payloads}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in finished:
                results.append(fut.result())
                progress.advance()
            progress.step([_task_id(futures[f]) for f in pending][:workers])
    return results


def run_ray(
    task: Callable[[dict], dict], payloads: Sequence[dict], *, workers: int, progress: Progress
) -> list[dict]:
    """One Ray task per cell; connects to ``$RAY_ADDRESS`` or starts a local Ray."""
    try:
        import ray
    except ImportError:
        raise FacepsychError(
            'the ray executor needs Ray: pip install -e ".[ray]" (or use --executor local)'
        ) from None
    started = False
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=max(1, workers), **kwargs)
        started = True
    try:
        remote = ray.remote(num_cpus=1)(_with_threads)
        refs = {remote.remote(task, 1, p): p for p in payloads}
        pending = list(refs)
        results: list[dict] = []
        while pending:
            ready, pending = ray.wait(pending, num_returns=1, timeout=0.5)
            for ref in ready:
                results.append(ray.get(ref))
                progress.advance()
            progress.step([_task_id(refs[r]) for r in pending][: max(1, workers)])
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
) -> list[dict]:
    """Dispatch to the chosen executor; results come back in completion order."""
    if executor not in EXECUTORS:
        raise FacepsychError(f"unknown executor {executor!r} (choose {' or '.join(EXECUTORS)})")
    if workers < 1:
        raise FacepsychError(f"--workers must be >= 1, got {workers}")
    if executor == "ray":
        return run_ray(task, payloads, workers=workers, progress=progress)
    return run_local(task, payloads, workers=workers, progress=progress)
