"""facepsych.models: CNNs, weight sources, the arch × weights registry, feature excitation.

>>> from facepsych.models import build_model
>>> net = build_model("alexnet", "random", hidden=64, seed=0)   # features frozen, 2 classes
>>> net.weight_info.source
'random'
"""

from facepsych.models.excitation import (
    ALEXNET_POSITIONS,
    EXCITED_ARCHS,
    REDUCTIONS,
    ExcitationBlock,
    backbone_arch,
)
from facepsych.models.net import (
    FacepsychNet,
    FeatureStandardizer,
    build_model,
    count_parameters,
    freeze_backbone,
    trainable_parameters,
)
from facepsych.models.preprocessing import PREPROCESSING_NAMES, Preprocessing, preprocessing_for
from facepsych.models.registry import (
    PAPER_ARCHS,
    RegistryEntry,
    default_cam_layer,
    domain_of,
    lookup,
    registry,
)
from facepsych.models.sources import (
    PACKAGED_NAMES,
    SOURCE_KINDS,
    WeightSource,
    parse_weights,
    weights_label,
)
from facepsych.models.spec import NetSpec
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
    "EXCITED_ARCHS",
    "PACKAGED_NAMES",
    "PAPER_ARCHS",
    "PREPROCESSING_NAMES",
    "REDUCTIONS",
    "SOURCE_KINDS",
    "ExcitationBlock",
    "FacepsychNet",
    "FeatureStandardizer",
    "NetSpec",
    "Preprocessing",
    "RegistryEntry",
    "WeightInfo",
    "WeightSource",
    "backbone_arch",
    "build_model",
    "count_parameters",
    "default_cam_layer",
    "domain_of",
    "download_imagenet",
    "freeze_backbone",
    "imagenet_cache_path",
    "imagenet_file_name",
    "load_weights",
    "lookup",
    "parse_weights",
    "preprocessing_for",
    "read_state_dict",
    "registry",
    "sha256_file",
    "trainable_parameters",
    "weights_label",
]
