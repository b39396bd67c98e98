"""The ``antq`` command: the library's jobs for people without Python."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from antq_core import __version__
from antq_core._catalog import sample
from antq_core._dataset import Dataset
from antq_core._errors import AntqError
from antq_core.report import render_report

__all__ = ["main"]

EXIT_OK = 0
EXIT_DATA = 1
EXIT_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="antq",
        description="Data of the all-people movement to protect national security (ANTQ).",
    )
    parser.add_argument("--version", action="version", version=f"antq_core {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    report = commands.add_parser(
        "report",
        help="print a summary of a dataset",
        description="Print the summary of a dataset: province totals, then each initiative "
        "with its sites and figures. Without FILE, the bundled Lai Châu 2017 dataset.",
    )
    report.add_argument("file", nargs="?", metavar="FILE", help="dataset JSON file")
    report.add_argument(
        "--lang", choices=("vi", "en"), default="vi", help="language of the report (default: vi)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``antq`` with ``argv`` (default: the command line) and return the exit code.

    Exit codes: 0 done; 2 the input could not be read or parsed (the message
    names the file and every problem with its JSON path).
    """
    args = _parser().parse_args(argv)
    try:
        dataset = Dataset.load(args.file) if args.file else sample()
    except AntqError as e:
        print(f"antq: {e}", file=sys.stderr)
        return EXIT_INPUT
    if args.command == "report":
        sys.stdout.write(render_report(dataset, args.lang))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
