"""read_state_dict on files that are not usable weights: one line each."""

from __future__ import annotations

import pytest
import torch

from facepsych.errors import FacepsychError
from facepsych.models.weights import read_state_dict


def test_a_text_file_used_as_weights_is_one_line(tmp_path):
    path = tmp_path / "h.pth"
    path.write_text("hash mismatch\n")
    with pytest.raises(FacepsychError) as err:
        read_state_dict(path)
    assert str(err.value) == f"cannot read {path}: not a PyTorch checkpoint (unrecognised content)"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_tensors_are_refused_by_key(tmp_path, bad):
    path = tmp_path / "w.pth"
    torch.save({"features.0.weight": torch.ones(3), "features.0.bias": torch.tensor([bad])}, path)
    with pytest.raises(FacepsychError) as err:
        read_state_dict(path)
    assert str(err.value) == (
        f"cannot use {path}: tensor features.0.bias holds NaN or infinite values"
    )


def test_integer_tensors_and_finite_files_pass(tmp_path):
    path = tmp_path / "ok.pth"
    torch.save({"bn.num_batches_tracked": torch.tensor(5), "w": torch.zeros(2)}, path)
    assert set(read_state_dict(path)) == {"bn.num_batches_tracked", "w"}
