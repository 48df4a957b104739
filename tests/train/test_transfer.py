from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from facepsych.data import load_dataset
from facepsych.errors import FacepsychError
from facepsych.train import TrainConfig, load_run, train_valence
from facepsych.train.cache import FeatureStore
from facepsych.train.transfer import METRIC_COLUMNS, _epoch_order

SPEC = {"arch": "alexnet", "weights": "random", "hidden": 16}


def _cfg(cache_dir, **kw):
    base = dict(epochs=2, batch_size=8, lr=1e-3, image_size=64, cache_dir=str(cache_dir))
    base.update(progress=False)
    base.update(kw)
    return TrainConfig(**base)


def _state(run_dir):
    return torch.load(run_dir / "best.pt", weights_only=True)


def test_run_folder_layout(striped_ds, tmp_path, cache_dir):
    out = tmp_path / "run"
    result = train_valence(SPEC, striped_ds, out, _cfg(cache_dir, epochs=3))
    assert {p.name for p in out.iterdir()} == {
        "config.json",
        "metrics.csv",
        "best.pt",
        "learning_curves.png",
    }
    metrics = pd.read_csv(out / "metrics.csv")
    assert tuple(metrics.columns) == METRIC_COLUMNS
    assert metrics["epoch"].tolist() == [1, 2, 3]
    best = metrics["val_acc"].max()
    assert result.best_val_acc == best
    assert metrics.loc[result.best_epoch - 1, "val_acc"] == best
    config = json.loads((out / "config.json").read_text())
    assert config["net"]["arch"] == "alexnet" and config["net"]["image_size"] == 64
    assert config["train"]["epochs"] == 3 and config["train"]["lr"] == 1e-3
    assert config["data"]["splits"]["val"]["n"] == result.n_val == 8
    assert config["result"]["mode"] == "cached" and result.fallback_reason is None
    # the checkpoint is the whole net at the best epoch; load_run rebuilds it
    net = load_run(out)
    assert net.preprocessing.image_size == 64
    state = _state(out)
    assert set(state) == set(net.state_dict())
    assert not any(p.name.startswith(".") for p in out.iterdir())  # no temp files left


def test_same_seed_same_metrics_and_checkpoint(striped_ds, tmp_path, cache_dir):
    runs = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        train_valence(SPEC, striped_ds, tmp_path / name, _cfg(cache_dir, seed=seed))
        m = pd.read_csv(tmp_path / name / "metrics.csv").drop(columns="seconds")
        runs.append((m, _state(tmp_path / name)))
    (ma, sa), (mb, sb), (mc, sc) = runs
    pd.testing.assert_frame_equal(ma, mb)
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa if k.startswith("classifier"))


def test_cache_gives_the_same_training_as_full_forwards(striped_ds, tmp_path, cache_dir):
    exact = _cfg(cache_dir, cache_dtype="float32")  # float16 is compared in test_cache
    cached = train_valence(SPEC, striped_ds, tmp_path / "c", exact)
    full = train_valence(SPEC, striped_ds, tmp_path / "f", _cfg(cache_dir, cache=False))
    assert cached.mode == "cached" and full.mode == "full-forward"
    assert full.fallback_reason == "feature cache disabled (cache=False)"
    mc = pd.read_csv(tmp_path / "c" / "metrics.csv").drop(columns="seconds")
    mf = pd.read_csv(tmp_path / "f" / "metrics.csv").drop(columns="seconds")
    np.testing.assert_allclose(mc.to_numpy(), mf.to_numpy(), rtol=1e-4, atol=1e-5)
    sc, sf = _state(tmp_path / "c"), _state(tmp_path / "f")
    for k in sc:
        torch.testing.assert_close(sc[k], sf[k], rtol=1e-3, atol=1e-5)


def _features_file(tmp_path, seed=0):
    import torchvision

    torch.manual_seed(seed)
    state = torchvision.models.alexnet().features.state_dict()
    path = tmp_path / f"alexnet_features_{seed}.pt"
    torch.save({f"features.{k}": v for k, v in state.items()}, path)
    return f"file:{path}"


def test_cache_reused_across_heads_and_invalidated_by_inputs(striped_ds, tmp_path, cache_dir):
    spec = {**SPEC, "weights": _features_file(tmp_path)}
    first = train_valence(spec, striped_ds, tmp_path / "a", _cfg(cache_dir, epochs=1))
    assert not first.cache_hit
    wider = train_valence({**spec, "hidden": 32}, striped_ds, tmp_path / "b", _cfg(cache_dir))
    fe = train_valence(
        {**spec, "arch": "fe-alexnet", "excitation": ["pool5", "fc6"]},
        striped_ds,
        tmp_path / "c",
        _cfg(cache_dir, epochs=1),
    )
    assert wider.cache_hit and fe.cache_hit and fe.mode == "cached"
    assert wider.cache_path == first.cache_path == fe.cache_path
    bigger = train_valence(spec, striped_ds, tmp_path / "d", _cfg(cache_dir, image_size=72))
    assert not bigger.cache_hit and bigger.cache_path != first.cache_path
    other = {**spec, "weights": _features_file(tmp_path, seed=1)}
    result = train_valence(other, striped_ds, tmp_path / "e", _cfg(cache_dir, epochs=1))
    assert not result.cache_hit  # different backbone weights


def test_cache_invalidated_when_an_image_changes(striped_dir, tmp_path, cache_dir):
    ds = load_dataset(striped_dir, "folder", val_fraction=0.25)
    a = train_valence(SPEC, ds, tmp_path / "a", _cfg(cache_dir, epochs=1))
    from tests.train.conftest import striped_image

    striped_image(0, 1234, size=30).save(striped_dir / "img" / "000.png")
    ds = load_dataset(striped_dir, "folder", val_fraction=0.25)
    b = train_valence(SPEC, ds, tmp_path / "b", _cfg(cache_dir, epochs=1))
    assert not b.cache_hit and a.cache_path != b.cache_path


def test_conv_excitation_falls_back_to_full_forwards(striped_ds, tmp_path, cache_dir):
    spec = {**SPEC, "arch": "fe-alexnet", "excitation": ["conv3", "pool5"], "reduction": 8}
    result = train_valence(spec, striped_ds, tmp_path / "r", _cfg(cache_dir, epochs=1))
    assert result.mode == "full-forward"
    assert result.fallback_reason == "trainable excitation inside the conv stack (conv3)"
    assert result.cache_path is None  # nothing before the excitation output may be cached
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert config["result"]["fallback_reason"].endswith("(conv3)")
    # the conv3 block was trained
    state = _state(tmp_path / "r")
    fresh = load_run(tmp_path / "r").state_dict()
    assert any(k.startswith("excite.conv3") for k in state)
    assert all(torch.equal(state[k], fresh[k]) for k in state)


def test_augmentation_falls_back_but_caches_validation(striped_ds, tmp_path, cache_dir):
    result = train_valence(SPEC, striped_ds, tmp_path / "r", _cfg(cache_dir, augment=True))
    assert result.mode == "full-forward"
    assert result.fallback_reason.startswith("random augmentation")
    assert result.cache_path is not None  # validation features only
    store = FeatureStore(result.cache_path)
    assert sorted(store.ids) == sorted(s.image_id for s in striped_ds.split("val"))


def test_learns_a_separable_problem(striped_ds, tmp_path, cache_dir):
    result = train_valence(SPEC, striped_ds, tmp_path / "r", _cfg(cache_dir, epochs=15))
    assert result.best_val_acc == 1.0
    metrics = pd.read_csv(tmp_path / "r" / "metrics.csv")
    assert metrics["train_loss"].iloc[-1] < metrics["train_loss"].iloc[0]


def test_balanced_sampler_and_class_weights(striped_dir, tmp_path, cache_dir):
    labels = torch.tensor([0] * 90 + [1] * 10)
    order = _epoch_order(labels, "sampler", torch.Generator().manual_seed(0))
    share = labels[order].float().mean().item()
    assert len(order) == 100 and 0.38 < share < 0.62  # ~0.5 (binomial sd 0.05) vs 0.1 unbalanced
    plain = _epoch_order(labels, "none", torch.Generator().manual_seed(0))
    assert sorted(plain.tolist()) == list(range(100))
    ds = load_dataset(striped_dir, "folder", val_fraction=0.25)
    np.testing.assert_allclose(ds.class_weights(), [1.0, 1.0])
    for mode in ("weights", "sampler"):
        r = train_valence(SPEC, ds, tmp_path / mode, _cfg(cache_dir, epochs=1, balance=mode))
        assert r.mode == "cached"


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


@pytest.mark.parametrize("cache", [True, False])
def test_undecodable_image_fails_or_is_skipped(striped_dir, tmp_path, cache_dir, cache):
    _truncate(striped_dir / "img" / "005.png")
    ds = load_dataset(striped_dir, "folder", val_fraction=0.25)  # header still readable
    with pytest.raises(FacepsychError, match=r"cannot read image .*005.png"):
        train_valence(SPEC, ds, tmp_path / "r", _cfg(cache_dir, epochs=1, cache=cache))
    ds = load_dataset(striped_dir, "folder", val_fraction=0.25, skip_bad=True)
    result = train_valence(SPEC, ds, tmp_path / "s", _cfg(cache_dir, epochs=1, cache=cache))
    skipped = pd.read_csv(tmp_path / "s" / "skipped.csv")
    assert len(skipped) == 1 and skipped["item"][0].endswith("005.png")
    assert "cannot read image" in skipped["reason"][0]
    assert result.skipped == 1 and result.n_train + result.n_val == len(ds) - 1


def test_skipped_rows_from_loading_are_written(striped_dir, tmp_path, cache_dir):
    with (striped_dir / "labels.csv").open("a") as fh:
        fh.write("img/missing.png,positive,p0\n")
    ds = load_dataset(striped_dir, "folder", val_fraction=0.25, skip_bad=True)
    train_valence(SPEC, ds, tmp_path / "r", _cfg(cache_dir, epochs=1))
    skipped = pd.read_csv(tmp_path / "r" / "skipped.csv")
    assert skipped["item"].tolist() == ["labels.csv line 34, column 'file'"]


def test_single_class_training_split_is_an_error(striped_ds, tmp_path, cache_dir):
    ds = striped_ds.without({s.image_id for s in striped_ds if s.split == "train" and s.label})
    with pytest.raises(FacepsychError, match="the training split needs both classes"):
        train_valence(SPEC, ds, tmp_path / "r", _cfg(cache_dir))


def test_config_validation():
    with pytest.raises(FacepsychError, match="epochs must be a positive integer, got 0"):
        TrainConfig(epochs=0)
    with pytest.raises(FacepsychError, match="unknown balance mode 'oversample'"):
        TrainConfig(balance="oversample")


@pytest.mark.parametrize(
    ("arch", "hidden", "dim"), [("vgg11", 16, 512 * 7 * 7), ("mobilenet_v2", None, 1280)]
)
def test_other_torchvision_archs_train_cached(striped_ds, tmp_path, cache_dir, arch, hidden, dim):
    spec = {"arch": arch, "weights": "random", "hidden": hidden}
    result = train_valence(spec, striped_ds, tmp_path / arch, _cfg(cache_dir, image_size=32))
    assert result.mode == "cached" and len(result.metrics) == 2
    store = FeatureStore(result.cache_path)
    assert (len(store), store.dim) == (len(striped_ds), dim)
    assert load_run(tmp_path / arch).arch == arch


def test_progress_output_names_mode_and_balance(striped_ds, tmp_path, cache_dir, capsys):
    spec = {**SPEC, "arch": "fe-alexnet", "excitation": ["conv5"]}
    train_valence(spec, striped_ds, tmp_path / "r", _cfg(cache_dir, epochs=1, progress=True))
    err = capsys.readouterr()
    text = err.out + err.err
    assert "training fe-alexnet (full-forward: trainable excitation inside the conv stack" in text
    assert "data: train 24 (12 negative / 12 positive), val 8 (4 negative / 4 positive)" in text


def test_one_class_training_split_fails_before_writing(striped_dir, tmp_path):
    """Regression (QA): a valence map that leaves one class extracted features and left an
    empty run folder before saying so."""
    labels = striped_dir / "labels.csv"
    lines = labels.read_text().splitlines()
    labels.write_text("\n".join([lines[0], *[ln for ln in lines[1:] if "positive" in ln]]) + "\n")
    ds = load_dataset(striped_dir, "folder", val_fraction=0.25, seed=0)
    out = tmp_path / "run"
    cfg = TrainConfig(epochs=1, image_size=64, cache_dir=str(tmp_path / "c"), progress=False)
    with pytest.raises(FacepsychError, match=r"training split needs both classes"):
        train_valence({"arch": "alexnet", "weights": "random", "hidden": 8}, ds, out, cfg)
    assert not out.exists() and not (tmp_path / "c").exists()


def test_image_failing_to_decode_mid_run_leaves_no_run_folder(striped_dir, tmp_path):
    """Regression (QA): a truncated image passes the loader's header check and fails during
    feature extraction; the run folder used to be left behind, empty."""
    bad = striped_dir / "img" / "003.png"
    data = bad.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    ds = load_dataset(striped_dir, "folder", val_fraction=0.25, seed=0)
    out = tmp_path / "run"
    cfg = TrainConfig(epochs=1, image_size=64, cache_dir=str(tmp_path / "c"), progress=False)
    with pytest.raises(FacepsychError, match=r"003.png"):
        train_valence({"arch": "alexnet", "weights": "random", "hidden": 8}, ds, out, cfg)
    assert not out.exists()


@pytest.mark.parametrize("cache", [True, False])
def test_standardize_sets_training_statistics_and_survives_load_run(
    striped_ds, tmp_path, cache_dir, cache
):
    from facepsych.train.transfer import _build

    cfg = _cfg(cache_dir, standardize=True, cache=cache)
    result = train_valence(SPEC, striped_ds, tmp_path / "s", cfg)
    config = json.loads((tmp_path / "s" / "config.json").read_text())
    assert config["net"]["standardize"] is True and config["train"]["standardize"] is True
    # independent reference: the frozen backbone over the training images, mean and s.d.
    ref = _build(SPEC, cfg).eval()
    train = striped_ds.split("train")
    with torch.no_grad():
        x = ref.preprocessing.batch([train.load_image(s) for s in train.samples])
        feats = ref.backbone(x).numpy()
    net = load_run(tmp_path / "s")
    np.testing.assert_allclose(net.standardize.mean.numpy(), feats.mean(0), rtol=1e-4, atol=1e-5)
    sd = feats.std(0)
    floor = 0.01 * np.median(sd[sd > 0])
    np.testing.assert_allclose(
        net.standardize.std.numpy(), np.maximum(sd, floor), rtol=1e-4, atol=1e-5
    )
    assert result.mode == ("cached" if cache else "full-forward")


def test_default_feature_cache_is_the_features_folder_of_the_one_cache_root(monkeypatch, tmp_path):
    from facepsych.experiment.cache import cache_dir
    from facepsych.train.config import default_cache_dir

    monkeypatch.setenv("FACEPSYCH_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c" / "features" == cache_dir() / "features"
    monkeypatch.delenv("FACEPSYCH_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "facepsych" / "features"
    assert TrainConfig().resolved_cache_dir() == default_cache_dir()


def test_standardize_streams_the_cached_rows_instead_of_loading_the_split(
    striped_ds, tmp_path, cache_dir, monkeypatch
):
    from facepsych.train.cache import FeatureRows

    def whole(self, *args, **kwargs):
        raise AssertionError("the whole training split was loaded")

    monkeypatch.setattr(FeatureRows, "to_tensor", whole)
    result = train_valence(SPEC, striped_ds, tmp_path / "s", _cfg(cache_dir, standardize=True))
    assert result.mode == "cached"
    assert float(load_run(tmp_path / "s").standardize.std.min()) > 0
