"""The SQL store: round trips, personal fields, history, questions, schema versions."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from antq_core import Dataset, Observation, Participant, Period, SubjectRef, sample
from antq_core.errors import InvalidValueError, StoreError, StoreSchemaError
from antq_core.store import SCHEMA_VERSION, Store
from antq_core.testing import strategies as ast

# -- round trips -----------------------------------------------------------------------


def test_sample_round_trips(store_url: str) -> None:
    ds = sample()
    with Store.open(store_url) as store:
        assert store.schema_version == SCHEMA_VERSION
        store.save(ds)
        loaded = store.load()
    assert loaded == ds
    assert loaded.to_dict(include_sensitive=True) == ds.to_dict(include_sensitive=True)
    # Reopening finds the same tables and the same data.
    with Store.open(store_url) as again:
        assert again.load() == ds
        assert again.revision == 1


def test_generated_datasets_round_trip_on_sqlite(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'gen.db'}") as store:

        @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(ds=ast.datasets(max_observations=40))
        def round_trip(ds: Dataset) -> None:
            store.save(ds)
            assert store.load() == ds

        round_trip()


def test_generated_datasets_round_trip_on_postgresql(postgres_url: str) -> None:
    with Store.open(postgres_url) as store:

        @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(ds=ast.datasets(max_observations=30))
        def round_trip(ds: Dataset) -> None:
            store.save(ds)
            assert store.load() == ds

        round_trip()


def test_exact_values_keep_their_type(store_url: str) -> None:
    ds = sample()
    first = ds.observations[0]
    values: list[int | Decimal] = [Decimal("5"), Decimal("5.80"), 2**70, 2**63 - 1, 0]
    rows = [first.model_copy(update={"value": v, "unit": "ha"}) for v in values]
    changed = ds.replace(observations=[*ds.observations, *rows])
    with Store.open(store_url) as store:
        store.save(changed)
        back = store.load()
    got = [o.value for o in back.observations][-len(values) :]
    assert got == values
    assert [type(v) for v in got] == [type(v) for v in values]
    assert str(got[1]) == "5.80"


def test_an_empty_store_has_no_dataset(store_url: str) -> None:
    with Store.open(store_url) as store:
        with pytest.raises(StoreError, match="holds no dataset"):
            store.load()
        assert store.observations(subject="unit:12") == []


# -- personal fields ---------------------------------------------------------------------


def _names(ds: Dataset) -> list[str]:
    return [p.full_name for p in ds.participants.values() if p.full_name]


def test_personal_fields_live_in_their_own_table(store_url: str) -> None:
    ds = sample()
    names = _names(ds)
    assert names, "the sample names some participants"
    with Store.open(store_url) as store:
        store.save(ds)
        with store.engine.connect() as conn:
            docs = " ".join(conn.execute(sa.text("SELECT doc FROM antq_entity")).scalars())
            personal = conn.execute(sa.text("SELECT full_name FROM antq_personal")).scalars()
            assert sorted(personal) == sorted(names)
        for name in names:
            assert name not in docs
        without = store.load(include_personal=False)
    assert _names(without) == []
    assert len(without.participants) == len(ds.participants)
    stripped = [
        p.model_copy(update=dict.fromkeys(("full_name", "identity_number", "birth_date")))
        for p in ds.participants.values()
    ]
    assert without == ds.replace(participants=stripped)


def test_a_restricted_role_loads_without_personal_fields(postgres_url: str) -> None:
    ds = sample()
    with Store.open(postgres_url) as store:
        store.save(ds)
        role = "antq_reader_" + str(time.time_ns())[-8:]
        with store.engine.begin() as conn:
            conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
            conn.execute(sa.text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
            conn.execute(sa.text(f"REVOKE ALL ON antq_personal FROM {role}"))
    head, _, rest = postgres_url.partition("://")
    restricted = f"{head}://{role}@{rest.split('@', 1)[1]}"
    try:
        reader = Store.open(restricted)
        try:
            assert _names(reader.load(include_personal=False)) == []
            with pytest.raises(StoreError, match="include_personal=False") as caught:
                reader.load()
            for name in _names(ds):
                assert name not in str(caught.value)
        finally:
            reader.close()
    finally:
        with Store.open(postgres_url) as owner, owner.engine.begin() as conn:
            conn.execute(sa.text(f"DROP OWNED BY {role}"))
            conn.execute(sa.text(f"DROP ROLE {role}"))


# -- history: the dataset as of a moment -------------------------------------------------------


def test_load_as_of_gives_each_saved_state(store_url: str) -> None:
    ds1 = sample()
    ds2 = ds1.replace(observations=ds1.observations[:5], sites=list(ds1.sites.values())[:2])
    with Store.open(store_url) as store:
        before = dt.datetime.now(dt.UTC)
        time.sleep(0.002)
        store.save(ds1)
        time.sleep(0.002)
        between = dt.datetime.now(dt.UTC)
        time.sleep(0.002)
        store.save(ds2)
        assert store.load() == ds2
        assert store.load(as_of=between) == ds1
        assert store.load(as_of=dt.datetime.now(dt.UTC)) == ds2
        with pytest.raises(StoreError, match="as of"):
            store.load(as_of=before)
        with pytest.raises(ValueError, match="aware"):
            store.load(as_of=dt.datetime(2030, 1, 1))
        # A date means the end of that day, UTC.
        assert store.load(as_of=dt.date(2999, 1, 1)) == ds2
        assert store.revision == 2


# -- questions without loading everything -------------------------------------------------------


def test_observations_of_one_subject_metric_and_period(store_url: str) -> None:
    ds = sample()
    all_rows = list(ds.observations)
    with Store.open(store_url) as store:
        store.save(ds)
        for subject in {o.subject for o in all_rows}:
            expected = [o for o in all_rows if o.subject == subject]
            assert store.observations(subject=subject) == expected
            assert store.observations(subject=str(subject)) == expected
        first = all_rows[0]
        assert store.observations(metric=first.metric) == [
            o for o in all_rows if o.metric == first.metric
        ]
        metrics = {first.metric, all_rows[-1].metric}
        assert store.observations(metric=metrics) == [o for o in all_rows if o.metric in metrics]
        assert store.observations(subject=first.subject, period=first.period) == [
            o for o in all_rows if o.subject == first.subject and o.period == first.period
        ]
        year = Period.parse("2017")
        assert store.observations(within=year) == [o for o in all_rows if year.contains(o.period)]
        assert store.observations(subject=SubjectRef.parse("unit:nowhere")) == []
        assert store.observations(metric="no_such_metric") == []
        assert store.observations(within="1990") == []


def test_observations_are_models_equal_to_the_datasets(store_url: str) -> None:
    ds = sample()
    with Store.open(store_url) as store:
        store.save(ds)
        got = store.observations()
    assert got == list(ds.observations)
    assert all(isinstance(o, Observation) for o in got)


# -- opening: URLs and schema versions ------------------------------------------------------


def test_bad_urls_are_store_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a database URL"):
        Store.open("not a url")
    with pytest.raises(StoreError, match="sqlite or postgresql"):
        Store.open("mysql://u:secret@localhost/db")
    with pytest.raises(StoreError, match="cannot open") as caught:
        Store.open(f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}")
    assert "secret" not in str(caught.value)


def test_an_unreachable_server_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError, match="cannot open") as caught:
        Store.open("postgresql://antq:s3cret@127.0.0.1:1/none?connect_timeout=2")
    assert "s3cret" not in str(caught.value)
    assert caught.value.url.startswith("postgresql+psycopg://antq:***@")


def test_a_store_cannot_be_built_without_open() -> None:
    with pytest.raises(TypeError, match=r"Store\.open"):
        Store(sa.create_engine("sqlite://"))


# The layout of schema version 1, as that release created it: no `stored_by` on
# observations, no (subject, period) index.
V1_SCHEMA = """
CREATE TABLE antq_meta (name VARCHAR(64) NOT NULL PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE antq_document (id INTEGER NOT NULL PRIMARY KEY, metadata TEXT NOT NULL,
    gazetteer TEXT NOT NULL, saved_us BIGINT NOT NULL);
CREATE TABLE antq_entity (kind VARCHAR(32) NOT NULL, id VARCHAR(200) NOT NULL,
    seq INTEGER NOT NULL, doc TEXT NOT NULL, created_us BIGINT NOT NULL,
    updated_us BIGINT NOT NULL, PRIMARY KEY (kind, id));
CREATE TABLE antq_entity_history (kind VARCHAR(32) NOT NULL, id VARCHAR(200) NOT NULL,
    seq INTEGER NOT NULL, doc TEXT NOT NULL, created_us BIGINT NOT NULL,
    valid_from_us BIGINT NOT NULL, valid_to_us BIGINT NOT NULL);
CREATE INDEX ix_antq_entity_history_time ON antq_entity_history (valid_to_us, valid_from_us);
CREATE TABLE antq_personal (participant VARCHAR(200) NOT NULL PRIMARY KEY, full_name TEXT,
    identity_number VARCHAR(12), birth_date VARCHAR(10));
CREATE TABLE antq_code (dim SMALLINT NOT NULL, code INTEGER NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (dim, code), CONSTRAINT uq_antq_code_value UNIQUE (dim, value));
CREATE TABLE antq_observation (seq INTEGER NOT NULL PRIMARY KEY, metric INTEGER NOT NULL,
    subject INTEGER NOT NULL, period INTEGER NOT NULL, unit INTEGER NOT NULL,
    qualifier SMALLINT NOT NULL, disaggregation INTEGER NOT NULL, source INTEGER NOT NULL,
    note INTEGER NOT NULL, value BIGINT NOT NULL, exact TEXT, created_us BIGINT NOT NULL,
    updated_us BIGINT NOT NULL);
CREATE TABLE antq_observation_history (seq BIGINT NOT NULL, metric INTEGER NOT NULL,
    subject INTEGER NOT NULL, period INTEGER NOT NULL, unit INTEGER NOT NULL,
    qualifier SMALLINT NOT NULL, disaggregation INTEGER NOT NULL, source INTEGER NOT NULL,
    note INTEGER NOT NULL, value BIGINT NOT NULL, exact TEXT, created_us BIGINT NOT NULL,
    valid_from_us BIGINT NOT NULL, valid_to_us BIGINT NOT NULL);
CREATE INDEX ix_antq_observation_history_time
    ON antq_observation_history (valid_to_us, valid_from_us);
"""


def _v1_database(path: Path) -> Dataset:
    """A version-1 store holding two of the sample's observations, written as v1 wrote them."""
    ds = sample()
    rows = ds.observations[:2]
    small = ds.replace(observations=rows)
    doc = small.to_dict(include_sensitive=True)
    with sqlite3.connect(path) as db:
        db.executescript(V1_SCHEMA)
        db.executemany(
            "INSERT INTO antq_meta VALUES (?, ?)",
            [("schema_version", "1"), ("revision", "1"), ("last_change_us", "1000")],
        )
        db.execute(
            "INSERT INTO antq_document VALUES (1, ?, ?, 1000)",
            (json.dumps(doc["metadata"]), json.dumps(doc["gazetteer"])),
        )
        for kind in (
            "sources",
            "themes",
            "categories",
            "metrics",
            "initiatives",
            "sites",
            "organizations",
            "participants",
        ):
            for seq, entity in enumerate(getattr(small, kind).values()):
                db.execute(
                    "INSERT INTO antq_entity VALUES (?, ?, ?, ?, 1000, 1000)",
                    (kind, entity.id, seq, entity.model_dump_json(exclude_none=True)),
                )
                if kind == "participants" and entity.has_sensitive_data:
                    db.execute(
                        "INSERT INTO antq_personal VALUES (?, ?, ?, ?)",
                        (
                            entity.id,
                            entity.full_name,
                            entity.identity_number,
                            entity.birth_date and entity.birth_date.isoformat(),
                        ),
                    )
        codes: dict[tuple[int, str], int] = {}

        def code(dim: int, text: str) -> int:
            if (dim, text) not in codes:
                base = 1 if dim in (4, 5) else 0
                codes[dim, text] = base + sum(1 for d, _ in codes if d == dim)
                db.execute("INSERT INTO antq_code VALUES (?, ?, ?)", (dim, codes[dim, text], text))
            return codes[dim, text]

        for seq, o in enumerate(rows):
            assert not o.disaggregation
            assert isinstance(o.value, int)
            db.execute(
                "INSERT INTO antq_observation VALUES (?,?,?,?,?,?,?,?,?,?,NULL,1000,1000)",
                (
                    seq,
                    code(0, o.metric),
                    code(1, str(o.subject)),
                    code(2, str(o.period)),
                    code(3, str(o.unit)),
                    0,
                    0,
                    code(5, o.source) if o.source else 0,
                    code(5, o.note) if o.note else 0,
                    o.value,
                ),
            )
    return small


def test_opening_a_version_1_store_upgrades_it(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    small = _v1_database(path)
    with Store.open(f"sqlite:///{path}") as store:
        assert store.schema_version == 2
        assert store.load() == small
        with store.engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("antq_observation")}
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("antq_observation")}
        assert "stored_by" in columns
        assert "ix_antq_observation_subject_period" in indexes
        # The upgraded store takes new data and keeps the old as history.
        store.save(sample(), stored_by="officer-1")
        assert store.load() == sample()
        assert store.load(as_of=dt.datetime(1970, 1, 1, 0, 0, 0, 2000, tzinfo=dt.UTC)) == small
    with Store.open(f"sqlite:///{path}") as again:
        assert again.schema_version == 2


def _set_version(path: Path, value: str) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE antq_meta SET value = ? WHERE name = 'schema_version'", (value,))


def test_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    url = f"sqlite:///{path}"
    with Store.open(url) as store:
        store.save(sample())
    _set_version(path, "3")
    before = path.read_bytes()
    with pytest.raises(StoreSchemaError, match="newer antq_core") as caught:
        Store.open(url)
    assert caught.value.found == "3"
    assert caught.value.supported == SCHEMA_VERSION
    assert path.read_bytes() == before


@pytest.mark.parametrize("value", ["abc", "0", "-1", ""])
def test_an_unknown_schema_version_is_refused(tmp_path: Path, value: str) -> None:
    path = tmp_path / "odd.db"
    with Store.open(f"sqlite:///{path}"):
        pass
    _set_version(path, value)
    with pytest.raises(StoreSchemaError, match="unknown schema version"):
        Store.open(f"sqlite:///{path}")


def test_store_tables_without_a_version_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "foreign.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE antq_observation (x INTEGER)")
        db.execute("CREATE TABLE app_users (name TEXT)")
    with pytest.raises(StoreSchemaError, match="no antq_meta") as caught:
        Store.open(f"sqlite:///{path}")
    assert caught.value.found is None


def test_missing_tables_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    with Store.open(f"sqlite:///{path}"):
        pass
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE antq_personal")
    with pytest.raises(StoreSchemaError, match="antq_personal"):
        Store.open(f"sqlite:///{path}")


def test_an_application_can_keep_its_own_tables_beside(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE app_users (name TEXT)")
    with Store.open(f"sqlite:///{path}") as store:
        store.save(sample())
        assert store.load() == sample()


# -- entities one by one -------------------------------------------------------------------


def test_put_adds_and_replaces_entities_keeping_history(store_url: str) -> None:
    ds = sample()
    site = next(iter(ds.sites.values()))
    renamed = site.model_copy(update={"name_vi": "Điểm mới"})
    person = Participant(id="p-new", roles=["member"], full_name="Lò Văn Mới")
    with Store.open(store_url) as store:
        store.save(ds)
        time.sleep(0.002)
        before = dt.datetime.now(dt.UTC)
        time.sleep(0.002)
        store.put(renamed, person)
        loaded = store.load()
        assert loaded.sites[site.id].name_vi == "Điểm mới"
        assert list(loaded.sites) == list(ds.sites)
        assert loaded.participants["p-new"].full_name == "Lò Văn Mới"
        assert list(loaded.participants)[-1] == "p-new"
        assert store.load(include_personal=False).participants["p-new"].full_name is None
        assert store.load(as_of=before) == ds
        assert loaded == ds.replace(
            sites=[renamed if s.id == site.id else s for s in ds.sites.values()],
            participants=[*ds.participants.values(), person],
        )
        # Applying after a put sees the new entities (the store's cache follows them).
        store.put(person.model_copy(update={"full_name": None}))
        assert store.load().participants["p-new"].full_name is None
        with pytest.raises(InvalidValueError, match="a store keeps"):
            store.put(ds.metadata)


def test_put_needs_a_stored_dataset(sqlite_url: str) -> None:
    with Store.open(sqlite_url) as store, pytest.raises(StoreError, match="holds no dataset"):
        store.put(next(iter(sample().sites.values())))


def test_a_store_names_itself_by_its_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'named.db'}"
    with Store.open(url) as store:
        assert store.url == url
        assert repr(store) == f"<Store {url}>"


def test_a_tampered_store_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "tampered.db"
    with Store.open(f"sqlite:///{path}") as store:
        store.save(sample())
    with sqlite3.connect(path) as db:
        db.execute("UPDATE antq_entity SET kind = 'aliens' WHERE kind = 'sites'")
    with Store.open(f"sqlite:///{path}") as store, pytest.raises(StoreError, match="aliens"):
        store.load()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE antq_entity SET kind = 'sites' WHERE kind = 'aliens'")
        db.execute("UPDATE antq_code SET code = code + 100 WHERE dim = 2")
    with Store.open(f"sqlite:///{path}") as store, pytest.raises(StoreError, match="gap"):
        store.load()
