"""The words a form's template offers in its drop-downs, and how a reader takes them back.

Qualifiers and breakdowns are chosen from lists of Vietnamese (or English)
labels; the reader maps a label back to its code exactly (after NFC and
trimming, nothing looser), and still takes the codes themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from antq_core._values.quantity import Qualifier
from antq_core._values.text import nfc

__all__ = [
    "LISTS_HEADERS",
    "LISTS_SHEET",
    "QUALIFIER_LABELS",
    "Vocabulary",
    "breakdown_label",
    "pair_label",
]

QUALIFIER_LABELS: Final[Mapping[str, Mapping[Qualifier, str]]] = {
    "vi": {
        Qualifier.EXACT: "chính xác",
        Qualifier.AT_LEAST: "trên / ít nhất",
        Qualifier.AT_MOST: "dưới / nhiều nhất",
        Qualifier.APPROXIMATELY: "khoảng",
    },
    "en": {
        Qualifier.EXACT: "exact",
        Qualifier.AT_LEAST: "at least",
        Qualifier.AT_MOST: "at most",
        Qualifier.APPROXIMATELY: "approximately",
    },
}
"""The label of each qualifier in a template's drop-down, per language."""

LISTS_SHEET: Final = {"vi": "Danh mục", "en": "Lists"}
"""The sheet of a form's template that holds its drop-downs' choices and their codes."""

LISTS_HEADERS: Final = {
    "vi": (
        "Mức chính xác",
        "Mã",
        "",
        "Nhóm phân tổ",
        "Lựa chọn",
        "Mã nhóm",
        "Mã lựa chọn",
        "",
        "Phân tổ",
        "Của chỉ tiêu",
    ),
    "en": (
        "Qualifier",
        "Code",
        "",
        "Category",
        "Option",
        "Category code",
        "Option code",
        "",
        "Breakdown",
        "Of metric",
    ),
}
"""The lists sheet's headers: qualifiers (A, B); each option of the form's
categories (D to G); each metric's breakdowns, a block per metric (I, J)."""


def pair_label(category: str, option: str) -> str:
    """One category's option as the template writes it: ``"Giới tính: Nữ"``."""
    return f"{category}: {option}"


def breakdown_label(pairs: Iterable[tuple[str, str]]) -> str:
    """A breakdown as the template writes it, ``"Giới tính: Nữ; Nhóm tuổi: 15-24"``."""
    return "; ".join(pair_label(c, o) for c, o in pairs)


class Vocabulary:
    """Labels read back to codes: qualifiers (built in) and the breakdowns' options.

    A label that two options share is ambiguous: it reads back to neither.
    """

    def __init__(self) -> None:
        self._qualifiers: dict[str, Qualifier] = {}
        for labels in QUALIFIER_LABELS.values():
            for qualifier, label in labels.items():
                self._qualifiers[label] = qualifier
        for qualifier in Qualifier:
            self._qualifiers[qualifier.value] = qualifier
        self._pairs: dict[str, tuple[str, str] | None] = {}

    def add_option(self, label: str, category: str, option: str) -> None:
        """Read ``label`` (``"Giới tính: Nữ"``) back as ``category=option``."""
        key = nfc(label).strip()
        found = self._pairs.get(key, (category, option))
        self._pairs[key] = (category, option) if found == (category, option) else None

    def add_category(
        self, category: str, names: Iterable[str], options: Iterable[tuple[str, Iterable[str]]]
    ) -> None:
        """Every label of a category's options: each of its names with each option's names."""
        names = tuple(names)
        for option, option_names in options:
            for option_name in option_names:
                for name in names:
                    self.add_option(pair_label(name, option_name), category, option)

    def qualifier(self, text: str) -> Qualifier | None:
        """The qualifier a cell's text names (a label or a code), or ``None``."""
        return self._qualifiers.get(text)

    def breakdown(self, text: str) -> dict[str, str] | None:
        """The breakdown a cell's labels name (``"Giới tính: Nữ"``), or ``None``.

        Each ``;``-separated part must be one option's label exactly.
        """
        out: dict[str, str] = {}
        for part in text.split(";"):
            found = self._pairs.get(part.strip())
            if found is None or found[0] in out:
                return None
            out[found[0]] = found[1]
        return out or None

    def ambiguous(self, text: str) -> bool:
        """Whether a part of ``text`` is a label that two options share."""
        return any(
            part.strip() in self._pairs and self._pairs[part.strip()] is None
            for part in text.split(";")
        )
