"""facepsych.attention: where a network looks, and how that compares with where people look.

- CAMs: :func:`compute_cams` (Grad-CAM, LayerCAM; any layer by module path; multi-layer fusion).
- Continua: :func:`cam_continuum` with :class:`CamSettings` (the per-continuum CAM work of both
  ``facepsych cam`` and the study runner), :func:`default_cam_layer`.
- Regions: :func:`region_shares` (eyes / nose / mouth / other, diagnostic ratio),
  :func:`vertical_profile`, :func:`region_rows` (tidy rows).
- Fixations: :func:`fixation_density`, :func:`load_fixations`; metrics :func:`nss`, :func:`cc`,
  :func:`sim`, :func:`kl_div`, :func:`auc_judd`, :func:`auc_borji`, :func:`auc_shuffled`
  (MIT saliency benchmark definitions).
"""

from facepsych.attention.cam import CamResult, GradCam, LayerCam, compute_cams, fuse_cams
from facepsych.attention.continuum import (
    CamSettings,
    cam_continuum,
    cam_images,
    cam_steps,
    default_cam_layer,
)
from facepsych.attention.fixations import (
    fixation_density,
    fixation_map,
    load_fixations,
)
from facepsych.attention.metrics import (
    auc_borji,
    auc_judd,
    auc_shuffled,
    cc,
    kl_div,
    nss,
    sim,
)
from facepsych.attention.regions import (
    REGION_COLUMNS,
    VerticalProfile,
    companion_masks,
    landmark_masks,
    region_rows,
    region_shares,
    vertical_profile,
)

__all__ = [
    "REGION_COLUMNS",
    "CamResult",
    "CamSettings",
    "GradCam",
    "LayerCam",
    "VerticalProfile",
    "auc_borji",
    "auc_judd",
    "auc_shuffled",
    "cam_continuum",
    "cam_images",
    "cam_steps",
    "cc",
    "companion_masks",
    "compute_cams",
    "default_cam_layer",
    "fixation_density",
    "fixation_map",
    "fuse_cams",
    "kl_div",
    "landmark_masks",
    "load_fixations",
    "nss",
    "region_rows",
    "region_shares",
    "sim",
    "vertical_profile",
]
