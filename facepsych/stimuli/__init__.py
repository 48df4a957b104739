"""facepsych.stimuli — landmarks I/O and detection, morph continua, occlusion, continuum loading.

Public API (see docs/internal-api.md):

- :func:`read_landmarks`, :func:`write_landmarks`, :class:`Landmarks` (``.tem``/``.pts``/``.csv``/
  ``.json``; schemes ``ibug68``, ``webmorph189``, ``generic``);
- :func:`region_polygons`, :func:`region_masks`, :data:`COMPANION_BOXES`, :func:`box_masks`;
- :func:`write_continuum`, :func:`load_continuum`, :class:`Continuum`, :func:`index_continuum`;
- :func:`morph_continuum` (arrays/images → frames), :func:`morph_files` (files → folder);
- :func:`detect_landmarks` (dlib, optional extra);
- :func:`occlude_image`, :func:`occlude_continuum`, :func:`occlusion_mask`;
- :func:`contact_sheet`;
- :func:`face_chip`, :func:`chip_transform`, :class:`ChipTransform`, :func:`eye_centres`,
  :func:`chip_eye_targets` (aligned face chips).
"""

from facepsych.stimuli.chips import (
    ChipTransform,
    chip_eye_targets,
    chip_transform,
    eye_centres,
    face_chip,
)
from facepsych.stimuli.continuum import (
    CONDITIONS,
    Continuum,
    index_continuum,
    load_continuum,
    write_continuum,
)
from facepsych.stimuli.detect import detect_landmarks
from facepsych.stimuli.landmarks import (
    Landmarks,
    LineGroup,
    infer_scheme,
    read_landmarks,
    write_landmarks,
)
from facepsych.stimuli.morph import landmarks_for, morph_continuum, morph_files
from facepsych.stimuli.occlude import occlude_continuum, occlude_image, occlusion_mask
from facepsych.stimuli.regions import (
    COMPANION_BOXES,
    box_masks,
    oval_mask,
    region_masks,
    region_outlines,
    region_polygons,
)
from facepsych.stimuli.sheet import contact_sheet

__all__ = [
    "ChipTransform",
    "chip_eye_targets",
    "chip_transform",
    "eye_centres",
    "face_chip",
    "CONDITIONS",
    "contact_sheet",
    "detect_landmarks",
    "landmarks_for",
    "morph_continuum",
    "morph_files",
    "occlude_continuum",
    "occlude_image",
    "occlusion_mask",
    "COMPANION_BOXES",
    "Continuum",
    "Landmarks",
    "LineGroup",
    "box_masks",
    "index_continuum",
    "infer_scheme",
    "load_continuum",
    "oval_mask",
    "read_landmarks",
    "region_masks",
    "region_outlines",
    "region_polygons",
    "write_continuum",
    "write_landmarks",
]
