"""DHIS2 dataValueSets: the mapping, periods, export, import and the round trip."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antq_core import AntqError, Dataset, Observation, Period, SubjectKind
from antq_core.errors import Dhis2MappingError, PeriodError
from antq_core.io.dhis2 import (
    DHIS2_UID_PATTERN,
    Dhis2ImportCount,
    Dhis2Mapping,
    dhis2_period,
    from_dhis2_data_value_set,
    period_from_dhis2,
    to_dhis2_data_value_set,
)
from antq_core.testing.strategies import datasets, periods

UID = re.compile(DHIS2_UID_PATTERN)


def uid(key: str) -> str:
    """A DHIS2-shaped UID derived from ``key``: a letter, then ten hex digits."""
    return "U" + hashlib.sha256(key.encode()).hexdigest()[:10]


def mapping_for(dataset: Dataset, *, sites_by_anchor: bool = False) -> Dhis2Mapping:
    """A mapping of everything in ``dataset``: metrics, units, subjects and disaggregations."""
    subjects = {f"initiative:{i}": uid(f"initiative:{i}") for i in dataset.initiatives}
    subjects |= {f"organization:{o}": uid(f"organization:{o}") for o in dataset.organizations}
    if not sites_by_anchor:
        subjects |= {f"site:{s}": uid(f"site:{s}") for s in dataset.sites}
    combos = {
        tuple(sorted(o.disaggregation.items())) for o in dataset.observations if o.disaggregation
    }
    return Dhis2Mapping.model_validate(
        {
            "data_set": uid("data set"),
            "data_elements": {m: uid(f"metric:{m}") for m in dataset.metrics},
            "org_units": {u.code: uid(f"unit:{u.code}") for u in dataset.gazetteer},
            "subjects": subjects,
            "category_option_combos": [
                {"disaggregation": dict(c), "category_option_combo": uid(repr(c))}
                for c in sorted(combos)
            ],
        }
    )


def in_metric_unit(dataset: Dataset, o: Observation) -> Observation:
    """``o`` as DHIS2 holds it: in its metric's unit."""
    unit = dataset.metric(o.metric).unit
    return o.model_copy(update={"unit": unit, "value": o.quantity.to(unit).value})


def without_observations(dataset: Dataset) -> Dataset:
    document = dataset.to_dict(include_sensitive=True)
    document["observations"] = []
    return Dataset.from_dict(document)


# -- periods ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("2017-07-13", "20170713"),
        ("2017W05", "2017W5"),
        ("2017W52", "2017W52"),
        ("2020W53", "2020W53"),
        ("2017-05", "201705"),
        ("2017Q3", "2017Q3"),
        ("2017S1", "2017S1"),
        ("2017", "2017"),
    ],
)
def test_dhis2_periods(ours: str, theirs: str) -> None:
    assert dhis2_period(Period.parse(ours)) == theirs
    assert period_from_dhis2(theirs) == Period.parse(ours)


@pytest.mark.parametrize("text", ["2016/2017", "2016/2017@10", "2012-01-01/2017-07-13"])
def test_seasons_and_ranges_have_no_dhis2_period(text: str) -> None:
    assert dhis2_period(Period.parse(text)) is None


@pytest.mark.parametrize(
    "text", ["2017W05", "2017W0", "2017W54", "20170230", "201713", "2017Q5", "2017-05", "", "x"]
)
def test_bad_dhis2_periods(text: str) -> None:
    with pytest.raises(PeriodError):
        period_from_dhis2(text)


def test_a_dhis2_period_is_a_string() -> None:
    with pytest.raises(PeriodError, match="not a DHIS2 period"):
        period_from_dhis2(2017)


@given(periods(kinds=["day", "week", "month", "quarter", "half_year", "year"]))
def test_every_calendar_period_round_trips(period: Period) -> None:
    text = dhis2_period(period)
    assert text is not None
    assert period_from_dhis2(text) == period


# -- the mapping -----------------------------------------------------------------------

GOOD_MAPPING: dict[str, Any] = {
    "data_set": "pBOMPrpg1QX",
    "data_elements": {"initiatives": "fbfJHSPpUQD", "mass_organizations": "cYeuwXTCPkU"},
    "org_units": {"12": "ImspTQPwCqd", "03589": "DiszpKrYNg8"},
    "subjects": {"initiative:mh-nguoi-uy-tin": "O6uvpzGd5pu"},
    "category_option_combos": [
        {"disaggregation": {}, "category_option_combo": "HllvX50cXC0"},
        {"disaggregation": {"sex": "female"}, "category_option_combo": "Prlt0C1RF0s"},
    ],
    "attribute_option_combo": "HllvX50cXC0",
}


def test_mapping_loads_from_json(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(GOOD_MAPPING), encoding="utf-8")
    mapping = Dhis2Mapping.load(path)
    assert mapping.org_units["03589"] == "DiszpKrYNg8"
    assert str(next(iter(mapping.subjects))) == "initiative:mh-nguoi-uy-tin"
    assert mapping.category_option_combos[1].disaggregation == {"sex": "female"}
    assert Dhis2Mapping.from_json(mapping.model_dump_json()) == mapping


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"data_set": "too-short"}, "$.data_set"),
        ({"data_elements": {"initiatives": "1bfJHSPpUQD"}}, "$.data_elements.initiatives"),
        ({"data_elements": {"bad id!": "fbfJHSPpUQD"}}, "$.data_elements.bad id!"),
        ({"subjects": {"person:x": "O6uvpzGd5pu"}}, "$.subjects"),
        ({"colour": "red"}, "$.colour"),
        ({"category_option_combos": [{"disaggregation": {"sex": "female"}}]}, "$"),
    ],
)
def test_mapping_errors_are_located(change: dict[str, Any], where: str) -> None:
    with pytest.raises(Dhis2MappingError) as caught:
        Dhis2Mapping.from_json(json.dumps(GOOD_MAPPING | change), source="m.json")
    assert caught.value.source == "m.json"
    assert any(p.location.startswith(where) for p in caught.value.problems), caught.value
    assert "invalid DHIS2 mapping m.json" in str(caught.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"data_elements": {"initiatives": "fbfJHSPpUQD", "valuable_tips": "fbfJHSPpUQD"}},
            "dataElement fbfJHSPpUQD stands for both 'initiatives' and 'valuable_tips'",
        ),
        (
            {"subjects": {"site:site-muong-so": "DiszpKrYNg8"}},
            "organisationUnit DiszpKrYNg8 stands for both",
        ),
        ({"subjects": {"unit:12": "O6uvpzGd5pu"}}, "map administrative units in org_units"),
        (
            {
                "category_option_combos": [
                    {"disaggregation": {}, "category_option_combo": "HllvX50cXC0"},
                    {"disaggregation": {}, "category_option_combo": "Prlt0C1RF0s"},
                ]
            },
            "a disaggregation is listed twice",
        ),
        (
            {
                "category_option_combos": [
                    {"disaggregation": {}, "category_option_combo": "HllvX50cXC0"},
                    {"disaggregation": {"sex": "male"}, "category_option_combo": "HllvX50cXC0"},
                ]
            },
            "categoryOptionCombo HllvX50cXC0 stands for both",
        ),
    ],
)
def test_mapping_uids_stand_for_one_thing(change: dict[str, Any], message: str) -> None:
    with pytest.raises(Dhis2MappingError, match=re.escape(message)):
        Dhis2Mapping.from_json(json.dumps(GOOD_MAPPING | change))


def test_mapping_file_problems(tmp_path: Path) -> None:
    with pytest.raises(Dhis2MappingError, match="cannot read"):
        Dhis2Mapping.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(Dhis2MappingError) as caught:
        Dhis2Mapping.load(tmp_path / "bad.json")
    assert caught.value.problems
    assert isinstance(caught.value, AntqError)


# -- export of the sample ----------------------------------------------------------------


@pytest.fixture(scope="module")
def anchor_mapping(lai_chau: Dataset) -> Dhis2Mapping:
    """Sites go to their anchor's org unit."""
    return mapping_for(lai_chau, sites_by_anchor=True)


@pytest.fixture(scope="module")
def sample_mapping(lai_chau: Dataset) -> Dhis2Mapping:
    """Sites are org units of their own."""
    return mapping_for(lai_chau)


def test_sample_export(lai_chau: Dataset, anchor_mapping: Dhis2Mapping) -> None:
    sample_mapping = anchor_mapping
    result = to_dhis2_data_value_set(lai_chau, sample_mapping, complete_date=dt.date(2017, 7, 13))
    payload = result.payload
    assert payload["dataSet"] == sample_mapping.data_set
    assert payload["completeDate"] == "2017-07-13"
    assert payload["period"] == "20170713"  # every exported figure is as of the article date
    assert "orgUnit" not in payload  # the province and commune Mường So
    assert "attributeOptionCombo" not in payload
    values = payload["dataValues"]
    assert result.exported == len(values) == 5
    assert len(values) + len(result.skipped) == len(lai_chau.observations)
    by_metric = {
        next(m for m, u in sample_mapping.data_elements.items() if u == v["dataElement"]): v
        for v in values
    }
    assert by_metric["mass_organizations"]["value"] == "5817"
    assert by_metric["mass_organizations"]["orgUnit"] == sample_mapping.org_units["12"]
    assert by_metric["mass_organizations"]["comment"].startswith(
        "source=blc-2017-07-13; note=“5.817"
    )
    # A site counts at its anchor: Mường So's only unit is the commune 03589.
    income = by_metric["released_prisoners_income_2m_plus"]
    assert income["orgUnit"] == sample_mapping.org_units["03589"]
    assert all(isinstance(v["value"], str) for v in values)
    assert all(UID.match(v["orgUnit"]) for v in values)


def test_sample_export_skips_what_dhis2_cannot_hold(
    lai_chau: Dataset, anchor_mapping: Dhis2Mapping
) -> None:
    skipped = to_dhis2_data_value_set(lai_chau, anchor_mapping).skipped
    reasons = {str(s.observation.period): s.reason for s in skipped}
    assert reasons["2016/2017"] == "DHIS2 has no period type for a crop_season (2016/2017)"
    assert reasons["2012-01-01/2017-07-13"].startswith("DHIS2 has no period type for a range")
    rows = [s.row for s in skipped]
    assert rows == sorted(rows)
    assert all(lai_chau.observations[s.row] == s.observation for s in skipped)


def test_export_names_what_the_mapping_lacks(lai_chau: Dataset) -> None:
    mapping = Dhis2Mapping.model_validate(
        {
            "data_elements": {
                "initiatives": uid("a"),
                "released_prisoners_income_2m_plus": uid("b"),
                "released_prisoners_employed": uid("c"),
                "poppy_area_destroyed": uid("d"),
            },
            "org_units": {},
        }
    )
    result = to_dhis2_data_value_set(lai_chau, mapping)
    assert result.payload == {"dataValues": []}
    reasons = {
        (s.observation.metric, str(s.observation.subject)): s.reason for s in result.skipped
    }
    assert reasons["mass_organizations", "unit:12"] == (
        "no dataElement for metric 'mass_organizations' in the mapping"
    )
    assert reasons["initiatives", "unit:12"] == (
        "no organisationUnit for administrative unit '12' in org_units"
    )
    assert reasons["released_prisoners_income_2m_plus", "site:site-muong-so"] == (
        "no organisationUnit for administrative unit '03589' in org_units"
    )
    assert len(result.skipped) == len(lai_chau.observations)


def test_export_needs_subjects_for_initiatives_and_unknown_sites(lai_chau: Dataset) -> None:
    document = lai_chau.to_dict(include_sensitive=True)
    document["observations"] = [
        {"metric": "poppy_area_destroyed", "subject": "initiative:mh-nguoi-uy-tin",
         "period": "2017", "unit": "m2", "value": "5.5"},
        {"metric": "recidivists", "subject": "site:nowhere", "period": "2017", "unit": "person",
         "value": 0},
        {"metric": "recidivists", "subject": "unit:03589", "period": "2017", "unit": "person",
         "value": 1, "disaggregation": {"capital_source": "family"}},
    ]  # fmt: skip
    dataset = Dataset.from_dict(document)
    mapping = mapping_for(dataset).model_copy(
        update={"subjects": {}, "category_option_combos": ()}
    )
    result = to_dhis2_data_value_set(dataset, mapping)
    reasons = [s.reason for s in result.skipped]
    assert reasons[0] == (
        "no organisationUnit for initiative:mh-nguoi-uy-tin: add it to the mapping's subjects"
    )
    assert reasons[1] == "cannot place site nowhere: the dataset has no site 'nowhere'"
    assert reasons[2] == "no categoryOptionCombo for {'capital_source': 'family'} in the mapping"


def test_export_never_lets_one_value_overwrite_another(lai_chau: Dataset) -> None:
    """A site counted at its anchor lands on the anchor's own data value: one is skipped."""
    document = lai_chau.to_dict(include_sensitive=True)
    document["observations"] = [
        {"metric": "recidivists", "subject": "site:site-muong-so", "period": "2017Q1",
         "unit": "person", "value": 2},
        {"metric": "recidivists", "subject": "unit:03589", "period": "2017Q1",
         "unit": "person", "value": 3},
    ]  # fmt: skip
    dataset = Dataset.from_dict(document)
    result = to_dhis2_data_value_set(dataset, mapping_for(dataset, sites_by_anchor=True))
    assert [v["value"] for v in result.payload["dataValues"]] == ["2"]
    (skipped,) = result.skipped
    assert skipped.row == 1
    assert skipped.reason == "same DHIS2 data value as observation 0; it would overwrite it"


def test_decimal_values_and_qualifiers(lai_chau: Dataset) -> None:
    document = lai_chau.to_dict(include_sensitive=True)
    document["observations"] = [
        {"metric": "poppy_area_destroyed", "subject": "unit:03463", "period": "2017S1",
         "unit": "ha", "value": "5.80", "qualifier": "at_least"},
        {"metric": "poppy_area_destroyed", "subject": "unit:03451", "period": "2017S1",
         "unit": "ha", "value": "123456789012345678901234567890.000000001"},
    ]  # fmt: skip
    dataset = Dataset.from_dict(document)
    mapping = mapping_for(dataset)
    values = to_dhis2_data_value_set(dataset, mapping).payload["dataValues"]
    # The metric counts m²: values in ha are converted exactly, or not sent.
    assert dataset.metric("poppy_area_destroyed").unit.code == "m2"
    assert [v["value"] for v in values] == ["58000"]
    assert values[0]["comment"] == "qualifier=at_least"
    (skipped,) = to_dhis2_data_value_set(dataset, mapping).skipped
    assert skipped.reason.startswith("cannot express 123456789012345678901234567890.000000001 ha")
    back = from_dhis2_data_value_set(
        {"dataValues": values}, mapping, without_observations(dataset)
    )
    (read,) = back.observations
    assert read.quantity == dataset.observations[0].quantity.to("m2")
    assert (read.value, read.unit.code, read.qualifier.value) == (58000, "m2", "at_least")


def test_decimal_values_stay_exact(lai_chau: Dataset) -> None:
    document = lai_chau.to_dict(include_sensitive=True)
    document["metrics"].append(
        {"id": "area_ha", "name_vi": "Diện tích", "name_en": "Area", "unit": "ha", "kind": "flow"}
    )
    document["observations"] = [
        {"metric": "area_ha", "subject": "unit:03463", "period": "2017S1", "unit": "ha",
         "value": "5.80"},
        {"metric": "area_ha", "subject": "unit:03451", "period": "2017S1", "unit": "ha",
         "value": "123456789012345678901234567890.000000001"},
    ]  # fmt: skip
    dataset = Dataset.from_dict(document)
    mapping = mapping_for(dataset)
    values = to_dhis2_data_value_set(dataset, mapping).payload["dataValues"]
    assert [v["value"] for v in values] == ["5.80", "123456789012345678901234567890.000000001"]
    back = from_dhis2_data_value_set(
        {"dataValues": values}, mapping, without_observations(dataset)
    )
    assert [o.value for o in back.observations] == [
        Decimal("5.80"),
        Decimal("123456789012345678901234567890.000000001"),
    ]
    assert str(back.observations[0].value) == "5.80"
    assert list(back.observations) == list(dataset.observations)


# -- import ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(lai_chau: Dataset, sample_mapping: Dhis2Mapping) -> dict[str, Any]:
    return to_dhis2_data_value_set(lai_chau, sample_mapping).payload


def test_import_into_the_dataset_it_came_from(
    lai_chau: Dataset, sample_mapping: Dhis2Mapping, exported: dict[str, Any]
) -> None:
    result = from_dhis2_data_value_set(exported, sample_mapping, lai_chau)
    assert result.status == "SUCCESS"
    summary = result.summary()
    assert summary["importCount"] == {"imported": 0, "updated": 0, "ignored": 5, "deleted": 0}
    assert summary["conflicts"] == []
    assert result.dataset == lai_chau


def test_import_updates_imports_and_deletes(
    lai_chau: Dataset, sample_mapping: Dhis2Mapping, exported: dict[str, Any]
) -> None:
    payload = copy.deepcopy(exported)
    rows = payload["dataValues"]
    rows[0]["value"] = "33"  # initiatives: 32 -> 33
    rows[1]["deleted"] = True
    rows.append(rows[2] | {"period": "2018"})  # a new figure
    result = from_dhis2_data_value_set(json.dumps(payload), sample_mapping, lai_chau)
    count = result.import_count
    assert (count.imported, count.updated, count.ignored, count.deleted) == (1, 1, 3, 1)
    assert result.status == "SUCCESS"
    observations = list(result.dataset.observations)
    assert len(observations) == len(lai_chau.observations)
    assert observations[0].value == 33
    assert observations[-1].period == Period.parse("2018")
    assert lai_chau.observations[1] not in observations


def test_import_reports_every_bad_row(
    lai_chau: Dataset, sample_mapping: Dhis2Mapping, exported: dict[str, Any]
) -> None:
    good = exported["dataValues"][0]
    rows = [
        good | {"period": "2016/2017"},
        good | {"period": "2016/2017"},
        good | {"dataElement": "XXXXXXXXXXX"},
        good | {"orgUnit": "YYYYYYYYYYY"},
        good | {"categoryOptionCombo": "ZZZZZZZZZZZ"},
        good | {"attributeOptionCombo": "HllvX50cXC0"},
        good | {"value": "-3"},
        good | {"value": "4.5"},  # initiatives are whole
        good | {"value": "many"},
        good | {"comment": "qualifier=roughly"},
        {"period": "2017"},
        "not an object",
        good,
        good | {"value": "40"},  # the same data value again
        good | {"period": "2019", "deleted": True},  # nothing to delete
    ]
    result = from_dhis2_data_value_set(
        {"dataSet": sample_mapping.data_set, "dataValues": rows}, sample_mapping, lai_chau
    )
    count = result.import_count
    assert count.ignored == len(rows)  # the good row is already there, unchanged
    assert result.status == "WARNING"
    named = {i for c in result.conflicts for i in c.indexes}
    assert named == set(range(len(rows))) - {12}
    by_property = {c.property: c for c in result.conflicts}
    assert by_property["period"].indexes == (0, 1)
    assert by_property["period"].object == "2016/2017"
    assert by_property["dataElement"].object == "XXXXXXXXXXX"
    assert by_property["orgUnit"].value == "no subject maps to this organisationUnit"
    assert (
        by_property["attributeOptionCombo"].value == "the mapping's attributeOptionCombo is None"
    )
    assert by_property["comment"].indexes == (9,)
    values = [c for c in result.conflicts if c.property == "value"]
    assert sorted(i for c in values for i in c.indexes) == [6, 7, 8]
    assert any(c.property.startswith("dataValues[11]") for c in result.conflicts)
    assert any(c.property == "dataValues[10].dataElement" for c in result.conflicts)
    dv = [c for c in result.conflicts if c.property == "dataValue"]
    assert {c.value for c in dv} == {"same data value as row 12", "nothing to delete"}
    summary = result.summary()
    assert summary["status"] == "WARNING"
    assert all(set(c) == {"object", "property", "value", "indexes"} for c in summary["conflicts"])
    assert result.dataset == lai_chau


def test_import_of_another_data_set_is_an_error(
    lai_chau: Dataset, sample_mapping: Dhis2Mapping, exported: dict[str, Any]
) -> None:
    payload = exported | {"dataSet": "BfMAe6Itzgt"}
    result = from_dhis2_data_value_set(payload, sample_mapping, lai_chau)
    assert result.status == "ERROR"
    (conflict,) = result.conflicts
    assert conflict.indexes == tuple(range(len(exported["dataValues"])))
    assert result.import_count.ignored == len(exported["dataValues"])


def test_import_uses_payload_defaults_and_foreign_comments(
    lai_chau: Dataset, sample_mapping: Dhis2Mapping
) -> None:
    payload = {
        "period": "2017W5",
        "orgUnit": sample_mapping.org_units["03589"],
        "dataValues": [
            {
                "dataElement": sample_mapping.data_elements["recidivists"],
                "value": "2",
                "comment": "checked by phone",
                "storedBy": "admin",
                "lastUpdated": "2017-02-03T10:00:00",
            }
        ],
    }
    result = from_dhis2_data_value_set(payload, sample_mapping, without_observations(lai_chau))
    (observation,) = result.observations
    assert observation == Observation(
        metric="recidivists",
        subject="unit:03589",
        period="2017W05",
        unit="person",
        value=2,
        note="checked by phone",
    )
    assert result.status == "SUCCESS"


def test_import_of_a_row_without_period_or_metric_in_the_dataset(
    lai_chau: Dataset, sample_mapping: Dhis2Mapping
) -> None:
    mapping = sample_mapping.model_copy(
        update={"data_elements": {**sample_mapping.data_elements, "gone": uid("gone")}}
    )
    rows = [
        {"dataElement": uid("gone"), "period": "2017", "orgUnit": mapping.org_units["12"],
         "value": "1"},
        {"dataElement": mapping.data_elements["initiatives"], "orgUnit": mapping.org_units["12"],
         "value": "1"},
    ]  # fmt: skip
    result = from_dhis2_data_value_set({"dataValues": rows}, mapping, lai_chau)
    assert result.status == "ERROR"
    reasons = {c.value: c.indexes for c in result.conflicts}
    assert reasons == {
        "the dataset has no metric 'gone'": (0,),
        "no period, in the row or the payload": (1,),
    }


@pytest.mark.parametrize(
    "payload", ["{", "[]", {"dataValues": "none"}, {"completeDate": "yesterday"}]
)
def test_import_of_something_else(
    payload: Any, lai_chau: Dataset, sample_mapping: Dhis2Mapping
) -> None:
    with pytest.raises(Dhis2MappingError, match="dataValueSets payload"):
        from_dhis2_data_value_set(payload, sample_mapping, lai_chau)


# -- the round trip ----------------------------------------------------------------------


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(max_observations=25), st.booleans())
def test_round_trip_is_identity_on_exported_observations(dataset: Dataset, complete: bool) -> None:
    mapping = mapping_for(dataset)
    result = to_dhis2_data_value_set(
        dataset, mapping, complete_date=dt.date(2017, 7, 13) if complete else None
    )
    skipped = {s.row for s in result.skipped}
    sent = [
        in_metric_unit(dataset, o) for i, o in enumerate(dataset.observations) if i not in skipped
    ]
    for s in result.skipped:
        kind = s.observation.period.kind.value
        assert (
            kind in ("crop_season", "range")
            or "same DHIS2 data value" in s.reason
            or s.reason.startswith("cannot express")
            or (s.observation.subject.kind.value == "participant" and "one person" in s.reason)
        ), s.reason
    wire = json.loads(json.dumps(result.payload))
    back = from_dhis2_data_value_set(wire, mapping, without_observations(dataset))
    assert back.conflicts == ()
    assert list(back.observations) == sent
    assert back.import_count.imported == len(sent)
    # And into the dataset itself: nothing new; only values sent in another unit change.
    again = from_dhis2_data_value_set(wire, mapping, dataset)
    originals = [o for i, o in enumerate(dataset.observations) if i not in skipped]
    converted = sum(a != b for a, b in zip(sent, originals, strict=True))
    assert again.import_count == Dhis2ImportCount(0, converted, len(sent) - converted, 0)
    assert [o.quantity for o in again.dataset.observations] == [
        in_metric_unit(dataset, o).quantity if i not in skipped else o.quantity
        for i, o in enumerate(dataset.observations)
    ]


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(max_observations=15))
def test_sites_by_anchor_come_back_as_their_anchor(dataset: Dataset) -> None:
    mapping = mapping_for(dataset, sites_by_anchor=True)
    result = to_dhis2_data_value_set(dataset, mapping)
    back = from_dhis2_data_value_set(result.payload, mapping, without_observations(dataset))
    skipped = {s.row for s in result.skipped}
    sent = [
        in_metric_unit(dataset, o) for i, o in enumerate(dataset.observations) if i not in skipped
    ]
    assert len(back.observations) == len(sent)
    for original, read in zip(sent, back.observations, strict=True):
        if original.subject.kind is SubjectKind.SITE:
            anchor = dataset.site_anchor(dataset.site(original.subject.id))
            assert str(read.subject) == f"unit:{anchor.code}"
            assert read.model_copy(update={"subject": original.subject}) == original
        else:
            assert read == original


def test_attribute_option_combo_both_ways(lai_chau: Dataset) -> None:
    mapping = mapping_for(lai_chau).model_copy(update={"attribute_option_combo": "HllvX50cXC0"})
    payload = to_dhis2_data_value_set(lai_chau, mapping).payload
    assert payload["attributeOptionCombo"] == "HllvX50cXC0"
    assert all(v["attributeOptionCombo"] == "HllvX50cXC0" for v in payload["dataValues"])
    # DHIS2 may give it once, at the top.
    for value in payload["dataValues"]:
        del value["attributeOptionCombo"]
    result = from_dhis2_data_value_set(payload, mapping, without_observations(lai_chau))
    assert result.status == "SUCCESS"
    assert result.import_count.imported == len(payload["dataValues"])
    other = payload | {"attributeOptionCombo": "Prlt0C1RF0s"}
    refused = from_dhis2_data_value_set(other, mapping, lai_chau)
    assert {c.property for c in refused.conflicts} == {"attributeOptionCombo"}


def test_a_deletion_needs_no_value(lai_chau: Dataset, sample_mapping: Dhis2Mapping) -> None:
    first = to_dhis2_data_value_set(lai_chau, sample_mapping).payload["dataValues"][0]
    deletion = {k: v for k, v in first.items() if k not in ("value", "comment")}
    result = from_dhis2_data_value_set(
        {"dataValues": [deletion | {"deleted": True}]}, sample_mapping, lai_chau
    )
    assert result.import_count == Dhis2ImportCount(0, 0, 0, 1)
    assert len(result.dataset.observations) == len(lai_chau.observations) - 1
    assert lai_chau.observations[0] not in list(result.dataset.observations)


def test_export_of_a_metric_the_dataset_lacks(lai_chau: Dataset) -> None:
    document = lai_chau.to_dict(include_sensitive=True)
    document["observations"] = [
        {"metric": "not_in_catalog", "subject": "unit:12", "period": "2017", "unit": "case",
         "value": 1},
    ]  # fmt: skip
    dataset = Dataset.from_dict(document)
    mapping = mapping_for(lai_chau).model_copy(
        update={"data_elements": {"not_in_catalog": uid("x")}}
    )
    (skipped,) = to_dhis2_data_value_set(dataset, mapping).skipped
    assert skipped.reason == (
        "the dataset has no metric 'not_in_catalog', so no unit for its data element"
    )
