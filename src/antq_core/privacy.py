"""Personal data: keyed pseudonyms for datasets, suppression of small counts of people.

What the library does with personal data everywhere else (names, identity
numbers and birth dates hidden from ``repr``, errors and exports unless asked
for) is described in :doc:`/safety`; this module holds the two tools a data
owner applies before sharing:

- :func:`pseudonymise`: every participant id replaced by a keyed pseudonym,
  everywhere it is referenced, and the personal fields dropped;
- :func:`suppress_small_counts`: counts of fewer than *k* people hidden in an
  aggregate table, with complementary suppression so that none can be worked
  out from a total.
"""

from __future__ import annotations

from antq_core._aggregate.suppress import (
    PEOPLE_DIMENSIONS,
    SuppressedRow,
    SuppressedTable,
    Suppression,
    WithheldTotal,
    suppress_small_counts,
)
from antq_core._dataset.pseudonym import pseudonymise
from antq_core._entities import MIN_PSEUDONYM_KEY_BYTES, pseudonym_id

__all__ = [
    "MIN_PSEUDONYM_KEY_BYTES",
    "PEOPLE_DIMENSIONS",
    "SuppressedRow",
    "SuppressedTable",
    "Suppression",
    "WithheldTotal",
    "pseudonym_id",
    "pseudonymise",
    "suppress_small_counts",
]
