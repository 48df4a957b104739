from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from facepsych.errors import FacepsychError
from facepsych.models import build_model
from facepsych.train import cache as cache_mod
from facepsych.train.cache import (
    FeatureStore,
    backbone_sha256,
    cache_key,
    cache_key_material,
    cached_features,
    extract_features,
)


@pytest.fixture(scope="module")
def net():
    return build_model("alexnet", hidden=8, seed=0, image_size=64)


def _reference(net, ds) -> torch.Tensor:
    x = net.preprocessing.batch([ds.load_image(s) for s in ds.samples])
    with torch.no_grad():
        return net.eval().backbone(x)


def test_extraction_is_the_backbone_in_order_with_or_without_worker_processes(net, striped_ds):
    ids, feats, failed = extract_features(net, striped_ds, batch_size=5, progress=False)
    assert ids == [s.image_id for s in striped_ds] and failed == []
    torch.testing.assert_close(feats, _reference(net, striped_ds), rtol=1e-5, atol=1e-6)
    _, pooled, _ = extract_features(net, striped_ds, batch_size=7, workers=2, progress=False)
    torch.testing.assert_close(pooled, feats, rtol=1e-5, atol=1e-6)


def test_float16_shards_hold_the_backbone_to_float16_precision(net, striped_ds, cache_dir):
    cf = cached_features(net, striped_ds, cache_dir, progress=False, shard_size=10, batch_size=4)
    ref = _reference(net, striped_ds)
    assert cf.ids == [s.image_id for s in striped_ds] and not cf.hit
    assert cf.store.dtype == "float16" and len(list(cf.path.glob("shard-*.npy"))) == 4
    torch.testing.assert_close(cf.features, ref, rtol=2**-11, atol=1e-6)  # 11 significant bits
    f32 = cached_features(net, striped_ds, cache_dir, progress=False, dtype="float32")
    torch.testing.assert_close(f32.features, ref, rtol=1e-5, atol=1e-6)
    assert f32.path != cf.path and f32.store.nbytes > 1.9 * cf.store.nbytes
    # a view gathers any rows in any order, straight from the memory maps
    pick = [cf.ids[k] for k in (31, 0, 17, 9, 10)]
    view = cf.rows(pick)
    assert view.shape == (5, ref.shape[1])
    torch.testing.assert_close(view[torch.tensor([4, 0, 2])], cf.features[[10, 31, 17]])


def test_storage_format_is_part_of_the_key(net, striped_ds):
    a = cache_key(cache_key_material(net, striped_ds, "float16"))
    b = cache_key(cache_key_material(net, striped_ds, "float32"))
    assert a != b
    with pytest.raises(FacepsychError, match=r"^unknown cache dtype 'int8' \(use float16 or"):
        cache_key_material(net, striped_ds, "int8")


def test_precision_not_device_is_part_of_the_key(net, striped_ds, cache_dir, monkeypatch):
    from facepsych.train.extract import extraction_precision

    assert extraction_precision("cpu") == extraction_precision(torch.device("cpu")) == "float32"
    assert extraction_precision("cuda") == extraction_precision("cuda:1") == "bfloat16"
    f32 = cache_key(cache_key_material(net, striped_ds, "float16", "float32"))
    bf16 = cache_key(cache_key_material(net, striped_ds, "float16", "bfloat16"))
    assert f32 != bf16
    cpu = cached_features(net, striped_ds, cache_dir, progress=False)
    meta = json.loads((cpu.path / "meta.json").read_text())
    assert cache_key(meta["material"]) == f32 and meta["material"]["precision"] == "float32"
    # features a GPU computed in bfloat16 are not a float32 run's, nor the other way round
    monkeypatch.setattr(cache_mod, "extraction_precision", lambda device: "bfloat16")
    gpu = cached_features(net, striped_ds, cache_dir, progress=False)
    assert not gpu.hit and gpu.path != cpu.path and gpu.path.name == bf16[:32]
    assert cached_features(net, striped_ds, cache_dir, progress=False).hit
    monkeypatch.undo()
    assert cached_features(net, striped_ds, cache_dir, progress=False).path == cpu.path


def test_cache_hit_and_corrupt_shard_recovery(net, striped_ds, cache_dir):
    first = cached_features(net, striped_ds, cache_dir, progress=False, shard_size=16)
    second = cached_features(net, striped_ds, cache_dir, progress=False, shard_size=16)
    assert not first.hit and second.hit and first.path == second.path
    expected = first.features
    assert torch.equal(expected, second.features)
    del first, second  # their memory maps must not outlive the file truncated below
    (cache_dir / expected_folder(cache_dir) / "shard-00001.npy").write_bytes(b"half a file")
    third = cached_features(net, striped_ds, cache_dir, progress=False, shard_size=16)
    assert not third.hit and torch.equal(third.features, expected)
    assert not [p for p in third.path.iterdir() if p.name.startswith(".")]  # no temp files
    assert not list(third.path.glob("*.partial.*")) and not list(third.path.glob("*.lock"))


def expected_folder(cache_dir):
    (folder,) = [p for p in cache_dir.iterdir() if p.is_dir()]
    return folder.name


class _Interrupt(Exception):
    pass


def test_interrupted_extraction_resumes_where_it_stopped(net, striped_ds, cache_dir, monkeypatch):
    whole = cached_features(net, striped_ds, cache_dir / "whole", progress=False, shard_size=12,
                            batch_size=4)  # fmt: skip
    real = cache_mod.extract_batches

    def stop_after(k):
        count = [0]  # batches over all shards

        def batches(*args, **kwargs):
            for item in real(*args, **kwargs):
                if count[0] == k:
                    raise _Interrupt
                count[0] += 1
                yield item

        return batches

    monkeypatch.setattr(cache_mod, "extract_batches", stop_after(5))  # 3 in shard 0, 2 in shard 1
    with pytest.raises(_Interrupt):
        cached_features(net, striped_ds, cache_dir / "r", progress=False, shard_size=12,
                        batch_size=4)  # fmt: skip
    folder = next((cache_dir / "r").iterdir())
    assert (folder / "shard-00000.json").is_file() and not (folder / "complete.json").exists()
    assert json.loads((folder / "shard-00001.partial.json").read_text())["done"] == 20
    monkeypatch.setattr(cache_mod, "extract_batches", real)
    decoded = []
    load = striped_ds.load_image
    monkeypatch.setattr(striped_ds, "load_image", lambda s: decoded.append(s) or load(s))
    again = cached_features(net, striped_ds, cache_dir / "r", progress=False, shard_size=12,
                            batch_size=4)  # fmt: skip
    assert len(decoded) == 32 - 20  # only the samples not yet written
    assert again.ids == whole.ids and torch.equal(again.features, whole.features)


def test_unreadable_images_are_skipped_across_shards(net, striped_dir, cache_dir):
    from facepsych.data import load_dataset

    ds = load_dataset(striped_dir, "folder", val_fraction=0.25, seed=0, skip_bad=True)
    for name in ("img/003.png", "img/020.png"):  # broken after the header check at load time
        (striped_dir / name).write_bytes(b"not a png")
    cf = cached_features(net, ds, cache_dir, progress=False, shard_size=8, batch_size=3)
    assert len(cf.ids) == len(ds) - 2 and len(cf.failed) == 2
    assert sorted(f["item"].rsplit("/", 1)[-1] for f in cf.failed) == ["003.png", "020.png"]
    good = ds.without({f["image_id"] for f in cf.failed})
    torch.testing.assert_close(cf.features, _reference(net, good), rtol=2**-11, atol=1e-6)
    store = FeatureStore(cf.path)
    assert store.ids == cf.ids and store.failed == cf.failed


def test_features_beyond_the_float16_range_are_refused(striped_ds, cache_dir):
    big = build_model("alexnet", hidden=8, seed=0, image_size=64)
    with torch.no_grad():
        big.features[10].bias.fill_(1e5)
    with pytest.raises(FacepsychError, match=r"features exceed the float16 range .*float32"):
        cached_features(big, striped_ds, cache_dir, progress=False)


def test_tiny_features_keep_their_precision_in_float16(striped_ds, cache_dir):
    # a random twin whose activations vanish (~1e-9) would be cached as zeros in float16
    tiny = build_model("alexnet", hidden=8, seed=0, image_size=64)
    with torch.no_grad():
        tiny.features[10].weight.mul_(1e-7)
        tiny.features[10].bias.fill_(1e-7)
    exact = cached_features(tiny, striped_ds, cache_dir, progress=False, dtype="float32").features
    assert 0 < float(exact.abs().max()) < 6.1e-5
    half = cached_features(tiny, striped_ds, cache_dir, progress=False).features
    # stored scaled by a power of two and unscaled on reading: float16's relative precision
    nonzero = exact.abs() > 0
    assert nonzero.any() and (half[nonzero] != 0).all()
    rel = ((half - exact).abs() / exact.abs().clamp_min(1e-30))[nonzero]
    assert float(rel.max()) <= 2.0**-11


def test_float16_scale_exponent_leaves_ordinary_features_alone():
    from facepsych.train.cache import float16_scale_exp

    assert float16_scale_exp(0.0) == 0
    assert float16_scale_exp(3.5) == 0 and float16_scale_exp(2.0**-4) == 0
    e = float16_scale_exp(1e-9)
    assert 2.0**9 < 1e-9 * 2.0**e <= 2.0**10


def test_backbone_hash_tracks_weights(net):
    before = backbone_sha256(net)
    other = build_model("alexnet", hidden=8, seed=0, image_size=64)
    assert backbone_sha256(other) == before
    with torch.no_grad():
        other.features[0].bias[0] += 1e-3
    assert backbone_sha256(other) != before


def test_trainable_block_in_the_backbone_is_not_cacheable(striped_ds, cache_dir):
    fe = build_model("fe-alexnet", hidden=8, excitation=["conv2"], seed=0, image_size=64)
    assert not fe.cacheable
    with pytest.raises(FacepsychError, match="trainable block sits inside the backbone"):
        cached_features(fe, striped_ds, cache_dir, progress=False)


def test_float16_memmap_training_matches_float32(striped_ds, tmp_path):
    from facepsych.train import TrainConfig, load_run, predict_images, train_valence

    spec = {"arch": "alexnet", "weights": "random", "hidden": 16, "image_size": 64}
    runs = {}
    for dtype in ("float32", "float16"):
        cfg = TrainConfig(epochs=4, batch_size=8, lr=1e-3, seed=0, cache_dtype=dtype,
                          cache_dir=str(tmp_path / "cache"), progress=False, workers=0)  # fmt: skip
        runs[dtype] = train_valence(spec, striped_ds, tmp_path / dtype, cfg)
    a, b = runs["float32"], runs["float16"]
    assert a.cache_path != b.cache_path
    assert abs(a.best_val_acc - b.best_val_acc) <= 0.01
    images = [striped_ds.load_image(s) for s in striped_ds.samples]
    pa = predict_images(load_run(tmp_path / "float32"), images)
    pb = predict_images(load_run(tmp_path / "float16"), images)
    np.testing.assert_allclose(pa, pb, atol=1e-2)
