"""Repeated figures judged by what they mean: intervals after unit conversion.

Small datasets of our own (a made-up province), one figure reported twice in each test.
"""

from __future__ import annotations

from antq_core import (
    AdminUnit,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    Observation,
    Severity,
    builtin_catalog,
    validate,
)

REPEATS = frozenset(
    {
        "duplicate-observation",
        "approximately-duplicate-observation",
        "possibly-conflicting-observations",
        "conflicting-observations",
    }
)
MAP = Gazetteer(
    "meaning-test",
    [
        AdminUnit(code="80", name="Thử", level="province"),
        AdminUnit(code="801", name="Một", level="district", parent="80"),
    ],
)


def _poppy(
    value: int | str, unit: str = "m2", qualifier: str = "exact", source: str | None = None
) -> Observation:
    return Observation(
        metric="poppy_area_destroyed",
        subject="unit:801",
        period="2016/2017",
        value=value,
        unit=unit,
        qualifier=qualifier,
    )


def _repeats(*observations: Observation) -> list[tuple[str, Severity]]:
    cat = builtin_catalog()
    ds = Dataset(
        gazetteer=MAP,
        metadata=DatasetMetadata(title_vi="Thử"),
        categories=cat.categories,
        metrics=cat.metrics,
        observations=observations,
    )
    return [(i.code, i.severity) for i in validate(ds) if i.code in REPEATS]


def test_a_figure_and_its_restatement_in_another_unit_agree() -> None:
    # "8.450 m2" and "hơn 0,8 ha": 8,450 m² lies in [8,000 m², ∞).
    found = _repeats(_poppy(8450), _poppy("0.8", "ha", "at_least"))
    assert found == [("approximately-duplicate-observation", Severity.WARNING)]


def test_the_same_value_in_two_units_is_a_plain_duplicate() -> None:
    assert _repeats(_poppy(58000), _poppy("5.8", "ha")) == [
        ("duplicate-observation", Severity.WARNING)
    ]


def test_bounds_that_exclude_each_other_conflict() -> None:
    assert _repeats(_poppy(8450), _poppy("0.9", "ha", "at_least")) == [
        ("conflicting-observations", Severity.ERROR)
    ]
    assert _repeats(_poppy(100, qualifier="at_least"), _poppy(50, qualifier="at_most")) == [
        ("conflicting-observations", Severity.ERROR)
    ]
    assert _repeats(_poppy(8450), _poppy(8460)) == [("conflicting-observations", Severity.ERROR)]


def test_bounds_that_meet_agree() -> None:
    found = _repeats(_poppy(100, qualifier="at_least"), _poppy(150, qualifier="at_most"))
    assert found == [("approximately-duplicate-observation", Severity.WARNING)]
    found = _repeats(_poppy(100, qualifier="at_least"), _poppy(100, qualifier="at_most"))
    assert found == [("approximately-duplicate-observation", Severity.WARNING)]


def test_an_estimate_that_differs_is_a_warning_not_an_error() -> None:
    found = _repeats(_poppy(3000, qualifier="approximately"), _poppy(3150))
    assert found == [("possibly-conflicting-observations", Severity.WARNING)]


def test_three_reports_agree_only_if_all_meet() -> None:
    found = _repeats(
        _poppy(8450), _poppy("0.8", "ha", "at_least"), _poppy(8000, qualifier="at_most")
    )
    assert found == [("conflicting-observations", Severity.ERROR)]


def test_the_message_lists_the_values_as_reported() -> None:
    cat = builtin_catalog()
    ds = Dataset(
        gazetteer=MAP,
        metadata=DatasetMetadata(title_vi="Thử"),
        categories=cat.categories,
        metrics=cat.metrics,
        observations=[_poppy(8450), _poppy("0.8", "ha", "at_least")],
    )
    (found,) = (i for i in validate(ds) if i.code in REPEATS)
    assert found.details["values"] == ("8450 m2", "≥0.8 ha")
    assert "approximately the same figure" in found.message("en")
    assert found.where.row == 1
