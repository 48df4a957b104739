"""dlib's serialisation: packed integers, tensors, records, and one-line failures."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from facepsych.errors import FacepsychError
from facepsych.models.archs.dlib_format import parse_dlib_net, read_packed_int, read_tensor


def _int(value: int) -> bytes:
    """dlib's packed integer, written independently: header (count | sign bit 7), LE bytes."""
    magnitude = abs(value)
    body = magnitude.to_bytes(max(1, (magnitude.bit_length() + 7) // 8), "little")
    return bytes([len(body) | (0x80 if value < 0 else 0)]) + body


def _tensor(values: np.ndarray) -> bytes:
    dims = list(values.shape) + [1] * (4 - values.ndim)
    head = _int(2) + b"".join(_int(d) for d in dims)
    return head + struct.pack(f"<{values.size}f", *values.ravel().tolist())


def _string(text: str) -> bytes:
    return _int(len(text)) + text.encode()


def test_packed_integers():
    data = _int(0) + _int(300) + _int(-7) + _int(2**40)
    pos, values = 0, []
    for _ in range(4):
        value, pos = read_packed_int(data, pos)
        values.append(value)
    assert values == [0, 300, -7, 2**40] and pos == len(data)


def test_tensor_values_and_shape():
    values = np.arange(24, dtype=np.float32).reshape(2, 3, 4, 1) - 5.5
    out, pos = read_tensor(_tensor(values), 0)
    assert out.shape == (2, 3, 4, 1) and np.array_equal(out, values) and pos == len(_tensor(values))


def _toy_net() -> bytes:
    """A con (2 filters, 1 input channel, 3×3, stride 2, pad 0), its affine, an fc 2 -> 3."""
    filters = np.arange(18, dtype=np.float32)
    biases = np.array([0.5, -0.5], dtype=np.float32)
    con = _string("con_4") + _tensor(np.concatenate([filters, biases])[:, None, None, None])
    con += b"".join(_int(v) for v in (2, 3, 3, 2, 2, 0, 0))
    affine = _string("affine_") + _tensor(np.array([1, 2, 3, 4], np.float32)[:, None, None, None])
    fc = _string("fc_2") + _int(3) + _int(2) + _tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    return _string("loss_metric_2") + con + _int(1) + affine + _int(0) + fc


def test_records_in_order_with_their_layouts():
    layers = parse_dlib_net(_toy_net())
    assert [layer.kind for layer in layers] == ["con", "affine", "fc"]
    con, affine, fc = layers
    assert con.weight.shape == (2, 1, 3, 3) and con.weight[1, 0, 0, 0] == 9.0
    assert con.bias.tolist() == [0.5, -0.5] and con.stride == (2, 2) and con.padding == (0, 0)
    assert affine.weight.tolist() == [1, 2] and affine.bias.tolist() == [3, 4]
    # the file holds inputs × outputs; the layer is (outputs, inputs) like torch's Linear
    assert fc.weight.shape == (3, 2) and fc.weight[:, 1].tolist() == [3.0, 4.0, 5.0]


def test_truncated_and_foreign_bytes_are_one_line():
    data = _toy_net()
    with pytest.raises(FacepsychError) as err:
        parse_dlib_net(data[: len(data) - 5], "toy.dat")
    assert str(err.value) == "cannot read toy.dat: the dlib model file is truncated"
    with pytest.raises(FacepsychError) as err:
        parse_dlib_net(b"hash mismatch\n", "h.dat")
    assert str(err.value) == "cannot read h.dat: no dlib network layers found"
    bad = data.replace(_string("con_4") + _int(2), _string("con_4") + _int(3), 1)
    with pytest.raises(FacepsychError) as err:
        parse_dlib_net(bad, "v.dat")
    assert str(err.value).startswith("cannot read v.dat: not a dlib network file (unknown tensor")
