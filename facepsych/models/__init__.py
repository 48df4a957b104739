"""facepsych.models: torchvision CNNs, weight sources, feature excitation (FE-AlexNet), freezing.

>>> from facepsych.models import build_model
>>> net = build_model("alexnet", "random", hidden=64, seed=0)   # features frozen, 2 classes
>>> net.weight_info.source
'random'
"""

from facepsych.models.excitation import ALEXNET_POSITIONS, REDUCTIONS, ExcitationBlock
from facepsych.models.net import (
    PAPER_ARCHS,
    FacepsychNet,
    FeatureStandardizer,
    build_model,
    count_parameters,
    freeze_backbone,
    trainable_parameters,
)
from facepsych.models.preprocessing import PREPROCESSING_NAMES, Preprocessing, preprocessing_for
from facepsych.models.weights import (
    WeightInfo,
    download_imagenet,
    imagenet_cache_path,
    imagenet_file_name,
    load_weights,
    read_state_dict,
    sha256_file,
)

__all__ = [
    "ALEXNET_POSITIONS",
    "PAPER_ARCHS",
    "PREPROCESSING_NAMES",
    "REDUCTIONS",
    "ExcitationBlock",
    "FacepsychNet",
    "FeatureStandardizer",
    "Preprocessing",
    "WeightInfo",
    "build_model",
    "count_parameters",
    "download_imagenet",
    "freeze_backbone",
    "imagenet_cache_path",
    "imagenet_file_name",
    "load_weights",
    "preprocessing_for",
    "read_state_dict",
    "sha256_file",
    "trainable_parameters",
]
