"""The loaders on the real 2,108-photo facial_expressions subset (skips when absent)."""

from __future__ import annotations

from facepsych.data import load_dataset


def test_real_legend_counts_and_identity_split(facial_expressions):
    ds = load_dataset(facial_expressions, "facial_expressions", seed=0)
    # README counts after lower-casing: happiness 800; anger 252 + sadness 268 + disgust 208
    # + fear 21 + contempt 9 = 758 negative; neutral and surprise excluded.
    assert ds.class_counts() == {"negative": 758, "positive": 800}
    assert ds.skipped == []
    train, val = ds.split("train"), ds.split("val")
    assert not {s.identity for s in train} & {s.identity for s in val}
    frac = len(val) / len(ds)
    assert 0.17 < frac < 0.23
    assert ds.load_image(val.samples[0]).mode == "RGB"


def test_real_happy_sad(facial_expressions):
    ds = load_dataset(facial_expressions, "facial_expressions", valence="happy-sad")
    assert ds.class_counts() == {"negative": 268, "positive": 800}
