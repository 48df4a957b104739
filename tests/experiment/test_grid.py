"""Grid expansion: cell counts, stable ids, net specs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facepsych.errors import FacepsychError
from facepsych.experiment import config_from_dict
from facepsych.experiment.grid import Cell, expand_grid


def _cfg(models):
    return config_from_dict(
        {
            "data": {"format": "synthetic"},
            "models": models,
            "stimuli": {"continua": [{"synthetic": {"identities": 1}}]},
        }
    )


@settings(max_examples=30, deadline=None)
@given(
    n_weights=st.integers(1, 3),
    n_variants=st.integers(1, 3),
    n_red=st.integers(1, 3),
    n_seeds=st.integers(1, 3),
)
def test_cell_count_is_product(n_weights, n_variants, n_red, n_seeds):
    positions = ["pool5", "fc6", "conv1"][:n_variants]
    cfg = _cfg(
        [
            {
                "arch": "fe-alexnet",
                "weights": {f"w{i}": "random" for i in range(n_weights)},
                "excitation": [[p] for p in positions],
                "reduction": [2, 4, 8][:n_red],
                "seeds": list(range(n_seeds)),
            },
            {"arch": "alexnet", "weights": "random", "reduction": [2, 4], "seeds": [0, 1]},
        ]
    )
    cells = expand_grid(cfg)
    # plain models do not multiply by reduction
    assert len(cells) == n_weights * n_variants * n_red * n_seeds + 2
    assert len({c.cell_id for c in cells}) == len(cells)
    assert [c.index for c in cells] == list(range(len(cells)))


def test_ids_specs_and_roundtrip():
    cfg = _cfg(
        [
            {"arch": "alexnet", "weights": {"object": "random"}, "seeds": [3]},
            {"arch": "fe-alexnet", "weights": {"object": "random"}, "hidden": 64},
            {"arch": "fe-alexnet", "name": "fe-none", "excitation": "none"},
        ]
    )
    a, fe, none = expand_grid(cfg)
    assert a.cell_id == "alexnet__object__plain__s3"
    assert fe.cell_id == "fe-alexnet__object__pool5-r16__s0"
    assert none.cell_id == "fe-none__random__plain__s0"
    assert fe.net_spec() == {
        "arch": "fe-alexnet",
        "weights": "random",
        "num_classes": 2,
        "hidden": 64,
        "seed": 0,
        "excitation": ["pool5"],
        "reduction": 16,
    }
    assert "excitation" not in a.net_spec()
    assert none.net_spec()["excitation"] == []
    assert Cell.from_dict(fe.as_dict()) == fe
    assert fe.backbone_key == a.backbone_key  # fe-alexnet shares alexnet's frozen features


def test_training_overrides_per_entry():
    cfg = _cfg([{"arch": "alexnet", "training": {"epochs": 2}}, {"arch": "vgg11", "name": "v"}])
    a, v = expand_grid(cfg)
    assert a.training["epochs"] == 2 and v.training["epochs"] == 40


def test_duplicate_cells_are_refused():
    cfg = _cfg([{"arch": "alexnet"}, {"arch": "alexnet"}])
    msg = r"models\[1\]: cell alexnet__random__plain__s0 is already defined by models\[0\]"
    with pytest.raises(FacepsychError, match=msg):
        expand_grid(cfg)
