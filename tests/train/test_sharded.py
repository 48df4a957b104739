"""Feature extraction sharded over Ray workers writes the same cache as one process, under the
same key (float32 on the CPU)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from facepsych.models import build_model
from facepsych.train.cache import cached_features


@pytest.mark.slow
def test_ray_sharded_extraction_equals_single_process(local_ray, striped_ds, tmp_path):
    net = build_model("alexnet", hidden=8, seed=0, image_size=64)
    kw = dict(progress=False, shard_size=10, batch_size=4)
    one = cached_features(net, striped_ds, tmp_path / "one", **kw)
    ray = cached_features(net, striped_ds, tmp_path / "ray", executor="ray", executor_workers=2,
                          **kw)  # fmt: skip
    assert not ray.hit and ray.ids == one.ids and ray.path.name == one.path.name
    assert torch.equal(ray.features, one.features)
    for k in range(4):  # the shard files themselves are the same bytes
        a = np.load(one.path / f"shard-{k:05d}.npy")
        b = np.load(ray.path / f"shard-{k:05d}.npy")
        assert a.dtype == b.dtype == np.float16 and np.array_equal(a, b)
    assert cached_features(net, striped_ds, tmp_path / "ray", executor="ray", **kw).hit
    # Ray tasks extract in float32 on their CPUs, whatever device the caller names: the local
    # CPU extraction's cache serves them
    assert cached_features(net, striped_ds, tmp_path / "one", executor="ray", device="cuda",
                           **kw).hit  # fmt: skip
