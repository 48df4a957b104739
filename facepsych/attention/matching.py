"""Model attention vs human fixations in a study (``analysis.fixations: FIXATIONS.csv``).

Every cell compares the fused CAM of each CAM'd frame (the ``analysis.cam`` steps of every
continuum in the ``analysis.cam.conditions``) with the human fixations recorded on that frame,
with the metrics of ``facepsych attention-compare`` (NSS, CC, SIM, KL, AUC-Judd, AUC-Borji,
shuffled AUC; :func:`facepsych.attention.fixation_rows`), and writes one row per
matched frame to ``cells/<cell_id>/attention.csv``.

Name matching, per continuum × condition (one "CAM set"): a fixation image name
``CONTINUUM/CONDITION/FILE`` (CONDITION one of full, eyes, nose, mouth; for lab and occluded
continua this is the frame's path under ``RUN/stimuli/``) names a frame of that set only (none
when the study CAMs no such set); any other name is looked up in every set. Within a set, FILE
(or the name) matches the frame whose path relative to its continuum folder it is, else the frame
with that unique file name, else with that unique stem
(the rules of :func:`facepsych.attention.match_names`). So ``step_00.png`` matches step 0
of every continuum and condition that is CAM'd. Shuffled AUC draws its negatives from the other
matched frames of the same set, so a set's rows equal ``compare_attention`` on that set's CAMs and
the fixation rows of its matched images. Fixation images that match no CAM'd frame are left out;
when none matches any frame of the study the run stops before training (:func:`check_fixations`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from facepsych.attention.compare import fixation_rows, match_names
from facepsych.attention.continuum import CamSettings, cam_steps
from facepsych.attention.fixations import check_points, load_fixations
from facepsych.errors import FacepsychError
from facepsych.stimuli.continuum import CONDITIONS

__all__ = [
    "ATTENTION_KEYS",
    "attention_rows",
    "cam_sets",
    "check_fixations",
    "frame_name",
    "match_fixation_frames",
]

ATTENTION_KEYS = ("continuum", "condition", "step", "level")


def frame_name(frame: str | Path, folder: str | Path) -> str:
    """A frame's path relative to its continuum folder (its file name when outside it)."""
    frame, folder = Path(frame), Path(folder)
    try:
        return frame.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return frame.name


def match_fixation_frames(
    fix_names: list[str], frame_sets: dict[tuple[str, str], list[str]]
) -> dict[tuple[str, str], dict[str, int]]:
    """Per CAM set (continuum, condition) -> {fixation name: index into that set's frame names}
    (see the module docstring for the rules). ``frame_sets`` must hold every CAM set of the
    study, so that ``CONTINUUM/CONDITION/FILE`` names bind to their own set only."""
    qualified: dict[tuple[str, str], dict[str, str]] = {}
    loose = []
    for name in fix_names:
        parts = name.split("/", 2)
        if len(parts) == 3 and parts[1] in CONDITIONS:
            qualified.setdefault((parts[0], parts[1]), {})[parts[2]] = name
        else:
            loose.append(name)
    out: dict[tuple[str, str], dict[str, int]] = {}
    for key, names in frame_sets.items():
        out[key] = match_names(loose, names)[0]
        rest = qualified.get(key, {})
        out[key].update({rest[r]: i for r, i in match_names(list(rest), names)[0].items()})
    return out


def cam_sets(stimuli: list[dict[str, Any]], settings: CamSettings) -> dict:
    """(continuum, condition) -> (frame names, frame paths) of the frames the cells CAM, for
    ``stimuli`` (the runner's stimulus sets as dicts: continuum, condition, path, reverse,
    every)."""
    from facepsych.stimuli import load_continuum

    sets = {}
    for s in stimuli:
        if s["condition"] not in settings.conditions:
            continue
        cont = load_continuum(s["path"], reverse=s.get("reverse", False), every=s.get("every", 1))
        steps = cam_steps(len(cont.frames), settings)
        frames = [cont.frames[i] for i in steps]
        names = [frame_name(f, s["path"]) for f in frames]
        sets[(s["continuum"], s["condition"])] = (names, frames)
    return sets


def _few(names: list[str], k: int = 3) -> str:
    return ", ".join(repr(n) for n in names[:k]) + (" …" if len(names) > k else "")


def check_fixations(
    fixations: str | Path, stimuli: list[dict[str, Any]], settings: CamSettings
) -> dict[str, Any]:
    """Before any cell runs: the fixation file reads, at least one of its images names a CAM'd
    frame of the study, and the fixations of every matched frame lie inside that frame.
    Returns a summary for the manifest (images, matched, unmatched names, matched frames)."""
    from PIL import Image

    table = load_fixations(fixations)
    fix_names = list(dict.fromkeys(table["image"]))
    sets = cam_sets(stimuli, settings)
    index = match_fixation_frames(fix_names, {k: v[0] for k, v in sets.items()})
    matched = sorted({n for per_set in index.values() for n in per_set})
    if not matched:
        frames = [f"{c}/{d}/{n}" for (c, d), (names, _) in sets.items() for n in names]
        raise FacepsychError(
            f"analysis.fixations: none of the {len(fix_names)} fixation image(s) names a CAM'd "
            f"frame (e.g. {_few(fix_names)}); CAM'd frames: {_few(frames) or 'none'} (give the "
            "frame file, e.g. step_00.png, or CONTINUUM/CONDITION/FILE)"
        )
    for key, per_set in index.items():
        for name, i in per_set.items():
            with Image.open(sets[key][1][i]) as img:
                w, h = img.size
            pts = table.loc[table["image"] == name, ["x", "y"]].to_numpy(float)
            check_points(pts, (h, w), image=name)
    unmatched = [n for n in fix_names if n not in set(matched)]
    return {
        "path": str(fixations),
        "images": len(fix_names),
        "matched": len(matched),
        "unmatched": unmatched[:20],
        "frames": sum(len(v) for v in index.values()),
    }


def attention_rows(
    table: pd.DataFrame,
    maps: np.ndarray,
    sizes: list[tuple[int, int]],
    keys: list[dict[str, Any]],
    index: dict[str, int],
) -> list[dict[str, Any]]:
    """Rows of one CAM set: ``keys[i]`` (continuum, condition, step, level of frame i) + the
    fixation metrics of every fixation image in ``index`` (name -> frame i), by frame order.

    ``maps`` (N, h, w) fused CAMs, ``sizes`` (N,) original (W, H) of the frames."""
    if not index:
        return []
    order = dict(sorted(index.items(), key=lambda kv: (kv[1], kv[0])))
    rows = fixation_rows(maps, np.asarray(sizes, int), order, table)
    return [{**keys[i], **row} for i, row in zip(order.values(), rows, strict=True)]
