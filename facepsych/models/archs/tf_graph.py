"""Reader for frozen TensorFlow graphs (``GraphDef`` protobufs), without TensorFlow.

The protobuf wire format is decoded by hand: a message is a sequence of fields, each a varint key
``(number << 3) | wire_type`` followed by a varint (type 0), 8 bytes (1), a length-prefixed
byte string (2) or 4 bytes (5). Only the messages a frozen inference graph needs are read:

- ``GraphDef``: 1 = repeated ``NodeDef``;
- ``NodeDef``: 1 name, 2 op, 3 repeated input, 5 map<string, ``AttrValue``> (entries: 1 key,
  2 value);
- ``AttrValue``: 1 list (2 s, 3 i, 4 f), 2 s, 3 i, 4 f, 5 b, 6 type, 7 shape, 8 tensor;
- ``TensorProto``: 1 dtype, 2 shape (``TensorShapeProto``: 2 repeated dim, each 1 size),
  4 tensor_content (raw little-endian values), 5 float_val, 7 int_val (packed or not).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from facepsych.errors import FacepsychError

#: TensorFlow DataType numbers -> numpy dtypes (the ones frozen graphs use for constants)
DTYPES: dict[int, np.dtype] = {
    1: np.dtype("<f4"),
    2: np.dtype("<f8"),
    3: np.dtype("<i4"),
    9: np.dtype("<i8"),
    10: np.dtype("bool"),
}


class _Truncated(Exception):
    pass


@dataclass(frozen=True)
class GraphNode:
    """One node: name, op, inputs and decoded attributes (tensors become numpy arrays)."""

    name: str
    op: str
    inputs: tuple[str, ...] = ()
    attrs: dict[str, object] = field(default_factory=dict)


def _varint(data: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise _Truncated
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


def fields(data: memoryview) -> list[tuple[int, int, object]]:
    """All ``(field number, wire type, value)`` of one message; bytes values stay memoryviews."""
    out = []
    pos, end = 0, len(data)
    while pos < end:
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ValueError("field number 0")
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            size, pos = _varint(data, pos)
            if pos + size > end:
                raise _Truncated
            value, pos = data[pos : pos + size], pos + size
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if pos + size > end:
                raise _Truncated
            value, pos = data[pos : pos + size], pos + size
        else:
            raise ValueError(f"unsupported wire type {wire}")
        out.append((number, wire, value))
    return out


def _packed_varints(value: object, wire: int) -> list[int]:
    if wire == 0:
        return [int(value)]
    out, pos = [], 0
    while pos < len(value):
        item, pos = _varint(value, pos)
        out.append(item)
    return out


def _floats(value: object, wire: int) -> list[float]:
    raw = bytes(value)
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def _shape(data: memoryview) -> tuple[int, ...]:
    dims = []
    for number, _, dim in fields(data):
        if number == 2:
            size = 0
            for n, _, v in fields(dim):
                if n == 1:
                    size = v - (1 << 64) if v >= 1 << 63 else v  # int64: -1 = unknown
            dims.append(size)
    return tuple(dims)


def decode_tensor(data: memoryview) -> np.ndarray:
    """A ``TensorProto`` -> numpy array of its dtype and shape."""
    dtype_num, shape, content = 1, (), None
    floats: list[float] = []
    ints: list[int] = []
    for number, wire, value in fields(data):
        if number == 1:
            dtype_num = value
        elif number == 2:
            shape = _shape(value)
        elif number == 4:
            content = bytes(value)
        elif number == 5:
            floats += _floats(value, wire)
        elif number == 7:
            ints += _packed_varints(value, wire)
    if dtype_num not in DTYPES:
        raise ValueError(f"unsupported tensor dtype {dtype_num}")
    dtype = DTYPES[dtype_num]
    count = int(np.prod(shape)) if shape else 1
    if content is not None:
        array = np.frombuffer(content, dtype=dtype)
    elif floats or ints:
        listed = (
            floats if dtype.kind == "f" else [v - (1 << 64) if v >= 1 << 63 else v for v in ints]
        )
        array = np.asarray(listed, dtype=dtype)
        if array.size == 1 and count > 1:
            array = np.full(count, array[0], dtype=dtype)  # TF repeats a single listed value
    else:
        array = np.zeros(count, dtype=dtype)
    if array.size != count:
        raise ValueError(f"tensor of shape {shape} holds {array.size} values")
    return array.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def _attr(data: memoryview) -> object:
    for number, _, value in fields(data):
        if number == 1:  # list
            items: list[object] = []
            for n, w, v in fields(value):
                if n == 2:
                    items.append(bytes(v).decode("utf-8", "replace"))
                elif n == 3:
                    items += [x - (1 << 64) if x >= 1 << 63 else x for x in _packed_varints(v, w)]
                elif n == 4:
                    items += _floats(v, w)
            return items
        if number == 2:
            return bytes(value).decode("utf-8", "replace")
        if number in (3, 6):
            return value - (1 << 64) if value >= 1 << 63 else value
        if number == 4:
            return struct.unpack("<f", bytes(value))[0]
        if number == 5:
            return bool(value)
        if number == 7:
            return _shape(value)
        if number == 8:
            return decode_tensor(value)
    return None


def _node(data: memoryview) -> GraphNode:
    name, op, inputs, attrs = "", "", [], {}
    for number, _, value in fields(data):
        if number == 1:
            name = bytes(value).decode()
        elif number == 2:
            op = bytes(value).decode()
        elif number == 3:
            inputs.append(bytes(value).decode())
        elif number == 5:
            key, attr = "", None
            for n, _, v in fields(value):
                if n == 1:
                    key = bytes(v).decode()
                elif n == 2:
                    attr = _attr(v)
            attrs[key] = attr
    return GraphNode(name, op, tuple(inputs), attrs)


def parse_graph_def(data: bytes, name: str = "graph") -> dict[str, GraphNode]:
    """Every node of a ``GraphDef``, by name, in file order; failures: one line naming ``name``."""
    view = memoryview(bytes(data))
    try:
        nodes = [_node(value) for number, wire, value in fields(view) if number == 1 and wire == 2]
    except _Truncated:
        raise FacepsychError(f"cannot read {name}: the TensorFlow graph is truncated") from None
    except (ValueError, UnicodeDecodeError, struct.error) as exc:
        raise FacepsychError(f"cannot read {name}: not a TensorFlow graph ({exc})") from None
    if not nodes or not all(node.name and node.op for node in nodes):
        raise FacepsychError(f"cannot read {name}: not a TensorFlow graph (no named nodes)")
    return {node.name: node for node in nodes}


def graph_constants(nodes: dict[str, GraphNode]) -> dict[str, np.ndarray]:
    """The value of every ``Const`` node, by node name."""
    return {
        name: node.attrs["value"]
        for name, node in nodes.items()
        if node.op == "Const" and isinstance(node.attrs.get("value"), np.ndarray)
    }
