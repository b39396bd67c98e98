"""Hostile and odd input: every failure is a typed, located error; nothing is coerced or leaked."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from antq_core import (
    AdminUnit,
    AntqError,
    Dataset,
    Gazetteer,
    Participant,
    Period,
    Quantity,
    Source,
    sample,
)
from antq_core.errors import DatasetLoadError, QuantityError
from antq_core.report import render_report

SECRET_ID = "0123456789"  # noqa: S105 - ten digits: not a valid CMND/CCCD number


def _document() -> dict[str, Any]:
    return sample().to_dict(include_sensitive=True)


def test_personal_values_never_appear_in_errors() -> None:
    with pytest.raises(ValidationError) as info:
        Participant(id="p", roles=["exemplar"], identity_number=SECRET_ID)
    assert SECRET_ID not in str(info.value)
    doc = _document()
    doc["participants"][0]["identity_number"] = SECRET_ID
    doc["participants"][1]["birth_date"] = "1970-02-30"
    with pytest.raises(DatasetLoadError) as load:
        Dataset.from_json(json.dumps(doc))
    assert SECRET_ID not in str(load.value)
    assert "1970-02-30" not in str(load.value)
    assert {p.location for p in load.value.problems} == {
        "$.participants[0].identity_number",
        "$.participants[1].birth_date",
    }
    assert all(p.input is None for p in load.value.problems)


@pytest.mark.parametrize("bad", [1499904000, "2017-07-13T00:00:00Z", "13/07/2017", True])
def test_dates_are_dates_not_numbers_or_timestamps(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        Source(id="s", title="t", published_on=bad)
    assert info.value.errors()[0]["loc"] == ("published_on",)
    doc = _document()
    doc["metadata"]["report_date"] = bad
    with pytest.raises(DatasetLoadError) as load:
        Dataset.from_dict(doc)
    assert [p.location for p in load.value.problems] == ["$.metadata.report_date"]


def test_from_dict_coerces_nothing() -> None:
    doc = _document()
    doc["initiatives"][0]["typical"] = "yes"
    doc["metrics"][0]["factor"] = "1"
    with pytest.raises(DatasetLoadError) as info:
        Dataset.from_dict(doc)
    assert {p.location for p in info.value.problems} == {
        "$.initiatives[0].typical",
        "$.metrics[0].factor",
    }


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ("{}".encode("utf-16"), "UTF-16"),
        ('{"metadata": "Lai Châu"}'.encode("cp1258"), "not UTF-8"),
        ("[" * 100_000 + "]" * 100_000, ""),
        ('{"format": "antq-dataset", "x": "\\ud800"}', ""),
    ],
)
def test_unreadable_documents_say_why(data: bytes | str, says: str) -> None:
    with pytest.raises(DatasetLoadError) as info:
        Dataset.from_json(data)
    assert info.value.problems  # never "0 problems"
    assert says in str(info.value)


def test_deeply_nested_gazetteer_is_a_load_error() -> None:
    with pytest.raises(DatasetLoadError):
        Gazetteer.from_json("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize(
    "value",
    [10**30, 10**5000, Decimal("1E+40"), Decimal("0." + "1" * 91)],
    ids=["10^30", "10^5000", "1E+40", "91 digits"],
)
def test_absurdly_large_values_are_refused(value: int | Decimal) -> None:
    with pytest.raises(QuantityError) as info:
        Quantity(value, "m2")
    assert len(str(info.value)) < 300


def test_a_huge_value_in_a_file_is_located() -> None:
    doc = _document()
    doc["observations"][0]["value"] = 10**40
    with pytest.raises(DatasetLoadError) as info:
        Dataset.from_json(json.dumps(doc))
    assert [p.location for p in info.value.problems] == ["$.observations[0].value"]


def test_a_note_longer_than_the_model_allows_is_located() -> None:
    doc = _document()
    doc["observations"][2]["note"] = "x" * 20_001
    with pytest.raises(DatasetLoadError) as info:
        Dataset.from_json(json.dumps(doc))
    assert [p.location for p in info.value.problems] == ["$.observations[2].note"]


@pytest.mark.parametrize(
    ("period", "kind", "count"),
    [("9998", "month", 12), ("9999-12-31", "day", 1), ("2016/2017@10", "crop_season", 1)],
)
def test_sub_periods_stop_at_the_end(period: str, kind: str, count: int) -> None:
    found = Period.parse(period).sub_periods(kind)
    assert len(found) == count
    assert all(Period.parse(period).contains(p) for p in found)


def test_no_period_follows_the_end_of_the_calendar() -> None:
    last = Period.range(dt.date(9999, 1, 1), dt.date(9999, 12, 31))
    with pytest.raises(AntqError):
        last.next()


@pytest.mark.parametrize(
    "fields",
    [
        {"code": "", "name": "X", "level": "commune"},
        {"code": "1", "name": None, "level": "commune"},
        {"code": "1", "name": "X", "level": "hamlet"},
        {"code": "1", "name": "X", "level": "commune", "valid_to": "2025-06-30"},
        {"code": "1", "name": "X", "level": "commune", "local": "yes"},
    ],
)
def test_admin_units_check_their_fields(fields: dict[str, Any]) -> None:
    with pytest.raises(AntqError):
        AdminUnit(**fields)


def test_roles_are_listed_once() -> None:
    with pytest.raises(ValidationError):
        Participant(id="p", roles=["exemplar", "exemplar"])


def test_the_report_shows_every_figure() -> None:
    doc = _document()
    extra = {
        "metric": "commendations",
        "subject": "unit:106",
        "period": "2017",
        "unit": "award",
        "value": 777,
    }
    doc["observations"].append(extra)
    text = render_report(Dataset.from_dict(doc), "en")
    assert "777" in text
    assert "Other figures" in text
    assert "Tam Đường" in text.split("Other figures")[1]
