"""What validation finds: issues with stable codes, where they are, and the report."""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Final

import attrs

from antq_core._values.period import Period
from antq_core._values.phrases import Lang, check_lang, format_date, format_number, format_period
from antq_core.errors import Location

__all__ = ["CODES", "Issue", "IssueCode", "Severity", "ValidationReport"]

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
    """

    code: str
    severity: Severity
    vi: str
    en: str


def _codes(*codes: IssueCode) -> Mapping[str, IssueCode]:
    return {c.code: c for c in codes}


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

# How a reported total and the registered count compare (antq_core.Reconciliation's sentence).
_RECONCILED_VI: Final = (
    "{place} ({unit_code}), {period}: báo cáo {reported_words}{reported} {noun}, "
    "đã đăng ký {registered_words}{registered}{registered_what}, chênh lệch {difference} "
    "(cho phép {allowed})."
)
_RECONCILED_EN: Final = (
    "{place} ({unit_code}), {period}: {reported_words}{reported} {noun} reported, "
    "{registered_words}{registered}{registered_what} registered, difference {difference} "
    "(allowed {allowed})."
)

CODES: Final[Mapping[str, IssueCode]] = _codes(
    # -- structure --------------------------------------------------------------------------
    IssueCode(
        "reference-unresolved",
        _E,
        "{owner} tham chiếu tới {target_kind} '{target}' không có trong bộ dữ liệu.",
        "{owner} refers to {target_kind} '{target}', which the dataset does not have.",
    ),
    IssueCode(
        "gazetteer-duplicate-code",
        _E,
        "Mã đơn vị hành chính '{code}' được dùng cho hai đơn vị ({name} và {other}).",
        "Administrative unit code '{code}' is used twice ({name} and {other}).",
    ),
    IssueCode(
        "gazetteer-missing-parent",
        _E,
        "Đơn vị {name} ({code}) thuộc đơn vị cấp trên '{parent}' không có trong danh mục.",
        "Unit {name} ({code}) has parent '{parent}', which the gazetteer does not have.",
    ),
    IssueCode(
        "gazetteer-cycle",
        _E,
        "Các đơn vị hành chính tạo thành vòng lặp: {cycle}.",
        "Administrative units form a cycle: {cycle}.",
    ),
    IssueCode(
        "gazetteer-level-order",
        _E,
        "Đơn vị {name} ({code}, cấp {level}) không thấp hơn đơn vị cấp trên "
        "{parent} (cấp {parent_level}).",
        "Unit {name} ({code}, level {level}) is not below its parent {parent} "
        "(level {parent_level}).",
    ),
    IssueCode(
        "unit-not-valid-on-date",
        _E,
        "{owner}: đơn vị {unit} không tồn tại trong {period} ({validity}).",
        "{owner}: unit {unit} did not exist in {period} ({validity}).",
    ),
    IssueCode(
        "site-before-initiative",
        _E,
        "Điểm {site} bắt đầu ({site_period}) trước khi mô hình {initiative} bắt đầu "
        "({initiative_period}).",
        "Site {site} starts ({site_period}) before its initiative {initiative} "
        "({initiative_period}).",
    ),
    IssueCode(
        "observation-before-subject",
        _E,
        "Số liệu {metric} của {subject} thuộc {period}, kết thúc trước khi "
        "{subject} bắt đầu ({start_date}).",
        "Figure {metric} of {subject} is for {period}, which ends before {subject} "
        "began ({start_date}).",
    ),
    IssueCode(
        "observation-starts-before-subject",
        _W,
        "Số liệu {metric} của {subject} thuộc {period}, bắt đầu trước khi "
        "{subject} bắt đầu ({start_date}).",
        "Figure {metric} of {subject} is for {period}, which starts before {subject} "
        "began ({start_date}).",
    ),
    IssueCode(
        "period-in-future",
        _E,
        "{owner}: {period} bắt đầu sau ngày báo cáo {report_date}.",
        "{owner}: {period} starts after the report date, {report_date}.",
    ),
    IssueCode(
        "period-ongoing",
        _I,
        "{owner}: {period} kéo dài tới {end_date}, sau ngày báo cáo {report_date}: "
        "số liệu tính đến ngày báo cáo, chưa phải số cả kỳ.",
        "{owner}: {period} runs to {end_date}, after the report date {report_date}: "
        "the figure is so far, not for the whole period.",
    ),
    IssueCode(
        "unit-incompatible",
        _E,
        "Số liệu {metric} tính bằng {unit}, không quy đổi được sang đơn vị của chỉ tiêu "
        "({metric_unit}).",
        "Figure {metric} is in {unit}, which does not convert to the metric's unit "
        "({metric_unit}).",
    ),
    IssueCode(
        "value-invalid",
        _E,
        "Giá trị {value} của {metric} không hợp lệ với đơn vị {unit}: {reason}.",
        "Value {value} of {metric} is not valid in {unit}: {reason}.",
    ),
    IssueCode(
        "qualifier-not-allowed",
        _E,
        "Chỉ tiêu {metric} ({kind}) không nhận giá trị '{qualifier}': {reason}.",
        "Metric {metric} ({kind}) does not take '{qualifier}' values: {reason}.",
    ),
    IssueCode(
        "disaggregation-not-allowed",
        _E,
        "Chỉ tiêu {metric} không được phân tổ theo '{category}'.",
        "Metric {metric} is not broken down by '{category}'.",
    ),
    IssueCode(
        "disaggregation-option-unknown",
        _E,
        "Phân tổ '{category}' không có lựa chọn '{option}'.",
        "Category '{category}' has no option '{option}'.",
    ),
    IssueCode(
        "organization-before-law",
        _E,
        "Tổ chức {organization} là Tổ bảo vệ ANTT ở cơ sở nhưng thành lập ngày "
        "{established_date}, trước ngày Luật 30/2023/QH15 có hiệu lực ({law_date}).",
        "Organization {organization} is a grassroots security and order team but was "
        "set up on {established_date}, before Law 30/2023/QH15 took effect ({law_date}).",
    ),
    # -- duplicates and conflicts ---------------------------------------------------------------
    IssueCode(
        "duplicate-observation",
        _W,
        "Số liệu {metric} của {subject} ({period}) được ghi {count} lần với cùng giá trị "
        "(dòng {rows}).",
        "Figure {metric} of {subject} ({period}) is recorded {count} times with the same "
        "value (rows {rows}).",
    ),
    IssueCode(
        "conflicting-observations",
        _E,
        "Số liệu {metric} của {subject} ({period}) có các giá trị khác nhau: {values} "
        "(dòng {rows}; nguồn {sources}).",
        "Figure {metric} of {subject} ({period}) has different values: {values} "
        "(rows {rows}; sources {sources}).",
    ),
    # -- double counting ------------------------------------------------------------------------
    IssueCode(
        "overlapping-periods",
        _W,
        "Chỉ tiêu {metric} của {subject} có các kỳ chồng lấn nhau ({periods}, dòng {rows}): "
        "cộng lại sẽ tính trùng.",
        "Metric {metric} of {subject} has overlapping periods ({periods}, rows {rows}): "
        "adding them would count twice.",
    ),
    IssueCode(
        "site-spans-parents",
        _W,
        "Điểm {site} trải trên các đơn vị thuộc nhiều {level} khác nhau ({parents}): "
        "khi tổng hợp theo {level} chỉ được tính một lần, ở {anchor}.",
        "Site {site} covers units under different units of level {level} ({parents}): "
        "a roll-up by {level} may count it only once, at {anchor}.",
    ),
    IssueCode(
        "parts-exceed-total",
        _E,
        "Tổng các phần theo '{category}' của {metric} ({subject}, {period}) là {parts}, "
        "lớn hơn tổng số {total}.",
        "The parts by '{category}' of {metric} ({subject}, {period}) add to {parts}, "
        "more than the total {total}.",
    ),
    IssueCode(
        "parts-may-exceed-total",
        _W,
        "Tổng các phần theo '{category}' của {metric} ({subject}, {period}) là {parts}, "
        "có thể lớn hơn tổng số {total} (số ước tính).",
        "The parts by '{category}' of {metric} ({subject}, {period}) add to {parts}, "
        "which may be more than the total {total} (estimates).",
    ),
    IssueCode(
        "parts-exceed-subtotal",
        _E,
        "Tổng các phần theo '{category}' của {metric} ({subject}, {period}) trong nhóm "
        "{within} là {parts}, lớn hơn số {total} đã báo cáo cho chính nhóm đó.",
        "The parts by '{category}' of {metric} ({subject}, {period}) within {within} "
        "add to {parts}, more than the {total} reported for {within} itself.",
    ),
    IssueCode(
        "parts-may-exceed-subtotal",
        _W,
        "Tổng các phần theo '{category}' của {metric} ({subject}, {period}) trong nhóm "
        "{within} là {parts}, có thể lớn hơn số {total} đã báo cáo cho chính nhóm đó "
        "(số ước tính).",
        "The parts by '{category}' of {metric} ({subject}, {period}) within {within} "
        "add to {parts}, which may be more than the {total} reported for {within} itself "
        "(estimates).",
    ),
    # -- statutory security and order teams (Law 30/2023/QH15) --------------------------------
    IssueCode(
        "team-without-leader",
        _W,
        "Tổ bảo vệ ANTT ở cơ sở {organization} có {count} người tham gia được ghi nhận nhưng "
        "không ai là tổ trưởng, trong khi Luật 30/2023/QH15 quy định tổ có tổ trưởng: "
        "có thể danh sách chưa đầy đủ.",
        "Grassroots security and order team {organization} has {count} participants recorded "
        "but no leader (tổ trưởng), which Law 30/2023/QH15 requires: the records may be "
        "incomplete.",
    ),
    IssueCode(
        "member-under-age",
        _E,
        "Người tham gia {participant} của Tổ bảo vệ ANTT ở cơ sở {organization} chưa đủ "
        "{bound} tuổi vào ngày tổ được thành lập; Luật 30/2023/QH15 yêu cầu thành viên "
        "từ đủ {bound} tuổi.",
        "Participant {participant} of grassroots security and order team {organization} was "
        "under {bound} on the day the team was set up; Law 30/2023/QH15 requires members to "
        "be {bound} or older.",
    ),
    IssueCode(
        "member-over-age",
        _W,
        "Người tham gia {participant} của Tổ bảo vệ ANTT ở cơ sở {organization} đã trên "
        "{bound} tuổi vào ngày tổ được thành lập; theo Luật 30/2023/QH15, người trên {bound} "
        "tuổi chỉ tham gia khi bảo đảm sức khỏe và được Chủ tịch Ủy ban nhân dân cấp xã "
        "quyết định.",
        "Participant {participant} of grassroots security and order team {organization} was "
        "over {bound} on the day the team was set up; under Law 30/2023/QH15 a person over "
        "{bound} serves only in good health and by decision of the chair of the commune "
        "People's Committee.",
    ),
    # -- rates ----------------------------------------------------------------------------------
    IssueCode(
        "ratio-mismatch",
        _W,
        "Tỷ lệ {metric} của {subject} ({period}{slice}) được báo cáo là {reported} {unit}, "
        "nhưng tính lại từ {numerator} = {numerator_value} {numerator_unit} và {denominator} = "
        "{denominator_value} {denominator_unit} thì được {recomputed} {unit} (chênh lệch "
        "{difference}, cho phép {allowed}; dòng {rows}).",
        "Rate {metric} of {subject} ({period}{slice}) is reported as {reported} {unit}, but "
        "{numerator} = {numerator_value} {numerator_unit} and {denominator} = "
        "{denominator_value} {denominator_unit} give {recomputed} {unit} (difference "
        "{difference}, allowed {allowed}; rows {rows}).",
    ),
    IssueCode(
        "ratio-zero-denominator",
        _W,
        "Tỷ lệ {metric} của {subject} ({period}{slice}) được báo cáo là {reported} {unit}, "
        "nhưng mẫu số {denominator} bằng 0: không có tỷ lệ nào để báo cáo (dòng {rows}).",
        "Rate {metric} of {subject} ({period}{slice}) is reported as {reported} {unit}, but "
        "its denominator {denominator} is 0: there is no rate to report (rows {rows}).",
    ),
    # -- reconciliation -------------------------------------------------------------------------
    IssueCode(
        "reconcile-mismatch",
        _W,
        "Tổng số báo cáo không khớp với số {entities} đã đăng ký: " + _RECONCILED_VI,
        "A reported total does not match the registered {entities}: " + _RECONCILED_EN,
    ),
    IssueCode(
        "reconcile-nothing-registered",
        _I,
        _RECONCILED_VI + " Bộ dữ liệu không đăng ký {entities} nào thuộc {place}: không có gì "
        "để đối chiếu, danh mục chỉ không liệt kê chúng.",
        _RECONCILED_EN + " The dataset registers no {entities} under {place}: there is nothing "
        "to reconcile against; the registry simply does not list them.",
    ),
    IssueCode(
        "reconcile-registry-partial",
        _I,
        _RECONCILED_VI + " Các {entities} đã đăng ký có những điểm nguồn chỉ nêu làm ví dụ "
        "({examples}), không phải danh sách đầy đủ: số đăng ký ít hơn là đương nhiên.",
        _RECONCILED_EN + " The registered {entities} include ones the source names only as "
        "examples ({examples}), not the full list: fewer registered is expected.",
    ),
    IssueCode(
        "reconcile-not-comparable",
        _I,
        "Không đối chiếu được tổng số báo cáo với số đã đăng ký: {place} ({unit_code}), "
        "{period}: báo cáo {reported_words}{reported} {noun}; {registered_part} ({basis}).",
        "A reported total cannot be reconciled with the registry: {place} ({unit_code}), "
        "{period}: {reported_words}{reported} {noun} reported; {registered_part} ({basis}).",
    ),
    # -- rules ----------------------------------------------------------------------------------
    IssueCode(
        "rule-violated",
        _E,
        "Quy tắc '{rule_name}' không thỏa với {subject}, {period}: {left_text} = {left} "
        "{operator} {right_text} = {right}.",
        "Rule '{rule_name}' fails for {subject}, {period}: {left_text} = {left} "
        "{operator} {right_text} = {right}.",
    ),
    IssueCode(
        "rule-possibly-violated",
        _W,
        "Quy tắc '{rule_name}' có thể không thỏa với {subject}, {period} (có số ước tính): "
        "{left_text} = {left} {operator} {right_text} = {right}.",
        "Rule '{rule_name}' may fail for {subject}, {period} (estimates involved): "
        "{left_text} = {left} {operator} {right_text} = {right}.",
    ),
    IssueCode(
        "rule-inconclusive",
        _I,
        "Quy tắc '{rule_name}' chưa kết luận được với {subject}, {period}: các số liệu "
        "(cận trên, cận dưới) chưa đủ để kết luận ({left_text} = {left}, "
        "{right_text} = {right}).",
        "Rule '{rule_name}' cannot be decided for {subject}, {period}: the figures as "
        "reported (bounds) do not settle it ({left_text} = {left}, {right_text} = {right}).",
    ),
    IssueCode(
        "rule-unknown-reference",
        _E,
        "Quy tắc '{rule_name}' dùng {target_kind} '{target}' không có trong bộ dữ liệu.",
        "Rule '{rule_name}' uses {target_kind} '{target}', which the dataset does not have.",
    ),
    IssueCode(
        "rule-invalid",
        _E,
        "Quy tắc '{rule_name}' không dùng được: {reason}.",
        "Rule '{rule_name}' cannot be used: {reason}.",
    ),
    # -- text -----------------------------------------------------------------------------------
    IssueCode(
        "text-not-nfc",
        _I,
        "Văn bản tại {path} không ở dạng chuẩn NFC; đã chuẩn hóa khi đọc.",
        "Text at {path} was not in Unicode NFC; it was normalised when read.",
    ),
    IssueCode(
        "probable-duplicate-name",
        _W,
        "{kind_vi} '{name}' và '{other}' trong {parent} {how_vi}: có thể là một.",
        "{kind_en} '{name}' and '{other}' in {parent} {how_en}: probably the same one.",
    ),
)
"""Every issue code, with its usual severity and messages. Codes never change meaning."""


Detail = str | int | Decimal | bool | None | tuple[str, ...]
"""A value in an issue's details: JSON-ready once decimals are written as strings."""


def _freeze(details: Mapping[str, Any]) -> tuple[tuple[str, Detail], ...]:
    return tuple(
        (key, tuple(map(str, value)) if isinstance(value, list | tuple) else value)
        for key, value in details.items()
    )


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


def _render(details: tuple[tuple[str, Detail], ...], lang: Lang) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in details:
        values[key] = _render_one(key, value, lang)
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
