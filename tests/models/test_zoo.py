"""Zoo tables: parameter counts against independent sums, layer shapes, formatting, summaries."""

from __future__ import annotations

import pytest
import torch
import torchvision

from facepsych.models import build_model
from facepsych.models.zoo import format_table, layer_table, model_table, weights_summary


def test_model_table_counts_match_real_models():
    rows = {r["arch"]: r for r in model_table()}
    assert list(rows) == ["alexnet", "vgg11", "vgg13", "vgg16", "fe-alexnet"]
    alexnet_features = sum(p.numel() for p in torchvision.models.alexnet().features.parameters())
    head = (9216 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 2 + 2)
    assert (rows["alexnet"]["frozen"], rows["alexnet"]["trainable"]) == (alexnet_features, head)
    assert rows["vgg16"]["frozen"] == 14_714_688  # VGG16's 13 convs
    assert rows["fe-alexnet"]["trainable"] == head + 2 * 256 * 16
    assert rows["vgg16"]["weights"].endswith("vggface") and rows["alexnet"]["input_size"] == 224


def test_layer_table_shapes_at_224():
    rows = {r["path"]: r for r in layer_table("alexnet")}
    assert rows["features.11"]["output_shape"] == "(1, 256, 13, 13)"
    assert rows["avgpool"]["output_shape"] == "(1, 256, 6, 6)"
    assert rows["classifier.6"]["output_shape"] == "(1, 2)"
    net = build_model("alexnet", hidden=4)
    assert set(rows) == {name for name, _ in net.named_modules() if name} - {"excite"}
    vgg = {r["path"]: r for r in layer_table("vgg16")}
    assert vgg["features.29"]["output_shape"] == "(1, 512, 14, 14)"
    assert vgg["features.30"]["output_shape"] == "(1, 512, 7, 7)"


def test_layer_table_places_excitation_where_it_acts():
    paths = [r["path"] for r in layer_table("fe-alexnet", excitation=["conv1", "pool5", "fc6"])]
    assert paths.index("features.2") < paths.index("excite.conv1") < paths.index("features.3")
    assert paths.index("avgpool") < paths.index("excite.pool5") < paths.index("classifier.0")
    assert paths.index("classifier.2") < paths.index("excite.fc6") < paths.index("classifier.3")
    rows = {r["path"]: r for r in layer_table("fe-alexnet")}
    assert rows["excite.pool5"]["output_shape"] == "(1, 256, 6, 6)"
    assert rows["excite.pool5"]["params"] == 2 * 256 * 16 and rows["excite.pool5"]["trainable"]
    assert rows["features.0"]["trainable"] is False


def test_tables_use_no_real_memory():
    before = torch.empty(0).device
    layer_table("vgg16")
    assert torch.empty(0).device == before


def test_format_table_aligns_and_formats():
    text = format_table(
        [{"name": "a", "n": 1234567, "ok": True}, {"name": "bbb", "n": 5, "ok": None}]
    )
    assert text.splitlines() == [
        "name  n          ok",
        "a     1,234,567  yes",
        "bbb           5  -",
    ]


def test_weights_summary_lists_source_and_preprocessing():
    text = weights_summary(build_model("alexnet", hidden=4, preprocessing="half"))
    assert "source         random" in text
    assert "preprocessing  half: 224x224 RGB" in text
    assert "mean (0.5, 0.5, 0.5)" in text


def test_plain_archs_list_no_excitation_container():
    paths = [r["path"] for r in layer_table("mobilenet_v3_small")]
    assert "excite" not in paths and paths[0] == "features" and paths[-1] == "classifier.3"


def test_layer_table_too_small_input_is_one_line():
    """Regression (QA): `facepsych models --layers vgg16 --image-size 8` printed a traceback."""
    from facepsych.errors import FacepsychError

    with pytest.raises(FacepsychError, match=r"vgg16 cannot run at 8x8 px .*larger --image-size"):
        layer_table("vgg16", image_size=8)
