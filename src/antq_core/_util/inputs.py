"""Reading input files: their bytes, or the problem that they cannot be read or are not UTF-8."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from antq_core.errors import LoadError, Location, Problem, cannot_read, safe_repr

__all__ = ["UTF8_BOM", "encoding_problem", "read_input", "undecodable", "utf_problem"]

UTF8_BOM: Final = b"\xef\xbb\xbf"
_OTHER_BOMS: Final = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def read_input(path: Path, error: type[LoadError]) -> bytes:
    """The bytes of the file ``path``.

    Raises:
        LoadError: ``error``, with the one problem that the file cannot be read.
    """
    try:
        return path.read_bytes()
    except OSError as e:
        raise error(str(path), [cannot_read(e)]) from e


def utf_problem(head: bytes) -> str | None:
    """Why a file that starts with ``head`` is not UTF-8 text, if its first bytes tell.

    A byte-order mark names UTF-16 or UTF-32; NUL bytes among the first
    characters are UTF-16 without a mark.
    """
    for bom, name in _OTHER_BOMS:
        if head.startswith(bom):
            return f"the file is {name}; save it as UTF-8"
    if b"\x00" in head[:64]:
        return "the file has NUL bytes: it looks like UTF-16; save it as UTF-8"
    return None


def encoding_problem(head: bytes) -> Problem | None:
    """The problem of a JSON document whose first bytes ``head`` show it is not UTF-8."""
    reason = utf_problem(head)
    if reason is None:
        return None
    return Problem.at("$", reason, "Tệp không phải UTF-8; hãy lưu lại dạng UTF-8")


def undecodable(error: UnicodeDecodeError, data: bytes, offset: int = 0) -> Problem:
    """The problem of a JSON document with bytes that are not UTF-8.

    Args:
        error: What decoding ``data`` raised.
        data: The bytes decoded.
        offset: Where ``data`` begins in the file (for a file read in chunks).
    """
    byte = offset + error.start
    return Problem(
        Location(path="$"),
        f"not UTF-8 (byte {byte}); save the file as UTF-8",
        f"Tệp không phải UTF-8 (byte {byte}); hãy lưu lại dạng UTF-8",
        safe_repr(data[error.start : error.start + 8]),
    )
