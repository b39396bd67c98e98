"""Vietnamese text: NFC normalisation and diacritic-insensitive keys."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Final

from pydantic import AfterValidator

__all__ = ["NfcStr", "fold", "nfc", "tone_key"]

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


_TONES: Final = frozenset("\u0300\u0301\u0303\u0309\u0323")
"""The five tone marks as combining characters: huyền, sắc, ngã, hỏi, nặng."""


def tone_key(text: str) -> str:
    """A key equal for spellings that differ only in where a tone mark sits.

    Old and new Vietnamese orthography put the tone of ``oa``, ``oe``, ``uy``
    on different vowels (``"Hoà"`` and ``"Hòa"``, ``"Thuỷ"`` and ``"Thủy"``).
    Here each word's tone mark is taken off its vowel and written after the
    word; every other mark (``â``, ``ă``, ``ơ``, ``đ``...) stays, so ``"Mồ"``
    and ``"Mô"`` keep different keys. Case and white space are folded. Use it
    to compare names; never store or display the key.

    >>> tone_key("Hoà Bình") == tone_key("hòa  bình")
    True
    >>> tone_key("Mường Mô") == tone_key("Mường Mồ")
    False
    """
    words = []
    for word in _SPACE.split(text.strip()):
        decomposed = unicodedata.normalize("NFD", word.casefold())
        tones = "".join(c for c in decomposed if c in _TONES)
        rest = "".join(c for c in decomposed if c not in _TONES)
        words.append(unicodedata.normalize("NFC", rest) + tones)
    return " ".join(words)


NfcStr = Annotated[str, AfterValidator(nfc)]
"""A ``str`` field type that pydantic normalises to NFC on the way in."""
