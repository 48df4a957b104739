"""Weight sources: round trips in real key layouts, SHA-256, hash prefixes, every error case."""

from __future__ import annotations

import argparse
import hashlib
import pickle
import shutil
import warnings

import numpy as np
import pytest
import torch

from facepsych.errors import FacepsychError
from facepsych.models import build_model, imagenet_cache_path, read_state_dict
from tests.models.conftest import SMALL_HIDDEN, VGG16_CONVS


def _raises(source: str, arch: str = "alexnet", **kwargs) -> str:
    with pytest.raises(FacepsychError) as err:
        build_model(arch, source, hidden=SMALL_HIDDEN, **kwargs)
    return str(err.value)


# ---------------------------------------------------------------------- file: round trips
def test_file_round_trip_loads_features_and_hidden_layers(alexnet_file, alexnet_state):
    net = build_model("alexnet", f"file:{alexnet_file}", hidden=SMALL_HIDDEN, seed=0)
    state = net.state_dict()
    for key, value in alexnet_state.items():
        if not key.startswith("classifier.6"):
            assert torch.equal(state[key], value), key
    assert not torch.equal(state["classifier.6.bias"], alexnet_state["classifier.6.bias"][:2])
    info = net.weight_info
    assert info.loaded_keys == 14
    assert info.sha256 == hashlib.sha256(alexnet_file.read_bytes()).hexdigest()
    assert info.path == str(alexnet_file.resolve()) and info.source == f"file:{alexnet_file}"
    assert info.skipped == [
        f"classifier.6.weight (file (1000, {SMALL_HIDDEN}), network (2, {SMALL_HIDDEN}))",
        "classifier.6.bias (file (1000,), network (2,))",
    ]
    assert info.as_dict()["loaded_keys"] == 14


def test_wrapped_and_module_prefixed_files_load_the_same(tmp_path, alexnet_state):
    path = tmp_path / "ddp.pt"
    wrapped = {"module." + k: v for k, v in alexnet_state.items()}
    torch.save({"state_dict": wrapped, "epoch": 12, "arch": "alexnet"}, path)
    net = build_model("alexnet", f"file:{path}", hidden=SMALL_HIDDEN)
    assert torch.equal(net.features[10].weight, alexnet_state["features.10.weight"])
    assert net.weight_info.loaded_keys == 14


def test_a_file_without_classifier_keeps_the_initialised_head(tmp_path, alexnet_state):
    path = tmp_path / "features_only.pt"
    torch.save({k: v for k, v in alexnet_state.items() if k.startswith("features.")}, path)
    net = build_model("alexnet", f"file:{path}", hidden=8, seed=5)
    plain = build_model("alexnet", hidden=8, seed=5)
    assert torch.equal(net.classifier[1].weight, plain.classifier[1].weight)
    assert torch.equal(net.features[0].bias, alexnet_state["features.0.bias"])
    assert net.weight_info.loaded_keys == 10
    assert len(net.weight_info.skipped) == 6
    assert all(s.endswith("(not in file; kept initialisation)") for s in net.weight_info.skipped)


def test_vgg16_features_file(tmp_path, vgg16_features_state):
    path = tmp_path / "vgg16_features.pth"
    torch.save(vgg16_features_state, path)
    net = build_model("vgg16", f"file:{path}", hidden=8)
    for idx in VGG16_CONVS:
        assert torch.equal(net.features[idx].weight, vgg16_features_state[f"features.{idx}.weight"])
    assert net.weight_info.loaded_keys == 26


# ---------------------------------------------------------------------- imagenet
def test_imagenet_from_the_hub_cache_and_hash_prefix_warning(tmp_path, monkeypatch, alexnet_file):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    cached = tmp_path / "hub" / "checkpoints" / "alexnet-owt-7be5be79.pth"
    assert imagenet_cache_path("fe-alexnet") == cached
    cached.parent.mkdir(parents=True)
    shutil.copy(alexnet_file, cached)
    with pytest.warns(UserWarning, match=r"hash prefix in the file name \(7be5be79\) does not"):
        net = build_model("alexnet", "imagenet", hidden=SMALL_HIDDEN)
    assert net.weight_info.path == str(cached)
    assert net.weight_info.warnings and "7be5be79" in net.weight_info.warnings[0]
    assert net.preprocessing.name == "imagenet"


def test_matching_hash_prefix_gives_no_warning(tmp_path, alexnet_file):
    digest = hashlib.sha256(alexnet_file.read_bytes()).hexdigest()
    named = tmp_path / f"alexnet-mine-{digest[:8]}.pth"
    shutil.copy(alexnet_file, named)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = build_model("alexnet", f"imagenet:{named}", hidden=SMALL_HIDDEN)
    assert net.weight_info.warnings == [] and net.weight_info.sha256 == digest


def test_imagenet_missing_names_the_file_and_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert _raises("imagenet", "vgg16") == (
        "ImageNet weights for vgg16 not found: put vgg16-397923af.pth "
        "(https://download.pytorch.org/models/vgg16-397923af.pth) in "
        f"{tmp_path}/hub/checkpoints/, use imagenet:PATH, or run "
        "`facepsych weights download vgg16` on a machine that is online"
    )


# ---------------------------------------------------------------------- vggface
def test_vggface_maps_convs_and_fc_layers(tmp_path, vggface_state):
    path = tmp_path / "vgg_face_dag.pth"
    torch.save(vggface_state, path)
    net = build_model("vgg16", f"vggface:{path}", hidden=SMALL_HIDDEN)
    assert torch.equal(net.features[0].weight, vggface_state["conv1_1.weight"])
    assert torch.equal(net.features[12].bias, vggface_state["conv3_2.bias"])
    assert torch.equal(net.features[28].weight, vggface_state["conv5_3.weight"])
    assert torch.equal(net.classifier[0].weight, vggface_state["fc6.weight"])
    assert torch.equal(net.classifier[3].bias, vggface_state["fc7.bias"])
    assert net.classifier[6].out_features == 2
    assert net.weight_info.loaded_keys == 30
    assert net.weight_info.skipped[:2] == [
        f"fc8.weight (2622, {SMALL_HIDDEN}) (VGG-Face identity layer)",
        "fc8.bias (2622,) (VGG-Face identity layer)",
    ]
    prep = net.preprocessing
    assert (prep.name, prep.scale, prep.mean) == ("vggface", 255.0, (129.186, 104.762, 93.594))


def test_vggface_convolutional_fc6_is_flattened(tmp_path, vggface_state):
    state = dict(vggface_state)
    state["fc6.weight"] = state["fc6.weight"].reshape(SMALL_HIDDEN, 512, 7, 7)
    path = tmp_path / "vggface_conv_fc.pth"
    torch.save(state, path)
    net = build_model("vgg16", f"vggface:{path}", hidden=SMALL_HIDDEN)
    assert torch.equal(net.classifier[0].weight, vggface_state["fc6.weight"])


def test_vggface_missing_conv_is_a_readable_diff(tmp_path, vggface_state):
    state = {k: v for k, v in vggface_state.items() if not k.startswith("conv3_2.")}
    path = tmp_path / "vggface_missing.pth"
    torch.save(state, path)
    assert _raises(f"vggface:{path}", "vgg16") == "\n".join(
        [
            f"weights vggface:{path} do not fit vgg16 (2 problems):",
            "  problem     key                 expected            found",
            "  missing     features.12.weight  (256, 256, 3, 3)    -",
            "  missing     features.12.bias    (256,)              -",
        ]
    )


def test_vggface_needs_vgg16(tmp_path):
    assert _raises(f"vggface:{tmp_path / 'x.pth'}") == (
        "vggface weights are VGG16 weights; use arch vgg16, not alexnet"
    )


# ---------------------------------------------------------------------- strict checks
def test_shape_missing_and_unexpected_keys_are_listed(tmp_path, alexnet_state):
    state = dict(alexnet_state)
    state["features.3.weight"] = torch.zeros(192, 64, 3, 3)
    del state["features.8.bias"]
    state["features.13.weight"] = torch.zeros(4)
    path = tmp_path / "broken.pt"
    torch.save(state, path)
    assert _raises(f"file:{path}") == "\n".join(
        [
            f"weights file:{path} do not fit alexnet (3 problems):",
            "  problem     key                 expected            found",
            "  shape       features.3.weight   (192, 64, 5, 5)     (192, 64, 3, 3)",
            "  missing     features.8.bias     (256,)              -",
            "  unexpected  features.13.weight  -                   (4,)",
        ]
    )


def test_long_diffs_are_cut(tmp_path, vgg16_features_state):
    path = tmp_path / "vgg_into_alexnet.pt"
    torch.save(vgg16_features_state, path)
    lines = _raises(f"file:{path}").splitlines()
    assert lines[0] == f"weights file:{path} do not fit alexnet (30 problems):"
    assert len(lines) == 2 + 20 + 1 and lines[-1] == "  … and 10 more"


# ---------------------------------------------------------------------- unreadable files
def _write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_random_bytes(tmp_path):
    path = _write(tmp_path, "noise.pth", b"\x00" + np.random.default_rng(0).bytes(4095))
    assert _raises(f"file:{path}") == (
        f"cannot read {path}: not a PyTorch checkpoint (unrecognised content)"
    )


def test_truncated_checkpoint(tmp_path, alexnet_file):
    data = alexnet_file.read_bytes()
    path = _write(tmp_path, "truncated.pth", data[: len(data) // 3])
    assert _raises(f"file:{path}") == (
        f"cannot read {path}: the checkpoint is truncated or corrupted"
    )


def test_non_tensor_pickle_refused_by_weights_only(tmp_path):
    path = tmp_path / "objects.pt"
    torch.save({"features.0.weight": torch.zeros(1), "args": argparse.Namespace(lr=0.1)}, path)
    assert _raises(f"file:{path}") == (
        f"cannot read {path}: it holds pickled Python objects (argparse.Namespace) that "
        "torch.load(weights_only=True) refuses; save a plain state dict instead"
    )


def test_plain_python_pickle(tmp_path):
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps({"features.0.weight": [1.0, 2.0]}))
    assert _raises(f"file:{path}") == (
        f"cannot read {path}: it is a plain Python pickle, not a PyTorch checkpoint; "
        "torch.load(weights_only=True) refuses it"
    )


def test_not_a_state_dict(tmp_path):
    listed = tmp_path / "list.pt"
    torch.save([torch.zeros(2)], listed)
    assert _raises(f"file:{listed}") == (
        f"{listed} is not a state dict (found a list); expected a dict of tensors such as "
        "model.state_dict()"
    )
    mixed = tmp_path / "mixed.pt"
    torch.save({"features.0.weight": torch.zeros(2), "epoch": 3}, mixed)
    assert _raises(f"file:{mixed}") == (
        f"{mixed} is not a state dict of tensors (non-tensor entry 'epoch')"
    )


def test_empty_and_missing_files(tmp_path):
    empty = _write(tmp_path, "empty.pth", b"")
    assert _raises(f"file:{empty}") == f"cannot read {empty}: the file is empty"
    assert _raises(f"file:{tmp_path / 'nope.pth'}") == (
        f"weight file not found: {tmp_path / 'nope.pth'}"
    )
    assert _raises("file:") == "weight source file: needs a path, e.g. file:weights.pth"


def test_read_state_dict_returns_tensors(alexnet_file, alexnet_state):
    state = read_state_dict(alexnet_file)
    assert set(state) == set(alexnet_state)
    assert all(torch.equal(state[k], alexnet_state[k]) for k in state)


@pytest.mark.parametrize(
    ("name", "warns"),
    [
        ("alexnet-owt-7be5be79.pth", True),
        ("vgg16-397923af.pth", True),
        ("run-20261129.pth", False),  # an all-digit suffix is a date or counter, not a hash
        ("epoch-000010.pt", False),
        ("weights.pth", False),
        ("x-abc.pth", False),  # too short for a hash prefix
    ],
)
def test_hash_prefix_is_read_only_from_hash_like_names(tmp_path, name, warns):
    from facepsych.models.weights import hash_prefix_warning

    digest = hashlib.sha256(b"content").hexdigest()
    assert (hash_prefix_warning(tmp_path / name, digest) is not None) is warns
    prefix_name = f"mine-{digest[:10]}.pth"
    assert hash_prefix_warning(tmp_path / prefix_name, digest) is None


# ---------------------------------------------------------------------- download (no network)
def test_download_is_explicit_and_fails_in_one_line(tmp_path, monkeypatch):
    from facepsych.models import download_imagenet

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    calls = []

    def offline(url, **kwargs):
        calls.append((url, kwargs))
        raise OSError("[Errno -3] Temporary failure in name resolution\nsecond line")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(FacepsychError) as err:
        download_imagenet("fe-alexnet")
    assert str(err.value) == (
        "download of alexnet-owt-7be5be79.pth failed ([Errno -3] Temporary failure in name "
        f"resolution); copy the file to {tmp_path}/hub/checkpoints/ by hand"
    )
    assert calls[0][0] == "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth"
    assert calls[0][1]["check_hash"] is True and calls[0][1]["weights_only"] is True


def test_download_returns_a_cached_file_without_network(tmp_path, monkeypatch):
    from facepsych.models import download_imagenet

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    cached = tmp_path / "hub" / "checkpoints" / "vgg11-8a719046.pth"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"x")
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", None)  # must not be called
    assert download_imagenet("vgg11") == cached
