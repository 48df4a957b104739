"""The arch × weights registry, and the panel seam: a fake PanelArch plugs into build_model."""

import sys
import types
from dataclasses import dataclass

import pytest
import torch
from torch import nn

from facepsych.errors import FacepsychError
from facepsych.models import (
    WeightInfo,
    build_model,
    default_cam_layer,
    domain_of,
    lookup,
    registry,
)


def test_paper_entries():
    ids = [e.identifier for e in registry()]
    assert ids[:4] == ["alexnet:random", "alexnet:imagenet", "vgg11:random", "vgg11:imagenet"]
    assert "vgg16:vggface" in ids and "alexnet:vggface" not in ids
    entry = lookup("alexnet", "imagenet")
    assert (entry.domain, entry.input_size, entry.cam_layer) == ("object", 224, "features.11")
    assert entry.resource == "alexnet-owt-7be5be79.pth" and entry.mean == (0.485, 0.456, 0.406)
    assert lookup("vgg16", "vggface:/m/v.pth").preprocessing == "vggface"


@pytest.mark.parametrize(
    ("arch", "layer"),
    [("alexnet", "features.11"), ("fe-alexnet", "features.11"), ("vgg11", "features.19"),
     ("vgg13", "features.23"), ("vgg16", "features.29")],
)  # fmt: skip
def test_default_cam_layer_is_the_last_feature_relu(arch, layer):
    assert default_cam_layer(arch) == layer
    with torch.device("meta"):
        net = build_model(arch, hidden=4)
    assert default_cam_layer(net) == layer


def test_domains():
    assert domain_of("alexnet", "imagenet") == "object"
    assert domain_of("alexnet", "imagenet:/x/a.pth") == "object"
    assert domain_of("vgg16", "vggface:/x/v.pth") == "face"
    assert domain_of("vgg11", "random") == "none"
    assert domain_of("alexnet", "file:/x/face.pth") is None
    assert domain_of("alexnet", "pretrained:face") is None


def test_lookup_errors():
    with pytest.raises(FacepsychError, match="vggface weights are VGG16 weights"):
        lookup("alexnet", "vggface:/x.pth")
    with pytest.raises(FacepsychError, match=r"alexnet has no 'dlib' weights \(it has: random"):
        lookup("alexnet", "dlib")


# ---------------------------------------------------------------------- a fake panel arch
@dataclass(frozen=True)
class _Packaged:
    name: str
    package: str
    resource: str
    sha256: str
    nbytes: int
    trained_on: str
    licence: str
    domain: str


@dataclass(frozen=True)
class _Arch:
    arch: str
    input_size: int
    preprocessing: str
    cam_layer: str
    out_channels: int
    weights: tuple


@pytest.fixture
def fake_panel(monkeypatch):
    loads = []

    def build_features(arch):
        return nn.Sequential(nn.Conv2d(3, 6, 3), nn.ReLU(), nn.Conv2d(6, 5, 3), nn.ReLU())

    def load_packaged_weights(features, arch, weights):
        loads.append((arch, weights))
        with torch.no_grad():
            for p in features.parameters():
                p.fill_(0.5)
        return WeightInfo(source=weights, path="pkg", sha256="ab" * 32, loaded_keys=4)

    face = _Packaged("dlib", "dlib-pkg", "r.dat", "ab" * 32, 10, "faces", "CC0", "face")
    module = types.ModuleType("facepsych.models.archs")
    module.PANEL = {"tiny-face": _Arch("tiny-face", 32, "half", "features.3", 5, (face,))}
    module.build_features = build_features
    module.load_packaged_weights = load_packaged_weights
    monkeypatch.setitem(sys.modules, "facepsych.models.archs", module)
    return loads


def test_fake_panel_arch_builds_with_the_paper_head(fake_panel):
    net = build_model("tiny-face", "random", hidden=7, seed=0)
    linears = [m for m in net.classifier if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(5, 7), (7, 7), (7, 2)]
    assert [type(m).__name__ for m in net.classifier] == [
        "Dropout", "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Linear",
    ]  # fmt: skip
    assert net.preprocessing.name == "half" and net.preprocessing.image_size == 32
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 2)
    assert net.cacheable and fake_panel == []
    again = build_model("tiny-face", "random", hidden=7, seed=0)
    assert all(torch.equal(v, again.state_dict()[k]) for k, v in net.state_dict().items())


def test_fake_panel_packaged_weights_and_registry(fake_panel):
    net = build_model("tiny-face", "dlib", hidden=4)
    assert fake_panel == [("tiny-face", "dlib")] and net.weight_info.loaded_keys == 4
    assert all(float(p.flatten()[0]) == 0.5 for p in net.features.parameters())
    entry = lookup("tiny-face", "dlib")
    assert (entry.identifier, entry.domain, entry.package, entry.cam_layer) == (
        "tiny-face:dlib", "face", "dlib-pkg", "features.3",
    )  # fmt: skip
    assert entry.sha256 == "ab" * 32 and entry.mean == (0.5, 0.5, 0.5)
    assert "tiny-face:dlib" in [e.identifier for e in registry()]
    assert default_cam_layer("tiny-face") == "features.3" == default_cam_layer(net)
    with torch.device("meta"):
        build_model("tiny-face", hidden=4)  # the zoo tables build on the meta device


def test_packaged_names_need_a_panel_arch(fake_panel):
    with pytest.raises(
        FacepsychError, match="dlib weights belong to a packaged net, not to 'alexnet'"
    ):
        build_model("alexnet", "dlib")
