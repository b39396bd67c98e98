"""Knob checks and the Vietnamese text that strategies draw names from.

Part of :mod:`antq_core.testing.strategies`, which re-exports the public names.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Callable, Collection, Hashable
from typing import Final, Literal, TypeVar

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument

from antq_core import (
    AdminLevel,
)

_T = TypeVar("_T")
NormalForm = Literal["NFC", "NFD"]
NFC_ONLY: Final[tuple[NormalForm, ...]] = ("NFC",)
BOTH_FORMS: Final[tuple[NormalForm, ...]] = ("NFC", "NFD")

# -- text ---------------------------------------------------------------------

_VOWELS: Final = "aăâeêioôơuưy"
# No mark, huyền, sắc, hỏi, ngã, nặng.
_TONES: Final = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_CONSONANTS: Final = "bcdđghklmnpqrstvx"
_LETTERS: Final = "".join(
    sorted({unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONES})
    + list(_CONSONANTS)
)
# Real syllables of names in the seed data, so that examples read like Vietnamese.
_SYLLABLES: Final = (
    "Bản",
    "Bùi",
    "Cả",
    "Châu",
    "Đường",
    "Giang",
    "Hồ",
    "Khắc",
    "Lai",
    "Lèng",
    "Lượt",
    "Mù",
    "Mường",
    "Nguyễn",
    "Phong",
    "So",
    "Sơn",
    "Tà",
    "Tả",
    "Tam",
    "Tây",
    "Thầu",
    "Thị",
    "Thổ",
    "Tiến",
    "Tô",
    "Tổng",
    "Vàng",
    "Vân",
    "Xưởng",
)
_ID_FIRST: Final = string.ascii_letters + string.digits
_ID_REST: Final = _ID_FIRST + "._-"

KIND_WORDS: Final = {
    AdminLevel.PROVINCE: ("tỉnh", "thành phố"),
    AdminLevel.DISTRICT: ("huyện", "quận", "thị xã", "thành phố"),
    AdminLevel.COMMUNE: ("xã", "phường", "thị trấn"),
    AdminLevel.VILLAGE: ("thôn", "bản", "tổ dân phố"),
}


def check_strategy(name: str, value: object) -> None:
    if value is not None and not isinstance(value, st.SearchStrategy):
        msg = (
            f"{name} must be a Hypothesis strategy or None, not {type(value).__name__}; "
            "to fix a value use st.just(...) or st.sampled_from(...)"
        )
        raise InvalidArgument(msg)


def check_size(name: str, value: object, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        msg = f"{name} must be an int >= {minimum}, not {value!r}"
        raise InvalidArgument(msg)


def or_default(
    strategy: st.SearchStrategy[_T] | None, default: st.SearchStrategy[_T]
) -> st.SearchStrategy[_T]:
    return default if strategy is None else strategy


def optional(strategy: st.SearchStrategy[_T]) -> st.SearchStrategy[_T | None]:
    return st.none() | strategy


def unique_tuples(
    elements: st.SearchStrategy[_T],
    *,
    min_size: int = 0,
    max_size: int = 3,
    unique_by: Callable[[_T], Hashable] | None = None,
) -> st.SearchStrategy[tuple[_T, ...]]:
    def build() -> st.SearchStrategy[tuple[_T, ...]]:
        # Deferred: asking whether a strategy is empty evaluates it, which
        # Hypothesis warns about while it loads plugins (this module is one).
        if min_size == 0 and elements.is_empty:  # references into an empty list
            return st.just(())
        if unique_by is None:
            lists = st.lists(elements, min_size=min_size, max_size=max_size, unique=True)
        else:
            lists = st.lists(elements, min_size=min_size, max_size=max_size, unique_by=unique_by)
        return lists.map(tuple)

    return st.deferred(build)


def entity_ids() -> st.SearchStrategy[str]:
    """Entity ids: ASCII letters, digits, ``.``, ``_`` and ``-``, starting with a letter or digit.

    Returns:
        A strategy of ids that every entity's ``id`` field and every
        reference accept (at most 20 characters, well under the limit of 100).
    """
    return st.builds(
        str.__add__,
        st.sampled_from(_ID_FIRST),
        st.text(alphabet=_ID_REST, max_size=19),
    )


_WORDS: Final = st.sampled_from(_SYLLABLES) | st.text(alphabet=_LETTERS, min_size=1, max_size=6)


def _join_name(parts: tuple[list[str], bool, NormalForm]) -> str:
    words, capitalised, form = parts
    if capitalised:
        words = [w[0].upper() + w[1:] for w in words]
    return unicodedata.normalize(form, " ".join(words))


def vietnamese_names(
    *,
    forms: Collection[NormalForm] = ("NFC", "NFD"),
    max_words: int = 4,
) -> st.SearchStrategy[str]:
    """Names written with Vietnamese letters: tone marks, ``ă``, ``ơ``, ``ư``, ``đ``...

    Words are real syllables (``"Mường"``, ``"Tả"``) or random strings of
    Vietnamese letters, joined by single spaces, with no space at either
    end. Each name is in one of ``forms``: NFC (precomposed, as entities
    store names) or NFD (base letters plus combining marks, as some keyboards
    type them), so code that compares names must normalise them first.

    Args:
        forms: The Unicode normal forms to write names in.
        max_words: The most words in a name (at least 1).

    Returns:
        A strategy of non-empty names.

    Raises:
        InvalidArgument: ``forms`` is empty or names a form other than
            ``"NFC"`` and ``"NFD"``, or ``max_words`` is below 1.
    """
    chosen = tuple(forms)
    if not chosen or any(f not in ("NFC", "NFD") for f in chosen):
        msg = f"forms must be a non-empty collection of 'NFC' and 'NFD', not {forms!r}"
        raise InvalidArgument(msg)
    check_size("max_words", max_words, 1)
    return st.tuples(
        st.lists(_WORDS, min_size=1, max_size=max_words), st.booleans(), st.sampled_from(chosen)
    ).map(_join_name)


NAMES: Final = vietnamese_names()
# Free text (notes, descriptions, statements): real syllables only, which keeps
# examples small; names above exercise random letters.
texts: Final = st.tuples(
    st.lists(st.sampled_from(_SYLLABLES), min_size=1, max_size=8),
    st.booleans(),
    st.sampled_from(BOTH_FORMS),
).map(_join_name)
