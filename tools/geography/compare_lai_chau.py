"""How the bundled Lai Châu 2017 gazetteer differs from province 12 of ``vn_2025_06``.

Reads only the bundled files (no network) and prints every difference, field by field, and
the units where the sample's own copy of the file (in lai_chau_2017.json) differs from it::

    python tools/geography/compare_lai_chau.py

docs/geography.md states the differences, and
tests/values/test_geography_national.py asserts them, so the statement cannot go stale.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "src" / "antq_core" / "data"
PROVINCE = "12"


def _units(name: str) -> dict[str, dict[str, Any]]:
    doc = json.loads((DATA / f"gazetteer_{name}.json").read_text("utf-8"))
    return {u["code"]: u for u in doc["units"]}


def province_slice(units: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The units at or under province 12 (the country root left out)."""

    def inside(code: str | None) -> bool:
        while code is not None and code != PROVINCE:
            code = units[code]["parent"]
        return code == PROVINCE

    return {c: u for c, u in units.items() if inside(c)}


def differences(
    national: dict[str, dict[str, Any]], provincial: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Units only on one side, and every field that differs: field -> code -> (national, ours)."""
    fields: dict[str, dict[str, tuple[Any, Any]]] = {}
    for code in sorted(set(national) & set(provincial)):
        a, b = national[code], provincial[code]
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                fields.setdefault(key, {})[code] = (a.get(key), b.get(key))
    return {
        "only_national": sorted(set(national) - set(provincial)),
        "only_provincial": sorted(set(provincial) - set(national)),
        "fields": fields,
    }


def main() -> None:
    """Print the differences, and whether the sample's own copy of the file agrees with it."""
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    national = province_slice(_units("vn_2025_06"))
    ours = _units("lai_chau_2017")
    sample = json.loads((DATA / "lai_chau_2017.json").read_text("utf-8"))["gazetteer"]
    copy = {u["code"]: {"parent": None, **u} for u in sample["units"]}
    found = differences(national, ours)
    found["sample_copy_differs"] = sorted(c for c in ours if copy.get(c) != ours[c])
    print(json.dumps(found, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
