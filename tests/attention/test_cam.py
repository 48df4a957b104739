"""CAM engine: parity with torchcam, frozen backbones, FE-AlexNet, targets, errors, and a toy
model trained so that only one face region is informative."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from facepsych.attention import compute_cams, region_shares
from facepsych.attention.regions import companion_masks
from facepsych.errors import FacepsychError

torchcam_methods = pytest.importorskip("torchcam.methods")


def _corr(a: torch.Tensor, b: torch.Tensor) -> float:
    """Smallest per-image Pearson r between two (B, ...) stacks of maps."""
    pairs = zip(a, b, strict=True)
    rs = [torch.corrcoef(torch.stack([x.flatten(), y.flatten()]))[0, 1] for x, y in pairs]
    return float(torch.stack(rs).min())


def _torchcam(net, x, method, layers, class_idx, size):
    cls = {"layercam": torchcam_methods.LayerCAM, "gradcam": torchcam_methods.GradCAM}[method]
    xx = x.clone().requires_grad_(True)
    with cls(net, list(layers)) as extractor:
        cams = extractor(class_idx=class_idx, scores=net(xx))
        if len(cams) > 1:
            fused = extractor.fuse_cams(cams, target_shape=size)
        else:
            fused = F.interpolate(cams[0][:, None], size, mode="bilinear")[:, 0]
    return [c.detach() for c in cams], fused.detach()


@pytest.fixture(scope="module")
def alexnet():
    torch.manual_seed(0)
    net = torchvision.models.alexnet(num_classes=2).eval()
    for p in net.features.parameters():
        p.requires_grad_(False)
    return net


@pytest.fixture(scope="module")
def images():
    return torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize(
    ("method", "layers"),
    [
        ("layercam", ("features.11",)),
        ("layercam", ("features.10",)),  # a conv followed by an in-place ReLU
        ("layercam", ("features.4", "features.7", "features.11")),
        ("layercam", ("features.10", "features.11")),  # a conv and its own in-place ReLU
        ("gradcam", ("features.11",)),
        ("gradcam", ("features.4", "features.7", "features.11")),
    ],
)
def test_parity_with_torchcam_alexnet(alexnet, images, method, layers):
    res = compute_cams(alexnet, images, method=method, layers=layers, target=1)
    cams, fused = _torchcam(alexnet, images, method, layers, 1, (224, 224))
    for layer, ref in zip(layers, cams, strict=True):
        assert _corr(res.raw[layer], ref) >= 0.999, layer
    assert _corr(res.maps, fused) >= 0.999
    assert res.maps.shape == (2, 224, 224)
    assert float(res.maps.min()) >= 0 and float(res.maps.amax(dim=(1, 2)).min()) > 0.99


def test_parity_with_torchcam_vgg16_multilayer():
    torch.manual_seed(0)
    net = torchvision.models.vgg16(num_classes=2).eval()
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    layers = ("features.22", "features.29")
    res = compute_cams(net, x, layers=layers, target=0)
    cams, fused = _torchcam(net, x, "layercam", layers, 0, (64, 64))
    assert _corr(res.raw["features.29"], cams[1]) >= 0.999
    assert _corr(res.maps, fused) >= 0.999


def test_gradcam_of_a_conv_sees_the_conv_output_not_the_inplace_relu(alexnet, images):
    """torchcam hooks the conv output tensor, which the in-place ReLU then overwrites; here the
    conv's own (signed) output is kept. Without in-place ReLUs both agree."""
    import copy

    net = copy.deepcopy(alexnet)
    for m in net.modules():
        if isinstance(m, nn.ReLU):
            m.inplace = False
    res = compute_cams(net, images, method="gradcam", layers=("features.10",), target=1)
    cams, _ = _torchcam(net, images, "gradcam", ("features.10",), 1, (224, 224))
    assert _corr(res.raw["features.10"], cams[0]) >= 0.999
    same = compute_cams(alexnet, images, method="gradcam", layers=("features.10",), target=1)
    assert torch.allclose(same.raw["features.10"], res.raw["features.10"], atol=1e-5)


def test_frozen_backbone_under_no_grad_and_model_mode_restored():
    torch.manual_seed(0)
    net = torchvision.models.alexnet(num_classes=2)
    for p in net.parameters():
        p.requires_grad_(False)  # everything frozen; input does not require grad
    net.train()
    x = torch.rand(2, 3, 224, 224)
    with torch.no_grad():
        res = compute_cams(net, x, layers=("features.11",))
    assert float(res.raw["features.11"].sum()) > 0
    assert net.training and net.classifier[0].training  # mode restored
    with torch.no_grad():  # the caller's grad mode is restored
        compute_cams(net, x)
        assert not torch.is_grad_enabled()


def test_targets_positive_predicted_and_index(alexnet, images):
    pos = compute_cams(alexnet, images, target="positive")
    assert pos.targets.tolist() == [1, 1]
    pred = compute_cams(alexnet, images, target="predicted")
    assert pred.targets.tolist() == pred.scores.argmax(1).tolist()
    per = compute_cams(alexnet, images, target=[0, 1])
    assert per.targets.tolist() == [0, 1]
    zero = compute_cams(alexnet, images, target=0)
    assert torch.allclose(per.raw["features.11"][0], zero.raw["features.11"][0])
    assert torch.allclose(per.raw["features.11"][1], pos.raw["features.11"][1])


def test_batching_gives_the_same_maps(alexnet, images):
    x = torch.cat([images, images.flip(-1)])
    whole = compute_cams(alexnet, x)
    parts = compute_cams(alexnet, x, batch_size=3)
    assert torch.allclose(whole.maps, parts.maps, atol=1e-5)
    assert torch.allclose(whole.raw["features.11"], parts.raw["features.11"], atol=1e-5)


def test_fe_alexnet_maps_before_and_after_excitation():
    from facepsych.models import build_model

    net = build_model("fe-alexnet", "random", hidden=16, excitation=("conv5", "pool5"), seed=0)
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(3))
    res = compute_cams(net, x, layers=("features.11", "excite.conv5", "excite.pool5"))
    before, after = res.raw["features.11"], res.raw["excite.conv5"]
    assert before.shape == after.shape == (2, 13, 13)
    assert res.raw["excite.pool5"].shape == (2, 6, 6)
    # Channel gating g > 0 after the layer leaves LayerCAM almost unchanged: ReLU(G / g) * g A =
    # ReLU(G) A; only the gate's own dependence on A (through its pooling) separates the maps.
    assert not torch.equal(before, after)
    assert _corr(before, after) > 0.99
    assert float(res.maps.amax()) == pytest.approx(1.0, abs=1e-6)


# ---------------------------------------------------------------- errors
class _Branchy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())
        self.unused_branch = nn.Conv2d(4, 4, 1)
        self.never_run = nn.Conv2d(4, 4, 1)
        self.classifier = nn.Linear(4, 2)

    def forward(self, x):
        f = self.features(x)
        _ = self.unused_branch(f)  # computed, but the output never reaches the logits
        return self.classifier(f.mean((2, 3)))


def test_unknown_layer_lists_valid_ones(alexnet, images):
    with pytest.raises(FacepsychError) as err:
        compute_cams(alexnet, images, layers=("features.99",))
    msg = str(err.value)
    assert msg.startswith("unknown layer 'features.99'; valid layers: features, features.0,")
    assert "classifier.6" in msg and "\n" not in msg


def test_disconnected_layer():
    with pytest.raises(FacepsychError, match="does not depend on layer 'unused_branch': the graph"):
        compute_cams(_Branchy(), torch.rand(1, 3, 8, 8), layers=("unused_branch",))
    with pytest.raises(
        FacepsychError, match="layer 'never_run' was not run by the model's forward"
    ):
        compute_cams(_Branchy(), torch.rand(1, 3, 8, 8), layers=("never_run",))


def test_non_spatial_layer_and_bad_targets(alexnet, images):
    with pytest.raises(FacepsychError, match=r"layer 'classifier.1' outputs \(2, 4096\), not a"):
        compute_cams(alexnet, images, layers=("classifier.1",))
    with pytest.raises(
        FacepsychError, match=r"target class out of range: the model has classes 0..1"
    ):
        compute_cams(alexnet, images, target=5)
    with pytest.raises(FacepsychError, match="unknown target 'happy'"):
        compute_cams(alexnet, images, target="happy")
    with pytest.raises(FacepsychError, match=r"non-empty \(B, 3, H, W\) tensor, got \(0, 3"):
        compute_cams(alexnet, torch.zeros(0, 3, 8, 8))
    with pytest.raises(FacepsychError, match="unknown CAM method 'scorecam'"):
        compute_cams(alexnet, images, method="scorecam")


# ---------------------------------------------------------------- a model that can use one region
class _ToyNet(nn.Module):
    """Location-aware toy CNN: two convs (the CAM layer is ``features.3``) + a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1, stride=2),
            nn.ReLU(),
        )  # fmt: skip
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(8 * 16 * 16, 2))

    def forward(self, x):
        return self.classifier(self.features(x))


def _region_data(region: str, n: int, gen: torch.Generator):
    """32x32 images with a random +/- patch in every companion box (the three boxes have equal
    areas); only ``region``'s sign is the label, the other two are noise."""
    masks = {k: torch.from_numpy(v) for k, v in companion_masks((32, 32)).items()}
    x = 0.1 * torch.randn(n, 1, 32, 32, generator=gen)
    y = torch.randint(0, 2, (n,), generator=gen)
    for name, m in masks.items():
        sign = (y * 2 - 1) if name == region else torch.randint(0, 2, (n,), generator=gen) * 2 - 1
        x = x + sign.float()[:, None, None, None] * m.float()[None, None]
    return x, y


@pytest.mark.parametrize("region", ["eyes", "nose", "mouth"])
def test_toy_model_that_can_only_use_one_region_looks_there(region):
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    net = _ToyNet()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(30):
        x, y = _region_data(region, 32, gen)
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    x, y = _region_data(region, 64, gen)
    assert (net(x).argmax(1) == y).float().mean() > 0.95  # it learned the task
    res = compute_cams(net, x, layers=("features.3",), target="predicted")
    masks = companion_masks((32, 32))
    shares = [region_shares(m, masks) for m in res.maps]
    mean = {k: sum(s[k] for s in shares) / len(shares) for k in ("eyes", "nose", "mouth")}
    others = [v for k, v in mean.items() if k != region]
    assert mean[region] > 2 * max(others), mean


@pytest.mark.parametrize("method", ["gradcam", "layercam"])
def test_formula_against_manual_autograd(method):
    """Independent reference: A = features(x), G = dy_c/dA by autograd, then the formula."""
    torch.manual_seed(0)
    net = _ToyNet().eval()
    x = torch.randn(3, 1, 32, 32)
    acts = net.features(x).detach().requires_grad_(True)
    y = net.classifier(acts)[:, 1].sum()
    (grad,) = torch.autograd.grad(y, acts)
    weights = grad.mean((2, 3), keepdim=True) if method == "gradcam" else torch.relu(grad)
    expected = torch.relu((weights * acts).sum(1)).detach()
    res = compute_cams(net, x, method=method, layers=("features.3",), target=1)
    assert torch.allclose(res.raw["features.3"], expected, rtol=1e-5, atol=1e-9)
    up = F.interpolate(expected[:, None], (32, 32), mode="bilinear", align_corners=False)[:, 0]
    flat = up.flatten(1)
    lo, hi = flat.min(1).values[:, None, None], flat.max(1).values[:, None, None]
    assert torch.allclose(res.maps, (up - lo) / (hi - lo), atol=1e-5)
    assert torch.allclose(res.maps.amax((1, 2)), torch.ones(3))
