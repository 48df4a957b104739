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
