"""``facepsych demo``: the packaged demo config, through the ordinary runner.

The demo config (``facepsych/configs/demo.yaml``) generates the synthetic lab data, pre-trains
object- and face-based backbones (cached in the user cache), trains valence heads for alexnet,
vgg11, vgg13, vgg16 and fe-alexnet (pool5, r = 16) on both pre-trainings, judges continua in the
full / eyes / nose / mouth conditions, fits psychometric functions against the published human
reference, computes LayerCAM region shares and writes ``report.html``.

- ``quick``: alexnet and fe-alexnet only, the first entry of each with its first seed (and only
  those backbones are pre-trained).
- ``scale="tiny"``: a seconds-long version for tests (tiny counts, 1 epoch, 5-step continua);
  its report says so in the scale table.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from facepsych.errors import FacepsychError
from facepsych.models.sources import parse_weights

SCALES = ("default", "tiny")
QUICK_ARCHS = ("alexnet", "fe-alexnet")


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
    sources = [parse_weights(w) for m in raw["models"] for w in m["weights"].values()]
    used = {s.name for s in sources if s.kind == "pretrained"}
    raw["pretrain"] = {k: v for k, v in raw["pretrain"].items() if k in used}


def _tiny(raw: dict[str, Any]) -> dict[str, Any]:
    raw["name"] = raw["name"] + "-tiny"
    _first_entries(raw)
    raw["data"]["synthetic"].update({"identities": 6, "images_per_identity": 6, "image_size": 64})
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
         "× 5 steps, 1 seed)", "paper": "see the default demo and the paper"}
    ]  # fmt: skip
    return raw


def demo_config(*, quick: bool = False, scale: str = "default") -> dict[str, Any]:
    """The demo config as a mapping (``quick`` and ``scale`` applied)."""
    if scale not in SCALES:
        raise FacepsychError(f"unknown demo scale {scale!r} (choose {', '.join(SCALES)})")
    raw = yaml.safe_load(demo_config_path().read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    if quick:
        raw["name"] = raw["name"] + "-quick"
        _first_entries(raw, QUICK_ARCHS)
        raw["notes"]["scale"] = [
            r for r in raw["notes"]["scale"] if "vgg" not in str(r.get("this_run"))
        ] + [{"setting": "architectures", "this_run": "alexnet, fe-alexnet (--quick)",
              "paper": "alexnet, vgg11, vgg13, vgg16, fe-alexnet"}]  # fmt: skip
    if scale == "tiny":
        raw = _tiny(raw)
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
) -> Path:
    """Run the demo into ``out`` (default ``facepsych-runs/demo[-quick]``); return the folder.

    A second call with the same folder resumes (finished cells are kept, the report rebuilt);
    pre-trained backbones and lab data come from the user cache.
    """
    from facepsych.experiment.loading import config_from_dict
    from facepsych.experiment.runner import run_experiment

    raw = demo_config(quick=quick, scale=scale)
    cfg = config_from_dict(raw, base_dir=demo_config_path().parent, source="demo config")
    if out is None:
        out = Path("facepsych-runs") / ("demo-quick" if quick else "demo")
        if scale != "default":
            out = out.with_name(out.name + f"-{scale}")
    return run_experiment(
        cfg, out, workers=workers, resume=True, force=force, progress=progress, log=log,
        device=device,
    )  # fmt: skip
