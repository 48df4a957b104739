"""facepsych.data: face datasets (AffectNet, FER2013, facial_expressions, folders), valence maps.

>>> from facepsych.data import load_dataset            # doctest: +SKIP
>>> ds = load_dataset("faces/", "folder", valence="default")   # doctest: +SKIP
>>> ds.split("train").class_counts()                    # doctest: +SKIP
"""

from facepsych.data.dataset import FaceDataset, ImageRef, Sample
from facepsych.data.load import FORMATS, load_dataset
from facepsych.data.splits import stratified_group_split
from facepsych.data.valence import ValenceMap, normalise_emotion, resolve_valence

__all__ = [
    "CropSettings",
    "FaceCropper",
    "crop_continuum",
    "crop_dataset",
    "crop_images",
    "crop_of_run",
    "parse_crop",
    "FORMATS",
    "FaceDataset",
    "ImageRef",
    "Sample",
    "ValenceMap",
    "load_dataset",
    "normalise_emotion",
    "resolve_valence",
    "stratified_group_split",
]

#: Face chips (``facepsych.data.crop``) cut images with the stimuli stage's geometry, and the
#: stimuli stage reads images through this package: the crop names load on first use so that
#: importing ``facepsych.data`` never imports ``facepsych.stimuli``.
_CROP_NAMES = frozenset(
    ("CropSettings", "FaceCropper", "crop_continuum", "crop_dataset", "crop_images",
     "crop_of_run", "parse_crop")
)  # fmt: skip


def __getattr__(name: str):
    if name in _CROP_NAMES:
        from facepsych.data import crop

        return getattr(crop, name)
    raise AttributeError(f"module 'facepsych.data' has no attribute {name!r}")
