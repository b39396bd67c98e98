"""``antq validate``: check a dataset and print the report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from antq_core._commands._common import (
    EXIT_DATA,
    EXIT_INPUT,
    EXIT_OK,
    add_file_argument,
    add_lang_argument,
)
from antq_core._dataset.catalog import SAMPLE
from antq_core._util.data import data_bytes, data_source
from antq_core._util.inputs import read_input
from antq_core._validation import validate_json
from antq_core.errors import DatasetLoadError


def register(commands: Any) -> None:
    """Add ``antq validate`` to ``commands`` (argparse subparsers)."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "validate",
        help="check a dataset: references, dates, duplicates, double counting, rules",
        description="Check a dataset and print every issue found, errors first. Exit code 0 "
        "when there is no error, 1 when the data has errors, 2 when the file cannot be read "
        "or parsed. Without FILE, the bundled Lai Châu 2017 dataset.",
    )
    add_file_argument(parser)
    add_lang_argument(parser, "language of the messages")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people, json for programs (default: text)",
    )
    parser.set_defaults(run=run)


def _load_failure(error: DatasetLoadError, fmt: str) -> int:
    if fmt == "json":
        document = {
            "format": "antq-validation",
            "format_version": 1,
            "ok": False,
            "load_error": {
                "file": error.source,
                "problems": [p.to_dict() for p in error.problems],
                "omitted": error.omitted,
            },
        }
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=1) + "\n")
    print(f"antq: {error}", file=sys.stderr)
    return EXIT_INPUT


def run(args: argparse.Namespace) -> int:
    """Validate and print; exit 0 (no error), 1 (errors in the data) or 2 (unreadable)."""
    if args.file:
        source = str(args.file)
        try:
            data = read_input(Path(args.file), DatasetLoadError)
        except DatasetLoadError as e:
            return _load_failure(e, args.format)
    else:
        source, data = data_source(SAMPLE), data_bytes(SAMPLE)
    try:
        report = validate_json(data, source=source)
    except DatasetLoadError as e:
        return _load_failure(e, args.format)
    if args.format == "json":
        sys.stdout.write(report.to_json() + "\n")
    else:
        sys.stdout.write(f"{source}: " + report.to_text(args.lang))
    return EXIT_OK if report.ok else EXIT_DATA
