"""The built-in metric catalog and the bundled sample dataset."""

from __future__ import annotations

import functools
from importlib.resources import files
from typing import Final, Literal

import attrs
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from antq_core._dataset import Dataset
from antq_core._entities import DisaggregationCategory, InitiativeTheme, MetricDefinition
from antq_core._errors import DatasetLoadError, UnresolvedReferenceError
from antq_core._geo import problems_from

__all__ = ["Catalog", "builtin_catalog", "sample"]

_DATA: Final = files("antq_core") / "data"


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
    raw = (_DATA / "catalog.json").read_bytes()
    try:
        doc = TypeAdapter(_CatalogDocument).validate_json(raw)
    except ValidationError as e:  # pragma: no cover - guarded by the test suite
        raise DatasetLoadError("antq_core/data/catalog.json", problems_from(e)) from e
    return Catalog(themes=doc.themes, categories=doc.categories, metrics=doc.metrics)


def sample() -> Dataset:
    """The bundled Lai Châu 2017 dataset.

    The article of Báo Lai Châu of 13 July 2017 on the province's typical
    models, as data: every initiative it names, their sites, every figure
    with its period, unit and qualifier.

    Each call loads a fresh copy from the package data.

    >>> ds = sample()
    >>> ds.metadata.title_en
    'Typical models of the ANTQ movement in Lai Châu, July 2017'
    """
    raw = (_DATA / "lai_chau_2017.json").read_bytes()
    return Dataset.from_json(raw, source="antq_core/data/lai_chau_2017.json")
