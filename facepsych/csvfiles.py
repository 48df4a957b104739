"""Reading the CSV tables users bring (model curves, human trials, fixations, image lists): one
line for a binary file or a file pandas cannot parse, never a parse of garbage."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from facepsych.errors import FacepsychError


def check_text(path: str | Path) -> None:
    """Refuse a file whose first 8 KiB hold a NUL byte (an image, a binary dump)."""
    with open(path, "rb") as fh:
        if b"\x00" in fh.read(8192):
            raise FacepsychError(f"{path} is not a text table (binary content)")


def read_csv(path: str | Path, **kwargs) -> pd.DataFrame:
    """``pandas.read_csv(path, **kwargs)`` after :func:`check_text`; a parse or decoding failure
    is one :class:`FacepsychError` line naming the file."""
    check_text(path)
    try:
        return pd.read_csv(path, **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise FacepsychError(f"cannot read {path} as CSV: {str(exc).splitlines()[0]}") from None
