"""A SQL store for datasets: SQLite by default, PostgreSQL for a server (extra ``[sql]``).

:class:`Store` keeps one dataset in a database through SQLAlchemy 2 Core
(no ORM object per row): it creates and upgrades its own tables, saves and
loads a whole :class:`~antq_core.Dataset` (observations read back in bulk,
column by column), answers questions of one unit, metric and period without
loading the rest, and gives the dataset as it stood at an earlier moment.

Install it with ``pip install 'antq_core[sql]'``; importing this module
without SQLAlchemy raises :class:`~antq_core.errors.MissingExtraError`.
"""

from __future__ import annotations

from antq_core.store._schema import SCHEMA_VERSION
from antq_core.store._store import DEFAULT_URL, ENTITY_KINDS, Store

__all__ = ["DEFAULT_URL", "ENTITY_KINDS", "SCHEMA_VERSION", "Store"]
