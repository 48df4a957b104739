"""parse_weights: every spelling, its label, and the one-line errors."""

from pathlib import Path

import pytest

from facepsych.errors import FacepsychError
from facepsych.models import WeightSource, parse_weights, weights_label


@pytest.mark.parametrize(
    ("spelling", "kind", "path", "name", "label"),
    [
        ("random", "random", None, None, "random"),
        ("imagenet", "imagenet", None, None, "imagenet"),
        ("imagenet:/w/alexnet-owt-7be5be79.pth", "imagenet", "/w/alexnet-owt-7be5be79.pth",
         None, "alexnet-owt-7be5be79"),
        ("file:/x/face_alexnet.pth", "file", "/x/face_alexnet.pth", None, "face_alexnet"),
        ("vggface:/m/vgg_face.pth", "vggface", "/m/vgg_face.pth", None, "vgg_face"),
        ("pretrained:face", "pretrained", None, "face", "face"),
        ("dlib", "packaged", None, "dlib", "dlib"),
        ("casia-webface", "packaged", None, "casia-webface", "casia-webface"),
    ],
)  # fmt: skip
def test_spellings(spelling, kind, path, name, label):
    src = parse_weights(spelling)
    assert (src.spelling, src.kind, src.name, src.label) == (spelling, kind, name, label)
    assert src.path == (None if path is None else Path(path))
    assert weights_label(spelling) == label
    assert parse_weights(src) is src


def test_user_home_is_expanded_and_paths_can_be_replaced():
    src = parse_weights("file:~/w.pth")
    assert src.path == Path.home() / "w.pth"
    moved = src.with_path("/abs/w.pth")
    assert (moved.spelling, moved.kind, moved.path) == (
        "file:/abs/w.pth",
        "file",
        Path("/abs/w.pth"),
    )
    with pytest.raises(FacepsychError, match="has no path to replace"):
        parse_weights("random").with_path("/x")


def test_weight_source_is_frozen_and_hashable():
    src = parse_weights("imagenet")
    assert {src: 1}[WeightSource("imagenet", "imagenet")] == 1
    with pytest.raises(AttributeError):
        src.kind = "file"


@pytest.mark.parametrize(
    ("spelling", "message"),
    [
        ("file:", "weight source file: needs a path, e.g. file:weights.pth"),
        ("vggface:", "weight source vggface: needs a path, e.g. vggface:weights.pth"),
        ("pretrained:", "weight source pretrained: needs a name, e.g. pretrained:face "
                        "(a pretrain: entry of the study config)"),
        ("imagenet1k", "unknown weight source 'imagenet1k'; use random, imagenet, imagenet:PATH, "
                       "file:PATH, vggface:PATH, pretrained:NAME, dlib, casia-webface"),
        ("random:3", "unknown weight source 'random:3'; use random, imagenet, imagenet:PATH, "
                     "file:PATH, vggface:PATH, pretrained:NAME, dlib, casia-webface"),
        ("", "weight source must be one of random, imagenet, imagenet:PATH, file:PATH, "
             "vggface:PATH, pretrained:NAME, dlib, casia-webface, got ''"),
    ],
)  # fmt: skip
def test_errors_are_one_line(spelling, message):
    with pytest.raises(FacepsychError) as err:
        parse_weights(spelling)
    assert str(err.value) == message
