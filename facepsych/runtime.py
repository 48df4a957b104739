"""Where and how fast networks run: the thread policy, device resolution, progress lines.

Thread policy (one place decides, for the CLI, the runner's workers and the test suite):

    threads = max(1, cores // workers)

where ``cores`` is the number of CPUs this process may run on (``os.sched_getaffinity``) and
``workers`` the number of processes sharing them. An explicit ``threads=`` wins, then the
environment variable ``FACEPSYCH_THREADS``. Torch's default (one thread per core in every
process) oversubscribes the cores as soon as two processes run, which made small passes 3–20×
slower on a shared 2-core machine.

Devices: ``resolve_device("auto" | "cpu" | "cuda" | "cuda:N")``; ``auto`` is the first CUDA GPU
when there is one, else the CPU. Every wrong spelling is a one-line :class:`FacepsychError`.

Progress lines: a terminal gets progress bars; a pipe, a file, ``nohup`` or CI gets
:class:`StepLog` lines ``[  12.3s] text`` (elapsed seconds since the log started), flushed at
once, one per finished step, so a shell script can follow a long run.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

from facepsych.errors import FacepsychError

THREADS_ENV = "FACEPSYCH_THREADS"


def available_cores() -> int:
    """CPUs this process may run on (affinity-aware), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def resolve_threads(
    threads: int | None = None, *, workers: int = 1, cores: int | None = None
) -> int:
    """Intra-op threads per process: ``threads`` if given, else ``$FACEPSYCH_THREADS``, else
    ``max(1, cores // workers)``."""
    if threads is not None:
        value, origin = threads, "threads"
    elif os.environ.get(THREADS_ENV, "").strip():
        value, origin = os.environ[THREADS_ENV].strip(), THREADS_ENV
    else:
        if int(workers) < 1:
            raise FacepsychError(f"workers must be >= 1, got {workers}")
        return max(1, (cores or available_cores()) // int(workers))
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise FacepsychError(f"{origin} must be a positive integer, got {value!r}") from None
    if n < 1:
        raise FacepsychError(f"{origin} must be a positive integer, got {value!r}")
    return n


def apply_threads(threads: int | None = None, *, workers: int = 1) -> int:
    """Set torch's intra-op threads for this process by the policy; return the number set."""
    import torch

    n = resolve_threads(threads, workers=workers)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def resolve_device(name: str = "auto"):
    """``auto`` | ``cpu`` | ``cuda`` | ``cuda:N`` → a :class:`torch.device` that exists here."""
    import torch

    spelling = str(name).strip().lower()
    if spelling == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(spelling)
    except RuntimeError:
        raise FacepsychError(f"unknown device {name!r} (use auto, cpu, cuda or cuda:N)") from None
    if device.type not in ("cpu", "cuda"):
        raise FacepsychError(f"unknown device {name!r} (use auto, cpu, cuda or cuda:N)")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise FacepsychError(f"device {name!r} asked for, but no CUDA GPU is available here")
        count = torch.cuda.device_count()
        if (device.index or 0) >= count:
            raise FacepsychError(f"device {name!r}: only {count} GPU(s) here (cuda:0…)")
        if device.index is None:
            device = torch.device("cuda", 0)
    return device


def is_interactive(stream: TextIO | None = None) -> bool:
    """True when ``stream`` (default stderr, where bars and the runner's log go) is a terminal."""
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class StepLog:
    """Plain progress lines ``[elapsed] text`` for non-interactive output.

    ``stream`` defaults to stderr; ``enabled=None`` means "only when ``stream`` is not a
    terminal" (a terminal shows bars instead).

    >>> import io
    >>> buf = io.StringIO()
    >>> log = StepLog(buf, enabled=True)
    >>> log("cell a done")
    >>> buf.getvalue().endswith("s] cell a done\\n")
    True
    """

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None):
        self.stream = sys.stderr if stream is None else stream
        self.enabled = (not is_interactive(self.stream)) if enabled is None else bool(enabled)
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def __call__(self, text: str) -> None:
        if not self.enabled:
            return
        self.stream.write(f"[{self.elapsed():7.1f}s] {text}\n")
        self.stream.flush()
