"""Procedural objects."""

from __future__ import annotations

import numpy as np
import pytest

from facepsych.errors import FacepsychError
from facepsych.synthetic import OBJECT_CLASSES, render_object


def test_every_class_renders_deterministically():
    for i, name in enumerate(OBJECT_CLASSES):
        a = np.asarray(render_object(name, seed=3, size=40))
        assert a.shape == (40, 40, 3)
        assert np.array_equal(a, np.asarray(render_object(i, seed=3, size=40)))
        assert not np.array_equal(a, np.asarray(render_object(name, seed=4, size=40)))
        assert a.std() > 5  # not a blank image


def test_classes_are_distinguishable_by_a_nearest_centroid_rule():
    """Mean images per class differ: a nearest-centroid classifier on held-out seeds beats
    chance (1/16) by far, so the classes carry class information beyond noise."""
    size, per = 24, 12
    train = {
        c: [np.asarray(render_object(c, s, size), float).ravel() for s in range(per)]
        for c in OBJECT_CLASSES
    }
    cents = np.stack([np.mean(v, 0) for v in train.values()])
    hits = 0
    for k, c in enumerate(OBJECT_CLASSES):
        for s in range(100, 104):
            x = np.asarray(render_object(c, s, size), float).ravel()
            hits += int(np.argmin(((cents - x) ** 2).sum(1)) == k)
    assert hits / (4 * len(OBJECT_CLASSES)) > 0.25


def test_unknown_class_messages():
    with pytest.raises(FacepsychError, match=r"^unknown object class 'dog' \(choose from circle,"):
        render_object("dog")
    with pytest.raises(FacepsychError, match=r"^object class index 99 out of range 0\.\.15$"):
        render_object(99)
