"""The reporting rate of the units under each aggregate row (``aggregate(..., reporting=)``).

A step applied to a finished table, whatever engine made it: it reads the
rows' space and time keys, and counts the reports of a form with
:class:`antq_core._cycle.completeness.FormReports`, the one place where a
report is decided to be given, on time or late.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from antq_core._aggregate.plan import DIMENSION_PREFIX, GROUP_PREFIX, OWN_PERIOD, Plan
from antq_core._aggregate.store_facts import code_frame
from antq_core._aggregate.table import AggregateTable, RowReporting
from antq_core._cycle.completeness import FormReports, ReportingRate, form_of, reporting_periods
from antq_core._dataset.catalog import bundled_group_sets
from antq_core._dataset.dataset import Dataset
from antq_core._dataset.forms import assigned_units
from antq_core._entities import ReportingForm
from antq_core._util.extras import polars_and_arrow
from antq_core._values.geo import AdminLevel
from antq_core._values.groups import UnitGroupSet
from antq_core._values.period import Period
from antq_core._values.refs import EMPTY_DISAGGREGATION, SubjectKind
from antq_core.errors import InvalidValueError

__all__ = ["with_reporting"]

_LEVELS = {level.value for level in AdminLevel}


def _sets(
    given: Mapping[str, UnitGroupSet] | Iterable[UnitGroupSet] | None,
) -> dict[str, UnitGroupSet]:
    if given is None:
        return dict(bundled_group_sets())
    if isinstance(given, Mapping):
        return dict(given)
    return {group_set.id: group_set for group_set in given}


def _key_tuples(table: AggregateTable, names: Sequence[str]) -> set[tuple[str, ...]]:
    """The distinct values of the ``names`` columns, as strings, without making rows."""
    if table.engine == "polars":  # its rows may be columns: read those, make no rows
        frame = table.to_polars()
        if not names:
            return {()} if frame.height else set()
        return {tuple(r) for r in frame.select(list(names)).unique().iter_rows()}
    return {tuple(str(row.keys[n]) for n in names) for row in table}


def with_reporting(  # noqa: PLR0915 - the python loop beside the columnar path
    table: AggregateTable,
    dataset: Dataset,
    plan: Plan,
    form: str | ReportingForm,
    *,
    periods: Period | None,
    within: str | Iterable[str] | None,
    group_sets: Mapping[str, UnitGroupSet] | Iterable[UnitGroupSet] | None,
) -> AggregateTable:
    """``table`` with each row's :class:`ReportingRate` of ``form``.

    A row's units are the form's assigned units at or under the row's unit
    of each administrative level in ``by``, in the row's group of each
    ``group:<set>``, and under ``within``; its period is the shortest of its
    period keys and ``periods``.

    Raises:
        InvalidValueError: The form is unknown; the rows have no period
            (no period in ``by`` and no ``periods``); or a row's period,
            of a kind named in ``by``, holds no period of the form's kind
            (monthly rows for a yearly form).
    """
    form = form_of(dataset, form)
    gazetteer = dataset.gazetteer
    known_sets = _sets(group_sets)
    units = [u.code for u in assigned_units(form, gazetteer, group_sets=known_sets)]
    if within is not None:
        tops = [within] if isinstance(within, str) else list(within)
        units = [u for u in units if any(gazetteer.is_within(u, w) for w in tops)]

    levels: dict[str, AdminLevel] = {}
    groups: dict[str, UnitGroupSet] = {}
    for name in plan.space_names:
        meaning = name.removeprefix(DIMENSION_PREFIX)
        if name.startswith(GROUP_PREFIX):
            groups[name] = known_sets[name.removeprefix(GROUP_PREFIX)]
        elif meaning in _LEVELS and name not in plan.category_names:
            levels[name] = AdminLevel(meaning)
    times = list(plan.time_names)
    if not times and periods is None:
        reason = "the rows have no period: group by a period kind, or give periods="
        raise InvalidValueError("reporting", form.id, reason)
    names = (*levels, *groups, *times)

    # The assigned units by their units at the levels in ``by``; each group's units, once.
    by_place: dict[tuple[str | None, ...], list[str]] = {}
    for u in units:
        place = tuple(
            getattr(gazetteer.ancestor_at(u, level), "code", None) for level in levels.values()
        )
        by_place.setdefault(place, []).append(u)
    members: dict[tuple[str, str], frozenset[str]] = {}

    def in_group(name: str, group_id: str) -> frozenset[str]:
        found = members.get((name, group_id))
        if found is None:
            group = groups[name].group(group_id)
            found = frozenset(u for u in units if group.contains(gazetteer, u))
            members[name, group_id] = found
        return found

    def row_period(values: Mapping[str, str]) -> tuple[Period, ...]:
        """The form's periods in a row's period: the shortest of its period keys and the filter."""
        candidates = [(Period.parse(values[n]), n) for n in times]
        if periods is not None:
            candidates.append((periods, "periods"))
        period, source = min(candidates, key=lambda c: c[0].days)
        owed = reporting_periods(form, period)
        if not owed and source.removeprefix(DIMENSION_PREFIX) != OWN_PERIOD:
            reason = (
                f"a row's period {period} holds no {form.period_kind.value} of form {form.id}:"
                " group by periods at least as long as the form's"
            )
            raise InvalidValueError("reporting", form.id, reason)
        return owed

    keys = _key_tuples(table, names)
    if table.engine == "polars" and keys:
        found = _columnar_rates(
            dataset,
            form,
            keys,
            _Shape(names, levels, groups, times),
            units,
            row_period=row_period,
            in_group=in_group,
        )
        return attrs.evolve(table, reporting=RowReporting(form.id, names, found))
    reports = FormReports(dataset, form)
    rates: dict[tuple[str, ...], ReportingRate] = {}
    owed_of: dict[tuple[str, ...], tuple[Period, ...]] = {}
    for key in keys:
        values = dict(zip(names, key, strict=True))
        under = by_place.get(tuple(values[n] for n in levels), [])
        for name in groups:
            inside = in_group(name, values[name])
            under = [u for u in under if u in inside]
        when = tuple(values[n] for n in times)
        owed = owed_of.get(when)
        if owed is None:
            owed = owed_of[when] = row_period(values)
        rates[key] = reports.rate(under, owed)
    return attrs.evolve(table, reporting=RowReporting(form.id, names, rates))


@attrs.frozen
class _Shape:
    """The ``by`` names a row's rate depends on: levels, group sets and periods, in order."""

    names: tuple[str, ...]
    levels: Mapping[str, AdminLevel]
    groups: Mapping[str, UnitGroupSet]
    times: Sequence[str]


def _statuses(dataset: Dataset, form: ReportingForm, pl: Any, pa: Any) -> Any:
    """Each report given on ``form``: a frame of subject code, period code, on time, time unknown.

    The same decision as :meth:`FormReports.status`, for every unit and period
    at once from the store's columns: a report is given when every compulsory
    metric (any of the form's metrics, when none is compulsory) has its total
    stored, the first row of each key counting, as the store's key index
    finds it; on time when the last (the first, when none is compulsory) of
    those figures was first stored by the due date. Units and periods with
    no report have no row.
    """
    cols = dataset.observations.columns()
    needed = set(form.compulsory or [m.metric for m in form.metrics])
    every = bool(form.compulsory)
    metric_codes = [i for i, m in enumerate(cols.metrics) if m in needed]
    kind = form.period_kind
    period_codes = [i for i, p in enumerate(cols.periods) if p.kind is kind]
    unit_codes = [i for i, s in enumerate(cols.subjects) if s.kind is SubjectKind.UNIT]
    schema = {
        "unit": pl.Utf8,
        "period": pl.UInt32,
        "on_time": pl.Boolean,
        "unknown": pl.Boolean,
    }
    if (
        not metric_codes
        or not period_codes
        or not unit_codes
        or (every and len(metric_codes) < len(needed))  # a compulsory metric never stored
        or EMPTY_DISAGGREGATION not in cols.disaggregations  # no total stored at all
    ):
        return pl.DataFrame(schema=schema)
    total = cols.disaggregations.index(EMPTY_DISAGGREGATION)
    frame = code_frame(pl, pa, dataset.observations).with_row_index("row")
    # The first row of each key: the one the store's key index finds.
    first = (
        frame.filter(
            pl.col("metric").is_in(metric_codes)
            & pl.col("period").is_in(period_codes)
            & pl.col("subject").is_in(unit_codes)
            & (pl.col("disaggregation") == total)
        )
        .group_by("metric", "subject", "period")
        .agg(pl.col("row").min())
    )
    # When each row was first stored, as its rank among the distinct times (null: unknown).
    audits = dataset.observations.audits()
    created = [a.created for a in audits.values()]
    times = sorted({c for c in created if c is not None})
    rank = {c: i for i, c in enumerate(times)}
    stored = pl.DataFrame(
        {
            "row": pl.Series(list(audits), dtype=pl.UInt32),
            "rank": pl.Series(
                [rank.get(c) if c is not None else None for c in created], dtype=pl.Int64
            ),
        }
    )
    reports = (
        first.join(stored, on="row", how="left")
        .group_by("subject", "period")
        .agg(
            pl.len().alias("given"),
            pl.col("rank").null_count().alias("untimed"),
            (pl.col("rank").max() if every else pl.col("rank").min()).alias("when"),
        )
        .filter(pl.col("given") == len(metric_codes) if every else pl.col("given") > 0)
    )
    # The day each time falls on (in its own time zone) and each period's due date.
    days = pl.DataFrame(
        {
            "when": pl.Series(range(len(times)), dtype=pl.Int64),
            "day": pl.Series([t.date().toordinal() for t in times], dtype=pl.Int64),
        }
    )
    dues = pl.DataFrame(
        {
            "period": pl.Series(period_codes, dtype=pl.UInt32),
            "due": pl.Series(
                [form.due(cols.periods[i]).toordinal() for i in period_codes], dtype=pl.Int64
            ),
        }
    )
    subjects = pl.DataFrame(
        {
            "subject": pl.Series(unit_codes, dtype=pl.UInt32),
            "unit": pl.Series([cols.subjects[i].id for i in unit_codes], dtype=pl.Utf8),
        }
    )
    return (
        reports.join(days, on="when", how="left")
        .join(dues, on="period", how="left")
        .join(subjects, on="subject", how="inner")
        .select(
            "unit",
            "period",
            ((pl.col("untimed") == 0) & (pl.col("day") <= pl.col("due")))
            .fill_null(value=False)
            .alias("on_time"),
            (pl.col("untimed") > 0).alias("unknown"),
        )
    )


def _columnar_rates(
    dataset: Dataset,
    form: ReportingForm,
    keys: set[tuple[str, ...]],
    shape: _Shape,
    units: Sequence[str],
    *,
    row_period: Callable[[Mapping[str, str]], tuple[Period, ...]],
    in_group: Callable[[str, str], frozenset[str]],
) -> Mapping[tuple[str, ...], ReportingRate]:
    """Each key's rate, counted by joins: the units under each key x its periods x the reports.

    The same counts as :meth:`FormReports.rate` of each key's units and
    periods (:func:`with_reporting`'s loop), with no Python step per key:
    each key's :class:`ReportingRate` is made when a row asks for it.
    """
    pl, pa = polars_and_arrow()
    gazetteer = dataset.gazetteer
    names, levels, groups, times = shape.names, shape.levels, shape.groups, shape.times
    places = [*levels, *groups]
    key_frame = pl.DataFrame(
        list(keys), schema=dict.fromkeys(names, pl.Utf8), orient="row"
    ).with_row_index("key")
    # Each assigned unit at the levels of ``by``, once per group it is in.
    under = pl.DataFrame(
        {
            "unit": pl.Series(units, dtype=pl.Utf8),
            **{
                name: pl.Series(
                    [getattr(gazetteer.ancestor_at(u, level), "code", None) for u in units],
                    dtype=pl.Utf8,
                )
                for name, level in levels.items()
            },
        }
    )
    for name in groups:
        wanted = key_frame[name].unique().to_list()
        pairs = [(g, u) for g in wanted for u in sorted(in_group(name, g))]
        under = under.join(
            pl.DataFrame(pairs, schema={name: pl.Utf8, "unit": pl.Utf8}, orient="row"),
            on="unit",
        )
    key_units = (
        key_frame.join(under, on=places, how="inner").select("key", "unit")
        if places
        else key_frame.select("key").join(under.select("unit"), how="cross")
    )
    # The periods each key owes: from its period keys, once per distinct tuple of them.
    codes = {p: i for i, p in enumerate(dataset.observations.columns().periods)}
    whens = key_frame.select(times).unique() if times else pl.DataFrame({"_": [0]})
    owed_rows: list[tuple[int, int]] = []
    owed_counts: list[int] = []
    for i, when in enumerate(whens.iter_rows(named=True) if times else [{}]):
        owed = row_period(when)
        owed_counts.append(len(owed))
        owed_rows.extend((i, codes[p]) for p in owed if p in codes)
    whens = whens.with_row_index("when").with_columns(
        pl.Series("owed", owed_counts, dtype=pl.Int64)
    )
    key_whens = (
        key_frame.join(whens, on=list(times), how="inner").select("key", "when", "owed")
        if times
        else key_frame.select("key").join(whens.select("when", "owed"), how="cross")
    )
    owed_frame = pl.DataFrame(
        owed_rows, schema={"when": pl.UInt32, "period": pl.UInt32}, orient="row"
    )
    given = (
        key_units.join(key_whens.select("key", "when"), on="key")
        .join(owed_frame, on="when")
        .join(_statuses(dataset, form, pl, pa), on=["unit", "period"])
        .group_by("key")
        .agg(
            pl.len().alias("actual"),
            pl.col("on_time").sum().alias("on_time"),
            pl.col("unknown").sum().alias("unknown"),
        )
    )
    counted = (
        key_whens.join(
            key_units.group_by("key").agg(pl.len().alias("units")), on="key", how="left"
        )
        .join(given, on="key", how="left")
        .with_columns(pl.col("units", "actual", "on_time", "unknown").fill_null(0))
        .join(key_frame, on="key")
    )
    columns = counted.select("units", "owed", "actual", "on_time", "unknown").to_dict(
        as_series=False
    )
    found: Iterable[tuple[str, ...]] = (
        zip(*(counted[n].to_list() for n in names), strict=True)
        if names
        else [()] * counted.height
    )
    return _Rates(form.id, dict(zip(found, range(counted.height), strict=True)), columns)


class _Rates(Mapping[tuple[str, ...], ReportingRate]):
    """Each key's :class:`ReportingRate`, made when asked for, from the counts' columns."""

    __slots__ = ("_counts", "_form", "_rows")

    def __init__(
        self, form: str, rows: dict[tuple[str, ...], int], counts: Mapping[str, list[int]]
    ) -> None:
        self._form = form
        self._rows = rows
        self._counts = counts

    def __getitem__(self, key: tuple[str, ...]) -> ReportingRate:
        i = self._rows[key]
        c = self._counts
        units = c["units"][i]
        return ReportingRate(
            form=self._form,
            units=units,
            expected=units * c["owed"][i],
            actual=c["actual"][i],
            on_time=c["on_time"][i],
            unknown_time=c["unknown"][i],
        )

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)
