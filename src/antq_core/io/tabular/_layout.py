"""The tables of a dataset in a spreadsheet: sheets (or CSV files), their columns and headers.

English headers are the field names; Vietnamese headers are what an officer
reads. Reading accepts either, whatever the language of the rest of the file.
"""

from __future__ import annotations

import enum
from typing import Final

import attrs

from antq_core._entities import AggregationType, MetricKind, OrganizationKind, ParticipantRole
from antq_core._values.geo import AdminLevel
from antq_core._values.quantity import Qualifier

__all__ = ["TABLES", "Column", "Kind", "Table", "table_by_name"]


class Kind(enum.Enum):
    """How a column's cells are written and read."""

    TEXT = "text"
    """Free text (names, notes); empty is none."""
    INT = "int"
    """A whole number (member count, factor)."""
    VALUE = "value"
    """An observation's or a threshold's value: a number, or Vietnamese quantity text."""
    BOOL = "bool"
    """Yes or no (có / không)."""
    DATE = "date"
    """A calendar date: a date cell, or text 2017-07-13."""
    PERIOD = "period"
    """A period in its canonical text (2017, 2017Q3, 2016/2017, 2016-01-01/2017-07-13)."""
    LIST = "list"
    """Several items: ``a; b; c``, or a JSON array of strings when an item holds ``;``."""
    SLICE = "slice"
    """A disaggregation: ``sex=male; age=18_30``."""


@attrs.frozen
class Column:
    """One column of a table.

    Attributes:
        key: The field it holds (and the English header).
        vi: The Vietnamese header.
        kind: How its cells are written and read.
        required: A row must fill it.
        choices: The allowed codes, for a template's drop-down list.
        sensitive: Personal data, written only when asked for.
    """

    key: str
    vi: str
    kind: Kind = Kind.TEXT
    required: bool = False
    choices: str | None = None
    sensitive: bool = False

    def header(self, lang: str) -> str:
        """The header in ``lang``."""
        return self.vi if lang == "vi" else self.key


@attrs.frozen
class Table:
    """A sheet of a workbook, or a CSV file of a directory (``<key>.csv``).

    Attributes:
        key: English name: the CSV file stem and the English sheet name.
        vi: Vietnamese sheet name (at most 31 characters, as Excel allows).
        columns: Its columns, in order.
    """

    key: str
    vi: str
    columns: tuple[Column, ...]

    def name(self, lang: str) -> str:
        """The sheet name in ``lang``."""
        return self.vi if lang == "vi" else self.key


def _c(key: str, vi: str, kind: Kind = Kind.TEXT, **options: object) -> Column:
    return Column(key, vi, kind, **options)  # type: ignore[arg-type]


CHOICES: Final[dict[str, tuple[str, ...]]] = {
    "organization_kind": tuple(k.value for k in OrganizationKind),
    "qualifier": tuple(q.value for q in Qualifier),
    "metric_kind": tuple(k.value for k in MetricKind),
    "aggregation": tuple(a.value for a in AggregationType),
    "admin_level": tuple(a.value for a in AdminLevel),
    "role": tuple(r.value for r in ParticipantRole),
    "yes_no_vi": ("có", "không"),
    "yes_no_en": ("yes", "no"),
}
"""Code lists for the template's drop-downs; ``theme`` and ``unit`` come from the catalog."""

DATASET: Final = Table(
    "dataset",
    "Bộ dữ liệu",
    (_c("field", "Trường", required=True), _c("value", "Giá trị"), _c("meaning", "Ý nghĩa")),
)
"""Key and value rows: the metadata and the gazetteer's own fields."""

DATASET_FIELDS: Final = {
    "format": ("Định dạng tệp", "File format"),
    "format_version": ("Phiên bản định dạng", "Format version"),
    "title_vi": ("Tiêu đề (tiếng Việt)", "Title in Vietnamese"),
    "title_en": ("Tiêu đề (tiếng Anh)", "Title in English"),
    "report_date": ("Ngày báo cáo (2017-07-13)", "Report date (2017-07-13)"),
    "province": ("Mã tỉnh", "Province code"),
    "description": ("Mô tả", "Description"),
    "license": ("Điều kiện sử dụng", "Licence"),
    "gazetteer_version": ("Phiên bản danh mục hành chính", "Gazetteer version"),
    "gazetteer_title": ("Tên danh mục hành chính", "Gazetteer title"),
    "gazetteer_valid_from": ("Danh mục có hiệu lực từ", "Gazetteer valid from"),
    "gazetteer_valid_to": ("Danh mục có hiệu lực đến", "Gazetteer valid to"),
}
"""The rows of the dataset table: field → (Vietnamese meaning, English meaning)."""
DATASET_DATES: Final = ("report_date", "gazetteer_valid_from", "gazetteer_valid_to")

TABLES: Final = (
    DATASET,
    Table(
        "gazetteer_sources",
        "Nguồn danh mục hành chính",
        (_c("id", "Mã", required=True), _c("title", "Tên", required=True), _c("note", "Ghi chú")),
    ),
    Table(
        "admin_units",
        "Đơn vị hành chính",
        (
            _c("code", "Mã", required=True),
            _c("name", "Tên", required=True),
            _c("level", "Cấp", required=True, choices="admin_level"),
            _c("parent", "Mã đơn vị cấp trên"),
            _c("kind_vi", "Loại"),
            _c("valid_from", "Hiệu lực từ", Kind.DATE),
            _c("valid_to", "Hiệu lực đến", Kind.DATE),
            _c("local", "Mã nội bộ", Kind.BOOL),
        ),
    ),
    Table(
        "sources",
        "Nguồn",
        (
            _c("id", "Mã", required=True),
            _c("title", "Tiêu đề", required=True),
            _c("publisher", "Nơi đăng"),
            _c("published_on", "Ngày đăng", Kind.DATE),
            _c("author", "Tác giả"),
            _c("quoted", "Người được trích"),
            _c("url", "Địa chỉ"),
            _c("note", "Ghi chú"),
        ),
    ),
    Table(
        "themes",
        "Loại mô hình",
        (
            _c("id", "Mã", required=True),
            _c("name_vi", "Tên tiếng Việt", required=True),
            _c("name_en", "Tên tiếng Anh", required=True),
            _c("description", "Mô tả"),
        ),
    ),
    Table(
        "categories",
        "Phân tổ",
        (
            _c("id", "Mã", required=True),
            _c("name_vi", "Tên tiếng Việt", required=True),
            _c("name_en", "Tên tiếng Anh", required=True),
            _c("exhaustive", "Các lựa chọn là đủ (exhaustive)", Kind.BOOL),
        ),
    ),
    Table(
        "category_options",
        "Lựa chọn phân tổ",
        (
            _c("category", "Mã phân tổ", required=True),
            _c("id", "Mã", required=True),
            _c("name_vi", "Tên tiếng Việt", required=True),
            _c("name_en", "Tên tiếng Anh", required=True),
        ),
    ),
    Table(
        "metrics",
        "Chỉ tiêu",
        (
            _c("id", "Mã", required=True),
            _c("name_vi", "Tên tiếng Việt", required=True),
            _c("name_en", "Tên tiếng Anh", required=True),
            _c("unit", "Đơn vị tính", required=True, choices="unit"),
            _c("kind", "Loại chỉ tiêu", required=True, choices="metric_kind"),
            _c("space_aggregation", "Tổng hợp theo địa bàn", choices="aggregation"),
            _c("time_aggregation", "Tổng hợp theo thời gian", choices="aggregation"),
            _c("categories", "Phân tổ", Kind.LIST),
            _c("numerator", "Tử số"),
            _c("denominator", "Mẫu số"),
            _c("factor", "Hệ số", Kind.INT),
            _c("threshold_value", "Ngưỡng", Kind.VALUE),
            _c("threshold_unit", "Đơn vị ngưỡng", choices="unit"),
            _c("threshold_qualifier", "Mức ngưỡng", choices="qualifier"),
            _c("description", "Mô tả"),
            _c("signed", "Có dấu (số tăng/giảm)", Kind.BOOL),
        ),
    ),
    Table(
        "initiatives",
        "Mô hình",
        (
            _c("id", "Mã", required=True),
            _c("name_vi", "Tên mô hình", required=True),
            _c("name_en", "Tên tiếng Anh"),
            _c("theme", "Loại mô hình", required=True, choices="theme"),
            _c("scope", "Mã đơn vị thực hiện"),
            _c("started", "Bắt đầu (kỳ)", Kind.PERIOD),
            _c("typical", "Tiêu biểu", Kind.BOOL),
            _c("lead_bodies", "Cơ quan chủ trì", Kind.LIST),
            _c("partner_bodies", "Cơ quan phối hợp", Kind.LIST),
            _c("description_vi", "Mô tả (tiếng Việt)"),
            _c("description_en", "Mô tả (tiếng Anh)"),
            _c("sources", "Nguồn", Kind.LIST),
            _c("note", "Ghi chú"),
        ),
    ),
    Table(
        "outcomes",
        "Kết quả mô hình",
        (
            _c("initiative", "Mã mô hình", required=True),
            _c("text_vi", "Kết quả (tiếng Việt)", required=True),
            _c("text_en", "Kết quả (tiếng Anh)"),
            _c("source", "Nguồn"),
        ),
    ),
    Table(
        "sites",
        "Điểm mô hình",
        (
            _c("id", "Mã", required=True),
            _c("initiative", "Mã mô hình", required=True),
            _c("admin_units", "Mã đơn vị hành chính", Kind.LIST, required=True),
            _c("name_vi", "Tên điểm"),
            _c("started", "Bắt đầu (kỳ)", Kind.PERIOD),
            _c("example", "Điển hình", Kind.BOOL),
            _c("agreement_title_vi", "Quy chế phối hợp"),
            _c("agreement_parties", "Các bên ký quy chế", Kind.LIST),
            _c("agreement_signed", "Ngày ký quy chế (kỳ)", Kind.PERIOD),
            _c("agreement_source", "Nguồn quy chế"),
            _c("note", "Ghi chú"),
        ),
    ),
    Table(
        "organizations",
        "Tổ chức quần chúng",
        (
            _c("id", "Mã", required=True),
            _c("kind", "Loại tổ chức", required=True, choices="organization_kind"),
            _c("name_vi", "Tên tổ chức", required=True),
            _c("admin_unit", "Mã đơn vị hành chính", required=True),
            _c("established_on", "Ngày thành lập", Kind.DATE),
            _c("member_count", "Số thành viên", Kind.INT),
            _c("initiative", "Mã mô hình"),
            _c("note", "Ghi chú"),
        ),
    ),
    Table(
        "participants",
        "Người tham gia",
        (
            _c("id", "Mã", required=True),
            _c("roles", "Vai trò", Kind.LIST, required=True),
            _c("admin_unit", "Mã đơn vị cư trú"),
            _c("initiative", "Mã mô hình"),
            _c("organization", "Mã tổ chức"),
            _c("note_vi", "Ghi chú"),
            _c("full_name", "Họ và tên", sensitive=True),
            _c("identity_number", "Số CMND/CCCD", sensitive=True),
            _c("birth_date", "Ngày sinh", Kind.DATE, sensitive=True),
        ),
    ),
    Table(
        "observations",
        "Số liệu",
        (
            _c("metric", "Chỉ tiêu", required=True),
            _c("subject", "Đối tượng", required=True),
            _c("period", "Kỳ", Kind.PERIOD, required=True),
            _c("value", "Giá trị", Kind.VALUE, required=True),
            _c("unit", "Đơn vị tính", required=True, choices="unit"),
            _c("qualifier", "Mức độ chính xác", choices="qualifier"),
            _c("disaggregation", "Phân tổ", Kind.SLICE),
            _c("source", "Nguồn"),
            _c("note", "Ghi chú"),
        ),
    ),
)
"""Every table, in the order a workbook lists its sheets."""

_BY_NAME: Final = {name.casefold(): table for table in TABLES for name in (table.key, table.vi)}


def table_by_name(name: str) -> Table | None:
    """The table a sheet name or CSV file stem stands for (either language)."""
    return _BY_NAME.get(name.strip().casefold())
