"""dlib-resnet: the torch port against dlib's own face descriptor, shapes, parameters."""

from __future__ import annotations

import numpy as np
import torch

from facepsych.models.archs import build_features, load_packaged_weights
from facepsych.models.archs.dlib_format import parse_dlib_net
from facepsych.models.archs.dlib_resnet import DlibEmbedding, dlib_state_dict
from facepsych.models.preprocessing import preprocessing_for
from tests.models.archs.conftest import packaged_path


def _stage_sizes(size: int) -> dict[str, tuple[int, ...]]:
    with torch.device("meta"):
        features = build_features("dlib-resnet")
        shapes = {}
        for name in ("stage1", "stage2", "stage3", "stage4", "stage5"):
            getattr(features, name).register_forward_hook(
                lambda _m, _i, out, name=name: shapes.__setitem__(name, tuple(out.shape[1:]))
            )
        features(torch.zeros(1, 3, size, size))
    return shapes


def test_stage_shapes_at_150_px():
    assert _stage_sizes(150) == {
        "stage1": (32, 35, 35),
        "stage2": (64, 17, 17),
        "stage3": (128, 8, 8),
        "stage4": (256, 4, 4),
        "stage5": (256, 2, 2),
    }


def test_descriptor_matches_dlib(dlib_chips):
    """128-d descriptors of the same chips: max |torch − dlib| ≤ 1e-4 (and L2 ≤ 1e-4)."""
    import dlib

    path = packaged_path("dlib-resnet")
    reference = dlib.face_recognition_model_v1(str(path))
    features = build_features("dlib-resnet")
    info = load_packaged_weights(features, "dlib-resnet", "dlib")
    _, fc = dlib_state_dict(parse_dlib_net(path.read_bytes()))
    net = DlibEmbedding(features, fc).eval()
    prep = preprocessing_for("dlib", 150)
    chips = list(dlib_chips.values())
    from PIL import Image

    with torch.no_grad():
        ours = net(prep.batch([Image.fromarray(c) for c in chips])).numpy()
    theirs = np.array([np.array(reference.compute_face_descriptor(c)) for c in chips])
    assert info.loaded_keys == 116 and info.sha256.startswith("55533b28a958")
    assert np.abs(ours - theirs).max() <= 1e-4
    assert np.linalg.norm(ours - theirs, axis=1).max() <= 1e-4
    # the descriptor separates the two people: same person closer than the other person
    d = {k: v for k, v in zip(dlib_chips, ours, strict=True)}
    same = np.linalg.norm(d[("001", "neutral")] - d[("001", "smiling")])
    other = np.linalg.norm(d[("001", "neutral")] - d[("002", "smiling")])
    assert same < 0.6 < other  # dlib's documented same-person threshold


def test_parameter_count_and_layers():
    features = build_features("dlib-resnet")
    convs = [m for m in features.modules() if isinstance(m, torch.nn.Conv2d)]
    params = sum(p.numel() for p in features.parameters()) + 256 * 128
    assert len(convs) == 29 and params == 5_614_592
