"""Text: strings of the raw document that are not in Unicode NFC.

Loading normalises every name to NFC, so once loaded a dataset cannot say
which texts arrived decomposed (NFD, as some input methods type Vietnamese).
This check reads the document's text, when :func:`~antq_core.validate_json`
has it (:attr:`Context.document
<antq_core._validation.checks.context.Context.document>`), and reports
each such string with its JSON path.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any, Final

from antq_core._validation.checks.context import Context
from antq_core._validation.issues import Issue, IssueCode, Severity, declare, issue
from antq_core.errors import Location

__all__ = ["CODES", "check"]

CODES: Final = declare(
    IssueCode(
        "text-not-nfc",
        Severity.INFO,
        "Văn bản tại {path} không ở dạng chuẩn NFC; đã chuẩn hóa khi đọc.",
        "Text at {path} was not in Unicode NFC; it was normalised when read.",
    ),
)
"""The codes this check emits."""

_ASCII: Final = bytes(range(128))
_MARKS: Final = frozenset(("Mn", "Mc", "Me"))


def _may_change(char: str) -> bool:
    """Whether NFC may change text around ``char`` (its NFC quick check is not Yes).

    Those are the characters NFC rewrites on their own, and those that can be
    the second of a composed pair: combining marks, and Hangul vowel and
    final jamo.
    """
    return (
        unicodedata.category(char) in _MARKS
        or "\u1160" <= char <= "\u11ff"
        or unicodedata.normalize("NFC", char) != char
    )


def _all_nfc(data: bytes | str) -> bool:
    r"""Whether every string of a JSON document is certainly NFC, without parsing it.

    ASCII never changes under NFC and never composes with what precedes it,
    so only the distinct non-ASCII characters need a look: C-level byte
    deletion gets them, and NFC-only text (precomposed Vietnamese) has none
    that :func:`_may_change`. A ``\u`` escape could hide anything: then the
    answer is no, and the caller looks at each string.
    """
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    if b"\\u" in raw:
        return False
    others = raw.translate(None, _ASCII).decode("utf-8", "replace")
    return not any(_may_change(c) for c in set(others))


def check(context: Context) -> list[Issue]:
    """An info for each string of the raw document that is not NFC (the document loads)."""
    data, source = context.document, context.source
    if data is None or _all_nfc(data):
        return []
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.removeprefix("\ufeff")
    issues: list[Issue] = []
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):  # pragma: no cover - pydantic read it; json should too
        where = Location("file", path="$", file=source)
        return [issue("text-not-nfc", where, path="$")]
    notes: list[Issue] = []

    def found(path: str, row: int | None = None, field: str | None = None) -> None:
        where = Location("file", row=row, field=field, path=path, file=source)
        (issues if row is None else notes).append(issue("text-not-nfc", where, path=path))

    rows = document.pop("observations", [])
    # Observation fields are ids, codes and periods (ASCII, or loading fails) but the note.
    for i, row in enumerate(rows):
        note = row.get("note")
        if note is not None and not unicodedata.is_normalized("NFC", note):
            found(f"$.observations[{i}].note", i, "note")
    stack: list[tuple[str, Any]] = [("$", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if not unicodedata.is_normalized("NFC", value):
                found(path)
        elif isinstance(value, dict):
            stack.extend((f"{path}.{k}", v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(value))))
    return [*issues, *notes]
