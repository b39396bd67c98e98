"""CSV and Excel: a dataset as tables that officers can read and fill in, and back.

The layout (``_layout``) is shared by both formats: one CSV file per
table in a directory, or one sheet per table in a workbook. Reading
(``_read``) reports every problem at once, located by file, sheet, row
and column, in Vietnamese and English.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from antq_core._dataset.catalog import builtin_catalog
from antq_core._util.progress import gc_paused
from antq_core._values.phrases import check_lang
from antq_core.errors import InvalidValueError, ProblemList, TabularLoadError, TabularNotice
from antq_core.io.tabular._read import build_dataset, problem_in

if TYPE_CHECKING:
    from antq_core._dataset.dataset import Dataset
    from antq_core._entities import Submission
    from antq_core.io.tabular._submission import Source

__all__ = [
    "export_tabular",
    "read_submission",
    "read_tabular",
    "write_template",
]


def _check_format(format: object) -> None:  # noqa: A002 - the CLI option's name
    if format not in ("csv", "xlsx"):
        raise InvalidValueError("tabular format", format, "use 'csv' or 'xlsx'")


def export_tabular(
    dataset: Dataset,
    path: str | Path,
    format: Literal["csv", "xlsx"] = "csv",  # noqa: A002 - the CLI option's name
    *,
    lang: Literal["vi", "en"] = "vi",
    include_sensitive: bool = False,
) -> Path:
    """Write ``dataset`` as tables: a directory of CSV files or one Excel workbook.

    Every entity kind gets its own table (CSV file ``<kind>.csv`` or sheet),
    and so do the observations, the gazetteer's units and sources, the
    categories' options and the initiatives' outcomes; the ``dataset`` table
    holds the metadata and the gazetteer's own fields. :func:`read_tabular`
    reads either back into an equal dataset.

    Text that a spreadsheet would run as a formula (starting with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return) is written with a
    leading ``'``, and a genuine leading ``'`` is doubled; reading undoes
    both. A workbook holds numeric cells, formatted with grouped thousands,
    and dates as date cells; a number Excel cannot hold exactly (more than 15
    significant digits, or an integer from 2^53) is written as text with every
    digit, which :func:`read_tabular` reads back exactly, and a
    :class:`~antq_core.errors.TabularNotice` warning per column says so (``antq
    export`` prints them).

    Args:
        dataset: What to write.
        path: The directory (CSV; created if needed) or the ``.xlsx`` file.
        format: ``"csv"`` or ``"xlsx"`` (needs ``pip install 'antq_core[excel]'``).
        lang: Language of the headers and sheet names, and the number format
            of CSV values (``5,8`` in ``vi``, ``5.8`` in ``en``).
        include_sensitive: Write participants' names, identity numbers and
            birth dates; left out by default.

    Returns:
        The path written.

    Raises:
        InvalidValueError: ``format`` or ``lang`` is not one of the choices.
        MissingExtraError: ``xlsx`` without openpyxl installed.
        ExportError: A text cannot be stored in a workbook (a control character), or
            the target cannot be written. The target is replaced atomically: on any
            failure the previous file (or directory of CSV files) is intact.
    """
    _check_format(format)
    check_lang(lang)
    target = Path(path)
    if format == "csv":
        from antq_core.io.tabular._csv import write_csv_dir

        write_csv_dir(dataset, target, lang=lang, include_sensitive=include_sensitive)
    else:
        from antq_core.io.tabular._xlsx import write_workbook

        write_workbook(dataset, target, lang=lang, include_sensitive=include_sensitive)
    return target


def write_template(
    path: str | Path,
    format: Literal["xlsx"] = "xlsx",  # noqa: A002 - the CLI option's name
    *,
    lang: Literal["vi", "en"] = "vi",
    dataset: Dataset | None = None,
    form: str | None = None,
    unit: str | None = None,
    period: str | None = None,
) -> Path:
    """Write an empty workbook for officers to fill in, and read back with :func:`read_tabular`.

    With ``form``, ``unit`` and ``period`` (and the ``dataset`` that has the
    form), the workbook is instead one unit's report on that form: a sheet
    with a row per metric of the form (and per option of its breakdowns),
    Vietnamese names and units filled in, the unit and period on every row,
    a value column to fill in, and drop-downs of Vietnamese labels (English
    with ``lang="en"``) for the qualifier (``"khoảng"``) and for each
    metric's breakdown (``"Giới tính: Nữ"``, filled in on its row); an
    instructions sheet with the due and closing dates; and a lists sheet
    (``Danh mục``) with each choice beside its code. Every sheet prints
    landscape, fitted to the page's width, with wrapped rows.
    :func:`read_submission` reads it back as a :class:`~antq_core.Submission`
    (rows left blank are no figures), the labels back to their codes.

    It has every table's sheet with its headers, drop-down lists of the codes
    an enumeration allows (organization kind, initiative theme, unit,
    qualifier, metric kind, aggregation, administrative level, role, yes/no),
    period and code columns formatted as text so Excel keeps ``2017-05`` as
    written, and an instructions sheet in Vietnamese and English (value cells
    take Vietnamese quantity text such as ``"trên 58 nghìn"`` or ``"4.810"``).

    Raises:
        InvalidValueError: ``format`` is not ``"xlsx"``, or ``lang`` is not a choice;
            for a form's template, the form, unit or period is not the dataset's.
        UnresolvedReferenceError: The form names a metric or category the dataset lacks.
        MissingExtraError: openpyxl is not installed.
    """
    if format != "xlsx":
        raise InvalidValueError("template format", format, "templates are 'xlsx' workbooks")
    check_lang(lang)
    if form is not None or unit is not None or period is not None:
        if dataset is None or form is None or unit is None or period is None:
            reason = "a form's template needs the dataset, the form, the unit and the period"
            raise InvalidValueError("template", form, reason)
        from antq_core.io.tabular._form_template import write_form_template

        return write_form_template(path, dataset, form, unit, period, lang=lang)
    from antq_core.io.tabular._xlsx import write_template_workbook

    themes = tuple(t.id for t in builtin_catalog().themes)
    target = Path(path)
    write_template_workbook(target, lang=lang, themes=themes)
    return target


def read_tabular(path: str | Path | bytes | IO[bytes], *, progress: bool | None = None) -> Dataset:
    """Read a dataset from a CSV directory or an ``.xlsx`` workbook.

    Headers may be in Vietnamese or English (each table is read in the
    language of its headers, which also fixes how numbers written as text
    are read: ``4.810`` and ``5,8`` in a Vietnamese table). Value cells take
    numbers or Vietnamese quantity text (``"trên 58 nghìn"``), through
    :func:`~antq_core.text.parse_quantity`; a qualifier the text states must
    agree with the qualifier column when both are filled.

    Every problem is collected (the first 1,000 listed, the rest counted),
    each with its file, sheet, row and column and a message in both
    languages; a dataset is returned only when there is none. Formula cells,
    merged cells, dates typed as text or as Excel serial numbers, numbers in
    the other locale's format, duplicate ids, files not in UTF-8 and empty
    files are all reported, not guessed; so is a table whose file or sheet
    is missing (an export writes every table, an empty one with its header).

    A workbook is read by the library itself, trusting nothing in it: every
    row that is there is read, whatever the sheet's ``<dimension>`` says; a
    cell that holds what its type cannot (a number cell with text or
    ``1e400``, a boolean ``x``, a date ``2017-02-30``, a shared string that
    does not exist, an error value, date serial 60, 0 or negative) is a
    located problem; a truncated part, a DTD, or a sheet the workbook
    declares without holding it is a problem of that sheet. Each part may be
    at most 256 MB once decompressed, and a workbook at most 2,000,000 shared
    strings and 10,000,000 cells; beyond that the problem says to use CSV.
    Hidden sheets and hidden rows are read like the others, each with a
    :class:`~antq_core.errors.TabularNotice` warning.

    Args:
        path: A directory of CSV files, or an ``.xlsx`` workbook: its path, its
            bytes, or a binary file object (a web upload needs no temporary file).
        progress: Show a progress bar on stderr while reading the
            observations; ``None`` (default) shows one when stderr is a terminal.

    Raises:
        TabularLoadError: The input has problems;
            :attr:`~antq_core.errors.LoadError.problems` lists them.
        MissingExtraError: A workbook, without defusedxml (the ``[excel]`` extra) installed.
    """
    problems = ProblemList()
    if not isinstance(path, str | Path):
        from antq_core.io.tabular._xlsx_read import read_workbook

        stream = io.BytesIO(path) if isinstance(path, bytes) else path
        if not stream.seekable():
            stream = io.BytesIO(stream.read())
        name = getattr(path, "name", None)
        source = name if isinstance(name, str) else "<upload>"
        sheets = read_workbook(stream, problems, progress=progress, name=source)
        try:
            with gc_paused():
                return build_dataset(sheets, source, problems)
        finally:
            for notice in problems.notices:
                warnings.warn(TabularNotice(notice), stacklevel=2)
    target = Path(path)
    source = str(target)
    if target.is_dir():
        from antq_core.io.tabular._csv import read_csv_dir

        sheets = read_csv_dir(target, problems, progress=progress)
    elif not target.exists():
        problem = problem_in(source, "Không có tệp hay thư mục này", "no such file or directory")
        raise TabularLoadError(source, [problem])
    elif target.suffix.lower() == ".csv":
        problem = problem_in(
            source,
            "Hãy đưa vào thư mục chứa các tệp CSV (dataset.csv, observations.csv...), "
            "không phải một tệp",
            "give the directory of CSV files (dataset.csv, observations.csv...), not one file",
        )
        raise TabularLoadError(source, [problem])
    else:
        from antq_core.io.tabular._xlsx_read import read_workbook

        sheets = read_workbook(target, problems, progress=progress)
    try:
        with gc_paused():
            return build_dataset(sheets, source, problems)
    finally:
        for notice in problems.notices:
            warnings.warn(TabularNotice(notice), stacklevel=2)


def read_submission(
    source: Source,
    *,
    dataset: Dataset | None = None,
    format: Literal["csv", "xlsx"] | None = None,  # noqa: A002 - the CLI option's name
    sheet: str | None = None,
    form: str | None = None,
    subject: str | None = None,
    period: str | None = None,
    stored_by: str | None = None,
) -> Submission:
    r"""Read one unit's report from a table: a CSV file, or a sheet of an ``.xlsx`` workbook.

    ``source`` is a path, the file's bytes, or a binary file object, so a web
    upload needs no temporary file. The table has a header row, then one
    figure per row; headers may be Vietnamese or English:
    ``chỉ tiêu``/``metric`` and ``giá trị``/``value`` are required;
    ``đơn vị tính``/``unit``, ``mức chính xác``/``qualifier``,
    ``phân tổ``/``disaggregation``, ``nguồn``/``source``
    and ``ghi chú``/``note`` are optional, and ``biểu mẫu``/``form``,
    ``đối tượng``/``subject`` and ``kỳ báo cáo``/``period`` may be columns
    (the same on every row) or arguments. Other columns are ignored. A value
    is a number, or Vietnamese quantity text (``"trên 58 nghìn"``, read in
    the unit column's unit or, given ``dataset``, the metric's).

    A qualifier is its code (``approximately``) or a template's label
    (``"khoảng"``, ``"trên / ít nhất"``...); a breakdown is its codes
    (``sex=female``, comma-separated) or a template's labels
    (``"Giới tính: Nữ"``, parts separated by ``;``), read from the dataset's
    categories (given ``dataset``) and from the workbook's own lists sheet. A
    label is matched exactly, after NFC normalisation and trimming; one
    that is neither is a problem at its cell.

    Each item keeps its row (and, in a workbook, its sheet and the value's
    cell), so that :meth:`Dataset.apply <antq_core.Dataset.apply>` locates
    every conflict in the file.

    >>> from antq_core.io.tabular import read_submission
    >>> table = "chỉ tiêu,giá trị,đơn vị tính|tips_received,7,tip|mediation_cases,khoảng 3,case"
    >>> s = read_submission(
    ...     table.replace("|", chr(10)).encode(), subject="unit:00101", period="2025-05"
    ... )
    >>> [(i.metric, i.value, i.qualifier.value, i.row) for i in s.items]
    [('tips_received', 7, 'exact', 2), ('mediation_cases', 3, 'approximately', 3)]

    Args:
        source: The table.
        dataset: Where the metrics' units come from, for values written as text,
            and the categories' labels.
        format: ``"csv"`` or ``"xlsx"``; by default a workbook if ``source`` is a zip file.
        sheet: The workbook's sheet (the first by default).
        form: The form, if the table has no form column.
        subject: Who reports (``"unit:00101"``), if the table has no subject column.
        period: The period, if the table has no period column.
        stored_by: The account entering it.

    Raises:
        TabularLoadError: The table has problems, each located by file, sheet, row and cell.
        MissingExtraError: A workbook, without openpyxl (the ``[excel]`` extra).
    """
    from antq_core.io.tabular._submission import read_submission_table

    units = {} if dataset is None else {m.id: m.unit.code for m in dataset.metrics.values()}
    return read_submission_table(
        source,
        format=format,
        sheet=sheet,
        form=form,
        subject=subject,
        period=period,
        stored_by=stored_by,
        units=units,
        categories=() if dataset is None else tuple(dataset.categories.values()),
    )
