"""configs/shared-data.yaml on the real photographs (skips where ../shared/data is absent):
transfer on facial_expressions, a dlib-landmarked London neutral -> smiling morph, occlusion."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from facepsych.experiment import config_from_dict, load_config
from facepsych.study import run_study

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_shared_data_config_validates(shared_data):
    cfg = load_config(CONFIGS / "shared-data.yaml")
    assert Path(cfg.data.path).resolve() == (shared_data / "facial_expressions").resolve()


@pytest.mark.slow
def test_shared_data_study_small(london_faces, facial_expressions, tmp_path):
    raw = yaml.safe_load((CONFIGS / "shared-data.yaml").read_text())
    raw.pop("pretrain")
    raw["models"] = [{"arch": "alexnet", "weights": "random", "hidden": 8}]
    raw["training"].update({"epochs": 1, "hidden": 8})
    london = raw["stimuli"]["continua"][0]
    london["morph"].update({"steps": 5, "size": 128})
    raw["stimuli"].update({"continua": [london], "conditions": ["full", "mouth"]})
    raw["analysis"].update({"fit": {"bootstrap": 0}, "cam": {"steps": [0, 4]}})
    out = run_study(config_from_dict(raw, base_dir=CONFIGS), tmp_path / "run", progress=False)
    preds = pd.read_csv(out / "predictions.csv")
    assert len(preds) == 1 * 1 * 2 * 5
    assert set(preds["continuum"]) == {"london-001"}
    regions = pd.read_csv(out / "regions.csv")
    assert len(regions) == 2 and regions[["eyes", "nose", "mouth"]].notna().all().all()
    assert (out / "stimuli" / "london-001" / "mouth" / "manifest.csv").is_file()
    assert "data:image/png;base64," in (out / "report.html").read_text()
