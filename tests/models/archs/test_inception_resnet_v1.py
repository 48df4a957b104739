"""inception-resnet-v1: the torch port against OpenCV's DNN runtime on the same frozen graph,
identity separation on London faces, shapes and parameters."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from facepsych.models.archs import PANEL, build_embedding, build_features
from facepsych.models.preprocessing import preprocessing_for
from tests.models.archs.conftest import packaged_path, rank1_neutral_to_smiling


def test_embedding_matches_opencv_running_the_graph(london_faces):
    """OpenCV's TensorFlow importer runs the packaged graph itself: max |torch − cv2| ≤ 1e-5."""
    cv2 = pytest.importorskip("cv2")
    path = packaged_path("inception-resnet-v1")
    crop = Image.open(london_faces / "neutral" / "001.jpg").crop((150, 150, 525, 525))
    x = preprocessing_for("prewhiten", 160)(crop)[None]
    with torch.no_grad():
        ours = build_embedding("inception-resnet-v1")(x)[0].numpy()
    reference = cv2.dnn.readNetFromTensorflow(str(path))
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
