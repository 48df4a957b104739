"""Atomic file writes for training runs (see :mod:`facepsych.atomic`, the one writer)."""

from __future__ import annotations

from facepsych.atomic import atomic_json as write_json
from facepsych.atomic import atomic_text as write_text
from facepsych.atomic import atomic_write, save_torch

__all__ = ["atomic_write", "save_torch", "write_json", "write_text"]
