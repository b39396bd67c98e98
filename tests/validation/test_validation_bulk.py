"""The bulk paths of validation against their references.

Checks decide the common case in C on one integer key per row
(``antq_core._dataset.keys``) and leave the rest to a slower path that words each
issue. These tests hold the keys to the tuples they stand for, and the
rules' bulk comparison to the one-key-at-a-time evaluation on intervals.
"""

from __future__ import annotations

import copy
import random
import sys
from array import array
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from antq_core import Dataset, MissingValueStrategy, ValidationRule, sample, validate
from antq_core._dataset.keys import byte_width, key_codes, low_shift, rows_with, take
from antq_core._validation.rules import check_rules
from antq_core.errors import InvalidValueError, MissingExtraError
from antq_core.testing.strategies import datasets

# -- keys ------------------------------------------------------------------------------------

_BOUNDS = (1, 2, 255, 256, 257, 65_535, 65_537, 2**24 + 1, 2**32 - 1)


@st.composite
def _columns(draw: st.DrawFn) -> list[tuple[memoryview, int]]:
    n = draw(st.integers(0, 30))
    columns = []
    for _ in range(draw(st.integers(1, 5))):
        bound = draw(st.sampled_from(_BOUNDS))
        kind = "B" if bound <= 256 else "H" if bound <= 65_536 else "I"
        # Few distinct codes, so that rows repeat; the largest one is among them.
        pool = draw(st.lists(st.integers(0, bound - 1), min_size=1, max_size=4))
        codes = draw(st.lists(st.sampled_from([*pool, bound - 1]), min_size=n, max_size=n))
        columns.append((memoryview(array(kind, codes)), bound))
    return columns


@settings(max_examples=200)
@given(_columns())
def test_keys_are_equal_and_ordered_as_their_tuples(columns: list[tuple[memoryview, int]]) -> None:
    # Five columns of up to four bytes need more than eight: the leading ones are ranked.
    keys = list(key_codes(*columns))
    tuples = list(zip(*(c for c, _ in columns), strict=True))
    assert len(keys) == len(tuples)
    for a, ka in zip(tuples, keys, strict=True):
        for b, kb in zip(tuples, keys, strict=True):
            assert (ka == kb) == (a == b)
            assert (ka < kb) == (a < b)
    last, bound = columns[-1]
    shift = low_shift(bound)
    assert shift == 8 * byte_width(bound)
    assert [k & ((1 << shift) - 1) for k in keys] == list(last)
    if len(columns) == 2:  # two columns give the first one back too
        assert [k >> shift for k in keys] == list(columns[0][0])


@st.composite
def _coded_column(draw: st.DrawFn) -> tuple[memoryview, int, set[int]]:
    """A column, its bound, and codes to find; codes' bytes drawn from {0, 1, 2} per lane.

    Few byte values make rows whose bytes each belong to some code without the
    row holding one (0x0102 and 0x0201 sought, 0x0101 held).
    """
    bound = draw(st.sampled_from((1, 200, 256, 257, 65_536, 65_537, 2**24 + 1)))
    lanes = byte_width(bound)
    small = st.lists(st.integers(0, 2), min_size=lanes, max_size=lanes).map(
        lambda bs: min(bound - 1, sum(b << 8 * j for j, b in enumerate(bs)))
    )
    kind = "B" if bound <= 256 else "H" if bound <= 65_536 else "I"
    column = memoryview(array(kind, draw(st.lists(small, max_size=30))))
    return column, bound, set(draw(st.lists(small, max_size=3)))


@settings(max_examples=200)
@given(_coded_column())
def test_rows_with_finds_the_rows_holding_the_codes(
    coded: tuple[memoryview, int, set[int]],
) -> None:
    column, bound, codes = coded
    expected = [i for i, code in enumerate(column) if code in codes]
    assert rows_with(column, codes, bound) == expected
    assert list(take(column, expected)) == [column[i] for i in expected]


def test_key_widths() -> None:
    assert [byte_width(b) for b in (0, 1, 256, 257, 65_536, 65_537, 2**32)] == [
        1,
        1,
        1,
        2,
        2,
        3,
        4,
    ]


# -- rules -----------------------------------------------------------------------------------

_SUBJECTS = ("unit:12", "unit:105")
_PERIODS = ("2017", "2017Q1")
_QUALIFIERS = ("at_least", "at_most", "approximately")
_CASES = ("mediation_cases", "mediation_succeeded", "mediation_failed")
_EMPLOYED = "released_prisoners_employed"
_SOURCES = ("policy_bank_or_credit_fund", "family", "own_effort")
_SIDES = (
    "mediation_cases",
    "mediation_succeeded",
    "mediation_succeeded + mediation_failed",
    "mediation_failed + mediation_failed",
)
_OTHER_SIDES = ("mediation_cases * 1", "mediation_succeeded + 2")
_EMPLOYED_SIDES = (
    _EMPLOYED,
    f"{_EMPLOYED}[capital_source=family]",
    " + ".join(f"{_EMPLOYED}[capital_source={o}]" for o in _SOURCES),
)
_AREAS = ("poppy_area_destroyed", "poppy_area_found")
_AREA_SIDES = (*_AREAS, " + ".join(_AREAS))
_OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "compulsory_pair", "exclusive_pair")


_FIGURE_KINDS = ("absent", "exact", "exact", "exact", "exact", "qualified", "twice", "big")


@st.composite
def _rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Figures of two subjects and two periods, each absent, once or in an awkward form."""
    rows = []
    for subject in _SUBJECTS[:2]:
        for period in _PERIODS[:2]:
            employed = [_EMPLOYED] * draw(st.integers(0, 1))
            for metric in (*_CASES, *employed, *_AREAS):
                slices: list[dict[str, str] | None] = [None]
                if metric == _EMPLOYED:
                    slices += [{"capital_source": o} for o in _SOURCES]
                for slice_ in slices:
                    kind = draw(st.sampled_from(_FIGURE_KINDS))
                    if kind == "absent":
                        continue
                    row: dict[str, Any] = {
                        "metric": metric,
                        "subject": subject,
                        "period": period,
                        "unit": "person" if metric == _EMPLOYED else "case",
                        "value": draw(st.integers(0, 6)),
                    }
                    if metric in _AREAS:  # hectares convert to m² before comparing
                        row["unit"] = draw(st.sampled_from(("m2", "ha")))
                        row["value"] *= 10_000 if row["unit"] == "m2" else 1
                    if slice_ is not None:
                        row["disaggregation"] = slice_
                    if kind == "qualified":
                        row["qualifier"] = draw(st.sampled_from(_QUALIFIERS))
                    if kind == "big":  # beyond 64 bits: kept aside from the integer column
                        row["value"] += 2**64
                    rows.append(row)
                    if kind == "twice":
                        rows.append(row | {"value": draw(st.integers(0, 6))})
    return rows


@st.composite
def _rules(draw: st.DrawFn) -> list[ValidationRule]:
    """A rule for each operator, its sides, strategies and scope drawn."""
    rules = []
    for n, operator in enumerate(_OPERATORS):
        sides = draw(
            st.sampled_from(
                (_SIDES, _SIDES, _EMPLOYED_SIDES, _SIDES + _OTHER_SIDES, _AREA_SIDES, _AREA_SIDES)
            )
        )
        extra: dict[str, Any] = {}
        if draw(st.integers(0, 3)) == 0:
            extra["period_kind"] = draw(st.sampled_from(("year", "quarter", "month")))
        if draw(st.integers(0, 3)) == 0:
            extra["levels"] = [draw(st.sampled_from(("province", "district")))]
        rules.append(
            ValidationRule.model_validate(
                {
                    "id": f"rule-{n}",
                    "name_vi": f"Quy tắc {n}",
                    "name_en": f"Rule {n}",
                    "left": draw(st.sampled_from(sides)),
                    "operator": operator,
                    "right": draw(st.sampled_from(sides)),
                    "importance": draw(st.sampled_from(("high", "medium", "low"))),
                    "left_missing": draw(st.sampled_from(list(MissingValueStrategy))),
                    "right_missing": draw(st.sampled_from(list(MissingValueStrategy))),
                    **extra,
                }
            )
        )
    return rules


@settings(max_examples=200, deadline=None)
@given(rows=_rows(), rules=_rules())
def test_bulk_rules_report_as_the_reference_does(
    sample_document: dict[str, Any], rows: list[dict[str, Any]], rules: list[ValidationRule]
) -> None:
    doc = copy.deepcopy(sample_document)
    (poppy,) = (m for m in doc["metrics"] if m["id"] == _AREAS[0])
    doc["metrics"].append(poppy | {"id": _AREAS[1], "name_en": "Opium poppy area found"})
    doc["observations"] = rows
    ds = Dataset.from_dict(doc)
    cols = ds.observations.columns()
    bulk = check_rules(ds, cols, rules)
    reference = check_rules(ds, cols, rules, bulk=False)
    assert bulk == reference
    event(f"issues: {min(len(bulk[0]), 3)}; evaluated: {min(bulk[1], 3)}")
    # and validate() reports the same rule issues, in the same order
    assert [i for i in validate(ds, rules=rules) if i.code.startswith("rule-")] == bulk[0]


# -- engines ---------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(max_observations=40), st.randoms(use_true_random=False))
def test_engines_report_the_same(ds: Dataset, rng: random.Random) -> None:
    # Plant exact repeats and a year beside its months, so there is something to find.
    rows = ds.to_dict()["observations"]
    rows += [rng.choice(rows) for _ in range(len(rows) // 4)]
    ds = Dataset.from_dict(ds.to_dict() | {"observations": rows}) if rows else ds
    python = validate(ds, engine="python")
    assert validate(ds, engine="polars") == python
    assert validate(ds) == python  # auto: python below its threshold


def test_engine_names_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidValueError, match="choose one of 'auto', 'python', 'polars'"):
        validate(sample(), engine="duckdb")
    monkeypatch.setitem(sys.modules, "polars", None)  # makes `import polars` fail
    with pytest.raises(MissingExtraError, match=r"antq_core\[dataframe\]"):
        validate(sample(), engine="polars")
    assert validate(sample(), engine="python").ok  # what auto runs below 200,000 rows
