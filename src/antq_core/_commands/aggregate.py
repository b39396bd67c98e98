"""``antq aggregate``: print a roll-up of figures as a table."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any

from antq_core._aggregate import aggregate
from antq_core._aggregate.table import Suppression
from antq_core._commands._common import EXIT_DATA, EXIT_OK, add_file_argument, fail, load
from antq_core._values.period import Period
from antq_core.errors import AggregationError, AntqError, IncompatibleUnitsError


def register(commands: Any) -> None:
    """Add ``antq aggregate`` to ``commands`` (argparse subparsers)."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "aggregate",
        help="roll figures up by unit, period, initiative or category",
        description="Aggregate the figures of one or more metrics, each by its own rules "
        "(sum, last value, distinct people, ratio...), and print one row per group: the "
        "group, the value, its unit and qualifier, how many figures contributed and how many "
        "expected units reported nothing. Figures that fit in no single group are listed "
        "after the table, and figures left out on purpose (a part of a figure counted "
        "undivided, an earlier stock value...) are counted by reason. Without FILE, the "
        "bundled Lai Châu 2017 dataset.",
    )
    add_file_argument(parser)
    parser.add_argument(
        "--metric", "-m", action="append", required=True, help="metric id (repeatable)"
    )
    parser.add_argument(
        "--by",
        "-b",
        action="append",
        default=[],
        help="group by: province, district, commune, village, month, quarter, half_year, year, "
        "crop_season, period, initiative, theme, organization_kind, group:SET (a unit group "
        "set, e.g. group:region), or category:ID (a disaggregation category; the bare id "
        "works when it names nothing else) (repeatable)",
    )
    parser.add_argument(
        "--space-overlap",
        choices=["error", "prefer_reported"],
        default="error",
        help="a unit's figure and its units' figures for the same period: refuse (default), "
        "or use the unit's own figure",
    )
    parser.add_argument(
        "--list-excluded",
        action="store_true",
        help="list every figure left out on purpose, not only their count per reason",
    )
    parser.add_argument("--periods", help="keep figures within this period (e.g. 2017)")
    parser.add_argument(
        "--within", action="append", help="keep figures at or under this unit code (repeatable)"
    )
    parser.add_argument(
        "--initiative", action="append", help="keep figures of this initiative (repeatable)"
    )
    parser.add_argument(
        "--suppress-below",
        type=int,
        metavar="K",
        help="hide counts of 1 to K-1 people, and enough other cells that none can be worked "
        "out from a total (complementary suppression); for tables to publish (0: off, the "
        "default)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the table: exit code 0; 1 when figures would be double-counted; 2 on bad input.

    After the rows come the unplaceable figures, the excluded ones (counted
    per reason, or each with ``--list-excluded``) and, when no figure made a
    row, a line saying so with the counts: never a bare header.
    """
    dataset = load(args.file)
    if isinstance(dataset, int):
        return dataset
    try:
        periods = Period.parse(args.periods) if args.periods else None
        table = aggregate(
            dataset,
            args.metric,
            args.by,
            periods=periods,
            within=args.within,
            initiatives=args.initiative,
            space_overlap=args.space_overlap,
            suppress_below=args.suppress_below or None,
        )
    except (AggregationError, IncompatibleUnitsError) as e:
        print(f"antq: {e}", file=sys.stderr)
        return EXIT_DATA
    except AntqError as e:
        return fail(str(e))
    header = [*table.by, "metric", "value", "unit", "qualifier", "observations", "missing"]
    if args.space_overlap != "error":
        header.append("source")  # whether a unit's own figure replaced those under it
    rows = table.to_dicts()
    withheld: list[str] = []
    if table.suppressed_below is not None:
        header.append("suppressed")
        for row in rows:
            code = row["suppressed"]
            row["suppressed"] = (
                None if code is None else Suppression(code).reason(table.suppressed_below)
            )
        withheld = [
            f"withheld: the total of {w.metric} over {w.over}"
            + "".join(f", {k}={v}" for k, v in w.fixed.items())
            + ": publishing it would give a hidden count away\n"
            for w in table.withheld
        ]
    lines = [header]
    lines += [["" if row[name] is None else str(row[name]) for name in header] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        sys.stdout.write("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        sys.stdout.write("\n")
    sys.stdout.writelines(withheld)
    for lost in table.unplaceable:
        sys.stdout.write(
            f"unplaceable: observation {lost.row} ({lost.metric}, {lost.subject},"
            f" {lost.period}): {lost.reason}\n"
        )
    excluded = table.excluded
    if args.list_excluded:
        for left in excluded:
            sys.stdout.write(
                f"excluded: observation {left.row} ({left.metric}, {left.subject},"
                f" {left.period}): {left.code.value}: {left.reason}\n"
            )
    else:
        by_code = Counter(left.code for left in excluded)
        example = {left.code: left.reason for left in reversed(excluded)}
        for code, n in sorted(by_code.items()):
            sys.stdout.write(f"excluded: {n} observation(s), {code.value}: e.g. {example[code]}\n")
    if not table.rows:
        sys.stdout.write(
            f"no row: {len(table.unplaceable)} figure(s) unplaceable and {len(excluded)}"
            " excluded" + (", as listed above\n" if excluded or table.unplaceable else "\n")
        )
    return EXIT_OK
