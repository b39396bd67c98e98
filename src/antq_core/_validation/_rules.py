"""Validation rules declared as data, and their evaluation over a dataset's figures."""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Sequence
from decimal import Decimal
from importlib.resources import files
from itertools import compress
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, field_validator

from antq_core._dataset import Dataset
from antq_core._entities import EntityId, Name, Text
from antq_core._geo import AdminLevel
from antq_core._period import PeriodKind
from antq_core._quantity import Qualifier
from antq_core._refs import Disaggregation, SubjectKind
from antq_core._store import ObservationColumns
from antq_core._validation._expr import (
    INF,
    MAX_EXPRESSION_LENGTH,
    UNKNOWN,
    ZERO,
    Bounds,
    Expression,
    MetricRef,
    dimension,
    summands,
)
from antq_core._validation._issues import Issue, Location, Severity

__all__ = [
    "MissingValueStrategy",
    "RuleImportance",
    "RuleOperator",
    "ValidationRule",
    "builtin_rules",
    "check_rules",
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


class MissingValueStrategy(enum.StrEnum):
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


class ValidationRule(BaseModel):
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
    raw = (files("antq_core") / "data" / "rules.json").read_bytes()
    return TypeAdapter(_RulesDocument).validate_json(raw).rules


# -- evaluation --------------------------------------------------------------------------------

_Key = tuple[int, int]  # (subject code, period code)
_Slot = tuple[int, int]  # (metric code, disaggregation code)


def _row_bounds(cols: ObservationColumns, i: int, factors: Sequence[Decimal]) -> Bounds:
    raw = cols.exact.get(i)
    value = Decimal(cols.value[i] if raw is None else raw)
    factor = factors[cols.unit[i]]
    if factor != 1:
        value *= factor
    q = cols.qualifiers[cols.qualifier[i]]
    if q is Qualifier.EXACT:
        return Bounds(value, value)
    if q is Qualifier.AT_LEAST:
        return Bounds(value, INF)
    if q is Qualifier.AT_MOST:
        return Bounds(ZERO, value)
    return Bounds(value, value, approximate=True)


def _bounds(cols: ObservationColumns, rows: list[int], factors: Sequence[Decimal]) -> Bounds:
    """What the rows reporting one figure say of it: the hull of their bounds."""
    found = _row_bounds(cols, rows[0], factors)
    for i in rows[1:]:
        found = _hull(found, _row_bounds(cols, i, factors))
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
                issues.append(Issue("rule-unknown-reference", Severity.ERROR, where, details))
        return None

    def dimension_of(ref: MetricRef) -> str:
        return dataset.metrics[ref.metric].unit.dimension

    try:
        for expression in (rule.left_expression, rule.right_expression):
            dimension(expression, dimension_of)
    except ValueError as e:
        if issues is not None:
            issues.append(Issue("rule-invalid", Severity.ERROR, where, names | {"reason": str(e)}))
        return None
    return _Resolved(rule, slots)


def _index(cols: ObservationColumns, wanted: set[_Slot]) -> dict[_Slot, dict[_Key, list[int]]]:
    """For each wanted (metric, disaggregation): the rows of each subject and period."""
    index: dict[_Slot, dict[_Key, list[int]]] = {slot: {} for slot in wanted}
    metrics = {m for m, _ in wanted}
    metric, disaggregation, subject, period = (
        cols.metric,
        cols.disaggregation,
        cols.subject,
        cols.period,
    )
    for i in compress(range(len(metric)), map(metrics.__contains__, metric)):
        table = index.get((metric[i], disaggregation[i]))
        if table is None:
            continue
        key = (subject[i], period[i])
        found = table.get(key)
        if found is None:
            table[key] = [i]
        else:
            found.append(i)
    return index


class _Outcome(enum.Enum):
    HOLDS = "holds"
    FAILS = "fails"
    UNDECIDED = "undecided"


def _compare(op: RuleOperator, a: Bounds, b: Bounds) -> _Outcome:
    if op is RuleOperator.GREATER_OR_EQUAL or op is RuleOperator.GREATER:
        op = (
            RuleOperator.LESS_OR_EQUAL
            if op is RuleOperator.GREATER_OR_EQUAL
            else RuleOperator.LESS
        )
        a, b = b, a
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


def _silent(op: RuleOperator, a: tuple[int, bool], b: tuple[int, bool]) -> bool:
    """Whether :func:`_compare` and the reporting rules say nothing about two sums.

    Each side is ``(sum of the figures found, whether none is missing)``: a
    point when complete, else ``[sum, ∞)`` (each missing figure unknown, from
    0 up). With every figure found, silence is the rule holding; with one
    missing, an undecided outcome is not reported, so silence is not failing.
    """
    if op is RuleOperator.GREATER_OR_EQUAL or op is RuleOperator.GREATER:
        op = (
            RuleOperator.LESS_OR_EQUAL
            if op is RuleOperator.GREATER_OR_EQUAL
            else RuleOperator.LESS
        )
        a, b = b, a
    (a_low, a_full), (b_low, b_full) = a, b
    # The right side's high end is its sum when complete, else infinite.
    if op is RuleOperator.LESS_OR_EQUAL:
        return not b_full or a_low <= b_low
    if op is RuleOperator.LESS:
        return not b_full or a_low < b_low
    if op is RuleOperator.EQUAL:  # fails when the intervals are disjoint
        return not ((a_full and a_low < b_low) or (b_full and b_low < a_low))
    return not (a_full and b_full) or a_low != b_low  # fails when both are the same point


_SKIP_ANY: Final = MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING
_SKIP_ALL: Final = MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING


def _side_keys(
    refs: Sequence[MetricRef],
    strategy: MissingValueStrategy,
    tables: dict[MetricRef, dict[_Key, list[int]]],
) -> set[_Key] | None:
    """The keys a side allows evaluating at; ``None``: any key."""
    if not refs or strategy is MissingValueStrategy.NEVER_SKIP:
        return None
    sets = sorted((tables[r].keys() for r in refs), key=len)
    if strategy is _SKIP_ANY:
        return set(sets[0]).intersection(*sets[1:])
    return set().union(*sets)


class _RuleRun:
    """Evaluates the rules over one dataset's figures."""

    def __init__(self, dataset: Dataset, cols: ObservationColumns) -> None:
        self.dataset = dataset
        self.cols = cols
        self.issues: list[Issue] = []
        self.evaluated = 0
        self.factors = [u.factor for u in cols.units]
        # Rows whose value is a plain integer in the base unit, reported exactly.
        self.plain_unit = bytes(f == 1 for f in self.factors)
        self.exact_qualifier = bytes(q is Qualifier.EXACT for q in cols.qualifiers)

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
        index = _index(cols, wanted)
        for r in resolved:
            tables = {ref: {} if slot is None else index[slot] for ref, slot in r.slots.items()}
            self.evaluate(r, tables)

    def keys(self, r: _Resolved, tables: dict[MetricRef, dict[_Key, list[int]]]) -> set[_Key]:
        op = r.rule.operator
        if op in (RuleOperator.COMPULSORY_PAIR, RuleOperator.EXCLUSIVE_PAIR):
            return set().union(*(t.keys() for t in tables.values()))
        left = _side_keys(r.left_refs, r.rule.left_missing, tables)
        right = _side_keys(r.right_refs, r.rule.right_missing, tables)
        if left is None and right is None:
            return set().union(*(t.keys() for t in tables.values()))
        if left is None or right is None:
            return left if right is None else right  # type: ignore[return-value]
        return left & right

    def applies(self, r: _Resolved, key: _Key) -> bool:
        rule, cols = r.rule, self.cols
        if rule.period_kind is not None and cols.periods[key[1]].kind is not rule.period_kind:
            return False
        if rule.levels:
            subject = cols.subjects[key[0]]
            if subject.kind is not SubjectKind.UNIT:
                return False
            unit = self.dataset.gazetteer.get(subject.id)
            return unit is not None and unit.level in rule.levels
        return True

    def plain_sum(self, tables: list[dict[_Key, list[int]]], key: _Key) -> tuple[int, bool] | None:
        """The figures of ``tables`` at ``key`` added up, and whether none is missing.

        ``None`` when a figure found is not one exact integer in base units.
        """
        cols = self.cols
        total = 0
        full = True
        for t in tables:
            rows = t.get(key)
            if rows is None:
                full = False
                continue
            if len(rows) != 1:
                return None
            i = rows[0]
            if (
                not self.plain_unit[cols.unit[i]]
                or not self.exact_qualifier[cols.qualifier[i]]
                or i in cols.exact
            ):
                return None
            total += cols.value[i]
        return total, full

    def evaluate(self, r: _Resolved, tables: dict[MetricRef, dict[_Key, list[int]]]) -> None:
        op = r.rule.operator
        # The common case decided on integers: both sides add up references, each found
        # once as an exact integer in base units (or missing), and nothing is to be
        # reported. Anything else (a violation to word, a qualifier, a unit to convert)
        # takes the interval path below, which says nothing on such figures either.
        left_terms, right_terms = summands(r.left), summands(r.right)
        fast = op in _SUMMABLE and left_terms is not None and right_terms is not None
        left_tables = [tables[ref] for ref in left_terms or ()]
        right_tables = [tables[ref] for ref in right_terms or ()]
        for key in sorted(self.keys(r, tables)):
            if not self.applies(r, key):
                continue
            self.evaluated += 1
            if fast:
                left_sum = self.plain_sum(left_tables, key)
                if left_sum is not None:
                    right_sum = self.plain_sum(right_tables, key)
                    if right_sum is not None and _silent(op, left_sum, right_sum):
                        continue
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
                return UNKNOWN if v is None else _bounds(self.cols, v, self.factors)

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
        self, code: str, r: _Resolved, key: _Key, rows: list[int], sides: tuple[str, str]
    ) -> None:
        rule, cols = r.rule, self.cols
        subject = cols.subjects[key[0]]
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
            "period": str(cols.periods[key[1]]),
            "left_text": rule.left,
            "right_text": rule.right,
            "operator": rule.operator.value,
            "left": sides[0],
            "right": sides[1],
            "rows": tuple(str(i) for i in rows),
        }
        where = Location(subject.kind.value, subject.id, field=f"rule {rule.id}")
        self.issues.append(Issue(code, severity, where, details))


def check_rules(
    dataset: Dataset,
    cols: ObservationColumns,
    rules: Iterable[ValidationRule] | None,
) -> tuple[list[Issue], int]:
    """Evaluate ``rules`` (the built-in set if ``None``): issues and evaluations run."""
    run = _RuleRun(dataset, cols)
    run.run(builtin_rules() if rules is None else rules, builtin=rules is None)
    return run.issues, run.evaluated
