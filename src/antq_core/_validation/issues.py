"""What validation finds: issues with stable codes, where they are, and the report."""

from __future__ import annotations

import copy
import datetime as dt
import enum
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

import attrs
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import core_schema

from antq_core._values.period import Period, PeriodKind
from antq_core._values.phrases import Lang, check_lang, format_date, format_number, format_period
from antq_core.errors import LOCATION_JSON_SCHEMA, Location, result_core_schema, web_result

__all__ = [
    "CODES",
    "Issue",
    "IssueCode",
    "Severity",
    "ValidationReport",
    "declare",
    "issue",
]

REPORT_FORMAT: Final = "antq-validation"
REPORT_FORMAT_VERSION: Final = 1


class Severity(enum.StrEnum):
    """How bad an :class:`Issue` is.

    Only errors make a report fail (:attr:`ValidationReport.ok` is ``False``);
    warnings ask a person to look; infos say what the library noticed and did.
    """

    ERROR = "error"
    """The data is wrong; a figure cannot be trusted or used as it stands."""
    WARNING = "warning"
    """Probably wrong, or wrong by a little as real reports often are; look at it."""
    INFO = "info"
    """Worth knowing; nothing to fix."""

    @property
    def rank(self) -> int:
        """The order a report lists issues in; errors (0) first, then warnings (1), infos (2)."""
        return _RANK[self]


_RANK: Final = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _severity_set(severities: Iterable[Severity]) -> frozenset[Severity]:
    return frozenset(severities)


@attrs.frozen
class IssueCode:
    """One stable issue code: its usual severity and its message in each language.

    Messages are :meth:`str.format` templates over the issue's details.

    Attributes:
        code: The code (``"reference-unresolved"``); never changes meaning once released.
        severity: The severity issues of this code have, unless the check says otherwise
            (a rule's importance, for one).
        vi: Message template in Vietnamese.
        en: Message template in English.
        other_severities: The other severities a check may give an issue of this code
            (a rule's importance); none for most codes.
    """

    code: str
    severity: Severity
    vi: str
    en: str
    other_severities: frozenset[Severity] = attrs.field(default=(), converter=_severity_set)

    @property
    def severities(self) -> tuple[Severity, ...]:
        """Every severity an issue of this code may have: the usual one first, then by rank."""
        others = sorted(self.other_severities - {self.severity}, key=lambda s: s.rank)
        return (self.severity, *others)


_DECLARED: dict[str, IssueCode] = {}

CODES: Final[Mapping[str, IssueCode]] = MappingProxyType(_DECLARED)
"""Every issue code, with its usual severity and messages. Codes never change meaning.

Filled by :func:`declare`: each check module (``antq_core._validation.checks``)
declares the codes it may emit, so the table is complete once the package is imported.
"""


def declare(*codes: IssueCode) -> Mapping[str, IssueCode]:
    """Declare the codes one check module may emit; returns them, by code.

    Each code is declared once, by the module that emits it: :data:`CODES`
    gets its severity and messages from there.

    Raises:
        ValueError: A code is declared twice.
    """
    mine: dict[str, IssueCode] = {}
    twice = []
    for c in codes:
        if c.code in mine or c.code in _DECLARED:
            twice.append(c.code)
        mine[c.code] = c
    if twice:
        raise ValueError(f"issue codes declared twice: {', '.join(twice)}")
    _DECLARED.update(mine)
    return MappingProxyType(mine)


def issue(code: str, where: Location, /, **details: Any) -> Issue:
    """An :class:`Issue` of a declared ``code`` at ``where``, of the code's severity.

    What every check builds its issues with; only a rule's violation, whose
    severity is the rule's importance, is built as an :class:`Issue` directly.

    Raises:
        KeyError: No check module declares ``code``.
    """
    return Issue(code, CODES[code].severity, where, details)


Detail = str | int | Decimal | bool | None | tuple[str, ...]
"""A value in an issue's details: JSON-ready once decimals are written as strings."""


def _freeze(details: Mapping[str, Any]) -> tuple[tuple[str, Detail], ...]:
    return tuple(
        (key, tuple(map(str, value)) if isinstance(value, list | tuple) else value)
        for key, value in details.items()
    )


def _issue_json_schema() -> dict[str, Any]:
    detail: dict[str, Any] = {
        "anyOf": [
            {"type": ["string", "integer", "boolean", "null"]},
            {"type": "array", "items": {"type": "string"}},
        ]
    }
    return {
        "title": "Issue",
        "description": (
            "One thing validation found: a stable code, a severity, where, both messages, "
            "and the facts the messages are made from."
        ),
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": "Stable code; programs key on it."},
            "severity": {"type": "string", "enum": [s.value for s in Severity]},
            "where": copy.deepcopy(dict(LOCATION_JSON_SCHEMA)),
            "message_vi": {"type": "string", "description": "The issue in Vietnamese."},
            "message_en": {"type": "string", "description": "The issue in English."},
            "details": {
                "type": "object",
                "additionalProperties": detail,
                "description": "Ids, values (decimals as strings), periods and dates.",
            },
        },
        "required": ["code", "severity", "where", "message_vi", "message_en", "details"],
        "additionalProperties": False,
    }


@web_result(_issue_json_schema)
@attrs.frozen
class Issue:
    """One thing validation found: a stable code, a severity, where, and the facts.

    >>> from antq_core import validate, sample
    >>> issue = validate(sample()).infos[0]
    >>> issue.code, issue.severity.value, issue.where.path
    ('period-ongoing', 'info', '$.observations[10].period')
    >>> issue.message("en")[:60]
    'Observation #10 (poppy_area_destroyed initiative:mh-nguoi-uy'

    Attributes:
        code: Stable code (see the validation docs); its meaning never changes once released.
        severity: Error, warning or info.
        where: Where the problem is.

    :attr:`details` holds the facts the messages are made from (ids, values,
    periods as canonical strings, dates as ``YYYY-MM-DD``), for programs to use.
    """

    code: str
    severity: Severity
    where: Location
    details_: tuple[tuple[str, Detail], ...] = attrs.field(
        converter=_freeze, alias="details", factory=dict
    )

    @property
    def details(self) -> dict[str, Detail]:
        """The facts of this issue, by name (a copy)."""
        return dict(self.details_)

    def message(self, lang: Lang = "vi") -> str:
        """The issue in words, in Vietnamese (``"vi"``) or English (``"en"``).

        Raises:
            InvalidValueError: ``lang`` is neither.
        """
        check_lang(lang)
        code = CODES[self.code]
        template = code.vi if lang == "vi" else code.en
        values = _render(self.details_, lang)
        return template.format_map(_Missing(values))

    def to_dict(self) -> dict[str, Any]:
        """The issue as JSON-ready data, with both messages."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "where": self.where.to_dict(),
            "message_vi": self.message("vi"),
            "message_en": self.message("en"),
            "details": {k: _json_value(v) for k, v in self.details_},
        }


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def _json_value(value: Detail) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _render_one(key: str, value: Detail, lang: Lang) -> str:
    if isinstance(value, tuple):
        return ", ".join(_render_one(key.removesuffix("s"), v, lang) for v in value)
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | Decimal):
        return format_number(value, lang)
    try:
        if key.endswith("period") and value:
            return format_period(Period.parse(value), lang)
        if key.endswith("date") and value:
            return format_date(dt.date.fromisoformat(value), lang)
    except ValueError:
        return value
    return value


def _when(period: str, written: str, lang: Lang) -> str:
    """``written`` (a period in words) after the preposition it takes: "on 1 June 2024"."""
    try:
        day = Period.parse(period).kind is PeriodKind.DAY
    except ValueError:
        day = False
    if lang == "vi":
        return f"vào {written}" if day else f"trong {written}"
    return f"on {written}" if day else f"in {written}"


def _render(details: tuple[tuple[str, Detail], ...], lang: Lang) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in details:
        values[key] = _render_one(key, value, lang)
        if key == "period" and isinstance(value, str) and value:
            values["when"] = _when(value, values[key], lang)
        for suffix in ("_vi", "_en"):
            if key.endswith(suffix) and suffix[1:] == lang:
                values[key.removesuffix(suffix)] = values[key]
    return values


def _sort_key(issue: Issue) -> tuple[int, int]:
    return (issue.severity.rank, 0)


def _issue_tuple(issues: Iterable[Issue]) -> tuple[Issue, ...]:
    return tuple(issues)


@attrs.frozen
class ValidationReport:
    """Everything :func:`~antq_core.validate` found in a dataset, in the order checks ran.

    Iterate it for every :class:`Issue`; :attr:`errors`, :attr:`warnings`
    and :attr:`infos` split them by severity. The report passes (:attr:`ok`)
    when there is no error.

    >>> from antq_core import validate, sample
    >>> report = validate(sample())
    >>> report.ok, len(report.errors), len(report.warnings), len(report.infos)
    (True, 0, 1, 4)

    Attributes:
        issues: Every issue, in the order the checks found them.
        rules_evaluated: How many (rule, subject, period) evaluations ran.
    """

    issues: tuple[Issue, ...] = attrs.field(converter=_issue_tuple)
    rules_evaluated: int = 0

    def __iter__(self) -> Iterator[Issue]:
        return iter(self.issues)

    def __len__(self) -> int:
        return len(self.issues)

    @property
    def ok(self) -> bool:
        """Whether no issue is an error."""
        return not any(i.severity is Severity.ERROR for i in self.issues)

    def _of(self, severity: Severity) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity is severity)

    @property
    def errors(self) -> tuple[Issue, ...]:
        """The issues of severity error."""
        return self._of(Severity.ERROR)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """The issues of severity warning."""
        return self._of(Severity.WARNING)

    @property
    def infos(self) -> tuple[Issue, ...]:
        """The issues of severity info."""
        return self._of(Severity.INFO)

    def codes(self) -> Counter[str]:
        """How many issues of each code."""
        return Counter(i.code for i in self.issues)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (see :meth:`to_json`)."""
        return {
            "format": REPORT_FORMAT,
            "format_version": REPORT_FORMAT_VERSION,
            "ok": self.ok,
            "counts": {
                "error": len(self.errors),
                "warning": len(self.warnings),
                "info": len(self.infos),
            },
            "rules_evaluated": self.rules_evaluated,
            "issues": [i.to_dict() for i in self.issues],
        }

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Returned from a web endpoint, a report is written as :meth:`to_dict` gives it."""
        return result_core_schema(cls, cls.to_dict)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        """The JSON Schema of :meth:`to_dict` (and of :meth:`to_json`)."""
        count = {"type": "integer", "minimum": 0}
        return {
            "title": "ValidationReport",
            "description": "Everything validation found, in the order the checks ran.",
            "type": "object",
            "properties": {
                "format": {"const": REPORT_FORMAT},
                "format_version": {"const": REPORT_FORMAT_VERSION},
                "ok": {"type": "boolean", "description": "Whether no issue is an error."},
                "counts": {
                    "type": "object",
                    "properties": {"error": count, "warning": count, "info": count},
                    "required": ["error", "warning", "info"],
                    "additionalProperties": False,
                },
                "rules_evaluated": count,
                "issues": {"type": "array", "items": _issue_json_schema()},
            },
            "required": [
                "format",
                "format_version",
                "ok",
                "counts",
                "rules_evaluated",
                "issues",
            ],
            "additionalProperties": False,
        }

    def to_json(self, *, indent: int | None = 1) -> str:
        """The report as JSON: ``format`` ``antq-validation`` version 1.

        Each issue carries its stable ``code``, ``severity``, ``where`` (kind,
        id, row, field, path, file as known), both messages and its
        ``details``. Programs should key on ``code`` and ``details``, never
        on message text.
        """
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_text(self, lang: Lang = "vi") -> str:
        """The report for a person: a summary line, then errors, warnings and infos.

        Raises:
            InvalidValueError: ``lang`` is neither ``"vi"`` nor ``"en"``.
        """
        check_lang(lang)
        labels = _LABELS[lang]
        counts = (len(self.errors), len(self.warnings), len(self.infos))
        head = labels["summary"].format(*counts)
        lines = [head]
        for issue in sorted(self.issues, key=_sort_key):
            label = labels[issue.severity.value]
            lines.append(f"{label} [{issue.code}] {issue.where}: {issue.message(lang)}")
        return "\n".join(lines) + "\n"


_LABELS: Final = {
    "vi": {
        "summary": "{} lỗi, {} cảnh báo, {} thông tin.",
        "error": "LỖI",
        "warning": "CẢNH BÁO",
        "info": "THÔNG TIN",
    },
    "en": {
        "summary": "{} errors, {} warnings, {} infos.",
        "error": "ERROR",
        "warning": "WARNING",
        "info": "INFO",
    },
}
