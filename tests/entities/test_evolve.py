"""Changing an entity: a validated copy, never pydantic's unchecked model_copy."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from antq_core import (
    AggregationType,
    Dataset,
    MetricDefinition,
    MetricKind,
    Participant,
    builtin_catalog,
    sample,
    validate,
)


def test_with_categories_extends_a_builtin_metric_and_stays_hashable() -> None:
    tips = builtin_catalog().metric("tips_received")
    extended = tips.with_categories("sex", "sex")
    assert extended.categories == ("sex",)
    assert hash(extended) != hash(tips)
    assert tips.categories == ()  # the built-in one is unchanged
    assert extended.with_categories("sex") == extended


def test_evolve_validates_what_model_copy_does_not() -> None:
    tips = builtin_catalog().metric("tips_received")
    with pytest.raises(pydantic.ValidationError):
        tips.evolve(categories=("Not An Id",))
    with pytest.raises(pydantic.ValidationError):
        tips.evolve(kind="not a kind")
    copied: Any = tips.evolve(categories=["sex"])
    assert copied.categories == ("sex",)  # a list became the field's tuple
    hash(copied)


def test_evolve_defaults_again_what_was_never_set() -> None:
    metric = MetricDefinition(
        id="m", name_vi="Chỉ tiêu", name_en="Metric", unit="person", kind=MetricKind.FLOW
    )
    stock = metric.evolve(kind=MetricKind.STOCK)
    assert stock.time_aggregation is AggregationType.LAST
    explicit = metric.evolve(time_aggregation=AggregationType.MAX).evolve(kind="stock")
    assert explicit.time_aggregation is AggregationType.MAX  # not the flow's default: kept
    assert explicit.space_aggregation is AggregationType.SUM


def test_evolve_keeps_personal_fields() -> None:
    person = next(p for p in sample().participants.values() if p.full_name)
    moved: Participant = person.evolve(admin_unit=person.admin_unit)
    assert moved.full_name == person.full_name
    assert moved == person


def test_an_extended_metric_is_checked_against_the_dataset() -> None:
    ds = sample()
    metrics = [
        m.with_categories("no_such_category") if m.id == "tips_received" else m
        for m in ds.metrics.values()
    ]
    report = validate(
        Dataset.from_dict(ds.to_dict() | {"metrics": [m.model_dump(mode="json") for m in metrics]})
    )
    assert any("no_such_category" in str(i.details_) for i in report)
