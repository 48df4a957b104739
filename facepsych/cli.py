"""The ``facepsych`` command line (typer).

Thin by design: each command parses its options, calls one library function, and prints. Errors
the user can fix are raised as :class:`facepsych.errors.FacepsychError` and shown as one line
(``error: …``) with exit status 2, never as a traceback.

Commands are grouped in sections, one per stage of the paradigm (see DESIGN.md). Library imports
happen inside the command functions so that ``facepsych --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path  # noqa: F401  (used by the command sections)
from typing import Annotated, Optional  # noqa: F401

import typer

from facepsych.errors import FacepsychError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Computational psychophysics of face-emotion CNNs (Ying, Li & Chen 2023, arXiv:2310.13674).",
)
weights_app = typer.Typer(no_args_is_help=True, help="Check or fetch pre-trained weight files.")
app.add_typer(weights_app, name="weights")


# ---------------------------------------------------------------- models and weights (issue 2)


def _excitation_option(value: str | None) -> list[str] | None:
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


@app.command("models")
def models_command(
    layers: Annotated[
        str | None,
        typer.Option("--layers", metavar="ARCH", help="List ARCH's modules and output shapes."),
    ] = None,
    hidden: Annotated[int | None, typer.Option(help="Classifier hidden width.")] = None,
    excitation: Annotated[
        str | None,
        typer.Option(help="fe-alexnet positions, comma-separated (conv1..conv5, pool5, fc6)."),
    ] = None,
    reduction: Annotated[int, typer.Option(help="fe-alexnet reduction ratio r.")] = 16,
    image_size: Annotated[int, typer.Option(help="Input size for --layers.")] = 224,
) -> None:
    """Table of architectures (parameters, weight sources), or one ARCH's layers (--layers)."""
    from facepsych.models.zoo import format_table, layer_table, model_table

    if layers is None:
        typer.echo(format_table(model_table(hidden=hidden, reduction=reduction)))
        return
    kwargs = {"hidden": hidden, "reduction": reduction}
    if layers == "fe-alexnet":
        kwargs["excitation"] = _excitation_option(excitation)
    typer.echo(format_table(layer_table(layers, image_size=image_size, **kwargs)))


@weights_app.command("check")
def weights_check_command(
    arch: Annotated[str, typer.Argument(help="Architecture, e.g. alexnet, vgg16, fe-alexnet.")],
    source: Annotated[
        str, typer.Argument(help="imagenet | imagenet:PATH | file:PATH | vggface:PATH | random")
    ],
    hidden: Annotated[int | None, typer.Option(help="Classifier hidden width.")] = None,
    num_classes: Annotated[int, typer.Option(help="Outputs of the last layer.")] = 2,
) -> None:
    """Load SOURCE into ARCH strictly and print what was loaded (keys, SHA-256, preprocessing)."""
    import warnings

    from facepsych.models import build_model
    from facepsych.models.zoo import weights_summary

    with warnings.catch_warnings():  # the summary lists the warnings itself
        warnings.simplefilter("ignore")
        net = build_model(arch, source, hidden=hidden, num_classes=num_classes)
    typer.echo(weights_summary(net))


@weights_app.command("download")
def weights_download_command(
    arch: Annotated[str, typer.Argument(help="Architecture whose ImageNet file to fetch.")],
) -> None:
    """Opt-in, needs network: fetch torchvision's IMAGENET1K_V1 file into the torch hub cache."""
    from facepsych.models import download_imagenet, sha256_file

    path = download_imagenet(arch)
    typer.echo(f"{path}\nsha256 {sha256_file(path)}")


# ---------------------------------------------------------------- data, training, prediction (issue 3)


# ---------------------------------------------------------------- psychophysics (issue 4)


# ---------------------------------------------------------------- stimuli (issue 5)


# ---------------------------------------------------------------- attention (issue 6)


# ---------------------------------------------------------------- experiment runner and report (issue 7)


# ---------------------------------------------------------------- synthetic lab, pretraining, demo (issue 8)


# ---------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn :class:`FacepsychError` into ``error: …`` on stderr and exit status 2."""
    try:
        app(args=argv, standalone_mode=False)
    except FacepsychError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # click usage errors and friends
        import click

        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
