"""Feature extraction of one backbone sharded over Ray workers.

Each Ray task writes whole cache shards (:func:`facepsych.train.cache.write_shard`) into the
cache folder, which every worker must see (one machine, or a shared file system on a cluster);
the driver then writes ``complete.json`` and the head trainer reads all shards. The shards are
the same bytes a single process writes: the same samples per shard, the same backbone in eval
mode on the CPU, the same dtype.

Ray is reached with ``ray.init(address=$RAY_ADDRESS)`` when that is set (a cluster), else a
local Ray with ``workers`` CPUs is started and shut down again.
"""

from __future__ import annotations

import copy
import os
import time
from pathlib import Path
from typing import Any

from facepsych.errors import FacepsychError
from facepsych.runtime import StepLog


def _shard_task(net, dataset, folder: str, k: int, start: int, stop: int, dtype: str,
                batch_size: int) -> int:  # fmt: skip
    from facepsych.runtime import apply_threads
    from facepsych.train.cache import write_shard

    apply_threads(1)
    write_shard(net, dataset, Path(folder), k, start, stop, dtype=dtype, batch_size=batch_size,
                skip_bad=dataset.skip_bad)  # fmt: skip
    return k


def ray_session(workers: int):
    """``(ray, started)``: Ray connected to ``$RAY_ADDRESS`` or a local Ray of ``workers`` CPUs."""
    try:
        import ray
    except ImportError:
        raise FacepsychError(
            'the ray executor needs Ray: pip install -e ".[ray]" (or use --executor local)'
        ) from None
    if ray.is_initialized():
        return ray, False
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    address = os.environ.get("RAY_ADDRESS")
    if address:
        ray.init(address=address, **kwargs)
    else:
        ray.init(num_cpus=max(1, int(workers)), **kwargs)
    return ray, True


def extract_on_ray(
    net,
    dataset,
    folder: Path,
    meta: dict,
    shards: list[int],
    *,
    workers: int = 2,
    batch_size: int = 64,
    progress: bool = True,
) -> None:
    """Write ``shards`` of ``folder`` with one Ray task per shard (network and data sent once)."""
    from facepsych.train.cache import shard_ranges

    ranges = shard_ranges(meta["n_samples"], meta["shard_size"])
    ray, started = ray_session(workers)
    log = StepLog(enabled=None if progress else False)
    try:
        task = ray.remote(num_cpus=1)(_shard_task)
        on_cpu = next(net.parameters()).device.type == "cpu"
        net_ref = ray.put(net if on_cpu else copy.deepcopy(net).cpu())  # the caller's net stays
        data_ref = ray.put(dataset)
        pending = [
            task.remote(net_ref, data_ref, str(folder), k, *ranges[k], meta["dtype"], batch_size)
            for k in shards
        ]
        done, t0 = 0, time.perf_counter()
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            ray.get(ready)
            done += 1
            log(f"extracting features: shard {done}/{len(shards)} on Ray "
                f"({time.perf_counter() - t0:.1f} s)")  # fmt: skip
    finally:
        if started:
            ray.shutdown()
