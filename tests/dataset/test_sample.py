"""The bundled Lai Châu 2017 sample reproduces every figure of the seed article."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from antq_core import (
    AdminLevel,
    Dataset,
    Observation,
    ParticipantRole,
    Period,
    Qualifier,
    Quantity,
    builtin_catalog,
    bundled_gazetteer,
    sample,
)
from antq_core.errors import IncompatibleUnitsError
from antq_core.text import nfc, parse_quantity

REPORT_DATE = dt.date(2017, 7, 13)
SOURCE = "blc-2017-07-13"
PROVINCE = "unit:12"
MUONG_SO = "site:site-muong-so"
CLUSTER = "site:site-cum-giap-ranh"
PRESTIGE = "initiative:mh-nguoi-uy-tin"
EXEMPLARS = {"Nguyễn Văn A (tên giả định)", "Trần Thị B (tên giả định)", "Lê Thị C (tên giả định)"}


def figure(
    ds: Dataset, metric: str, subject: str, disaggregation: dict[str, str] | None = None
) -> Observation:
    """The one observation of ``metric`` about ``subject`` for that slice."""
    found = [
        o
        for o in ds.observations_of(subject, metric)
        if dict(o.disaggregation) == (disaggregation or {})
    ]
    assert len(found) == 1, (metric, subject, disaggregation, found)
    return found[0]


# -- province-wide totals --------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "unit", "value"),
    [
        ("initiatives", "initiative", 32),
        ("initiative_sites", "site", 250),
        ("mass_organizations", "organization", 5_817),
        ("mass_organization_members", "member", 35_122),
    ],
)
def test_province_stock_figures(lai_chau: Dataset, metric: str, unit: str, value: int) -> None:
    o = figure(lai_chau, metric, PROVINCE)
    assert o.quantity == Quantity(value, unit)
    assert o.period == Period.day(REPORT_DATE)


def test_tips_are_thousands_a_lower_bound(lai_chau: Dataset) -> None:
    o = figure(lai_chau, "valuable_tips", PROVINCE)
    assert o.quantity == Quantity(1_000, "tip", Qualifier.AT_LEAST)
    assert o.quantity == parse_quantity("hàng nghìn", unit="tip")
    assert o.period.end == REPORT_DATE


# -- model 1: community reintegration, Mường So -------------------------------------------------


def test_released_prisoners_employed_by_capital_source(lai_chau: Dataset) -> None:
    period = Period.parse("2012-01-01/2017-07-13")
    total = figure(lai_chau, "released_prisoners_employed", MUONG_SO)
    assert total.quantity == Quantity(29, "person")
    parts = {
        option: figure(
            lai_chau, "released_prisoners_employed", MUONG_SO, {"capital_source": option}
        )
        for option in ("policy_bank_or_credit_fund", "family", "own_effort")
    }
    assert {k: o.value for k, o in parts.items()} == {
        "policy_bank_or_credit_fund": 7,
        "family": 11,
        "own_effort": 10,
    }
    assert {total.period} | {o.period for o in parts.values()} == {period}
    # 7 + 11 + 10 = 28 <= 29: parts never exceed the whole, and need not add up to it.
    assert Quantity.sum(o.quantity for o in parts.values()).value == 28
    metric = lai_chau.metric("released_prisoners_employed")
    assert "capital_source" in metric.categories
    options = {o.id for o in lai_chau.categories["capital_source"].options}
    assert set(parts) <= options


def test_released_prisoners_earning_two_million_or_more(lai_chau: Dataset) -> None:
    o = figure(lai_chau, "released_prisoners_income_2m_plus", MUONG_SO)
    assert o.quantity == Quantity(18, "person")
    assert o.period == Period.day(REPORT_DATE)
    threshold = lai_chau.metric("released_prisoners_income_2m_plus").threshold
    assert threshold == Quantity(2_000_000, "vnd_per_month", Qualifier.AT_LEAST)
    assert threshold == parse_quantity("từ 2 triệu đồng/tháng trở lên")


def test_muong_so_site_and_exemplars(lai_chau: Dataset) -> None:
    site = lai_chau.site("site-muong-so")
    (commune,) = lai_chau.site_units(site)
    assert (commune.name, commune.level) == ("Mường So", AdminLevel.COMMUNE)
    assert lai_chau.gazetteer.unit(commune.parent or "").name == "Phong Thổ"
    people = [p for p in lai_chau.participants.values() if ParticipantRole.EXEMPLAR in p.roles]
    assert len(people) == 3
    assert {p.full_name for p in people} == EXEMPLARS
    assert {p.initiative for p in people} == {"mh-tai-hoa-nhap-muong-so"}
    villages = {lai_chau.gazetteer.unit(p.admin_unit or "").name for p in people}
    assert villages == {"Tây Sơn", "Tây Nguyên", "Vàng Bâu"}
    for p in people:
        village = lai_chau.gazetteer.unit(p.admin_unit or "")
        assert (village.level, village.parent) == (AdminLevel.VILLAGE, commune.code)


# SHA-256 of the names the article gives the three exemplars (NFC, casefolded): the sample
# must not hold them (Decree 13/2023/NĐ-CP, see docs/safety.md), and this file need not either.
REAL_NAME_DIGESTS = frozenset(
    {
        "5142f30f20eb3b82e7b51476d0fa74fb176b0ca7ebb4626729e491c8a9a8c6c1",
        "594daa6c14bd70944fd36458ee83ab2333fdbc7b0a3ea00f8b4c7c9bc3475f4b",
        "66ff59b7c1ba9c7326d4ea334a34841e20ce727c31536362e4eadefc6bc3f276",
    }
)


def test_the_sample_holds_no_real_name_of_the_exemplars(lai_chau: Dataset) -> None:
    """Every run of two to four words of every string in the sample, hashed, is none of them."""
    document = lai_chau.to_dict(include_sensitive=True)
    seen = 0
    for text in _strings(document):
        words = re.findall(r"\w+", unicodedata.normalize("NFC", text).casefold())
        for size in (2, 3, 4):
            for start in range(len(words) - size + 1):
                run = " ".join(words[start : start + size]).encode()
                assert hashlib.sha256(run).hexdigest() not in REAL_NAME_DIGESTS
                seen += 1
    assert seen > 1000  # the search did look at the texts
    for p in lai_chau.participants.values():
        assert p.full_name is not None
        assert p.full_name.endswith("(tên giả định)")  # marked as made up


def test_exemplar_names_appear_only_in_the_sensitive_field(lai_chau: Dataset) -> None:
    public = lai_chau.dumps(include_sensitive=False)
    assert not any(name in public for name in EXEMPLARS)
    for p in lai_chau.participants.values():
        assert p.full_name in EXEMPLARS
        assert p.full_name not in (p.note_vi or "")
        assert p.full_name not in repr(p)


# -- model 2: prestigious persons, opium poppy ----------------------------------------------------


def test_poppy_destroyed_in_the_2016_2017_season(lai_chau: Dataset) -> None:
    o = figure(lai_chau, "poppy_area_destroyed", PRESTIGE)
    assert o.quantity == Quantity(58_000, "m2", Qualifier.AT_LEAST)
    assert o.quantity == parse_quantity("trên 58 nghìn m2")
    assert o.quantity.to("ha") == Quantity(Decimal("5.8"), "ha", Qualifier.AT_LEAST)
    assert o.period == Period.crop_season(2016)
    assert str(o.period) == "2016/2017"
    sites = lai_chau.sites_of("mh-nguoi-uy-tin")
    assert {lai_chau.site_units(s)[0].name for s in sites} == {"Tà Tổng", "Mù Cả"}
    assert all(s.example for s in sites)


# -- model 3: the border cluster -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "quantity"),
    [
        ("cases_resolved_jointly", Quantity(22, "case")),
        ("outreach_meetings", Quantity(12, "meeting")),
        ("outreach_attendance_household_times", Quantity(4_810, "household_attendance")),
    ],
)
def test_cluster_figures(lai_chau: Dataset, metric: str, quantity: Quantity) -> None:
    o = figure(lai_chau, metric, CLUSTER)
    assert o.quantity == quantity
    assert o.period == Period.parse("2016-01-01/2017-07-13")


def test_the_cluster_spans_three_communes_and_counts_at_tam_duong(lai_chau: Dataset) -> None:
    site = lai_chau.site("site-cum-giap-ranh")
    units = lai_chau.site_units(site)
    assert {u.name for u in units} == {"Bản Giang", "Hồ Thầu", "Tả Lèng"}
    assert {u.code for u in units} == {"03400", "03406", "03418"}
    assert all(u.level is AdminLevel.COMMUNE for u in units)
    anchor = lai_chau.site_anchor(site)
    assert (anchor.code, anchor.name, anchor.level) == ("106", "Tam Đường", AdminLevel.DISTRICT)
    agreement = site.coordination_agreement
    assert agreement is not None
    assert len(agreement.parties) == 3


def test_household_attendances_never_add_to_households(lai_chau: Dataset) -> None:
    attendances = figure(lai_chau, "outreach_attendance_household_times", CLUSTER).quantity
    with pytest.raises(IncompatibleUnitsError):
        attendances + Quantity(100, "household")


# -- initiatives --------------------------------------------------------------------------------


def test_seven_initiatives_three_typical(lai_chau: Dataset) -> None:
    assert len(lai_chau.initiatives) == 7
    typical = {i.id for i in lai_chau.initiatives.values() if i.typical}
    assert typical == {"mh-tai-hoa-nhap-muong-so", "mh-nguoi-uy-tin", "mh-cum-giap-ranh-tam-duong"}
    assert lai_chau.initiative("mh-tai-hoa-nhap-muong-so").started == Period.year(2012)
    assert lai_chau.initiative("mh-cum-giap-ranh-tam-duong").started == Period.year(2016)


# -- the dataset as a whole --------------------------------------------------------------


def test_every_observation_cites_the_article(lai_chau: Dataset) -> None:
    source = lai_chau.source(SOURCE)
    assert (source.publisher, source.published_on) == ("Báo Lai Châu", REPORT_DATE)
    assert {o.source for o in lai_chau.observations} == {SOURCE}
    assert len(lai_chau.observations) == 14


def test_periods_end_by_the_report_date_but_the_crop_season(lai_chau: Dataset) -> None:
    assert lai_chau.metadata.report_date == REPORT_DATE
    assert lai_chau.metadata.province == "12"
    assert all(o.period.start <= REPORT_DATE for o in lai_chau.observations)
    # Niên vụ 2016-2017 formally runs to 31 August 2017, after the article; the
    # metadata's "no period may pass it" does not hold for it (see the report).
    late = [(o.metric, str(o.period)) for o in lai_chau.observations if o.period.end > REPORT_DATE]
    assert late == [("poppy_area_destroyed", "2016/2017")]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_every_text_is_nfc(lai_chau: Dataset) -> None:
    texts = list(_strings(lai_chau.to_dict(include_sensitive=True)))
    assert any(not t.isascii() for t in texts)
    assert [t for t in texts if nfc(t) != t] == []


def test_every_metric_is_the_builtin_catalog_definition(lai_chau: Dataset) -> None:
    catalog = builtin_catalog()
    for metric in lai_chau.metrics.values():
        assert metric == catalog.metric(metric.id)
    assert set(lai_chau.metrics) == {m.id for m in catalog.metrics}
    assert {c.id: c for c in catalog.categories} == dict(lai_chau.categories)


def test_every_reference_resolves(
    lai_chau: Dataset, unresolved_references: Callable[[Dataset], list[str]]
) -> None:
    assert unresolved_references(lai_chau) == []


def test_the_bundled_gazetteer_is_the_sample_s(lai_chau: Dataset) -> None:
    assert bundled_gazetteer() == lai_chau.gazetteer
    assert bundled_gazetteer("lai_chau_2017").version == "vn-2017"


def test_each_call_gives_a_fresh_equal_copy(lai_chau: Dataset) -> None:
    again = sample()
    assert again is not lai_chau
    assert again == lai_chau
