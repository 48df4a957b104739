"""CLI smoke tests: help, lazy imports, the models/weights commands, the one-line error path."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import torchvision

from tests.cli_run import run


def test_help_lists_the_commands(capsys):
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    assert "models" in out and "weights" in out


def test_help_does_not_import_torch():
    code = "import sys, facepsych.cli; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "False"


def test_models_table(capsys):
    code, out, _ = run(["models"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["model", "domain", "input", "trainable", "frozen"]
    models = [line.split()[0] for line in lines[1:]]
    assert models[:3] == ["alexnet:random", "alexnet:imagenet", "vgg11:random"]
    assert "vgg16:vggface" in models and "fe-alexnet:imagenet" in models
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["alexnet:imagenet"][1:3] == ["object", "224"]
    assert rows["vgg16:vggface"][1] == "face" and rows["fe-alexnet:random"][1] == "none"


def test_models_layers(capsys):
    code, out, _ = run(["models", "--layers", "fe-alexnet", "--excitation", "conv5,fc6"], capsys)
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "(1, 256, 13, 13)" in rows["features.11"]
    assert "excite.conv5" in rows and "excite.fc6" in rows and "excite.pool5" not in rows


def test_weights_check_success_and_failure(tmp_path, capsys):
    path = tmp_path / "alexnet_features.pth"
    with torch.device("meta"):
        shapes = {k: v.shape for k, v in torchvision.models.alexnet().features.state_dict().items()}
    state = {f"features.{k}": torch.randn(tuple(s)) for k, s in shapes.items()}
    torch.save(state, path)
    code, out, _ = run(["weights", "check", "alexnet", f"file:{path}", "--hidden", "8"], capsys)
    assert code == 0
    assert "loaded tensors 10" in out and "sha256" in out and "preprocessing  imagenet" in out

    del state["features.0.bias"]
    torch.save(state, path)
    code, out, err = run(["weights", "check", "alexnet", f"file:{path}"], capsys)
    assert code == 2 and out == ""
    assert err.splitlines()[0] == f"error: weights file:{path} do not fit alexnet (1 problems):"
    assert "missing     features.0.bias" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["weights", "check", "alexnet", "file:/no/such.pth"], "error: weight file not found: "
         "/no/such.pth\n"),
        (["weights", "check", "resnet9000", "random"], "error: unknown architecture "
         "'resnet9000'; use one of alexnet, vgg11, vgg13, vgg16, fe-alexnet, mobilenet_v2, "
         "dlib-resnet, inception-resnet-v1, efficientnet-lite0 or a torchvision classification "
         "model with `features` and `classifier` (e.g. vgg19, efficientnet_b0)\n"),
    ],
)  # fmt: skip
def test_user_errors_are_one_line_exit_2(argv, message, capsys):
    code, out, err = run(argv, capsys)
    assert (code, out, err) == (2, "", message)


def test_unknown_command_is_a_usage_error(capsys):
    code, _, err = run(["no-such-command"], capsys)
    assert code == 2 and "No such command" in err
    assert "Traceback" not in err


def test_unknown_option_is_a_usage_error(capsys):
    code, _, err = run(["models", "--bogus"], capsys)
    assert code == 2 and "No such option" in err and "Traceback" not in err


def test_system_refused_output_path_is_one_line(tmp_path, capsys):
    """Regression (QA): an --out that names an existing folder (where a file goes) gave an
    IsADirectoryError traceback from fit, predict, continuum, morph, cam; now one line, exit 2."""
    data = tmp_path / "counts.csv"
    data.write_text("level,k,n\n0,1,10\n0.5,5,10\n1,9,10\n")
    code, out, err = run(["fit", str(data), "--bootstrap", "0", "--out", str(tmp_path)], capsys)
    assert code == 2 and err == f"error: {tmp_path} is a folder, not a file\n"


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (OSError(28, "No space left on device", "/data/run/best.pt"),
         "error: /data/run/best.pt: no space left on the device"),
        (PermissionError(13, "Permission denied", "/data/run"),
         "error: /data/run: permission denied"),
        (OSError(28, "No space left on device"), "error: No space left on device"),
    ],
)  # fmt: skip
def test_any_os_error_is_one_line_naming_the_path(monkeypatch, capsys, exc, line):
    """ENOSPC / EACCES from any writer: one line, exit 2, no traceback."""
    import facepsych.cli as cli

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(cli, "app", fail)
    code, out, err = run([], capsys)
    assert code == 2 and err == line + "\n" and out == ""


def test_disk_full_in_fit_is_one_line_and_leaves_no_file(tmp_path, capsys, monkeypatch):
    """Regression: ENOSPC gave a traceback in fit and left a 0-byte fits file."""
    import errno

    import pandas as pd

    data = tmp_path / "counts.csv"
    data.write_text("level,k,n\n0,1,10\n0.5,5,10\n1,9,10\n")

    def full(self, path, *args, **kwargs):
        open(path, "w").close()  # what a failing write leaves: an empty file
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    out = tmp_path / "fits.csv"
    code, _, err = run(["fit", str(data), "--bootstrap", "0", "--out", str(out)], capsys)
    assert code == 2 and err == f"error: {out}: no space left on the device\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counts.csv"]


# ------------------------------------------------------------------ train --force, fit --plot


def _train_args(data, out) -> list[str]:
    return ["train", "--arch", "alexnet", "--weights", "random", "--data", str(data),
            "--format", "folder", "--epochs", "1", "--batch-size", "8", "--image-size", "64",
            "--hidden", "4", "--out", str(out)]  # fmt: skip


def test_train_refuses_a_used_out_folder_unless_forced(tmp_path, capsys):
    """Without --force a finished run (or any non-empty folder) is kept; with it the run is
    replaced and the unrelated file stays."""
    from tests.train.conftest import write_striped_folder

    data = write_striped_folder(tmp_path / "striped", n_per_class=4, n_ids=4)
    out = tmp_path / "run"
    assert run(_train_args(data, out), capsys)[0] == 0
    first = (out / "best.pt").read_bytes()
    code, stdout, err = run(_train_args(data, out), capsys)
    assert code == 2 and stdout == "" and err.count("\n") == 1
    assert err.startswith(f"error: {out} is not empty (") and "--force" in err
    assert (out / "best.pt").read_bytes() == first

    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep")
    code, _, err = run(_train_args(data, other), capsys)
    assert code == 2 and err.startswith(f"error: {other} is not empty (mine.txt")
    code, stdout, _ = run([*_train_args(data, out), "--force"], capsys)
    assert code == 0 and f"-> {out}" in stdout and (out / "best.pt").is_file()


def _counts(tmp_path):
    data = tmp_path / "counts.csv"
    data.write_text("level,k,n\n0,1,10\n0.5,5,10\n1,9,10\n")
    return data


@pytest.mark.parametrize(
    ("name", "magic"),
    [("figure.png", b"\x89PNG\r\n\x1a\n"), ("figure", b"\x89PNG\r\n\x1a\n"),
     ("figure.v2", b"\x89PNG\r\n\x1a\n"), ("figure.pdf", b"%PDF")],
)  # fmt: skip
def test_fit_plot_is_written_at_exactly_the_printed_path(tmp_path, capsys, name, magic):
    """A plot path is a file, kept as given (no suffix added): the printed path exists, in the
    format its suffix names (PNG when it names none)."""
    plot = tmp_path / name
    code, stdout, _ = run(["fit", str(_counts(tmp_path)), "--bootstrap", "0", "--plot",
                           str(plot)], capsys)  # fmt: skip
    assert code == 0 and stdout.rstrip().endswith(f"-> {plot}")
    assert plot.read_bytes().startswith(magic)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["counts.csv", name])


def test_fit_plot_into_a_folder_writes_fits_png_there(tmp_path, capsys):
    folder = tmp_path / "figs"
    folder.mkdir()
    code, stdout, _ = run(["fit", str(_counts(tmp_path)), "--bootstrap", "0", "--plot",
                           str(folder)], capsys)  # fmt: skip
    assert code == 0 and stdout.rstrip().endswith(f"-> {folder / 'fits.png'}")
    assert [p.name for p in folder.iterdir()] == ["fits.png"]
    assert not (tmp_path / "figs.png").exists()


@pytest.mark.parametrize("spelling", ["file:{}", "imagenet:{}"])
def test_a_weights_folder_is_named_a_folder(tmp_path, capsys, spelling):
    code, out, err = run(["weights", "check", "alexnet", spelling.format(tmp_path)], capsys)
    assert (code, out, err) == (2, "", f"error: {tmp_path} is a folder, not a weights file\n")
