"""Double counting over space: a whole (a unit, an initiative) beside the figures of its parts.

Worked examples on a small map of our own (one province, two districts, three
communes), with a flow (tips received) and a stock (households registered).
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antq_core import (
    AdminUnit,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    Initiative,
    InitiativeTheme,
    Issue,
    MetricDefinition,
    Observation,
    Severity,
    Site,
    UnitGroup,
    UnitGroupSet,
    builtin_catalog,
    validate,
)
from antq_core._validation import CODES
from antq_core.testing.strategies import datasets

SPACE = frozenset(
    {"space-parts-exceed-whole", "space-parts-may-exceed-whole", "space-parts-below-whole"}
)

MAP = Gazetteer(
    "space-test",
    [
        AdminUnit(code="90", name="Thử", level="province"),
        AdminUnit(code="901", name="Một", level="district", parent="90"),
        AdminUnit(code="902", name="Hai", level="district", parent="90"),
        AdminUnit(code="90101", name="Ba", level="commune", parent="901"),
        AdminUnit(code="90102", name="Bốn", level="commune", parent="901"),
        AdminUnit(code="90201", name="Năm", level="commune", parent="902"),
    ],
)
THEME = InitiativeTheme(id="t", name_vi="Chủ đề", name_en="Theme")
INITIATIVE = Initiative(id="mh", name_vi="Mô hình thử", theme="t")
SITES = (
    Site(id="s1", initiative="mh", admin_units=("90101",)),
    Site(id="s2", initiative="mh", admin_units=("90101", "90102")),  # anchored at 901
)


def _obs(
    subject: str,
    value: int | str,
    *,
    metric: str = "tips_received",
    period: str = "2024",
    unit: str | None = None,
    qualifier: str = "exact",
) -> Observation:
    default = {"tips_received": "tip", "households_registered": "household"}.get(metric, "m2")
    return Observation(
        metric=metric,
        subject=subject,
        period=period,
        value=value,
        unit=unit or default,
        qualifier=qualifier,
    )


def _dataset(*observations: Observation) -> Dataset:
    cat = builtin_catalog()
    return Dataset(
        gazetteer=MAP,
        metadata=DatasetMetadata(title_vi="Thử"),
        themes=[THEME],
        categories=cat.categories,
        metrics=cat.metrics,
        initiatives=[INITIATIVE],
        sites=SITES,
        observations=observations,
    )


def _space(*observations: Observation) -> list[Issue]:
    return [i for i in validate(_dataset(*observations)) if i.code in SPACE]


def test_districts_adding_to_more_than_their_province_are_an_error() -> None:
    (found,) = _space(_obs("unit:90", 500), _obs("unit:901", 400), _obs("unit:902", 400))
    assert found.code == "space-parts-exceed-whole"
    assert found.severity is Severity.ERROR
    assert found.where.row == 0
    d = found.details
    assert (d["whole"], d["parts"], d["total"], d["count"]) == ("unit:90", 800, 500, 2)
    assert d["subjects"] == ("unit:901", "unit:902")
    assert d["rows"] == ("0", "1", "2")
    assert "800" in found.message("en")
    assert "unit:902" in found.message("vi")


def test_districts_adding_to_less_are_an_info_and_equal_parts_say_nothing() -> None:
    (found,) = _space(_obs("unit:90", 5000), _obs("unit:901", 300), _obs("unit:902", 500))
    assert found.code == "space-parts-below-whole"
    assert found.severity is Severity.INFO
    assert (found.details["parts"], found.details["total"]) == (800, 5000)
    assert _space(_obs("unit:90", 800), _obs("unit:901", 300), _obs("unit:902", 500)) == []


def test_only_the_outermost_parts_are_added() -> None:
    # The communes of district 901 are parts of 901, not a second time of the province.
    found = _space(
        _obs("unit:90", 500),
        _obs("unit:901", 300),
        _obs("unit:90101", 200),
        _obs("unit:90102", 200),
        _obs("unit:902", 100),
    )
    by_whole = {i.details["whole"]: i for i in found}
    # The province: its districts' 300 + 100, not 300 + 200 + 200 + 100.
    assert by_whole["unit:90"].code == "space-parts-below-whole"
    assert by_whole["unit:90"].details["parts"] == 400
    assert by_whole["unit:90"].details["subjects"] == ("unit:901", "unit:902")
    assert by_whole["unit:901"].code == "space-parts-exceed-whole"
    assert by_whole["unit:901"].details["parts"] == 400
    assert by_whole["unit:901"].details["subjects"] == ("unit:90101", "unit:90102")


def test_qualifiers_are_intervals() -> None:
    # "at least 400" and "at least 200" can hold beside exactly 500: nothing to say for sure
    # above, but below: at most 100 and at most 50 cannot reach 500.
    assert (
        _space(
            _obs("unit:90", 500),
            _obs("unit:901", 400, qualifier="at_least"),
            _obs("unit:902", 200, qualifier="at_least"),
        )[0].code
        == "space-parts-exceed-whole"
    )
    assert _space(_obs("unit:90", 300, qualifier="at_least"), _obs("unit:901", 400)) == []
    (below,) = _space(_obs("unit:90", 500), _obs("unit:901", 100, qualifier="at_most"))
    assert below.code == "space-parts-below-whole"
    (estimate,) = _space(_obs("unit:90", 500, qualifier="approximately"), _obs("unit:901", 600))
    assert estimate.code == "space-parts-may-exceed-whole"
    assert estimate.severity is Severity.WARNING


def test_units_convert_before_comparing() -> None:
    (found,) = _space(
        _obs("unit:90", "0.5", metric="poppy_area_destroyed", unit="ha"),
        _obs("unit:901", 4000, metric="poppy_area_destroyed"),
        _obs("unit:902", 2000, metric="poppy_area_destroyed"),
    )
    assert found.code == "space-parts-exceed-whole"
    assert (found.details["parts"], found.details["total"], found.details["unit_code"]) == (
        Decimal("0.6"),
        Decimal("0.5"),
        "ha",
    )


def test_flows_add_the_parts_periods_inside_the_whole_period() -> None:
    quarters = [_obs("unit:901", 200, period=f"2024Q{q}") for q in (1, 2, 3)]
    (found,) = _space(_obs("unit:90", 500), *quarters)
    assert found.code == "space-parts-exceed-whole"
    assert found.details["parts"] == 600
    # A part's year is not inside the whole's quarter: not compared.
    assert _space(_obs("unit:90", 5, period="2024Q1"), _obs("unit:901", 100)) == []
    # Periods of a part that overlap each other are not both added: its year, not 300 + 300.
    overlapping = [_obs("unit:901", 300, period="2024"), _obs("unit:901", 300, period="2024Q1")]
    (below,) = _space(_obs("unit:90", 400), *overlapping)
    assert below.code == "space-parts-below-whole"
    assert below.details["parts"] == 300


def test_stocks_take_each_parts_last_value_in_the_period() -> None:
    stock = "households_registered"
    rows = [
        _obs("unit:90", 90, metric=stock, period="2024"),
        _obs("unit:901", 90, metric=stock, period="2024-03"),
        _obs("unit:901", 60, metric=stock, period="2024-12"),
        _obs("unit:902", 30, metric=stock, period="2024-12"),
    ]
    assert _space(*rows) == []  # 60 + 30 = 90; adding the months would be 180
    rows[2] = _obs("unit:901", 80, metric=stock, period="2024-12")
    (found,) = _space(*rows)
    assert found.code == "space-parts-exceed-whole"
    assert found.details["parts"] == 110


def test_sites_are_parts_of_their_units_and_of_their_initiative() -> None:
    # s2 is anchored at district 901 (its communes' lowest common unit), s1 at commune 90101.
    (unit,) = _space(_obs("unit:901", 10), _obs("site:s1", 8), _obs("site:s2", 7))
    assert unit.details["whole"] == "unit:901"
    assert unit.details["subjects"] == ("site:s1", "site:s2")
    found = _space(_obs("initiative:mh", 10), _obs("site:s1", 8), _obs("site:s2", 7))
    assert [i.details["whole"] for i in found] == ["initiative:mh"]
    assert found[0].details["parts"] == 15
    # A site under a commune that reports is a part of the commune only.
    nested = _space(_obs("unit:901", 10), _obs("unit:90101", 9), _obs("site:s1", 12))
    assert [(i.code, i.details["whole"], i.details["parts"]) for i in nested] == [
        ("space-parts-below-whole", "unit:901", 9),  # the commune, not the site again
        ("space-parts-exceed-whole", "unit:90101", 12),  # the site inside the commune
    ]


def test_different_breakdowns_and_metrics_are_never_compared() -> None:
    ds = _dataset(
        _obs("unit:90", 5),
        Observation(
            metric="tips_received",
            subject="unit:901",
            period="2024",
            value=50,
            unit="tip",
            disaggregation={"sex": "female"},
        ),
        _obs("unit:902", 50, metric="valuable_tips"),
    )
    assert [i for i in validate(ds) if i.code in SPACE] == []


def test_a_whole_without_a_metric_definition_or_of_another_kind_is_not_compared() -> None:
    ratio = MetricDefinition(
        id="share",
        name_vi="Tỷ lệ",
        name_en="Share",
        unit="percent",
        kind="ratio",
        numerator="tips_received",
        denominator="tips_received",
    )
    ds = _dataset(
        _obs("unit:90", 5, metric="share", unit="percent"),
        _obs("unit:901", 50, metric="share", unit="percent"),
    )
    ds = ds.replace(metrics=[*builtin_catalog().metrics, ratio])
    assert [i for i in validate(ds) if i.code in SPACE] == []


# -- laws ---------------------------------------------------------------------------------------

UNITS = [u.code for u in MAP]


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(UNITS), st.integers(0, 1000), min_size=1))
def test_exact_figures_of_one_period_match_a_plain_reference(figures: dict[str, int]) -> None:
    found = {
        (i.details["whole"], i.code, i.details["parts"])
        for i in _space(*(_obs(f"unit:{code}", value) for code, value in figures.items()))
    }
    expected = set()
    for whole, value in figures.items():
        inside = [c for c in figures if c != whole and whole in MAP.lineage(c)[1:]]
        # The outermost: no other reporter between them and the whole.
        outer = [c for c in inside if not any(a in inside for a in MAP.lineage(c)[1:])]
        if not outer:
            continue
        parts = sum(figures[c] for c in outer)
        if parts > value:
            expected.add((f"unit:{whole}", "space-parts-exceed-whole", parts))
        elif parts < value:
            expected.add((f"unit:{whole}", "space-parts-below-whole", parts))
    assert found == expected


def _group_sets(gazetteer: Gazetteer) -> st.SearchStrategy[list[UnitGroupSet]]:
    codes = [u.code for u in gazetteer]
    if not codes:
        return st.just([])
    members = st.lists(st.sampled_from(codes), max_size=4, unique=True).map(tuple)
    groups = st.lists(members, min_size=1, max_size=3).map(
        lambda ms: [
            UnitGroup(f"g{i}", f"Nhóm {i}", {gazetteer.version: m}) for i, m in enumerate(ms)
        ]
    )
    return st.lists(
        st.builds(
            lambda gs, exclusive, i: UnitGroupSet(f"s{i}", "Bộ", gs, exclusive=exclusive),
            groups,
            st.booleans(),
            st.integers(0, 9),
        ),
        max_size=2,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_validation_never_crashes_on_generated_datasets_with_the_new_checks(
    data: st.DataObject,
) -> None:
    ds = data.draw(datasets(max_observations=40))
    ids = [u.code for u in ds.gazetteer] + list(ds.initiatives) + list(ds.sites)
    pairs = (
        data.draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=3))
        if ids
        else []
    )
    sets = data.draw(_group_sets(ds.gazetteer))
    report = validate(ds, distinct_names=pairs, group_sets=sets)
    for found in report:
        assert found.code in CODES
        assert found.message("vi")
        assert found.message("en")
        if found.code in {"space-parts-exceed-whole", "space-parts-may-exceed-whole"}:
            assert found.details["parts"] > found.details["total"]  # type: ignore[operator]
        if found.code == "space-parts-below-whole":
            assert found.details["parts"] < found.details["total"]  # type: ignore[operator]
        if found.code == "unit-in-two-groups":
            assert len(found.details["group_ids"]) >= 2
    assert report.to_json()


_ROWS = st.builds(
    lambda subject, value, period, qualifier, ha: _obs(
        subject,
        value if not ha else str(Decimal(value) / 100),
        metric="poppy_area_destroyed",
        period=period,
        unit="ha" if ha else "m2",
        qualifier=qualifier,
    ),
    st.sampled_from([f"unit:{c}" for c in UNITS] + ["site:s1", "site:s2", "initiative:mh"]),
    st.integers(0, 5000),
    st.sampled_from(["2024", "2024Q1", "2024Q2", "2024-02", "2023/2024"]),
    st.sampled_from(["exact", "at_least", "at_most", "approximately"]),
    st.booleans(),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(_ROWS, max_size=25))
def test_mixed_levels_periods_units_and_qualifiers_never_crash_and_say_what_they_found(
    rows: list[Observation],
) -> None:
    for found in _space(*rows):
        d = found.details
        assert f"$.observations[{found.where.row}].value" == found.where.path
        assert str(found.where.row) in d["rows"]  # type: ignore[operator]
        if found.code == "space-parts-below-whole":
            assert d["parts"] < d["total"]  # type: ignore[operator]
        else:
            assert d["parts"] > d["total"]  # type: ignore[operator]
        assert d["whole"] not in d["subjects"]  # type: ignore[operator]
