"""The one exception type the command line turns into a one-line error message."""

from __future__ import annotations

import errno
import os
from pathlib import Path


class FacepsychError(Exception):
    """A user-facing error: bad input, a missing file, an invalid option.

    The message must be one readable line (or a short readable list, e.g. a key diff) that says
    what is wrong and, where possible, how to fix it. The CLI prints it without a traceback and
    exits with status 2.
    """


_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOENT: "no such file or folder",
    errno.ENAMETOOLONG: "file name too long",
    errno.EEXIST: "already exists",
}


def _file_ancestor(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` (itself included) that is not a folder."""
    for p in (path, *path.parents):
        if p.exists() or p.is_symlink():
            return None if p.is_dir() else p
    return None


def os_error(exc: OSError, path: str | os.PathLike | None = None) -> FacepsychError:
    """One line naming the path for an ``OSError``: ``"<path>: <reason>"``.

    ``path`` defaults to the exception's own file name (``filename2`` for a rename). Where a
    parent of the path is a file (``ENOTDIR``, or ``EEXIST`` from making folders) the line says
    so: ``"cannot create out/run: out is a file, not a folder"``."""
    if path is None:
        path = exc.filename2 if exc.filename2 is not None else exc.filename
    if path is None:
        return FacepsychError(exc.strerror or str(exc))
    path = Path(os.fsdecode(path))
    if exc.errno == errno.ENOTDIR:
        blocker = _file_ancestor(path.parent)
        if blocker is not None:
            return FacepsychError(f"cannot create {path}: {blocker} is a file, not a folder")
    if exc.errno == errno.EEXIST and path.exists() and not path.is_dir():
        return FacepsychError(f"{path} is a file, not a folder")
    reason = _REASONS.get(exc.errno) or (exc.strerror or str(exc)).lower()
    return FacepsychError(f"{path}: {reason}")
