"""Lai Châu, July 2017: the typical models of the ANTQ movement, from the bundled dataset.

On 13 July 2017 Báo Lai Châu reported how the province's all-people movement to
protect national security (phong trào toàn dân bảo vệ an ninh Tổ quốc) was
replicating its typical models (mô hình tiêu biểu). Colonel Bùi Gia Lượt,
deputy director of the provincial police, described three of them: community
reintegration of people who finished prison sentences in Mường So (Phong Thổ),
the role of prestigious persons among ethnic minorities in Tà Tổng and Mù Cả
(Mường Tè), and the border-adjacent cluster of Bản Giang, Hồ Thầu and Tả Lèng
(Tam Đường). He named four more and gave the province-wide totals.

``antq_core.sample()`` holds that article as data. This script prints, in
Vietnamese, each initiative (mô hình) with its sites (điểm) and the communes
they cover with their districts, then every figure with its period, unit and
qualifier, then the province totals.

Every line is built from the dataset's objects; the script types no figure.
At the end it checks that: the printed figures are exactly the dataset's
observations (same count, same values), and each printed quantity reads back,
with ``parse_quantity``, to the observation it came from. A last check compares
the figures with the article (SEED-FACTS.md), the only place numbers are typed.

Run it with ``.venv/bin/python examples/lai_chau_2017.py`` after ``make install-dev``.
"""

from __future__ import annotations

from collections import Counter

from antq_core import (
    Dataset,
    Initiative,
    Observation,
    Qualifier,
    Site,
    SubjectKind,
    SubjectRef,
    sample,
)
from antq_core.text import format_date, format_period, format_quantity, parse_quantity

#: How each qualifier is named in the printed lines.
QUALIFIER_VI = {
    Qualifier.EXACT: "số chính xác",
    Qualifier.AT_LEAST: "cận dưới",
    Qualifier.AT_MOST: "cận trên",
    Qualifier.APPROXIMATELY: "ước tính",
}


class Printer:
    """Prints figures and remembers every observation it printed, with its text."""

    def __init__(self, dataset: Dataset) -> None:
        self.ds = dataset
        self.printed: list[tuple[Observation, str]] = []

    def figure(self, o: Observation, indent: str) -> None:
        """Print one observation: metric, quantity, period, unit and qualifier."""
        metric = self.ds.metric(o.metric)
        quantity = format_quantity(o.quantity, "vi")
        label = metric.name_vi
        if o.disaggregation:
            label = "trong đó " + "; ".join(
                self._option(c, v) for c, v in o.disaggregation.items()
            )
        print(
            f"{indent}- {label}: {quantity} — {format_period(o.period, 'vi')} "
            f"(đơn vị: {o.unit.name_vi}; {QUALIFIER_VI[o.qualifier]})"
        )
        self.printed.append((o, quantity))

    def figures(self, observations: list[Observation], indent: str) -> None:
        """Print totals, each followed by its disaggregated parts."""
        totals = [o for o in observations if not o.disaggregation]
        parts = [o for o in observations if o.disaggregation]
        for total in totals:
            self.figure(total, indent)
            for part in parts:
                if (part.metric, part.period) == (total.metric, total.period):
                    self.figure(part, indent + "    ")
        for part in parts:  # parts whose total the source does not give
            if not any((part.metric, part.period) == (t.metric, t.period) for t in totals):
                self.figure(part, indent)

    def _option(self, category_id: str, option_id: str) -> str:
        category = self.ds.categories[category_id]
        return next(o.name_vi for o in category.options if o.id == option_id)


def site_line(ds: Dataset, site: Site) -> str:
    """The communes a site covers, grouped by district; where a cluster counts once."""
    by_district: dict[str, list[str]] = {}
    for unit in ds.site_units(site):
        district = ds.gazetteer.ancestor_at(unit.code, "district")
        key = district.full_name if district is not None else ""
        by_district.setdefault(key, []).append(unit.full_name)
    line = "; ".join(
        ", ".join(communes) + (f" ({district})" if district else "")
        for district, communes in by_district.items()
    )
    if len(site.admin_units) > 1:
        line += f"; tính một lần tại {ds.site_anchor(site).full_name}"
    if site.example:
        line += " [ví dụ]"
    return line


def initiative_observations(ds: Dataset, initiative: Initiative) -> list[Observation]:
    """Observations about the initiative itself and about each of its sites."""
    found = ds.observations_of(SubjectRef(SubjectKind.INITIATIVE, initiative.id))
    for site in ds.sites_of(initiative.id):
        found.extend(ds.observations_of(SubjectRef(SubjectKind.SITE, site.id)))
    return found


def print_dataset(ds: Dataset) -> Printer:
    """Print initiatives, sites and figures, then the province totals."""
    printer = Printer(ds)
    meta = ds.metadata
    print(meta.title_vi)
    if meta.report_date is not None:
        print(f"Số liệu tính đến {format_date(meta.report_date, 'vi')}")
    for n, initiative in enumerate(ds.initiatives.values(), 1):
        print()
        typical = " (mô hình tiêu biểu)" if initiative.typical else ""
        print(f"{n}. {initiative.name_vi}{typical}")
        print(f"   Loại mô hình: {ds.theme(initiative.theme).name_vi}")
        if initiative.started is not None:
            print(f"   Triển khai từ: {format_period(initiative.started, 'vi')}")
        sites = ds.sites_of(initiative.id)
        for site in sites:
            print(f"   Điểm: {site_line(ds, site)}")
        observations = initiative_observations(ds, initiative)
        if observations:
            print("   Số liệu:")
            printer.figures(observations, "     ")
        elif not sites:
            print("   Chỉ được nêu tên, không có số liệu.")
    if meta.province is not None:
        province = ds.gazetteer.unit(meta.province)
        print()
        print(f"Toàn {province.full_name}:")
        printer.figures(ds.observations_of(SubjectRef(SubjectKind.UNIT, province.code)), "  ")
    return printer


def check_nothing_invented(ds: Dataset, printer: Printer) -> None:
    """Everything printed is the dataset's, and the dataset is printed in full."""
    store = ds.observations
    printed_values = Counter(o.value for o, _ in printer.printed)
    stored_values = Counter(store.value(row) for row in range(len(store)))
    assert len(printer.printed) == len(store), (len(printer.printed), len(store))
    assert printed_values == stored_values, (printed_values, stored_values)
    assert Counter(o for o, _ in printer.printed) == Counter(store)
    for observation, text in printer.printed:
        assert parse_quantity(text, "vi") == observation.quantity, text


def check_seed_facts(ds: Dataset) -> None:
    """The figures are the article's (SEED-FACTS.md): value, qualifier, unit and period."""
    facts = {
        (o.metric, str(o.subject), tuple(o.disaggregation.items())): (
            o.value,
            o.qualifier.value,
            o.unit.code,
            str(o.period),
        )
        for o in ds.observations
    }
    since_2012, since_2016 = "2012-01-01/2017-07-13", "2016-01-01/2017-07-13"
    muong_so, cluster = "site:site-muong-so", "site:site-cum-giap-ranh"
    employed = "released_prisoners_employed"
    assert facts == {
        ("initiatives", "unit:12", ()): (32, "exact", "initiative", "2017-07-13"),
        ("initiative_sites", "unit:12", ()): (250, "exact", "site", "2017-07-13"),
        ("mass_organizations", "unit:12", ()): (5817, "exact", "organization", "2017-07-13"),
        ("mass_organization_members", "unit:12", ()): (35122, "exact", "member", "2017-07-13"),
        ("valuable_tips", "unit:12", ()): (1000, "at_least", "tip", since_2012),
        (employed, muong_so, ()): (29, "exact", "person", since_2012),
        (employed, muong_so, (("capital_source", "policy_bank_or_credit_fund"),)): (
            7,
            "exact",
            "person",
            since_2012,
        ),
        (employed, muong_so, (("capital_source", "family"),)): (11, "exact", "person", since_2012),
        (employed, muong_so, (("capital_source", "own_effort"),)): (
            10,
            "exact",
            "person",
            since_2012,
        ),
        ("released_prisoners_income_2m_plus", muong_so, ()): (18, "exact", "person", "2017-07-13"),
        ("poppy_area_destroyed", "initiative:mh-nguoi-uy-tin", ()): (
            58000,
            "at_least",
            "m2",
            "2016/2017",
        ),
        ("cases_resolved_jointly", cluster, ()): (22, "exact", "case", since_2016),
        ("outreach_meetings", cluster, ()): (12, "exact", "meeting", since_2016),
        ("outreach_attendance_household_times", cluster, ()): (
            4810,
            "exact",
            "household_attendance",
            since_2016,
        ),
    }
    # The parts of "found work" do not add up to the total, and need not: the rule
    # "parts <= total" holds, "parts = total" would not (7 + 11 + 10 = 28 of 29).
    found_work = [o for o in ds.observations if o.metric == employed]
    total = sum(o.value for o in found_work if not o.disaggregation)
    parts = sum(o.value for o in found_work if o.disaggregation)
    assert parts <= total
    assert parts == 28


def main() -> None:
    """Print the sample dataset and check that nothing printed is invented."""
    ds = sample()
    printer = print_dataset(ds)
    check_nothing_invented(ds, printer)
    check_seed_facts(ds)


if __name__ == "__main__":
    main()
