"""Reporting forms: the entity, its dates, the document round trip, the schema, validation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from antq_core import Dataset, Period, validate
from antq_core.io.jsonschema import dataset_json_schema


def test_dates_count_from_the_period_s_end(monthly_form: Any) -> None:
    form = monthly_form(open_days=-3)
    may = Period.parse("2025-05")
    assert form.opens(may) == dt.date(2025, 5, 28)
    assert form.due(may) == dt.date(2025, 6, 5)
    assert form.closes(may) == dt.date(2025, 6, 15)
    assert form.is_open(may, dt.date(2025, 6, 15))
    assert not form.is_open(may, dt.date(2025, 6, 16))
    assert not form.is_open(may, dt.date(2025, 5, 27))
    assert monthly_form(expiry_days=None).closes(may) is None
    assert monthly_form().opens(may) == may.start  # open from the period's start by default


@pytest.mark.parametrize(
    "changes",
    [
        {"assigned_units": ["00101"]},  # a level and a list
        {"assigned_level": None},  # nothing assigned
        {"assigned_level": None, "assigned_group": "vn_regions:x", "assigned_under": None}
        | {"assigned_units": ["00101"]},
        {"expiry_days": 2},  # closes before reports stop being on time
        {"metrics": []},
        {"metrics": [{"metric": "a"}, {"metric": "a"}]},
        {"timely_days": "5"},
        {"extra": 1},
    ],
)
def test_bad_forms_are_refused(monthly_form: Any, changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        monthly_form(**changes)


def test_forms_round_trip_in_the_document(ds: Dataset) -> None:
    document = ds.to_dict()
    assert document["forms"][0]["id"] == "monthly"
    again = Dataset.from_dict(document)
    assert again.forms == ds.forms
    assert Dataset.from_json(ds.dumps()).forms == ds.forms
    schema = dataset_json_schema()
    assert "forms" in schema["properties"]


def test_validation_finds_what_a_form_names_and_the_dataset_lacks(
    ds: Dataset, monthly_form: Any
) -> None:
    broken = monthly_form(
        metrics=[
            {"metric": "tips_received", "compulsory": True},
            {"metric": "no_such_metric"},
            {"metric": "mediation_cases", "categories": ["sex"]},
            {"metric": "mass_organization_members", "categories": ["nope"]},
        ],
    )
    listed = monthly_form(
        id="listed", assigned_level=None, assigned_under=None, assigned_units=["00101", "77777"]
    )
    found = validate(ds.replace(forms=[broken, listed]))
    issues = [(i.code, i.details.get("target") or i.details.get("category")) for i in found]
    assert ("form-reference-unresolved", "no_such_metric") in issues
    assert ("form-reference-unresolved", "nope") in issues
    assert ("form-reference-unresolved", "77777") in issues
    assert ("form-category-not-allowed", "sex") in issues
    where = next(i.where for i in found if i.details.get("target") == "77777")
    assert where.path == "$.forms[1].assigned_units"
    assert validate(ds).ok


def test_a_form_of_a_unit_group(ds: Dataset, monthly_form: Any, report: Any, on: Any) -> None:
    from antq_core import UnitGroup, UnitGroupSet, completeness

    group_sets = {
        "mine": UnitGroupSet(
            id="mine",
            name_vi="Nhóm thử",
            groups=(
                UnitGroup(
                    id="two", name_vi="Hai xã", members={"test-district": ("00101", "00102")}
                ),
            ),
        )
    }
    form = monthly_form(assigned_level=None, assigned_under=None, assigned_group="mine:two")
    grouped = ds.replace(forms=[form])
    stored, summary = grouped.apply(
        report("00101", tips_received=1), now=on(2), group_sets=group_sets
    )
    assert summary.imported == 1
    _, refused = grouped.apply(report("00103", tips_received=1), now=on(2), group_sets=group_sets)
    assert [c.code for c in refused.conflicts] == ["not_assigned"]
    result = completeness(stored, form="monthly", period="2025-05", group_sets=group_sets)
    assert [u.code for u in result.units] == ["00101", "00102"]
    assert (result.expected, result.actual) == (2, 1)
