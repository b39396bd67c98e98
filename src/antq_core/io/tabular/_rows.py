"""A dataset as rows of Python values, one iterator per table, in column order."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from antq_core._dataset.document import DATASET_FORMAT, DATASET_FORMAT_VERSION
from antq_core._values.period import Period
from antq_core._values.quantity import Qualifier
from antq_core.io.tabular._layout import DATASET_FIELDS, Column, Table

if TYPE_CHECKING:
    from antq_core._dataset.dataset import Dataset
    from antq_core._values.refs import Disaggregation

__all__ = ["columns_of", "slice_text", "table_rows"]

Row = tuple[Any, ...]


def columns_of(table: Table, *, include_sensitive: bool) -> tuple[Column, ...]:
    """The columns written: personal ones only when asked for, with ``True`` itself.

    A truthy ``"no"`` or ``1`` from an untyped caller is a mistake, not a request.
    """
    asked = include_sensitive is True
    return tuple(c for c in table.columns if asked or not c.sensitive)


def slice_text(slice_: Disaggregation) -> str | None:
    """A disaggregation as ``category=option; ...``; ``None`` for the total."""
    return "; ".join(f"{k}={v}" for k, v in slice_.items()) or None


def table_rows(
    dataset: Dataset, table: Table, columns: tuple[Column, ...], lang: str
) -> Iterator[Row]:
    """The rows of ``table``: each a tuple of values in the order of ``columns``."""
    records = _RECORDS[table.key](dataset, lang)
    keys = [c.key for c in columns]
    for record in records:
        yield tuple(record.get(k) for k in keys)


def _dataset(dataset: Dataset, lang: str) -> Iterator[dict[str, Any]]:
    meta = dataset.metadata
    gazetteer = dataset.gazetteer
    values = {
        "format": DATASET_FORMAT,
        "format_version": DATASET_FORMAT_VERSION,
        "title_vi": meta.title_vi,
        "title_en": meta.title_en,
        "report_date": meta.report_date,
        "province": meta.province,
        "description": meta.description,
        "license": meta.license,
        "gazetteer_version": gazetteer.version,
        "gazetteer_title": gazetteer.title,
        "gazetteer_valid_from": gazetteer.valid_from,
        "gazetteer_valid_to": gazetteer.valid_to,
    }
    meaning = 0 if lang == "vi" else 1
    for key, labels in DATASET_FIELDS.items():
        yield {"field": key, "value": values[key], "meaning": labels[meaning]}


def _dump(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(context={"include_sensitive": True}))


def _gazetteer_sources(dataset: Dataset, lang: str) -> Iterator[dict[str, Any]]:
    for source in dataset.gazetteer.sources:
        yield source.model_dump()


def _admin_units(dataset: Dataset, lang: str) -> Iterator[dict[str, Any]]:
    gazetteer = dataset.gazetteer
    for unit in [*gazetteer, *gazetteer.duplicates]:
        yield {
            "code": unit.code,
            "name": unit.name,
            "level": unit.level.value,
            "parent": unit.parent,
            "kind_vi": unit.kind_vi,
            "valid_from": unit.valid_from,
            "valid_to": unit.valid_to,
            "local": unit.local,
        }


def _entities(name: str) -> Any:
    def rows(dataset: Dataset, lang: str) -> Iterator[dict[str, Any]]:
        for entity in getattr(dataset, name).values():
            record = _dump(entity)
            yield {k: _plain(v) for k, v in record.items()}

    return rows


def _plain(value: Any) -> Any:
    """Enum members as their codes, periods as their text; the rest as they are."""
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Period):
        return str(value)
    return value


def _categories(dataset: Dataset, lang: str) -> Iterator[dict[str, Any]]:
    for category in dataset.categories.values():
        yield {
            "id": category.id,
            "name_vi": category.name_vi,
            "name_en": category.name_en,
            "exhaustive": category.exhaustive,
        }


def _category_options(dataset: Dataset, lang: str) -> Iterator[dict[str, Any]]:
    for category in dataset.categories.values():
        for option in category.options:
            yield {"category": category.id, **option.model_dump()}


def _metrics(dataset: Dataset, lang: str) -> Iterator[dict[str, Any]]:
    for metric in dataset.metrics.values():
        record = {k: _plain(v) for k, v in _dump(metric).items() if k != "threshold"}
        record["unit"] = metric.unit.code
        if metric.threshold is not None:
            record["threshold_value"] = metric.threshold.value
            record["threshold_unit"] = metric.threshold.unit.code
            qualifier = metric.threshold.qualifier
            record["threshold_qualifier"] = (
                None if qualifier is Qualifier.EXACT else qualifier.value
            )
        yield record


def _initiatives(dataset: Dataset, lang: str) -> Iterator[dict[str, Any]]:
    for initiative in dataset.initiatives.values():
        record = {k: _plain(v) for k, v in _dump(initiative).items() if k != "outcomes"}
        record["started"] = None if initiative.started is None else str(initiative.started)
        yield record


def _outcomes(dataset: Dataset, lang: str) -> Iterator[dict[str, Any]]:
    for initiative in dataset.initiatives.values():
        for statement in initiative.outcomes:
            yield {"initiative": initiative.id, **statement.model_dump()}


def _sites(dataset: Dataset, lang: str) -> Iterator[dict[str, Any]]:
    for site in dataset.sites.values():
        record = {k: _plain(v) for k, v in _dump(site).items() if k != "coordination_agreement"}
        record["started"] = None if site.started is None else str(site.started)
        agreement = site.coordination_agreement
        if agreement is not None:
            record["agreement_title_vi"] = agreement.title_vi
            record["agreement_parties"] = agreement.parties
            record["agreement_signed"] = (
                None if agreement.signed is None else str(agreement.signed)
            )
            record["agreement_source"] = agreement.source
        yield record


_RECORDS: Any = {
    "dataset": _dataset,
    "gazetteer_sources": _gazetteer_sources,
    "admin_units": _admin_units,
    "sources": _entities("sources"),
    "themes": _entities("themes"),
    "categories": _categories,
    "category_options": _category_options,
    "metrics": _metrics,
    "initiatives": _initiatives,
    "outcomes": _outcomes,
    "sites": _sites,
    "organizations": _entities("organizations"),
    "participants": _entities("participants"),
}


def observation_columns(dataset: Dataset) -> dict[str, list[Any]]:
    """The observations as whole columns of Python values, without building models.

    Repeated things (metric ids, subjects, periods...) are turned into text
    once per distinct value; ``value`` holds ints and the few exact decimals.
    """
    cols = dataset.observations.columns()
    subjects = [str(s) for s in cols.subjects]
    periods = [str(p) for p in cols.periods]
    units = [u.code for u in cols.units]
    qualifiers = [None if q is Qualifier.EXACT else q.value for q in cols.qualifiers]
    slices = [slice_text(d) for d in cols.disaggregations]
    texts = list(cols.texts)
    values: list[Any] = cols.value.tolist()
    for row, value in cols.exact.items():
        values[row] = value
    return {
        "metric": list(map(cols.metrics.__getitem__, cols.metric)),
        "subject": list(map(subjects.__getitem__, cols.subject)),
        "period": list(map(periods.__getitem__, cols.period)),
        "value": values,
        "unit": list(map(units.__getitem__, cols.unit)),
        "qualifier": list(map(qualifiers.__getitem__, cols.qualifier)),
        "disaggregation": list(map(slices.__getitem__, cols.disaggregation)),
        "source": list(map(texts.__getitem__, cols.source)),
        "note": list(map(texts.__getitem__, cols.note)),
    }
