"""The library's exceptions: one base, structured details, messages built from them."""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TypeVar

import attrs

__all__ = [
    "AmbiguousNameError",
    "AntqError",
    "DatasetLoadError",
    "Dhis2MappingError",
    "DuplicateIdError",
    "ExportError",
    "ExpressionError",
    "GazetteerCycleError",
    "IncompatibleUnitsError",
    "InvalidValueError",
    "LoadProblem",
    "MissingExtraError",
    "OverlappingPeriodsError",
    "PeriodError",
    "QuantityError",
    "QuantityParseError",
    "SplitUnitError",
    "TabularLoadError",
    "TabularNotice",
    "TabularProblem",
    "UnknownAdminUnitError",
    "UnknownUnitError",
    "UnmappedUnitError",
    "UnresolvedReferenceError",
    "ValuesDoNotFitError",
]


def safe_repr(value: object, limit: int = 80) -> str:
    """How a message shows ``value``: at most ``limit`` characters, numbers never as reprs.

    Numbers are shown as they would be written (``4.810``, not
    ``Decimal('4.810')``), even ints too long to print; anything else as its
    ``repr``, so that a string shows its quotes and its invisible characters.
    """
    if isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        try:
            text = str(value)
        except ValueError:  # an int beyond sys.get_int_max_str_digits()
            return f"<a number of more than {sys.get_int_max_str_digits()} digits>"
    else:
        try:
            text = repr(value)
        except ValueError:
            return f"<{type(value).__name__} too large to print>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class AntqError(Exception):
    """Base of every error that :mod:`antq_core` raises on purpose.

    Each subclass keeps what went wrong and where as attributes and builds its
    message from them, so a caller can react to the fields instead of parsing
    text. Catch ``AntqError`` to handle every failure of the library at once.
    """


class PeriodError(AntqError, ValueError):
    """A period string could not be parsed, or a period cannot exist.

    Attributes:
        text: The string or description of the period that was rejected.
        reason: Why it was rejected.
    """

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"invalid period {text!r}: {reason}")


class InvalidValueError(AntqError, ValueError):
    """A value is not of the form the library takes (a subject, a disaggregation...).

    Attributes:
        what: Which kind of value (``"subject"``, ``"disaggregation"``...).
        value: ``repr`` of the rejected value, shortened.
        reason: Why it was rejected.
    """

    def __init__(self, what: str, value: object, reason: str) -> None:
        self.what = what
        self.value = safe_repr(value)
        self.reason = reason
        super().__init__(f"invalid {what} {self.value}: {reason}")


_E = TypeVar("_E", bound=enum.Enum)


def enum_member(cls: type[_E], value: object, what: str) -> _E:
    """``cls(value)``, raising :class:`InvalidValueError` naming the choices."""
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(str(m.value) for m in cls)
        raise InvalidValueError(what, value, f"choose one of {choices}") from None


class UnknownUnitError(AntqError, ValueError):
    """A unit code or unit word is not in the unit registry.

    Attributes:
        unit: The code or word that was looked up.
    """

    def __init__(self, unit: str) -> None:
        self.unit = unit
        super().__init__(f"unknown unit {unit!r}")


class IncompatibleUnitsError(AntqError, TypeError):
    """Two quantities whose units measure different things were combined.

    Persons and household attendances, for example, never add up.

    Attributes:
        left: Code of the left operand's unit.
        right: Code of the right operand's unit.
        operation: What was attempted (``"add"``, ``"convert"``...).
    """

    def __init__(self, left: str, right: str, operation: str) -> None:
        self.left = left
        self.right = right
        self.operation = operation
        super().__init__(
            f"cannot {operation} {left!r} and {right!r}: they measure different things"
        )


class QuantityError(AntqError, ValueError):
    """A quantity's value is not allowed for its unit (a float, a negative count...).

    Attributes:
        value: ``repr`` of the rejected value.
        unit: Code of the unit.
        reason: Why it was rejected.
    """

    def __init__(self, value: object, unit: str, reason: str) -> None:
        self.value = safe_repr(value)
        self.unit = unit
        self.reason = reason
        what = f"{self.value} {unit}" if unit else self.value
        super().__init__(f"invalid quantity {what}: {reason}")


class QuantityParseError(AntqError, ValueError):
    """A quantity phrase such as ``"trên 58 nghìn m2"`` could not be read.

    Attributes:
        text: The phrase.
        lang: The locale it was read in (``"vi"`` or ``"en"``).
        position: Where reading failed: an index into the phrase with marks removed
            and spaces collapsed, which is ``text``'s own index for a tidy phrase.
        reason: Why it failed.
    """

    def __init__(self, text: str, lang: str, position: int, reason: str) -> None:
        self.text = text
        self.lang = lang
        self.position = position
        self.reason = reason
        super().__init__(
            f"cannot read quantity {text!r} ({lang}) at position {position}: {reason}"
        )


class UnknownAdminUnitError(AntqError, LookupError):
    """No administrative unit answers a code or name in a gazetteer.

    Attributes:
        key: The code or name looked up.
        gazetteer: The gazetteer's version id.
        parent: Code of the parent the name was looked up under, if any.
    """

    def __init__(self, key: str, gazetteer: str, parent: str | None = None) -> None:
        self.key = key
        self.gazetteer = gazetteer
        self.parent = parent
        under = f" under {parent!r}" if parent is not None else ""
        super().__init__(f"no administrative unit {key!r}{under} in gazetteer {gazetteer!r}")

    def __str__(self) -> str:
        # LookupError's str() would quote the whole message again.
        return str(self.args[0])


class AmbiguousNameError(AntqError, LookupError):
    """A name matches several administrative units; give a parent or a level.

    Attributes:
        name: The name looked up.
        candidates: Codes of every unit it matches.
        described: For each candidate, the unit with its code and parents
            (``"xã Tân Phong (03387), huyện Tam Đường, tỉnh Lai Châu"``), when
            the lookup could say; empty otherwise.
    """

    def __init__(
        self, name: str, candidates: Sequence[str], described: Sequence[str] = ()
    ) -> None:
        self.name = name
        self.candidates = tuple(candidates)
        self.described = tuple(described)
        listed = "; ".join(self.described) if self.described else ", ".join(self.candidates)
        super().__init__(
            f"name {name!r} matches several units ({listed}); give a parent or a level"
        )

    def __str__(self) -> str:
        return str(self.args[0])


class GazetteerCycleError(AntqError, ValueError):
    """Following parents from a unit comes back to it.

    Attributes:
        codes: The codes on the cycle, in the order they were followed.
    """

    def __init__(self, codes: Sequence[str]) -> None:
        self.codes = tuple(codes)
        super().__init__(f"administrative units form a cycle: {' -> '.join(self.codes)}")


class UnresolvedReferenceError(AntqError, LookupError):
    """An id refers to an entity that the dataset does not hold.

    Attributes:
        kind: Kind of the missing entity (``"site"``, ``"metric"``...).
        id: The id that was looked up.
        referenced_from: Who holds the reference, if known (``"site mh3-s1"``).
    """

    def __init__(self, kind: str, id: str, referenced_from: str | None = None) -> None:  # noqa: A002
        self.kind = kind
        self.id = id
        self.referenced_from = referenced_from
        by = f" (referenced by {referenced_from})" if referenced_from else ""
        super().__init__(f"the dataset has no {kind} {id!r}{by}")

    def __str__(self) -> str:
        return str(self.args[0])


class MissingExtraError(AntqError, ImportError):
    """An optional dependency that this feature needs is not installed.

    Attributes:
        module: The module that could not be imported (``"pyarrow"``).
        extra: The extra of antq_core that brings it (``"dataframe"``).
    """

    def __init__(self, module: str, extra: str) -> None:
        self.module = module
        self.extra = extra
        super().__init__(
            f"this needs {module}, which is not installed: pip install 'antq_core[{extra}]'"
        )


@attrs.frozen
class LoadProblem:
    """One thing wrong in a document being loaded.

    Attributes:
        location: Where: a JSON path such as ``$.observations[12].period``.
        message: What is wrong, in English.
        input: ``repr`` of the offending input, shortened; ``None`` if not useful.
    """

    location: str
    message: str
    input: str | None = None

    def __str__(self) -> str:
        shown = f" (got {self.input})" if self.input is not None else ""
        return f"{self.location}: {self.message}{shown}"


class DatasetLoadError(AntqError, ValueError):
    """A dataset or gazetteer document could not be loaded; lists every problem found.

    Attributes:
        source: The file path, or ``"<memory>"`` for bytes and dicts.
        problems: Every problem found, each with its JSON path.
        omitted: How many further problems were found but not listed (a
            chunked read of a large file lists the first 1,000); usually 0.
    """

    max_shown = 20

    def __init__(self, source: str, problems: Iterable[LoadProblem], *, omitted: int = 0) -> None:
        self.source = source
        self.problems = tuple(problems)
        self.omitted = omitted
        shown = "\n".join(f"  {p}" for p in self.problems[: self.max_shown])
        more = len(self.problems) - self.max_shown + omitted
        tail = f"\n  ... and {more} more" if more > 0 else ""
        n = len(self.problems) + omitted
        super().__init__(f"cannot load {source}: {n} problem{'s' * (n != 1)}\n{shown}{tail}")


class ExportError(AntqError, ValueError):
    """A dataset cannot be written in the format asked for.

    Attributes:
        target: The file or directory being written.
        reason: Why.
    """

    def __init__(self, target: str, reason: str) -> None:
        self.target = target
        self.reason = reason
        super().__init__(f"cannot write {target}: {reason}")


class OverlappingPeriodsError(AntqError, ValueError):
    """Figures whose periods overlap would have been added together.

    A year and one of its quarters, or two "since the start" ranges, of the
    same metric, subject and disaggregation count the same events twice if
    summed. Aggregation refuses instead (a stock, which takes one value per
    period, is not affected).

    Attributes:
        metric: Id of the metric.
        rows: Groups of observation row indexes (into
            :attr:`Dataset.observations <antq_core.Dataset.observations>`),
            each a set of rows whose periods overlap.
        periods: For each group, the canonical strings of its periods.
    """

    def __init__(
        self, metric: str, rows: Sequence[Sequence[int]], periods: Sequence[Sequence[str]]
    ) -> None:
        self.metric = metric
        self.rows = tuple(tuple(g) for g in rows)
        self.periods = tuple(tuple(g) for g in periods)
        shown = "; ".join(
            f"rows {list(r)} ({', '.join(p)})"
            for r, p in zip(self.rows[:5], self.periods[:5], strict=True)
        )
        more = f" and {len(self.rows) - 5} more groups" if len(self.rows) > 5 else ""  # noqa: PLR2004
        super().__init__(
            f"{metric}: observations with overlapping periods would be summed: {shown}{more}"
        )


class ExpressionError(AntqError, ValueError):
    """A rule expression could not be read; says where, with a caret under the spot.

    Raised by :meth:`Expression.parse <antq_core.Expression.parse>` and by
    :class:`~antq_core.ValidationRule` for a side it cannot read:

    >>> print(ExpressionError("tips_received + * 2", 16, "expected a number, a metric id or '('"))
    invalid expression at position 16: expected a number, a metric id or '('
      tips_received + * 2
                      ^

    Attributes:
        text: The expression.
        position: Index of the character where reading failed (0-based).
        reason: What was expected or what is wrong.
    """

    def __init__(self, text: str, position: int, reason: str) -> None:
        self.text = text
        self.position = position
        self.reason = reason
        shown = text if len(text) <= 120 else text[:120] + "..."  # noqa: PLR2004
        caret = " " * min(position, len(shown)) + "^"
        super().__init__(
            f"invalid expression at position {position}: {reason}\n  {shown}\n  {caret}"
        )

    @property
    def caret(self) -> str:
        """The expression with a ``^`` under the failing position, on two lines."""
        return f"{self.text}\n{' ' * self.position}^"


class DuplicateIdError(AntqError, ValueError):
    """Two entities of one kind share an id.

    Attributes:
        kind: The entity kind (``"site"``...).
        id: The shared id.
    """

    def __init__(self, kind: str, id: str) -> None:  # noqa: A002
        self.kind = kind
        self.id = id
        super().__init__(f"two {kind} entities have the id {id!r}")


class SplitUnitError(AntqError, ValueError):
    """A remap met units that were split, and the caller asked to refuse them.

    Attributes:
        units: Each split old unit with the new units it was divided among.
        referenced_from: For each split unit, the first thing that refers to it.
        shares_missing: Whether the remap asked to apportion, and these splits
            have no area shares to do it by.
    """

    def __init__(
        self,
        units: Mapping[str, Sequence[str]],
        referenced_from: Mapping[str, str],
        *,
        shares_missing: bool = False,
    ) -> None:
        self.units = {code: tuple(to) for code, to in units.items()}
        self.referenced_from = dict(referenced_from)
        self.shares_missing = shares_missing
        listed = "; ".join(
            f"{code} -> {', '.join(to)} (referenced by {self.referenced_from.get(code, '?')})"
            for code, to in self.units.items()
        )
        if shares_missing:
            message = (
                f"cannot apportion figures on split units the crosswalk gives no area "
                f"shares for: {listed}; remap with on_split='approximate' to place them "
                "at one unit"
            )
        else:
            message = (
                f"cannot divide figures or places recorded on split units: {listed}; "
                "remap with on_split='approximate' to place them at the units' common "
                "ancestor"
            )
        super().__init__(message)


class UnmappedUnitError(AntqError, LookupError):
    """A dataset refers to units the crosswalk says nothing about.

    Attributes:
        codes: The unit codes missing from the crosswalk.
        crosswalk: The crosswalk's id.
        referenced_from: For each code, the first thing that refers to it.
    """

    def __init__(
        self, codes: Sequence[str], crosswalk: str, referenced_from: Mapping[str, str]
    ) -> None:
        self.codes = tuple(codes)
        self.crosswalk = crosswalk
        self.referenced_from = dict(referenced_from)
        listed = ", ".join(f"{c} ({self.referenced_from.get(c, '?')})" for c in self.codes)
        super().__init__(f"crosswalk {crosswalk!r} does not map {listed}")

    def __str__(self) -> str:
        return str(self.args[0])


@attrs.frozen
class TabularProblem:
    """One thing wrong in a CSV file or a workbook, with where it is.

    Attributes:
        file: The file (a CSV file, or the workbook).
        sheet: The sheet of a workbook; ``None`` for CSV.
        row: The row as a spreadsheet numbers it (the header is row 1);
            ``None`` for a problem of the whole file or sheet.
        column: The column's header as written in the file; ``None`` for a
            problem of the whole row.
        message_vi: What is wrong, in Vietnamese.
        message_en: What is wrong, in English.
        input: The offending cell (shortened), never for personal data.
        cell: The cell reference in a workbook (``"C14"``).
    """

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    message_vi: str
    message_en: str
    input: str | None = None
    cell: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet is not None:
            where.append(f"sheet {self.sheet!r}")
        if self.cell is not None:
            where.append(f"cell {self.cell}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        got = f" (got {self.input})" if self.input is not None else ""
        return f"{', '.join(where)}: {self.message_en}{got} / {self.message_vi}"


class TabularNotice(UserWarning):
    """Something imported as it is, but worth knowing (a hidden sheet, hidden rows).

    :func:`~antq_core.io.tabular.read_tabular` issues one warning of this class
    per notice, after reading; ``antq import`` prints them.

    Attributes:
        problem: What and where, in both languages.
    """

    def __init__(self, problem: TabularProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class TabularLoadError(AntqError, ValueError):
    """A CSV directory or workbook could not be read into a dataset; lists every problem.

    Attributes:
        source: The directory or workbook.
        problems: The problems found (the first 1,000), each located.
        omitted: How many more were found but not listed.
    """

    max_shown = 20

    def __init__(
        self, source: str, problems: Iterable[TabularProblem], *, omitted: int = 0
    ) -> None:
        self.source = source
        self.problems = tuple(problems)
        self.omitted = omitted
        n = len(self.problems) + omitted
        shown = "\n".join(f"  {p}" for p in self.problems[: self.max_shown])
        more = n - min(len(self.problems), self.max_shown)
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(f"cannot import {source}: {n} problem{'s' * (n != 1)}\n{shown}{tail}")


class ValuesDoNotFitError(AntqError, ValueError):
    """Some values need more digits than a ``decimal128`` column holds.

    Attributes:
        digits: The digits the widest value needs before the decimal mark.
        scale: The most digits any value has after it.
        precision: The digits a ``decimal128`` column holds.
    """

    def __init__(self, digits: int, scale: int, *, precision: int = 38) -> None:
        self.digits = digits
        self.scale = scale
        self.precision = precision
        super().__init__(
            f"the values need {digits} digits before the decimal mark and {scale} after it, "
            f"more than the {precision} of a decimal128 column; "
            "pass values='string' to get them as exact decimal strings"
        )


class Dhis2MappingError(AntqError, ValueError):
    """A DHIS2 mapping could not be read; lists every problem with its JSON path.

    Attributes:
        source: The file path, or ``"<memory>"``.
        problems: Every problem found.
    """

    def __init__(self, source: str, problems: Iterable[LoadProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        shown = "\n".join(f"  {p}" for p in self.problems)
        n = len(self.problems)
        super().__init__(f"invalid DHIS2 mapping {source}: {n} problem{'s' * (n != 1)}\n{shown}")
