"""Who stored each figure and when survives the JSON document, the chunked reader and the store."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antq_core import (
    Dataset,
    Disaggregation,
    FigureAudit,
    ObservationStore,
    Period,
    Qualifier,
    SubjectRef,
    Unit,
    completeness,
)
from antq_core.errors import DatasetLoadError
from antq_core.store import Store

LATE = ("00104", "00107")
SILENT = "00108"


@pytest.fixture
def may(may: Dataset, report: Any, on: Any) -> Dataset:
    """The conftest's May 2025 (five on time, two late, one silent), with one figure updated."""
    current, summary = may.apply(report("00101", tips_received=40), now=on(12))
    assert summary.updated == 1
    return current


def _audits(dataset: Dataset) -> list[FigureAudit | None]:
    store = dataset.observations
    return [store.audit(i) for i in range(len(store))]


def _reloads(dataset: Dataset, tmp_path: Path) -> dict[str, Dataset]:
    path = tmp_path / "may.json"
    dataset.dump(path)
    return {
        "load": Dataset.load(path, stream=False),
        "stream": Dataset.load(path, stream=True),
        "from_json": Dataset.from_json(dataset.dumps()),
        "from_dict": Dataset.from_dict(json.loads(json.dumps(dataset.to_dict()))),
    }


def test_completeness_is_the_same_after_a_dump_and_reload(may: Dataset, tmp_path: Path) -> None:
    before = completeness(may, form="monthly", period="2025-05", parent="001")
    assert (before.expected, before.actual, before.on_time) == (8, 7, 5)
    for how, again in _reloads(may, tmp_path).items():
        assert again.observations == may.observations, how
        assert _audits(again) == _audits(may), how
        assert completeness(again, form="monthly", period="2025-05", parent="001") == before, how


def test_the_document_writes_the_audit_fields(may: Dataset, on: Any) -> None:
    rows = may.to_dict()["observations"]
    updated = next(
        r for r in rows if r["subject"] == "unit:00101" and r["metric"] == "tips_received"
    )
    assert updated["stored_by"] == "officer-00101"
    assert dt.datetime.fromisoformat(updated["created"]) == on(1)
    assert dt.datetime.fromisoformat(updated["last_updated"]) == on(12)
    assert updated["created"] == "2025-06-01T02:00:00+00:00"  # one moment, one text


def test_a_dataset_without_audits_writes_no_audit_fields(ds: Dataset) -> None:
    doc = ds.to_dict()
    doc["observations"] = [
        {
            "metric": "tips_received",
            "subject": "unit:00101",
            "period": "2025-05",
            "unit": "tip",
            "value": 3,
        }
    ]
    loaded = Dataset.from_dict(doc)
    assert loaded.observations.audit(0) is None
    assert dict(loaded.observations.audits()) == {}
    assert loaded.to_dict()["observations"] == doc["observations"]


def test_a_row_may_leave_created_out(ds: Dataset) -> None:
    doc = ds.to_dict()
    doc["observations"] = [
        {
            "metric": "tips_received",
            "subject": "unit:00101",
            "period": "2025-05",
            "unit": "tip",
            "value": 3,
            "last_updated": "2025-06-02T08:30:00.250000Z",
        }
    ]
    audit = Dataset.from_dict(doc).observations.audit(0)
    assert audit == FigureAudit(
        None, None, dt.datetime(2025, 6, 2, 8, 30, 0, 250000, tzinfo=dt.UTC)
    )


BAD = [
    ({"stored_by": "x"}, "last_updated"),
    ({"created": "2025-06-01T09:00:00+07:00"}, "last_updated"),
    ({"last_updated": "2025-06-01T09:00:00"}, "last_updated"),  # no offset
    ({"last_updated": "2025-06-01 09:00:00+07:00"}, "last_updated"),
    ({"last_updated": "2025-06-01T09:00:00.1234567+07:00"}, "last_updated"),  # not rounded
    ({"last_updated": "2025-02-30T09:00:00+07:00"}, "last_updated"),
    ({"created": "yesterday", "last_updated": "2025-06-01T09:00:00Z"}, "created"),
    ({"stored_by": "", "last_updated": "2025-06-01T09:00:00Z"}, "stored_by"),
    ({"stored_by": "a" * 201, "last_updated": "2025-06-01T09:00:00Z"}, "stored_by"),
]


@pytest.mark.parametrize(("fields", "field"), BAD)
def test_bad_audit_fields_are_located(
    ds: Dataset, tmp_path: Path, fields: dict[str, str], field: str
) -> None:
    doc = ds.to_dict()
    good = {"metric": "tips_received", "subject": "unit:00101", "period": "2025-05", "unit": "tip"}
    doc["observations"] = [good | {"value": 1}, good | {"value": 2, "period": "2025-04"} | fields]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    for stream in (False, True):
        with pytest.raises(DatasetLoadError) as caught:
            Dataset.load(path, stream=stream)
        paths = [p.location.path for p in caught.value.problems]
        assert paths == [f"$.observations[1].{field}"], (stream, paths)
        assert caught.value.problems[0].message_vi


def test_stored_by_is_read_as_nfc(ds: Dataset) -> None:
    doc = ds.to_dict()
    decomposed = "can.bo.Nguye\u0302\u0303n"
    doc["observations"] = [
        {
            "metric": "tips_received",
            "subject": "unit:00101",
            "period": "2025-05",
            "unit": "tip",
            "value": 3,
            "stored_by": decomposed,
            "last_updated": "2025-06-02T08:30:00+07:00",
        }
    ]
    audit = Dataset.from_dict(doc).observations.audit(0)
    assert audit is not None
    assert audit.stored_by == "can.bo.Nguyễn"


_OFFSETS = st.sampled_from(
    [
        dt.UTC,
        dt.timezone(dt.timedelta(hours=7)),
        dt.timezone(dt.timedelta(hours=-3, minutes=-30)),
        dt.timezone(dt.timedelta(seconds=45)),
    ]
)
_TIMES = st.builds(
    lambda naive, tz: naive.replace(tzinfo=tz),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    _OFFSETS,
)
_AUDITS = st.one_of(
    st.none(),
    st.builds(
        FigureAudit,
        st.one_of(
            st.none(),
            st.text(min_size=1, max_size=20).map(lambda s: unicodedata.normalize("NFC", s)),
        ),
        st.one_of(st.none(), _TIMES),
        _TIMES,
    ),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # ds never changes
@given(audits=st.lists(_AUDITS, min_size=1, max_size=8))
def test_audits_round_trip_through_the_document(
    ds: Dataset, audits: list[FigureAudit | None]
) -> None:
    rows = [
        (
            "tips_received",
            SubjectRef.parse("unit:00101"),
            Period.parse(f"2024-{i + 1:02d}"),
            Unit.get("tip"),
            Qualifier.EXACT,
            Disaggregation({}),
            None,
            None,
            i,
        )
        for i in range(len(audits))
    ]
    store = ObservationStore().with_changes(append=rows, append_audit=audits)
    dataset = ds.replace(observations=store)
    for again in (Dataset.from_json(dataset.dumps()), Dataset.from_dict(dataset.to_dict())):
        assert again.observations == dataset.observations
        assert _audits(again) == audits
        assert {i: a for i, a in enumerate(audits) if a is not None} == dict(
            again.observations.audits()
        )


def test_the_store_loads_the_audits_back(may: Dataset, tmp_path: Path) -> None:
    before = completeness(may, form="monthly", period="2025-05", parent="001")
    with Store.open(f"sqlite:///{tmp_path / 'may.db'}") as store:
        store.save(may, stored_by="province-admin")
        loaded = store.load()
        as_of = store.load(as_of=dt.datetime.now(dt.UTC))
    for again in (loaded, as_of):
        assert again.observations == may.observations
        assert _audits(again) == _audits(may)
        assert completeness(again, form="monthly", period="2025-05", parent="001") == before


def test_the_store_loads_what_apply_stored(
    ds: Dataset, report: Any, on: Any, tmp_path: Path
) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'cycle.db'}") as store:
        store.save(ds)
        store.apply(report("00102", tips_received=4), now=on(2))
        store.apply(report("00102", tips_received=5), now=on(6))
        loaded = store.load()
    (audit,) = _audits(loaded)
    assert audit == FigureAudit("officer-00102", on(2), on(6))
    result = completeness(loaded, form="monthly", period="2025-05")
    assert (result.actual, result.on_time) == (1, 1)  # first stored on 2 June, due 5 June
