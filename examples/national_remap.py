"""Figures of old communes in two provinces, carried onto the map of 1 July 2025.

A steering committee kept 2024 figures (mediation cases) for a few communes of
Lai Châu and of Bình Thuận on the three-tier map. This script:

1. builds that small dataset on the national gazetteer in force until 30 June
   2025 (``bundled_gazetteer("vn_2025_06")``), finding each commune from an
   address as people write it (``Gazetteer.resolve``);
2. carries it onto the two-tier map (``bundled_crosswalk("vn_2025_06_07")``),
   adding up the figures of communes that merged into one (``combine=True``),
   and placing the one commune that was split at its default part, marked
   approximate (``on_split="approximate"``);
3. aggregates the result by new commune, by province and for the whole country,
   and by socio-economic region (``bundled_group_sets()["region"]``): Bình Thuận
   is now part of Lâm Đồng, a province formed across two regions, so its
   communes are placed in a region one by one.

It ends by checking that the national total is the same on both maps.

Run it with ``.venv/bin/python examples/national_remap.py`` after ``make install-dev``.
"""

from __future__ import annotations

from collections import Counter

from antq_core import (
    Dataset,
    DatasetMetadata,
    MetricDefinition,
    Observation,
    aggregate,
    bundled_crosswalk,
    bundled_gazetteer,
    bundled_group_sets,
)

FIGURES = [  # address on the map of 2024, mediation cases in 2024
    ("xã Mường So, huyện Phong Thổ, tỉnh Lai Châu", 12),
    ("X. Huổi Luông, H. Phong Thổ, Lai Châu", 7),  # merged with Mường So
    ("xã Tả Lèng, huyện Tam Đường, Lai Châu", 5),
    ("Hồ Thầu, Tam Đường, Lai Châu", 3),  # merged with Tả Lèng
    ("P. Phú Thủy, TP. Phan Thiết, Bình Thuận", 9),
    ("xã Tiến Lợi, Phan Thiết, Bình Thuận", 4),
    ("xã Phong Phú, huyện Tuy Phong, Bình Thuận", 6),  # split: Phan Rí Cửa and Tuy Phong
]


def main() -> None:
    """Build, remap and aggregate; check the national total."""
    old = bundled_gazetteer("vn_2025_06")
    metric = MetricDefinition.model_validate(
        {"id": "mediation_cases", "name_vi": "Vụ việc hòa giải", "name_en": "Cases"}
        | {"unit": "case", "kind": "flow"}
    )
    observations = [
        Observation.model_validate(
            {
                "metric": metric.id,
                "subject": f"unit:{old.resolve(address).code}",
                "period": "2024",
                "unit": "case",
                "value": value,
            }
        )
        for address, value in FIGURES
    ]
    ds = Dataset(
        gazetteer=old,
        metadata=DatasetMetadata(title_vi="Số liệu hòa giải 2024"),
        metrics=[metric],
        observations=observations,
    )

    crosswalk = bundled_crosswalk("vn_2025_06_07")
    new = crosswalk.remap(ds, on_split="approximate", combine=True)
    gaz = new.gazetteer

    print("By commune of 1 July 2025:")
    by_commune = aggregate(new, metric.id, by=["commune"])
    for row in by_commune:
        name = gaz.unit(str(row.keys["commune"])).full_name
        if row.quantity is not None:
            q = row.quantity
            print(f"  {name:<24} {q.value:>4} {q.qualifier.value}")

    print("By province:")
    for row in aggregate(new, metric.id, by=["province"]):
        name = gaz.unit(str(row.keys["province"])).full_name
        if row.quantity is not None:
            print(f"  {name:<24} {row.quantity.value:>4}")

    regions = bundled_group_sets()["region"]
    by_region: Counter[str] = Counter()
    for row in by_commune:
        group = regions.group_of(gaz, str(row.keys["commune"]))
        if row.quantity is not None:
            by_region[group.name_vi if group else "?"] += int(row.quantity.value)
    print("By region:")
    for name, value in sorted(by_region.items()):
        print(f"  {name:<40} {value:>4}")

    (before,) = [r.quantity for r in aggregate(ds, metric.id, by=["country"])]
    (after,) = [r.quantity for r in aggregate(new, metric.id, by=["country"])]
    assert before is not None
    assert after is not None
    print(f"Whole country: {before.value} before, {after.value} after")
    assert before.value == after.value == sum(v for _, v in FIGURES)
    assert sum(by_region.values()) == after.value


if __name__ == "__main__":
    main()
