"""Store: a dataset kept in a SQL database (SQLite or PostgreSQL) through SQLAlchemy Core."""

from __future__ import annotations

import datetime as dt
import json
import time
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from itertools import repeat
from typing import TYPE_CHECKING, Any, Final, Self

from pydantic import BaseModel

from antq_core._cycle.completeness import CompletenessReport, completeness
from antq_core._dataset.dataset import Dataset
from antq_core._dataset.forms import assigned_units
from antq_core._dataset.store import (
    INT64_MAX,
    QUALIFIER_INDEX,
    FigureAudit,
    ObservationStore,
    Row,
    StoreBuilder,
)
from antq_core._dataset.summary import ImportStrategy, ImportSummary
from antq_core._entities import (
    DatasetMetadata,
    DisaggregationCategory,
    Initiative,
    InitiativeTheme,
    MassOrganization,
    MetricDefinition,
    Observation,
    Participant,
    ReportingForm,
    Site,
    Source,
    Submission,
)
from antq_core._util.extras import require
from antq_core._validation.run import check_submission
from antq_core._validation.submission import SubmissionCheck
from antq_core._values.geo import AdminLevel, Gazetteer
from antq_core._values.groups import UnitGroupSet
from antq_core._values.period import Period
from antq_core._values.quantity import Number, Qualifier, Unit
from antq_core._values.refs import EMPTY_DISAGGREGATION, Disaggregation, SubjectKind, SubjectRef
from antq_core.errors import InvalidValueError, StoreError, StoreSchemaError
from antq_core.store._schema import (
    CODE,
    DIMENSIONS,
    DOCUMENT,
    ENTITY,
    META,
    METADATA,
    OBSERVATION,
    OBSERVATION_COLUMNS,
    PERSONAL,
    SCHEMA_VERSION,
    TABLES,
    UPGRADES,
)

if TYPE_CHECKING:
    import sqlalchemy as sa
else:
    sa = require("sqlalchemy", "sql")

__all__ = ["DEFAULT_URL", "ENTITY_KINDS", "Store"]

DEFAULT_URL: Final = "sqlite:///antq.db"
"""The store :meth:`Store.open` opens when given no URL: a SQLite file in the working folder."""

ENTITY_KINDS: Final[Mapping[str, type[BaseModel]]] = {
    "sources": Source,
    "themes": InitiativeTheme,
    "categories": DisaggregationCategory,
    "metrics": MetricDefinition,
    "initiatives": Initiative,
    "sites": Site,
    "organizations": MassOrganization,
    "participants": Participant,
    "forms": ReportingForm,
}
"""The entity kinds a store keeps, each by the :class:`~antq_core.Dataset` attribute holding it."""

_PERSONAL_FIELDS: Final = ("full_name", "identity_number", "birth_date")
_DIM = {name: i for i, name in enumerate(DIMENSIONS)}
# Disaggregations and texts have an implied code 0 (the total; no text).
_IMPLIED_ZERO: Final = frozenset({_DIM["disaggregation"], _DIM["text"]})
_QUALIFIERS: Final = tuple(Qualifier)
_BATCH: Final = 100_000
_AUDIT: Final = ("stored_by", "audit_created_us", "audit_updated_us")
_ADVISORY_LOCK: Final = 0x616E7471  # "antq": serialises creating and upgrading the tables
_COLUMN_TYPES: Final = ("I", "I", "I", "H", "B", "I", "I", "I", "q")


def _now_us() -> int:
    return time.time_ns() // 1000


def to_us(moment: dt.datetime | dt.date) -> int:
    """Microseconds since 1970 UTC of ``moment``: a date means the end of that day, UTC.

    Raises:
        ValueError: ``moment`` is a naive datetime (its time zone is unknown).
    """
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment + dt.timedelta(days=1), dt.time(), dt.UTC)
        return (moment - _EPOCH) // dt.timedelta(microseconds=1) - 1
    if moment.tzinfo is None:
        msg = "give an aware datetime (with tzinfo), or a date"
        raise ValueError(msg)
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)


_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def from_us(us: int) -> dt.datetime:
    """The UTC datetime of a store time."""
    return _EPOCH + dt.timedelta(microseconds=us)


def _encode_exact(value: Number) -> str:
    return f"i{value}" if isinstance(value, int) else f"d{value:f}"


def _decode_exact(text: str) -> Number:
    return int(text[1:]) if text[0] == "i" else Decimal(text[1:])


def _dim_text(dim: int, value: object) -> str:
    if isinstance(value, Disaggregation):
        return json.dumps(dict(value.items_), ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _dim_value(dim: int, text: str) -> object:
    if dim == _DIM["subject"]:
        return SubjectRef.parse(text)
    if dim == _DIM["period"]:
        return Period.parse(text)
    if dim == _DIM["unit"]:
        return Unit.get(text)
    if dim == _DIM["disaggregation"]:
        return Disaggregation(json.loads(text))
    return text


def _normalise_url(url: str) -> str:
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


class Store:
    """Một kho dữ liệu: a dataset kept in a SQL database, SQLite or PostgreSQL.

    Open one with :meth:`open`. The store creates its own tables (all named
    ``antq_*``), records its schema version in the database and upgrades an
    older one when opened. It keeps one dataset: :meth:`save` writes a whole
    :class:`~antq_core.Dataset`, :meth:`load` reads it back, and the
    questions an application asks of one unit, metric and period
    (:meth:`observations`) are answered without loading the rest.

    Every changed or deleted row is kept with the time span it was current,
    so :meth:`load` can give the dataset as it stood at an earlier moment
    (``as_of=``). Participants' personal fields (names, identity numbers,
    birth dates) live in their own table, ``antq_personal``, so that a
    deployment can restrict it; ``load(include_personal=False)`` never reads it.

    >>> from antq_core import sample
    >>> from antq_core.store import Store
    >>> with Store.open("sqlite://") as store:
    ...     store.save(sample())
    ...     store.load() == sample()
    True

    A store is safe to share between threads; each call runs in its own
    transaction, and writers take a lock, so two writers never lose each
    other's changes. (An in-memory SQLite store, ``"sqlite://"``, is one
    connection: for one thread, as in tests and examples.)
    """

    def __init__(self, engine: sa.Engine, *, _token: Any = None) -> None:
        if _token is not _OPEN:
            msg = "open a store with Store.open(url)"
            raise TypeError(msg)
        self._engine = engine
        self._url = engine.url.render_as_string(hide_password=True)
        self._dialect = engine.dialect.name
        # Parsed code values by dimension and code: codes never change meaning.
        self._codes: dict[int, dict[int, object]] = {d: {} for d in range(len(DIMENSIONS))}
        # The text of each code read so far (code 0 of some is implied: "").
        self._code_text: dict[int, tuple[str, ...]] = {
            d: ("",) if d in _IMPLIED_ZERO else () for d in range(len(DIMENSIONS))
        }
        # The stored dataset without observations, by the id of its document.
        self._cached_context: tuple[object, Dataset] | None = None

    # -- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str = DEFAULT_URL, *, echo: bool = False) -> Store:
        """Open (and create or upgrade) the store at ``url``.

        Args:
            url: A SQLAlchemy database URL: ``"sqlite:///antq.db"`` (a file,
                the default), ``"sqlite://"`` (in memory, for tests and
                examples), or ``"postgresql+psycopg://user@host/db"``
                (``postgresql://`` is read as that too).
            echo: Log every SQL statement (SQLAlchemy's ``echo``).

        Raises:
            StoreError: The URL cannot be read, its engine is not SQLite or
                PostgreSQL, or the database cannot be reached.
            StoreSchemaError: The database holds tables of a newer schema, or
                store tables without a schema version this release knows.
            MissingExtraError: SQLAlchemy or psycopg is not installed
                (``pip install 'antq_core[sql]'``).
        """
        try:
            parsed = sa.make_url(_normalise_url(url))
        except sa.exc.ArgumentError as e:
            raise StoreError("<unreadable URL>", f"not a database URL ({e})") from None
        shown = parsed.render_as_string(hide_password=True)
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            engine = _sqlite_engine(parsed, echo=echo)
        elif backend == "postgresql":
            require("psycopg", "sql")
            engine = sa.create_engine(parsed, echo=echo, pool_pre_ping=True)
        else:
            reason = f"the store runs on sqlite or postgresql, not {backend}"
            raise StoreError(shown, reason)
        store = cls(engine, _token=_OPEN)
        try:
            store._prepare()
        except sa.exc.OperationalError as e:
            engine.dispose()
            raise StoreError(shown, f"cannot open the database: {_first_line(e)}") from None
        except BaseException:
            engine.dispose()
            raise
        return store

    def _prepare(self) -> None:
        """Create the tables in an empty database, or check and upgrade its schema."""
        with self._writing(lock=False) as conn:
            if self._dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK})
            names = set(sa.inspect(conn).get_table_names())
            ours = {n for n in names if n.startswith("antq_")}
            if not ours:
                METADATA.create_all(conn)
                conn.execute(
                    META.insert(),
                    [
                        {"name": "schema_version", "value": str(SCHEMA_VERSION)},
                        {"name": "revision", "value": "0"},
                        {"name": "last_change_us", "value": "0"},
                    ],
                )
                return
            if META.name not in ours:
                raise StoreSchemaError(
                    self._url,
                    None,
                    SCHEMA_VERSION,
                    f"the database has store tables ({', '.join(sorted(ours))}) but no "
                    "antq_meta table with a schema version: not a store this release knows",
                )
            found = conn.execute(
                sa.select(META.c.value).where(META.c.name == "schema_version")
            ).scalar_one_or_none()
            version = int(found) if found is not None and found.isdigit() else None
            if version is None or version < 1:
                raise StoreSchemaError(
                    self._url,
                    found,
                    SCHEMA_VERSION,
                    f"unknown schema version {found!r} in antq_meta",
                )
            if version > SCHEMA_VERSION:
                raise StoreSchemaError(
                    self._url,
                    found,
                    SCHEMA_VERSION,
                    f"the database has schema version {version}, made by a newer antq_core; "
                    f"this release reads up to version {SCHEMA_VERSION}: upgrade antq_core",
                )
            while version < SCHEMA_VERSION:
                UPGRADES[version](conn)
                version += 1
                conn.execute(
                    META.update().where(META.c.name == "schema_version").values(value=str(version))
                )
            missing = sorted({t.name for t in TABLES} - set(sa.inspect(conn).get_table_names()))
            if missing:
                raise StoreSchemaError(
                    self._url,
                    found,
                    SCHEMA_VERSION,
                    f"schema version {found} but tables are missing: {', '.join(missing)}",
                )

    def close(self) -> None:
        """Close every connection of the store's pool."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Store {self._url}>"

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._url

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine, for an application's own tables in the same database."""
        return self._engine

    @property
    def schema_version(self) -> int:
        """The schema version of the database (after any upgrade :meth:`open` made)."""
        return int(self._meta("schema_version"))

    @property
    def revision(self) -> int:
        """How many changes (saves, applied submissions) the store has taken.

        An application can keep a loaded dataset while this stays the same.
        """
        return int(self._meta("revision"))

    def _meta(self, name: str) -> str:
        with self._reading() as conn:
            value: str = conn.execute(
                sa.select(META.c.value).where(META.c.name == name)
            ).scalar_one()
            return value

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        """A transaction that sees one snapshot of the database."""
        with self._engine.connect() as opened:
            conn = opened
            if self._dialect == "postgresql":
                conn = opened.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextmanager
    def _writing(self, *, lock: bool = True) -> Iterator[sa.Connection]:
        """A write transaction; with ``lock``, holding the writers' lock (the revision row)."""
        with self._engine.connect() as opened:
            conn = opened.execution_options(antq_write=True)
            with conn.begin():
                if lock:
                    conn.execute(
                        sa.select(META.c.value).where(META.c.name == "revision").with_for_update()
                    ).scalar_one()
                yield conn

    def _stamp(self, conn: sa.Connection) -> int:
        """The time of this change: now, and later than every change before (held lock)."""
        last = int(
            conn.execute(
                sa.select(META.c.value).where(META.c.name == "last_change_us")
            ).scalar_one()
        )
        now = max(_now_us(), last + 1)
        conn.execute(META.update().where(META.c.name == "last_change_us").values(value=str(now)))
        conn.execute(
            META.update()
            .where(META.c.name == "revision")
            .values(value=sa.cast(sa.cast(META.c.value, sa.BigInteger) + 1, sa.Text))
        )
        return now

    # -- codes ------------------------------------------------------------------------------

    def _code_tables(self, conn: sa.Connection) -> dict[int, list[str]]:
        """Every code table: for each dimension, the text of each code (a copy to extend).

        Codes only grow, so the store keeps what it has read and asks only for
        the codes added since.
        """
        known = self._code_text
        condition = sa.or_(
            *(
                sa.and_(CODE.c.dim == dim, CODE.c.code >= len(table))
                for dim, table in known.items()
            )
        )
        rows = conn.execute(
            sa.select(CODE.c.dim, CODE.c.code, CODE.c.value)
            .where(condition)
            .order_by(CODE.c.dim, CODE.c.code)
        ).all()
        tables = {dim: list(table) for dim, table in known.items()}
        for dim, code, value in rows:
            table = tables[dim]
            if code != len(table):
                raise StoreError(self._url, f"code table {DIMENSIONS[dim]} has a gap at {code}")
            table.append(value)
        if rows:
            self._code_text = {dim: tuple(table) for dim, table in tables.items()}
        return tables

    def _intern(
        self, conn: sa.Connection, dim: int, values: Sequence[object], tables: dict[int, list[str]]
    ) -> list[int]:
        """The stored code of each value (``values[0]`` is 0 where implied), adding new ones."""
        table = tables[dim]
        known = {text: code for code, text in enumerate(table)}
        first = 1 if dim in _IMPLIED_ZERO else 0
        out = [0] * first
        new: list[dict[str, object]] = []
        for value in values[first:]:
            text = _dim_text(dim, value)
            code = known.get(text)
            if code is None:
                code = known[text] = len(table)
                table.append(text)
                new.append({"dim": dim, "code": code, "value": text})
            out.append(code)
        if new:
            conn.execute(CODE.insert(), new)
        return out

    # -- saving ---------------------------------------------------------------------------

    def save(self, dataset: Dataset, *, stored_by: str | None = None) -> None:
        """Store ``dataset`` whole, in one transaction, in place of what the store held.

        What it held before stays in the history, so ``load(as_of=...)`` of
        an earlier moment still gives it. Personal fields of participants go
        to their own table.

        Args:
            dataset: The dataset to keep.
            stored_by: Who stores it (a user name), kept with each figure.
        """
        with self._writing() as conn:
            now = self._stamp(conn)
            self._retire_all(conn, now)
            conn.execute(
                DOCUMENT.insert().values(
                    metadata=dataset.metadata.model_dump_json(exclude_none=True),
                    gazetteer=json.dumps(dataset.gazetteer.to_dict(), ensure_ascii=False),
                    saved_us=now,
                )
            )
            entities: list[dict[str, object]] = []
            personal: list[dict[str, object]] = []
            for kind in ENTITY_KINDS:
                table: Mapping[str, BaseModel] = getattr(dataset, kind)
                for seq, entity in enumerate(table.values()):
                    entities.append(
                        {
                            "kind": kind,
                            "id": getattr(entity, "id"),  # noqa: B009 - every kind has ids
                            "seq": seq,
                            "doc": entity.model_dump_json(exclude_none=True),
                            "created_us": now,
                            "updated_us": now,
                        }
                    )
                    if isinstance(entity, Participant) and entity.has_sensitive_data:
                        personal.append(_personal_row(entity))
            if entities:
                conn.execute(ENTITY.insert(), entities)
            conn.execute(PERSONAL.delete())
            if personal:
                conn.execute(PERSONAL.insert(), personal)
            self._insert_observations(conn, dataset, now, stored_by)

    def _retire_all(self, conn: sa.Connection, now: int) -> None:
        """Move every current entity and observation into the history, ended at ``now``."""
        cols = ", ".join(OBSERVATION_COLUMNS)
        audit = ", ".join(_AUDIT)
        conn.execute(
            sa.text(
                "INSERT INTO antq_entity_history "
                "(kind, id, seq, doc, created_us, valid_from_us, valid_to_us) "
                "SELECT kind, id, seq, doc, created_us, updated_us, :now FROM antq_entity"
            ),
            {"now": now},
        )
        conn.execute(ENTITY.delete())
        conn.execute(
            sa.text(
                f"INSERT INTO antq_observation_history (seq, {cols}, created_us, {audit}, "  # noqa: S608 - column names are ours
                f"valid_from_us, valid_to_us) SELECT seq, {cols}, created_us, {audit}, "
                "updated_us, :now FROM antq_observation"
            ),
            {"now": now},
        )
        conn.execute(OBSERVATION.delete())

    def _insert_observations(
        self, conn: sa.Connection, dataset: Dataset, now: int, stored_by: str | None
    ) -> None:
        cols = dataset.observations.columns()
        n = len(cols)
        if not n:
            return
        tables = self._code_tables(conn)
        local: list[Sequence[object]] = [
            cols.metrics,
            cols.subjects,
            cols.periods,
            cols.units,
            cols.disaggregations,
            cols.texts,
        ]
        trans = [self._intern(conn, dim, values, tables) for dim, values in enumerate(local)]

        def coded(dim: int, column: memoryview) -> Iterable[int]:
            t = trans[dim]
            if t == list(range(len(t))):
                return column
            return map(t.__getitem__, column)

        exact: list[str | None] = [None] * n
        for row, number in cols.exact.items():
            exact[row] = _encode_exact(number)
        who: list[str | None] = [stored_by] * n
        created: list[int | None] = [None] * n
        updated: list[int | None] = [None] * n
        for row, audit in dataset.observations.audits().items():
            if audit.stored_by is not None:
                who[row] = audit.stored_by
            created[row] = None if audit.created is None else to_us(audit.created)
            updated[row] = to_us(audit.last_updated)
        rows = zip(
            range(n),
            coded(0, cols.metric),
            coded(1, cols.subject),
            coded(2, cols.period),
            coded(3, cols.unit),
            cols.qualifier,
            coded(4, cols.disaggregation),
            coded(5, cols.source),
            coded(5, cols.note),
            cols.value,
            exact,
            repeat(now),
            who,
            created,
            updated,
            repeat(now),
            strict=False,
        )
        self._bulk_insert(conn, rows)

    def _bulk_insert(self, conn: sa.Connection, rows: Iterable[tuple[object, ...]]) -> None:
        """Insert observation rows through the driver: executemany, or COPY on PostgreSQL."""
        names = ["seq", *OBSERVATION_COLUMNS, "created_us", *_AUDIT, "updated_us"]
        driver: Any = conn.connection.driver_connection
        if self._dialect == "postgresql":
            with (
                driver.cursor() as cur,
                cur.copy(f"COPY antq_observation ({', '.join(names)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" * len(names))
        cur = driver.cursor()
        try:
            cur.executemany(
                f"INSERT INTO antq_observation ({', '.join(names)}) VALUES ({marks})",  # noqa: S608 - column names are ours
                rows,
            )
        finally:
            cur.close()

    # -- loading ---------------------------------------------------------------------------

    def load(
        self, *, include_personal: bool = True, as_of: dt.datetime | dt.date | None = None
    ) -> Dataset:
        """The stored dataset, observations read in bulk into the column store.

        Each figure comes back with who stored it and when
        (:meth:`ObservationStore.audit <antq_core.ObservationStore.audit>`), as
        saved or applied; a figure saved with no such record has none (the
        ``stored_by`` of :meth:`save` alone makes none).

        Args:
            include_personal: Read participants' personal fields from their
                table. With ``False`` the table is never read (a deployment
                may deny this connection access to it) and participants come
                without names, identity numbers or birth dates.
            as_of: Give the dataset as it stood at this moment (an aware
                datetime; a date means the end of that day, UTC) from the
                history of changed and deleted rows. Personal fields are not
                versioned: with ``include_personal`` they are those stored now.

        Raises:
            StoreError: The store holds no dataset (or held none at ``as_of``),
                or the personal fields cannot be read.
        """
        at = None if as_of is None else to_us(as_of)
        with self._reading() as conn:
            document = conn.execute(
                sa.select(DOCUMENT.c.metadata, DOCUMENT.c.gazetteer)
                .where(sa.true() if at is None else DOCUMENT.c.saved_us <= at)
                .order_by(DOCUMENT.c.id.desc())
                .limit(1)
            ).one_or_none()
            if document is None:
                when = "" if as_of is None else f" as of {as_of}"
                raise StoreError(self._url, f"holds no dataset{when}: save one first")
            personal = self._personal(conn) if include_personal else {}
            entities = self._entities(conn, at, personal)
            tables = self._code_tables(conn)
            builder, columns, exact, audits = self._read_columns(conn, at, tables)
        builder.extend(
            metric=columns[0],
            subject=columns[1],
            period=columns[2],
            unit=columns[3],
            qualifier=columns[4],
            disaggregation=columns[5],
            source=columns[6],
            note=columns[7],
            value=columns[8],
            exact=exact,
            audit=audits,
        )
        return Dataset(
            gazetteer=Gazetteer.from_dict(json.loads(document.gazetteer), source=self._url),
            metadata=DatasetMetadata.model_validate_json(document.metadata),
            observations=builder.build(),
            **entities,
        )

    def _personal(self, conn: sa.Connection) -> dict[str, dict[str, str]]:
        try:
            rows = conn.execute(sa.select(PERSONAL)).all()
        except sa.exc.DBAPIError as e:
            reason = (
                f"cannot read participants' personal fields ({_first_line(e)}); "
                "load with include_personal=False"
            )
            raise StoreError(self._url, reason) from None
        return {
            row.participant: {
                name: getattr(row, name)
                for name in _PERSONAL_FIELDS
                if getattr(row, name) is not None
            }
            for row in rows
        }

    def _entities(
        self, conn: sa.Connection, at: int | None, personal: Mapping[str, Mapping[str, str]]
    ) -> dict[str, list[Any]]:
        if at is None:
            query = sa.text("SELECT kind, doc FROM antq_entity ORDER BY kind, seq")
        else:
            query = sa.text(
                "SELECT kind, doc, seq FROM antq_entity WHERE updated_us <= :at "
                "UNION ALL SELECT kind, doc, seq FROM antq_entity_history "
                "WHERE valid_from_us <= :at AND valid_to_us > :at ORDER BY kind, seq"
            ).bindparams(at=at)
        out: dict[str, list[Any]] = {kind: [] for kind in ENTITY_KINDS}
        for kind, stored, *_ in conn.execute(query):
            model = ENTITY_KINDS.get(kind)
            if model is None:
                raise StoreError(self._url, f"unknown entity kind {kind!r} in antq_entity")
            doc = stored
            if model is Participant and personal:
                data = json.loads(doc)
                extra = personal.get(data["id"])
                if extra:
                    doc = json.dumps({**data, **extra}, ensure_ascii=False)
            out[kind].append(model.model_validate_json(doc))
        return out

    def _read_columns(
        self, conn: sa.Connection, at: int | None, tables: dict[int, list[str]]
    ) -> tuple[StoreBuilder, list[array[int]], dict[int, Number], dict[int, FigureAudit]]:
        """Every observation's codes and audit, read through the driver a batch at a time."""
        cols = ", ".join((*OBSERVATION_COLUMNS, *_AUDIT))
        params: tuple[int, ...] = ()
        if at is None:
            sql = f"SELECT {cols} FROM antq_observation ORDER BY seq"  # noqa: S608 - ours
        else:
            mark = "?" if self._dialect == "sqlite" else "%s"
            sql = (
                f"SELECT seq, {cols} FROM antq_observation WHERE updated_us <= {mark} "  # noqa: S608 - ours
                f"UNION ALL SELECT seq, {cols} FROM antq_observation_history "
                f"WHERE valid_from_us <= {mark} AND valid_to_us > {mark} ORDER BY seq"
            )
            params = (at, at, at)
        columns = [array(t) for t in _COLUMN_TYPES]
        exact: dict[int, Number] = {}
        audits: dict[int, FigureAudit] = {}
        driver: Any = conn.connection.driver_connection
        cur = driver.cursor()
        try:
            cur.execute(sql, params)
            base = 0
            while batch := cur.fetchmany(_BATCH):
                parts = list(zip(*batch, strict=True))
                if at is not None:
                    parts = parts[1:]
                for column, part in zip(columns, parts, strict=False):
                    column.extend(part)
                texts = parts[9]
                if texts.count(None) != len(texts):
                    for i, text in enumerate(texts):
                        if text is not None:
                            exact[base + i] = _decode_exact(text)
                _read_audits(parts[10:13], base, audits)
                base += len(batch)
        finally:
            cur.close()
        return self._compact(tables, columns), columns, exact, audits

    def _compact(self, tables: dict[int, list[str]], columns: list[array[int]]) -> StoreBuilder:
        """A builder whose tables hold only the codes the rows use, columns recoded to match."""
        # Which column holds codes of each dimension (sources and notes share texts).
        uses = {0: (0,), 1: (1,), 2: (2,), 3: (3,), 4: (5,), 5: (6, 7)}
        values: dict[int, list[object]] = {}
        for dim, positions in uses.items():
            table = tables[dim]
            used: set[int] = set()
            for p in positions:
                used.update(columns[p])
            if dim in _IMPLIED_ZERO:
                used.add(0)
            keep: Sequence[int]
            if len(used) == len(table):
                keep = range(len(table))
            else:
                keep = sorted(used)
                recode = {old: new for new, old in enumerate(keep)}
                for p in positions:
                    columns[p] = array(columns[p].typecode, map(recode.__getitem__, columns[p]))
            start = 1 if dim in _IMPLIED_ZERO else 0
            values[dim] = [self._parsed(dim, code, table[code]) for code in keep[start:]]
        builder = StoreBuilder(
            metrics=values[0],  # type: ignore[arg-type]
            subjects=values[1],  # type: ignore[arg-type]
            periods=values[2],  # type: ignore[arg-type]
            units=values[3],  # type: ignore[arg-type]
        )
        for d in values[4]:
            builder.disaggregations.add(d)  # type: ignore[arg-type]
        for t in values[5]:
            builder.texts.add(t)  # type: ignore[arg-type]
        return builder

    def _parsed(self, dim: int, code: int, text: str) -> object:
        """The value of a stored code, parsed once per store (codes never change meaning)."""
        cache = self._codes[dim]
        try:
            return cache[code]
        except KeyError:
            value = cache[code] = _dim_value(dim, text)
            return value

    # -- applying submissions --------------------------------------------------------------

    def apply(
        self,
        submission: Submission,
        strategy: ImportStrategy = "create_and_update",
        *,
        dry_run: bool = False,
        force: bool = False,
        now: dt.datetime | None = None,
    ) -> ImportSummary:
        """Apply ``submission`` to the stored dataset in one transaction; say what it did.

        The same rules as :meth:`Dataset.apply <antq_core.Dataset.apply>`,
        with the same :class:`~antq_core.ImportSummary` and conflicts: the
        store reads only the entities and the stored figures of the
        submission's subject and period, applies the submission to those, and
        writes what changed (replaced and deleted figures go to the history).
        Writers take the store's lock, so two submissions applied at once
        (threads, processes, or two servers on one PostgreSQL) are both kept.

        Each figure written records the submission's ``stored_by`` and the
        time of the transaction (which ``load(as_of=...)`` goes by); ``now``
        is the day the period's opening and closing are judged on, as for
        :meth:`Dataset.apply <antq_core.Dataset.apply>`.

        Args:
            submission: One unit's report for one form and period.
            strategy: ``"create_and_update"``, ``"create"``, ``"update"`` or ``"delete"``.
            dry_run: Only say what applying would do; nothing is written.
            force: Take the submission even if its period is not open for entry.
            now: The time of the import (timezone-aware); by default the
                submission's ``submitted`` time, else the current time.

        Raises:
            StoreError: The store holds no dataset.
            InvalidValueError: ``strategy`` is not one of the four, or ``now``
                has no time zone.
        """
        when = now or submission.submitted or dt.datetime.now(dt.UTC)
        with self._writing() as conn:
            context = self._context(conn)
            tables = self._code_tables(conn)
            stored = self._figures(conn, submission.subject, submission.period, tables)
            before = context.replace(observations=_with_audits(stored))
            after, summary = before.apply(
                submission, strategy, dry_run=dry_run, force=force, now=when
            )
            if after is before:
                return summary
            self._write_changes(
                conn,
                submission,
                summary,
                (before, after),
                seqs=[seq for seq, _, _, _ in stored],
                created=[c for _, c, _, _ in stored],
                tables=tables,
            )
        return summary

    def _context(self, conn: sa.Connection) -> Dataset:
        """The stored dataset without observations, kept while its entities stay the same."""
        current = conn.execute(sa.select(sa.func.max(DOCUMENT.c.id))).scalar_one()
        if current is None:
            raise StoreError(self._url, "holds no dataset: save one first")
        # Entities change by save (a new document) and put (a new or later row).
        count, latest = conn.execute(
            sa.select(sa.func.count(), sa.func.max(ENTITY.c.updated_us))
        ).one()
        key = (current, count, latest)
        cached = self._cached_context
        if cached is not None and cached[0] == key:
            return cached[1]
        document = conn.execute(
            sa.select(DOCUMENT.c.metadata, DOCUMENT.c.gazetteer).where(DOCUMENT.c.id == current)
        ).one()
        context = Dataset(
            gazetteer=Gazetteer.from_dict(json.loads(document.gazetteer), source=self._url),
            metadata=DatasetMetadata.model_validate_json(document.metadata),
            **self._entities(conn, None, {}),
        )
        self._cached_context = (key, context)
        return context

    def put(self, *entities: BaseModel) -> None:
        """Add entities to the stored dataset, or replace those with the same kind and id.

        One transaction for all; a replaced entity's earlier version stays in
        the history (``load(as_of=...)``). References are not checked, as a
        :class:`~antq_core.Dataset` does not check them: validate the loaded
        dataset for that.

        >>> from antq_core import InitiativeTheme, sample
        >>> from antq_core.store import Store
        >>> store = Store.open("sqlite://")
        >>> store.save(sample())
        >>> store.put(InitiativeTheme(id="new-theme", name_vi="Mới", name_en="New"))
        >>> store.load().theme("new-theme").name_en
        'New'

        Args:
            entities: Instances of the kinds in :data:`ENTITY_KINDS`.

        Raises:
            StoreError: The store holds no dataset.
            InvalidValueError: An entity is of no kind the store keeps.
        """
        kinds = {model: kind for kind, model in ENTITY_KINDS.items()}
        for entity in entities:
            if type(entity) not in kinds:
                reason = f"a store keeps {', '.join(m.__name__ for m in kinds)}"
                raise InvalidValueError("entity", type(entity).__name__, reason)
        with self._writing() as conn:
            self._context(conn)  # a dataset must be stored
            now = self._stamp(conn)
            for entity in entities:
                kind = kinds[type(entity)]
                key = getattr(entity, "id")  # noqa: B009 - every kind has ids
                where = sa.and_(ENTITY.c.kind == kind, ENTITY.c.id == key)
                doc = entity.model_dump_json(exclude_none=True)
                found = conn.execute(sa.select(ENTITY.c.seq).where(where)).scalar_one_or_none()
                if found is None:
                    top = conn.execute(
                        sa.select(sa.func.max(ENTITY.c.seq)).where(ENTITY.c.kind == kind)
                    ).scalar_one()
                    conn.execute(
                        ENTITY.insert().values(
                            kind=kind,
                            id=key,
                            seq=0 if top is None else top + 1,
                            doc=doc,
                            created_us=now,
                            updated_us=now,
                        )
                    )
                else:
                    conn.execute(
                        sa.text(
                            "INSERT INTO antq_entity_history "
                            "(kind, id, seq, doc, created_us, valid_from_us, valid_to_us) "
                            "SELECT kind, id, seq, doc, created_us, updated_us, :now "
                            "FROM antq_entity WHERE kind = :kind AND id = :id"
                        ),
                        {"now": now, "kind": kind, "id": key},
                    )
                    conn.execute(ENTITY.update().where(where).values(doc=doc, updated_us=now))
                if isinstance(entity, Participant):
                    conn.execute(PERSONAL.delete().where(PERSONAL.c.participant == key))
                    if entity.has_sensitive_data:
                        conn.execute(PERSONAL.insert().values(**_personal_row(entity)))

    def _figures(
        self,
        conn: sa.Connection,
        subject: SubjectRef,
        period: Period,
        tables: dict[int, list[str]],
    ) -> list[tuple[int, int, Observation, FigureAudit | None]]:
        """The stored figures of one subject and period, with ``seq``, ``created_us``, audit."""
        s = _code_in(tables, _DIM["subject"], str(subject))
        p = _code_in(tables, _DIM["period"], str(period))
        if s is None or p is None:
            return []
        rows = conn.execute(
            sa.select(OBSERVATION)
            .where(OBSERVATION.c.subject == s, OBSERVATION.c.period == p)
            .order_by(OBSERVATION.c.seq)
        ).all()
        return [
            (row.seq, row.created_us, self._observation(row, tables), _audit_of(row))
            for row in rows
        ]

    def _write_changes(
        self,
        conn: sa.Connection,
        submission: Submission,
        summary: ImportSummary,
        datasets: tuple[Dataset, Dataset],
        *,
        seqs: list[int],
        created: list[int],
        tables: dict[int, list[str]],
    ) -> None:
        """Write the difference between two datasets of one subject and period's figures."""
        old, new = datasets[0].observations, datasets[1].observations
        n = len(old)
        now = self._stamp(conn)
        # A fresh store's slots are its rows: find() names the stored row each item met.
        touched: set[int] = set()
        rejected = set(summary.rejected_indexes)
        for index, item in enumerate(submission.items):
            if index in rejected:
                continue
            slot = old.find(
                item.metric, submission.subject, submission.period, item.disaggregation
            )
            if slot is not None:
                touched.add(slot)
        removed = len(new) < n
        gone = sorted(touched) if removed else []
        changed = [] if removed else sorted(i for i in touched if new[i] != old[i])
        appended = list(new[n:]) if not removed else []
        retire = [seqs[i] for i in (*gone, *changed)]
        if retire:
            self._retire(conn, retire, now)
        coder = _Coder(tables)
        rows = [
            {
                "seq": seqs[i],
                **coder.columns(new[i]),
                "created_us": created[i],
                "updated_us": now,
                **_audit_columns(new.audit(i)),
            }
            for i in changed
        ]
        if appended:
            top = conn.execute(sa.select(sa.func.max(OBSERVATION.c.seq))).scalar_one()
            start = -1 if top is None else top
            rows += [
                {
                    "seq": start + 1 + k,
                    **coder.columns(o),
                    "created_us": now,
                    "updated_us": now,
                    **_audit_columns(new.audit(n + k)),
                }
                for k, o in enumerate(appended)
            ]
        coder.flush(conn)
        if retire:
            # Replaced rows are written again below under their seq, keeping their place.
            conn.execute(OBSERVATION.delete().where(OBSERVATION.c.seq.in_(retire)))
        if rows:
            conn.execute(OBSERVATION.insert(), rows)

    def _retire(self, conn: sa.Connection, seqs: Sequence[int], now: int) -> None:
        """Copy the current versions of rows ``seqs`` into the history, ended at ``now``."""
        cols = ", ".join(OBSERVATION_COLUMNS)
        audit = ", ".join(_AUDIT)
        conn.execute(
            sa.text(
                f"INSERT INTO antq_observation_history (seq, {cols}, created_us, {audit}, "  # noqa: S608 - column names are ours
                f"valid_from_us, valid_to_us) SELECT seq, {cols}, created_us, {audit}, "
                "updated_us, :now FROM antq_observation WHERE seq IN :seqs"
            ).bindparams(sa.bindparam("seqs", expanding=True)),
            {"now": now, "seqs": list(seqs)},
        )

    def completeness(
        self,
        *,
        form: str,
        period: Period | str,
        parent: str | None = None,
        level: AdminLevel | str | None = None,
        group_sets: Mapping[str, UnitGroupSet] | None = None,
    ) -> CompletenessReport:
        """Completeness and timeliness of ``form``'s reports for ``period``, from the store.

        The same answer as :func:`~antq_core.completeness` on the loaded
        dataset, with the times each figure was stored (which a loaded
        dataset does not carry): the store reads the entities and only the
        figures that decide it (the totals of the form's metrics, for the
        units it assigns and the periods asked).

        Args:
            form: The form's id.
            period: A period of the form's kind, or a longer one holding several.
            parent: Only the units under this unit's code.
            level: Sum the rows at this level.
            group_sets: Where a form's unit group is looked up (the bundled ones by default).

        Raises:
            StoreError: The store holds no dataset.
            InvalidValueError: As :func:`~antq_core.completeness` raises it.
        """
        with self._reading() as conn:
            context = self._context(conn)
            tables = self._code_tables(conn)
            known = context.forms.get(form)
            if known is None:
                return completeness(context, form=form, period=period)  # raises the same error
            wanted = _period(period)
            kind = known.period_kind
            periods = [wanted] if wanted.kind is kind else wanted.sub_periods(kind)
            subjects = [
                str(SubjectRef(SubjectKind.UNIT, u.code))
                for u in assigned_units(known, context.gazetteer, group_sets=group_sets)
                if parent is None
                or (parent in context.gazetteer and context.gazetteer.is_within(u.code, parent))
            ]
            metrics = [m.metric for m in known.metrics]
            stored = self._select(
                conn,
                tables,
                subjects=subjects,
                periods=[str(p) for p in periods],
                metrics=metrics,
                totals_only=True,
            )
        figures = context.replace(observations=_with_audits(stored))
        return completeness(
            figures, form=known, period=wanted, parent=parent, level=level, group_sets=group_sets
        )

    def check_submission(
        self,
        submission: Submission,
        strategy: ImportStrategy = "create_and_update",
        *,
        now: dt.datetime | None = None,
    ) -> SubmissionCheck:
        """What applying ``submission`` would change in the validation, from the store.

        :func:`~antq_core.check_submission` on the entities and the stored
        figures of the submission's subject (every metric and period), read
        without loading the rest: the issues it would introduce, located at
        the submission's items, those it would settle, and a dry run's
        summary. Nothing is written. Rows named by settled issues are counted
        within the subject's figures, not the whole dataset.

        Raises:
            StoreError: The store holds no dataset.
        """
        with self._reading() as conn:
            context = self._context(conn)
            tables = self._code_tables(conn)
            stored = self._select(conn, tables, subjects=[str(submission.subject)])
        figures = context.replace(observations=_with_audits(stored))
        return check_submission(figures, submission, strategy=strategy, now=now)

    def _select(
        self,
        conn: sa.Connection,
        tables: dict[int, list[str]],
        *,
        subjects: Sequence[str] | None = None,
        periods: Sequence[str] | None = None,
        metrics: Sequence[str] | None = None,
        totals_only: bool = False,
    ) -> list[tuple[int, int, Observation, FigureAudit | None]]:
        """The stored figures with one of these subjects, periods and metrics, in order."""
        query = sa.select(OBSERVATION).order_by(OBSERVATION.c.seq)
        for column, dim, texts in (
            (OBSERVATION.c.subject, _DIM["subject"], subjects),
            (OBSERVATION.c.period, _DIM["period"], periods),
            (OBSERVATION.c.metric, _DIM["metric"], metrics),
        ):
            if texts is None:
                continue
            index = {text: code for code, text in enumerate(tables[dim])}
            codes = sorted({index[t] for t in texts if t in index})
            if not codes:
                return []
            if len(codes) < len(tables[dim]):
                query = query.where(column.in_(codes))
        if totals_only:
            query = query.where(OBSERVATION.c.disaggregation == 0)
        return [
            (row.seq, row.created_us, self._observation(row, tables), _audit_of(row))
            for row in conn.execute(query)
        ]

    # -- questions ---------------------------------------------------------------------------

    def observations(
        self,
        *,
        subject: SubjectRef | str | None = None,
        metric: str | Iterable[str] | None = None,
        period: Period | str | None = None,
        within: Period | str | None = None,
    ) -> list[Observation]:
        """The stored observations that match, in dataset order, without loading the rest.

        Args:
            subject: Only those about this subject (``"unit:12"``, ``"site:mh3-s1"``).
            metric: Only those of this metric id, or of any of these ids.
            period: Only those of exactly this period.
            within: Only those whose period lies within this one (the months of
                a year, say).
        """
        with self._reading() as conn:
            tables = self._code_tables(conn)
            query = sa.select(OBSERVATION).order_by(OBSERVATION.c.seq)
            lookups: list[tuple[str, int, list[str]]] = []
            if subject is not None:
                lookups.append(("subject", _DIM["subject"], [str(_subject(subject))]))
            if metric is not None:
                ids = [metric] if isinstance(metric, str) else list(metric)
                lookups.append(("metric", _DIM["metric"], ids))
            if period is not None:
                lookups.append(("period", _DIM["period"], [str(_period(period))]))
            for column, dim, texts in lookups:
                index = {text: code for code, text in enumerate(tables[dim])}
                codes = [index[t] for t in texts if t in index]
                if not codes:
                    return []
                query = query.where(OBSERVATION.c[column].in_(codes))
            if within is not None:
                outer = _period(within)
                table = tables[_DIM["period"]]
                codes = [
                    code
                    for code, text in enumerate(table)
                    if outer.contains(self._parsed(_DIM["period"], code, text))  # type: ignore[arg-type]
                ]
                if not codes:
                    return []
                query = query.where(OBSERVATION.c.period.in_(codes))
            rows = conn.execute(query).all()
        return [self._observation(row, tables) for row in rows]

    def _observation(self, row: Any, tables: dict[int, list[str]]) -> Observation:
        def val(dim: int, code: int) -> Any:
            if code == 0 and dim in _IMPLIED_ZERO:
                return EMPTY_DISAGGREGATION if dim == _DIM["disaggregation"] else None
            return self._parsed(dim, code, tables[dim][code])

        return Observation.model_construct(
            metric=val(0, row.metric),
            subject=val(1, row.subject),
            period=val(2, row.period),
            unit=val(3, row.unit),
            value=row.value if row.exact is None else _decode_exact(row.exact),
            qualifier=_QUALIFIERS[row.qualifier],
            disaggregation=val(4, row.disaggregation),
            source=val(5, row.source),
            note=val(5, row.note),
        )


_OPEN: Final = object()


def _audit_of(row: Any) -> FigureAudit | None:
    """The audit of a stored row, if it has one (rows saved without one have none)."""
    if row.audit_updated_us is None:
        return None
    created = None if row.audit_created_us is None else from_us(row.audit_created_us)
    return FigureAudit(row.stored_by, created, from_us(row.audit_updated_us))


def _read_audits(
    parts: Sequence[Sequence[Any]], base: int, audits: dict[int, FigureAudit]
) -> None:
    """Add the audits of one batch of rows (columns stored_by, created, updated) to ``audits``.

    As :func:`_audit_of`: a row has an audit when its ``audit_updated_us`` is set.
    Rows of one submission share their times, so each distinct audit is made once.
    """
    who, created, updated = parts
    if updated.count(None) == len(updated):
        return
    made: dict[tuple[Any, Any, int], FigureAudit] = {}
    for i, last in enumerate(updated):
        if last is None:
            continue
        key = (who[i], created[i], last)
        audit = made.get(key)
        if audit is None:
            first = None if created[i] is None else from_us(created[i])
            audit = made[key] = FigureAudit(who[i], first, from_us(last))
        audits[base + i] = audit


def _audit_columns(audit: FigureAudit | None) -> dict[str, object]:
    if audit is None:
        return {"stored_by": None, "audit_created_us": None, "audit_updated_us": None}
    return {
        "stored_by": audit.stored_by,
        "audit_created_us": None if audit.created is None else to_us(audit.created),
        "audit_updated_us": to_us(audit.last_updated),
    }


def _with_audits(
    stored: Sequence[tuple[int, int, Observation, FigureAudit | None]],
) -> ObservationStore:
    """A store of these figures, each with its audit."""
    rows: list[Row] = [
        (
            o.metric,
            o.subject,
            o.period,
            o.unit,
            o.qualifier,
            o.disaggregation,
            o.source,
            o.note,
            o.value,
        )
        for _, _, o, _ in stored
    ]
    return ObservationStore().with_changes(append=rows, append_audit=[a for _, _, _, a in stored])


class _Coder:
    """Codes for the values of new rows, within one transaction; new codes written at once."""

    def __init__(self, tables: dict[int, list[str]]) -> None:
        self._tables = tables
        self._index: dict[int, dict[str, int]] = {}
        self._new: list[dict[str, object]] = []

    def code(self, dim: int, value: object) -> int:
        if dim in _IMPLIED_ZERO and value in (None, EMPTY_DISAGGREGATION):
            return 0
        index = self._index.get(dim)
        table = self._tables[dim]
        if index is None:
            index = self._index[dim] = {text: code for code, text in enumerate(table)}
        text = _dim_text(dim, value)
        code = index.get(text)
        if code is None:
            code = index[text] = len(table)
            table.append(text)
            self._new.append({"dim": dim, "code": code, "value": text})
        return code

    def columns(self, o: Observation) -> dict[str, object]:
        value = o.value
        small = type(value) is int and -INT64_MAX - 1 <= value <= INT64_MAX
        return {
            "metric": self.code(_DIM["metric"], o.metric),
            "subject": self.code(_DIM["subject"], o.subject),
            "period": self.code(_DIM["period"], o.period),
            "unit": self.code(_DIM["unit"], o.unit),
            "qualifier": QUALIFIER_INDEX[o.qualifier],
            "disaggregation": self.code(_DIM["disaggregation"], o.disaggregation),
            "source": self.code(_DIM["text"], o.source),
            "note": self.code(_DIM["text"], o.note),
            "value": value if small else 0,
            "exact": None if small else _encode_exact(value),
        }

    def flush(self, conn: sa.Connection) -> None:
        if self._new:
            conn.execute(CODE.insert(), self._new)
            self._new = []


def _code_in(tables: dict[int, list[str]], dim: int, text: str) -> int | None:
    try:
        return tables[dim].index(text)
    except ValueError:
        return None


def _subject(subject: SubjectRef | str) -> SubjectRef:
    return subject if isinstance(subject, SubjectRef) else SubjectRef.parse(subject)


def _period(period: Period | str) -> Period:
    return period if isinstance(period, Period) else Period.parse(period)


def _personal_row(p: Participant) -> dict[str, object]:
    return {
        "participant": p.id,
        "full_name": p.full_name,
        "identity_number": p.identity_number,
        "birth_date": None if p.birth_date is None else p.birth_date.isoformat(),
    }


def _first_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _sqlite_engine(url: sa.URL, *, echo: bool) -> sa.Engine:
    """A SQLite engine whose writers take the database lock when they begin (BEGIN IMMEDIATE)."""
    memory = url.database in (None, "", ":memory:")
    options: dict[str, Any] = {
        "connect_args": {"timeout": 60, "check_same_thread": False},
        "echo": echo,
    }
    if memory:
        options["poolclass"] = sa.pool.StaticPool
    engine = sa.create_engine(url, **options)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: object) -> None:
        # The driver's own transaction handling off: the "begin" hook below decides.
        dbapi_connection.isolation_level = None
        if not memory:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get("antq_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
