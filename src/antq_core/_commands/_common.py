"""What the subcommands of ``antq`` share: exit codes, common arguments, loading."""

from __future__ import annotations

import argparse
import sys

from antq_core._dataset.catalog import sample
from antq_core._dataset.dataset import Dataset
from antq_core.errors import AntqError

EXIT_OK = 0
"""The command did its job (and, for checks, found no error)."""
EXIT_DATA = 1
"""The input was read, and the data has errors."""
EXIT_INPUT = 2
"""The input could not be read or parsed."""


def add_file_argument(parser: argparse.ArgumentParser) -> None:
    """The optional ``FILE`` argument: a dataset JSON file, default the bundled sample."""
    parser.add_argument(
        "file", nargs="?", metavar="FILE", help="dataset JSON file (default: the bundled sample)"
    )


def add_lang_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """``--lang vi|en`` (default vi)."""
    parser.add_argument("--lang", choices=("vi", "en"), default="vi", help=f"{what} (default: vi)")


def fail(message: str) -> int:
    """Print ``antq: message`` on stderr and return :data:`EXIT_INPUT`."""
    print(f"antq: {message}", file=sys.stderr)
    return EXIT_INPUT


def load(file: str | None) -> Dataset | int:
    """The dataset in ``file`` (the sample when ``None``), or the exit code after an error.

    A load error is printed on stderr with the file and every problem; the
    return value is then :data:`EXIT_INPUT`.
    """
    try:
        return Dataset.load(file) if file else sample()
    except AntqError as e:
        return fail(str(e))
