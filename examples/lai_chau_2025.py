"""Lai Châu, 2017 figures on the 2025 map: registered entities, reported totals, new units.

The Báo Lai Châu article of 13 July 2017 gives province totals (32 typical models,
250 sites, 5,817 mass organizations with 35,122 members) and describes a few of
the models and their sites. ``antq_core.sample()`` registers those few. This
script:

1. counts the registered initiatives and sites per district of 2017
   (``count_entities``), where the cluster of three communes counts once, at
   district Tam Đường;
2. compares the reported totals with what is registered (``reconcile``), in
   Vietnamese;
3. carries the dataset onto the units in force since 1 July 2025 through the
   bundled crosswalk (``bundled_crosswalk("lai_chau_2017_2025")``, after Nghị
   quyết 1670/NQ-UBTVQH15), and counts again per commune of 2025: the cluster's
   communes went to a phường and a xã, so it now counts once, at the province.

It ends by checking that nothing was lost or counted twice: every site and
initiative is placed or listed as unplaceable at each level, the remap keeps
every observation and value, and the reconciliation is the same on both maps.

Run it with ``.venv/bin/python examples/lai_chau_2025.py`` after ``make install-dev``.
"""

from __future__ import annotations

from antq_core import (
    Dataset,
    EntityCounts,
    bundled_crosswalk,
    count_entities,
    reconcile,
    sample,
)


def print_counts(title: str, counts: EntityCounts) -> None:
    """The units with something registered, then what cannot be placed at the level."""
    print(title)
    for row in counts:
        if row.initiatives or row.sites:
            print(f"  {row.name} ({row.unit}): {row.initiatives} mô hình, {row.sites} điểm")
    for u in counts.unplaced:
        if u.kind == "site":
            print(f"  điểm {u.id}: tính một lần ở đơn vị {u.anchor}, trên cấp này")


def check(ds: Dataset, remapped: Dataset) -> None:
    """Nothing lost, nothing counted twice, the same reconciliation on both maps."""
    for dataset in (ds, remapped):
        for level in ("province", "district", "commune"):
            if level == "district" and dataset is remapped:
                continue  # no districts since 1 July 2025
            counts = count_entities(dataset, level)
            for kind, field, total in (
                ("site", "sites", len(dataset.sites)),
                ("initiative", "initiatives", len(dataset.initiatives)),
            ):
                placed = sum(getattr(r, field) for r in counts)
                unplaced = sum(u.kind == kind for u in counts.unplaced)
                if placed + unplaced != total:
                    raise SystemExit(f"{level}: {placed} + {unplaced} {kind}s, not {total}")
    before = [(o.metric, o.value, o.unit) for o in ds.observations]
    after = [(o.metric, o.value, o.unit) for o in remapped.observations]
    if before != after:
        raise SystemExit("the remap changed the observations")
    if [r.difference for r in reconcile(ds)] != [r.difference for r in reconcile(remapped)]:
        raise SystemExit("the reconciliation differs between the two maps")


def main() -> None:
    """Count, reconcile, remap, count again, check."""
    ds = sample()
    print_counts("Theo huyện (bản đồ 2017):", count_entities(ds, "district"))
    print("Đối chiếu số báo cáo với số đã đăng ký:")
    for r in reconcile(ds):
        print(f"  {r.message_vi}")
    cw = bundled_crosswalk("lai_chau_2017_2025")
    remapped = cw.remap(ds)
    print(f"Chuyển sang bản đồ {cw.to_version} theo {cw.source('nq-1670-ubtvqh15').number}:")
    for site in remapped.sites.values():
        names = ", ".join(cw.target.unit(c).full_name for c in site.admin_units)
        print(f"  điểm {site.id}: {names}")
    print_counts("Theo xã (bản đồ 2025):", count_entities(remapped, "commune"))
    check(ds, remapped)
    print("Kiểm tra: không mất, không tính trùng điểm hay mô hình nào; số liệu giữ nguyên.")


if __name__ == "__main__":
    main()
