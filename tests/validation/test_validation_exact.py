"""Rules compare huge figures exactly, after converting their units."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from antq_core import Dataset, ValidationRule, validate

# 25 digits before the mark in ha: 29 in m², beyond the 28 of Python's default context.
HECTARES = "9999999999999999999999999.12345"
SQUARE_METRES = "99999999999999999999999991234.5"


def _rule(operator: str, right: str) -> ValidationRule:
    return ValidationRule(
        id="test-rule",
        name_vi="Quy tắc thử",
        name_en="Test rule",
        left="poppy_area_destroyed",
        operator=operator,
        right=right,
    )


@pytest.mark.parametrize(
    ("operator", "right", "expected"),
    [
        ("==", SQUARE_METRES, []),
        (">", "99999999999999999999999991234.4", []),
        ("<", "99999999999999999999999991234.6", []),
        (">", SQUARE_METRES, ["rule-violated"]),
    ],
)
def test_a_huge_figure_in_hectares_compares_exactly(
    sample_document: dict[str, Any], operator: str, right: str, expected: list[str]
) -> None:
    doc = copy.deepcopy(sample_document)
    area = {"metric": "poppy_area_destroyed", "subject": "unit:12", "period": "2016/2017"}
    ds = Dataset.from_dict(doc | {"observations": [area | {"unit": "ha", "value": HECTARES}]})
    issues = [
        i for i in validate(ds, rules=[_rule(operator, right)]) if i.code.startswith("rule-")
    ]
    assert [i.code for i in issues] == expected
