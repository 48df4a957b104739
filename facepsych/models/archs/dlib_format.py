"""Reader for dlib's DNN serialisation (``dlib_face_recognition_resnet_model_v1.dat``).

The format, as dlib writes it:

- integers are packed: one header byte whose low 4 bits give the byte count n and whose bit 7 is
  the sign, then n little-endian magnitude bytes;
- strings are a packed length followed by the bytes;
- a tensor is a packed version (2), four packed dims (num_samples, k, nr, nc) and then
  ``num_samples·k·nr·nc`` float32 values, little-endian.

Layer records are found by their names. A ``con_4`` record holds one tensor (the filters, then
the biases), then num_filters, rows, cols, stride_y, stride_x, padding_y, padding_x. An
``affine_`` record holds one tensor with the per-channel scale, then the shift (dlib's frozen batch
norm). An ``fc_2`` record gives num_outputs, num_inputs and a tensor laid out inputs × outputs.
Records are returned in file order, which is the forward order of the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facepsych.errors import FacepsychError

_MARKERS: dict[str, bytes] = {
    "con": b"\x01\x05con_4",
    "affine": b"\x01\x07affine_",
    "fc": b"\x01\x04fc_2",
}


class _Truncated(Exception):
    pass


@dataclass(frozen=True)
class DlibLayer:
    """One parameterised layer: ``kind`` in {"con", "affine", "fc"} and its arrays.

    con: ``weight`` (out, in, rows, cols), ``bias`` (out,), ``stride`` and ``padding`` (y, x);
    affine: ``weight`` = scale (C,), ``bias`` = shift (C,);
    fc: ``weight`` (outputs, inputs), no bias.
    """

    kind: str
    weight: np.ndarray
    bias: np.ndarray | None = None
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)


def read_packed_int(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Decode one packed integer at ``pos``; returns ``(value, next position)``."""
    if pos >= len(data):
        raise _Truncated
    header = data[pos]
    count = header & 0x0F
    if count > 8:
        raise ValueError(f"bad integer header byte 0x{header:02x} at offset {pos}")
    end = pos + 1 + count
    if end > len(data):
        raise _Truncated
    value = int.from_bytes(bytes(data[pos + 1 : end]), "little")
    return (-value if header & 0x80 else value), end


def read_tensor(data: bytes | memoryview, pos: int) -> tuple[np.ndarray, int]:
    """Decode one tensor at ``pos``: float32 array of shape (num_samples, k, nr, nc)."""
    version, pos = read_packed_int(data, pos)
    if version != 2:
        raise ValueError(f"unknown tensor version {version} at offset {pos}")
    dims = []
    for _ in range(4):
        dim, pos = read_packed_int(data, pos)
        if dim < 0:
            raise ValueError(f"negative tensor size at offset {pos}")
        dims.append(dim)
    count = int(np.prod(dims))
    end = pos + 4 * count
    if end > len(data):
        raise _Truncated
    values = np.frombuffer(data, dtype="<f4", count=count, offset=pos).astype(np.float32)
    return values.reshape(dims), end


def _ints(data: bytes | memoryview, pos: int, n: int) -> tuple[list[int], int]:
    out = []
    for _ in range(n):
        value, pos = read_packed_int(data, pos)
        out.append(value)
    return out, pos


def _next_record(data: bytes, pos: int) -> tuple[str, int] | None:
    found = [(data.find(marker, pos), kind) for kind, marker in _MARKERS.items()]
    found = [(at, kind) for at, kind in found if at >= 0]
    if not found:
        return None
    at, kind = min(found)
    return kind, at + len(_MARKERS[kind])


def _con(data: bytes, pos: int) -> tuple[DlibLayer, int]:
    params, pos = read_tensor(data, pos)
    (filters, rows, cols, sy, sx, py, px), pos = _ints(data, pos, 7)
    flat = params.reshape(-1)
    per_filter, rest = divmod(flat.size - filters, max(filters * rows * cols, 1))
    if filters <= 0 or rest or per_filter <= 0:
        raise ValueError(f"conv record of {flat.size} values does not fit {filters} filters")
    weight = flat[: flat.size - filters].reshape(filters, per_filter, rows, cols)
    bias = flat[flat.size - filters :]
    return DlibLayer("con", weight, bias, stride=(sy, sx), padding=(py, px)), pos


def _affine(data: bytes, pos: int) -> tuple[DlibLayer, int]:
    params, pos = read_tensor(data, pos)
    flat = params.reshape(-1)
    if flat.size % 2:
        raise ValueError(f"affine record of {flat.size} values is not scale + shift")
    half = flat.size // 2
    return DlibLayer("affine", flat[:half], flat[half:]), pos


def _fc(data: bytes, pos: int) -> tuple[DlibLayer, int]:
    (outputs, inputs), pos = _ints(data, pos, 2)
    params, pos = read_tensor(data, pos)
    flat = params.reshape(-1)
    if outputs <= 0 or flat.size != inputs * outputs:
        raise ValueError(f"fc record of {flat.size} values does not fit {inputs}×{outputs}")
    return DlibLayer("fc", np.ascontiguousarray(flat.reshape(inputs, outputs).T)), pos


_READERS = {"con": _con, "affine": _affine, "fc": _fc}


def parse_dlib_net(data: bytes, name: str = "dlib model") -> list[DlibLayer]:
    """All con / affine / fc records of a dlib network file, in file (= forward) order.

    Truncated or corrupted content raises one ``FacepsychError`` line naming ``name``.
    """
    data = bytes(data)
    layers: list[DlibLayer] = []
    pos = 0
    try:
        while (record := _next_record(data, pos)) is not None:
            kind, pos = record
            layer, pos = _READERS[kind](data, pos)
            layers.append(layer)
    except _Truncated:
        raise FacepsychError(f"cannot read {name}: the dlib model file is truncated") from None
    except ValueError as exc:
        raise FacepsychError(f"cannot read {name}: not a dlib network file ({exc})") from None
    if not layers:
        raise FacepsychError(f"cannot read {name}: no dlib network layers found")
    return layers
