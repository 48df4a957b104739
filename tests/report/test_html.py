"""report/html.py: caveats for lab backbones that did not learn their pre-training task."""

from __future__ import annotations

from facepsych.report.html import pretrain_caveats


def _info(classes, accs):
    return {
        "classes": classes,
        "history": [{"epoch": i + 1, "val_acc": a} for i, a in enumerate(accs)],
    }


def test_caveat_only_for_backbones_below_twice_chance():
    pre = {
        "face-vgg16": _info(16, [0.0625, 0.0625, 0.094]),  # best 0.094 < 0.125
        "face-alexnet": _info(16, [0.06, 0.31, 0.47]),  # learned
        "object-alexnet": _info(16, [0.06, 0.125, 0.12]),  # exactly 2 × chance: not flagged
        "no-history": {"classes": 16},
    }
    out = pretrain_caveats(pre)
    assert len(out) == 1
    assert out[0].startswith("Caveat: face-vgg16 did not learn its pre-training task")
    assert "best validation accuracy 0.094, chance 0.062" in out[0]
    assert pretrain_caveats({}) == [] and pretrain_caveats(None) == []
