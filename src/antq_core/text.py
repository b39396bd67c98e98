"""Vietnamese text, and numbers, quantities, dates and periods as reports write them.

Names typed on different machines differ in Unicode form and in diacritics;
:func:`nfc` gives the form entities store and :func:`fold` a key to find a name
by. Reports write figures the Vietnamese way (``"5.817"``, ``"trên 58 nghìn
m2"``, ``"quý III năm 2017"``); the ``parse_*`` functions read them and the
``format_*`` functions write them, in Vietnamese or English (:data:`Lang`).
:func:`parse_phrase` keeps a report's own words, so that :func:`format_phrase`
writes "gần 7 tỷ đồng" back as it was.

>>> from antq_core.text import fold, format_quantity, parse_quantity
>>> fold("Tam Đường") == fold("tam duong")
True
>>> format_quantity(parse_quantity("trên 58 nghìn m2"), "en")
'more than 58,000 m²'

.. versionadded:: 0.1.0
"""

from antq_core._values.phrases import (
    Lang,
    Phrase,
    format_date,
    format_number,
    format_period,
    format_phrase,
    format_quantity,
    parse_number,
    parse_phrase,
    parse_quantity,
)
from antq_core._values.text import fold, nfc

__all__ = [
    "Lang",
    "Phrase",
    "fold",
    "format_date",
    "format_number",
    "format_period",
    "format_phrase",
    "format_quantity",
    "nfc",
    "parse_number",
    "parse_phrase",
    "parse_quantity",
]
