"""facepsych.synthetic — the built-in face lab: procedural faces with exact 68-point landmarks,
identities, expressions with per-region weights, nuisance, objects, and data-set writers.

Public API (see docs/internal-api.md):

- :class:`FaceParams`, :func:`sample_identity`, :class:`RegionWeights`, :class:`Nuisance`,
  :func:`sample_nuisance`;
- :func:`render_face` → ``(PIL image, landmarks (68, 2))``; :func:`face_region_masks`;
- :func:`render_object`, :data:`OBJECT_CLASSES`;
- writers: :func:`write_expression_set`, :func:`write_identity_set`, :func:`write_object_set`,
  :func:`write_synthetic_continuum`, :func:`write_continuum_set`, :func:`continuum_frames`;
- :func:`contact_sheet`, :func:`save_contact_sheet`.
"""

from facepsych.synthetic.continua import (
    continuum_frames,
    write_continuum_set,
    write_synthetic_continuum,
)
from facepsych.synthetic.objects import OBJECT_CLASSES, render_object
from facepsych.synthetic.params import (
    BACKGROUNDS,
    HAIR_STYLES,
    FaceParams,
    Nuisance,
    RegionWeights,
    sample_identity,
    sample_nuisance,
)
from facepsych.synthetic.render import face_region_masks, render_face
from facepsych.synthetic.sheets import contact_sheet, save_contact_sheet, sheet_of_folder
from facepsych.synthetic.writers import (
    CONTINUUM_IDS,
    EXPRESSION_IDS,
    PRETRAIN_IDS,
    WrittenSet,
    identity_name,
    write_expression_set,
    write_identity_set,
    write_object_set,
)

__all__ = [
    "BACKGROUNDS",
    "CONTINUUM_IDS",
    "EXPRESSION_IDS",
    "HAIR_STYLES",
    "OBJECT_CLASSES",
    "PRETRAIN_IDS",
    "FaceParams",
    "Nuisance",
    "RegionWeights",
    "WrittenSet",
    "contact_sheet",
    "continuum_frames",
    "face_region_masks",
    "identity_name",
    "render_face",
    "render_object",
    "sample_identity",
    "sample_nuisance",
    "save_contact_sheet",
    "sheet_of_folder",
    "write_continuum_set",
    "write_expression_set",
    "write_identity_set",
    "write_object_set",
    "write_synthetic_continuum",
]
