"""Writes that never destroy the previous file: a temporary beside the target, then a rename.

Every writer of the library goes through here. A file is written to a
temporary file in the target's own directory (so the rename stays on one file
system), flushed and fsynced, then moved over the target with
:func:`os.replace`, which is atomic on POSIX and Windows: a reader, a crash or
a full disk sees either the old file whole or the new one whole, never a part.
A directory is written as a new directory beside the target, then swapped in
with two renames; the old one is removed only once the new one is in place.

On failure the temporary file or directory is removed and
:class:`~antq_core.errors.ExportError` names the target. A process killed
outright (``SIGKILL``, power loss) cannot clean up: it may leave a hidden
``.NAME.<random>.tmp`` file beside the target, never a damaged target.

All bytes go through :func:`os.write` (:class:`_Raw`), so a test can inject a
failure into any writer, whichever library (csv, zipfile, pyarrow) drives it.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Final, Literal, cast, overload

from antq_core.errors import ExportError

__all__ = [
    "atomic_dir",
    "atomic_file",
    "atomic_files",
    "atomic_write",
    "new_file",
]

CHUNK: Final = 1 << 20
"""Bytes handed to one :func:`os.write`, and the size of the write buffer."""
_ATTEMPTS: Final = 100


def _reason(error: BaseException) -> str:
    """An OS error as words without the temporary file's name (the target is named already)."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return f"{type(error).__name__}: {error}"


def _fail(target: Path, error: BaseException) -> ExportError:
    return ExportError(str(target), _reason(error))


class _Raw(io.FileIO):
    """A file whose every write is one :func:`os.write` call, whole or raising."""

    def write(self, data: Any, /) -> int:  # bytes-like
        view = memoryview(data).cast("B")
        done = 0
        fd = self.fileno()
        while done < len(view):
            done += os.write(fd, view[done : done + CHUNK])
        return done


def _open(fd: int, mode: str, encoding: str, newline: str | None) -> IO[bytes] | IO[str]:
    """A buffered file (text for ``"w"``) over ``fd``: every byte goes through ``os.write``."""
    buffered = io.BufferedWriter(_Raw(fd, "wb", closefd=True), buffer_size=CHUNK)
    if mode == "w":
        return io.TextIOWrapper(buffered, encoding=encoding, newline=newline)
    return buffered


def new_file(
    path: str | os.PathLike[str], *, encoding: str = "utf-8", newline: str | None = None
) -> IO[str]:
    """A new text file to write inside :func:`atomic_dir`'s directory (it must not exist).

    Its bytes go through :func:`os.write` like every atomic write, and
    :func:`atomic_dir` fsyncs it before the swap.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0))
    return _open(fd, "w", encoding, newline)  # type: ignore[return-value]


def _temporary_name(target: Path, kind: str) -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.{kind}")


def _new_file(target: Path) -> tuple[Path, int]:
    """A new empty file beside ``target``, created exclusively: its path and descriptor."""
    for _ in range(_ATTEMPTS):  # pragma: no branch - a name clash 100 times over is no chance
        path = _temporary_name(target, "tmp")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0))
        except FileExistsError:  # pragma: no cover - 32 random bits met an existing name
            continue
        return path, fd
    raise FileExistsError(f"no free temporary name beside {target}")  # pragma: no cover


def _keep_mode(source: Path, temporary: Path) -> None:
    """Give ``temporary`` the permission bits of the ``source`` it replaces, if any."""
    try:
        mode = stat.S_IMODE(source.stat().st_mode)
    except OSError:
        return
    os.chmod(temporary, mode)


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX); a no-op where it is not supported."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows opens no directory
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _resolved(path: str | os.PathLike[str]) -> Path:
    """The file that ``path`` names: a symbolic link is followed, so it stays a link."""
    target = Path(path)
    return Path(os.path.realpath(target)) if target.is_symlink() else target


@overload
def atomic_file(
    path: str | os.PathLike[str],
    mode: Literal["wb"] = "wb",
    *,
    encoding: None = None,
    newline: None = None,
) -> contextlib.AbstractContextManager[IO[bytes]]: ...
@overload
def atomic_file(
    path: str | os.PathLike[str],
    mode: Literal["w"],
    *,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> contextlib.AbstractContextManager[IO[str]]: ...
def atomic_file(
    path: str | os.PathLike[str],
    mode: Literal["w", "wb"] = "wb",
    *,
    encoding: str | None = None,
    newline: str | None = None,
) -> contextlib.AbstractContextManager[IO[bytes]] | contextlib.AbstractContextManager[IO[str]]:
    """A file to write that replaces ``path`` only once it is written whole.

    The file object is a temporary file beside ``path``. When the ``with``
    block ends normally it is flushed, fsynced and renamed over ``path``; when
    the block raises, or writing fails, it is removed and ``path`` is as it was.

    Args:
        path: The file to write.
        mode: ``"wb"`` (bytes) or ``"w"`` (text).
        encoding: The text encoding for ``"w"`` (default UTF-8).
        newline: As for :func:`open`, for ``"w"``.

    Raises:
        ExportError: The file cannot be written (from ``OSError``); it names ``path``.
    """
    return cast(
        "contextlib.AbstractContextManager[IO[bytes]]",
        _atomic_file(_resolved(path), mode, encoding or "utf-8", newline),
    )


@contextlib.contextmanager
def _atomic_file(
    target: Path, mode: str, encoding: str, newline: str | None
) -> Iterator[IO[bytes] | IO[str]]:
    try:
        temporary, fd = _new_file(target)
    except OSError as e:
        raise _fail(target, e) from e
    try:
        file = _open(fd, mode, encoding, newline)
        with file:
            yield file
            file.flush()
            os.fsync(fd)
        _keep_mode(target, temporary)
        os.replace(temporary, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if isinstance(e, OSError):
            raise _fail(target, e) from e
        raise
    _sync_directory(target.parent)


def atomic_write(path: str | os.PathLike[str], data: bytes | memoryview | str) -> None:
    """Replace the file ``path`` with ``data`` (text is written as UTF-8), atomically.

    Raises:
        ExportError: The file cannot be written; ``path`` is unchanged.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_file(path) as file:
        file.write(payload)


def atomic_files(directory: str | os.PathLike[str], files: Mapping[str, bytes | str]) -> None:
    """Write several files into ``directory`` (created if needed), each replaced atomically.

    Every file is written to its temporary first; only when all of them are
    written whole are they renamed into place, so a full disk changes none of
    them. (The renames themselves need no space; only a crash between two of
    them can leave some files new and some old.) Other files of the
    directory are left alone.

    Raises:
        ExportError: A file cannot be written; it names the file.
    """
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _fail(folder, e) from e
    written: list[tuple[Path, Path]] = []
    try:
        for name, data in files.items():
            target = _resolved(folder / name)
            try:
                temporary, fd = _new_file(target)
            except OSError as e:
                raise _fail(target, e) from e
            written.append((temporary, target))
            payload = data.encode("utf-8") if isinstance(data, str) else data
            try:
                with _Raw(fd, "wb", closefd=True) as raw:
                    raw.write(payload)
                    os.fsync(fd)
            except OSError as e:
                raise _fail(target, e) from e
            _keep_mode(target, temporary)
        for temporary, target in written:
            try:
                os.replace(temporary, target)
            except OSError as e:
                raise _fail(target, e) from e
    except BaseException:
        for temporary, _ in written:
            with contextlib.suppress(OSError):
                temporary.unlink()
        raise
    _sync_directory(folder)


def _sync_tree(directory: Path) -> None:
    """Fsync every file of ``directory`` (written by others) and the directory itself."""
    for entry in sorted(directory.rglob("*")):
        if entry.is_file() and not entry.is_symlink():
            fd = os.open(entry, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _sync_directory(directory)


@contextlib.contextmanager
def atomic_dir(
    path: str | os.PathLike[str], *, replaceable: Callable[[Path], bool]
) -> Iterator[Path]:
    """A new directory to fill that replaces the directory ``path`` only once it is complete.

    The ``with`` block gets a fresh empty directory beside ``path``. When the
    block ends normally, every file in it is fsynced, the old ``path`` (if
    any) is renamed aside, the new directory renamed to ``path``, and the old
    one removed. If the block raises or a rename fails, the new directory is
    removed and the old one is back under its name, whole.

    Args:
        path: The directory to write.
        replaceable: Says whether an entry of an existing ``path`` may go with
            it (the files an earlier export wrote). If any entry may not, the
            directory is not replaced and :class:`ExportError` says why: a
            swap would delete what the caller never wrote.

    Raises:
        ExportError: The directory cannot be written; it names ``path``.
    """
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    if target.exists():
        if not target.is_dir():
            raise ExportError(str(target), "it exists and is not a directory")
        try:
            foreign = sorted(e.name for e in target.iterdir() if not replaceable(e))
        except OSError as e:
            raise _fail(target, e) from e
        if foreign:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")  # noqa: PLR2004
            raise ExportError(
                str(target),
                f"the directory holds other files ({shown}); write into a new or empty "
                "directory, or one that an earlier export wrote",
            )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fresh = _temporary_name(target, "tmp")
        fresh.mkdir()
    except OSError as e:
        raise _fail(target, e) from e
    old: Path | None = None
    try:
        yield fresh
        _sync_tree(fresh)
        if target.exists():
            _keep_mode(target, fresh)
            old = _temporary_name(target, "old")
            os.rename(target, old)
        try:
            os.rename(fresh, target)
        except BaseException:
            if old is not None:
                os.rename(old, target)
                old = None
            raise
    except BaseException as e:
        shutil.rmtree(fresh, ignore_errors=True)
        if isinstance(e, OSError):
            raise _fail(target, e) from e
        raise
    _sync_directory(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
