"""Image decoding for the frozen extraction: DataLoader workers capped at the cores."""

from __future__ import annotations

import warnings

import pytest
import torch

from facepsych.runtime import available_cores
from facepsych.train.extract import decode_workers, decoded_batches


@pytest.mark.parametrize(
    ("asked", "cores", "started"), [(0, 2, 0), (1, 2, 1), (2, 2, 2), (8, 2, 2), (8, 16, 8)]
)
def test_decode_workers_never_exceed_the_cores(asked, cores, started):
    assert decode_workers(asked, cores=cores) == started


def test_more_workers_than_cores_decode_in_order_without_a_warning(striped_ds):
    from facepsych.models import build_model

    prep = build_model("alexnet", hidden=8, image_size=64).preprocessing
    batches = [[0, 1, 2], [3, 4], [5]]
    want = [[(p, prep(striped_ds.load_image(striped_ds.samples[p]))) for p in b] for b in batches]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns when num_workers > the CPUs it sees
        got = list(decoded_batches(striped_ds, prep, batches, workers=available_cores() + 6))
    assert [[p for p, _ in b] for b in got] == [[p for p, _ in b] for b in want]
    for gb, wb in zip(got, want, strict=True):
        for (_, x), (_, y) in zip(gb, wb, strict=True):
            assert torch.equal(x, y)
