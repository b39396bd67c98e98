"""The store's tables, its schema version, and the steps that upgrade an older schema.

Every table is named ``antq_*`` so that the store can share a database with an
application's own tables. Times are whole microseconds since 1970-01-01 UTC
(``*_us`` columns): one integer type on every engine, exact, and compared
without time-zone rules.

Schema versions:

1. The first layout: the document (metadata and gazetteer), entities as JSON
   documents, participants' personal fields in their own table, the code
   tables, observations as integer codes, and the history of every changed or
   deleted row.
2. Adds each figure's audit as the reporting cycle keeps it: who stored it
   (``stored_by``), when it was first stored and last changed
   (``audit_created_us``, ``audit_updated_us``; these are the submission's
   times, apart from the store's own ``created_us``/``updated_us``, the times
   of the transactions), on observations and their history; and an index on
   (subject, period) for the questions an application asks of one unit and
   period.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from antq_core._util.extras import require

if TYPE_CHECKING:
    import sqlalchemy as sa
else:
    sa = require("sqlalchemy", "sql")

__all__ = [
    "CODE",
    "DIMENSIONS",
    "DOCUMENT",
    "ENTITY",
    "ENTITY_HISTORY",
    "META",
    "METADATA",
    "OBSERVATION",
    "OBSERVATION_COLUMNS",
    "OBSERVATION_HISTORY",
    "PERSONAL",
    "SCHEMA_VERSION",
    "TABLES",
    "UPGRADES",
]

SCHEMA_VERSION: Final = 2
"""The schema version this release creates, reads and writes."""

DIMENSIONS: Final = ("metric", "subject", "period", "unit", "disaggregation", "text")
"""The kinds of code table, in the order of their number in ``antq_code.dim``."""

METADATA = sa.MetaData()

# SQLite makes an INTEGER PRIMARY KEY the row id (rows are kept in its order);
# elsewhere a 64-bit integer.
_Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

META = sa.Table(
    "antq_meta",
    METADATA,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
"""Named values: ``schema_version``, and ``revision`` (the count of changes, locked by writers)."""

DOCUMENT = sa.Table(
    "antq_document",
    METADATA,
    sa.Column("id", _Seq, primary_key=True, autoincrement=True),
    sa.Column("metadata", sa.Text, nullable=False),
    sa.Column("gazetteer", sa.Text, nullable=False),
    sa.Column("saved_us", sa.BigInteger, nullable=False),
)
"""The metadata and gazetteer of each saved dataset; the row with the highest id is current."""

ENTITY = sa.Table(
    "antq_entity",
    METADATA,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("doc", sa.Text, nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
    sa.Column("updated_us", sa.BigInteger, nullable=False),
)
"""Current entities, one JSON document each, without participants' personal fields."""

ENTITY_HISTORY = sa.Table(
    "antq_entity_history",
    METADATA,
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("id", sa.String(200), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("doc", sa.Text, nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
    sa.Column("valid_from_us", sa.BigInteger, nullable=False),
    sa.Column("valid_to_us", sa.BigInteger, nullable=False),
    sa.Index("ix_antq_entity_history_time", "valid_to_us", "valid_from_us"),
)
"""Entity versions that were replaced or deleted, each with the time span it was current."""

PERSONAL = sa.Table(
    "antq_personal",
    METADATA,
    sa.Column("participant", sa.String(200), primary_key=True),
    sa.Column("full_name", sa.Text),
    sa.Column("identity_number", sa.String(12)),
    sa.Column("birth_date", sa.String(10)),
)
"""Participants' personal fields, apart so that a deployment can restrict this one table."""

CODE = sa.Table(
    "antq_code",
    METADATA,
    sa.Column("dim", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("code", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.UniqueConstraint("dim", "value", name="uq_antq_code_value"),
)
"""Distinct metric ids, subjects, periods, units, disaggregations and texts, each with its code.

Codes only grow: a code once given keeps its meaning, so history rows stay
readable. Code 0 of disaggregations (the total) and of texts (none) is implied.
"""


def _observation_columns(*, stored_by: bool) -> list[sa.Column[object]]:
    columns: list[sa.Column[object]] = [
        sa.Column("metric", sa.Integer, nullable=False),
        sa.Column("subject", sa.Integer, nullable=False),
        sa.Column("period", sa.Integer, nullable=False),
        sa.Column("unit", sa.Integer, nullable=False),
        sa.Column("qualifier", sa.SmallInteger, nullable=False),
        sa.Column("disaggregation", sa.Integer, nullable=False),
        sa.Column("source", sa.Integer, nullable=False),
        sa.Column("note", sa.Integer, nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.Column("exact", sa.Text),
        sa.Column("created_us", sa.BigInteger, nullable=False),
    ]
    if stored_by:
        columns.append(sa.Column("stored_by", sa.Text))
        columns.append(sa.Column("audit_created_us", sa.BigInteger))
        columns.append(sa.Column("audit_updated_us", sa.BigInteger))
    return columns


OBSERVATION_COLUMNS: Final = (
    "metric",
    "subject",
    "period",
    "unit",
    "qualifier",
    "disaggregation",
    "source",
    "note",
    "value",
    "exact",
)
"""The columns that make an observation, as the store reads them back, in order."""

OBSERVATION = sa.Table(
    "antq_observation",
    METADATA,
    sa.Column("seq", _Seq, primary_key=True, autoincrement=False),
    *_observation_columns(stored_by=True),
    sa.Column("updated_us", sa.BigInteger, nullable=False),
    sa.Index("ix_antq_observation_subject_period", "subject", "period"),
)
"""Current observations: codes into ``antq_code``, in dataset order (``seq``)."""

OBSERVATION_HISTORY = sa.Table(
    "antq_observation_history",
    METADATA,
    sa.Column("seq", sa.BigInteger, nullable=False),
    *_observation_columns(stored_by=True),
    sa.Column("valid_from_us", sa.BigInteger, nullable=False),
    sa.Column("valid_to_us", sa.BigInteger, nullable=False),
    sa.Index("ix_antq_observation_history_time", "valid_to_us", "valid_from_us"),
)
"""Observation versions that were replaced or deleted, each with the span it was current."""

TABLES: Final = (
    META,
    DOCUMENT,
    ENTITY,
    ENTITY_HISTORY,
    PERSONAL,
    CODE,
    OBSERVATION,
    OBSERVATION_HISTORY,
)
"""Every table of the current schema."""


def _upgrade_1_to_2(conn: sa.Connection) -> None:
    """Version 2: each figure's audit (who stored it and when), and the (subject, period) index."""
    for table in ("antq_observation", "antq_observation_history"):
        conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN stored_by TEXT"))
        conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN audit_created_us BIGINT"))
        conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN audit_updated_us BIGINT"))
    conn.execute(
        sa.text(
            "CREATE INDEX ix_antq_observation_subject_period ON antq_observation (subject, period)"
        )
    )


UPGRADES: Final = {1: _upgrade_1_to_2}
"""For each older schema version, the step that takes a database to the next one."""
