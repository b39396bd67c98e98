"""aggregate(..., suppress_below=k): hidden rows stay rows, published rows are unchanged."""

from __future__ import annotations

import pytest

from antq_core import aggregate, aggregate_rollup, sample
from antq_core.errors import InvalidValueError
from antq_core.privacy import Suppression

METRIC = "released_prisoners_employed"


@pytest.mark.parametrize("engine", ["python", "polars"])
def test_suppressed_rows_are_marked_and_the_rest_unchanged(engine: str) -> None:
    plain = aggregate(sample(), METRIC, by=["district"], engine=engine)
    hidden = aggregate(sample(), METRIC, by=["district"], engine=engine, suppress_below=30)
    assert hidden.suppressed_below == 30
    assert plain.suppressed_below is None
    assert len(hidden) == len(plain)
    assert any(r.suppressed is Suppression.PRIMARY for r in hidden)
    for before, after in zip(plain, hidden, strict=True):
        assert after.keys == before.keys
        assert after.observations == before.observations
        if after.suppressed is None:
            assert after == before
        else:
            assert after.quantity is None
    # Exports never carry a hidden value or its observation count.
    for data in (hidden.to_dicts(), hidden.to_polars().to_dicts(), hidden.to_dict()["rows"]):
        for row, out in zip(hidden, data, strict=True):
            assert out["suppressed"] == (None if row.suppressed is None else row.suppressed.value)
            if row.suppressed is not None:
                assert out["value"] is None
                assert out["observations"] is None


def test_rollup_suppresses_every_level() -> None:
    tables = aggregate_rollup(sample(), METRIC, by=["district"], suppress_below=30)
    assert all(t.suppressed_below == 30 for t in tables.values())


def test_threshold_is_checked() -> None:
    with pytest.raises(InvalidValueError, match="threshold"):
        aggregate(sample(), METRIC, by=["district"], suppress_below=0)
