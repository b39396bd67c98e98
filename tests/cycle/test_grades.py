"""Grades as data: the built-in grade category and metrics, grade_for, counting and checking."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antq_core import (
    AdminUnit,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    GradeThresholds,
    Observation,
    Quantity,
    aggregate,
    builtin_catalog,
    grade_for,
    validate,
)
from antq_core.errors import InvalidValueError

GRADES = ("xuat_sac", "kha", "trung_binh", "yeu")

# A province of two districts: 10 has four communes, 20 has two.
COMMUNES = {"1001": "10", "1002": "10", "1003": "10", "1004": "10", "2001": "20", "2002": "20"}
# Each commune's own grade for 2024.
GRADED = {"1001": "xuat_sac", "1002": "kha", "1003": "kha", "1004": "yeu", "2001": "kha"}


def _map() -> Gazetteer:
    units = [
        AdminUnit("01", "Thử", "province", kind_vi="tỉnh"),
        AdminUnit("10", "Một", "district", parent="01", kind_vi="huyện"),
        AdminUnit("20", "Hai", "district", parent="01", kind_vi="huyện"),
    ]
    units += [
        AdminUnit(code, f"Xã {code}", "commune", parent=parent, kind_vi="xã")
        for code, parent in COMMUNES.items()
    ]
    return Gazetteer("test-grades", units)


def _figure(unit: str, grade: str, value: int, metric: str = "units_by_grade") -> Observation:
    category = "grade" if metric == "units_by_grade" else "antt_safety"
    return Observation.model_validate(
        {
            "metric": metric,
            "subject": f"unit:{unit}",
            "period": "2024",
            "unit": "admin_unit",
            "value": value,
            "disaggregation": {category: grade},
        }
    )


def _value(quantity: Quantity | None) -> object:
    assert quantity is not None
    return quantity.value


def _dataset(*extra: Observation) -> Dataset:
    catalog = builtin_catalog()
    return Dataset(
        gazetteer=_map(),
        metadata=DatasetMetadata(title_vi="Xếp loại 2024", province="01"),
        categories=catalog.categories,
        metrics=[catalog.metric("units_by_grade"), catalog.metric("units_recognized_safe")],
        observations=[*(_figure(u, g, 1) for u, g in GRADED.items()), *extra],
    )


def test_the_catalog_has_the_grades_and_the_recognition() -> None:
    catalog = builtin_catalog()
    grade = next(c for c in catalog.categories if c.id == "grade")
    assert [o.id for o in grade.options] == list(GRADES)
    assert [o.name_vi for o in grade.options] == ["Xuất sắc", "Khá", "Trung bình", "Yếu"]
    safety = next(c for c in catalog.categories if c.id == "antt_safety")
    assert [o.id for o in safety.options] == ["safe", "not_safe"]
    by_grade = catalog.metric("units_by_grade")
    assert (by_grade.unit.code, by_grade.categories) == ("admin_unit", ("grade",))
    assert "510/QĐ-BCA-V05" in (by_grade.description or "")
    safe = catalog.metric("units_recognized_safe")
    assert safe.categories == ("antt_safety",)
    assert "124/2021/TT-BCA" in (safe.description or "")


def test_grade_for_uses_the_callers_thresholds() -> None:
    strict = GradeThresholds(excellent=95, good=80, average=60)
    lenient = GradeThresholds(excellent=Decimal("85.5"), good=70, average=50)
    assert grade_for(90, strict) == "kha"
    assert grade_for(90, lenient) == "xuat_sac"
    assert grade_for(Decimal("85.5"), lenient) == "xuat_sac"
    assert grade_for(Decimal("85.49"), lenient) == "kha"
    assert grade_for(59, strict) == "yeu"
    assert grade_for(60, strict) == "trung_binh"


@pytest.mark.parametrize("bad", [(90, 90, 50), (90, 70, 80), (50, 70, 90)])
def test_thresholds_must_rise(bad: tuple[int, int, int]) -> None:
    with pytest.raises(InvalidValueError):
        GradeThresholds(excellent=bad[0], good=bad[1], average=bad[2])


@pytest.mark.parametrize("bad", [90.0, "90", Decimal("NaN"), True])
def test_scores_and_thresholds_are_exact_numbers(bad: object) -> None:
    t = GradeThresholds(excellent=90, good=70, average=50)
    with pytest.raises(InvalidValueError):
        grade_for(bad, t)
    with pytest.raises(InvalidValueError):
        GradeThresholds(excellent=bad, good=70, average=50)


@given(
    st.integers(-1000, 1000),
    st.lists(st.integers(-1000, 1000), min_size=3, max_size=3, unique=True).map(sorted),
)
def test_grade_for_is_monotone(score: int, bounds: list[int]) -> None:
    average, good, excellent = bounds
    t = GradeThresholds(excellent=excellent, good=good, average=average)
    grade = grade_for(score, t)
    assert GRADES.index(grade_for(score + 1, t)) <= GRADES.index(grade)
    expected = sum(score >= b for b in bounds)  # thresholds reached
    assert GRADES.index(grade) == 3 - expected


def test_aggregate_counts_units_by_grade() -> None:
    ds = _dataset()
    rows = aggregate(ds, ["units_by_grade"], by=["district", "grade"])
    got = {(r.keys["district"], r.keys["grade"]): _value(r.quantity) for r in rows}
    assert got == {("10", "xuat_sac"): 1, ("10", "kha"): 2, ("10", "yeu"): 1, ("20", "kha"): 1}
    province = aggregate(ds, ["units_by_grade"], by=["province", "grade"])
    assert {r.keys["grade"]: _value(r.quantity) for r in province} == {
        "xuat_sac": 1,
        "kha": 3,
        "yeu": 1,
    }


def test_own_grades_alone_are_clean() -> None:
    report = validate(_dataset())
    assert [i for i in report.issues if i.code == "grade-count-mismatch"] == []


def test_a_reported_count_agreeing_with_the_communes_is_clean() -> None:
    ds = _dataset(_figure("10", "kha", 2), _figure("10", "xuat_sac", 1), _figure("01", "kha", 3))
    assert [i for i in validate(ds).issues if i.code == "grade-count-mismatch"] == []


def test_a_reported_count_disagreeing_with_the_communes_is_an_issue() -> None:
    # District 10 says three communes were "khá"; two of its communes are graded so.
    # The province says no commune was "yếu"; one is (1004).
    ds = _dataset(_figure("10", "kha", 3), _figure("01", "yeu", 0), _figure("20", "kha", 1))
    found = [i for i in validate(ds).issues if i.code == "grade-count-mismatch"]
    assert sorted((i.details["unit_code"], i.details["grade"]) for i in found) == [
        ("01", "yeu"),
        ("10", "kha"),
    ]
    by_unit = {i.details["unit_code"]: i for i in found}
    assert (by_unit["10"].details["reported"], by_unit["10"].details["counted"]) == (3, 2)
    assert by_unit["10"].severity.value == "error"
    assert by_unit["10"].where.row == len(GRADED)  # the district's figure, the first added
    assert by_unit["10"].message("en") == (
        "10, 2024: 3 units reported with grade 'kha', but 2 units under it are graded 'kha'."
    )
    assert by_unit["10"].message("vi").startswith("10, năm 2024: báo cáo 3 đơn vị")


def test_recognised_safe_units_count() -> None:
    ds = _dataset(
        _figure("1001", "safe", 1, "units_recognized_safe"),
        _figure("1002", "safe", 1, "units_recognized_safe"),
        _figure("2001", "not_safe", 1, "units_recognized_safe"),
    )
    rows = aggregate(ds, ["units_recognized_safe"], by=["province", "antt_safety"])
    assert {r.keys["antt_safety"]: _value(r.quantity) for r in rows} == {"safe": 2, "not_safe": 1}
