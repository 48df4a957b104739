"""The one way facepsych writes files and folders: nothing half-written, nothing overwritten by
mistake.

- Files: :func:`atomic_write` calls ``writer(tmp)`` on a temp file beside the target, then
  ``os.replace(tmp, target)`` (atomic on POSIX): a reader, a crash or ``kill -9`` sees the old
  file or the new one, never part of one; a failed write (disk full) leaves the old file and no
  temp file. :func:`atomic_text`, :func:`atomic_json`, :func:`atomic_csv`, :func:`save_torch`
  are the usual writers on top of it.
- Folders: :func:`staged_folder` yields a sibling temp folder; on success it swaps it with the
  target in one ``renameat2(RENAME_EXCHANGE)`` (two renames where the system lacks it) and
  removes the old content; on failure the target is untouched and the temp folder removed.
  Temp folders a killed writer left (``.NAME.staging-PID-*``) go with the next write to that
  target (:func:`remove_stale_staging`).
- Inputs: :func:`refuse_overlap` refuses an output equal to, inside or containing an input.
- Locks: :func:`lock_folder` holds an exclusive ``flock`` on ``<folder>/.facepsych.lock``; a
  second writer of the same folder fails at once with one line. The file goes on release (and
  at exit); the lock itself dies with the process, so a killed writer never blocks a folder.
- Names: :func:`safe_name` turns a user-given name into one path component.

Every ``OSError`` raised while writing comes back as a one-line
:class:`~facepsych.errors.FacepsychError` naming the target (:func:`facepsych.errors.os_error`).
"""

from __future__ import annotations

import atexit
import contextlib
import csv
import ctypes
import ctypes.util
import errno
import fcntl
import io
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from facepsych.errors import FacepsychError, os_error

_UMASK = os.umask(0)
os.umask(_UMASK)
LOCK_NAME = ".facepsych.lock"


# ------------------------------------------------------------------------------------ folders


def ensure_folder(path: str | os.PathLike) -> Path:
    """``mkdir -p path``; a file on the way is a one-line error naming it."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_error(exc, exc.filename or path) from None
    return path


# ------------------------------------------------------------------------------------ files


def atomic_write(path: str | os.PathLike, writer: Callable[[Path], Any]) -> Path:
    """Call ``writer(tmp_path)`` on a temp file beside ``path``, then ``os.replace`` it onto
    ``path``. On any failure the temp file is removed, ``path`` keeps its old content, and an
    ``OSError`` becomes a one-line FacepsychError naming ``path``."""
    path = Path(path)
    ensure_folder(path.parent)
    if path.is_dir():
        raise FacepsychError(f"{path} is a folder, not a file")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise os_error(exc, path) from None
    os.close(fd)
    try:
        writer(Path(tmp))
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise os_error(exc, path) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_bytes(path: str | os.PathLike, data: bytes) -> Path:
    return atomic_write(path, lambda p: p.write_bytes(data))


def atomic_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def atomic_json(path: str | os.PathLike, data: object) -> Path:
    return atomic_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def atomic_csv(path: str | os.PathLike, table: Any, columns: Iterable[str] | None = None) -> Path:
    """A pandas DataFrame (written without its index), or rows (dicts, with ``columns``) as
    CSV."""
    if hasattr(table, "to_csv"):
        return atomic_write(path, lambda p: table.to_csv(p, index=False))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns or []), lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    return atomic_text(path, buf.getvalue())


def save_torch(path: str | os.PathLike, obj: object) -> Path:
    """``torch.save`` through a file handle: the archive carries no temp-file name, so the same
    object gives the same bytes."""
    import torch

    def write(p: Path) -> None:
        with p.open("wb") as fh:
            torch.save(obj, fh)

    return atomic_write(path, write)


# ------------------------------------------------------------------------------------ inputs


def _resolved(path: str | os.PathLike) -> Path:
    return Path(path).expanduser().resolve()


def refuse_overlap(output: str | os.PathLike, inputs: Iterable[str | os.PathLike]) -> None:
    """Raise when ``output`` is an input, lies inside an input folder, or contains an input
    (paths compared after resolving links and ``..``)."""
    out = _resolved(output)
    for given in inputs:
        if given is None:
            continue
        src = _resolved(given)
        if out == src:
            raise FacepsychError(f"the output {output} is the input {given}; choose another --out")
        if src in out.parents:
            raise FacepsychError(
                f"the output {output} lies inside the input {given}; choose another --out"
            )
        if out in src.parents:
            raise FacepsychError(
                f"the output {output} contains the input {given}; choose another --out"
            )


# ------------------------------------------------------------------------------------ staging

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _libc_renameat2():
    name = ctypes.util.find_library("c")
    try:
        fn = ctypes.CDLL(name, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn


_renameat2 = _libc_renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths atomically; False where the system cannot."""
    if _renameat2 is None:
        return False
    rc = _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _publish(tmp: Path, target: Path) -> None:
    """Put the folder ``tmp`` at ``target``, replacing what is there, then remove the old one."""
    if not target.exists():
        os.rename(tmp, target)
        return
    if _exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, old / target.name)
    os.rename(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def _carry(src: Path, dst: Path) -> None:
    """Hard-link (copy where links fail) a file or folder tree ``src`` to ``dst``."""

    def link(a: str, b: str) -> None:
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    if src.is_dir() and not src.is_symlink():
        shutil.copytree(src, dst, symlinks=True, copy_function=link)
    elif src.is_symlink():
        os.symlink(os.readlink(src), dst)
    else:
        link(str(src), str(dst))


def staging_prefix(target: str | os.PathLike) -> str:
    """``.NAME.staging-PID-``: the temp folders of a write to ``target`` carry their writer."""
    return f".{Path(target).name}.staging-{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_staging(target: str | os.PathLike) -> list[Path]:
    """Remove the staging folders a killed writer left beside ``target``
    (``.NAME.staging-PID-*`` whose process is gone, or without a PID); a live writer's are
    kept. Returns the removed paths."""
    target = Path(target)
    prefix = f".{target.name}.staging-"
    removed = []
    try:
        siblings = list(target.parent.iterdir())
    except OSError:
        return removed
    for entry in siblings:
        if not entry.name.startswith(prefix) or not entry.is_dir() or entry.is_symlink():
            continue
        pid = re.match(r"(\d+)-", entry.name[len(prefix) :])
        if pid is not None and (int(pid.group(1)) == os.getpid() or _alive(int(pid.group(1)))):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


@contextlib.contextmanager
def staged_folder(
    target: str | os.PathLike,
    *,
    inputs: Iterable[str | os.PathLike] = (),
    replaceable: Callable[[Path], bool] | None = None,
    keep_others: bool = False,
) -> Iterator[Path]:
    """Write a folder all at once: yield an empty sibling temp folder; when the block ends
    without error it takes ``target``'s place; when it fails, ``target`` is untouched and the
    temp folder removed.

    What an existing ``target`` holds: entries with ``replaceable(entry)`` true are replaced
    (they go with the old folder); the others are carried into the new folder (hard links,
    before the swap, so no moment loses them) when ``keep_others``, else the write is refused
    before it starts: a folder writer never deletes what it did not write. Also refused first:
    ``target`` overlapping one of ``inputs`` (:func:`refuse_overlap`) and ``target`` a file."""
    target = Path(target)
    refuse_overlap(target, inputs)
    if target.exists() and not target.is_dir():
        raise FacepsychError(f"{target} is a file, not a folder")

    def others() -> list[Path]:
        if not target.is_dir():
            return []
        return sorted(
            p
            for p in target.iterdir()
            if p.name != LOCK_NAME and (replaceable is None or not replaceable(p))
        )

    foreign = others()
    if foreign and not keep_others:
        shown = ", ".join(p.name for p in foreign[:3]) + (", …" if len(foreign) > 3 else "")
        raise FacepsychError(
            f"{target} holds files this command did not write ({shown}); choose a new or "
            "empty folder (nothing was written)"
        )
    ensure_folder(target.parent)
    remove_stale_staging(target)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=staging_prefix(target), dir=target.parent))
        os.chmod(tmp, 0o777 & ~_UMASK)
    except OSError as exc:
        raise os_error(exc, target) from None
    try:
        yield tmp
        for entry in others():
            if not (tmp / entry.name).exists():
                _carry(entry, tmp / entry.name)
        _publish(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise os_error(exc, target) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# ------------------------------------------------------------------------------------ locks


_HELD: dict[Path, list[int]] = {}  # lock file -> [fd, holders, pid] held by this process


def _unlock(key: Path) -> None:
    """Remove the lock file while still holding it, then let go (a waiter that opened the old
    file sees it is gone and locks a fresh one)."""
    fd, _, pid = _HELD.pop(key)
    if pid == os.getpid():  # a forked child only closes its copy: the parent keeps the lock
        with contextlib.suppress(OSError):
            os.unlink(key)
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


@atexit.register
def _release_all() -> None:
    for key in list(_HELD):
        _unlock(key)


class FolderLock:
    """An exclusive, non-blocking ``flock`` on ``<folder>/.facepsych.lock``, released by
    :meth:`release`, on leaving a ``with`` block, or when the process ends. Another process
    asking for a held lock gets a one-line FacepsychError; within one process the lock is
    shared (counted), so a resumed run in the same interpreter opens its folder again."""

    def __init__(self, folder: str | os.PathLike, what: str = "folder"):
        self.folder = Path(folder)
        self.what = what
        self._key: Path | None = None

    def acquire(self) -> FolderLock:
        if self._key is not None:
            return self
        ensure_folder(self.folder)
        path = self.folder / LOCK_NAME
        key = path.resolve()
        if key in _HELD and _HELD[key][2] == os.getpid():
            _HELD[key][1] += 1
            self._key = key
            return self
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666 & ~_UMASK)
            except OSError as exc:
                raise os_error(exc, path) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise FacepsychError(
                    f"{self.folder} is being written by another facepsych process; wait for it "
                    f"to finish or choose another {self.what}"
                ) from None
            try:  # the holder before us may have removed the file: lock the one at the path
                if os.stat(path).st_ino == os.fstat(fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        _HELD[key] = [fd, 1, os.getpid()]
        self._key = key
        return self

    def release(self) -> None:
        key, self._key = self._key, None
        if key is None or key not in _HELD:
            return
        _HELD[key][1] -= 1
        if _HELD[key][1] <= 0:
            _unlock(key)

    @property
    def held(self) -> bool:
        return self._key is not None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def lock_folder(folder: str | os.PathLike, what: str = "folder") -> FolderLock:
    """Take the folder's lock now (see :class:`FolderLock`); use as ``with lock_folder(d): …``."""
    return FolderLock(folder, what).acquire()


# ------------------------------------------------------------------------------------ names

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: object, what: str = "name") -> str:
    """One safe path component from a user-given name: accents dropped, every run of characters
    other than letters, digits, ``.``, ``_``, ``-`` (``/``, ``\\``, spaces …) becomes ``-``, and
    leading dots and dashes go (``../../x`` → ``x``, ``happy face`` → ``happy-face``). A name
    with nothing left is an error."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    slug = _UNSAFE.sub("-", text).strip("-")
    slug = re.sub(r"-{2,}", "-", slug).lstrip(".-")[:120].rstrip("-")
    if not slug:
        raise FacepsychError(
            f"{what} {str(name)!r} has no usable characters; use letters, digits, '.', '_', '-'"
        )
    return slug
