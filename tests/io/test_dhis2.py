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
    COMMENT_LIMIT,
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
        ("2016/2017@04", "2016April"),
        ("2016/2017@07", "2016July"),
        ("2016/2017", "2016Sep"),
        ("2016/2017@10", "2016Oct"),
        ("2016/2017@11", "2017Nov"),
    ],
)
def test_dhis2_periods(ours: str, theirs: str) -> None:
    assert dhis2_period(Period.parse(ours)) == theirs
    assert period_from_dhis2(theirs) == Period.parse(ours)


@pytest.mark.parametrize(
    ("theirs", "ours"),
    [
        ("2017-07-13", "2017-07-13"),  # DHIS2's parser takes days with dashes
        ("2017-05", "2017-05"),  # and months with a dash
        ("2017W05", "2017W05"),  # and zero-padded weeks
        ("2017W01", "2017W01"),
        ("2017W1", "2017W01"),
        (" 201705\n", "2017-05"),  # the import trims a period before parsing it
        ("2017Nov", "2016/2017@11"),  # November financial years name the year they end in
        ("2000April", "2000/2001@04"),
        ("9997Oct", "9997/9998@10"),
    ],
)
def test_every_form_dhis2_accepts(theirs: str, ours: str) -> None:
    period = period_from_dhis2(theirs)
    assert period == Period.parse(ours)
    assert period_from_dhis2(dhis2_period(period) or "") == period  # and back, canonical


@pytest.mark.parametrize(
    "text", ["2016/2017@02", "2016/2017@12", "2016/2017@08", "2012-01-01/2017-07-13"]
)
def test_other_seasons_and_ranges_have_no_dhis2_period(text: str) -> None:
    assert dhis2_period(Period.parse(text)) is None


@pytest.mark.parametrize(
    "text",
    [
        "2017W0",
        "2017W00",
        "2017W53",
        "2017W054",
        "20170230",
        "2017-02-30",
        "201713",
        "2017-13",
        "2017Q5",
        "2017S3",
        "201707-13",
        "2017-0713",
        "2016/2017",
        "2016-2017",
        "2016Aug",
        "2016April\u00a0",
        "٢٠١٧",
        "9999Nov",
        "",
        "x",
    ],
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
    assert period_from_dhis2(str(period)) == period  # our canonical forms are DHIS2's too


@given(st.integers(1, 9997), st.sampled_from([4, 7, 9, 10, 11]))
def test_financial_year_seasons_round_trip(first_year: int, month: int) -> None:
    season = Period.crop_season(first_year, month)
    text = dhis2_period(season)
    assert text is not None
    assert period_from_dhis2(text) == season


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
    assert any((p.location.path or "").startswith(where) for p in caught.value.problems), (
        caught.value
    )
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
    # The figures as of the article date, and the poppy area of niên vụ 2016-2017.
    assert "period" not in payload
    assert "orgUnit" not in payload  # the province, commune Mường So, an initiative
    assert "attributeOptionCombo" not in payload
    values = payload["dataValues"]
    assert result.exported == len(values) == 6
    assert {v["period"] for v in values} == {"20170713", "2016Sep"}
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
    # A crop season from September is DHIS2's September financial year.
    poppy = by_metric["poppy_area_destroyed"]
    assert (poppy["period"], poppy["value"]) == ("2016Sep", "58000")
    assert poppy["comment"].startswith("qualifier=at_least; ")
    assert result.shortened == ()


def test_sample_export_skips_what_dhis2_cannot_hold(
    lai_chau: Dataset, anchor_mapping: Dhis2Mapping
) -> None:
    skipped = to_dhis2_data_value_set(lai_chau, anchor_mapping).skipped
    reasons = {str(s.observation.period): s.reason for s in skipped}
    assert "2016/2017" not in reasons  # a financial year in DHIS2
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
    assert summary["importCount"] == {"imported": 0, "updated": 0, "ignored": 6, "deleted": 0}
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
    assert (count.imported, count.updated, count.ignored, count.deleted) == (1, 1, 4, 1)
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
    element = good["dataElement"]
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
        good | {"value": 3.5},  # a JSON number: shown as JSON, not quoted again
        {k: v for k, v in good.items() if k != "value"},  # no value at all
    ]
    result = from_dhis2_data_value_set(
        {"dataSet": sample_mapping.data_set, "dataValues": rows}, sample_mapping, lai_chau
    )
    count = result.import_count
    assert count.ignored == len(rows)  # the good row is already there, unchanged
    assert result.status == "WARNING"  # DHIS2 2.42: conflicts, yet not aborted
    named = {i for c in result.conflicts for i in c.indexes}
    assert named == set(range(len(rows))) - {12}
    assert result.rejected_indexes == tuple(sorted(named))
    by_code: dict[str | None, list[Any]] = {}
    for c in result.conflicts:
        by_code.setdefault(c.error_code, []).append(c)
    (period,) = by_code["E7611"]
    assert (period.object, period.property, period.indexes) == ("2016/2017", "period", (0, 1))
    assert period.value.startswith("Period not valid: `2016/2017` (")
    assert period.objects == (("period", "2016/2017"),)
    elements = {c.object: c.indexes for c in by_code["E7610"]}
    assert elements == {"XXXXXXXXXXX": (2,), "": (10,)}
    (org_unit,) = by_code["E7612"]
    assert org_unit.value == (
        "Organisation unit not found or not accessible: `YYYYYYYYYYY` "
        "(no subject maps to this organisationUnit)"
    )
    assert [c.indexes for c in by_code["E7613"]] == [(4,)]
    assert [(c.object, c.indexes) for c in by_code["E7615"]] == [("HllvX50cXC0", (5,))]
    values = by_code["E7619"]
    assert sorted(i for c in values for i in c.indexes) == [6, 7, 8, 15]
    assert all(c.object == element and c.property == "value" for c in values)
    shown = {c.indexes: dict(c.objects)["value"] for c in values}
    assert shown[(15,)].startswith("3.5: ")  # not "'3.5'"
    assert shown[(6,)].startswith("-3: ")
    (comment,) = by_code["E7620"]
    assert comment.indexes == (9,)
    assert comment.property == "comment"
    assert [(c.object, c.indexes) for c in by_code["E7618"]] == [(element, (16,))]
    informal = {c.indexes: c for c in by_code[None]}
    assert informal[(11,)].object == "not an object"
    assert informal[(13,)].value == "Row 13 is the same data value as row 12"
    assert informal[(14,)].value == "Row 14 deletes a data value that does not exist"
    assert all(c.property is None and c.objects == () for c in by_code[None])
    summary = result.summary()
    assert summary["status"] == "WARNING"
    assert summary["rejectedIndexes"] == list(result.rejected_indexes)
    for written in summary["conflicts"]:
        assert {"object", "value", "indexes"} <= set(written)
        assert set(written) <= {"errorCode", "object", "value", "property", "objects", "indexes"}
    assert result.dataset == lai_chau


def test_import_of_another_data_set_is_aborted(
    lai_chau: Dataset, sample_mapping: Dhis2Mapping, exported: dict[str, Any]
) -> None:
    payload = exported | {"dataSet": "BfMAe6Itzgt"}
    result = from_dhis2_data_value_set(payload, sample_mapping, lai_chau)
    assert result.status == "ERROR"
    assert result.aborted
    (conflict,) = result.conflicts
    assert (conflict.error_code, conflict.object, conflict.property) == (
        "E7600",
        "BfMAe6Itzgt",
        "dataSet",
    )
    assert conflict.indexes == ()  # the payload is refused, not its rows one by one
    assert result.import_count == Dhis2ImportCount()
    assert result.observations == ()
    assert result.dataset == lai_chau
    summary = result.summary()
    assert summary["description"] == "Import process was aborted"
    assert summary["rejectedIndexes"] == []
    assert "indexes" not in summary["conflicts"][0]


@pytest.mark.parametrize(
    ("top", "code"),
    [({"orgUnit": "YYYYYYYYYYY"}, "E7603"), ({"attributeOptionCombo": "Prlt0C1RF0s"}, "E7604")],
)
def test_a_payload_whose_own_fields_do_not_fit_is_aborted(
    top: dict[str, str], code: str, lai_chau: Dataset, sample_mapping: Dhis2Mapping
) -> None:
    result = from_dhis2_data_value_set(
        top | {"dataValues": [{"dataElement": "XXXXXXXXXXX"}]}, sample_mapping, lai_chau
    )
    assert result.status == "ERROR"
    assert [c.error_code for c in result.conflicts] == [code]


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
    assert result.status == "WARNING"  # DHIS2 2.42: ERROR only when the import is aborted
    reasons = {c.value: c.indexes for c in result.conflicts}
    assert reasons == {
        f"Data element not found or not accessible: `{uid('gone')}` "
        "(the dataset has no metric 'gone')": (0,),
        "Period not valid: `` (no period, in the row or the payload)": (1,),
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
    assert refused.aborted
    assert {c.property for c in refused.conflicts} == {"attributeOptionCombo"}
    in_rows = copy.deepcopy(payload)
    for value in in_rows["dataValues"]:
        value["attributeOptionCombo"] = "Prlt0C1RF0s"
    refused = from_dhis2_data_value_set(in_rows, mapping, lai_chau)
    assert {(c.error_code, c.property) for c in refused.conflicts} == {
        ("E7615", "attributeOptionCombo")
    }


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


# -- the import summary in DHIS2 2.42's shape -------------------------------------------

DHIS2_FIXTURES = Path(__file__).resolve().parents[1] / "corpus" / "dhis2"
# The JSON properties of DHIS2 2.42's classes (Jackson, NON_NULL), from their getters:
# dxf2/importsummary/ImportSummary.java, ImportCount.java, ImportConflict.java.
SUMMARY_FIELDS = {
    "responseType",
    "status",
    "importOptions",
    "description",
    "importCount",
    "conflicts",
    "rejectedIndexes",
    "dataSetComplete",
    "reference",
    "href",
}
COUNT_FIELDS = {"imported", "updated", "ignored", "deleted"}
CONFLICT_FIELDS = {"errorCode", "object", "value", "property", "objects", "indexes"}


def _in_dhis2_shape(summary: dict[str, Any]) -> None:
    assert set(summary) <= SUMMARY_FIELDS
    assert summary["responseType"] == "ImportSummary"
    assert summary["status"] in ("SUCCESS", "WARNING", "ERROR")
    assert set(summary["importCount"]) == COUNT_FIELDS
    assert all(type(n) is int for n in summary["importCount"].values())
    assert all(type(i) is int for i in summary["rejectedIndexes"])
    for conflict in summary["conflicts"]:
        assert set(conflict) <= CONFLICT_FIELDS
        assert isinstance(conflict["object"], str)
        assert isinstance(conflict["value"], str)
        if "errorCode" in conflict:
            assert re.fullmatch(r"E[0-9]{4}", conflict["errorCode"])
            assert all(isinstance(v, str) for v in conflict["objects"].values())
        assert all(type(i) is int for i in conflict.get("indexes", []))


def test_the_summary_is_dhis2s(lai_chau: Dataset) -> None:
    mapping = Dhis2Mapping.load(DHIS2_FIXTURES / "mapping.json")
    payload = (DHIS2_FIXTURES / "payload.json").read_text(encoding="utf-8")
    expected = json.loads((DHIS2_FIXTURES / "import-summary.json").read_text(encoding="utf-8"))
    _in_dhis2_shape(expected)
    summary = from_dhis2_data_value_set(payload, mapping, lai_chau).summary()
    _in_dhis2_shape(summary)
    assert summary == expected


def test_every_summary_is_in_dhis2s_shape(
    lai_chau: Dataset, sample_mapping: Dhis2Mapping, exported: dict[str, Any]
) -> None:
    for payload in (
        exported,
        exported | {"dataSet": "BfMAe6Itzgt"},
        {"dataValues": [1, {"value": []}, {"dataElement": 2}]},
    ):
        _in_dhis2_shape(from_dhis2_data_value_set(payload, sample_mapping, lai_chau).summary())


def test_long_comments_are_shortened_to_what_dhis2_takes(lai_chau: Dataset) -> None:
    document = lai_chau.to_dict(include_sensitive=True)
    first = document["observations"][0]
    document["observations"] = [
        first | {"note": "x" * 20_000},  # the longest note
        first | {"period": "2018", "note": "😀" * 2_600},  # 5,200 UTF-16 code units in Java
        first | {"period": "2019", "note": "y" * 4_000},
    ]
    dataset = Dataset.from_dict(document)
    mapping = mapping_for(dataset)
    result = to_dhis2_data_value_set(dataset, mapping)
    comments = [v["comment"] for v in result.payload["dataValues"]]
    java_lengths = [len(c.encode("utf-16-le")) // 2 for c in comments]
    assert java_lengths[:2] == [COMMENT_LIMIT, COMMENT_LIMIT - 1]  # an emoji is not split
    assert all(c.endswith("…") for c in comments[:2])
    assert comments[0].startswith("source=blc-2017-07-13; note=xxx")
    assert comments[2] == f"source=blc-2017-07-13; note={'y' * 4_000}"
    assert [s.row for s in result.shortened] == [0, 1]
    assert "the note was cut" in result.shortened[0].reason
    assert result.skipped == ()
    back = from_dhis2_data_value_set(result.payload, mapping, without_observations(dataset))
    assert back.conflicts == ()
    assert back.observations[0].note == comments[0].removeprefix("source=blc-2017-07-13; note=")


# -- hostile values: each a located conflict on its own row (issue 12) -------------------


@pytest.mark.parametrize(
    ("case", "shown", "as_text"),
    [
        ("value-5000-digit-string", "(5,000 characters)", True),
        ("value-5000-digit-string", "(5,000 characters)", False),
        # Only text can hold a 5,000-digit JSON number (json.loads refuses one itself).
        ("value-5000-digit-number", "(5,000 characters)", True),
        ("value-true", "`true:", True),
        ("value-true", "`true:", False),
        ("value-false", "`false:", True),
    ],
)
def test_a_hostile_value_is_a_conflict_of_its_row(
    lai_chau: Dataset, case: str, shown: str, as_text: bool
) -> None:
    mapping = Dhis2Mapping.model_validate_json((DHIS2_FIXTURES / "mapping.json").read_bytes())
    raw = (DHIS2_FIXTURES / f"{case}.json").read_bytes()
    payload: Any = raw if as_text else json.loads(raw)
    result = from_dhis2_data_value_set(payload, mapping, lai_chau)
    summary = result.summary()
    _in_dhis2_shape(summary)
    assert summary["status"] == "WARNING"
    (conflict,) = summary["conflicts"]
    assert conflict["errorCode"] == "E7619"
    assert conflict["property"] == "value"
    assert conflict["indexes"] == [0]  # located: the first data value
    assert shown in conflict["value"]
    assert len(conflict["value"]) < 400  # a 5,000-digit value is not sent back whole
    assert summary["rejectedIndexes"] == [0]
    # The other row is read as it is: nothing is coerced (true is not 1).
    assert [o.value for o in result.observations] == [33]
