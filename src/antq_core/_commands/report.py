"""``antq report``: print the summary of a dataset."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from antq_core._commands._common import EXIT_OK, add_file_argument, add_lang_argument, load
from antq_core.report import DEFAULT_SUPPRESS_BELOW, render_report


def _threshold(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        msg = f"give a whole number of at least 0, not {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def register(commands: Any) -> None:
    """Add ``antq report`` to ``commands`` (argparse subparsers)."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "report",
        help="print a summary of a dataset",
        description="Print the summary of a dataset: province totals, then each initiative "
        "with its sites and figures. Counts of fewer than K participants are hidden (0: "
        "show every count). Without FILE, the bundled Lai Châu 2017 dataset.",
    )
    add_file_argument(parser)
    add_lang_argument(parser, "language of the report")
    parser.add_argument(
        "--suppress-below",
        type=_threshold,
        metavar="K",
        default=DEFAULT_SUPPRESS_BELOW,
        help="hide counts of 1 to K-1 participants (default %(default)s; 0: show every count)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the report; exit code 0, or 2 when the file cannot be loaded."""
    dataset = load(args.file)
    if isinstance(dataset, int):
        return dataset
    below = args.suppress_below or None
    sys.stdout.write(render_report(dataset, args.lang, suppress_below=below))
    return EXIT_OK
