"""`facepsych weights check` on the real panel: exit 0 with the SHA-256 and each preprocessing's
formula; a package absent is one line naming it, exit 2."""

from __future__ import annotations

import pytest

from facepsych.cli import main
from facepsych.models.archs import PANEL

PREPROCESSING = {
    "mobilenet_v2": "imagenet: 224x224 RGB, x = v/255, (x - mean (0.485, 0.456, 0.406)) / std "
    "(0.229, 0.224, 0.225)",
    "efficientnet-lite0": "half: 224x224 RGB, x = v/255, (x - mean (0.5, 0.5, 0.5)) / std "
    "(0.5, 0.5, 0.5)",
    "dlib-resnet": "dlib: 150x150 RGB, (v - mean (122.782, 117.001, 104.298)) / 256, v in 0-255",
    "inception-resnet-v1": "prewhiten: 160x160 RGB, (v - mean(v)) / max(std(v), 1/sqrt(n)) per "
    "image (n = 3*S*S values, v in 0-255)",
}


@pytest.mark.parametrize("arch", sorted(PANEL))
def test_weights_check_prints_sha256_and_preprocessing(arch, capsys):
    weights = PANEL[arch].weights[0]
    main(["weights", "check", arch, weights.name])
    out = capsys.readouterr().out
    assert f"sha256         {weights.sha256}" in out
    assert f"preprocessing  {PREPROCESSING[arch]}\n" in out


@pytest.mark.parametrize("arch", sorted(PANEL))
def test_weights_check_without_the_package_is_one_line(arch, monkeypatch, capsys):
    from facepsych.models.archs import packaged

    monkeypatch.setattr(packaged, "package_file", lambda weights: None)
    monkeypatch.setattr(packaged, "hub_copy", lambda weights: None)
    weights = PANEL[arch].weights[0]
    with pytest.raises(SystemExit) as exc:
        main(["weights", "check", arch, weights.name])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {arch} {weights.name} weights come ")
    assert f"with the package {weights.package}, which is not installed" in err
