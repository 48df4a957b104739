"""build_model / FacepsychNet: shapes, torchvision equivalence, split, seeds, specs, freezing."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision

from facepsych.errors import FacepsychError
from facepsych.models import (
    FacepsychNet,
    build_model,
    count_parameters,
    freeze_backbone,
    trainable_parameters,
)


@pytest.mark.parametrize(
    ("arch", "feature_dim"),
    [("alexnet", 9216), ("vgg11", 25088), ("vgg13", 25088), ("vgg16", 25088)],
)
def test_paper_archs_forward_and_split(arch, feature_dim):
    net = build_model(arch, hidden=16, seed=0).eval()
    assert isinstance(net, FacepsychNet) and net.arch == arch
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        z = net.backbone(x)
        logits = net(x)
    assert z.shape == (2, feature_dim)
    assert logits.shape == (2, 2)
    assert torch.equal(logits, net.head(z))
    assert len(net.excite) == 0 and net.cacheable


def test_torchvision_module_paths_are_kept():
    net = build_model("alexnet", seed=0)
    names = dict(net.named_modules())
    assert isinstance(names["features.11"], torch.nn.ReLU)
    assert isinstance(names["features.10"], torch.nn.Conv2d)
    assert names["classifier.6"].out_features == 2
    assert names["classifier.1"].out_features == 4096  # paper shape: hidden = 4096
    keys = set(net.state_dict())
    assert keys == set(torchvision.models.alexnet().state_dict())


@pytest.mark.parametrize("arch", ["alexnet", "mobilenet_v3_small"])
def test_equals_torchvision_forward_with_the_same_weights(arch):
    net = build_model(arch, num_classes=1000, seed=1, freeze=False).eval()
    reference = torchvision.models.get_model(arch, weights=None).eval()
    reference.load_state_dict(net.state_dict(), strict=True)
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        torch.testing.assert_close(net(x), reference(x))


def test_hidden_width_resizes_every_hidden_layer():
    net = build_model("vgg11", hidden=24, num_classes=3)
    linears = [m for m in net.classifier if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(25088, 24), (24, 24), (24, 3)]


def test_seed_makes_init_deterministic_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    a = build_model("fe-alexnet", hidden=8, seed=7)
    after = torch.rand(3)
    b = build_model("fe-alexnet", hidden=8, seed=7)
    c = build_model("fe-alexnet", hidden=8, seed=8)
    assert torch.equal(before, after)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not torch.equal(sa["excite.pool5.fc1.weight"], sc["excite.pool5.fc1.weight"])


def test_spec_rebuilds_the_same_architecture():
    import json

    net = build_model("fe-alexnet", hidden=12, excitation=["fc6", "conv2"], reduction=4, seed=3)
    spec = json.loads(json.dumps(net.spec()))
    assert spec["excitation"] == ["conv2", "fc6"]
    assert {"arch", "weights", "hidden", "excitation", "reduction", "num_classes"} <= set(spec)
    again = build_model(**spec)
    assert {k: v.shape for k, v in again.state_dict().items()} == {
        k: v.shape for k, v in net.state_dict().items()
    }
    assert all(torch.equal(v, again.state_dict()[k]) for k, v in net.state_dict().items())


def test_frozen_weights_do_not_change_after_an_optimiser_step():
    net = build_model("fe-alexnet", hidden=16, excitation=["conv3", "pool5"], seed=0)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    opt = torch.optim.SGD(trainable_parameters(net), lr=0.5)
    net.train()
    logits = net(torch.randn(4, 3, 64, 64))
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1] * 2))
    loss.backward()
    opt.step()
    after = net.state_dict()
    for key in before:
        changed = not torch.equal(before[key], after[key])
        if key.startswith("features."):
            assert not changed, key
        elif key.endswith("weight"):
            assert changed, key
    assert all(not p.requires_grad for p in net.features.parameters())
    assert {id(p) for p in trainable_parameters(net)} == {
        id(p) for p in list(net.excite.parameters()) + list(net.classifier.parameters())
    }


def test_frozen_batchnorm_stays_in_eval_mode():
    net = build_model("mobilenet_v2", seed=0)
    bn = net.features[1].conv[0][1]
    assert isinstance(bn, torch.nn.BatchNorm2d)
    stats = bn.running_mean.clone()
    net.train()
    assert not bn.training and net.classifier.training
    net(torch.randn(2, 3, 64, 64))
    assert torch.equal(stats, bn.running_mean)


def test_unfrozen_model_trains_everything_and_is_not_cacheable():
    net = build_model("alexnet", hidden=8, freeze=False)
    trainable, frozen = count_parameters(net)
    assert frozen == 0 and trainable == sum(p.numel() for p in net.parameters())
    assert not net.cacheable
    freeze_backbone(net)
    assert net.cacheable and net.spec()["freeze"] is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"arch": "resnet18"},
            "architecture 'resnet18' is not supported: it needs `features` and `classifier` "
            "modules",
        ),
        (
            {"arch": "nonet"},
            "unknown architecture 'nonet'; use one of alexnet, vgg11, vgg13, vgg16, fe-alexnet, "
            "mobilenet_v2, dlib-resnet, inception-resnet-v1, efficientnet-lite0 or a torchvision "
            "classification model with `features` and `classifier` (e.g. vgg19, efficientnet_b0)",
        ),
        (
            {"arch": "alexnet", "excitation": ["pool5"]},
            "excitation blocks are only available for fe-alexnet, not 'alexnet'",
        ),
        (
            {"arch": "fe-alexnet", "excitation": ["pool6"]},
            "unknown excitation position 'pool6'; choose among conv1, conv2, conv3, conv4, conv5, "
            "pool5, fc6",
        ),
        (
            {"arch": "efficientnet_b0", "hidden": 32},
            "this architecture's classifier has no hidden layer to resize",
        ),
        ({"arch": "alexnet", "num_classes": 0}, "num_classes must be a positive integer, got 0"),
        (
            {"arch": "alexnet", "weights": "imagenet1k"},
            "unknown weight source 'imagenet1k'; use random, imagenet, imagenet:PATH, file:PATH, "
            "vggface:PATH, pretrained:NAME, dlib, casia-webface",
        ),
    ],
)
def test_user_errors_are_one_line(kwargs, message):
    with pytest.raises(FacepsychError) as err:
        build_model(**kwargs)
    assert str(err.value) == message


def test_preprocessing_follows_the_source_unless_given():
    assert build_model("alexnet", hidden=4).preprocessing.name == "imagenet"
    net = build_model("alexnet", hidden=4, preprocessing="half", image_size=96)
    assert (net.preprocessing.name, net.preprocessing.image_size) == ("half", 96)
    assert net.spec()["preprocessing"] == "half"


@pytest.mark.parametrize("arch", ["alexnet", "vgg11"])
def test_same_seed_gives_the_same_backbone_whatever_the_head_width(arch):
    a = build_model(arch, hidden=16, seed=3)
    b = build_model(arch, hidden=32, seed=3)
    sa, sb = a.features.state_dict(), b.features.state_dict()
    assert sa.keys() == sb.keys()
    for name in sa:
        assert torch.equal(sa[name], sb[name]), name
    assert a.classifier[-1].out_features == b.classifier[-1].out_features == 2


# ---------------------------------------------------------------------- feature standardiser
def test_standardizer_is_identity_until_set_and_matches_a_numpy_reference():
    from facepsych.models import FeatureStandardizer

    plain = build_model("fe-alexnet", hidden=8, seed=3).eval()
    net = build_model("fe-alexnet", hidden=8, seed=3, standardize=True).eval()
    assert isinstance(net.standardize, FeatureStandardizer) and plain.standardize is None
    assert net.spec()["standardize"] is True and plain.spec()["standardize"] is False
    z = torch.rand(5, 9216) * 3
    with torch.no_grad():
        assert torch.equal(net.head(z), plain.head(z))  # identity before statistics are set
    rng = np.random.default_rng(0)
    feats = rng.gamma(2.0, 2.0, size=(40, 9216)).astype(np.float32)
    feats[:, :10] = 0.0  # dead units: spread 0 -> floored, not a division by zero
    net.standardize.set_statistics(torch.from_numpy(feats))
    sd = feats.std(0)
    floor = 0.01 * np.median(sd[sd > 0])
    want = (z.numpy() - feats.mean(0)) / np.maximum(sd, floor)
    with torch.no_grad():
        np.testing.assert_allclose(net.standardize(z).numpy(), want, rtol=1e-4, atol=1e-4)
        # the head sees exactly the standardised features (pool5 excitation comes after)
        torch.testing.assert_close(net.head(z), plain.head(torch.from_numpy(want)))
    assert {"standardize.mean", "standardize.std"} <= set(net.state_dict())
    assert "standardize.mean" not in plain.state_dict()
    assert not any(p.requires_grad for p in net.standardize.parameters())


def test_standardizer_rejects_wrong_shapes():
    net = build_model("alexnet", hidden=8, seed=0, standardize=True)
    with pytest.raises(FacepsychError, match="at least 2 rows of 9216 features"):
        net.standardize.set_statistics(torch.zeros(4, 100))
    with pytest.raises(FacepsychError, match="at least 2 rows"):
        net.standardize.set_statistics(torch.zeros(1, 9216))


def test_streamed_statistics_equal_the_full_tensor_computation():
    from facepsych.models import FeatureStandardizer

    rng = np.random.default_rng(1)
    # a large offset and uneven, partly empty batches: the pairwise update must not drift
    feats = (500.0 + rng.gamma(2.0, 2.0, size=(1003, 64))).astype(np.float32)
    feats[:, :3] = 0.0
    full = torch.from_numpy(feats)
    ref_mean = full.mean(0)
    ref_std = full.std(0, unbiased=False)
    floor = float(ref_std[ref_std > 0].median()) * 0.01
    ref_std = ref_std.clamp_min(floor)

    cuts = [0, 1, 1, 250, 251, 700, 1003]  # batches of 1, 0, 249, 1, 449, 303 rows
    streamed = FeatureStandardizer(64)
    streamed.set_statistics_from(full[a:b] for a, b in zip(cuts, cuts[1:], strict=False))
    whole = FeatureStandardizer(64)
    whole.set_statistics(full)
    for got in (streamed, whole):
        torch.testing.assert_close(got.mean, ref_mean, rtol=1e-6, atol=1e-4)
        torch.testing.assert_close(got.std, ref_std, rtol=1e-4, atol=1e-6)
    assert torch.equal(streamed.std[:3], torch.full((3,), floor))


def test_streamed_statistics_reject_wrong_batches():
    from facepsych.models import FeatureStandardizer

    st = FeatureStandardizer(8)
    with pytest.raises(FacepsychError, match=r"^feature statistics need rows of 8 features, "
                       r"got a batch of shape \(4, 5\)$"):  # fmt: skip
        st.set_statistics_from([torch.zeros(4, 8), torch.zeros(4, 5)])
    with pytest.raises(FacepsychError, match=r"^feature statistics need at least 2 rows of 8 "
                       r"features, got 1$"):  # fmt: skip
        st.set_statistics_from(iter([torch.zeros(1, 8), torch.zeros(0, 8)]))
