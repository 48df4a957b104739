"""The one image decoder: 16-bit scaled (not clipped), a pixel cap read from the header."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facepsych.data import load_dataset
from facepsych.data.dataset import ImageRef, open_image
from facepsych.data.images import DEFAULT_MAX_PIXELS, read_rgb, to_rgb
from facepsych.errors import FacepsychError
from facepsych.stimuli.morph import load_rgb

RAMP16 = (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)  # 0 … 65520


def _expected8(a16: np.ndarray) -> np.ndarray:
    return np.round(a16.astype(float) * 255 / 65535).astype(np.uint8)


def test_16_bit_greyscale_png_is_scaled_not_clipped(tmp_path):
    """Regression: I;16 PNGs became all-white in training and morphing."""
    path = tmp_path / "g16.png"
    Image.fromarray(RAMP16).save(path)
    assert Image.open(path).mode == "I;16"
    rgb = np.asarray(read_rgb(path))
    assert rgb.shape == (64, 64, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb[..., 0], _expected8(RAMP16))
    assert (rgb[..., 0] == rgb[..., 2]).all() and rgb.min() == 0 and (rgb == 255).mean() < 0.01
    # every reader goes through it: morphing and dataset images
    np.testing.assert_array_equal(load_rgb(path), rgb)
    np.testing.assert_array_equal(np.asarray(open_image(ImageRef(path=path))), rgb)


def test_32_bit_integer_and_float_greyscale(tmp_path):
    path = tmp_path / "g32.tif"
    Image.fromarray(RAMP16.astype(np.int32)).save(path)
    assert Image.open(path).mode == "I"
    np.testing.assert_array_equal(np.asarray(read_rgb(path))[..., 0], _expected8(RAMP16))
    unit = Image.fromarray(np.linspace(0, 1, 16, dtype=np.float32).reshape(4, 4), "F")
    np.testing.assert_array_equal(
        np.asarray(to_rgb(unit))[..., 1], np.round(np.linspace(0, 255, 16)).reshape(4, 4)
    )
    in_memory = Image.fromarray(RAMP16)  # a PIL image handed in, not a file
    np.testing.assert_array_equal(np.asarray(load_rgb(in_memory))[..., 0], _expected8(RAMP16))


def test_16_bit_training_images_keep_their_contrast(tmp_path):
    root = tmp_path / "faces"
    for label, value in (("positive", 10_000), ("negative", 50_000)):
        (root / label).mkdir(parents=True)
        for k in range(3):
            Image.fromarray(np.full((8, 8), value + k, np.uint16)).save(root / label / f"{k}.png")
    ds = load_dataset(root, "folder", val_fraction=0.0)
    values = {s.label: np.asarray(ds.load_image(s))[0, 0, 0] for s in ds.samples}
    assert values == {1: round(10_002 * 255 / 65535), 0: round(50_002 * 255 / 65535)}


def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims ``width × height`` (its pixel data is a stub)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


def test_a_huge_image_is_refused_from_its_header(tmp_path):
    """Regression: a 10000×10000 PNG was accepted, using 1.5 GB."""
    path = _png_header_only(tmp_path / "huge.png", 10_000, 10_000)
    with pytest.raises(FacepsychError) as info:
        read_rgb(path)  # the stub pixel data would fail to decode: the cap comes first
    assert str(info.value) == (
        f"{path}: 10000x10000 image has 100.0 MP, more than the 40 MP cap (resize it, or raise "
        "the cap with FACEPSYCH_MAX_PIXELS)"
    )
    assert DEFAULT_MAX_PIXELS == 40_000_000
    with pytest.raises(FacepsychError, match="more than the 40 MP cap"):
        load_rgb(path)


def test_the_pixel_cap_is_configurable(tmp_path, monkeypatch):
    path = tmp_path / "small.png"
    Image.fromarray(np.zeros((40, 50), np.uint8)).save(path)
    monkeypatch.setenv("FACEPSYCH_MAX_PIXELS", "1999")
    with pytest.raises(FacepsychError, match=r"50x40 image has 0.0 MP, more than the 0.001999 MP"):
        read_rgb(path)
    monkeypatch.setenv("FACEPSYCH_MAX_PIXELS", "2000")
    assert read_rgb(path).size == (50, 40)
    monkeypatch.setenv("FACEPSYCH_MAX_PIXELS", "lots")
    with pytest.raises(FacepsychError, match=r"FACEPSYCH_MAX_PIXELS='lots': give a positive"):
        read_rgb(path)
