"""NetSpec: round trips, and build_model(spec) == build_model(arch, weights, **kw)."""

import pytest
import torch

from facepsych.errors import FacepsychError
from facepsych.models import NetSpec, build_model


def test_round_trip_through_dict_and_net_spec():
    spec = NetSpec("fe-alexnet", "random", hidden=8, excitation="conv5,fc6", seed=3)
    assert spec.excitation == ("conv5", "fc6")
    assert NetSpec.from_dict(spec.as_dict()) == spec
    net = build_model(spec)
    assert NetSpec.from_dict(net.spec()).excitation == ("conv5", "fc6")
    assert net.spec()["image_size"] == 224 and net.spec()["hidden"] == 8


def test_spec_and_keyword_forms_build_identical_weights():
    spec = NetSpec("alexnet", hidden=8, seed=5)
    a = build_model(spec)
    b = build_model("alexnet", "random", hidden=8, seed=5)
    c = spec.build()
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key]) and torch.equal(value, c.state_dict()[key])


def test_rebuild_from_a_nets_spec():
    net = build_model("vgg11", hidden=4, seed=1, standardize=True)
    again = build_model(NetSpec.from_dict(net.spec()))
    assert again.spec() == net.spec()


def test_bad_specs_are_one_line_errors():
    with pytest.raises(FacepsychError, match="unknown net spec key"):
        NetSpec.from_dict({"arch": "alexnet", "colour": "red"})
    with pytest.raises(FacepsychError, match="a net spec needs an arch"):
        NetSpec.from_dict({"weights": "random"})
    with pytest.raises(FacepsychError, match="unknown weight source 'nope'"):
        NetSpec("alexnet", "nope")


def test_pretrained_names_are_resolved_before_building():
    with pytest.raises(FacepsychError, match="name a study pre-training"):
        build_model(NetSpec("alexnet", "pretrained:face"))
