"""Stores for the tests: SQLite files in a temporary folder, and PostgreSQL databases.

PostgreSQL comes from ``ANTQ_TEST_POSTGRES_URL``, which ``make test`` sets through
``tools/with-postgres.sh`` (a throwaway server). Each test gets a database of its own,
dropped afterwards. Without the variable the PostgreSQL tests skip with the reason,
except under CI (``CI=true``), where they fail: CI must never pass by skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")
sqlalchemy = pytest.importorskip("sqlalchemy")

POSTGRES_ENV = "ANTQ_TEST_POSTGRES_URL"


def postgres_base_url() -> str:
    """The test server's URL, or a skip (a failure under CI) saying why there is none."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    reason = os.environ.get("ANTQ_TEST_POSTGRES_SKIP") or (
        f"{POSTGRES_ENV} is not set: run the tests through `make test` or "
        "`tools/with-postgres.sh .venv/bin/pytest ...`, which start a PostgreSQL server"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database of its own, dropped after the test."""
    base = postgres_base_url()
    name = f"antq_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(base), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = base.rpartition("/")
    try:
        yield f"{head}/{name}"
    finally:
        with psycopg.connect(_libpq(base), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'antq.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    """Each engine in turn: a SQLite file, then a PostgreSQL database."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def make_url(tmp_path: Path) -> Callable[[str], str]:
    """A new SQLite URL in the test's folder, by name."""
    return lambda name: f"sqlite:///{tmp_path / name}"
