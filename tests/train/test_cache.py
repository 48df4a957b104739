from __future__ import annotations

import pytest
import torch

from facepsych.errors import FacepsychError
from facepsych.models import build_model
from facepsych.train.cache import backbone_sha256, cached_features, extract_features

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def net():
    return build_model("alexnet", hidden=8, seed=0, image_size=64)


def test_extraction_is_the_backbone_in_order_with_or_without_threads(net, striped_ds):
    ids, feats, failed = extract_features(net, striped_ds, batch_size=5, progress=False)
    assert ids == [s.image_id for s in striped_ds] and failed == []
    x = net.preprocessing.batch([striped_ds.load_image(s) for s in striped_ds.samples[:3]])
    with torch.no_grad():
        torch.testing.assert_close(feats[:3], net.backbone(x), rtol=1e-5, atol=1e-6)
    _, threaded, _ = extract_features(net, striped_ds, batch_size=7, workers=3, progress=False)
    torch.testing.assert_close(threaded, feats, rtol=1e-5, atol=1e-6)


def test_cache_hit_and_corrupt_file_recovery(net, striped_ds, cache_dir):
    first = cached_features(net, striped_ds, cache_dir, progress=False)
    second = cached_features(net, striped_ds, cache_dir, progress=False)
    assert not first.hit and second.hit and first.path == second.path
    assert torch.equal(first.features, second.features)
    first.path.write_bytes(b"half a file")
    third = cached_features(net, striped_ds, cache_dir, progress=False)
    assert not third.hit and torch.equal(third.features, first.features)
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".")]  # no temp files


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
