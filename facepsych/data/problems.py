"""Bad-input handling shared by the loaders: fail with one clear line, or skip and record."""

from __future__ import annotations

from facepsych.errors import FacepsychError


class BadInput:
    """Collects bad rows/files. ``skip_bad=False``: the first one raises ``FacepsychError`` with
    ``"<where>: <reason>"``; ``skip_bad=True``: it is appended to :attr:`skipped` (item, reason).
    """

    def __init__(self, skip_bad: bool) -> None:
        self.skip_bad = skip_bad
        self.skipped: list[dict] = []

    def __call__(self, where: str, reason: str) -> None:
        if not self.skip_bad:
            raise FacepsychError(f"{where}: {reason} (use --skip-bad to skip bad inputs)")
        self.skipped.append({"item": where, "reason": reason})
