"""facepsych.attention: where a network looks, and how that compares with where people look.

- CAMs: :func:`compute_cams` (Grad-CAM, LayerCAM; any layer by module path; multi-layer fusion).
- Continua: :func:`cam_continuum` with :class:`CamSettings` (the per-continuum CAM work of both
  ``facepsych cam`` (:func:`run_cams`) and the study runner), :func:`cam_images`,
  :func:`default_cam_layer`.
- Regions: :func:`region_shares` (eyes / nose / mouth / other, diagnostic ratio),
  :func:`vertical_profile`, :func:`region_rows` (tidy rows).
- Fixations: :func:`fixation_density`, :func:`load_fixations`; metrics :func:`nss`, :func:`cc`,
  :func:`sim`, :func:`kl_div`, :func:`auc_judd`, :func:`auc_borji`, :func:`auc_shuffled`
  (MIT saliency benchmark definitions); :func:`compare_attention` (``cams.npz`` vs a fixation
  file) and, for a study, :func:`check_fixations`, :func:`cam_sets`,
  :func:`match_fixation_frames`, :func:`attention_rows`.
- Figures: :mod:`facepsych.attention.plots` (overlays, CAM grids, region-share bars).
"""

from facepsych.attention.cam import CamResult, GradCam, LayerCam, compute_cams, fuse_cams
from facepsych.attention.compare import (
    METRIC_COLUMNS,
    compare_attention,
    fixation_rows,
    load_cams,
    match_names,
)
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
from facepsych.attention.matching import (
    ATTENTION_KEYS,
    attention_rows,
    cam_sets,
    check_fixations,
    frame_name,
    match_fixation_frames,
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
from facepsych.attention.pipeline import ImageItem, collect_images, run_cams
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
    "ATTENTION_KEYS",
    "METRIC_COLUMNS",
    "REGION_COLUMNS",
    "CamResult",
    "CamSettings",
    "GradCam",
    "ImageItem",
    "LayerCam",
    "VerticalProfile",
    "attention_rows",
    "auc_borji",
    "auc_judd",
    "auc_shuffled",
    "cam_continuum",
    "cam_images",
    "cam_sets",
    "cam_steps",
    "cc",
    "check_fixations",
    "collect_images",
    "companion_masks",
    "compare_attention",
    "compute_cams",
    "default_cam_layer",
    "fixation_density",
    "fixation_map",
    "fixation_rows",
    "frame_name",
    "fuse_cams",
    "kl_div",
    "landmark_masks",
    "load_cams",
    "load_fixations",
    "match_fixation_frames",
    "match_names",
    "nss",
    "region_rows",
    "region_shares",
    "run_cams",
    "sim",
    "vertical_profile",
]
