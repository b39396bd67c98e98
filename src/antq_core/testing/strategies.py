"""Hypothesis strategies for antq_core's values, entities and datasets.

Every strategy here generates only *valid* data: whatever it draws can be
built, dumped and loaded back by antq_core without an error. Use them to test
code that consumes antq_core types, and to state laws ("every period parses
back from its string") as property tests.

The knobs are keyword-only. Knobs that choose *what* to draw take Hypothesis
strategies (``st.just(...)`` or ``st.sampled_from(...)`` for fixed choices);
knobs that bound sizes take numbers. An impossible combination raises
:class:`hypothesis.errors.InvalidArgument` when the strategy is built.

Once antq_core is installed, Hypothesis registers these strategies for its
types through an entry point, so ``st.from_type(Period)`` and ``@given``
with type annotations work too.

This module needs the ``testing`` extra (``pip install antq_core[testing]``);
nothing else in antq_core imports it.

>>> from hypothesis import given, settings
>>> from antq_core import Period
>>> from antq_core.testing.strategies import periods
>>> @settings(max_examples=20, database=None)
... @given(periods(kinds=["crop_season", "week"]))
... def test_round_trip(period):
...     assert Period.parse(str(period)) == period
>>> test_round_trip()

.. versionadded:: 0.1.0
"""

from __future__ import annotations

# The entry point's hook is defined before Hypothesis is imported (see below).
# ruff: noqa: E402


def _hypothesis_setup_hook() -> None:
    """Register the strategies for ``st.from_type``; Hypothesis calls this when imported.

    Hypothesis finds it through the ``hypothesis`` entry point in
    ``pyproject.toml`` and calls it while ``import hypothesis`` runs. It is
    defined before this module imports Hypothesis: when this module is
    imported first, its own ``import hypothesis`` loads the entry point while
    the module is half built. The hook then finds nothing to register yet,
    and the end of the module registers instead.
    """
    register = globals().get("_register_type_strategies")
    if callable(register):
        register()


import datetime as dt
import functools
import string
import unicodedata
from collections.abc import Callable, Collection, Hashable, Sequence
from decimal import Decimal
from typing import Any, Final, Literal, Protocol, TypeVar

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument

from antq_core import (
    DEFAULT_SEASON_START_MONTH,
    AdminLevel,
    AdminUnit,
    AggregationType,
    CategoryOption,
    CoordinationAgreement,
    Dataset,
    DatasetMetadata,
    Disaggregation,
    DisaggregationCategory,
    Gazetteer,
    GazetteerSource,
    Initiative,
    InitiativeTheme,
    MassOrganization,
    MetricDefinition,
    MetricKind,
    Observation,
    OrganizationKind,
    Participant,
    ParticipantRole,
    Period,
    PeriodKind,
    Qualifier,
    Quantity,
    Site,
    Source,
    Statement,
    SubjectKind,
    SubjectRef,
    Unit,
    builtin_catalog,
)

__all__ = [
    "admin_units",
    "aggregation_datasets",
    "coordination_agreements",
    "dataset_metadata",
    "datasets",
    "disaggregation_categories",
    "disaggregations",
    "entity_ids",
    "gazetteers",
    "initiative_themes",
    "initiatives",
    "mass_organizations",
    "metric_definitions",
    "observations",
    "participants",
    "periods",
    "qualifiers",
    "quantities",
    "sites",
    "sources",
    "statements",
    "subject_refs",
    "units",
    "vietnamese_names",
]

_T = TypeVar("_T")
NormalForm = Literal["NFC", "NFD"]
_NFC_ONLY: Final[tuple[NormalForm, ...]] = ("NFC",)
_BOTH_FORMS: Final[tuple[NormalForm, ...]] = ("NFC", "NFD")

# -- text ---------------------------------------------------------------------

_VOWELS: Final = "aăâeêioôơuưy"
# No mark, huyền, sắc, hỏi, ngã, nặng.
_TONES: Final = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_CONSONANTS: Final = "bcdđghklmnpqrstvx"
_LETTERS: Final = "".join(
    sorted({unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONES})
    + list(_CONSONANTS)
)
# Real syllables of names in the seed data, so that examples read like Vietnamese.
_SYLLABLES: Final = (
    "Bản",
    "Bùi",
    "Cả",
    "Châu",
    "Đường",
    "Giang",
    "Hồ",
    "Khắc",
    "Lai",
    "Lèng",
    "Lượt",
    "Mù",
    "Mường",
    "Nguyễn",
    "Phong",
    "So",
    "Sơn",
    "Tà",
    "Tả",
    "Tam",
    "Tây",
    "Thầu",
    "Thị",
    "Thổ",
    "Tiến",
    "Tô",
    "Tổng",
    "Vàng",
    "Vân",
    "Xưởng",
)
_ID_FIRST: Final = string.ascii_letters + string.digits
_ID_REST: Final = _ID_FIRST + "._-"

_KIND_WORDS: Final = {
    AdminLevel.PROVINCE: ("tỉnh", "thành phố"),
    AdminLevel.DISTRICT: ("huyện", "quận", "thị xã", "thành phố"),
    AdminLevel.COMMUNE: ("xã", "phường", "thị trấn"),
    AdminLevel.VILLAGE: ("thôn", "bản", "tổ dân phố"),
}


def _check_strategy(name: str, value: object) -> None:
    if value is not None and not isinstance(value, st.SearchStrategy):
        msg = (
            f"{name} must be a Hypothesis strategy or None, not {type(value).__name__}; "
            "to fix a value use st.just(...) or st.sampled_from(...)"
        )
        raise InvalidArgument(msg)


def _check_size(name: str, value: object, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        msg = f"{name} must be an int >= {minimum}, not {value!r}"
        raise InvalidArgument(msg)


def _or(
    strategy: st.SearchStrategy[_T] | None, default: st.SearchStrategy[_T]
) -> st.SearchStrategy[_T]:
    return default if strategy is None else strategy


def _optional(strategy: st.SearchStrategy[_T]) -> st.SearchStrategy[_T | None]:
    return st.none() | strategy


def _unique_tuples(
    elements: st.SearchStrategy[_T],
    *,
    min_size: int = 0,
    max_size: int = 3,
    unique_by: Callable[[_T], Hashable] | None = None,
) -> st.SearchStrategy[tuple[_T, ...]]:
    def build() -> st.SearchStrategy[tuple[_T, ...]]:
        # Deferred: asking whether a strategy is empty evaluates it, which
        # Hypothesis warns about while it loads plugins (this module is one).
        if min_size == 0 and elements.is_empty:  # references into an empty list
            return st.just(())
        if unique_by is None:
            lists = st.lists(elements, min_size=min_size, max_size=max_size, unique=True)
        else:
            lists = st.lists(elements, min_size=min_size, max_size=max_size, unique_by=unique_by)
        return lists.map(tuple)

    return st.deferred(build)


def entity_ids() -> st.SearchStrategy[str]:
    """Entity ids: ASCII letters, digits, ``.``, ``_`` and ``-``, starting with a letter or digit.

    Returns:
        A strategy of ids that every entity's ``id`` field and every
        reference accept (at most 20 characters, well under the limit of 100).
    """
    return st.builds(
        str.__add__,
        st.sampled_from(_ID_FIRST),
        st.text(alphabet=_ID_REST, max_size=19),
    )


_WORDS: Final = st.sampled_from(_SYLLABLES) | st.text(alphabet=_LETTERS, min_size=1, max_size=6)


def _join_name(parts: tuple[list[str], bool, NormalForm]) -> str:
    words, capitalised, form = parts
    if capitalised:
        words = [w[0].upper() + w[1:] for w in words]
    return unicodedata.normalize(form, " ".join(words))


def vietnamese_names(
    *,
    forms: Collection[NormalForm] = ("NFC", "NFD"),
    max_words: int = 4,
) -> st.SearchStrategy[str]:
    """Names written with Vietnamese letters: tone marks, ``ă``, ``ơ``, ``ư``, ``đ``...

    Words are real syllables (``"Mường"``, ``"Tả"``) or random strings of
    Vietnamese letters, joined by single spaces, with no space at either
    end. Each name is in one of ``forms``: NFC (precomposed, as entities
    store names) or NFD (base letters plus combining marks, as some keyboards
    type them), so code that compares names must normalise them first.

    Args:
        forms: The Unicode normal forms to write names in.
        max_words: The most words in a name (at least 1).

    Returns:
        A strategy of non-empty names.

    Raises:
        InvalidArgument: ``forms`` is empty or names a form other than
            ``"NFC"`` and ``"NFD"``, or ``max_words`` is below 1.
    """
    chosen = tuple(forms)
    if not chosen or any(f not in ("NFC", "NFD") for f in chosen):
        msg = f"forms must be a non-empty collection of 'NFC' and 'NFD', not {forms!r}"
        raise InvalidArgument(msg)
    _check_size("max_words", max_words, 1)
    return st.tuples(
        st.lists(_WORDS, min_size=1, max_size=max_words), st.booleans(), st.sampled_from(chosen)
    ).map(_join_name)


_NAMES: Final = vietnamese_names()
# Free text (notes, descriptions, statements): real syllables only, which keeps
# examples small; names above exercise random letters.
_texts: Final = st.tuples(
    st.lists(st.sampled_from(_SYLLABLES), min_size=1, max_size=8),
    st.booleans(),
    st.sampled_from(_BOTH_FORMS),
).map(_join_name)

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
    _check_size("min_year", min_year, 1)
    _check_size("max_year", max_year, min_year)
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


_any_period: Final = periods
_any_qualifier: Final = qualifiers
_any_unit: Final = units


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
    _check_strategy("units", units)
    _check_strategy("qualifiers", qualifiers)
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
        units=_or(units, _any_unit()),
        qualifiers=_or(qualifiers, _any_qualifier()),
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
    _check_strategy("ids", ids)
    try:
        chosen = [SubjectKind(k) for k in (SubjectKind if kinds is None else kinds)]
    except ValueError as e:
        raise InvalidArgument(f"kinds: {e}") from None
    if not chosen:
        msg = "kinds must name at least one subject kind"
        raise InvalidArgument(msg)
    return st.builds(SubjectRef, st.sampled_from(chosen), _or(ids, entity_ids()))


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
    _optional(st.dates(dt.date(1945, 1, 1), dt.date(2040, 12, 31))),
    _optional(st.dates(dt.date(1945, 1, 1), dt.date(2040, 12, 31))),
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


_GAZETTEER_SOURCES: Final = _unique_tuples(
    st.builds(
        GazetteerSource,
        id=entity_ids(),
        title=vietnamese_names(),
        note=_optional(_texts),
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
    level: _optional(
        st.sampled_from([unicodedata.normalize(f, w) for w in words for f in _BOTH_FORMS])
    )
    for level, words in _KIND_WORDS.items()
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

    root = None
    if country:
        root = "VN"
        made.append(AdminUnit(code=root, name="Việt Nam", level=AdminLevel.COUNTRY))
    grow(0, root, draw(provinces))
    valid_from, valid_to = draw(_VALIDITY)
    return Gazetteer(
        draw(version),
        made,
        title=draw(_optional(_NAMES)),
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
    _check_size("max_provinces", max_provinces, 1)
    if max_provinces > 90:  # noqa: PLR2004 - two-digit codes
        msg = f"max_provinces must be at most 90, not {max_provinces}"
        raise InvalidArgument(msg)
    _check_size("max_children", max_children)
    if max_children > 99:  # noqa: PLR2004 - two-digit village numbers
        msg = f"max_children must be at most 99, not {max_children}"
        raise InvalidArgument(msg)
    _check_strategy("version", version)
    return _gazetteers(
        first_province=st.integers(1, 100 - max_provinces),
        provinces=st.integers(1, max_provinces),
        children=st.integers(0, max_children),
        districts=districts,
        country=country,
        version=_or(version, entity_ids()),
    )


def admin_units() -> st.SearchStrategy[AdminUnit]:
    """Administrative units, each taken from a generated gazetteer (so its parent exists there).

    Returns:
        A strategy of :class:`~antq_core.AdminUnit`.
    """
    return gazetteers().flatmap(lambda g: st.sampled_from(list(g)))


# -- entities -----------------------------------------------------------------


def sources(*, ids: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Source]:
    """Cited documents (nguồn): a title, and perhaps publisher, date, author, URL.

    Args:
        ids: Strategy for the id; default :func:`entity_ids`.
    """
    _check_strategy("ids", ids)
    return st.builds(
        Source,
        id=_or(ids, entity_ids()),
        title=vietnamese_names(max_words=6),
        publisher=_optional(vietnamese_names()),
        published_on=_optional(st.dates(dt.date(1945, 1, 1), dt.date(2060, 12, 31))),
        author=_optional(vietnamese_names()),
        quoted=_optional(vietnamese_names()),
        url=_optional(entity_ids().map(lambda s: f"https://example.org/{s}")),
        note=_optional(_texts),
    )


def statements(*, sources: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Statement]:
    """Qualitative outcomes, in Vietnamese and perhaps English.

    Args:
        sources: Strategy for the id of the source cited (sometimes none is);
            default :func:`entity_ids`.
    """
    _check_strategy("sources", sources)
    return st.builds(
        Statement,
        text_vi=_texts,
        text_en=_optional(_texts),
        source=_optional(_or(sources, entity_ids())),
    )


def initiative_themes(
    *, ids: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[InitiativeTheme]:
    """Initiative themes (loại mô hình).

    Args:
        ids: Strategy for the id; default :func:`entity_ids`.
    """
    _check_strategy("ids", ids)
    return st.builds(
        InitiativeTheme,
        id=_or(ids, entity_ids()),
        name_vi=vietnamese_names(),
        name_en=vietnamese_names(),
        description=_optional(_texts),
    )


def disaggregation_categories(
    *,
    ids: st.SearchStrategy[str] | None = None,
    max_options: int = 4,
) -> st.SearchStrategy[DisaggregationCategory]:
    """Disaggregation categories with one or more options of distinct ids.

    Args:
        ids: Strategy for the category id; default :func:`entity_ids`.
        max_options: The most options (at least 1).
    """
    _check_strategy("ids", ids)
    _check_size("max_options", max_options, 1)
    options = st.builds(
        CategoryOption, id=entity_ids(), name_vi=vietnamese_names(), name_en=vietnamese_names()
    )
    return st.builds(
        DisaggregationCategory,
        id=_or(ids, entity_ids()),
        name_vi=vietnamese_names(),
        name_en=vietnamese_names(),
        options=_unique_tuples(
            options, min_size=1, max_size=max_options, unique_by=lambda o: o.id
        ),
    )


_AGGREGATIONS: Final = st.sampled_from(AggregationType)
_FACTORS: Final = st.sampled_from([1, 100, 1000])


@st.composite
def _metric_definitions(
    draw: st.DrawFn,
    *,
    ids: st.SearchStrategy[str],
    units: st.SearchStrategy[Unit],
    kinds: st.SearchStrategy[MetricKind],
    categories: st.SearchStrategy[tuple[str, ...]],
    parts: st.SearchStrategy[str],
    thresholds: st.SearchStrategy[Quantity | None],
) -> MetricDefinition:
    kind = draw(kinds)
    fields: dict[str, Any] = {
        "id": draw(ids),
        "name_vi": draw(_NAMES),
        "name_en": draw(_NAMES),
        "unit": draw(units),
        "kind": kind,
        "categories": draw(categories),
        "description": draw(_optional(_texts)),
    }
    if draw(st.booleans()):  # otherwise the kind's defaults apply
        fields["space_aggregation"] = draw(_AGGREGATIONS)
        fields["time_aggregation"] = draw(_AGGREGATIONS)
    if kind is MetricKind.RATIO:
        fields["numerator"] = draw(parts)
        fields["denominator"] = draw(parts)
        fields["factor"] = draw(_FACTORS)
    else:
        fields["threshold"] = draw(thresholds)
    return MetricDefinition(**fields)


def metric_definitions(
    *,
    ids: st.SearchStrategy[str] | None = None,
    units: st.SearchStrategy[Unit] | None = None,
    kinds: Collection[MetricKind | str] | None = None,
    categories: st.SearchStrategy[str] | None = None,
    parts: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[MetricDefinition]:
    """Metric definitions (chỉ tiêu): flows, stocks, distinct counts and ratios.

    Aggregation types are sometimes left to the kind's defaults and
    sometimes set explicitly; ratios always have a numerator, a denominator
    and a factor; other kinds sometimes have a threshold.

    Args:
        ids: Strategy for the id; default :func:`entity_ids`.
        units: Strategy for the unit; default :func:`units`.
        kinds: The metric kinds to draw; ``None`` for all.
        categories: Strategy for the ids of the disaggregation categories it
            may be broken down by; default :func:`entity_ids`.
        parts: Strategy for a ratio's numerator and denominator ids; default
            :func:`entity_ids`.

    Raises:
        InvalidArgument: ``kinds`` is empty or unknown, or a knob is not a strategy.
    """
    for name, value in (("ids", ids), ("units", units), ("categories", categories)):
        _check_strategy(name, value)
    _check_strategy("parts", parts)
    try:
        chosen = tuple(MetricKind(k) for k in (MetricKind if kinds is None else kinds))
    except ValueError as e:
        raise InvalidArgument(f"kinds: {e}") from None
    if not chosen:
        msg = "kinds must name at least one metric kind"
        raise InvalidArgument(msg)
    return _metric_definitions(
        ids=_or(ids, entity_ids()),
        units=_or(units, _any_unit()),
        kinds=st.sampled_from(chosen),
        categories=_unique_tuples(_or(categories, entity_ids()), max_size=2),
        parts=_or(parts, entity_ids()),
        thresholds=_optional(quantities(max_value=10**7)),
    )


def _refs(strategy: st.SearchStrategy[str] | None) -> st.SearchStrategy[str]:
    return _or(strategy, entity_ids())


def initiatives(
    *,
    ids: st.SearchStrategy[str] | None = None,
    themes: st.SearchStrategy[str] | None = None,
    admin_units: st.SearchStrategy[str] | None = None,
    sources: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Initiative]:
    """Initiatives (mô hình), typical or not, with outcomes and bodies that run them.

    Args:
        ids: Strategy for the id; default :func:`entity_ids`.
        themes: Strategy for the theme id; default :func:`entity_ids`.
        admin_units: Strategy for the code of the unit that runs it (the
            scope is sometimes left out); default :func:`entity_ids`.
        sources: Strategy for cited source ids; default :func:`entity_ids`.
    """
    for name, value in (("ids", ids), ("themes", themes), ("admin_units", admin_units)):
        _check_strategy(name, value)
    _check_strategy("sources", sources)
    bodies = _unique_tuples(vietnamese_names(forms=_NFC_ONLY), max_size=3)
    return st.builds(
        Initiative,
        id=_refs(ids),
        name_vi=vietnamese_names(max_words=6),
        name_en=_optional(vietnamese_names(max_words=6)),
        theme=_refs(themes),
        scope=_optional(_refs(admin_units)),
        started=_optional(periods(kinds=["year", "day", "month"])),
        typical=st.booleans(),
        lead_bodies=bodies,
        partner_bodies=bodies,
        description_vi=_optional(_texts),
        description_en=_optional(_texts),
        outcomes=st.lists(statements(sources=_refs(sources)), max_size=2).map(tuple),
        sources=_unique_tuples(_refs(sources), max_size=2),
        note=_optional(_texts),
    )


def coordination_agreements(
    *, sources: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[CoordinationAgreement]:
    """Coordination agreements (quy chế phối hợp) signed by two to four parties.

    Args:
        sources: Strategy for the id of the source that reports it;
            default :func:`entity_ids`.
    """
    _check_strategy("sources", sources)
    return st.builds(
        CoordinationAgreement,
        title_vi=_optional(vietnamese_names(max_words=6)),
        parties=_unique_tuples(vietnamese_names(forms=_NFC_ONLY), min_size=2, max_size=4),
        signed=_optional(periods(kinds=["day", "month", "year"])),
        source=_optional(_refs(sources)),
    )


def sites(
    *,
    ids: st.SearchStrategy[str] | None = None,
    initiatives: st.SearchStrategy[str] | None = None,
    admin_units: st.SearchStrategy[str] | None = None,
    sources: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Site]:
    """Sites (điểm) covering one to three distinct units, some of them clusters with an agreement.

    Args:
        ids: Strategy for the id; default :func:`entity_ids`.
        initiatives: Strategy for the initiative id; default :func:`entity_ids`.
        admin_units: Strategy for the codes of the units covered; default
            :func:`entity_ids`. It must be able to draw as many distinct codes
            as a site needs; a strategy of a single code gives one-unit sites.
        sources: Strategy for the source of a coordination agreement;
            default :func:`entity_ids`.
    """
    for name, value in (("ids", ids), ("initiatives", initiatives)):
        _check_strategy(name, value)
    _check_strategy("admin_units", admin_units)
    _check_strategy("sources", sources)
    return st.builds(
        Site,
        id=_refs(ids),
        initiative=_refs(initiatives),
        admin_units=_unique_tuples(_refs(admin_units), min_size=1, max_size=3),
        name_vi=_optional(vietnamese_names(max_words=6)),
        started=_optional(periods(kinds=["year", "day", "month"])),
        coordination_agreement=_optional(coordination_agreements(sources=sources)),
        example=st.booleans(),
        note=_optional(_texts),
    )


def mass_organizations(
    *,
    ids: st.SearchStrategy[str] | None = None,
    admin_units: st.SearchStrategy[str] | None = None,
    initiatives: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[MassOrganization]:
    """Mass organizations for security and order (tổ chức quần chúng bảo vệ ANTT).

    Args:
        ids: Strategy for the id; default :func:`entity_ids`.
        admin_units: Strategy for the code of the unit it works in; default
            :func:`entity_ids`.
        initiatives: Strategy for the initiative it belongs to (sometimes
            none); default :func:`entity_ids`.
    """
    for name, value in (("ids", ids), ("admin_units", admin_units)):
        _check_strategy(name, value)
    _check_strategy("initiatives", initiatives)
    return st.builds(
        MassOrganization,
        id=_refs(ids),
        kind=st.sampled_from(OrganizationKind),
        name_vi=vietnamese_names(max_words=6),
        admin_unit=_refs(admin_units),
        established_on=_optional(st.dates(dt.date(1960, 1, 1), dt.date(2060, 12, 31))),
        member_count=_optional(st.integers(min_value=0, max_value=10_000)),
        initiative=_optional(_refs(initiatives)),
        note=_optional(_texts),
    )


_IDENTITY_NUMBERS: Final = st.text(alphabet=string.digits, min_size=9, max_size=9) | st.text(
    alphabet=string.digits, min_size=12, max_size=12
)


def participants(
    *,
    sensitive: bool = True,
    ids: st.SearchStrategy[str] | None = None,
    admin_units: st.SearchStrategy[str] | None = None,
    initiatives: st.SearchStrategy[str] | None = None,
    organizations: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Participant]:
    """Participants (người tham gia) with one or more distinct roles.

    Args:
        sensitive: Whether personal fields (full name, CMND/CCCD number,
            birth date) may be filled in; each is still sometimes absent.
            With ``False`` they are always ``None``.
        ids: Strategy for the id; default :func:`entity_ids`.
        admin_units: Strategy for the code of the unit they live in
            (sometimes none); default :func:`entity_ids`.
        initiatives: Strategy for the initiative they take part in
            (sometimes none); default :func:`entity_ids`.
        organizations: Strategy for the organization they belong to
            (sometimes none); default :func:`entity_ids`.
    """
    for name, value in (("ids", ids), ("admin_units", admin_units)):
        _check_strategy(name, value)
    _check_strategy("initiatives", initiatives)
    _check_strategy("organizations", organizations)

    def personal(strategy: st.SearchStrategy[_T]) -> st.SearchStrategy[_T | None]:
        return _optional(strategy) if sensitive else st.none()

    return st.builds(
        Participant,
        id=_refs(ids),
        roles=_unique_tuples(st.sampled_from(ParticipantRole), min_size=1, max_size=3),
        admin_unit=_optional(_refs(admin_units)),
        initiative=_optional(_refs(initiatives)),
        organization=_optional(_refs(organizations)),
        note_vi=_optional(_texts),
        full_name=personal(vietnamese_names()),
        identity_number=personal(_IDENTITY_NUMBERS),
        birth_date=personal(st.dates(dt.date(1920, 1, 1), dt.date(2010, 12, 31))),
    )


@functools.lru_cache(maxsize=64)
def _quantities_of(dimension: str) -> st.SearchStrategy[Quantity]:
    return quantities(units=_any_unit(dimension=dimension))


@functools.lru_cache(maxsize=256)
def _slices_of(
    categories: tuple[DisaggregationCategory, ...],
) -> st.SearchStrategy[Disaggregation]:
    return disaggregations(categories=categories)


@st.composite
def _observations(
    draw: st.DrawFn,
    *,
    metrics: st.SearchStrategy[MetricDefinition],
    subjects: st.SearchStrategy[SubjectRef],
    periods: st.SearchStrategy[Period],
    categories: tuple[DisaggregationCategory, ...],
    sources: st.SearchStrategy[str | None],
) -> Observation:
    metric = draw(metrics)
    quantity = draw(_quantities_of(metric.unit.dimension))
    usable = tuple(c for c in categories if c.id in metric.categories)
    return Observation(
        metric=metric.id,
        subject=draw(subjects),
        period=draw(periods),
        unit=quantity.unit,
        value=quantity.value,
        qualifier=quantity.qualifier,
        disaggregation=draw(_slices_of(usable)),
        source=draw(sources),
        note=draw(_optional(_texts)),
    )


def observations(
    *,
    metrics: st.SearchStrategy[MetricDefinition] | None = None,
    subjects: st.SearchStrategy[SubjectRef] | None = None,
    periods: st.SearchStrategy[Period] | None = None,
    categories: Sequence[DisaggregationCategory] | None = None,
    sources: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Observation]:
    """Observations (số liệu) consistent with their metric.

    The unit is the metric's unit or one of the same dimension (a metric in
    m² may be reported in ha); the value suits the unit; the disaggregation
    uses only categories the metric declares, with their options.

    Args:
        metrics: Strategy for the metric definition; default: the metrics of
            :func:`~antq_core.builtin_catalog`.
        subjects: Strategy for the subject; default :func:`subject_refs`.
        periods: Strategy for the period; default :func:`periods`.
        categories: The disaggregation categories that exist; default: the
            built-in catalog's.
        sources: Strategy for the cited source id (sometimes none is);
            default :func:`entity_ids`.
    """
    for name, value in (("metrics", metrics), ("subjects", subjects), ("periods", periods)):
        _check_strategy(name, value)
    _check_strategy("sources", sources)
    catalog = builtin_catalog()
    return _observations(
        metrics=_or(metrics, st.sampled_from(catalog.metrics)),
        subjects=_or(subjects, subject_refs()),
        periods=_or(periods, _any_period()),
        categories=tuple(catalog.categories if categories is None else categories),
        sources=_optional(_refs(sources)),
    )


def dataset_metadata(
    *, provinces: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[DatasetMetadata]:
    """Dataset metadata: titles, report date, province, description, licence.

    Args:
        provinces: Strategy for the province code (sometimes none); default
            :func:`entity_ids`.
    """
    _check_strategy("provinces", provinces)
    return st.builds(
        DatasetMetadata,
        title_vi=vietnamese_names(max_words=6),
        title_en=_optional(vietnamese_names(max_words=6)),
        report_date=_optional(st.dates(dt.date(1990, 1, 1), dt.date(2060, 12, 31))),
        province=_optional(_refs(provinces)),
        description=_optional(_texts),
        license=_optional(st.sampled_from(["CC BY 4.0", "CC0 1.0", "Internal use only"])),
    )


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_E = TypeVar("_E", bound=_HasId)


def _id_of(entity: _HasId) -> str:
    return entity.id


def _entities(
    strategy: st.SearchStrategy[_E], *, min_size: int = 0, max_size: int = 3
) -> st.SearchStrategy[list[_E]]:
    return st.lists(strategy, min_size=min_size, max_size=max_size, unique_by=_id_of)


class _Refs:
    """Draws references into the dataset being built.

    Entities are drawn once from strategies built at import (building
    strategies inside a draw is what makes generation slow), then pointed at
    each other here by drawing indexes into the lists of ids.
    """

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def one(self, ids: Sequence[str]) -> str:
        return ids[self.draw(st.integers(0, len(ids) - 1))]

    def maybe(self, ids: Sequence[str]) -> str | None:
        if not ids or not self.draw(st.booleans()):
            return None
        return self.one(ids)

    def some(self, ids: Sequence[str], *, min_size: int = 0, max_size: int = 3) -> tuple[str, ...]:
        indexes = st.integers(0, len(ids) - 1) if ids else st.nothing()
        drawn = self.draw(
            st.lists(indexes, min_size=min_size, max_size=min(max_size, len(ids)), unique=True)
        )
        return tuple(ids[i] for i in drawn)


# References are drawn by _Refs; the entities' own reference fields are placeholders.
_NO_REF: Final = st.just("ref")
_DATASET_SOURCES: Final = _entities(sources(), max_size=2)
_DATASET_THEMES: Final = _entities(initiative_themes(), min_size=1, max_size=2)
_DATASET_CATEGORIES: Final = _entities(disaggregation_categories(max_options=3), max_size=2)
_DATASET_METRICS: Final = _entities(
    metric_definitions(
        kinds=[MetricKind.FLOW, MetricKind.STOCK, MetricKind.DISTINCT], categories=_NO_REF
    ),
    min_size=1,
    max_size=3,
)
_DATASET_RATIOS: Final = _entities(
    metric_definitions(kinds=[MetricKind.RATIO], categories=_NO_REF, parts=_NO_REF),
    max_size=1,
)
_DATASET_INITIATIVES: Final = _entities(
    initiatives(themes=_NO_REF, admin_units=_NO_REF, sources=_NO_REF)
)
_DATASET_SITES: Final = _entities(sites(initiatives=_NO_REF, admin_units=_NO_REF, sources=_NO_REF))
_DATASET_ORGANIZATIONS: Final = _entities(
    mass_organizations(admin_units=_NO_REF, initiatives=_NO_REF), max_size=2
)
_DATASET_PARTICIPANTS: Final = _entities(
    participants(admin_units=_NO_REF, initiatives=_NO_REF, organizations=_NO_REF), max_size=2
)
_DATASET_METADATA: Final = dataset_metadata()
_DATASET_GAZETTEERS: Final = gazetteers(max_children=2)
_DATASET_PERIODS: Final = periods()
_SUBJECT_KINDS: Final = tuple(SubjectKind)


@st.composite
def _datasets_observations(
    draw: st.DrawFn,
    *,
    metrics: Sequence[MetricDefinition],
    subjects: dict[SubjectKind, list[str]],
    categories: Sequence[DisaggregationCategory],
    sources: Sequence[str],
) -> Observation:
    refs = _Refs(draw)
    metric = metrics[draw(st.integers(0, len(metrics) - 1))]
    quantity = draw(_quantities_of(metric.unit.dimension))
    kinds = [k for k in _SUBJECT_KINDS if subjects[k]]
    kind = kinds[draw(st.integers(0, len(kinds) - 1))]
    slices = {}
    for category in categories:
        if category.id in metric.categories and draw(st.booleans()):
            slices[category.id] = refs.one([o.id for o in category.options])
    return Observation(
        metric=metric.id,
        subject=SubjectRef(kind, refs.one(subjects[kind])),
        period=draw(_DATASET_PERIODS),
        unit=quantity.unit,
        value=quantity.value,
        qualifier=quantity.qualifier,
        disaggregation=Disaggregation(slices),
        source=refs.maybe(sources),
        note=draw(_optional(_texts)),
    )


@st.composite
def _datasets(draw: st.DrawFn, max_observations: int) -> Dataset:
    refs = _Refs(draw)
    gazetteer = draw(_DATASET_GAZETTEERS)
    codes = [u.code for u in gazetteer]
    provinces = [u.code for u in gazetteer if u.level is AdminLevel.PROVINCE]
    source_list = draw(_DATASET_SOURCES)
    source_ids = [s.id for s in source_list]
    themes = draw(_DATASET_THEMES)
    categories = draw(_DATASET_CATEGORIES)
    category_ids = [c.id for c in categories]

    metrics = [
        m.model_copy(update={"categories": refs.some(category_ids, max_size=2)})
        for m in draw(_DATASET_METRICS)
    ]
    plain_ids = [m.id for m in metrics]
    metrics += [
        m.model_copy(
            update={
                "categories": refs.some(category_ids, max_size=2),
                "numerator": refs.one(plain_ids),
                "denominator": refs.one(plain_ids),
            }
        )
        for m in draw(_DATASET_RATIOS)
        if m.id not in plain_ids
    ]

    def cited(statements: tuple[Statement, ...]) -> tuple[Statement, ...]:
        return tuple(s.model_copy(update={"source": refs.maybe(source_ids)}) for s in statements)

    initiative_list = [
        i.model_copy(
            update={
                "theme": refs.one([t.id for t in themes]),
                "scope": refs.maybe(codes),
                "sources": refs.some(source_ids, max_size=2),
                "outcomes": cited(i.outcomes),
            }
        )
        for i in draw(_DATASET_INITIATIVES)
    ]
    initiative_ids = [i.id for i in initiative_list]
    site_list = []
    if initiative_ids:
        for site in draw(_DATASET_SITES):
            agreement = site.coordination_agreement
            if agreement is not None:
                agreement = agreement.model_copy(update={"source": refs.maybe(source_ids)})
            site_list.append(
                site.model_copy(
                    update={
                        "initiative": refs.one(initiative_ids),
                        "admin_units": refs.some(codes, min_size=1, max_size=3),
                        "coordination_agreement": agreement,
                    }
                )
            )
    organizations = [
        o.model_copy(
            update={"admin_unit": refs.one(codes), "initiative": refs.maybe(initiative_ids)}
        )
        for o in draw(_DATASET_ORGANIZATIONS)
    ]
    organization_ids = [o.id for o in organizations]
    people = [
        p.model_copy(
            update={
                "admin_unit": refs.maybe(codes),
                "initiative": refs.maybe(initiative_ids),
                "organization": refs.maybe(organization_ids),
            }
        )
        for p in draw(_DATASET_PARTICIPANTS)
    ]
    subjects = {
        SubjectKind.UNIT: codes,
        SubjectKind.SITE: [s.id for s in site_list],
        SubjectKind.INITIATIVE: initiative_ids,
        SubjectKind.ORGANIZATION: organization_ids,
        SubjectKind.PARTICIPANT: [p.id for p in people],
    }
    rows = draw(
        st.lists(
            _datasets_observations(
                metrics=metrics, subjects=subjects, categories=categories, sources=source_ids
            ),
            max_size=max_observations,
        )
    )
    metadata = draw(_DATASET_METADATA).model_copy(update={"province": refs.maybe(provinces)})
    return Dataset(
        gazetteer=gazetteer,
        metadata=metadata,
        sources=source_list,
        themes=themes,
        categories=categories,
        metrics=metrics,
        initiatives=initiative_list,
        sites=site_list,
        organizations=organizations,
        participants=people,
        observations=rows,
    )


def datasets(*, max_observations: int = 50) -> st.SearchStrategy[Dataset]:
    """Coherent datasets: every reference resolves within the dataset.

    Each dataset has a generated gazetteer, sources, themes, disaggregation
    categories, metrics (ratios refer to other metrics of the dataset),
    initiatives, sites, organizations and participants; every id, code and
    category they mention exists in it. Observations use its metrics, its
    categories and options, its sources, and subjects that exist (sites,
    initiatives, organizations, or units of the gazetteer).

    Args:
        max_observations: The most observations in a dataset.

    Returns:
        A strategy of :class:`~antq_core.Dataset`.

    Raises:
        InvalidArgument: ``max_observations`` is negative.
    """
    _check_size("max_observations", max_observations)
    return _datasets(max_observations)


# -- datasets for aggregation laws --------------------------------------------

_AGGREGATION_METRICS: Final = (
    MetricDefinition(
        id="cases", name_vi="Vụ việc", name_en="Cases", unit=Unit.get("case"), kind=MetricKind.FLOW
    ),
    MetricDefinition(
        id="resolved",
        name_vi="Vụ việc giải quyết",
        name_en="Cases resolved",
        unit=Unit.get("case"),
        kind=MetricKind.FLOW,
    ),
    MetricDefinition(
        id="area", name_vi="Diện tích", name_en="Area", unit=Unit.get("m2"), kind=MetricKind.FLOW
    ),
    MetricDefinition(
        id="teams",
        name_vi="Số tổ",
        name_en="Teams",
        unit=Unit.get("organization"),
        kind=MetricKind.STOCK,
    ),
    MetricDefinition(
        id="resolved_rate",
        name_vi="Tỷ lệ giải quyết",
        name_en="Share resolved",
        unit=Unit.get("percent"),
        kind=MetricKind.RATIO,
        numerator="resolved",
        denominator="cases",
        factor=100,
    ),
)

_AGGREGATION_THEME: Final = InitiativeTheme(id="theme", name_vi="Loại", name_en="Theme")
_AGGREGATION_INITIATIVE: Final = Initiative(id="initiative", name_vi="Mô hình", theme="theme")
_AREA_IN_HA: Final = st.builds(lambda tenths: Decimal(tenths) / 10, st.integers(0, 1000))


@st.composite
def _aggregation_datasets(
    draw: st.DrawFn, max_observations: int, first_year: int, years: int, sites: bool
) -> Dataset:
    gazetteer = draw(gazetteers(max_provinces=2, max_children=3))
    codes = [u.code for u in gazetteer]
    site_list = []
    if sites:
        for n in range(draw(st.integers(0, 3))):
            covered = draw(st.lists(st.sampled_from(codes), min_size=1, max_size=3, unique=True))
            site_list.append(Site(id=f"s{n}", initiative="initiative", admin_units=tuple(covered)))
    subjects = [SubjectRef(SubjectKind.UNIT, c) for c in codes]
    subjects += [SubjectRef(SubjectKind.SITE, s.id) for s in site_list]
    months = [Period.month(first_year + k // 12, k % 12 + 1) for k in range(12 * years)]
    metric_ids = [m.id for m in _AGGREGATION_METRICS if m.kind is not MetricKind.RATIO]
    keys = draw(
        st.lists(
            st.tuples(
                st.sampled_from(metric_ids), st.sampled_from(subjects), st.sampled_from(months)
            ),
            max_size=max_observations,
            unique=True,
        )
    )
    rows = []
    for metric_id, subject, month in keys:
        qualifier = draw(qualifiers())
        if metric_id == "area" and draw(st.booleans()):
            value: int | Decimal = draw(_AREA_IN_HA)
            unit = Unit.get("ha")
        else:
            value = draw(st.integers(0, 1000))
            unit = Unit.get({"area": "m2", "teams": "organization"}.get(metric_id, "case"))
        rows.append(
            Observation(
                metric=metric_id,
                subject=subject,
                period=month,
                unit=unit,
                value=value,
                qualifier=qualifier,
            )
        )
    return Dataset(
        gazetteer=gazetteer,
        metadata=DatasetMetadata(title_vi="Dữ liệu tổng hợp"),
        themes=[_AGGREGATION_THEME],
        initiatives=[_AGGREGATION_INITIATIVE],
        metrics=_AGGREGATION_METRICS,
        sites=site_list,
        observations=rows,
    )


def aggregation_datasets(
    *,
    max_observations: int = 30,
    first_year: int = 2016,
    years: int = 2,
    sites: bool = True,
) -> st.SearchStrategy[Dataset]:
    """Datasets to state aggregation laws on: many figures, none double-counted.

    Each has a generated gazetteer (with districts); the metrics ``cases``,
    ``resolved`` (flows, in cases), ``area`` (a flow in m², reported in m² or
    ha), ``teams`` (a stock) and ``resolved_rate`` (100 × resolved / cases);
    one initiative with up to three sites (each
    covering one to three units anywhere in the tree, so some span
    districts), and observations about units of every level and about sites,
    each for one month. No two observations share metric, subject and
    month, so nothing overlaps. Values are qualified every way; areas come
    in m² or ha.

    Args:
        max_observations: The most observations.
        first_year: The first year of the months drawn.
        years: How many years of months to draw from.
        sites: Whether to draw sites (``False``: only units are subjects).

    Returns:
        A strategy of :class:`~antq_core.Dataset`.

    Raises:
        InvalidArgument: A size is out of range.
    """
    _check_size("max_observations", max_observations)
    _check_size("years", years, 1)
    if not 1 <= first_year <= 9998 - years:
        msg = f"first_year must leave room for {years} years before 9999, not {first_year}"
        raise InvalidArgument(msg)
    return _aggregation_datasets(max_observations, first_year, years, sites)


# -- st.from_type ------------------------------------------------------------


def _register_type_strategies() -> None:
    """Register a strategy for each of our types; each is built only when a test asks."""
    registrations: tuple[tuple[type[Any], Callable[[], st.SearchStrategy[Any]]], ...] = (
        (Period, periods),
        (Qualifier, qualifiers),
        (Unit, units),
        (Quantity, quantities),
        (SubjectRef, subject_refs),
        (Disaggregation, disaggregations),
        (AdminUnit, admin_units),
        (Gazetteer, gazetteers),
        (Source, sources),
        (Statement, statements),
        (InitiativeTheme, initiative_themes),
        (DisaggregationCategory, disaggregation_categories),
        (MetricDefinition, metric_definitions),
        (Initiative, initiatives),
        (CoordinationAgreement, coordination_agreements),
        (Site, sites),
        (MassOrganization, mass_organizations),
        (Participant, participants),
        (Observation, observations),
        (DatasetMetadata, dataset_metadata),
        (Dataset, datasets),
    )
    for type_, make in registrations:
        st.register_type_strategy(type_, _lazy(make))


def _lazy(
    make: Callable[[], st.SearchStrategy[_T]],
) -> Callable[[type[_T]], st.SearchStrategy[_T]]:
    def resolve(_: type[_T]) -> st.SearchStrategy[_T]:
        return make()

    return resolve


# Registering twice (here, and again when Hypothesis calls the hook) is harmless.
_register_type_strategies()
