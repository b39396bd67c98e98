"""Vietnamese text: NFC normalisation and diacritic-insensitive keys."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

__all__ = ["NfcStr", "fold", "nfc"]

_SPACE = re.compile(r"\s+")
_FOLD_TABLE = str.maketrans({"đ": "d", "Đ": "d"})


def nfc(text: str) -> str:
    """Return ``text`` in Unicode normal form C, the form entities store.

    Vietnamese can be typed as precomposed letters (NFC, ``"ộ"`` as one code
    point) or as a base letter plus combining marks (NFD, common from macOS and
    some input methods). The two look identical but compare unequal; every name
    that enters an entity goes through this function.

    >>> nfc("Mu\u0300 Ca\u0309") == "Mù Cả"
    True
    """
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Return a diacritic-insensitive lookup key for ``text``.

    Removes tone and vowel marks, folds ``đ``/``Đ`` to ``d`` (it is a separate
    letter, not a ``d`` with a combining mark, so Unicode decomposition alone
    leaves it), lower-cases and collapses white space. Use it to *find* a name;
    never store or display the key.

    >>> fold("  Tả  Lèng ")
    'ta leng'
    >>> fold("Tam Đường") == fold("tam duong")
    True
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_TABLE))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACE.sub(" ", stripped.casefold()).strip()


NfcStr = Annotated[str, AfterValidator(nfc)]
"""A ``str`` field type that pydantic normalises to NFC on the way in."""
