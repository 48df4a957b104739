"""Seeded stratified train/validation splits, grouped by identity when identities are known.

Greedy group assignment: with class totals n_c and targets t_c = round(f · n_c), the groups
(identities; each sample its own group when identities are unknown) are visited in a seeded random
order and a group with class counts g_c goes to validation when it lowers the deficit
D = Σ_c |t_c − v_c| (v_c = validation counts so far): first only groups that overshoot no class
target, then, in a second pass, any group that still lowers D. Groups never straddle the two
splits, so the same person is never in both; without identities the split is exactly stratified.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def stratified_group_split(
    labels: Sequence[int],
    groups: Sequence[str | None] | None = None,
    *,
    val_fraction: float = 0.2,
    seed: int = 0,
) -> np.ndarray:
    """Boolean mask, True = validation. ``groups[i] is None`` → sample i is its own group."""
    y = np.asarray(labels, dtype=np.int64)
    n = len(y)
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    mask = np.zeros(n, dtype=bool)
    if n == 0 or val_fraction == 0.0:
        return mask
    keys = [
        f"id:{groups[i]}" if (groups is not None and groups[i] is not None) else f"#{i}"
        for i in range(n)
    ]
    members: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        members.setdefault(k, []).append(i)
    order = sorted(members)  # deterministic base order, then a seeded shuffle
    rng = np.random.default_rng(seed)
    rng.shuffle(order)
    n_classes = int(y.max()) + 1
    target = np.round(val_fraction * np.bincount(y, minlength=n_classes)).astype(np.int64)
    val = np.zeros(n_classes, dtype=np.int64)
    counts = {k: np.bincount(y[members[k]], minlength=n_classes) for k in order}
    # Pass 1: groups that fit without overshooting any class; pass 2: any that still lower D.
    for fits_only in (True, False):
        for k in order:
            idx, g = members[k], counts[k]
            if mask[idx[0]]:
                continue
            if fits_only and np.any(val + g > target):
                continue
            if np.abs(target - (val + g)).sum() < np.abs(target - val).sum():
                val += g
                mask[idx] = True
    return mask
