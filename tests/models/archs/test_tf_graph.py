"""The hand-written GraphDef reader against google.protobuf's own decoder (TensorFlow's field
numbers, declared here as a minimal schema): synthetic graphs and the packaged facenet graph."""

from __future__ import annotations

import numpy as np
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from facepsych.errors import FacepsychError
from facepsych.models.archs.tf_graph import graph_constants, parse_graph_def
from tests.models.archs.conftest import packaged_path

_F = descriptor_pb2.FieldDescriptorProto


def _schema():
    """TensorFlow's GraphDef / NodeDef / AttrValue / TensorProto (subset), built at run time."""
    file = descriptor_pb2.FileDescriptorProto(name="tfmini.proto", package="tfmini")

    def message(name, fields):
        msg = file.message_type.add(name=name)
        for field_name, number, kind, label, type_name in fields:
            field = msg.field.add(name=field_name, number=number, type=kind, label=label)
            if type_name:
                field.type_name = f".tfmini.{type_name}"

    opt, rep = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED
    message("Dim", [("size", 1, _F.TYPE_INT64, opt, None)])
    message("Shape", [("dim", 2, _F.TYPE_MESSAGE, rep, "Dim")])
    message(
        "Tensor",
        [
            ("dtype", 1, _F.TYPE_INT32, opt, None),
            ("tensor_shape", 2, _F.TYPE_MESSAGE, opt, "Shape"),
            ("tensor_content", 4, _F.TYPE_BYTES, opt, None),
            ("float_val", 5, _F.TYPE_FLOAT, rep, None),
            ("int_val", 7, _F.TYPE_INT32, rep, None),
        ],
    )
    message(
        "ListValue",
        [("s", 2, _F.TYPE_BYTES, rep, None), ("i", 3, _F.TYPE_INT64, rep, None)],
    )
    message(
        "AttrValue",
        [
            ("list", 1, _F.TYPE_MESSAGE, opt, "ListValue"),
            ("s", 2, _F.TYPE_BYTES, opt, None),
            ("i", 3, _F.TYPE_INT64, opt, None),
            ("f", 4, _F.TYPE_FLOAT, opt, None),
            ("b", 5, _F.TYPE_BOOL, opt, None),
            ("type", 6, _F.TYPE_INT32, opt, None),
            ("tensor", 8, _F.TYPE_MESSAGE, opt, "Tensor"),
        ],
    )
    message(
        "AttrEntry",
        [("key", 1, _F.TYPE_STRING, opt, None), ("value", 2, _F.TYPE_MESSAGE, opt, "AttrValue")],
    )
    message(
        "Node",
        [
            ("name", 1, _F.TYPE_STRING, opt, None),
            ("op", 2, _F.TYPE_STRING, opt, None),
            ("input", 3, _F.TYPE_STRING, rep, None),
            ("attr", 5, _F.TYPE_MESSAGE, rep, "AttrEntry"),
        ],
    )
    message("Graph", [("node", 1, _F.TYPE_MESSAGE, rep, "Node")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"tfmini.{name}"))
        for name in ("Graph", "Tensor")
    }


SCHEMA = _schema()


def _decode(tensor) -> np.ndarray:
    shape = tuple(d.size for d in tensor.tensor_shape.dim)
    dtype = {1: "<f4", 3: "<i4"}[tensor.dtype]
    if tensor.tensor_content:
        return np.frombuffer(tensor.tensor_content, dtype=dtype).reshape(shape)
    listed = list(tensor.float_val) if tensor.dtype == 1 else list(tensor.int_val)
    values = np.asarray(listed, dtype=dtype)
    if values.size == int(np.prod(shape)):
        return values.reshape(shape)
    return np.broadcast_to(values, shape)  # TensorFlow repeats a single listed value


def _toy_graph() -> bytes:
    graph = SCHEMA["Graph"]()
    weights = np.arange(24, dtype=np.float32).reshape(2, 3, 1, 4) / 7
    node = graph.node.add(name="net/conv/weights", op="Const")
    attr = node.attr.add(key="value")
    attr.value.tensor.dtype = 1
    for size in weights.shape:
        attr.value.tensor.tensor_shape.dim.add(size=size)
    attr.value.tensor.tensor_content = weights.tobytes()
    node = graph.node.add(name="net/mul/x", op="Const")
    attr = node.attr.add(key="value")
    attr.value.tensor.dtype = 1
    attr.value.tensor.float_val.append(0.17)
    node = graph.node.add(name="net/conv/Conv2D", op="Conv2D", input=["in:0", "net/conv/weights"])
    node.attr.add(key="padding").value.s = b"SAME"
    node.attr.add(key="strides").value.list.i.extend([1, 2, 2, 1])
    node.attr.add(key="epsilon").value.f = 0.001
    node.attr.add(key="transpose_a").value.b = True
    return graph.SerializeToString()


def test_synthetic_graph_round_trip():
    nodes = parse_graph_def(_toy_graph())
    assert list(nodes) == ["net/conv/weights", "net/mul/x", "net/conv/Conv2D"]
    conv = nodes["net/conv/Conv2D"]
    assert conv.op == "Conv2D" and conv.inputs == ("in:0", "net/conv/weights")
    assert conv.attrs["padding"] == "SAME" and conv.attrs["strides"] == [1, 2, 2, 1]
    assert conv.attrs["epsilon"] == pytest.approx(0.001) and conv.attrs["transpose_a"] is True
    constants = graph_constants(nodes)
    expected = np.arange(24, dtype=np.float32).reshape(2, 3, 1, 4) / 7
    assert np.array_equal(constants["net/conv/weights"], expected)
    assert constants["net/mul/x"].shape == () and float(constants["net/mul/x"]) == np.float32(0.17)


def test_truncated_and_foreign_bytes_are_one_line():
    data = _toy_graph()
    with pytest.raises(FacepsychError) as err:
        parse_graph_def(data[:-7], "g.pb")
    assert str(err.value) == "cannot read g.pb: the TensorFlow graph is truncated"
    with pytest.raises(FacepsychError) as err:
        parse_graph_def(b"hash mismatch\n", "h.pb")
    assert str(err.value).startswith("cannot read h.pb: not a TensorFlow graph")
    assert "\n" not in str(err.value)


def test_packaged_facenet_constants_equal_protobufs_decoding():
    """Every float constant of the packaged graph, bit for bit, against google.protobuf."""
    data = packaged_path("inception-resnet-v1").read_bytes()
    ours = graph_constants(parse_graph_def(data))
    reference = {}
    for node in SCHEMA["Graph"].FromString(data).node:
        for entry in node.attr:
            if node.op == "Const" and entry.key == "value" and entry.value.tensor.dtype == 1:
                reference[node.name] = _decode(entry.value.tensor)
    floats = {k: v for k, v in ours.items() if v.dtype.kind == "f"}
    assert len(floats) == len(reference) == 291
    for name, value in reference.items():
        assert floats[name].shape == value.shape and floats[name].tobytes() == value.tobytes()
    assert ours["InceptionResnetV1/Conv2d_1a_3x3/weights"].shape == (3, 3, 3, 32)
    assert float(ours["InceptionResnetV1/Repeat_1/block17_1/mul/x"]) == np.float32(0.10)
