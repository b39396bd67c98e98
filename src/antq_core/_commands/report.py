"""``antq report``: print the summary of a dataset."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from antq_core._commands._common import EXIT_OK, add_file_argument, add_lang_argument, load
from antq_core.report import render_report


def register(commands: Any) -> None:
    """Add ``antq report`` to ``commands`` (argparse subparsers)."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "report",
        help="print a summary of a dataset",
        description="Print the summary of a dataset: province totals, then each initiative "
        "with its sites and figures. Without FILE, the bundled Lai Châu 2017 dataset.",
    )
    add_file_argument(parser)
    add_lang_argument(parser, "language of the report")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the report; exit code 0, or 2 when the file cannot be loaded."""
    dataset = load(args.file)
    if isinstance(dataset, int):
        return dataset
    sys.stdout.write(render_report(dataset, args.lang))
    return EXIT_OK
