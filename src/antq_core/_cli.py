"""The ``antq`` command: the library's jobs for people without Python.

Each subcommand lives in its own module of :mod:`antq_core._commands`, listed
in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Final, cast

from antq_core import __version__

__all__ = ["main"]

COMMANDS: Final = (
    "report",
    "aggregate",
    "validate",
    "completeness",
    "export",
    "import_",
    "template",
    "schema",
    "geo",
)
"""Modules of :mod:`antq_core._commands`, in the order ``antq --help`` lists them."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="antq",
        description="Data of the all-people movement to protect national security (ANTQ).",
    )
    parser.add_argument("--version", action="version", version=f"antq_core {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"antq_core._commands.{name}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``antq`` with ``argv`` (default: the command line) and return the exit code.

    Exit codes: 0 done (and, for checks, no error found); 1 the data has
    errors; 2 the input could not be read or parsed (the message names the
    file and every problem with its location).
    """
    args = _parser().parse_args(argv)
    run = cast("Callable[[argparse.Namespace], int]", args.run)
    return run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
