"""Strategies for values: periods, units, quantities, references, gazetteers.

Part of :mod:`antq_core.testing.strategies`, which re-exports the public names.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Final

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument

from antq_core import (
    DEFAULT_SEASON_START_MONTH,
    AdminLevel,
    AdminUnit,
    Disaggregation,
    DisaggregationCategory,
    Gazetteer,
    GazetteerSource,
    Period,
    PeriodKind,
    Qualifier,
    Quantity,
    SubjectKind,
    SubjectRef,
    Unit,
)
from antq_core.testing.strategies._common import (
    BOTH_FORMS,
    KIND_WORDS,
    NAMES,
    check_size,
    check_strategy,
    entity_ids,
    optional,
    or_default,
    texts,
    unique_tuples,
    vietnamese_names,
)

# -- values -------------------------------------------------------------------


def _years(min_year: int, max_year: int) -> st.SearchStrategy[int]:
    return st.integers(min_value=min_year, max_value=max_year)


@st.composite
def _weeks(draw: st.DrawFn, min_year: int, max_year: int) -> Period:
    year = draw(_years(min_year, max_year))
    last = dt.date(year, 12, 28).isocalendar().week  # 28 December is always in the last week
    return Period.week(year, draw(st.integers(min_value=1, max_value=last)))


@st.composite
def _ranges(draw: st.DrawFn, first: dt.date, last: dt.date) -> Period:
    a = draw(st.dates(min_value=first, max_value=last))
    b = draw(st.dates(min_value=first, max_value=last))
    return Period.range(min(a, b), max(a, b))


def periods(
    *,
    kinds: Collection[PeriodKind | str] | None = None,
    min_year: int = 1990,
    max_year: int = 2060,
) -> st.SearchStrategy[Period]:
    """Periods of every kind: days, ISO weeks, months, quarters, half-years, years...

    Crop seasons (niên vụ) start in any month from February to December, the
    default September most often; ranges run between any two dates of the
    years allowed, and may be a single day.

    Args:
        kinds: The kinds to draw (:class:`~antq_core.PeriodKind` members or
            their values); ``None`` for all of them.
        min_year: The earliest year a period starts in (the ISO year, for weeks).
        max_year: The latest year a period starts in (the ISO year, for weeks).

    Returns:
        A strategy of :class:`~antq_core.Period`.

    Raises:
        InvalidArgument: ``kinds`` is empty or has an unknown kind, or the
            years are not ``1 <= min_year <= max_year <= 9997``.
    """
    try:
        chosen = list(
            dict.fromkeys(PeriodKind(k) for k in (PeriodKind if kinds is None else kinds))
        )
    except ValueError as e:
        raise InvalidArgument(f"kinds: {e}") from None
    if not chosen:
        msg = "kinds must name at least one kind of period"
        raise InvalidArgument(msg)
    check_size("min_year", min_year, 1)
    check_size("max_year", max_year, min_year)
    if max_year > 9997:  # noqa: PLR2004 - a season of 9997 ends in 9998, the last year
        msg = f"max_year must be at most 9997, not {max_year}"
        raise InvalidArgument(msg)
    years = _years(min_year, max_year)
    first, last = dt.date(min_year, 1, 1), dt.date(max_year, 12, 31)
    by_kind: dict[PeriodKind, st.SearchStrategy[Period]] = {
        PeriodKind.DAY: st.dates(min_value=first, max_value=last).map(Period.day),
        PeriodKind.WEEK: _weeks(min_year, max_year),
        PeriodKind.MONTH: st.builds(Period.month, years, st.integers(1, 12)),
        PeriodKind.QUARTER: st.builds(Period.quarter, years, st.integers(1, 4)),
        PeriodKind.HALF_YEAR: st.builds(Period.half_year, years, st.integers(1, 2)),
        PeriodKind.YEAR: st.builds(Period.year, years),
        PeriodKind.CROP_SEASON: st.builds(
            Period.crop_season,
            years,
            st.just(DEFAULT_SEASON_START_MONTH) | st.integers(2, 12),
        ),
        PeriodKind.RANGE: _ranges(first, last),
    }
    return st.one_of([by_kind[k] for k in chosen])


def qualifiers() -> st.SearchStrategy[Qualifier]:
    """Every :class:`~antq_core.Qualifier`: exact, at least, at most, approximately."""
    return st.sampled_from(Qualifier)


def units(*, dimension: str | None = None) -> st.SearchStrategy[Unit]:
    """Registered units (:meth:`Unit.all <antq_core.Unit.all>` when the strategy is built).

    Args:
        dimension: Only units of this dimension (``"area"`` gives ``m2`` and
            ``ha``); ``None`` for every unit.

    Returns:
        A strategy of :class:`~antq_core.Unit`.

    Raises:
        InvalidArgument: No registered unit has that dimension.
    """
    found = [u for u in Unit.all().values() if dimension is None or u.dimension == dimension]
    if not found:
        msg = f"no registered unit has the dimension {dimension!r}"
        raise InvalidArgument(msg)
    return st.sampled_from(found)


any_period: Final = periods
_any_qualifier: Final = qualifiers
any_unit: Final = units


def _measures(max_value: int | Decimal) -> st.SearchStrategy[int | Decimal]:
    decimals = [
        st.decimals(min_value=0, max_value=Decimal(max_value), places=places)
        for places in range(1, 5)
    ]
    return st.one_of(st.integers(min_value=0, max_value=int(max_value)), *decimals)


@st.composite
def _quantities(
    draw: st.DrawFn,
    *,
    units: st.SearchStrategy[Unit],
    qualifiers: st.SearchStrategy[Qualifier],
    whole: st.SearchStrategy[int],
    measures: st.SearchStrategy[int | Decimal],
) -> Quantity:
    unit = draw(units)
    return Quantity(draw(whole if unit.whole else measures), unit, draw(qualifiers))


def quantities(
    *,
    units: st.SearchStrategy[Unit] | None = None,
    qualifiers: st.SearchStrategy[Qualifier] | None = None,
    max_value: int | Decimal = 10**9,
) -> st.SearchStrategy[Quantity]:
    """Quantities whose value suits their unit.

    Units that count whole things (persons, cases...) get ``int`` values;
    measures (m², ha, VND...) get ``int`` values or :class:`~decimal.Decimal`
    values with one to four decimal places, trailing zeros included
    (``Decimal("5.80")``). Values are never negative.

    Args:
        units: Strategy for the unit; default :func:`units`.
        qualifiers: Strategy for the qualifier; default :func:`qualifiers`.
        max_value: The largest value drawn.

    Returns:
        A strategy of :class:`~antq_core.Quantity`.

    Raises:
        InvalidArgument: A knob is not a strategy, or ``max_value`` is negative.
    """
    check_strategy("units", units)
    check_strategy("qualifiers", qualifiers)
    given: object = max_value
    if (
        isinstance(given, bool)
        or not isinstance(given, int | Decimal)
        or (isinstance(given, Decimal) and not given.is_finite())
        or given < 0
    ):
        msg = f"max_value must be a non-negative int or Decimal, not {max_value!r}"
        raise InvalidArgument(msg)
    return _quantities(
        units=or_default(units, any_unit()),
        qualifiers=or_default(qualifiers, _any_qualifier()),
        whole=st.integers(min_value=0, max_value=int(max_value)),
        measures=_measures(max_value),
    )


def subject_refs(
    *,
    kinds: Collection[SubjectKind | str] | None = None,
    ids: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[SubjectRef]:
    """References to what an observation is about: ``site:...``, ``unit:...``...

    Args:
        kinds: The subject kinds to draw; ``None`` for all.
        ids: Strategy for the id; default :func:`entity_ids`.

    Returns:
        A strategy of :class:`~antq_core.SubjectRef`.

    Raises:
        InvalidArgument: ``kinds`` is empty or unknown, or ``ids`` is not a strategy.
    """
    check_strategy("ids", ids)
    try:
        chosen = [SubjectKind(k) for k in (SubjectKind if kinds is None else kinds)]
    except ValueError as e:
        raise InvalidArgument(f"kinds: {e}") from None
    if not chosen:
        msg = "kinds must name at least one subject kind"
        raise InvalidArgument(msg)
    return st.builds(SubjectRef, st.sampled_from(chosen), or_default(ids, entity_ids()))


@st.composite
def _slices(
    draw: st.DrawFn,
    *,
    categories: st.SearchStrategy[list[DisaggregationCategory]],
    options: dict[str, st.SearchStrategy[str]],
) -> Disaggregation:
    return Disaggregation({c.id: draw(options[c.id]) for c in draw(categories)})


def disaggregations(
    *,
    categories: Sequence[DisaggregationCategory] | None = None,
) -> st.SearchStrategy[Disaggregation]:
    """Disaggregations: category id → option id, possibly empty (the total).

    Args:
        categories: Draw only from these categories and their options, each
            category at most once; ``None`` for arbitrary ids.

    Returns:
        A strategy of :class:`~antq_core.Disaggregation`.
    """
    if categories is None:
        return st.dictionaries(entity_ids(), entity_ids(), max_size=3).map(Disaggregation)
    chosen = tuple(categories)
    if not chosen:
        return st.just(Disaggregation({}))
    return _slices(
        categories=st.lists(
            st.sampled_from(chosen), max_size=len(chosen), unique_by=lambda c: c.id
        ),
        options={c.id: st.sampled_from([o.id for o in c.options]) for c in chosen},
    )


# -- geography ----------------------------------------------------------------


def _in_order(
    bounds: tuple[dt.date | None, dt.date | None],
) -> tuple[dt.date | None, dt.date | None]:
    start, end = bounds
    if start is not None and end is not None and end < start:
        return end, start
    return start, end


_VALIDITY: Final = st.tuples(
    optional(st.dates(dt.date(1945, 1, 1), dt.date(2040, 12, 31))),
    optional(st.dates(dt.date(1945, 1, 1), dt.date(2040, 12, 31))),
).map(_in_order)


class _Codes:
    """Hands out codes that are unique within one gazetteer, by level."""

    def __init__(self, bases: dict[AdminLevel, int]) -> None:
        self.next = dict(bases)
        self.children: dict[str, int] = {}

    def take(self, level: AdminLevel, parent: str | None) -> str:
        if level is AdminLevel.VILLAGE:
            assert parent is not None  # noqa: S101 - villages always have a commune
            n = self.children[parent] = self.children.get(parent, 0) + 1
            return f"{parent}.{n:02d}"
        n = self.next[level]
        self.next[level] += 1
        width = {AdminLevel.PROVINCE: 2, AdminLevel.DISTRICT: 3, AdminLevel.COMMUNE: 5}[level]
        return f"{n:0{width}d}"


_GAZETTEER_SOURCES: Final = unique_tuples(
    st.builds(
        GazetteerSource,
        id=entity_ids(),
        title=vietnamese_names(),
        note=optional(texts),
    ),
    max_size=2,
    unique_by=lambda s: s.id,
)
_UNIT_NAMES: Final = vietnamese_names(max_words=3)
# Province codes have two digits, districts three or four, communes five or
# more, villages a commune code and a number: codes of different levels differ.
_FIRST_DISTRICT: Final = st.integers(100, 500)
_FIRST_COMMUNE: Final = st.integers(1, 50_000)
_UNIT_KINDS: Final = {
    level: optional(
        st.sampled_from([unicodedata.normalize(f, w) for w in words for f in BOTH_FORMS])
    )
    for level, words in KIND_WORDS.items()
}


@st.composite
def _gazetteers(
    draw: st.DrawFn,
    *,
    first_province: st.SearchStrategy[int],
    provinces: st.SearchStrategy[int],
    children: st.SearchStrategy[int],
    districts: bool,
    country: bool,
    version: st.SearchStrategy[str],
) -> Gazetteer:
    codes = _Codes(
        {
            AdminLevel.PROVINCE: draw(first_province),
            AdminLevel.DISTRICT: draw(_FIRST_DISTRICT),
            AdminLevel.COMMUNE: draw(_FIRST_COMMUNE),
        }
    )
    levels = [AdminLevel.PROVINCE, AdminLevel.COMMUNE, AdminLevel.VILLAGE]
    if districts:
        levels.insert(1, AdminLevel.DISTRICT)
    made: list[AdminUnit] = []

    def grow(depth: int, parent: str | None, count: int) -> None:
        level = levels[depth]
        for _ in range(count):
            code = codes.take(level, parent)
            valid_from, valid_to = draw(_VALIDITY)
            made.append(
                AdminUnit(
                    code=code,
                    name=draw(_UNIT_NAMES),
                    level=level,
                    parent=parent,
                    kind_vi=draw(_UNIT_KINDS[level]),
                    valid_from=valid_from,
                    valid_to=valid_to,
                    local=level is AdminLevel.VILLAGE,
                )
            )
            if depth + 1 < len(levels):
                grow(depth + 1, code, draw(children))

    root: str | None = None
    if country:
        root = "VN"
        made.append(AdminUnit(code=root, name="Việt Nam", level=AdminLevel.COUNTRY))
    grow(0, root, draw(provinces))
    valid_from, valid_to = draw(_VALIDITY)
    return Gazetteer(
        draw(version),
        made,
        title=draw(optional(NAMES)),
        valid_from=valid_from,
        valid_to=valid_to,
        sources=draw(_GAZETTEER_SOURCES),
    )


def gazetteers(
    *,
    max_provinces: int = 2,
    max_children: int = 3,
    districts: bool = True,
    country: bool = False,
    version: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Gazetteer]:
    """Gazetteers that form a valid tree with unique codes.

    Provinces (two-digit codes) contain districts (three digits), which
    contain communes (five digits), which contain villages (local codes such
    as ``"03589.01"``); with ``districts=False`` communes sit directly under
    provinces, as in the geography since 1 July 2025. Every parent exists,
    there are no cycles, and names, kind words and titles are Vietnamese (NFC
    or NFD on the way in; the gazetteer stores NFC). Names may repeat, as they
    do in real gazetteers.

    Args:
        max_provinces: The most provinces (at least 1 is always drawn).
        max_children: The most children of any unit.
        districts: Whether the tree has a district tier.
        country: Whether one country unit (``"VN"``) sits above the provinces,
            as in the national gazetteers.
        version: Strategy for the version id; default :func:`entity_ids`.

    Returns:
        A strategy of :class:`~antq_core.Gazetteer`.

    Raises:
        InvalidArgument: A size is out of range or ``version`` is not a strategy.
    """
    check_size("max_provinces", max_provinces, 1)
    if max_provinces > 90:  # noqa: PLR2004 - two-digit codes
        msg = f"max_provinces must be at most 90, not {max_provinces}"
        raise InvalidArgument(msg)
    check_size("max_children", max_children)
    if max_children > 99:  # noqa: PLR2004 - two-digit village numbers
        msg = f"max_children must be at most 99, not {max_children}"
        raise InvalidArgument(msg)
    check_strategy("version", version)
    return _gazetteers(
        first_province=st.integers(1, 100 - max_provinces),
        provinces=st.integers(1, max_provinces),
        children=st.integers(0, max_children),
        districts=districts,
        country=country,
        version=or_default(version, entity_ids()),
    )


def admin_units() -> st.SearchStrategy[AdminUnit]:
    """Administrative units, each taken from a generated gazetteer (so its parent exists there).

    Returns:
        A strategy of :class:`~antq_core.AdminUnit`.
    """
    return gazetteers().flatmap(lambda g: st.sampled_from(list(g)))
