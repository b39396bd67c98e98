"""Error messages show numbers as a person writes them, never as Python reprs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antq_core import (
    AntqError,
    Dataset,
    Quantity,
    SubjectRef,
    ValidationRule,
    sample,
    validate,
)
from antq_core.errors import InvalidValueError


@pytest.mark.parametrize(
    ("make", "shown"),
    [
        (lambda: Quantity(Decimal("4.5"), "person"), "4.5 person"),
        (lambda: Quantity(Decimal("-4.810"), "m2"), "-4.810 m2"),
        (lambda: Quantity(-3, "case"), "-3 case"),
        (lambda: SubjectRef.parse(Decimal("1.50")), "1.50"),
    ],
)
def test_a_number_in_a_message_is_written_plainly(make: object, shown: str) -> None:
    with pytest.raises(AntqError) as info:
        make()  # type: ignore[operator]
    message = str(info.value)
    assert shown in message
    assert "Decimal(" not in message


@given(st.decimals(allow_nan=False, allow_infinity=False, places=3))
def test_no_decimal_is_shown_as_a_repr(value: Decimal) -> None:
    assert "Decimal" not in str(InvalidValueError("value", value, "not wanted"))
    assert str(value) in str(InvalidValueError("value", value, "not wanted"))


def test_a_huge_int_is_described_not_printed() -> None:
    message = str(InvalidValueError("value", 10**10_000, "too big"))
    assert "digits" in message
    assert len(message) < 200


# -- validation messages read as what happened -----------------------------------------


def _rule_report(left: int, operator: str, right: int) -> str:
    def row(metric: str, value: int) -> dict[str, object]:
        return {
            "metric": metric,
            "subject": "unit:12",
            "period": "2017",
            "unit": "tip",
            "value": value,
        }

    document = sample().to_dict() | {
        "observations": [row("tips_received", left), row("valuable_tips", right)]
    }
    rule = ValidationRule(
        id="r",
        name_vi="Thử",
        name_en="Test",
        left="tips_received",
        operator=operator,
        right="valuable_tips",
        importance="high",
    )
    report = validate(Dataset.from_dict(document), rules=[rule])
    issues = [i for i in report if i.code == "rule-violated"]
    assert len(issues) == 1
    return issues[0].message("en") + "\n" + issues[0].message("vi")


@pytest.mark.parametrize(
    ("left", "operator", "right", "says"),
    [
        (300, "<=", 40, "left side 300 > right side 40"),
        (30, ">=", 40, "left side 30 < right side 40"),
        (30, "==", 40, "left side 30 ≠ right side 40"),
        (40, "!=", 40, "left side 40 = right side 40"),
        (40, "<", 40, "left side 40 ≥ right side 40"),
        (30, ">", 40, "left side 30 ≤ right side 40"),
    ],
)
def test_a_failed_rule_says_what_holds_instead(
    left: int, operator: str, right: int, says: str
) -> None:
    text = _rule_report(left, operator, right)
    assert says in text
    assert says.replace("left side", "vế trái").replace("right side", "vế phải") in text
    assert f"tips_received {operator} valuable_tips" in text  # the rule itself, named as such


@pytest.mark.parametrize(
    ("period", "en", "vi"),
    [
        ("2025-07-13", "did not exist on 13 July 2025", "không tồn tại vào ngày 13/07/2025"),
        ("2025Q3", "did not exist in Q3 2025", "không tồn tại trong quý III/2025"),
    ],
)
def test_a_unit_that_did_not_exist_says_on_a_day_and_in_a_period(
    period: str, en: str, vi: str
) -> None:
    row = {"metric": "tips_received", "subject": "unit:12", "period": period}
    document = sample().to_dict() | {"observations": [row | {"unit": "tip", "value": 3}]}
    issues = [
        i for i in validate(Dataset.from_dict(document)) if i.code == "unit-not-valid-on-date"
    ]
    assert issues
    assert en in issues[0].message("en")
    assert vi in issues[0].message("vi")
