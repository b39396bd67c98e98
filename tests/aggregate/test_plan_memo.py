"""A dataset keeps the groups of the questions asked of it: later answers are unchanged.

Planning places every distinct subject once per question and keeps the answer
for the dataset's life, keyed by what the question means over space (the
placed ``by`` names, ``within``, ``initiatives``, the group sets). Whatever
was asked before, and in whatever order, a table must be the one a freshly
built dataset of the same data gives: rows, missing counts, unplaceable
observations with their reasons (each naming its own subject), exclusions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antq_core import (
    AdminUnit,
    AggregateTable,
    AntqError,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    Initiative,
    InitiativeTheme,
    MetricDefinition,
    Observation,
    Participant,
    Period,
    Quantity,
    Site,
    UnitGroup,
    UnitGroupSet,
    aggregate,
    aggregate_rollup,
)
from antq_core._aggregate.plan import make_plan  # the claim on plans, code for code
from antq_core.testing.strategies import aggregation_datasets

METRICS = ["cases", "area", "teams", "resolved_rate", "supported"]
SUPPORTED = MetricDefinition(
    id="supported",
    name_vi="Người được giúp đỡ",
    name_en="People supported",
    unit="person",
    kind="distinct",
)
ENGINES = ["python", "polars"]


def fresh(ds: Dataset) -> Dataset:
    """A new dataset of the same data, which has been asked nothing."""
    return ds.replace(observations=list(ds.observations))


def plain_table(table: AggregateTable) -> tuple[Any, ...]:
    rows = tuple(
        (
            tuple(row.keys.items()),
            row.metric,
            row.quantity,
            row.observations,
            row.missing,
        )
        for row in table
    )
    return (table.by, rows, table.unplaceable, table.excluded)


def answer(ds: Dataset, request: dict[str, Any]) -> Any:
    """The table(s) a request gives as plain data, or the error's type and message."""
    kwargs = dict(request)
    metrics = kwargs.pop("metrics", METRICS)
    try:
        if kwargs.pop("rollup"):
            tables = aggregate_rollup(ds, metrics, **kwargs)
            return tuple((level, plain_table(t)) for level, t in tables.items())
        return plain_table(aggregate(ds, metrics, **kwargs))
    except AntqError as e:
        return (type(e), str(e))


# -- data --------------------------------------------------------------------------------


@st.composite
def datasets_with_people(draw: st.DrawFn) -> Dataset:
    """:func:`aggregation_datasets` and people, several at one place, some in no initiative.

    People of one place and initiative resolve alike: where that is placed
    nowhere for a reason naming the subject (no organization kind), each
    person's reason must name them. Their figures are for months, quarters
    and a year.
    """
    ds = draw(aggregation_datasets(max_observations=20))
    codes = [u.code for u in ds.gazetteer]
    homes = draw(st.lists(st.sampled_from(codes), min_size=1, max_size=2, unique=True))
    people = [
        Participant(
            id=f"p{n}",
            roles=["released_prisoner"],
            admin_unit=draw(st.sampled_from(homes)),
            initiative=draw(st.sampled_from([None, "initiative"])),
        )
        for n in range(draw(st.integers(0, 4)))
    ]
    # Some periods fit in no month, or run beyond 2016Q1: reasons found after the groups.
    months = [Period.parse(p) for p in ("2016-01", "2016-02", "2016-05", "2016Q1", "2016")]
    records = (
        draw(
            st.lists(
                st.tuples(st.sampled_from([p.id for p in people]), st.sampled_from(months)),
                max_size=8,
                unique=True,
            )
        )
        if people
        else []
    )
    supported = [
        Observation(
            metric="supported", subject=f"participant:{p}", period=m, value=1, unit="person"
        )
        for p, m in records
    ]
    return ds.replace(
        metrics=[*ds.metrics.values(), SUPPORTED],
        participants=people,
        observations=[*ds.observations, *supported],
    )


def zone_sets(gazetteer: Gazetteer) -> st.SearchStrategy[UnitGroupSet]:
    """Group sets all called ``zone``, of any units: some in none, some in two groups."""
    codes = [u.code for u in gazetteer]
    members = st.lists(st.sampled_from(codes), min_size=1, max_size=3, unique=True)
    return st.lists(members, min_size=1, max_size=3).map(
        lambda groups: UnitGroupSet(
            id="zone",
            name_vi="Vùng",
            groups=[
                UnitGroup(id=f"g{i}", name_vi=f"Nhóm {i}", members={gazetteer.version: m})
                for i, m in enumerate(groups)
            ],
        )
    )


@st.composite
def requests(
    draw: st.DrawFn, gazetteer: Gazetteer, zones: Sequence[UnitGroupSet]
) -> dict[str, Any]:
    """A question about the dataset: its grouping, filters, group sets, engine."""
    level = draw(st.sampled_from([None, "district", "commune", "village"]))
    when = draw(st.sampled_from([None, "month", "year"]))
    entity = draw(st.sampled_from([None, "initiative", "organization_kind"]))
    zone = draw(st.sampled_from([None, *range(len(zones))]))
    names = [n for n in (level, when, entity) if n is not None]
    if zone is not None:
        names.append("group:zone")
    province = next(u.code for u in gazetteer if u.parent is None)
    return {
        "by": names if len(names) < 2 or draw(st.booleans()) else names[::-1],
        "within": draw(st.sampled_from([None, [province]])),
        "initiatives": draw(st.sampled_from([None, ["initiative"]])),
        "group_sets": None if zone is None else [zones[zone]],
        "engine": draw(st.sampled_from(ENGINES)),
        "periods": draw(st.sampled_from([None, Period.parse("2016Q1")])),
        "rollup": level is not None and draw(st.booleans()),
    }


@st.composite
def variants(
    draw: st.DrawFn, base: dict[str, Any], zones: Sequence[UnitGroupSet]
) -> dict[str, Any]:
    """``base`` with one thing changed: the same question over space, or nearly."""
    changed = dict(base)
    what = draw(
        st.sampled_from(["within", "initiatives", "group_sets", "periods", "engine", "time"])
    )
    if what == "within":
        changed["within"] = None if base["within"] else [base["province"]]
    elif what == "initiatives":
        changed["initiatives"] = None if base["initiatives"] else ["initiative"]
    elif what == "group_sets":
        changed["group_sets"] = [draw(st.sampled_from(zones))]
        if "group:zone" not in base["by"]:
            changed["by"] = [*base["by"], "group:zone"]
    elif what == "periods":
        changed["periods"] = None if base["periods"] else Period.parse("2016Q1")
    elif what == "engine":
        changed["engine"] = "python" if base["engine"] == "polars" else "polars"
    else:
        times = {"month", "year", "quarter"}
        kept = [n for n in base["by"] if n not in times]
        changed["by"] = [*kept, draw(st.sampled_from(sorted(times)))]
    return changed


@st.composite
def questions(draw: st.DrawFn) -> tuple[Dataset, list[dict[str, Any]], list[int]]:
    """A dataset, a few requests, and the order to ask them in (with repeats).

    The requests are variations of one, so that they often ask the same over
    space with other periods or engines, or differ in one filter only.
    """
    ds = draw(datasets_with_people(), label="dataset")
    zones = draw(st.lists(zone_sets(ds.gazetteer), min_size=2, max_size=2), label="zones")
    base = draw(requests(ds.gazetteer, zones))
    base["province"] = next(u.code for u in ds.gazetteer if u.parent is None)
    asked = [base, *draw(st.lists(variants(base, zones), min_size=1, max_size=3))]
    asked += draw(st.lists(requests(ds.gazetteer, zones), max_size=1))
    for request in asked:
        request.pop("province", None)
    order = draw(st.lists(st.sampled_from(range(len(asked))), min_size=2, max_size=8))
    return ds, asked, order


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(questions())
def test_answers_on_one_dataset_are_those_of_a_fresh_one(
    question: tuple[Dataset, list[dict[str, Any]], list[int]],
) -> None:
    ds, asked, order = question
    expected = [answer(fresh(ds), request) for request in asked]
    for i in order:
        assert answer(ds, asked[i]) == expected[i]


def plan_codes(ds: Dataset, request: dict[str, Any]) -> Any:
    """The codes and tables of the plan of a request, or the error's type and message."""
    try:
        plan = make_plan(
            ds,
            METRICS,
            request["by"],
            periods=request["periods"],
            within=request["within"],
            initiatives=request["initiatives"],
            group_sets=request["group_sets"],
            columnar=request["engine"] == "polars",
        )
    except AntqError as e:
        return (type(e), str(e))
    return tuple(
        list(getattr(plan, name))
        for name in (
            "subject_group",
            "subject_child",
            "row_groups",
            "expected",
            "period_bucket",
            "slice_of",
            "reasons",
            "reason_kinds",
            "disaggregation",
        )
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(questions())
def test_a_plan_is_the_one_of_a_fresh_dataset_code_for_code(
    question: tuple[Dataset, list[dict[str, Any]], list[int]],
) -> None:
    # The tables cannot show it (a reason no code names is never listed), but a
    # question's reasons must not carry over to the next one asked alike: the plans
    # are the same, reason codes and all.
    ds, asked, order = question
    expected = [plan_codes(fresh(ds), request) for request in asked]
    for i in order:
        assert plan_codes(ds, asked[i]) == expected[i]


# -- worked cases ------------------------------------------------------------------------

GAZ = Gazetteer(
    "memo-test",
    [
        AdminUnit(code="01", name="Một", level="province"),
        AdminUnit(code="001", name="Huyện Một", level="district", parent="01"),
        AdminUnit(code="00001", name="Xã Một", level="commune", parent="001"),
        AdminUnit(code="00002", name="Xã Hai", level="commune", parent="001"),
        AdminUnit(code="02", name="Hai", level="province"),
        AdminUnit(code="002", name="Huyện Hai", level="district", parent="02"),
    ],
)
CASES = MetricDefinition(id="cases", name_vi="Vụ việc", name_en="Cases", unit="case", kind="flow")


def dataset(observations: list[Observation], **extra: Any) -> Dataset:
    return Dataset(
        gazetteer=GAZ,
        metadata=DatasetMetadata(title_vi="Thử"),
        themes=[InitiativeTheme(id="theme", name_vi="Loại", name_en="Theme")],
        initiatives=[Initiative(id="i", name_vi="Mô hình", theme="theme")],
        metrics=[CASES],
        observations=observations,
        **extra,
    )


def cases(subject: str, period: str, value: int) -> Observation:
    return Observation(metric="cases", subject=subject, period=period, value=value, unit="case")


@pytest.mark.parametrize("engine", ENGINES)
def test_each_subject_placed_nowhere_is_named_in_its_reason_every_time(engine: str) -> None:
    # Two sites over the same communes resolve alike; neither has an organization kind.
    sites = [Site(id=s, initiative="i", admin_units=("00001", "00002")) for s in ("s0", "s1")]
    rows = [cases("site:s0", "2024-01", 1), cases("site:s1", "2024-01", 2)]
    rows.append(cases("unit:002", "2024-02", 4))
    ds = dataset(rows, sites=sites)
    kinds = ["district", "organization_kind"]
    for by in (["district"], kinds, ["district"], kinds):
        table = aggregate(ds, ["cases"], by=by, engine=engine)
        again = aggregate(fresh(ds), ["cases"], by=by, engine=engine)
        assert plain_table(table) == plain_table(again)
    table = aggregate(ds, ["cases"], by=kinds, engine=engine)
    assert [(str(u.subject), u.reason) for u in table.unplaceable] == [
        ("site:s0", "site:s0: has no organization kind"),
        ("site:s1", "site:s1: has no organization kind"),
        ("unit:002", "unit:002: has no organization kind"),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_reasons_found_after_the_groups_stay_with_their_question(engine: str) -> None:
    # A year fits in no month: a reason of the periods, not of the groups, which
    # asked by commune alone is not there (only the province's figure is unplaceable).
    rows = [cases("unit:00001", "2024", 3), cases("unit:00002", "2024-03", 5)]
    rows.append(cases("unit:01", "2024-03", 7))  # above the communes
    ds = dataset(rows)
    asked = [
        ["commune", "month"],
        ["commune"],
        ["commune", "month"],
        ["commune", "quarter"],
        ["commune"],
    ]
    for by in asked:
        table = aggregate(ds, ["cases"], by=by, engine=engine)
        again = aggregate(fresh(ds), ["cases"], by=by, engine=engine)
        assert plain_table(table) == plain_table(again)
    months = aggregate(ds, ["cases"], by=["commune", "month"], engine=engine)
    assert sorted(u.reason for u in months.unplaceable) == [
        "anchored at province Một (01), above the commune level: it cannot be placed in one"
        " commune",
        "period 2024 does not fit in one month",
    ]
    alone = aggregate(ds, ["cases"], by=["commune"], engine=engine)
    assert [u.reason for u in alone.unplaceable] == [months.unplaceable[-1].reason]


def test_group_sets_of_one_id_and_other_members_are_other_questions() -> None:
    def zone(*members: str) -> UnitGroupSet:
        groups = [UnitGroup(id="z", name_vi="Vùng", members={"memo-test": list(members)})]
        return UnitGroupSet(id="zone", name_vi="Vùng", groups=groups)

    rows = [cases("unit:00001", "2024-01", 1), cases("unit:002", "2024-01", 2)]
    ds = dataset(rows)
    north, south, both = zone("01"), zone("02"), zone("01", "02")
    for group_set in (north, south, zone("01"), both, north):
        table = aggregate(ds, ["cases"], by=["group:zone"], group_sets=[group_set])
        again = aggregate(fresh(ds), ["cases"], by=["group:zone"], group_sets=[group_set])
        assert plain_table(table) == plain_table(again)
    table = aggregate(ds, ["cases"], by=["group:zone"], group_sets=[south])
    assert [(r.keys["group:zone"], r.quantity) for r in table] == [("z", Quantity(2, "case"))]
    assert [str(u.subject) for u in table.unplaceable] == ["unit:00001"]


def test_a_roll_up_asked_again_and_between_other_questions() -> None:
    rows = [cases("unit:00001", "2024-01", 1), cases("unit:002", "2024-02", 2)]
    rows.append(cases("unit:01", "2024-02", 4))
    ds = dataset(rows)
    asked: list[dict[str, Any]] = [
        {"by": ["commune", "month"], "rollup": True},
        {"by": ["district"], "rollup": False, "within": ["01"]},
        {"by": ["commune", "month"], "rollup": True},
        {"by": ["commune", "month"], "rollup": True, "within": ["001"]},
        {"by": ["commune", "month"], "rollup": False},
        {"by": ["commune", "month"], "rollup": True, "initiatives": ["i"]},
    ]
    for question in asked:
        request = {**question, "metrics": ["cases"]}
        found = answer(ds, request)
        assert isinstance(found[0], tuple)  # tables, not an error
        assert found == answer(fresh(ds), request)
