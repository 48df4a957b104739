"""Squeeze-and-excitation block: formula against an independent numpy computation, shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from facepsych.models import ExcitationBlock


def _numpy_se(x: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    s = x.mean(axis=(2, 3)) if x.ndim == 4 else x
    g = 1.0 / (1.0 + np.exp(-(np.maximum(s @ w1.T, 0.0) @ w2.T)))
    return x * (g[:, :, None, None] if x.ndim == 4 else g)


@pytest.mark.parametrize("shape", [(3, 32, 5, 4), (3, 32)])
def test_matches_the_se_formula(shape):
    torch.manual_seed(0)
    block = ExcitationBlock(32, reduction=4)
    x = torch.randn(*shape)
    expected = _numpy_se(
        x.numpy().astype(np.float64),
        block.fc1.weight.detach().numpy().astype(np.float64),
        block.fc2.weight.detach().numpy().astype(np.float64),
    )
    out = block(x)
    assert out.shape == x.shape
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("channels", "r", "width"), [(256, 16, 16), (64, 32, 2), (4, 16, 1)])
def test_bottleneck_width_and_no_biases(channels, r, width):
    block = ExcitationBlock(channels, r)
    assert block.fc1.weight.shape == (width, channels) and block.fc1.bias is None
    assert block.fc2.weight.shape == (channels, width) and block.fc2.bias is None


def test_gate_is_in_unit_interval_and_shape_checked():
    block = ExcitationBlock(8, 2)
    g = block.gate(torch.randn(5, 8, 3, 3))
    assert g.shape == (5, 8) and bool(((g > 0) & (g < 1)).all())
    with pytest.raises(ValueError, match=r"expects \(B, 8\[, H, W\]\), got \(5, 7, 3, 3\)"):
        block(torch.randn(5, 7, 3, 3))
