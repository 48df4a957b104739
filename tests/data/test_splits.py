from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from facepsych.data.splits import stratified_group_split


def test_exactly_stratified_without_identities():
    labels = [0] * 50 + [1] * 150
    mask = stratified_group_split(labels, None, val_fraction=0.2, seed=3)
    y = np.array(labels)
    assert (y[mask] == 0).sum() == 10 and (y[mask] == 1).sum() == 30


def test_seeded_and_reproducible():
    labels = [0, 1] * 40
    a = stratified_group_split(labels, val_fraction=0.25, seed=1)
    b = stratified_group_split(labels, val_fraction=0.25, seed=1)
    c = stratified_group_split(labels, val_fraction=0.25, seed=2)
    assert (a == b).all() and not (a == c).all()


def test_zero_fraction_gives_no_validation():
    assert not stratified_group_split([0, 1, 1], val_fraction=0.0).any()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 12), st.integers(0, 1)), min_size=2, max_size=80),
    st.floats(0.1, 0.5),
    st.integers(0, 1000),
)
def test_identities_never_straddle(pairs, fraction, seed):
    groups = [f"p{g}" for g, _ in pairs]
    labels = [y for _, y in pairs]
    mask = stratified_group_split(labels, groups, val_fraction=fraction, seed=seed)
    for g in set(groups):
        members = {bool(m) for m, gg in zip(mask, groups, strict=True) if gg == g}
        assert len(members) == 1


@settings(max_examples=40, deadline=None)
@given(st.integers(20, 200), st.integers(20, 200), st.integers(0, 100))
def test_singleton_groups_hit_targets(n0, n1, seed):
    labels = [0] * n0 + [1] * n1
    mask = stratified_group_split(labels, [None] * (n0 + n1), val_fraction=0.2, seed=seed)
    y = np.array(labels)
    assert (y[mask] == 0).sum() == round(0.2 * n0)
    assert (y[mask] == 1).sum() == round(0.2 * n1)
