"""facepsych.stimuli — landmarks I/O and detection, morph continua, occlusion, continuum loading.

Public API (see docs/internal-api.md):

- :func:`read_landmarks`, :func:`write_landmarks`, :class:`Landmarks` (``.tem``/``.pts``/``.csv``/
  ``.json``; schemes ``ibug68``, ``webmorph189``, ``generic``);
- :func:`region_polygons`, :func:`region_masks`, :data:`COMPANION_BOXES`, :func:`box_masks`;
- :func:`write_continuum`, :func:`load_continuum`, :class:`Continuum`.
"""

from facepsych.stimuli.continuum import (
    Continuum,
    index_continuum,
    load_continuum,
    write_continuum,
)
from facepsych.stimuli.landmarks import (
    Landmarks,
    LineGroup,
    infer_scheme,
    read_landmarks,
    write_landmarks,
)
from facepsych.stimuli.regions import (
    COMPANION_BOXES,
    box_masks,
    oval_mask,
    region_masks,
    region_outlines,
    region_polygons,
)

__all__ = [
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
