"""Preprocessing: exact normalised values for known colours, shapes, named choices, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from facepsych.errors import FacepsychError
from facepsych.models import Preprocessing, preprocessing_for


def _solid(rgb, size=(9, 7)) -> Image.Image:
    return Image.new("RGB", size, tuple(rgb))


def test_imagenet_values_of_a_solid_colour():
    prep = preprocessing_for("imagenet", image_size=5)
    out = prep(_solid((255, 0, 128)))
    assert out.shape == (3, 5, 5) and out.dtype == torch.float32
    expected = [(1.0 - 0.485) / 0.229, (0.0 - 0.456) / 0.224, (128 / 255 - 0.406) / 0.225]
    for c in range(3):
        assert torch.allclose(out[c], torch.full((5, 5), expected[c]), atol=1e-5)


def test_vggface_subtracts_the_mean_in_0_255():
    prep = preprocessing_for("vggface", image_size=4)
    out = prep(_solid((200, 100, 50)))
    expected = [200 - 129.186, 100 - 104.762, 50 - 93.594]
    for c in range(3):
        assert torch.allclose(out[c], torch.full((4, 4), expected[c]), atol=1e-4)
    assert prep.scale == 255.0 and prep.std == (1.0, 1.0, 1.0)


def test_half_maps_0_255_to_minus_one_one():
    prep = preprocessing_for("half", image_size=3)
    assert torch.allclose(prep(_solid((0, 0, 0))), torch.full((3, 3, 3), -1.0))
    assert torch.allclose(prep(_solid((255, 255, 255))), torch.full((3, 3, 3), 1.0))


def test_resize_grey_to_rgb_and_batch():
    prep = preprocessing_for("imagenet", image_size=16)
    grey = Image.new("L", (40, 30), 77)
    batch = prep.batch([grey, _solid((1, 2, 3), (16, 16))])
    assert batch.shape == (2, 3, 16, 16)
    assert prep.batch([]).shape == (0, 3, 16, 16)


@settings(max_examples=25, deadline=None)
@given(
    rgb=st.tuples(*[st.integers(0, 255)] * 3),
    name=st.sampled_from(["imagenet", "vggface", "half", "dlib"]),
)
def test_invert_round_trips_to_rgb(rgb, name):
    prep = preprocessing_for(name, image_size=2)
    back = prep.invert(prep(_solid(rgb)))
    assert np.allclose(back[:, 0, 0].numpy(), np.asarray(rgb) / 255.0, atol=1e-5)


def test_as_dict_round_trip():
    prep = preprocessing_for("vggface", image_size=112)
    assert Preprocessing.from_dict(prep.as_dict()) == prep
    assert prep.as_dict()["mean"] == [129.186, 104.762, 93.594]


def test_unknown_name_is_one_clear_line():
    with pytest.raises(FacepsychError) as err:
        preprocessing_for("caffe")
    assert str(err.value) == (
        "unknown preprocessing 'caffe'; choose one of: imagenet, vggface, half, dlib, prewhiten"
    )


def test_real_photos_colour_and_greyscale(london_faces, facial_expressions):
    """A 675×675 colour face and a greyscale expression photo become (3, S, S) tensors whose
    inversion equals the resized RGB image (to 8-bit rounding)."""
    face = Image.open(sorted((london_faces / "smiling").glob("*.jpg"))[0])
    grey = Image.open(sorted((facial_expressions / "images").glob("*.jpg"))[0])
    for image in (face, grey):
        for name in ("imagenet", "vggface", "half"):
            prep = preprocessing_for(name, image_size=48)
            tensor = prep(image)
            assert tensor.shape == (3, 48, 48) and torch.isfinite(tensor).all()
            resized = np.asarray(image.convert("RGB").resize((48, 48), Image.BILINEAR)) / 255.0
            back = prep.invert(tensor).permute(1, 2, 0).numpy()
            np.testing.assert_allclose(back, resized, atol=1e-5)


def test_dlib_subtracts_its_mean_and_divides_by_256():
    out = preprocessing_for("dlib", image_size=3)(_solid((200, 100, 50)))
    expected = [(200 - 122.782) / 256, (100 - 117.001) / 256, (50 - 104.298) / 256]
    for c in range(3):
        assert torch.allclose(out[c], torch.full((3, 3), expected[c]), atol=1e-6)


def test_prewhiten_is_facenets_per_image_standardisation():
    """Against facenet's own formula: (x - mean) / max(std, 1/sqrt(n)) on the 0-255 values."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(6, 6, 3), dtype=np.uint8)
    prep = preprocessing_for("prewhiten", image_size=6)
    out = prep(Image.fromarray(pixels)).numpy()
    x = pixels.astype(np.float64)
    expected = (x - x.mean()) / max(x.std(), 1.0 / np.sqrt(x.size))
    assert np.allclose(out, expected.transpose(2, 0, 1), atol=1e-5)
    flat = prep(_solid((90, 90, 90), (6, 6)))  # std 0: the 1/sqrt(n) floor keeps it finite
    assert torch.equal(flat, torch.zeros(3, 6, 6))
    back = prep.invert(prep(Image.fromarray(pixels)))  # display: min-max to [0, 1]
    assert float(back.min()) == 0.0 and float(back.max()) == 1.0
    assert Preprocessing.from_dict(prep.as_dict()) == prep and prep.per_image


def test_from_dict_of_a_dict_without_per_image():
    data = preprocessing_for("half", image_size=8).as_dict()
    del data["per_image"]
    assert Preprocessing.from_dict(data) == preprocessing_for("half", image_size=8)
