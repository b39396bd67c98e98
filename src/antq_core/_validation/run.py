"""``validate``: every check and rule over a dataset, as one report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import attrs

from antq_core._aggregate.counts import EXACT, Tolerance
from antq_core._dataset.dataset import Dataset
from antq_core._dataset.overlap import duplicate_and_overlapping_rows
from antq_core._dataset.summary import ImportStrategy
from antq_core._entities import Submission
from antq_core._util.extras import prefer_polars
from antq_core._validation.checks import (
    ENTITY_CHECKS,
    Context,
    Options,
    RepeatFinder,
    run_checks,
)
from antq_core._validation.checks.ratios import RATIO_TOLERANCE
from antq_core._validation.issues import ValidationReport
from antq_core._validation.rules import ValidationRule
from antq_core._validation.submission import SubmissionCheck, compare
from antq_core._values.geo import AdminLevel
from antq_core._values.groups import UnitGroupSet
from antq_core.errors import InvalidValueError, enum_member

__all__ = ["DEFAULT_LEVELS", "ENGINES", "check_submission", "validate", "validate_json"]

DEFAULT_LEVELS: Final = (AdminLevel.PROVINCE, AdminLevel.DISTRICT, AdminLevel.COMMUNE)
"""The levels figures are rolled up to, unless told otherwise."""


def validate(
    dataset: Dataset,
    *,
    rules: Iterable[ValidationRule] | None = None,
    levels: Sequence[AdminLevel | str] = DEFAULT_LEVELS,
    tolerance: Tolerance = EXACT,
    engine: str = "auto",
    ratio_tolerance: Tolerance = RATIO_TOLERANCE,
    distinct_names: Iterable[tuple[str, str]] = (),
    group_sets: Mapping[str, UnitGroupSet] | Iterable[UnitGroupSet] = (),
    submission: Submission | None = None,
) -> ValidationReport:
    """Check ``dataset`` and return every issue found; nothing is raised or printed half-way.

    Runs, in order: the gazetteer (duplicate codes, missing parents, cycles,
    levels) and the exclusive unit group sets given, references between
    entities, entity dates, observations (metric, subject, source, unit,
    qualifier, disaggregation, value, period against the report date, subject
    start and unit validity), repeated figures (judged as intervals after unit
    conversion: they conflict only when they cannot all hold), double counting
    (overlapping periods of flows, sites across parents or with no common
    unit, parts above their total, a unit's or an initiative's figure beside
    the figures of its own parts in space), names that are probably the same,
    statutory security and order teams (a leader, members' ages), reported
    rates against their recomputed numerator and denominator,
    reported totals against the registered entities
    (:func:`~antq_core.reconcile`), then the rules. Issue codes are listed in
    ``docs/validation.md``.

    >>> from antq_core import validate, sample
    >>> report = validate(sample())
    >>> report.ok
    True
    >>> for issue in report:
    ...     print(issue.severity.value, issue.code)
    info period-ongoing
    warning reconcile-mismatch
    info reconcile-registry-partial
    info reconcile-nothing-registered
    info reconcile-nothing-registered

    Args:
        dataset: The dataset to check.
        rules: The validation rules to evaluate; the built-in rules
            (:func:`builtin_rules`) if ``None``, none if empty.
        levels: The administrative levels figures are rolled up to: a site
            whose units lie under different units of one of these levels is
            reported (``site-spans-parents``).
        tolerance: How far a reported total of initiatives, sites,
            organizations or members may be from the registered count
            (default: exact); see :class:`~antq_core.Tolerance`.
        engine: What finds repeated and overlapping observations: ``"python"``
            (always there), ``"polars"`` (the ``[dataframe]`` extra: several
            times faster on large datasets), or ``"auto"``: polars from
            200,000 observations when it is installed. The report is the same
            whichever runs.
        ratio_tolerance: How far a reported rate may be from the rate its
            numerator and denominator give, in the rate's unit (``absolute``)
            or as a fraction of the reported rate (``relative``), besides
            half a unit of its last digit, which is always allowed (default:
            1% of the reported rate, ``Tolerance(relative=Decimal("0.01"))``).
        distinct_names: Pairs of ids (administrative unit codes, or ids of
            initiatives, sites or organizations) whose alike names the caller has
            checked: they are never reported as ``probable-duplicate-name``.
        group_sets: Unit group sets (:func:`~antq_core.bundled_group_sets`, or
            one's own from :func:`~antq_core.read_group_sets`): a unit of the
            dataset's gazetteer in two groups of an exclusive set is an error
            (``unit-in-two-groups``). None is checked unless given.
        submission: Check only what this submission would introduce against the
            stored figures, each issue located at the submission's item
            (:func:`~antq_core.check_submission`, which also says what it settles).

    Raises:
        InvalidValueError: A level is not an :class:`AdminLevel`, no engine
            has that name, a pair of ``distinct_names`` is not two ids, or a
            group set is not a :class:`~antq_core.UnitGroupSet`.
        MissingExtraError: ``engine="polars"`` without polars installed.
    """
    if submission is not None:
        check = check_submission(
            dataset,
            submission,
            rules=rules,
            levels=levels,
            tolerance=tolerance,
            engine=engine,
            ratio_tolerance=ratio_tolerance,
            distinct_names=distinct_names,
            group_sets=group_sets,
        )
        return check.introduced
    options = _options(dataset, rules, levels, tolerance, engine, ratio_tolerance)
    options = _choices(options, distinct_names, group_sets)
    return _report(Context(dataset, options))


def check_submission(
    dataset: Dataset,
    submission: Submission,
    *,
    strategy: ImportStrategy = "create_and_update",
    now: dt.datetime | None = None,
    rules: Iterable[ValidationRule] | None = None,
    levels: Sequence[AdminLevel | str] = DEFAULT_LEVELS,
    tolerance: Tolerance = EXACT,
    engine: str = "auto",
    ratio_tolerance: Tolerance = RATIO_TOLERANCE,
    distinct_names: Iterable[tuple[str, str]] = (),
    group_sets: Mapping[str, UnitGroupSet] | Iterable[UnitGroupSet] = (),
) -> SubmissionCheck:
    """What applying ``submission`` would change in the validation of ``dataset``.

    The checks of :func:`validate` run on the stored figures of the
    submission's subject (every metric and period: duplicates and
    conflicts, parts against totals, rules between metrics, overlapping
    periods), before and after the submission is applied to them; the issues
    that involve a figure it names and appear only after are *introduced*,
    located at the submission's items, and those only before are *settled*.
    It costs a search of the subject's figures (in C) and checks of those,
    not a validation of the whole dataset. The period's expiry does not
    matter here (the dry run is forced); :attr:`SubmissionCheck.summary`
    says what :meth:`Dataset.apply <antq_core.Dataset.apply>` would do.

    >>> from antq_core import Submission, check_submission, sample
    >>> again = Submission(
    ...     subject="site:site-cum-giap-ranh",
    ...     period="2016-01-01/2017-07-13",
    ...     items=[{"metric": "outreach_meetings", "value": 99}],
    ... )
    >>> check = check_submission(sample(), again)
    >>> [(i.code, str(i.where)) for i in check.introduced]
    []
    >>> check.summary.updated
    1

    Args:
        dataset: What is stored.
        submission: The submission to check.
        strategy: As for :meth:`Dataset.apply <antq_core.Dataset.apply>`.
        now: As for :meth:`Dataset.apply <antq_core.Dataset.apply>`.
        rules: As for :func:`validate`.
        levels: As for :func:`validate`.
        tolerance: As for :func:`validate`.
        engine: As for :func:`validate`.
        ratio_tolerance: As for :func:`validate`.
        distinct_names: As for :func:`validate`.
        group_sets: As for :func:`validate`.
    """

    def run(part: Dataset) -> ValidationReport:
        # Checks of entities alone find the same before and after: left out.
        options = _options(part, rules, levels, tolerance, engine, ratio_tolerance)
        context = Context(part, _choices(options, distinct_names, group_sets))
        return _report(context, skip=ENTITY_CHECKS)

    return compare(dataset, submission, strategy=strategy, now=now, run=run)


def validate_json(
    data: bytes | str,
    *,
    source: str = "<memory>",
    rules: Iterable[ValidationRule] | None = None,
    levels: Sequence[AdminLevel | str] = DEFAULT_LEVELS,
    tolerance: Tolerance = EXACT,
    engine: str = "auto",
    ratio_tolerance: Tolerance = RATIO_TOLERANCE,
    distinct_names: Iterable[tuple[str, str]] = (),
    group_sets: Mapping[str, UnitGroupSet] | Iterable[UnitGroupSet] = (),
) -> ValidationReport:
    """Load a dataset from JSON and :func:`validate` it, with checks of the raw text too.

    Loading normalises every name to Unicode NFC, so once loaded a dataset
    cannot say which texts arrived decomposed (NFD, as some input methods
    type Vietnamese). This function reads the document's text as well and
    reports each such string as an info (``text-not-nfc``) with its JSON path.

    >>> import unicodedata
    >>> from importlib.resources import files
    >>> raw = (files("antq_core") / "data" / "lai_chau_2017.json").read_bytes()
    >>> typed_on_a_mac = unicodedata.normalize("NFD", "Mường So").encode()
    >>> report = validate_json(raw.replace("Mường So".encode(), typed_on_a_mac))
    >>> report.ok
    True
    >>> for issue in report.infos[:4]:
    ...     print(issue.code, issue.where.path)
    text-not-nfc $.gazetteer.sources[1].note
    text-not-nfc $.gazetteer.units[77].name
    text-not-nfc $.initiatives[0].lead_bodies[0]
    period-ongoing $.observations[10].period

    Args:
        data: The document (``antq-dataset`` version 1) as bytes or text.
        source: The file name to report issues and load problems under.
        rules: As for :func:`validate`.
        levels: As for :func:`validate`.
        tolerance: As for :func:`validate`.
        engine: As for :func:`validate`.
        ratio_tolerance: As for :func:`validate`.
        distinct_names: As for :func:`validate`.
        group_sets: As for :func:`validate`.

    Raises:
        DatasetLoadError: The document cannot be loaded; each problem has its JSON path.
        InvalidValueError: As for :func:`validate`.
        MissingExtraError: As for :func:`validate`.
    """
    dataset = Dataset.from_json(data, source=source)
    options = _options(dataset, rules, levels, tolerance, engine, ratio_tolerance)
    options = _choices(options, distinct_names, group_sets)
    return _report(Context(dataset, options, document=data, source=source))


def _options(  # noqa: PLR0917 - validate()'s options, checked in one place
    dataset: Dataset,
    rules: Iterable[ValidationRule] | None,
    levels: Sequence[AdminLevel | str],
    tolerance: Tolerance,
    engine: str,
    ratio_tolerance: Tolerance,
) -> Options:
    """The options :func:`validate` was given, checked, with the engine for ``dataset``."""
    wanted = tuple(enum_member(AdminLevel, level, "administrative level") for level in levels)
    finder = _repeat_finder(engine, len(dataset.observations))
    return Options(wanted, tolerance, ratio_tolerance, rules, finder)


_PAIR: Final = 2


def _choices(
    options: Options,
    distinct_names: Iterable[tuple[str, str]],
    group_sets: Mapping[str, UnitGroupSet] | Iterable[UnitGroupSet],
) -> Options:
    """``options`` with the pairs of names checked and the group sets, checked."""
    pairs = []
    for pair in distinct_names:
        items: object = pair
        ids = tuple(items) if isinstance(items, tuple | list) else ()
        if len(ids) != _PAIR or not all(isinstance(i, str) for i in ids):
            reason = "give pairs of ids, e.g. ('03388', '03391')"
            raise InvalidValueError("distinct_names", pair, reason)
        pairs.append(frozenset(ids))
    sets = tuple(group_sets.values() if isinstance(group_sets, Mapping) else group_sets)
    for gs in sets:
        if not isinstance(gs, UnitGroupSet):
            raise InvalidValueError("group_sets", gs, "give UnitGroupSet objects")
    return attrs.evolve(options, distinct_names=frozenset(pairs), group_sets=sets)


def _report(context: Context, *, skip: frozenset[str] = frozenset()) -> ValidationReport:
    """Every check's issues in ``context`` (:data:`~antq_core._validation.checks.CHECKS`)."""
    issues = run_checks(context, skip=skip)
    return ValidationReport(issues, rules_evaluated=context.rules_evaluated)


ENGINES: Final = ("auto", "python", "polars")
"""The names :func:`validate` takes for ``engine``."""


def _repeat_finder(engine: str, rows: int) -> RepeatFinder:
    """The duplicate and overlap finder ``engine`` names, for a dataset of ``rows``."""
    if engine not in ENGINES:
        choices = ", ".join(repr(name) for name in ENGINES)
        raise InvalidValueError("engine", engine, f"choose one of {choices}")
    if engine == "python" or (engine == "auto" and not prefer_polars(rows)):
        return duplicate_and_overlapping_rows
    from antq_core._dataset.overlap_polars import duplicate_and_overlapping_rows_polars

    return duplicate_and_overlapping_rows_polars
