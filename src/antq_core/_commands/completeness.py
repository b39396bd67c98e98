"""``antq completeness``: who has reported on a form for a period, who on time, who not."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from antq_core._commands._common import (
    EXIT_OK,
    add_file_argument,
    add_lang_argument,
    fail,
    load,
)
from antq_core._cycle import completeness
from antq_core.errors import AntqError


def register(commands: Any) -> None:
    """Add ``antq completeness`` to ``commands`` (argparse subparsers)."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "completeness",
        help="completeness and timeliness of reports on a form for a period",
        description="For a reporting form and a period (a month, or a year of monthly "
        "reports), list each unit that must report with its expected, given and on-time "
        "reports and their rates, then the units that have not reported.",
    )
    add_file_argument(parser)
    parser.add_argument("--form", required=True, help="id of the reporting form")
    parser.add_argument("--period", required=True, help="the period (2025-05, 2025, 2025S1...)")
    parser.add_argument("--parent", help="only the units under this unit code")
    parser.add_argument("--level", help="sum the rows at this level (district, province...)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_lang_argument(parser, "language of the table")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the completeness table; 0, or 2 when the input or the question is wrong."""
    dataset = load(args.file)
    if isinstance(dataset, int):
        return dataset
    try:
        result = completeness(
            dataset, form=args.form, period=args.period, parent=args.parent, level=args.level
        )
    except (AntqError, ValueError) as e:
        return fail(str(e))
    if args.json:
        rows = [
            {
                "code": u.code,
                "name": u.name,
                "expected": u.expected,
                "actual": u.actual,
                "on_time": u.on_time,
                "missing": [str(p) for p in u.missing],
                "late": [str(p) for p in u.late],
            }
            for u in result.units
        ]
        document = {
            "form": result.form,
            "period": str(result.period),
            "expected": result.expected,
            "actual": result.actual,
            "on_time": result.on_time,
            "units": rows,
            "silent": [{"code": c, "name": n} for c, n in result.silent],
        }
        json.dump(document, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        print(result.describe(args.lang))
    return EXIT_OK
