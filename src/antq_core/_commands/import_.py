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
        "listed with its file, sheet, row and column; nothing is written then. "
        "Participants' personal data (names, identity numbers, birth dates) is left out, "
        "with a notice saying so, unless --include-sensitive is given.",
    )
    parser.add_argument("file", metavar="FILE", help="CSV directory or .xlsx workbook")
    parser.add_argument(
        "--out", metavar="PATH", help="dataset JSON file to write (default: standard output)"
    )
    parser.add_argument(
        "--include-sensitive",
        action="store_true",
        help="keep participants' names, identity numbers and birth dates in the output",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Import; exit code 0, or 2 with every located problem on stderr."""
    try:
        with warnings.catch_warnings(record=True) as notices:
            warnings.simplefilter("always", TabularNotice)
            dataset = read_tabular(args.file)
    except TabularLoadError as e:
        print(f"antq: {e.describe()}", file=sys.stderr)  # every problem kept, not only 20
        return 2
    except AntqError as e:
        return fail(str(e))
    for notice in notices:
        if isinstance(notice.message, TabularNotice):
            print(f"antq: notice: {notice.message.problem}", file=sys.stderr)
        else:  # pragma: no cover - nothing else warns while reading
            warnings.showwarning(notice.message, notice.category, notice.filename, notice.lineno)
    keep = bool(args.include_sensitive)
    personal = sum(p.has_sensitive_data for p in dataset.participants.values())
    if personal and not keep:
        print(
            f"antq: notice: personal data of {personal} participant(s) left out "
            "(names, identity numbers, birth dates); pass --include-sensitive to keep it",
            file=sys.stderr,
        )
    try:
        if args.out:
            dataset.dump(args.out, include_sensitive=keep)
        else:
            sys.stdout.write(dataset.dumps(include_sensitive=keep))
    except AntqError as e:  # ExportError: the previous file is intact
        return fail(str(e))
    return EXIT_OK
