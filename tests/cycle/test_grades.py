"""Grades as data: the built-in grade category and metrics, grade_for, counting and checking."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from antq_core import (
    AdminUnit,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    GradeThresholds,
    Issue,
    Observation,
    Qualifier,
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


GRADE_CODES = {
    "grade-count-mismatch",
    "grade-count-may-differ",
    "grade-not-one",
    "grade-twice",
    "safety-count-mismatch",
    "safety-count-may-differ",
    "safety-not-one",
    "safety-twice",
}


def _said(
    unit: str, option: str, value: int, qualifier: str = "exact", metric: str = "units_by_grade"
) -> Observation:
    """A figure with a qualifier."""
    return _figure(unit, option, value, metric).model_copy(
        update={"qualifier": Qualifier(qualifier)}
    )


def _grade_issues(ds: Dataset) -> list[Issue]:
    return [i for i in validate(ds).issues if i.code in GRADE_CODES]


def _safety(unit: str, option: str, value: int, qualifier: str = "exact") -> Observation:
    return _said(unit, option, value, qualifier, "units_recognized_safe")


@pytest.mark.parametrize(
    ("value", "qualifier", "words"),
    [(2, "exact", "2"), (1, "approximately", "about 1"), (1, "at_least", "at least 1")],
)
def test_a_units_own_grade_that_is_not_one_is_an_error(
    value: int, qualifier: str, words: str
) -> None:
    catalog = builtin_catalog()
    ds = _dataset().replace(
        observations=[
            *(_figure(u, g, 1) for u, g in GRADED.items() if u != "1002"),
            _said("1002", "kha", value, qualifier),
        ],
        metrics=[catalog.metric("units_by_grade")],
    )
    (found,) = _grade_issues(ds)
    assert (found.code, found.severity.value) == ("grade-not-one", "error")
    assert found.where.row == len(GRADED) - 1
    assert found.where.field == "value"
    assert found.details["unit_code"] == "1002"
    assert found.message("en") == (
        f"1002, 2024: a unit's own grade is the exact value 1 with its grade, not {words} ('kha')."
    )
    assert found.message("vi").startswith("1002, năm 2024: xếp loại của chính đơn vị là giá trị 1")


def test_zero_for_the_other_grades_is_not_an_issue() -> None:
    ds = _dataset(_figure("1001", "kha", 0), _figure("1001", "yeu", 0))
    assert _grade_issues(ds) == []


def test_two_grades_for_one_unit_in_one_year_is_an_error() -> None:
    ds = _dataset(_figure("1004", "kha", 1))
    (found,) = _grade_issues(ds)
    assert found.code == "grade-twice"
    assert found.where.row == len(GRADED)
    assert found.where.field == "disaggregation"
    assert (found.details["first"], found.details["grade"]) == ("yeu", "kha")
    assert found.message("en") == (
        "1004, 2024: the unit has two grades for one period: 'yeu' and 'kha'."
    )
    assert "hai xếp loại" in found.message("vi")


def test_counts_of_units_recognised_safe_are_checked_like_grades() -> None:
    own = [_safety("1001", "safe", 1), _safety("1002", "safe", 1), _safety("1003", "not_safe", 1)]
    clean = _dataset(*own, _safety("10", "safe", 2), _safety("01", "not_safe", 1))
    assert _grade_issues(clean) == []
    wrong = _dataset(*own, _safety("10", "safe", 3), _safety("01", "safe", 1))
    found = _grade_issues(wrong)
    assert sorted((i.code, i.details["unit_code"]) for i in found) == [
        ("safety-count-mismatch", "01"),
        ("safety-count-mismatch", "10"),
    ]
    by_unit = {i.details["unit_code"]: i for i in found}
    assert by_unit["10"].message("en") == (
        "10, 2024: 3 units reported 'safe' for ANTT safety, but 2 units under it are 'safe'."
    )
    assert by_unit["10"].message("vi").startswith("10, năm 2024: báo cáo 3 đơn vị 'safe'")
    twice = _dataset(*own, _safety("1001", "not_safe", 1), _safety("2001", "safe", 4))
    assert sorted((i.code, i.details["unit_code"]) for i in _grade_issues(twice)) == [
        ("safety-not-one", "2001"),
        ("safety-twice", "1001"),
    ]


@pytest.mark.parametrize(
    ("value", "qualifier", "code", "words"),
    [
        (2, "at_least", None, ""),  # two are graded "khá": at least 2 holds
        (1, "at_least", None, ""),
        (3, "at_least", "grade-count-mismatch", "at least 3 units reported"),
        (5, "at_most", None, ""),
        (2, "at_most", None, ""),
        (1, "at_most", "grade-count-mismatch", "at most 1 units reported"),
        (2, "approximately", None, ""),
        (3, "approximately", "grade-count-may-differ", "about 3 units reported"),
    ],
)
def test_qualified_counts_are_read_as_intervals(
    value: int, qualifier: str, code: str | None, words: str
) -> None:
    found = _grade_issues(_dataset(_said("10", "kha", value, qualifier)))
    if code is None:
        assert found == []
        return
    (one,) = found
    assert one.code == code
    assert one.details["qualifier"] == qualifier
    assert one.details["counted"] == 2
    assert one.message("en").startswith(f"10, 2024: {words} with grade 'kha'")
    assert "2 units under it are graded 'kha'" in one.message("en")
    assert one.message("vi")


def test_counts_whose_units_are_not_stored_add_up_above() -> None:
    """Districts' summaries without their communes: not own grades; the province adds them."""
    catalog = builtin_catalog()

    def ds(*figures: Observation) -> Dataset:
        return _dataset().replace(observations=figures, metrics=[catalog.metric("units_by_grade")])

    districts = [_said("10", "kha", 3), _said("10", "xuat_sac", 1), _said("20", "kha", 1)]
    assert _grade_issues(ds(*districts, _said("01", "kha", 4))) == []
    (wrong,) = _grade_issues(ds(*districts, _said("01", "kha", 5)))
    assert (wrong.code, wrong.details["counted"]) == ("grade-count-mismatch", 4)
    # A district's lower bound: the province's count may be anything from 4 up...
    bounded = [_said("10", "kha", 3, "at_least"), _said("20", "kha", 1)]
    assert _grade_issues(ds(*bounded, _said("01", "kha", 9))) == []
    # ... but not below it.
    (low,) = _grade_issues(ds(*bounded, _said("01", "kha", 3)))
    assert low.code == "grade-count-mismatch"
    assert (low.details["counted"], low.details["counted_low"]) == (None, 4)
    assert low.message("en").endswith("but at least 4 units under it are graded 'kha'.")
    assert "ít nhất 4" in low.message("vi")
    # An estimate among the districts' counts makes a difference a warning.
    rough = [_said("10", "kha", 3, "approximately"), _said("20", "kha", 1)]
    (maybe,) = _grade_issues(ds(*rough, _said("01", "kha", 5)))
    assert maybe.code == "grade-count-may-differ"
    assert maybe.severity.value == "warning"
    assert "about 4 units under it" in maybe.message("en")


FAMILIES = (("units_by_grade", GRADES), ("units_recognized_safe", ("safe", "not_safe")))


@st.composite
def _gradings(draw: st.DrawFn) -> tuple[list[Observation], list[Observation]]:
    """Own grades and recognitions of the communes, and counts agreeing with them above."""
    own: list[Observation] = []
    counts: list[Observation] = []
    for metric, options in FAMILIES:
        chosen = {
            code: draw(st.one_of(st.none(), st.sampled_from(options)), label=f"{metric} {code}")
            for code in COMMUNES
        }
        for code, option in chosen.items():
            if option is not None:
                own.append(_said(code, option, 1, metric=metric))
                own.extend(  # some forms write 0 for the other options
                    _said(code, other, 0, metric=metric)
                    for other in options
                    if other != option and draw(st.booleans())
                )
        for above in ("10", "20", "01"):
            under = [c for c in COMMUNES if above == "01" or COMMUNES[c] == above]
            if not any(chosen[c] for c in under):
                continue  # no unit under it is graded: its figure would be its own
            for option in options:
                if not draw(st.booleans()):
                    continue
                n = sum(
                    1
                    for code, o in chosen.items()
                    if o == option and (above == "01" or COMMUNES[code] == above)
                )
                counts.append(_said(above, option, n, metric=metric))
    return own, counts


def _graded(figures: list[Observation]) -> Dataset:
    catalog = builtin_catalog()
    return _dataset().replace(
        observations=figures,
        metrics=[catalog.metric("units_by_grade"), catalog.metric("units_recognized_safe")],
    )


@settings(max_examples=60, deadline=None)
@given(grading=_gradings(), data=st.data())
def test_a_consistent_grading_is_clean_and_one_wrong_count_is_one_issue(
    grading: tuple[list[Observation], list[Observation]], data: st.DataObject
) -> None:
    """Law: counts that agree raise nothing; one changed count raises exactly one issue there."""
    own, counts = grading
    assert _grade_issues(_graded([*own, *counts])) == []
    if not counts:
        return
    k = data.draw(st.integers(0, len(counts) - 1), label="changed count")
    true = int(counts[k].value)
    changed = data.draw(
        st.one_of(
            st.tuples(st.integers(0, 20).filter(lambda v: v != true), st.just("exact")),
            st.tuples(st.integers(0, 20), st.sampled_from(["at_least", "at_most"])),
        ),
        label="new value",
    )
    value, qualifier = changed
    figures = [*own, *counts]
    figures[len(own) + k] = counts[k].model_copy(
        update={"value": value, "qualifier": Qualifier(qualifier)}
    )
    found = _grade_issues(_graded(figures))
    wrong = {"exact": value != true, "at_least": value > true, "at_most": value < true}[qualifier]
    if not wrong:
        assert found == []
        return
    (one,) = found
    assert one.code.endswith("-count-mismatch")
    assert one.where.row == len(own) + k
    assert one.details["reported"] == value
    assert one.details["counted"] == true
