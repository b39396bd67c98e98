"""Every exception of the library, and the one type of located problem.

One base, :class:`AntqError`; each subclass keeps what went wrong as
attributes and builds its message from them. Input that does not load raises
a :class:`LoadError`, which lists every :class:`Problem` found, each with its
:class:`Location` (file, sheet, JSON path, row, field or column, cell) and its
message in English and Vietnamese; validation locates its issues with the same
:class:`Location`. This module imports nothing else of the library.
"""

from __future__ import annotations

import copy
import enum
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, TypeVar

import attrs
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import core_schema

__all__ = [
    "MAX_LISTED_PROBLEMS",
    "AggregationError",
    "AmbiguousGroupingError",
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
    "LoadError",
    "Location",
    "MissingExtraError",
    "OverlappingPeriodsError",
    "PeriodError",
    "Problem",
    "QuantityError",
    "QuantityParseError",
    "SpaceOverlapError",
    "SplitUnitError",
    "StoreError",
    "StoreSchemaError",
    "TabularLoadError",
    "TabularNotice",
    "UnknownAdminUnitError",
    "UnknownUnitError",
    "UnmappedUnitError",
    "UnresolvedReferenceError",
    "UnsupportedAggregationError",
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


class AmbiguousGroupingError(InvalidValueError):
    """A ``by`` name of an aggregate means two things: a built-in dimension and a category.

    ``organization_kind`` is both the kind of the organization a figure is
    about and, in the built-in catalog, a category figures are broken down
    by. Write ``category:<id>`` for the category or ``dimension:<name>`` for
    the built-in meaning.

    Attributes:
        name: The ``by`` name.
        dimension: What the built-in name means.
    """

    def __init__(self, name: str, dimension: str) -> None:
        self.name = name
        self.dimension = dimension
        super().__init__(
            "by",
            name,
            f"it names both {dimension} and the disaggregation category {name!r} of the"
            f" metrics: write 'category:{name}' for the category or 'dimension:{name}'"
            " for the other",
        )


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


# -- results in pydantic and JSON Schema ----------------------------------------------------


def result_core_schema(cls: type, dump: Callable[[Any], Any]) -> core_schema.CoreSchema:
    """Pydantic's schema for a result type of the library (an attrs class), for web frameworks.

    An instance passes as it is and is written by ``dump`` (its JSON-ready
    ``to_dict``), so a FastAPI endpoint can return it; anything else is
    refused: results are made by the library, not read from requests.
    """

    def instance(value: object) -> object:
        if isinstance(value, cls):
            return value
        msg = f"a {cls.__name__} is made by antq_core, not read from data"
        raise ValueError(msg)

    return core_schema.no_info_plain_validator_function(
        instance,
        serialization=core_schema.plain_serializer_function_ser_schema(
            dump, return_schema=core_schema.any_schema(), when_used="always"
        ),
    )


def _copy_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(dict(schema))


_Result = TypeVar("_Result", bound=type)


def web_result(
    schema: Callable[[], Mapping[str, Any]],
    dump: Callable[[Any], Any] | None = None,
) -> Callable[[_Result], _Result]:
    """Make a result class returnable from a web endpoint, with ``schema()`` as its JSON Schema.

    It gives the class pydantic's two hooks: instances pass as they are and
    are written by ``dump`` (the class's ``to_dict`` unless given), and its
    JSON Schema is a fresh copy of ``schema()`` (called late, so the schema
    may be defined after the class).
    """

    def decorate(cls: _Result) -> _Result:
        def core(
            owner: type, source: type[Any], handler: GetCoreSchemaHandler
        ) -> core_schema.CoreSchema:
            return result_core_schema(owner, dump or owner.to_dict)  # type: ignore[attr-defined]

        def json_schema(
            owner: type, given: core_schema.CoreSchema, handler: GetJsonSchemaHandler
        ) -> dict[str, Any]:
            return _copy_schema(schema())

        cls.__get_pydantic_core_schema__ = classmethod(core)  # type: ignore[attr-defined]
        cls.__get_pydantic_json_schema__ = classmethod(json_schema)  # type: ignore[attr-defined]
        return cls

    return decorate


# The JSON Schemas of Location.to_dict and Problem.to_dict, as web frameworks publish them.
LOCATION_JSON_SCHEMA: Final[Mapping[str, Any]] = {
    "title": "Location",
    "description": (
        "Where something is wrong: a place in a file (file, sheet, cell, row, column), "
        "in a document (JSON path), or an entity of a dataset (kind and id); "
        "unknown parts are left out."
    ),
    "type": "object",
    "properties": {
        "kind": {"type": "string", "description": "What is at fault: site, observation..."},
        "id": {"type": "string", "description": "The entity's id or unit code."},
        "row": {
            "type": "integer",
            "description": "An observation's index, or a table's row (the header is row 1).",
        },
        "field": {"type": "string", "description": "The field, or a column's header."},
        "path": {"type": "string", "description": "JSON path in the document."},
        "file": {"type": "string", "description": "The file."},
        "sheet": {"type": "string", "description": "The sheet of a workbook."},
        "cell": {"type": "string", "description": "The cell or range of a workbook."},
    },
    "additionalProperties": False,
}

PROBLEM_JSON_SCHEMA: Final[Mapping[str, Any]] = {
    "title": "Problem",
    "description": "One thing wrong in input being loaded, where, in Vietnamese and English.",
    "type": "object",
    "properties": {
        "where": LOCATION_JSON_SCHEMA,
        "message_vi": {"type": "string", "description": "What is wrong, in Vietnamese."},
        "message_en": {"type": "string", "description": "What is wrong, in English."},
        "input": {
            "type": "string",
            "description": "The offending input, shortened; never personal data.",
        },
    },
    "required": ["where", "message_vi", "message_en"],
    "additionalProperties": False,
}


# -- located problems ----------------------------------------------------------------------


@web_result(lambda: LOCATION_JSON_SCHEMA)
@attrs.frozen
class Location:
    """Where something is wrong: a place in a file, in a document, or an entity of a dataset.

    One type serves loading (a JSON path in a document, a row and column of a
    table) and validation (an entity by kind and id, an observation row);
    each says what it knows and leaves the rest ``None``.

    >>> str(Location("site", "site-muong-so", field="initiative"))
    'site site-muong-so (initiative)'
    >>> Location.observation(5, "unit").path
    '$.observations[5].unit'
    >>> str(Location(file="book.xlsx", sheet="Kết quả", cell="F3", row=3, field="Giá trị"))
    "book.xlsx, sheet 'Kết quả', cell F3, row 3, column 'Giá trị'"

    Attributes:
        kind: What is at fault, for validation: ``"site"``, ``"initiative"``,
            ``"organization"``, ``"participant"``, ``"metric"``, ``"admin_unit"``,
            ``"observation"``, ``"rule"``, ``"dataset"``, ``"file"``...
        id: The entity's id (an administrative unit's code); ``None`` for an
            observation, which has none, and for the dataset as a whole.
        row: An observation's index in the dataset (and in the document's
            ``observations`` array), or a table's row as a spreadsheet numbers it
            (the header is row 1).
        field: The field at fault: its name in a document or an entity, or a
            table column's header as written in the file.
        path: JSON path in the document (``$.sites[2].initiative``), when known.
        file: The file: a CSV file of a directory, a workbook, a file validated.
            A JSON document's problems leave it out: the error's ``source``
            names the document.
        sheet: The sheet of a workbook.
        cell: The cell of a workbook (``"C14"``, or a range such as ``"B2:C3"``).
    """

    kind: str | None = None
    id: str | None = None
    row: int | None = None
    field: str | None = None
    path: str | None = None
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None

    @classmethod
    def observation(cls, row: int, field: str | None = None) -> Location:
        """Row ``row`` of the observations (and ``field`` of it), with its JSON path."""
        path = f"$.observations[{row}]" + (f".{field}" if field else "")
        return cls("observation", row=row, field=field, path=path)

    def __str__(self) -> str:
        if self.path is not None and (self.kind is None or self.file is not None):
            inner = self.path
        elif self.kind is not None:
            inner = " ".join(
                [self.kind]
                + ([self.id] if self.id is not None else [])
                + ([f"#{self.row}"] if self.row is not None else [])
            )
            if self.field is not None:
                inner += f" ({self.field})"
        else:  # a place in a table
            parts = [
                self.file,
                None if self.sheet is None else f"sheet {self.sheet!r}",
                None if self.cell is None else f"cell {self.cell}",
                None if self.row is None else f"row {self.row}",
                None if self.field is None else f"column {self.field!r}",
            ]
            return ", ".join(p for p in parts if p is not None)
        return inner if self.file is None else f"{self.file}: {inner}"

    def to_dict(self) -> dict[str, str | int]:
        """The location as JSON-ready data, unknown parts left out."""
        return {k: v for k, v in attrs.asdict(self).items() if v is not None}


@web_result(lambda: PROBLEM_JSON_SCHEMA)
@attrs.frozen
class Problem:
    """One thing wrong in input being loaded, where it is, in English and Vietnamese.

    >>> p = Problem(Location(path="$.observations[3].period"), "bad period", "Kỳ sai", "'2017Q9'")
    >>> print(p)
    $.observations[3].period: bad period (got '2017Q9') / Kỳ sai

    Attributes:
        location: Where.
        message_en: What is wrong, in English.
        message_vi: What is wrong, in Vietnamese.
        input: ``repr`` of the offending input, shortened; ``None`` when it is
            not useful, and always for personal data (names, identity numbers,
            birth dates), which never goes into an error.
    """

    location: Location
    message_en: str
    message_vi: str
    input: str | None = None

    @classmethod
    def at(cls, path: str, message_en: str, message_vi: str, input: str | None = None) -> Problem:  # noqa: A002
        """A problem at JSON path ``path`` of a document."""
        return cls(Location(path=path), message_en, message_vi, input)

    def __str__(self) -> str:
        got = f" (got {self.input})" if self.input is not None else ""
        return f"{self.location}: {self.message_en}{got} / {self.message_vi}"

    def to_dict(self) -> dict[str, object]:
        """The problem as JSON-ready data: ``where``, both messages, and ``input`` if known."""
        found: dict[str, object] = {
            "where": self.location.to_dict(),
            "message_vi": self.message_vi,
            "message_en": self.message_en,
        }
        if self.input is not None:
            found["input"] = self.input
        return found


def cannot_read(error: OSError, location: Location | None = None) -> Problem:
    """The problem of a file that cannot be read at all (missing, a directory, no access)."""
    where = Location(path="$") if location is None else location
    return Problem(where, f"cannot read: {error}", f"Không đọc được tệp: {error}")


MAX_LISTED_PROBLEMS: Final = 1000
"""Most problems a read of a large input lists; the rest are only counted."""


class ProblemList:
    """Problems as they are found: the first ``limit`` kept, the rest counted.

    Attributes:
        kept: The problems kept, in the order found.
        omitted: How many more were found.
        notices: What is read as it is but worth knowing (a hidden sheet, hidden
            rows), each located like a problem; never counted as a problem.
    """

    def __init__(self, limit: int = MAX_LISTED_PROBLEMS) -> None:
        self.limit = limit
        self.kept: list[Problem] = []
        self.omitted = 0
        self.notices: list[Problem] = []

    def notice(self, notice: Problem) -> None:
        """Add a notice: not a problem, the data is read as it is."""
        self.notices.append(notice)

    def add(self, problem: Problem) -> None:
        """Add ``problem``."""
        if len(self.kept) < self.limit:
            self.kept.append(problem)
        else:
            self.omitted += 1

    def extend(self, problems: Iterable[Problem]) -> None:
        """Add ``problems`` in order."""
        for problem in problems:
            self.add(problem)

    def __len__(self) -> int:
        return len(self.kept) + self.omitted


class LoadError(AntqError, ValueError):
    """Input could not be loaded; lists every problem found, each located.

    The base of :class:`DatasetLoadError`, :class:`TabularLoadError` and
    :class:`Dhis2MappingError`: catch it to handle any input that did not load.
    The message names the source and the number of problems, lists the first
    :attr:`max_shown`, and ends with ``... and K more`` for the rest, listed
    or only counted.

    Attributes:
        source: The file or directory path, or a description (``"<memory>"``).
        problems: The problems found (for a large input, the first
            :data:`MAX_LISTED_PROBLEMS`), each with its location.
        omitted: How many further problems were found but not listed; usually 0.
    """

    failed = "cannot load"
    """How the message begins, before the source."""
    max_shown = 20
    """How many problems the message lists."""

    def __init__(self, source: str, problems: Iterable[Problem], *, omitted: int = 0) -> None:
        self.source = source
        self.problems = tuple(problems)
        self.omitted = omitted
        super().__init__(self.describe(self.max_shown))

    def describe(self, limit: int | None = None) -> str:
        """The message, listing the first ``limit`` problems (every one listed if ``None``)."""
        n = len(self.problems) + self.omitted
        shown = self.problems if limit is None else self.problems[:limit]
        lines = [f"{self.failed} {self.source}: {n} problem{'s' * (n != 1)}"]
        lines += [f"  {p}" for p in shown]
        if n > len(shown):
            lines.append(f"  ... and {n - len(shown)} more")
        return "\n".join(lines)


class DatasetLoadError(LoadError):
    """A dataset, gazetteer or crosswalk document could not be loaded; lists every problem.

    Each problem's location has the JSON path (``$.observations[12].period``);
    a chunked read of a large file lists the first :data:`MAX_LISTED_PROBLEMS`.
    """


class TabularNotice(UserWarning):
    """Something imported as it is, but worth knowing (a hidden sheet, hidden rows).

    :func:`~antq_core.io.tabular.read_tabular` issues one warning of this class
    per notice, after reading; ``antq import`` prints them.

    Attributes:
        problem: What and where, in both languages.
    """

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class TabularLoadError(LoadError):
    """A CSV directory or workbook could not be read into a dataset; lists every problem.

    Each problem's location names the file, the sheet, the row and column and
    the cell as far as known.
    """

    failed = "cannot import"


class Dhis2MappingError(LoadError):
    """A DHIS2 mapping or dataValueSets payload could not be read; lists every problem.

    Each problem's location has its JSON path.
    """

    failed = "invalid DHIS2 mapping"


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


class AggregationError(AntqError, ValueError):
    """Figures that an aggregate would have to count twice: it refuses instead."""


class OverlappingPeriodsError(AggregationError):
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


class SpaceOverlapError(AggregationError):
    """A figure would have been added to the figures of its own parts over space.

    The same metric, breakdown and overlapping period reported for a unit
    (or a site or initiative anchored there) and for units under it (or for
    an initiative and its own sites) count the same events twice if summed
    in one group. Aggregation refuses, unless the caller passes
    ``space_overlap="prefer_reported"``.

    Attributes:
        metric: Id of the metric.
        rows: Groups of observation row indexes (into
            :attr:`Dataset.observations <antq_core.Dataset.observations>`):
            first the row of the enclosing figure, then the rows under it.
        subjects: For each group, the subjects of its rows, in the same order.
    """

    def __init__(
        self, metric: str, rows: Sequence[Sequence[int]], subjects: Sequence[Sequence[str]]
    ) -> None:
        self.metric = metric
        self.rows = tuple(tuple(g) for g in rows)
        self.subjects = tuple(tuple(g) for g in subjects)
        shown = "; ".join(
            f"row {r[0]} ({s[0]}) contains rows {list(r[1:])} ({', '.join(s[1:])})"
            for r, s in zip(self.rows[:5], self.subjects[:5], strict=True)
        )
        more = f" and {len(self.rows) - 5} more groups" if len(self.rows) > 5 else ""  # noqa: PLR2004
        super().__init__(
            f"{metric}: a figure and the figures of units under it would be summed: {shown}{more}"
            " (pass space_overlap='prefer_reported' to use the enclosing figure)"
        )


class UnsupportedAggregationError(AggregationError):
    """An engine cannot answer this request with the same semantics, so it refuses.

    Raised instead of a silently different answer: for example
    :func:`~antq_core.aggregate_parquet` over Parquet files whose values were
    written as strings, which it cannot sum exactly in SQL.

    Attributes:
        feature: What is not supported, in a few words.
        detail: Why, and what to do instead.
    """

    def __init__(self, feature: str, detail: str) -> None:
        self.feature = feature
        self.detail = detail
        super().__init__(f"not supported here: {feature}: {detail}")


class ExpressionError(AntqError, ValueError):
    """A rule expression could not be read; says where, with a caret under the spot.

    >>> from antq_core import Expression
    >>> try:
    ...     Expression.parse("tips_received + * 2")
    ... except ExpressionError as e:
    ...     print(e)
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


class ValuesDoNotFitError(AntqError, ValueError):
    """Some values need more digits than a ``decimal128`` column holds.

    Attributes:
        digits: The digits the widest value needs before the decimal mark.
        scale: The most digits any value has after it.
        precision: The digits a column holds in all.

    ``remedy`` ends the message: what the caller can do instead.
    """

    def __init__(
        self,
        digits: int,
        scale: int,
        precision: int,
        remedy: str = "pass values='string' to get them as exact decimal strings",
    ) -> None:
        self.digits = digits
        self.scale = scale
        self.precision = precision
        super().__init__(
            f"the values need {digits} digits before the decimal mark and {scale} after it, "
            f"more than the {precision} of a decimal128 column; {remedy}"
        )


class StoreError(AntqError, RuntimeError):
    """A SQL store cannot do what it was asked (:mod:`antq_core.store`).

    The message names the store by its URL with any password hidden, never
    by a participant's data.

    Attributes:
        url: The store's database URL, password hidden.
        reason: Why.
    """

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"store {url}: {reason}")


class StoreSchemaError(StoreError):
    """The database's tables are of a schema this version cannot use.

    Raised when the database was made by a newer antq_core (its schema
    version is higher than :attr:`supported`), or when it holds tables of
    the store's names without a schema version the store knows: it is not
    upgraded, and nothing in it is changed.

    Attributes:
        found: The schema version the database records (``None`` if none
            can be read).
        supported: The highest schema version this version of antq_core
            reads and writes.
    """

    def __init__(self, url: str, found: str | None, supported: int, reason: str) -> None:
        self.found = found
        self.supported = supported
        super().__init__(url, reason)
