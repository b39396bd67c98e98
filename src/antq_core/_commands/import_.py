"""``antq import``: read CSV files or an Excel workbook into a dataset JSON file."""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

from antq_core._commands._common import EXIT_OK, fail
from antq_core.errors import AntqError, TabularLoadError, TabularNotice
from antq_core.io.tabular import read_tabular


def register(commands: Any) -> None:
    """Add ``antq import`` to ``commands`` (argparse subparsers)."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "import",
        help="read CSV files or an Excel workbook into a dataset JSON file",
        description="Read a directory of CSV files or an .xlsx workbook (as 'antq export' "
        "or 'antq template' write them) and write the dataset as JSON. Every problem is "
        "listed with its file, sheet, row and column; nothing is written then.",
    )
    parser.add_argument("file", metavar="FILE", help="CSV directory or .xlsx workbook")
    parser.add_argument(
        "--out", metavar="PATH", help="dataset JSON file to write (default: standard output)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Import; exit code 0, or 2 with every located problem on stderr."""
    try:
        with warnings.catch_warnings(record=True) as notices:
            warnings.simplefilter("always", TabularNotice)
            dataset = read_tabular(args.file)
    except TabularLoadError as e:
        lines = [f"antq: cannot import {e.source}: {len(e.problems) + e.omitted} problem(s)"]
        lines += [f"  {p}" for p in e.problems]
        if e.omitted:
            lines.append(f"  ... and {e.omitted} more not listed")
        print("\n".join(lines), file=sys.stderr)
        return 2
    except AntqError as e:
        return fail(str(e))
    for notice in notices:
        if isinstance(notice.message, TabularNotice):
            print(f"antq: notice: {notice.message.problem}", file=sys.stderr)
        else:  # pragma: no cover - nothing else warns while reading
            warnings.showwarning(notice.message, notice.category, notice.filename, notice.lineno)
    try:
        if args.out:
            dataset.dump(args.out)
        else:
            sys.stdout.write(dataset.dumps(include_sensitive=True))
    except AntqError as e:  # ExportError: the previous file is intact
        return fail(str(e))
    return EXIT_OK
