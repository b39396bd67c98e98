"""The built-in metric catalog: themes, disaggregation categories and metrics that ship.

Apart from :mod:`.catalog` so that :class:`~antq_core.Dataset` can default to it.
"""

from __future__ import annotations

import functools
from typing import Literal

import attrs
from pydantic import BaseModel, ConfigDict, TypeAdapter

from antq_core._entities import DisaggregationCategory, InitiativeTheme, MetricDefinition
from antq_core._util.data import data_bytes, data_source
from antq_core._values.schema import validated
from antq_core.errors import UnresolvedReferenceError

__all__ = ["Catalog", "builtin_catalog"]


class _CatalogDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["antq-catalog"]
    format_version: Literal[1]
    title: str
    themes: tuple[InitiativeTheme, ...]
    categories: tuple[DisaggregationCategory, ...]
    metrics: tuple[MetricDefinition, ...]


@attrs.frozen
class Catalog:
    """A metric catalog: initiative themes, disaggregation categories and metrics.

    Attributes:
        themes: Initiative themes (loại mô hình).
        categories: Disaggregation categories.
        metrics: Metric definitions.
    """

    themes: tuple[InitiativeTheme, ...]
    categories: tuple[DisaggregationCategory, ...]
    metrics: tuple[MetricDefinition, ...]

    def metric(self, id: str) -> MetricDefinition:  # noqa: A002
        """The metric ``id``.

        Raises:
            UnresolvedReferenceError: The catalog has no such metric.
        """
        for m in self.metrics:
            if m.id == id:
                return m
        raise UnresolvedReferenceError("metric", id, "the built-in catalog")


@functools.cache
def builtin_catalog() -> Catalog:
    """The metric catalog that ships with the library.

    Every figure of the movement's reports that the glossary lists, with ids,
    units and how each aggregates.

    >>> cat = builtin_catalog()
    >>> m = cat.metric("poppy_area_destroyed")
    >>> m.unit.code, m.kind.value
    ('m2', 'flow')
    """
    raw = data_bytes("catalog.json")
    doc = validated(TypeAdapter(_CatalogDocument).validate_json, raw, data_source("catalog.json"))
    return Catalog(themes=doc.themes, categories=doc.categories, metrics=doc.metrics)
