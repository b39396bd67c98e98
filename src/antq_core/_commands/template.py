"""``antq template``: write an empty workbook for officers to fill in."""

from __future__ import annotations

import argparse
from typing import Any

from antq_core._commands._common import EXIT_OK, add_lang_argument, fail
from antq_core.errors import AntqError
from antq_core.io.tabular import write_template


def register(commands: Any) -> None:
    """Add ``antq template`` to ``commands`` (argparse subparsers)."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "template",
        help="write an empty Excel workbook to fill in",
        description="Write an empty .xlsx workbook with every table's headers, drop-down "
        "lists of codes and an instructions sheet; 'antq import' reads it back.",
    )
    parser.add_argument("--format", choices=("xlsx",), default="xlsx", help="xlsx (the default)")
    parser.add_argument("--out", required=True, metavar="PATH", help=".xlsx file to write")
    add_lang_argument(parser, "language of headers and instructions")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the template; exit code 0, or 2 when it cannot be written."""
    try:
        write_template(args.out, args.format, lang=args.lang)
    except (AntqError, OSError) as e:
        return fail(str(e))
    return EXIT_OK
