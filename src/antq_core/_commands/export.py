"""``antq export``: write a dataset as CSV files or an Excel workbook."""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

from antq_core._commands._common import EXIT_OK, add_file_argument, add_lang_argument, fail, load
from antq_core.errors import AntqError, TabularNotice
from antq_core.io.tabular import export_tabular


def register(commands: Any) -> None:
    """Add ``antq export`` to ``commands`` (argparse subparsers)."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "export",
        help="write a dataset as CSV files or an Excel workbook",
        description="Write a dataset as tables: a directory with one CSV file per table, or "
        "one .xlsx workbook with a sheet per table. Participants' personal data is left "
        "out unless --include-sensitive is given. Without FILE, the bundled sample.",
    )
    add_file_argument(parser)
    parser.add_argument(
        "--format", choices=("csv", "xlsx"), default="csv", help="csv (a directory) or xlsx"
    )
    parser.add_argument(
        "--out", required=True, metavar="PATH", help="directory (csv) or .xlsx file to write"
    )
    add_lang_argument(parser, "language of headers and numbers")
    parser.add_argument(
        "--include-sensitive",
        action="store_true",
        help="also write participants' names, identity numbers and birth dates",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Export; exit code 0, or 2 when the dataset cannot be read or written."""
    dataset = load(args.file)
    if isinstance(dataset, int):
        return dataset
    try:
        with warnings.catch_warnings(record=True) as notices:
            warnings.simplefilter("always", TabularNotice)
            export_tabular(
                dataset,
                args.out,
                args.format,
                lang=args.lang,
                include_sensitive=args.include_sensitive,
            )
    except (AntqError, OSError) as e:
        return fail(str(e))
    for notice in notices:
        if isinstance(notice.message, TabularNotice):
            print(f"antq: notice: {notice.message.problem}", file=sys.stderr)
        else:  # pragma: no cover - nothing else warns while writing
            warnings.showwarning(notice.message, notice.category, notice.filename, notice.lineno)
    return EXIT_OK
