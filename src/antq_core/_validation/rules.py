"""Validation rules declared as data, and their evaluation over a dataset's figures."""

from __future__ import annotations

import enum
import functools
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from itertools import compress, repeat
from operator import add, and_, eq, ge, gt, le, lt, ne, not_, or_, rshift
from typing import Annotated, Any, Final, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, field_validator

from antq_core._dataset.dataset import Dataset
from antq_core._dataset.keys import column_keys, low_shift, rows_with
from antq_core._dataset.store import QUALIFIER_INDEX, ObservationColumns
from antq_core._entities import EntityId, Name, Text
from antq_core._util.data import data_bytes
from antq_core._util.plaintext import PlainSchema
from antq_core._validation.expr import (
    INF,
    MAX_EXPRESSION_LENGTH,
    UNKNOWN,
    UNKNOWN_CHANGE,
    ZERO,
    Bounds,
    Expression,
    MetricRef,
    dimension,
    summands,
)
from antq_core._validation.issues import Issue, Severity, issue
from antq_core._values import exact
from antq_core._values.geo import AdminLevel
from antq_core._values.period import PeriodKind
from antq_core._values.quantity import Qualifier
from antq_core._values.refs import Disaggregation, SubjectKind
from antq_core.errors import Location

__all__ = [
    "MissingValueStrategy",
    "RuleImportance",
    "RuleOperator",
    "ValidationRule",
    "builtin_rules",
    "check_rules",
    "row_bounds",
]


class RuleOperator(enum.StrEnum):
    """How a rule compares its left side with its right side (DHIS2's operators)."""

    EQUAL = "=="
    NOT_EQUAL = "!="
    GREATER = ">"
    GREATER_OR_EQUAL = ">="
    LESS = "<"
    LESS_OR_EQUAL = "<="
    COMPULSORY_PAIR = "compulsory_pair"
    """Both sides are reported, or neither; one without the other is a violation."""
    EXCLUSIVE_PAIR = "exclusive_pair"
    """At most one side is reported; both at once is a violation."""


class RuleImportance(enum.StrEnum):
    """How much a violation matters; it fixes the severity of the issue (DHIS2's importance)."""

    HIGH = "high"
    """A violation is an error; the figures cannot all be right."""
    MEDIUM = "medium"
    """A violation is a warning; real reports are often off by a little."""
    LOW = "low"
    """A violation is an info."""

    @property
    def severity(self) -> Severity:
        """The severity of a violation of a rule of this importance."""
        return _SEVERITY[self]


_SEVERITY: Final = {
    RuleImportance.HIGH: Severity.ERROR,
    RuleImportance.MEDIUM: Severity.WARNING,
    RuleImportance.LOW: Severity.INFO,
}


class MissingValueStrategy(PlainSchema, enum.StrEnum):
    """What a rule does when a figure of one side is not reported (DHIS2's strategies).

    A missing figure is never read as zero. When a side is evaluated with
    figures missing, each missing figure is *unknown*: any value from 0 up
    (:class:`Bounds` ``[0, ∞)``), so a rule fails only if it fails whatever the
    missing figures are (the parts reported already exceed the total), and is
    undecided otherwise.
    """

    SKIP_IF_ANY_VALUE_MISSING = "skip_if_any_value_missing"
    """Skip the subject and period when any figure of this side is missing (the default)."""
    SKIP_IF_ALL_VALUES_MISSING = "skip_if_all_values_missing"
    """Skip only when every figure of this side is missing; missing ones are unknown."""
    NEVER_SKIP = "never_skip"
    """Evaluate even when every figure of this side is missing, each one unknown.

    Rules are evaluated for the subjects and periods where at least one
    figure the rule names is reported: the library does not invent subjects.
    """


def _expression(text: str) -> str:
    Expression.parse(text)  # raises ExpressionError, a ValueError pydantic reports at the field
    return text


ExpressionText = Annotated[str, StringConstraints(max_length=MAX_EXPRESSION_LENGTH)]


class ValidationRule(PlainSchema, BaseModel):
    """Quy tắc kiểm tra: a rule that a dataset's figures must satisfy, declared as data.

    As in DHIS2: a left-side expression, an operator, a right-side expression,
    an importance, the period kind and administrative levels it applies to,
    and a missing-value strategy per side. Expressions are read by
    :class:`Expression` (metric ids, slices in brackets, numbers,
    ``+ − × ÷``, parentheses). Rules are evaluated for each subject and
    period on the figures as reported (converted to the base unit of their
    dimension: m² and ha compare correctly), keeping qualifiers as bounds.

    >>> rule = ValidationRule(
    ...     id="employed-parts",
    ...     name_vi="Tổng các nguồn vốn không vượt số người có việc làm",
    ...     name_en="Capital sources do not exceed the people employed",
    ...     left="released_prisoners_employed[capital_source=family]"
    ...     " + released_prisoners_employed[capital_source=own_effort]",
    ...     operator="<=",
    ...     right="released_prisoners_employed",
    ...     importance="high",
    ... )
    >>> [str(r) for r in rule.left_expression.refs]
    ['released_prisoners_employed[capital_source=family]', 'released_prisoners_employed[capital_source=own_effort]']
    """  # noqa: E501

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: EntityId = Field(description="Identifier.")
    name_vi: Name = Field(description="What the rule says, in Vietnamese.")
    name_en: Name = Field(description="What the rule says, in English.")
    left: ExpressionText = Field(description="Left-side expression.")
    operator: RuleOperator = Field(description="How the sides compare.")
    right: ExpressionText = Field(description="Right-side expression.")
    importance: RuleImportance = Field(
        default=RuleImportance.MEDIUM,
        description="high: a violation is an error; medium: a warning; low: an info.",
    )
    period_kind: PeriodKind | None = Field(
        default=None, description="Evaluate only figures of periods of this kind (any if unset)."
    )
    levels: tuple[AdminLevel, ...] = Field(
        default=(),
        description="Evaluate only for administrative units of these levels; empty: every "
        "subject (sites, initiatives, organizations and units).",
    )
    left_missing: MissingValueStrategy = Field(
        default=MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING,
        description="What to do when figures of the left side are missing.",
    )
    right_missing: MissingValueStrategy = Field(
        default=MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING,
        description="What to do when figures of the right side are missing.",
    )
    rationale: Text | None = Field(
        default=None, description="Why the rule holds, with where that is stated."
    )

    _check_left = field_validator("left", "right")(_expression)

    @functools.cached_property
    def left_expression(self) -> Expression:
        """The left side, parsed."""
        return Expression.parse(self.left)

    @functools.cached_property
    def right_expression(self) -> Expression:
        """The right side, parsed."""
        return Expression.parse(self.right)


class _RulesDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["antq-rules"]
    format_version: Literal[1]
    title: str
    rules: tuple[ValidationRule, ...]


@functools.cache
def builtin_rules() -> tuple[ValidationRule, ...]:
    """The rules that ship with the library (``antq_core/data/rules.json``).

    Parts never exceed their whole, partitions add up (a warning when they
    do not), members are at least as many as organizations... each with its
    rationale. :func:`~antq_core.validate` runs them unless given other rules;
    a built-in rule applies to a dataset whose catalog has every metric,
    category and option it names, and is left out otherwise.

    >>> rule = next(r for r in builtin_rules() if r.id == "valuable-tips-within-tips")
    >>> rule.left, rule.operator.value, rule.right, rule.importance.value
    ('valuable_tips', '<=', 'tips_received', 'high')
    """
    raw = data_bytes("rules.json")
    return TypeAdapter(_RulesDocument).validate_json(raw).rules


# -- evaluation --------------------------------------------------------------------------------

_Slot = tuple[int, int]  # (metric code, disaggregation code)


def row_bounds(
    cols: ObservationColumns, i: int, factors: Sequence[Decimal], signed: Collection[int] = ()
) -> Bounds:
    """What one observation says of its figure, in base units of its dimension.

    Exact: the point; at least ``v``: ``[v, ∞)``; at most ``v``: ``[0, v]``, or
    ``(-∞, v]`` for a metric whose code is in ``signed`` (a change figure);
    approximately ``v``: the point, marked approximate. ``factors`` are the
    units' factors, by unit code.
    """
    raw = cols.exact.get(i)
    value = Decimal(cols.value[i] if raw is None else raw)
    factor = factors[cols.unit[i]]
    if factor != 1:
        value = Decimal(exact.multiply(value, factor))
    q = cols.qualifiers[cols.qualifier[i]]
    if q is Qualifier.EXACT:
        return Bounds(value, value)
    if q is Qualifier.AT_LEAST:
        return Bounds(value, INF)
    if q is Qualifier.AT_MOST:
        # A signed metric's figure (a change) may be below 0; any other stops there.
        return Bounds(-INF if cols.metric[i] in signed else ZERO, value)
    return Bounds(value, value, approximate=True)


def _bounds(
    cols: ObservationColumns,
    rows: list[int],
    factors: Sequence[Decimal],
    signed: Collection[int] = (),
) -> Bounds:
    """What the rows reporting one figure say of it: the hull of their bounds."""
    found = row_bounds(cols, rows[0], factors, signed)
    for i in rows[1:]:
        found = _hull(found, row_bounds(cols, i, factors, signed))
    return found


def _hull(a: Bounds, b: Bounds) -> Bounds:
    """Two reports of one figure: the truth is one of them, so it lies within both."""
    return Bounds(min(a.low, b.low), max(a.high, b.high), a.approximate or b.approximate)


class _Resolved:
    """A rule whose references were found in the dataset: slots instead of names."""

    def __init__(self, rule: ValidationRule, slots: dict[MetricRef, _Slot | None]) -> None:
        self.rule = rule
        self.left = rule.left_expression
        self.right = rule.right_expression
        self.slots = slots
        self.left_refs = self.left.refs
        self.right_refs = self.right.refs


def _resolve(  # noqa: PLR0917 - a private helper with one caller
    rule: ValidationRule,
    dataset: Dataset,
    cols: ObservationColumns,
    disaggregations: dict[Disaggregation, int],
    metric_codes: dict[str, int],
    issues: list[Issue] | None,
) -> _Resolved | None:
    """Find each reference of ``rule``; report what is missing (``issues`` given) or skip."""
    problems: list[tuple[str, str]] = []
    slots: dict[MetricRef, _Slot | None] = {}
    for ref in (*rule.left_expression.refs, *rule.right_expression.refs):
        metric = dataset.metrics.get(ref.metric)
        if metric is None:
            problems.append(("metric", ref.metric))
            continue
        for category_id, option_id in ref.disaggregation:
            category = dataset.categories.get(category_id)
            if category is None or category_id not in metric.categories:
                problems.append(("category", f"{ref.metric}[{category_id}]"))
            elif option_id not in {o.id for o in category.options}:
                problems.append(("option", f"{category_id}={option_id}"))
        m = metric_codes.get(ref.metric)
        d = disaggregations.get(Disaggregation(dict(ref.disaggregation)))
        slots[ref] = None if m is None or d is None else (m, d)
    where = Location("rule", rule.id)
    names = {"rule": rule.id, "rule_name_vi": rule.name_vi, "rule_name_en": rule.name_en}
    if problems:
        if issues is not None:
            for kind, target in dict.fromkeys(problems):
                details = names | {"target_kind": kind, "target": target}
                issues.append(issue("rule-unknown-reference", where, **details))
        return None

    def dimension_of(ref: MetricRef) -> str:
        return dataset.metrics[ref.metric].unit.dimension

    try:
        for expression in (rule.left_expression, rule.right_expression):
            dimension(expression, dimension_of)
    except ValueError as e:
        if issues is not None:
            issues.append(issue("rule-invalid", where, **names, reason=str(e)))
        return None
    return _Resolved(rule, slots)


class _SlotTable:
    """The rows of one (metric, disaggregation), by (subject, period) key.

    ``rows`` maps each key to a row (its last); ``multi`` holds the keys
    reported more than once, with all their rows; ``odd`` the keys that the
    bulk comparison leaves to the exact path: several rows, or a row whose
    value is not an integer in base units. ``low`` and ``high`` give each
    key's figure as bounds: a point, or an integer with a qualifier (at
    least, at most).
    """

    __slots__ = ("high", "low", "multi", "odd", "rows")

    def __init__(
        self,
        rows: dict[int, int],
        multi: dict[int, list[int]],
        odd: set[int],
        low: dict[int, Any],
        high: dict[int, Any],
    ) -> None:
        self.rows = rows
        self.multi = multi
        self.odd = odd
        self.low = low
        self.high = high

    def get(self, key: int) -> list[int] | None:
        """The rows at ``key``, in store order; ``None`` if none."""
        found = self.multi.get(key)
        if found is not None:
            return found
        row = self.rows.get(key)
        return None if row is None else [row]


_EMPTY_TABLE: Final = _SlotTable({}, {}, set(), {}, {})


_INF: Final = float("inf")
_LOW_FACTOR: Final = tuple(0 if q is Qualifier.AT_MOST else 1 for q in Qualifier)
"""Per qualifier code: what a value is multiplied by to give its lowest bound."""
_HIGH_EXTRA: Final = tuple(_INF if q is Qualifier.AT_LEAST else 0 for q in Qualifier)
"""Per qualifier code: what is added to a value to give its highest bound."""


def _index(
    cols: ObservationColumns, wanted: set[_Slot], keys: Sequence[int]
) -> dict[_Slot, _SlotTable]:
    """For each wanted (metric, disaggregation): its rows by (subject, period) key.

    ``keys`` is each row's key. Rows are picked, their keys looked up and
    their values' kind told in C; only the sorting of the picked rows into
    slots loops in Python, over the rows of the metrics the rules name.
    """
    if not wanted:
        return {}
    n_disaggregations = len(cols.disaggregations)
    shift = low_shift(n_disaggregations)
    slot_keys = column_keys(cols, "metric", "disaggregation")
    codes = {m << shift | d: (m, d) for m, d in wanted}
    # Rows of the rules' metrics first (found in the column's bytes), then their slots.
    near = rows_with(cols.metric, {m for m, _ in wanted}, len(cols.metrics))
    picked = list(compress(near, map(codes.__contains__, map(slot_keys.__getitem__, near))))
    by_slot: dict[int, list[int]] = {code: [] for code in codes}
    for code, i in zip(map(slot_keys.__getitem__, picked), picked, strict=True):
        by_slot[code].append(i)
    # The few rows that are not plain exact integers, found in the columns' bytes: in another
    # unit than the base one, a value kept aside (a decimal), or qualified.
    odd_rows: dict[int, list[int]] = defaultdict(list)
    other_units = {code for code, unit in enumerate(cols.units) if unit.factor != 1}
    for i in (*rows_with(cols.unit, other_units, len(cols.units)), *cols.exact):
        odd_rows[slot_keys[i]].append(i)
    exact = QUALIFIER_INDEX[Qualifier.EXACT]
    bounded = set(range(len(cols.qualifiers))) - {exact}
    qualified: dict[int, list[int]] = defaultdict(list)
    for i in rows_with(cols.qualifier, bounded, len(cols.qualifiers)):
        qualified[slot_keys[i]].append(i)
    value, qualifier = cols.value.__getitem__, cols.qualifier.__getitem__
    index: dict[_Slot, _SlotTable] = {}
    for code, rows in by_slot.items():
        row_keys = list(map(keys.__getitem__, rows))
        table = dict(zip(row_keys, rows, strict=True))
        odd = {keys[i] for i in odd_rows.get(code, ())}
        multi: dict[int, list[int]] = {}
        if len(table) < len(rows):  # a key's earlier rows are not its last
            twice = set(compress(row_keys, map(ne, map(table.__getitem__, row_keys), rows)))
            pairs = zip(row_keys, rows, strict=True)
            for key, i in compress(pairs, map(twice.__contains__, row_keys)):
                multi.setdefault(key, []).append(i)
            odd.update(twice)
        low: dict[int, Any] = dict(zip(row_keys, map(value, rows), strict=True))
        high = low
        if code in qualified:  # bounds differ from the value for qualified rows only
            high = dict(low)
            for i in qualified[code]:
                key, q = keys[i], qualifier(i)
                low[key] = value(i) * _LOW_FACTOR[q]
                high[key] = value(i) + _HIGH_EXTRA[q]
        index[codes[code]] = _SlotTable(table, multi, odd, low, high)
    return index


_Side = TypeVar("_Side")
_MIRRORED: Final = {
    RuleOperator.GREATER_OR_EQUAL: RuleOperator.LESS_OR_EQUAL,
    RuleOperator.GREATER: RuleOperator.LESS,
}


def _as_less(op: RuleOperator, a: _Side, b: _Side) -> tuple[RuleOperator, _Side, _Side]:
    """``a op b`` with ``>=`` and ``>`` turned round into ``b <= a`` and ``b < a``."""
    mirrored = _MIRRORED.get(op)
    return (op, a, b) if mirrored is None else (mirrored, b, a)


class _Outcome(enum.Enum):
    HOLDS = "holds"
    FAILS = "fails"
    UNDECIDED = "undecided"


def _compare(op: RuleOperator, a: Bounds, b: Bounds) -> _Outcome:
    op, a, b = _as_less(op, a, b)
    if op is RuleOperator.LESS_OR_EQUAL:
        holds, fails = a.high <= b.low, a.low > b.high
    elif op is RuleOperator.LESS:
        holds, fails = a.high < b.low, a.low >= b.high
    else:
        disjoint = a.high < b.low or b.high < a.low
        same = a.is_point and b.is_point and a.low == b.low
        holds, fails = (same, disjoint) if op is RuleOperator.EQUAL else (disjoint, same)
    if holds:
        return _Outcome.HOLDS
    return _Outcome.FAILS if fails else _Outcome.UNDECIDED


_SUMMABLE: Final = frozenset(
    {
        RuleOperator.EQUAL,
        RuleOperator.NOT_EQUAL,
        RuleOperator.GREATER,
        RuleOperator.GREATER_OR_EQUAL,
        RuleOperator.LESS,
        RuleOperator.LESS_OR_EQUAL,
    }
)


_SKIP_ANY: Final = MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING
_SKIP_ALL: Final = MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING


def _side_keys(
    refs: Sequence[MetricRef],
    strategy: MissingValueStrategy,
    tables: dict[MetricRef, _SlotTable],
) -> set[int] | None:
    """The keys a side allows evaluating at; ``None``: any key."""
    if not refs or strategy is MissingValueStrategy.NEVER_SKIP:
        return None
    sets = sorted((tables[r].rows.keys() for r in refs), key=len)
    if strategy is _SKIP_ANY:
        return set(sets[0]).intersection(*sets[1:])
    return set().union(*sets)


def _holds(
    op: RuleOperator, a: tuple[list[Any], list[Any]], b: tuple[list[Any], list[Any]]
) -> Iterable[bool]:
    """Whether ``op`` holds for each pair of bounds, as :func:`_compare` says ``HOLDS``.

    ``a`` and ``b`` are the sides' (lowest, highest) bounds, one per key.
    """
    op, a, b = _as_less(op, a, b)
    (a_low, a_high), (b_low, b_high) = a, b
    if op is RuleOperator.LESS_OR_EQUAL:
        return map(le, a_high, b_low)
    if op is RuleOperator.LESS:
        return map(lt, a_high, b_low)
    if op is RuleOperator.EQUAL:  # both the same point
        points = map(and_, map(eq, a_low, a_high), map(eq, b_low, b_high))
        return map(and_, points, map(eq, a_low, b_low))
    return map(or_, map(lt, a_high, b_low), map(lt, b_high, a_low))  # disjoint


def _fails(
    op: RuleOperator, a: tuple[list[Any], list[Any]], b: tuple[list[Any], list[Any]]
) -> Iterable[bool]:
    """Whether ``op`` fails for each pair of bounds, as :func:`_compare` says ``FAILS``."""
    op, a, b = _as_less(op, a, b)
    (a_low, a_high), (b_low, b_high) = a, b
    if op is RuleOperator.LESS_OR_EQUAL:
        return map(gt, a_low, b_high)
    if op is RuleOperator.LESS:
        return map(ge, a_low, b_high)
    if op is RuleOperator.EQUAL:  # disjoint
        return map(or_, map(lt, a_high, b_low), map(lt, b_high, a_low))
    return _holds(RuleOperator.EQUAL, a, b)  # != fails on the same point


class _RuleRun:
    """Evaluates the rules over one dataset's figures.

    Figures are found by one integer key per (subject, period) (see
    :mod:`antq_core._dataset.keys`). Each rule is first decided in bulk, in C, for
    the keys where every figure it names is one integer in base units, exact
    or a bound, or missing (unknown, from 0 up): the sides' lowest and
    highest bounds added up from looked-up values, and compared as
    :func:`_compare` does. The keys that this
    leaves open (a figure missing, reported twice, qualified or in another
    unit) and those where the rule fails are then evaluated one by one on
    intervals, which words every issue; that path alone gives the same
    results, and the tests hold the two to it.
    """

    def __init__(self, dataset: Dataset, cols: ObservationColumns, *, bulk: bool = True) -> None:
        self.dataset = dataset
        self.cols = cols
        self.bulk = bulk
        self.issues: list[Issue] = []
        self.evaluated = 0
        self.factors = [u.factor for u in cols.units]
        metrics = dataset.metrics
        self.signed = frozenset(
            code for code, m in enumerate(cols.metrics) if m in metrics and metrics[m].signed
        )
        self.shift = low_shift(len(cols.periods))
        self.mask = (1 << self.shift) - 1
        self.keys = column_keys(cols, "subject", "period")

    def run(self, rules: Iterable[ValidationRule], *, builtin: bool) -> None:
        cols = self.cols
        disaggregations = {d: i for i, d in enumerate(cols.disaggregations)}
        metric_codes = {m: i for i, m in enumerate(cols.metrics)}
        resolved = []
        for rule in rules:
            r = _resolve(
                rule,
                self.dataset,
                cols,
                disaggregations,
                metric_codes,
                None if builtin else self.issues,
            )
            if r is not None:
                resolved.append(r)
        wanted = {s for r in resolved for s in r.slots.values() if s is not None}
        index = _index(cols, wanted, self.keys)
        for r in resolved:
            tables = {
                ref: _EMPTY_TABLE if slot is None else index[slot] for ref, slot in r.slots.items()
            }
            self.evaluate(r, tables)

    def keys_of(self, r: _Resolved, tables: dict[MetricRef, _SlotTable]) -> set[int]:
        """The keys ``r`` is evaluated at: its missing-value strategies, then its scope."""
        op = r.rule.operator
        everywhere = op in (RuleOperator.COMPULSORY_PAIR, RuleOperator.EXCLUSIVE_PAIR)
        left = None if everywhere else _side_keys(r.left_refs, r.rule.left_missing, tables)
        right = None if everywhere else _side_keys(r.right_refs, r.rule.right_missing, tables)
        if left is None and right is None:
            keys: set[int] = set().union(*(t.rows.keys() for t in tables.values()))
        elif left is None or right is None:
            keys = left if right is None else right  # type: ignore[assignment]
        else:
            keys = left & right
        return self.in_scope(r.rule, keys)

    def in_scope(self, rule: ValidationRule, keys: set[int]) -> set[int]:
        """The ``keys`` whose period is of the rule's kind and whose subject is at its levels."""
        cols = self.cols
        if rule.period_kind is not None:
            kind = rule.period_kind
            periods = {c for c, p in enumerate(cols.periods) if p.kind is kind}
            keys = set(
                compress(keys, map(periods.__contains__, map(and_, keys, repeat(self.mask))))
            )
        if rule.levels:
            gazetteer, levels = self.dataset.gazetteer, rule.levels
            subjects = set()
            for c, subject in enumerate(cols.subjects):
                unit = gazetteer.get(subject.id) if subject.kind is SubjectKind.UNIT else None
                if unit is not None and unit.level in levels:
                    subjects.add(c)
            at = map(subjects.__contains__, map(rshift, keys, repeat(self.shift)))
            keys = set(compress(keys, at))
        return keys

    def open_keys(
        self, r: _Resolved, tables: dict[MetricRef, _SlotTable], keys: set[int]
    ) -> Iterable[int]:
        """The ``keys`` that the bulk comparison cannot show to pass silently."""
        op = r.rule.operator
        if not self.bulk:
            return keys
        if op in (RuleOperator.COMPULSORY_PAIR, RuleOperator.EXCLUSIVE_PAIR):
            left = set().union(*(tables[ref].rows.keys() for ref in r.left_refs))
            right = set().union(*(tables[ref].rows.keys() for ref in r.right_refs))
            fails = left ^ right if op is RuleOperator.COMPULSORY_PAIR else left & right
            return keys & fails
        left_terms, right_terms = summands(r.left), summands(r.right)
        if op not in _SUMMABLE or not left_terms or not right_terms:
            return keys
        if any(slot is not None and slot[0] in self.signed for slot in r.slots.values()):
            return keys  # a change figure may be below 0: judged on intervals, one by one
        used = [tables[ref] for ref in r.slots]
        odd = keys & set().union(*(t.odd for t in used))
        decided = list(keys - odd)
        left_bounds = self.bounds(decided, [tables[ref] for ref in left_terms])
        right_bounds = self.bounds(decided, [tables[ref] for ref in right_terms])
        # Silent: the rule holds, or it does not fail while a figure is missing (undecided
        # outcomes are reported only when every figure is there).
        missing: Iterable[bool] = repeat(False)
        for t in used:
            missing = map(or_, missing, map(not_, map(t.rows.__contains__, decided)))
        quiet = map(and_, missing, map(not_, _fails(op, left_bounds, right_bounds)))
        silent = map(or_, _holds(op, left_bounds, right_bounds), quiet)
        return odd.union(compress(decided, map(not_, silent)))

    def bounds(self, keys: list[int], tables: list[_SlotTable]) -> tuple[list[Any], list[Any]]:
        """For each key, the lowest and highest bounds of ``tables``' figures added up.

        A figure missing at a key is unknown: from 0 up (:data:`UNKNOWN`).
        """
        lows: list[Any] = []
        highs: list[Any] = []
        for n, t in enumerate(tables):
            low = map(t.low.get, keys, repeat(0))
            high = map(t.high.get, keys, repeat(_INF))
            lows = list(low) if not n else list(map(add, lows, low))
            highs = list(high) if not n else list(map(add, highs, high))
        return lows, highs

    def evaluate(self, r: _Resolved, tables: dict[MetricRef, _SlotTable]) -> None:
        op = r.rule.operator
        keys = self.keys_of(r, tables)
        self.evaluated += len(keys)
        # The keys the bulk comparison settles say nothing; the rest, evaluated on intervals
        # one by one, are reported or found silent here.
        for key in sorted(self.open_keys(r, tables, keys)):
            found = {ref: t.get(key) for ref, t in tables.items()}
            rows = sorted({i for v in found.values() if v is not None for i in v})
            if op in (RuleOperator.COMPULSORY_PAIR, RuleOperator.EXCLUSIVE_PAIR):
                left = any(found[ref] is not None for ref in r.left_refs)
                right = any(found[ref] is not None for ref in r.right_refs)
                fails = left != right if op is RuleOperator.COMPULSORY_PAIR else left and right
                if fails:
                    self.report(
                        "rule-violated",
                        r,
                        key,
                        rows,
                        ("reported" if left else "missing", "reported" if right else "missing"),
                    )
                continue
            missing = any(v is None for v in found.values())

            def value_of(
                ref: MetricRef, found: dict[MetricRef, list[int] | None] = found
            ) -> Bounds:
                v = found[ref]
                if v is not None:
                    return _bounds(self.cols, v, self.factors, self.signed)
                slot = r.slots.get(ref)
                return UNKNOWN_CHANGE if slot is not None and slot[0] in self.signed else UNKNOWN

            a = r.left.evaluate(value_of)
            b = r.right.evaluate(value_of)
            outcome = _compare(op, a, b)
            if outcome is _Outcome.FAILS:
                code = (
                    "rule-possibly-violated" if a.approximate or b.approximate else "rule-violated"
                )
                self.report(code, r, key, rows, (str(a), str(b)))
            elif outcome is _Outcome.UNDECIDED and not missing:
                self.report("rule-inconclusive", r, key, rows, (str(a), str(b)))

    def report(
        self, code: str, r: _Resolved, key: int, rows: list[int], sides: tuple[str, str]
    ) -> None:
        rule, cols = r.rule, self.cols
        subject = cols.subjects[key >> self.shift]
        severity = rule.importance.severity
        if code == "rule-possibly-violated" and severity is Severity.ERROR:
            severity = Severity.WARNING
        elif code == "rule-inconclusive":
            severity = Severity.INFO
        details: dict[str, Any] = {
            "rule": rule.id,
            "rule_name_vi": rule.name_vi,
            "rule_name_en": rule.name_en,
            "subject": str(subject),
            "period": str(cols.periods[key & self.mask]),
            "left_text": rule.left,
            "right_text": rule.right,
            "operator": rule.operator.value,
            "left": sides[0],
            "right": sides[1],
            **_comparison(rule.operator, sides),
            "rows": tuple(str(i) for i in rows),
        }
        where = Location(subject.kind.value, subject.id, field=f"rule {rule.id}")
        self.issues.append(Issue(code, severity, where, details))


# What holds instead of a failed comparison: "300 > 40" for a failed "<=".
_BROKEN: Final = {
    RuleOperator.EQUAL: "≠",
    RuleOperator.NOT_EQUAL: "=",
    RuleOperator.GREATER: "≤",
    RuleOperator.GREATER_OR_EQUAL: "<",
    RuleOperator.LESS: "≥",
    RuleOperator.LESS_OR_EQUAL: ">",
}
_SIDES: Final = {
    "vi": ("vế trái", "vế phải", {"reported": "có số liệu", "missing": "không có số liệu"}),
    "en": ("left side", "right side", {"reported": "reported", "missing": "missing"}),
}


def _comparison(operator: RuleOperator, sides: tuple[str, str]) -> dict[str, str]:
    """How a failed rule's sides compare, in words of each language (``comparison_vi``...).

    The relation written is the one that holds (or may hold, for estimates)
    instead of the rule's: "left side 300 > right side 40" for a failed
    ``a <= b``, never "a = 300 <= b = 40", which reads as if it held. Pair
    rules say which side is reported.
    """
    out: dict[str, str] = {}
    for lang, (left, right, words) in _SIDES.items():
        if operator in _BROKEN:
            text = f"{left} {sides[0]} {_BROKEN[operator]} {right} {sides[1]}"
        else:
            text = (
                f"{left} {words.get(sides[0], sides[0])}, {right} {words.get(sides[1], sides[1])}"
            )
        out[f"comparison_{lang}"] = text
    return out


def check_rules(
    dataset: Dataset,
    cols: ObservationColumns,
    rules: Iterable[ValidationRule] | None,
    *,
    bulk: bool = True,
) -> tuple[list[Issue], int]:
    """Evaluate ``rules`` (the built-in set if ``None``): issues and evaluations run.

    ``bulk=False`` evaluates every key one by one on intervals, with no bulk
    decision first: the reference the bulk comparison is tested against.
    """
    run = _RuleRun(dataset, cols, bulk=bulk)
    run.run(builtin_rules() if rules is None else rules, builtin=rules is None)
    return run.issues, run.evaluated
