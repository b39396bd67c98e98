"""Double counting over space: a whole (a unit, an initiative) beside the figures of its parts.

Worked examples on a small map of our own (one province, two districts, three
communes), with a flow (tips received) and a stock (households registered).
"""

from __future__ import annotations

from decimal import Decimal

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
    builtin_catalog,
    validate,
)

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
