"""How the library's types plug into pydantic, and pydantic's errors into ours."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Final, TypeVar

import attrs
from pydantic import BeforeValidator, GetJsonSchemaHandler, ValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from antq_core._values.patterns import DATE, whole
from antq_core.errors import DatasetLoadError, LoadError, Problem, safe_repr

__all__ = [
    "HIDDEN_INPUT",
    "INVALID_VI",
    "OBSERVATION_FIELDS_VI",
    "PERSONAL_DATA_COMMENT",
    "PERSONAL_DATA_NOTE",
    "PYDANTIC_VI",
    "SENSITIVE_FIELDS",
    "Date",
    "JsonPattern",
    "JsonSchemaOf",
    "JsonWholeNumber",
    "format_problems",
    "json_whole_number",
    "problems_from",
    "pydantic_vi",
    "redacted",
    "shows_input",
    "validated",
    "value_schema",
]

SENSITIVE_FIELDS: Final = ("full_name", "identity_number", "birth_date")
"""Fields that hold personal data: never echoed in errors, dumped only on request."""

PERSONAL_DATA_NOTE: Final = (
    "Personal data (dữ liệu cá nhân): left out of exports unless the caller asks for it, "
    "never shown in an error."
)
"""The sentence that ends the JSON Schema description of every personal field."""

PERSONAL_DATA_COMMENT: Final = "antq_core: personal data"
"""The ``$comment`` of every personal field's JSON Schema (an annotation for people only).

JSON Schema forbids tools to act on ``$comment``; :mod:`antq_core.io.jsonschema`
turns it into a ``$ref`` to an annotation-only definition, which tools may read.
"""

HIDDEN_INPUT: Final = "<not shown: personal data>"
"""What a redacted pydantic error holds as its ``input`` (see :func:`redacted`)."""

# Scalars a redacted error may still show: a wrong role or unit code helps, and is not personal.
_SHOWABLE: Final = (str, int, float, bool, type(None))
# Errors whose message is ours (a validator's ValueError) and may quote the value.
_OWN_MESSAGES: Final = frozenset({"value_error", "assertion_error"})


def redacted(error: ValidationError, public: frozenset[str]) -> ValidationError:
    """``error`` (a record's validation error) without any personal value in it.

    pydantic keeps each failing input in the error (``errors()[i]["input"]``,
    which frameworks such as FastAPI send back in their response body), and
    ``hide_input_in_errors`` only hides it from ``str()``. Here every input is
    replaced by :data:`HIDDEN_INPUT`, except a scalar under one of the
    ``public`` fields; messages our own validators wrote for a non-public field
    are replaced too. Locations and error types are kept.
    """
    line_errors: list[Any] = []
    for item in error.errors(include_url=False):
        loc = item["loc"]
        shown = (
            bool(loc)
            and loc[0] in public
            and item["type"] != "extra_forbidden"
            and isinstance(item["input"], _SHOWABLE)
        )
        message = item["msg"]
        if not shown and item["type"] in _OWN_MESSAGES:
            message = "invalid value"
        line_errors.append(
            {
                "type": PydanticCustomError(item["type"], "{message}", {"message": message}),
                "loc": loc,
                "input": item["input"] if shown else HIDDEN_INPUT,
            }
        )
    return ValidationError.from_exception_data(error.title, line_errors)


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


PYDANTIC_VI: Final = {
    "missing": "Thiếu giá trị bắt buộc",
    "extra_forbidden": "Trường không có trong định dạng",
    "string_pattern_mismatch": "Mã chỉ gồm chữ cái ASCII, chữ số, '.', '_' và '-'",
    "enum": "Không thuộc danh sách cho phép",
    "literal_error": "Không thuộc danh sách cho phép",
    "too_short": "Thiếu giá trị (cần ít nhất một mục)",
    "string_too_short": "Không được để trống",
    "string_too_long": "Quá dài",
    "string_type": "Cần một chuỗi văn bản",
    "int_type": "Cần một số nguyên",
    "bool_type": "Cần true hoặc false",
    "dict_type": "Cần một đối tượng JSON",
    "model_type": "Cần một đối tượng JSON",
    "model_attributes_type": "Cần một đối tượng JSON",
    "list_type": "Cần một mảng JSON",
    "tuple_type": "Cần một mảng JSON",
    "json_invalid": "Không phải JSON hợp lệ",
    "json_type": "Không phải JSON hợp lệ",
    "greater_than": "Giá trị quá nhỏ",
    "greater_than_equal": "Giá trị không được âm",
    "date_from_datetime_inexact": "Cần một ngày (dạng YYYY-MM-DD)",
    "date_parsing": "Cần một ngày (dạng YYYY-MM-DD)",
    "date_type": "Cần một ngày (dạng YYYY-MM-DD)",
}
"""pydantic's error types in Vietnamese, for the problems made from them; others read
``"Giá trị không hợp lệ"``, and the English message keeps pydantic's detail."""

INVALID_VI: Final = "Giá trị không hợp lệ"

OBSERVATION_FIELDS_VI: Final = {
    "metric": "Không đọc được mã chỉ tiêu",
    "subject": "Không đọc được đối tượng (dạng site:mã, initiative:mã, unit:mã...)",
    "period": "Không đọc được kỳ (dạng 2017, 2017Q3, 2017-05, 2016/2017...)",
    "unit": "Không có đơn vị tính này",
    "qualifier": "Mức độ chính xác phải là exact, at_least, at_most hoặc approximately",
    "value": "Giá trị không hợp lệ với đơn vị tính",
    "disaggregation": "Phân tổ không hợp lệ",
    "source": "Mã nguồn không hợp lệ",
    "note": "Ghi chú không hợp lệ",
    "stored_by": "Người nhập không hợp lệ (chuỗi 1 đến 200 ký tự)",
    "created": "Thời điểm nhập không hợp lệ (dạng 2025-09-03T08:00:00+07:00)",
    "last_updated": "Thời điểm cập nhật không hợp lệ (dạng 2025-09-03T08:00:00+07:00)",
}
"""What is wrong with each field of an observation row, in Vietnamese (the English
message gives the parser's reason)."""


def pydantic_vi(error_type: str) -> str:
    """Pydantic's error type ``error_type`` in Vietnamese (see :data:`PYDANTIC_VI`)."""
    return PYDANTIC_VI.get(error_type, INVALID_VI)


def shows_input(error: Mapping[str, Any]) -> bool:
    """Whether an error may show its input: never personal data, never a whole object.

    ``error`` is one of pydantic's error dicts. Its input is left out when its
    location names a personal field (:data:`SENSITIVE_FIELDS`), when it is an
    object or a list (a participant, say, with its name inside), and for a
    field the model does not have (``extra_forbidden``: a name typed into a
    column of its own is still a name).
    """
    if any(part in SENSITIVE_FIELDS for part in error.get("loc", ())):
        return False
    if error.get("type") == "extra_forbidden":
        return False
    return not isinstance(error.get("input"), Mapping | list | tuple | set | frozenset)


def problems_from(error: ValidationError, root: str = "$") -> list[Problem]:
    r"""Turn pydantic's errors into :class:`~antq_core.errors.Problem`\ s with JSON paths.

    The offending input is kept (shortened) so people can find it, except
    where :func:`shows_input` says no: personal fields, whose values never go
    into an error, and whole objects.
    """
    problems = []
    for item in error.errors(include_url=False):
        where = root
        for part in item["loc"]:
            where += f"[{part}]" if isinstance(part, int) else f".{part}"
        personal = item["input"] == HIDDEN_INPUT or any(
            part in SENSITIVE_FIELDS for part in item["loc"]
        )
        shown = None if personal or not shows_input(item) else safe_repr(item["input"])
        en, vi = item["msg"], pydantic_vi(item["type"])
        if item["loc"] and item["loc"][-1] == "identity_number" and "pattern" in item["type"]:
            en, vi = _IDENTITY_NUMBER  # the id pattern's words would be wrong here
        problems.append(Problem.at(where, en, vi, shown))
    return problems


_IDENTITY_NUMBER: Final = (
    "an identity number is 9 digits (CMND) or 12 digits (CCCD)",
    "Số định danh gồm 9 chữ số (CMND) hoặc 12 chữ số (CCCD)",
)

_T = TypeVar("_T")


def validated(
    validate: Callable[[Any], _T],
    data: object,
    source: str,
    *,
    root: str = "$",
    error: type[LoadError] = DatasetLoadError,
) -> _T:
    """``validate(data)``: a pydantic validator's result for a document from ``source``.

    Raises:
        LoadError: ``error`` (a :class:`~antq_core.errors.DatasetLoadError` by default),
            listing every problem pydantic found, with its JSON path under ``root``.
    """
    try:
        return validate(data)
    except ValidationError as e:
        raise error(source, problems_from(e, root)) from e


def format_problems(
    format_: tuple[object, str], version: tuple[object, int], root: str = "$"
) -> list[Problem]:
    """The problems of a document's ``format`` and ``format_version``, each (found, expected)."""
    problems = []
    if format_[0] != format_[1]:
        problems.append(
            Problem.at(
                f"{root}.format",
                f"expected {format_[1]!r}",
                f"Không phải tài liệu {format_[1]!r}",
                repr(format_[0]),
            )
        )
    if version[0] != version[1]:
        problems.append(
            Problem.at(
                f"{root}.format_version",
                f"this library reads version {version[1]}",
                f"Thư viện này đọc phiên bản {version[1]}",
                repr(version[0]),
            )
        )
    return problems
