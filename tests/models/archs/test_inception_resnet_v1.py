"""inception-resnet-v1: the torch port against OpenCV's DNN runtime on the same frozen graph,
identity separation on London faces, shapes and parameters."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from facepsych.models.archs import PANEL, build_embedding, build_features
from facepsych.models.archs.tf_graph import fields
from facepsych.models.preprocessing import preprocessing_for
from tests.models.archs.conftest import packaged_path, rank1_neutral_to_smiling


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | 0x80 if value else byte)
        if not value:
            return bytes(out)


def _field(number: int, wire: int, value) -> bytes:
    tag = _varint(number << 3 | wire)
    if wire == 0:
        return tag + _varint(value)
    if wire == 2:
        return tag + _varint(len(value)) + bytes(value)
    return tag + bytes(value)


def _without_control_inputs(graph: bytes) -> bytes:
    """The GraphDef with every ``^name`` input (NodeDef field 3) dropped.

    The graph's two control inputs order shape constants after a pool and a matmul and compute
    nothing; OpenCV 4.9+ asserts on them in its graph simplifier (4.8 read the file as it is).
    """
    out = bytearray()
    for number, wire, value in fields(memoryview(graph)):
        if number == 1 and wire == 2:
            node = b"".join(
                _field(n, w, v)
                for n, w, v in fields(value)
                if not (n == 3 and bytes(v).startswith(b"^"))
            )
            value = node
        out += _field(number, wire, value)
    return bytes(out)


def test_control_input_stripping_keeps_everything_else():
    graph = packaged_path("inception-resnet-v1").read_bytes()
    stripped = _without_control_inputs(graph)
    assert len(graph) - len(stripped) < 200
    before = [f for f in fields(memoryview(graph)) if f[0] == 1]
    after = [f for f in fields(memoryview(stripped)) if f[0] == 1]
    assert len(before) == len(after) == 793
    dropped = sum(
        len([g for g in fields(b[2]) if g[0] == 3]) - len([g for g in fields(a[2]) if g[0] == 3])
        for b, a in zip(before, after, strict=True)
    )
    assert dropped == 2


def test_embedding_matches_opencv_running_the_graph(london_faces):
    """OpenCV's TensorFlow importer runs the packaged graph itself: max |torch − cv2| ≤ 1e-5."""
    cv2 = pytest.importorskip("cv2")
    if not hasattr(cv2.dnn, "readNetFromTensorflow"):
        pytest.skip(f"OpenCV {cv2.__version__} has no TensorFlow importer ([dev] pins <5)")
    path = packaged_path("inception-resnet-v1")
    crop = Image.open(london_faces / "neutral" / "001.jpg").crop((150, 150, 525, 525))
    x = preprocessing_for("prewhiten", 160)(crop)[None]
    with torch.no_grad():
        ours = build_embedding("inception-resnet-v1")(x)[0].numpy()
    graph = _without_control_inputs(path.read_bytes())
    reference = cv2.dnn.readNetFromTensorflow(np.frombuffer(graph, np.uint8))
    reference.setInput(x.numpy())
    theirs = reference.forward().reshape(-1)
    assert theirs.shape == (512,) and abs(np.linalg.norm(ours) - 1.0) < 1e-5
    assert np.abs(ours - theirs).max() <= 1e-5


def test_map_sizes_at_160_px():
    shapes = {}
    with torch.device("meta"):
        features = build_features("inception-resnet-v1")
        for name in ("conv2d_4b", "block35", "block17", "block8_final"):
            features.get_submodule(name).register_forward_hook(
                lambda _m, _i, out, name=name: shapes.__setitem__(name, tuple(out.shape[1:]))
            )
        features(torch.zeros(1, 3, 160, 160))
    assert shapes == {
        "conv2d_4b": (256, 17, 17),
        "block35": (256, 17, 17),
        "block17": (896, 8, 8),
        "block8_final": (1792, 3, 3),
    }
    assert PANEL["inception-resnet-v1"].cam_layer == "features.block17"


def test_parameter_count():
    features = build_features("inception-resnet-v1")
    head = 1792 * 512 + 2 * 512  # bottleneck + batch norm scale/shift
    assert sum(p.numel() for p in features.parameters()) + head == 23_468_336


@pytest.mark.slow
def test_neutral_faces_find_the_same_person_smiling(london_landmarks):
    packaged_path("inception-resnet-v1")
    rank1 = rank1_neutral_to_smiling("inception-resnet-v1", "prewhiten", 160, london_landmarks)
    assert rank1 == 1.0
