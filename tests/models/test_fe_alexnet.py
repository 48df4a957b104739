"""FE-AlexNet: shapes for every position and r, loading AlexNet files, gate-of-ones equivalence."""

from __future__ import annotations

import pytest
import torch

from facepsych.models import ALEXNET_POSITIONS, REDUCTIONS, build_model
from tests.models.conftest import SMALL_HIDDEN

CHANNELS = {"conv1": 64, "conv2": 192, "conv3": 384, "conv4": 256, "conv5": 256, "pool5": 256,
            "fc6": SMALL_HIDDEN}  # fmt: skip


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    return torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))


def test_default_is_one_pool5_block_with_r16():
    net = build_model("fe-alexnet", seed=0)
    assert list(net.excite) == ["pool5"]
    block = net.excite["pool5"]
    assert (block.channels, block.reduction, block.fc1.out_features) == (256, 16, 16)
    assert net.cacheable and net.spec()["excitation"] == ["pool5"]


@pytest.mark.parametrize("position", ALEXNET_POSITIONS)
def test_output_shapes_for_every_position_and_r(position, images):
    net = build_model("fe-alexnet", hidden=SMALL_HIDDEN, excitation=[position], seed=0).eval()
    for r in REDUCTIONS:
        net2 = build_model(
            "fe-alexnet", hidden=SMALL_HIDDEN, excitation=[position], reduction=r, seed=0
        ).eval()
        block = net2.excite[position]
        assert block.fc1.weight.shape == (max(1, CHANNELS[position] // r), CHANNELS[position])
        with torch.no_grad():
            z = net2.backbone(images)
            assert z.shape == (2, 9216)
            assert net2(images).shape == (2, 2)
            torch.testing.assert_close(net2(images), net2.head(z))
    assert net.cacheable is (position in ("pool5", "fc6"))


def test_all_positions_at_once(images):
    net = build_model("fe-alexnet", hidden=SMALL_HIDDEN, excitation=list(ALEXNET_POSITIONS))
    assert list(net.excite) == list(ALEXNET_POSITIONS)
    assert net(images).shape == (2, 2) and not net.cacheable


def test_loading_an_alexnet_file_leaves_the_backbone_equal_to_it(alexnet_file, alexnet_state):
    net = build_model(
        "fe-alexnet", f"file:{alexnet_file}", hidden=SMALL_HIDDEN, excitation=["conv2", "fc6"]
    )
    for key, value in net.features.state_dict().items():
        assert torch.equal(value, alexnet_state[f"features.{key}"]), key
    assert torch.equal(net.classifier[4].weight, alexnet_state["classifier.4.weight"])
    assert "features.11" in dict(net.named_modules())


def test_gate_of_ones_equals_plain_alexnet(images):
    fe = build_model("fe-alexnet", hidden=SMALL_HIDDEN, excitation=list(ALEXNET_POSITIONS), seed=1)
    plain = build_model("alexnet", hidden=SMALL_HIDDEN, seed=2)
    plain.load_state_dict({k: v for k, v in fe.state_dict().items() if not k.startswith("excite.")})
    fe.eval()
    plain.eval()
    with torch.no_grad():
        expected = plain(images)
        assert not torch.allclose(fe(images), expected)  # the real gates do change the output
        for block in fe.excite.values():
            block.gate = lambda x: torch.ones(x.shape[0], x.shape[1])
        torch.testing.assert_close(fe(images), expected, rtol=0, atol=0)


def test_excitation_blocks_train_while_features_stay_frozen(images):
    net = build_model("fe-alexnet", hidden=SMALL_HIDDEN, excitation=["conv4"], seed=0)
    assert all(p.requires_grad for p in net.excite.parameters())
    net(images).sum().backward()
    assert net.excite["conv4"].fc1.weight.grad is not None
    assert all(p.grad is None for p in net.features.parameters())


def test_positions_as_a_comma_string_and_errors():
    net = build_model("fe-alexnet", hidden=8, excitation="fc6, conv3")
    assert list(net.excite) == ["conv3", "fc6"] and net.spec()["excitation"] == ["conv3", "fc6"]
    assert build_model("fe-alexnet", hidden=8, excitation=[]).spec()["excitation"] == []
    from facepsych.errors import FacepsychError

    with pytest.raises(FacepsychError, match=r"^excitation positions repeat: fc6, fc6$"):
        build_model("fe-alexnet", hidden=8, excitation=["fc6", "fc6"])
