"""What the checks of one validation share: the dataset, the options, and indexes built once.

Observations are checked column-wise: each distinct metric, subject, period,
unit and disaggregation is checked once, then pairs of them (metric and unit,
subject and period) drawn from the columns by C-level set building; rows are
looked up only for what is wrong. The cost per observation does not grow with
the dataset. The lookups that several checks use (:meth:`Context.rows`,
:meth:`Context.distinct_pairs`, :meth:`Context.pair_rows`) and what they are
built from are here, each built at most once per validation, when a check
first asks.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from itertools import compress
from typing import Final, NamedTuple

import attrs

from antq_core._aggregate.counts import Tolerance
from antq_core._dataset.dataset import Dataset
from antq_core._dataset.keys import (
    TABLES,
    byte_width,
    column_keys,
    key_codes,
    low_shift,
    rows_with,
)
from antq_core._dataset.keys import columns as columns_of
from antq_core._dataset.store import ObservationColumns, ObservationStore
from antq_core._entities import MetricDefinition, MetricKind
from antq_core._validation.rules import ValidationRule
from antq_core._values.geo import AdminLevel
from antq_core._values.groups import UnitGroupSet
from antq_core.errors import Location

__all__ = [
    "MAX_ROWS_LISTED",
    "Context",
    "Options",
    "RepeatFinder",
    "Repeats",
    "kind_names",
    "named_owner",
    "observation_owner",
    "owner",
    "rows_text",
]

MAX_ROWS_LISTED: Final = 20
"""Most row numbers an issue about many observations lists (it gives the count of all)."""

RepeatFinder = Callable[
    [ObservationStore, Container[str] | None],
    tuple[list[tuple[int, ...]], list[tuple[int, ...]]],
]
"""Finds duplicates and overlaps, as
:func:`antq_core._dataset.overlap.duplicate_and_overlapping_rows` does."""

_PROFILE: Final = ("metric", "unit", "qualifier", "disaggregation")
"""The columns whose distinct combinations the per-metric checks read (see ``profiles``)."""


@attrs.frozen
class Options:
    """What the caller of :func:`~antq_core.validate` chose; the same for every check.

    Attributes:
        levels: The administrative levels figures are rolled up to.
        tolerance: How far a reported total may be from the registered count.
        ratio_tolerance: How far a reported rate may be from its recomputed one.
        rules: The rules to evaluate (the built-in ones if ``None``).
        find_repeats: What finds repeated and overlapping observations (the engine).
        distinct_names: Pairs of ids (unit codes, entity ids) whose names the caller
            has checked: never reported as probable duplicates.
        group_sets: Unit group sets whose exclusivity is checked.
    """

    levels: tuple[AdminLevel, ...]
    tolerance: Tolerance
    ratio_tolerance: Tolerance
    rules: Iterable[ValidationRule] | None
    find_repeats: RepeatFinder
    distinct_names: frozenset[frozenset[str]] = frozenset()
    group_sets: tuple[UnitGroupSet, ...] = ()


class Repeats(NamedTuple):
    """Rows recorded more than once: what :attr:`Context.repeats` holds."""

    duplicates: list[tuple[int, ...]]
    """Rows of one figure (metric, subject, period, disaggregation), each group in order."""
    overlaps: list[tuple[int, ...]]
    """Rows of one flow series whose different periods overlap."""


class Context:
    """The dataset, the options, and what more than one check reads, built once.

    Every cached attribute is built when a check first asks for it, so a
    validation pays only for what its checks use, and never twice.

    Attributes:
        dataset: The dataset being checked.
        options: What the caller chose.
        document: The raw JSON text the dataset was loaded from, when the caller
            gave it (:func:`~antq_core.validate_json`); ``None`` otherwise.
        source: The file name issues about that text are reported under.
        rules_evaluated: How many (rule, subject, period) evaluations the rules ran;
            set by the rules check, for the report.
    """

    def __init__(
        self,
        dataset: Dataset,
        options: Options,
        *,
        document: bytes | str | None = None,
        source: str = "<memory>",
    ) -> None:
        self.dataset = dataset
        self.options = options
        self.document = document
        self.source = source
        self.rules_evaluated = 0
        self._positions: dict[str, dict[str, int]] = {}

    @property
    def report_date(self) -> dt.date | None:
        """The dataset's report date, if it has one."""
        return self.dataset.metadata.report_date

    @functools.cached_property
    def cols(self) -> ObservationColumns:
        """The observations' columns (:meth:`ObservationStore.columns`)."""
        return self.dataset.observations.columns()

    @functools.cached_property
    def period_text(self) -> list[str]:
        """Each period of the columns' table as its canonical string, by code."""
        return [str(p) for p in self.cols.periods]

    @functools.cached_property
    def metric_definitions(self) -> list[MetricDefinition | None]:
        """Each metric of the columns' table as the dataset defines it (or ``None``), by code."""
        metrics = self.dataset.metrics
        return [metrics.get(m) for m in self.cols.metrics]

    @functools.cached_property
    def signed(self) -> frozenset[int]:
        """Codes of the columns' metrics declared ``signed`` (change figures, may be negative)."""
        return frozenset(
            code for code, m in enumerate(self.metric_definitions) if m is not None and m.signed
        )

    @functools.cached_property
    def repeats(self) -> Repeats:
        """Duplicated figures, and overlapping periods of flow metrics, by the chosen engine."""
        ds = self.dataset
        # The flow metrics the observations use (not the whole catalog: the same answer).
        flows = {
            m.id for m in self.metric_definitions if m is not None and m.kind is MetricKind.FLOW
        }
        return Repeats(*self.options.find_repeats(ds.observations, flows))

    def at(self, listing: str, kind: str, id_: str, field: str | None = None) -> Location:
        """The location of entity ``id_`` of ``$.listing``, with its JSON path."""
        positions = self._positions.get(listing)
        if positions is None:
            table: Mapping[str, object] = getattr(self.dataset, listing)
            positions = self._positions[listing] = {k: i for i, k in enumerate(table)}
        path = f"$.{listing}[{positions[id_]}]" + (f".{field}" if field else "")
        return Location(kind, id_, field=field, path=path)

    def rows(self, column: memoryview, codes: Iterable[int]) -> dict[int, list[int]]:
        """Rows by code, for the rows whose ``column`` holds one of ``codes``."""
        wanted = set(codes)
        found: dict[int, list[int]] = defaultdict(list)
        if wanted:
            for i in compress(range(len(column)), map(wanted.__contains__, column)):
                found[column[i]].append(i)
        return found

    def distinct_pairs(self, first: str, second: str) -> set[tuple[int, int]]:
        """The distinct (code, code) pairs two of the store's columns (by name) hold."""
        profiles = self.profiles if first == "metric" else None
        if profiles is not None and second in _PROFILE:
            at = _PROFILE.index(second)
            return {(p[0], p[at]) for p in profiles}
        shift = low_shift(len(getattr(self.cols, TABLES[second])))
        mask = (1 << shift) - 1
        return {(key >> shift, key & mask) for key in set(column_keys(self.cols, first, second))}

    @functools.cached_property
    def profiles(self) -> set[tuple[int, ...]] | None:
        """The distinct (metric, unit, qualifier, disaggregation) codes of the rows.

        One pass where several pair checks would each take one; ``None`` when
        the four codes do not fit one 64-bit key (then each pair is read alone).
        """
        columns = columns_of(self.cols, *_PROFILE)
        widths = [8 * byte_width(bound) for _, bound in columns]
        if sum(widths) > 64:  # noqa: PLR2004 - bits in a key
            return None
        found = set()
        for key in set(key_codes(*columns)):
            codes = []
            rest = key
            for width in reversed(widths):
                codes.append(rest & ((1 << width) - 1))
                rest >>= width
            found.add(tuple(reversed(codes)))
        return found

    def pair_rows(
        self, first: str, second: str, pairs: Iterable[tuple[int, int]]
    ) -> dict[tuple[int, int], list[int]]:
        """Rows by pair, for the rows whose two columns (by name) hold one of ``pairs``.

        The rows holding one of the pairs' second codes are found in the
        column's bytes (:func:`~antq_core._dataset.keys.rows_with`); only those are read.
        """
        wanted = set(pairs)
        found: dict[tuple[int, int], list[int]] = defaultdict(list)
        if not wanted:
            return found
        cols = self.cols
        a, b = getattr(cols, first), getattr(cols, second)
        near = rows_with(b, {code for _, code in wanted}, len(getattr(cols, TABLES[second])))
        held = list(zip(map(a.__getitem__, near), map(b.__getitem__, near), strict=True))
        for i, pair in compress(zip(near, held, strict=True), map(wanted.__contains__, held)):
            found[pair].append(i)
        return found

    def describe(self, row: int) -> str:
        """An observation row in words: its metric and subject."""
        cols = self.cols
        return f"{cols.metrics[cols.metric[row]]} {cols.subjects[cols.subject[row]]}"


# -- words the issues of several checks share ----------------------------------------------

_KIND_NAMES: Final = {
    "site": ("điểm", "site"),
    "initiative": ("mô hình", "initiative"),
    "organization": ("tổ chức", "organization"),
    "participant": ("người tham gia", "participant"),
    "metric": ("chỉ tiêu", "metric"),
    "admin_unit": ("đơn vị hành chính", "administrative unit"),
    "unit": ("đơn vị hành chính", "administrative unit"),
    "observation": ("số liệu", "observation"),
    "dataset": ("bộ dữ liệu", "dataset"),
    "theme": ("loại mô hình", "theme"),
    "category": ("phân tổ", "category"),
    "source": ("nguồn", "source"),
    "option": ("lựa chọn", "option"),
}


def kind_names(kind: str, prefix: str) -> dict[str, str]:
    """An entity kind in words, as the details ``{prefix}_vi`` and ``{prefix}_en``."""
    vi, en = _KIND_NAMES[kind]
    return {f"{prefix}_vi": vi, f"{prefix}_en": en}


def owner(kind: str | None, id_: str | None) -> dict[str, str]:
    """The details ``owner_vi`` and ``owner_en``: the entity an issue is about."""
    assert kind is not None  # noqa: S101 - a validation location always names its kind
    vi, en = _KIND_NAMES[kind]
    tail = f" {id_}" if id_ is not None else ""
    return {"owner_vi": f"{vi.capitalize()}{tail}", "owner_en": f"{en.capitalize()}{tail}"}


def rows_text(rows: Sequence[int]) -> tuple[str, ...]:
    """The first :data:`MAX_ROWS_LISTED` row numbers, as an issue's details list them."""
    return tuple(str(r) for r in rows[:MAX_ROWS_LISTED])


def observation_owner(rows: Sequence[int], what: str) -> dict[str, str]:
    """The details ``owner_vi`` and ``owner_en`` for one observation or many that share a fault."""
    return named_owner(rows_text(rows), len(rows), what)


def named_owner(names: Sequence[str], count: int, what: str) -> dict[str, str]:
    """:func:`observation_owner` of ``count`` figures, the first of them named by ``names``.

    A name is a row number, or where else the figure is (a submission's item).
    """
    if count == 1:
        name = f"#{names[0]}" if names[0].isdigit() else names[0]
        return {"owner_vi": f"Số liệu {name} ({what})", "owner_en": f"Observation {name} ({what})"}
    shown = ", ".join(names[:MAX_ROWS_LISTED]) + (", ..." if count > MAX_ROWS_LISTED else "")
    return {
        "owner_vi": f"{count} số liệu ({what}; dòng {shown})",
        "owner_en": f"{count} observations ({what}; rows {shown})",
    }
