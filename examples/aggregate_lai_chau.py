"""Roll the Lai Châu 2017 figures up, and see what each roll-up refuses to guess.

``aggregate()`` adds figures up the way each metric says (flows sum, stocks take
the last value, ratios divide aggregated parts) and reports, rather than
guesses, the figures that fit in no single group. This script shows, on the
bundled dataset:

1. the province's totals by metric (all figures, their own periods);
2. the cluster site's 22 cases, counted once for district Tam Đường and never
   once per commune: grouped by commune they are listed as unplaceable;
3. a "since 2016" figure grouped by year: unplaceable, never split;
4. the people who found work in Mường So, total and parts, never added together.

It checks each claim as it prints it. Run it with
``.venv/bin/python examples/aggregate_lai_chau.py`` after ``make install-dev``.
"""

from __future__ import annotations

from antq_core import Quantity, aggregate, sample
from antq_core.text import format_quantity

ds = sample()

print("== Tỉnh Lai Châu: mỗi chỉ tiêu theo kỳ của nó")
province = aggregate(ds, list(ds.metrics), by=["province", "period"])
for row in province:
    if row.quantity is not None:
        print(f"{row.metric:40} {row.keys['period']!s:24} {format_quantity(row.quantity)}")
placed = sum(row.observations for row in province)
print(f"({placed} số liệu, {len(province.unplaceable)} không xếp được vào một nhóm)")

print("\n== Cụm giáp ranh: 22 vụ, tính một lần cho huyện Tam Đường")
by_district = aggregate(ds, ["cases_resolved_jointly"], by=["district"])
for row in by_district:
    name = ds.gazetteer.unit(str(row.keys["district"])).full_name
    print(f"{name}: {format_quantity(row.quantity)}" if row.quantity else name)
assert [r.quantity for r in by_district] == [Quantity(22, "case")]

by_commune = aggregate(ds, ["cases_resolved_jointly"], by=["commune"])
for lost in by_commune.unplaceable:
    print(f"theo xã: không xếp được ({lost.reason})")
assert len(by_commune) == 0
assert len(by_commune.unplaceable) == 1

print("\n== Một số liệu 'từ năm 2016' không chia được theo năm")
by_year = aggregate(ds, ["outreach_meetings"], by=["year"])
for lost in by_year.unplaceable:
    print(f"{lost.metric}, {lost.period}: {lost.reason}")
assert len(by_year) == 0

print("\n== Mường So: tổng số và phần theo nguồn vốn, không cộng lẫn")
total = aggregate(ds, ["released_prisoners_employed"], by=["period"])
parts = aggregate(ds, ["released_prisoners_employed"], by=["capital_source", "period"])
for row in [*total, *parts]:
    label = row.keys.get("capital_source", "tổng số")
    print(f"{label!s:28} {format_quantity(row.quantity) if row.quantity else '-'}")
assert [r.quantity for r in total] == [Quantity(29, "person")]
assert sum(r.quantity.value for r in parts if r.quantity) == 28
