"""Store.apply: the same summaries and results as Dataset.apply, in one transaction, and
concurrent writers that never lose a submission."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from antq_core import Dataset, ImportSummary, Submission, check_submission, sample
from antq_core.errors import InvalidValueError, StoreError
from antq_core.store import Store

SITE = "site:site-cum-giap-ranh"
NOW = dt.datetime(2017, 12, 31, tzinfo=dt.UTC)


def _submission(items: list[dict[str, Any]], **fields: Any) -> Submission:
    data: dict[str, Any] = {"subject": SITE, "period": "2017", "items": items}
    data.update(fields)
    return Submission.model_validate(data)


def _both(
    store: Store, ds: Dataset, submission: Submission, strategy: Any, **kw: Any
) -> tuple[Dataset, ImportSummary]:
    new, expected = ds.apply(submission, strategy, now=NOW, **kw)
    got = store.apply(submission, strategy, now=NOW, **kw)
    assert got == expected
    return new, got


def test_a_cycle_of_submissions_matches_dataset_apply(store_url: str) -> None:
    ds = sample()
    with Store.open(store_url) as store:
        store.save(ds)
        steps: list[tuple[list[dict[str, Any]], str]] = [
            ([{"metric": "cases_resolved_jointly", "value": 3}], "create_and_update"),
            ([{"metric": "cases_resolved_jointly", "value": 4}], "create_and_update"),
            ([{"metric": "cases_resolved_jointly", "value": 4}], "create_and_update"),
            ([{"metric": "cases_resolved_jointly", "value": 9}], "create"),
            (
                [{"metric": "no_such_metric", "value": 1}, {"metric": "initiatives", "value": 2}],
                "create_and_update",
            ),
            (
                [{"metric": "initiatives", "value": 5}, {"metric": "initiatives", "value": 6}],
                "update",
            ),
            ([{"metric": "cases_resolved_jointly"}], "delete"),
            ([{"metric": "cases_resolved_jointly"}], "delete"),
        ]
        summaries = []
        for items, strategy in steps:
            ds, summary = _both(store, ds, _submission(items, stored_by="officer-7"), strategy)
            summaries.append(summary)
            assert store.load() == ds
        assert [(s.imported, s.updated, s.ignored, s.deleted) for s in summaries] == [
            (1, 0, 0, 0),
            (0, 1, 0, 0),
            (0, 0, 1, 0),
            (0, 0, 1, 0),
            (1, 0, 1, 0),
            (0, 1, 1, 0),
            (0, 0, 0, 1),
            (0, 0, 1, 0),
        ]
        codes = [c.code for s in summaries for c in s.conflicts]
        assert codes == ["exists", "unknown_metric", "duplicate_item", "not_stored"]
        located = summaries[4].conflicts[0].locations[0]
        assert located.path == "$.items[0].metric"


def test_history_keeps_what_apply_replaced_and_deleted(sqlite_url: str) -> None:
    ds = sample()
    with Store.open(sqlite_url) as store:
        store.save(ds)
        store.apply(_submission([{"metric": "cases_resolved_jointly", "value": 3}]), now=NOW)
        after_create = dt.datetime.now(dt.UTC)
        store.apply(_submission([{"metric": "cases_resolved_jointly", "value": 5}]), now=NOW)
        after_update = dt.datetime.now(dt.UTC)
        store.apply(_submission([{"metric": "cases_resolved_jointly"}]), "delete", now=NOW)

        def figure(at: dt.datetime | None) -> list[object]:
            loaded = store.load(as_of=at) if at else store.load()
            return [
                o.value
                for o in loaded.observations
                if str(o.subject) == SITE
                and o.metric == "cases_resolved_jointly"
                and str(o.period) == "2017"
            ]

        assert figure(after_create) == [3]
        assert figure(after_update) == [5]
        assert figure(None) == []
        assert store.revision == 4


def test_dry_run_writes_nothing(store_url: str) -> None:
    ds = sample()
    with Store.open(store_url) as store:
        store.save(ds)
        summary = store.apply(
            _submission([{"metric": "cases_resolved_jointly", "value": 3}]), dry_run=True, now=NOW
        )
        assert summary.imported == 1
        assert summary.dry_run
        assert store.load() == ds
        assert store.revision == 1


def test_apply_needs_a_stored_dataset_and_a_known_strategy(sqlite_url: str) -> None:
    with Store.open(sqlite_url) as store:
        with pytest.raises(StoreError, match="holds no dataset"):
            store.apply(_submission([{"metric": "initiatives", "value": 1}]))
        store.save(sample())
        with pytest.raises(InvalidValueError):
            store.apply(_submission([{"metric": "initiatives", "value": 1}]), "merge")
        assert store.revision == 1


def test_apply_keeps_who_stored_each_figure(sqlite_url: str) -> None:
    with Store.open(sqlite_url) as store:
        store.save(sample(), stored_by="importer")
        store.apply(
            _submission([{"metric": "cases_resolved_jointly", "value": 3}], stored_by="officer-2"),
            now=NOW,
        )
        with store.engine.connect() as conn:
            from sqlalchemy import text

            who = set(conn.execute(text("SELECT stored_by FROM antq_observation")).scalars())
        assert who == {"importer", "officer-2"}


# -- the same as Dataset.apply, for any submission --------------------------------------------

_METRICS = ["cases_resolved_jointly", "initiatives", "initiative_sites", "no_such_metric"]
_items = st.lists(
    st.fixed_dictionaries(
        {"metric": st.sampled_from(_METRICS)},
        optional={"value": st.integers(min_value=0, max_value=2**70)},
    ),
    min_size=1,
    max_size=4,
)
_subjects = st.sampled_from([SITE, "unit:12", "site:site-muong-so"])
_strategies = st.sampled_from(["create_and_update", "create", "update", "delete"])


@settings(max_examples=40, deadline=None)
@given(steps=st.lists(st.tuples(_subjects, _items, _strategies), min_size=1, max_size=4))
def test_store_apply_is_dataset_apply(steps: list[tuple[str, list[dict[str, Any]], str]]) -> None:
    ds = sample()
    with Store.open("sqlite://") as store:
        store.save(ds)
        for subject, items, strategy in steps:
            ds, _ = _both(store, ds, _submission(items, subject=subject), strategy)
        assert store.load() == ds


# -- concurrent writers --------------------------------------------------------------------


def _monthly(site: str, month: int, value: int) -> Submission:
    return Submission.model_validate(
        {
            "subject": site,
            "period": f"2017-{month:02d}",
            "items": [{"metric": "cases_resolved_jointly", "value": value}],
            "stored_by": f"writer-{value}",
        }
    )


def test_threads_applying_at_once_lose_nothing(sqlite_url: str) -> None:
    with Store.open(sqlite_url) as store:
        store.save(sample())
        errors: list[BaseException] = []
        summaries: list[ImportSummary] = []
        lock = threading.Lock()

        def writer(k: int) -> None:
            try:
                for month in range(1, 7):
                    s = store.apply(_monthly(SITE, month, 100 * k + month), now=NOW)
                    with lock:
                        summaries.append(s)
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors
        assert len(summaries) == 24
        # Each month got 4 submissions of the same figure: one created it, three replaced it.
        assert sum(s.imported for s in summaries) == 6
        assert sum(s.updated for s in summaries) == 18
        assert store.revision == 25
        monthly = [
            o
            for o in store.load().observations
            if str(o.subject) == SITE and len(str(o.period)) == 7
        ]
        assert len(monthly) == 6
        # Every replaced version is in the history: nothing was lost.
        with store.engine.connect() as conn:
            from sqlalchemy import text

            kept = conn.execute(text("SELECT count(*) FROM antq_observation_history")).scalar()
        assert kept == 18


_WRITER = textwrap.dedent(
    """
    import datetime as dt, sys
    from antq_core import Submission
    from antq_core.store import Store

    url, site, first = sys.argv[1], sys.argv[2], int(sys.argv[3])
    now = dt.datetime(2017, 12, 31, tzinfo=dt.UTC)
    with Store.open(url) as store:
        for month in range(1, 13):
            s = store.apply(Submission.model_validate({
                "subject": site, "period": f"2017-{month:02d}",
                "items": [{"metric": "cases_resolved_jointly", "value": first + month}],
            }), now=now)
            assert s.imported == 1, s
    """
)


def test_two_processes_applying_at_once_lose_nothing(postgres_url: str, tmp_path: Path) -> None:
    with Store.open(postgres_url) as store:
        store.save(sample())
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    env = {**os.environ, "PYTHONPATH": ""}
    procs = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, str(script), postgres_url, site, str(first)],
            env=env,
            stderr=subprocess.PIPE,
        )
        for site, first in ((SITE, 100), ("site:site-muong-so", 200))
    ]
    for p in procs:
        _, err = p.communicate(timeout=180)
        assert p.returncode == 0, err.decode()
    with Store.open(postgres_url) as store:
        assert store.revision == 25
        loaded = store.load()
    for site, first in ((SITE, 100), ("site:site-muong-so", 200)):
        got = sorted(
            o.value
            for o in loaded.observations
            if str(o.subject) == site and len(str(o.period)) == 7
        )
        assert got == [first + m for m in range(1, 13)]


def test_check_submission_from_the_store_is_that_of_the_dataset(sqlite_url: str) -> None:
    ds = sample()
    with Store.open(sqlite_url) as store:
        store.save(ds)
        for items, period in (
            ([{"metric": "outreach_meetings", "value": 99}], "2016-01-01/2017-07-13"),
            ([{"metric": "cases_resolved_jointly", "value": 5}], "2017"),
            ([{"metric": "cases_resolved_jointly", "value": 1}], "2016-01-01/2017-07-13"),
        ):
            submission = _submission(items, period=period)
            expected = check_submission(ds, submission, now=NOW)
            got = store.check_submission(submission, now=NOW)
            assert got.summary == expected.summary
            assert [(i.code, i.where) for i in got.introduced] == [
                (i.code, i.where) for i in expected.introduced
            ]
            assert [i.code for i in got.settled] == [i.code for i in expected.settled]
        assert store.revision == 1
