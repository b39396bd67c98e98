"""How the library's types plug into pydantic, and pydantic's errors into ours."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any, Final

import attrs
from pydantic import BeforeValidator, GetJsonSchemaHandler, ValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from antq_core._values.patterns import DATE, whole
from antq_core.errors import LoadProblem, safe_repr

__all__ = [
    "SENSITIVE_FIELDS",
    "Date",
    "JsonPattern",
    "JsonSchemaOf",
    "JsonWholeNumber",
    "json_whole_number",
    "problems_from",
    "value_schema",
]

SENSITIVE_FIELDS: Final = ("full_name", "identity_number", "birth_date")
"""Fields that hold personal data: never echoed in errors, dumped only on request."""

_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def value_schema(
    validate: Callable[[Any], Any], dump: Callable[[Any], Any], *, ref: str | None = None
) -> core_schema.CoreSchema:
    """The core schema of a value type: one function reads it, one writes it.

    ``validate`` takes what JSON or Python gives (and instances of the type
    itself) and raises a ``ValueError`` subclass on bad input, which pydantic
    reports with the field's location; ``dump`` gives the JSON form, used in
    both ``model_dump`` modes so the type is written one way everywhere. With
    ``ref``, the type's JSON Schema is written once, in ``$defs``, and referred to.
    """
    return core_schema.no_info_plain_validator_function(
        validate,
        ref=ref,
        serialization=core_schema.plain_serializer_function_ser_schema(dump, when_used="always"),
    )


@attrs.frozen
class JsonSchemaOf:
    """Annotation: describe a field in JSON Schema as another type's schema.

    For fields that are validated loosely on purpose (a document part checked
    later, with better errors), so the published schema still says what the
    wire format holds. ``core`` gives that type's core schema when the JSON
    Schema is generated; its definitions join the document's ``$defs``.
    """

    core: Callable[[], core_schema.CoreSchema]

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The JSON Schema of the type ``core`` names, instead of the field's own."""
        return handler(self.core())


@attrs.frozen
class JsonPattern:
    """Annotation: the ``pattern`` a string field has in the published JSON Schema.

    pydantic checks a field's pattern with Rust's regex, where ``$`` is the end
    of the text; validators of the JSON Schema use ECMA-262 or Python's ``re``,
    where it is not always (Python's also matches before a final newline), and
    Rust's regex cannot write the look-ahead that makes them agree. So a field
    keeps its plain pattern for validation and gets one from
    :mod:`antq_core._values.patterns` here, which means the same to all three.
    """

    pattern: str

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The field's own JSON Schema with :attr:`pattern`."""
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema


def _date_only(value: object) -> object:
    """Accept a date or a ``YYYY-MM-DD`` string; never a number or a datetime."""
    if type(value) is dt.date:
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return dt.date.fromisoformat(value)  # ValueError for 2017-02-30: located by pydantic
    msg = "a date is written YYYY-MM-DD (not a number, not a date and time)"
    raise ValueError(msg)


Date = Annotated[dt.date, BeforeValidator(_date_only), JsonPattern(whole(DATE))]
"""A calendar date: a ``date`` or a ``YYYY-MM-DD`` string, nothing converted silently.

Its JSON Schema has ``"format": "date"`` and a pattern of the dates that exist
from 0001-01-01 (validators that take format as a mere annotation still check
the calendar, and none takes the year 0000, which Python has not).
"""


def json_whole_number(value: object) -> object:
    """Accept a whole number, written ``1`` or ``1.0``; never a boolean or a string."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    msg = "a whole number is written as a JSON number (1), not a boolean or a string"
    raise ValueError(msg)


JsonWholeNumber = Annotated[int, BeforeValidator(json_whole_number)]
"""A whole number as JSON has it: ``1`` and ``1.0`` are one number there (and ECMAScript
cannot tell them apart), ``true`` and ``"1"`` are not numbers."""


def problems_from(error: ValidationError, root: str = "$") -> list[LoadProblem]:
    """Turn pydantic's errors into :class:`LoadProblem`s with JSON paths.

    The offending input is kept (shortened) so people can find it, except in
    personal fields, whose values never go into an error.
    """
    problems = []
    for item in error.errors(include_url=False):
        where = root
        for part in item["loc"]:
            where += f"[{part}]" if isinstance(part, int) else f".{part}"
        personal = any(part in SENSITIVE_FIELDS for part in item["loc"])
        shown = None if personal else safe_repr(item["input"])
        problems.append(LoadProblem(where, item["msg"], shown))
    return problems
