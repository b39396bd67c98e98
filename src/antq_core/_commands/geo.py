"""``antq geo``: look a unit up by code or address, and show where it went or came from."""

from __future__ import annotations

import argparse
from typing import Any

from antq_core._commands._common import EXIT_DATA, EXIT_OK, fail
from antq_core._dataset.catalog import bundled_gazetteer
from antq_core._dataset.crosswalk import bundled_crosswalk
from antq_core._values.geo import AdminLevel, AdminUnit, Gazetteer
from antq_core.errors import AmbiguousNameError, UnknownAdminUnitError

EPOCHS = ("vn_2025_06", "vn_2025_07")
CROSSWALK = "vn_2025_06_07"


def register(commands: Any) -> None:
    """Add ``antq geo`` to ``commands`` (argparse subparsers)."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "geo",
        help="look an administrative unit up by code or address",
        description="Find the unit QUERY names in the national map of an epoch: a code "
        "('03400') or an address from the lowest unit up ('X. Tả Lèng, H. Tam Đường, Lai "
        "Châu'). Prints the unit, the units above it, and where it went on 1 July 2025 (an "
        "old unit) or which old units formed it (a new one). An ambiguous name lists every "
        "candidate and exits 1.",
    )
    parser.add_argument("query", metavar="QUERY", help="a unit code or an address")
    parser.add_argument(
        "--epoch",
        choices=EPOCHS,
        default=EPOCHS[0],
        help="vn_2025_06: the map until 30 June 2025 (default); vn_2025_07: from 1 July 2025",
    )
    parser.set_defaults(run=run)


def _line(gaz: Gazetteer, unit: AdminUnit) -> str:
    above = [u.full_name for u in gaz.ancestors(unit.code) if u.level is not AdminLevel.COUNTRY]
    return ", ".join([f"{unit.full_name} ({unit.code})", *above])


def run(args: argparse.Namespace) -> int:
    """Print the unit; exit 0, 1 for an ambiguous name, 2 for nothing found."""
    gaz = bundled_gazetteer(args.epoch)
    query = args.query.strip()
    try:
        unit = gaz.get(query) or gaz.resolve(query)
    except AmbiguousNameError as e:
        print(f"{query!r} matches {len(e.candidates)} units in {gaz.version}:")
        for text in e.described:
            print(f"  {text}")
        return EXIT_DATA
    except (UnknownAdminUnitError, ValueError) as e:
        return fail(str(e))
    print(f"{gaz.version}: {_line(gaz, unit)}")
    cw = bundled_crosswalk(CROSSWALK)
    if args.epoch == EPOCHS[0]:
        entry = cw.entry(unit.code)
        went = "; ".join(_line(cw.target, cw.target.unit(c)) for c in entry.new)
        print(f"from 1 July 2025 ({entry.relationship.value}): {went}")
        if entry.default is not None:
            default = cw.target.unit(entry.default)
            print(f"  default part: {default.full_name} ({default.code})")
    else:
        old = bundled_gazetteer(EPOCHS[0])
        sources = [x for x in cw if unit.code in x.new]
        print(f"formed from {len(sources)} unit(s) of {old.version}:")
        for x in sources:
            part = " (part of it)" if len(x.new) > 1 else ""
            print(f"  {_line(old, old.unit(x.old))}{part}")
    return EXIT_OK
