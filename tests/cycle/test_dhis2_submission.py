"""A DHIS2 dataValueSet read as one unit's Submission, each row located at its dataValues index."""

from __future__ import annotations

import json
from typing import Any

import pytest

from antq_core import Dataset
from antq_core.errors import Dhis2MappingError
from antq_core.io.dhis2 import Dhis2Mapping, submission_from_dhis2

MAPPING = Dhis2Mapping.model_validate(
    {
        "data_set": "Monthly0001",
        "data_elements": {"tips_received": "Tips0000001", "mediation_cases": "Medi0000001"},
        "org_units": {"00101": "Comm0000101", "00102": "Comm0000102"},
    }
)


def _value(element: str = "Tips0000001", value: str = "4", **more: Any) -> dict[str, Any]:
    return {"dataElement": element, "value": value} | more


def test_a_clean_payload_is_a_submission(ds: Dataset, on: Any) -> None:
    payload = {
        "dataSet": "Monthly0001",
        "period": "202505",
        "orgUnit": "Comm0000101",
        "dataValues": [
            _value(storedBy="xa.bangiang"),
            _value("Medi0000001", "2", comment="qualifier=at_least", storedBy="xa.bangiang"),
        ],
    }
    read = submission_from_dhis2(payload, MAPPING, ds, form="monthly")
    assert read.conflicts == ()
    assert read.indexes == (0, 1)
    submission = read.submission
    assert submission is not None
    assert (str(submission.subject), str(submission.period)) == ("unit:00101", "2025-05")
    assert [(i.metric, i.value, i.qualifier.value) for i in submission.items] == [
        ("tips_received", 4, "exact"),
        ("mediation_cases", 2, "at_least"),
    ]
    assert submission.stored_by == "xa.bangiang"
    new, summary = read.apply(ds, now=on(2))
    assert (summary.imported, summary.ignored, summary.conflicts) == (2, 0, ())
    assert summary == ds.apply(submission, now=on(2))[1]
    audit = new.observations.audit(0)
    assert audit is not None
    assert audit.stored_by == "xa.bangiang"


def test_every_refused_row_is_located_at_its_index(ds: Dataset, on: Any) -> None:
    first, _ = submission_from_dhis2(
        {"period": "202505", "orgUnit": "Comm0000101", "dataValues": [_value()]},
        MAPPING,
        ds,
        form="monthly",
    ).apply(ds, now=on(1))
    payload = {
        "period": "202505",
        "dataValues": [
            _value("Unknown0001", orgUnit="Comm0000101"),  # 0: E7610
            _value(orgUnit="Comm0000101"),  # 1: exists already (strategy create)
            _value("Medi0000001", "3", orgUnit="Comm0000101"),  # 2: imported
            _value("Medi0000001", "3", orgUnit="Comm0000102"),  # 3: another unit
            _value("Medi0000001", "2.5", orgUnit="Comm0000101", period="202504"),  # 4: E7619
            _value(
                "Medi0000001", "1", orgUnit="Comm0000101", period="202504"
            ),  # 5: another period
            _value(orgUnit="Comm0000101", period="202504", deleted=True),  # 6: deleted
            "not a data value",  # 7
        ],
    }
    read = submission_from_dhis2(payload, MAPPING, first, form="monthly")
    assert read.indexes == (1, 2)
    assert read.rejected_indexes == (0, 3, 4, 5, 6, 7)
    _, summary = read.apply(first, "create", now=on(2))
    assert (summary.imported, summary.ignored) == (1, 7)
    assert summary.imported + summary.updated + summary.ignored == len(payload["dataValues"])
    assert summary.rejected_indexes == (0, 1, 3, 4, 5, 6, 7)
    by_row = {i: c for c in summary.conflicts for i in c.indexes}
    assert sorted(by_row) == [0, 1, 3, 4, 5, 6, 7]
    for row, conflict in by_row.items():
        paths = [loc.path or "" for loc in conflict.locations]
        assert paths
        assert all(p.startswith(f"$.dataValues[{row}]") for p in paths), paths
        assert conflict.message_vi
        assert conflict.message_en
    assert by_row[0].dhis2_code == "E7610"
    assert by_row[1].code == "exists"
    assert (by_row[3].code, by_row[5].code, by_row[6].code) == (
        "other_subject",
        "other_period",
        "deleted_row",
    )
    assert by_row[4].dhis2_code == "E7619"


def test_a_refused_payload_changes_nothing(ds: Dataset, on: Any) -> None:
    payload = {"dataSet": "Another0001", "orgUnit": "Comm0000101", "dataValues": [_value()]}
    read = submission_from_dhis2(payload, MAPPING, ds, form="monthly")
    assert read.aborted
    assert read.submission is None
    new, summary = read.apply(ds, now=on(2))
    assert new is ds
    assert summary.aborted
    assert [c.dhis2_code for c in summary.conflicts] == ["E7600"]


def test_json_text_and_a_bad_document(ds: Dataset) -> None:
    text = json.dumps({"period": "202505", "orgUnit": "Comm0000102", "dataValues": [_value()]})
    read = submission_from_dhis2(text, MAPPING, ds, stored_by="tinh.admin")
    assert read.submission is not None
    assert read.submission.stored_by == "tinh.admin"
    assert read.submission.items[0].value == 4
    with pytest.raises(Dhis2MappingError):
        submission_from_dhis2('{"dataValues": 3}', MAPPING, ds)
