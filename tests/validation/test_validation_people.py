"""Statutory security teams (a leader, members' ages) and reported rates against their parts."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antq_core import (
    Dataset,
    MassOrganization,
    MetricDefinition,
    Observation,
    OrganizationKind,
    Participant,
    Severity,
    Tolerance,
    ValidationReport,
    sample,
    validate,
    validate_json,
)
from antq_core._validation import CODES
from antq_core.testing.strategies import mass_organizations, participants

TEAM_CODES = ("team-without-leader", "member-under-age", "member-over-age")
RATIO_CODES = ("ratio-mismatch", "ratio-zero-denominator")
FOUNDED = dt.date(2024, 8, 1)
_SAMPLE = sample()  # for the properties (hypothesis does not take function-scoped fixtures)


def _ours(report: ValidationReport, codes: Iterable[str]) -> list[Any]:
    wanted = set(codes)
    return [i for i in report if i.code in wanted]


# -- statutory teams ---------------------------------------------------------------------------


def _team(
    team_id: str = "team-1",
    *,
    kind: str = "security_order_team",
    founded: dt.date | None = FOUNDED,
) -> MassOrganization:
    return MassOrganization(
        id=team_id,
        kind=kind,
        name_vi=f"Tổ bảo vệ an ninh, trật tự {team_id}",
        admin_unit="03589",
        established_on=founded,
    )


def _person(
    person_id: str,
    *roles: str,
    born: dt.date | None = None,
    team: str | None = "team-1",
    **personal: Any,
) -> Participant:
    return Participant(
        id=person_id,
        roles=roles or ("member",),
        organization=team,
        birth_date=born,
        **personal,
    )


def _with_teams(
    ds: Dataset, teams: Iterable[MassOrganization], people: Iterable[Participant]
) -> ValidationReport:
    return validate(
        ds.replace(organizations=teams, participants=[*ds.participants.values(), *people])
    )


def test_a_team_with_only_a_deputy_has_no_leader(lai_chau: Dataset) -> None:
    people = [_person("p-deputy", "deputy"), _person("p-member", "member")]
    report = _with_teams(lai_chau, [_team("team-0", kind="mediation_team"), _team()], people)
    (issue,) = _ours(report, TEAM_CODES)
    assert issue.code == "team-without-leader"
    assert issue.severity is Severity.WARNING
    assert (issue.where.kind, issue.where.id, issue.where.path) == (
        "organization",
        "team-1",
        "$.organizations[1]",
    )
    assert issue.details == {"organization": "team-1", "count": 2}
    assert "may be incomplete" in issue.message("en")
    assert "có thể danh sách chưa đầy đủ" in issue.message("vi")
    assert "2 participants recorded" in issue.message("en")


def test_a_team_with_a_leader_or_with_nobody_recorded_says_nothing(lai_chau: Dataset) -> None:
    people = [_person("p-leader", "leader"), _person("p-deputy", "deputy")]
    report = _with_teams(lai_chau, [_team(), _team("team-2")], people)
    assert _ours(report, TEAM_CODES) == []


@pytest.mark.parametrize(
    "kind", sorted(set(OrganizationKind) - {OrganizationKind.SECURITY_ORDER_TEAM})
)
def test_only_the_statutory_team_is_held_to_the_law(lai_chau: Dataset, kind: str) -> None:
    # A people's security team (tổ an ninh nhân dân) has no statutory leader or age limits.
    people = [_person("p-child", "member", born=dt.date(2015, 1, 1))]
    report = _with_teams(lai_chau, [_team(kind=kind)], people)
    assert _ours(report, TEAM_CODES) == []


def test_members_below_18_are_errors_above_70_warnings(lai_chau: Dataset) -> None:
    people = [
        _person("p-leader", "leader", born=dt.date(1980, 5, 5)),
        _person("p-17", born=dt.date(2006, 8, 2)),  # 18 the day after the founding
        _person("p-18", born=dt.date(2006, 8, 1)),  # 18 on the day
        _person("p-70", born=dt.date(1953, 8, 2)),  # 71 the day after
        _person("p-71", born=dt.date(1953, 8, 1)),  # 71 on the day
        _person("p-unknown"),  # no birth date: nothing to check
    ]
    report = _with_teams(lai_chau, [_team()], people)
    found = {(i.code, i.where.id, i.severity) for i in _ours(report, TEAM_CODES)}
    assert found == {
        ("member-under-age", "p-17", Severity.ERROR),
        ("member-over-age", "p-71", Severity.WARNING),
    }
    under = next(i for i in report if i.code == "member-under-age")
    assert under.details == {"participant": "p-17", "organization": "team-1", "bound": 18}
    assert under.where.path == "$.participants[4].birth_date"  # after the sample's three
    assert "under 18" in under.message("en")
    assert "chưa đủ 18 tuổi" in under.message("vi")
    over = next(i for i in report if i.code == "member-over-age")
    assert over.details == {"participant": "p-71", "organization": "team-1", "bound": 70}
    assert "over 70" in over.message("en")
    assert "trên 70 tuổi" in over.message("vi")
    assert "People's Committee" in over.message("en")


def test_a_leap_day_birthday_falls_on_28_february_in_common_years(lai_chau: Dataset) -> None:
    def codes(born: dt.date, founded: dt.date) -> list[str]:
        person = _person("p-leap", "leader", born=born)
        return [
            i.code
            for i in _ours(_with_teams(lai_chau, [_team(founded=founded)], [person]), TEAM_CODES)
        ]

    # Born 29 February 2008: 18 on 28 February 2026, a common year.
    assert codes(dt.date(2008, 2, 29), dt.date(2026, 2, 27)) == ["member-under-age"]
    assert codes(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == []
    # (18 and 71 years after a leap year are never leap years: the 28th always stands in.)
    # Born 29 February 1956: 71 on 28 February 2027.
    assert codes(dt.date(1956, 2, 29), dt.date(2027, 2, 27)) == []
    assert codes(dt.date(1956, 2, 29), dt.date(2027, 2, 28)) == ["member-over-age"]
    # Born after the founding: under age, whatever went wrong.
    assert codes(dt.date(2030, 1, 1), dt.date(2027, 2, 28)) == ["member-under-age"]


def test_without_a_founding_date_only_the_leader_is_checked(lai_chau: Dataset) -> None:
    people = [_person("p-child", "member", born=dt.date(2015, 1, 1))]
    report = _with_teams(lai_chau, [_team(founded=None)], people)
    assert [i.code for i in _ours(report, TEAM_CODES)] == ["team-without-leader"]


def test_age_issues_carry_no_personal_data(lai_chau: Dataset) -> None:
    people = [
        _person(
            "p-young",
            "leader",
            born=dt.date(2009, 3, 14),
            full_name="Lò Thị Mây",
            identity_number="012345678901",
        ),
        _person("p-old", born=dt.date(1940, 11, 27), full_name="Vàng A Páo"),
    ]
    document = lai_chau.replace(
        organizations=[_team()], participants=[*lai_chau.participants.values(), *people]
    ).dumps(include_sensitive=True)
    assert all(s in document for s in ("2009-03-14", "Lò Thị Mây", "012345678901"))
    report = validate_json(document)
    assert {i.code for i in _ours(report, TEAM_CODES)} == {"member-under-age", "member-over-age"}
    texts = [report.to_json(), report.to_text("vi"), report.to_text("en")]
    texts += [json.dumps(i.to_dict(), ensure_ascii=False) for i in report]
    secrets = ["2009-03-14", "14/03/2009", "14 March 2009", "1940-11-27", "27/11/1940"]
    secrets += ["27 November 1940", "Lò Thị Mây", "Vàng A Páo", "012345678901"]
    for text in texts:
        for secret in secrets:
            assert secret not in text
            assert unicodedata.normalize("NFD", secret) not in text
    # The ages themselves (15 and 83 at the founding) are not among the facts either.
    for issue in _ours(report, TEAM_CODES):
        assert set(issue.details) == {"participant", "organization", "bound"}
        assert issue.details["bound"] in (18, 70)


def _anniversary(born: dt.date, years: int) -> dt.date:
    """The day a person born on ``born`` turns ``years``: 28 February for 29 February."""
    year = born.year + years
    return dt.date(year, born.month, min(born.day, calendar.monthrange(year, born.month)[1]))


@st.composite
def _births_and_foundings(draw: st.DrawFn) -> tuple[list[dt.date], dt.date]:
    founded = draw(st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)))
    births = []
    for _ in range(draw(st.integers(1, 8))):
        near = draw(st.sampled_from((18, 71, None)))
        if near is None:
            births.append(draw(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))))
            continue
        # Near a birthday that matters: someone born on or around the same day, years before.
        born = _anniversary(founded, -near) if founded.year - near >= 1 else founded
        shift = dt.timedelta(days=draw(st.integers(-3, 3)))
        births.append(born + shift)
    return births, founded


@given(_births_and_foundings())
def test_ages_agree_with_counting_birthdays(data: tuple[list[dt.date], dt.date]) -> None:
    births, founded = data
    people = [_person(f"p-{i}", "leader", born=b) for i, b in enumerate(births)]
    ds = _SAMPLE.replace(organizations=[_team(founded=founded)], participants=people)
    found = {i.where.id: i.code for i in _ours(validate(ds), TEAM_CODES)}
    for i, born in enumerate(births):
        expected = None
        if founded < _anniversary(born, 18):
            expected = "member-under-age"
        elif founded >= _anniversary(born, 71):
            expected = "member-over-age"
        assert found.get(f"p-{i}") == expected, (born, founded)


_TEAM_IDS = st.sampled_from(["team-1", "team-2", "org-3"])


@given(
    st.lists(mass_organizations(ids=_TEAM_IDS), max_size=3, unique_by=lambda o: o.id),
    st.lists(
        participants(organizations=_TEAM_IDS, ids=st.sampled_from([f"p-{i}" for i in range(12)])),
        max_size=10,
        unique_by=lambda p: p.id,
    ),
)
def test_arbitrary_teams_and_people_never_raise(
    teams: list[MassOrganization], people: list[Participant]
) -> None:
    report = validate(_SAMPLE.replace(organizations=teams, participants=people))
    statutory = {t.id: t for t in teams if t.kind is OrganizationKind.SECURITY_ORDER_TEAM}
    members = {t: [p for p in people if p.organization == t] for t in statutory}
    leaderless = {
        t for t, ps in members.items() if ps and not any("leader" in p.roles for p in ps)
    }
    assert {i.where.id for i in report if i.code == "team-without-leader"} == leaderless
    for issue in _ours(report, TEAM_CODES):
        # The facts are ids, a count and a bound: nothing personal can be worded from them.
        if issue.code == "team-without-leader":
            assert set(issue.details) == {"organization", "count"}
            continue
        assert set(issue.details) == {"participant", "organization", "bound"}
        assert issue.details["participant"] == issue.where.id
        person = next(p for p in people if p.id == issue.where.id)
        assert person.organization in statutory
        assert person.birth_date is not None
        assert statutory[person.organization].established_on is not None


# -- reported rates ----------------------------------------------------------------------------


def _rate_rows(
    rate: int | str | None,
    succeeded: int | str | None,
    cases: int | str | None,
    **common: Any,
) -> list[Observation]:
    fields = {"subject": "unit:12", "period": "2016"} | common
    rows = []
    for metric, unit, value in (
        ("mediation_success_rate", "percent", rate),
        ("mediation_succeeded", "case", succeeded),
        ("mediation_cases", "case", cases),
    ):
        if value is not None:
            rows.append(Observation(metric=metric, unit=unit, value=value, **fields))
    return rows


def _rates(ds: Dataset, rows: Iterable[Observation], **options: Any) -> list[Any]:
    return _ours(validate(ds.replace(observations=list(rows)), **options), RATIO_CODES)


def test_a_rate_that_its_parts_do_not_give_is_a_warning(lai_chau: Dataset) -> None:
    rows = [*lai_chau.observations, *_rate_rows(80, 20, 30)]
    report = validate(lai_chau.replace(observations=rows))
    (issue,) = _ours(report, RATIO_CODES)
    assert issue.code == "ratio-mismatch"
    assert issue.severity is Severity.WARNING
    n = len(lai_chau.observations)
    assert issue.where.path == f"$.observations[{n}].value"
    details = issue.details
    assert details["metric"] == "mediation_success_rate"
    assert (details["subject"], details["period"]) == ("unit:12", "2016")
    assert (details["reported"], details["recomputed"]) == (80, Decimal("66.67"))
    assert details["rows"] == (str(n), str(n + 1), str(n + 2))
    assert issue.message("en") == (
        "Rate mediation_success_rate of unit:12 (2016) is reported as 80 %, but "
        "mediation_succeeded = 20 cases and mediation_cases = 30 cases give 66.67 % "
        f"(difference 13.33, allowed 0.8; rows {n}, {n + 1}, {n + 2})."
    )
    assert "thì được 66,67 %" in issue.message("vi")
    # The sample's own issues are unchanged.
    assert report.errors == ()


@pytest.mark.parametrize(
    ("rate", "flagged"),
    [
        (67, False),  # 66.67 rounds to 67: within half a point
        (66, True),  # 0.67 off, more than half a point
        ("66.7", False),  # within 0.05
        ("66.6", True),  # 0.067 off, more than 0.05
        ("66.67", False),
        ("66.66", True),
        ("66.667", False),  # three decimals claim 66.6665..66.6675: 66.6667 is in
        ("66.670", True),  # a trailing zero is a digit too: 66.6695..66.6705
    ],
)
def test_a_rate_is_allowed_its_own_rounding(
    lai_chau: Dataset, rate: int | str, flagged: bool
) -> None:
    found = _rates(lai_chau, _rate_rows(rate, 20, 30), ratio_tolerance=Tolerance())
    assert [i.code for i in found] == (["ratio-mismatch"] if flagged else [])


def test_the_default_tolerance_is_one_percent_of_the_rate(lai_chau: Dataset) -> None:
    # 200 / 300 = 66.67%; 66 is 0.67 off, within 1% of 66 (0.66)? No: flagged.
    assert [i.code for i in _rates(lai_chau, _rate_rows(66, 200, 300))] == ["ratio-mismatch"]
    # 9,950 / 10,000 = 99.5%; 99 is 0.5 off: half a point.
    assert _rates(lai_chau, _rate_rows(99, 9950, 10000)) == []
    # 1% of 99 is 0.99: 98.6 is 0.9 off, allowed by the relative tolerance.
    assert _rates(lai_chau, _rate_rows("98.6", 9950, 10000)) == []
    (issue,) = _rates(lai_chau, _rate_rows("98.4", 9950, 10000))
    assert issue.details["allowed"] == Decimal("0.984")
    assert _rates(lai_chau, _rate_rows(80, 20, 30), ratio_tolerance=Tolerance(absolute=14)) == []
    document = lai_chau.replace(observations=_rate_rows(80, 20, 30)).dumps()
    loose = validate_json(document, ratio_tolerance=Tolerance(relative=Decimal("0.2")))
    assert _ours(loose, RATIO_CODES) == []
    assert [i.code for i in _ours(validate_json(document), RATIO_CODES)] == ["ratio-mismatch"]


def test_a_rate_over_a_zero_denominator_is_a_warning(lai_chau: Dataset) -> None:
    (issue,) = _rates(lai_chau, _rate_rows(0, 0, 0))
    assert issue.code == "ratio-zero-denominator"
    assert issue.severity is Severity.WARNING
    assert issue.details["denominator"] == "mediation_cases"
    assert "its denominator mediation_cases is 0" in issue.message("en")
    assert "mẫu số mediation_cases bằng 0" in issue.message("vi")
    (issue,) = _rates(lai_chau, _rate_rows(100, 3, 0))
    assert issue.code == "ratio-zero-denominator"


@pytest.mark.parametrize(
    "rows",
    [
        _rate_rows(80, 20, None),  # the denominator is missing
        _rate_rows(80, None, 30),  # the numerator is missing
        _rate_rows(80, None, None),
        _rate_rows(None, 20, 30),  # no rate reported
        _rate_rows(80, 20, 30, period="2015")[:1] + _rate_rows(None, 20, 30),  # another period
        _rate_rows(80, 20, 30, subject="unit:105")[:1] + _rate_rows(None, 20, 30),
    ],
)
def test_a_rate_whose_parts_are_not_both_reported_is_left_alone(
    lai_chau: Dataset, rows: list[Observation]
) -> None:
    assert _rates(lai_chau, rows) == []


def test_only_exact_parts_reported_once_are_compared(lai_chau: Dataset) -> None:
    rows = _rate_rows(80, 20, 30)
    approximate = [rows[0], rows[1].model_copy(update={"qualifier": "approximately"}), rows[2]]
    assert _rates(lai_chau, approximate) == []
    rate_estimate = [rows[0].model_copy(update={"qualifier": "approximately"}), *rows[1:]]
    assert _rates(lai_chau, rate_estimate) == []
    twice = [*rows, rows[2].model_copy(update={"value": 40})]  # conflicting denominators
    report = validate(lai_chau.replace(observations=twice))
    assert _ours(report, RATIO_CODES) == []
    assert "conflicting-observations" in report.codes()
    # Each report of a rate is compared: a conflicting second rate is the one flagged.
    two_rates = [*_rate_rows(67, 20, 30), rows[0]]
    assert [i.where.row for i in _rates(lai_chau, two_rates)] == [3]


def _poppy_metrics(ds: Dataset) -> list[MetricDefinition]:
    planted = MetricDefinition(
        id="poppy_area_planted",
        name_vi="Diện tích cây thuốc phiện trồng",
        name_en="Poppy area planted",
        unit="ha",
        kind="flow",
    )
    share = MetricDefinition(
        id="poppy_destroyed_share",
        name_vi="Tỷ lệ diện tích thuốc phiện bị phá bỏ",
        name_en="Share of poppy area destroyed",
        unit="percent",
        kind="ratio",
        numerator="poppy_area_destroyed",  # in m²
        denominator="poppy_area_planted",  # in ha
        factor=100,
    )
    return [*ds.metrics.values(), planted, share]


@pytest.mark.parametrize(
    ("destroyed", "planted", "share", "flagged"),
    [
        (("1.5", "ha"), ("20000", "m2"), 75, False),  # 15,000 m² of 20,000 m²
        ((15000, "m2"), ("2", "ha"), 75, False),
        ((15000, "m2"), ("2", "ha"), "7.5", True),  # a factor of 10,000 lost on the way
        ((15000, "m2"), ("2.0", "ha"), 74, True),
    ],
)
def test_parts_in_units_that_convert_are_compared_in_base_units(
    lai_chau: Dataset,
    destroyed: tuple[int | str, str],
    planted: tuple[int | str, str],
    share: int | str,
    flagged: bool,
) -> None:
    where = {"subject": "initiative:mh-nguoi-uy-tin", "period": "2015"}
    rows = [
        Observation(metric="poppy_area_destroyed", value=destroyed[0], unit=destroyed[1], **where),
        Observation(metric="poppy_area_planted", value=planted[0], unit=planted[1], **where),
        Observation(metric="poppy_destroyed_share", value=share, unit="percent", **where),
    ]
    ds = lai_chau.replace(metrics=_poppy_metrics(lai_chau), observations=rows)
    report = validate(ds)
    assert report.errors == ()
    found = _ours(report, RATIO_CODES)
    assert [i.code for i in found] == (["ratio-mismatch"] if flagged else [])
    if flagged:
        assert found[0].details["recomputed"] == 75


def test_units_the_metric_does_not_take_are_left_to_their_own_check(lai_chau: Dataset) -> None:
    where = {"subject": "initiative:mh-nguoi-uy-tin", "period": "2015"}
    rows = [
        Observation(metric="poppy_area_destroyed", value=3, unit="case", **where),
        Observation(metric="poppy_area_planted", value=2, unit="ha", **where),
        Observation(metric="poppy_destroyed_share", value=1, unit="percent", **where),
    ]
    report = validate(lai_chau.replace(metrics=_poppy_metrics(lai_chau), observations=rows))
    assert _ours(report, RATIO_CODES) == []
    assert "unit-incompatible" in report.codes()


def test_a_rate_and_its_parts_match_slice_by_slice(lai_chau: Dataset) -> None:
    metrics = [
        m.model_copy(update={"categories": ("sex",)}) if m.id.startswith("mediation_") else m
        for m in lai_chau.metrics.values()
    ]
    female = {"disaggregation": {"sex": "female"}}
    rows = [
        *_rate_rows(50, 20, 40),  # the totals agree
        *_rate_rows(90, 9, 30, **female),  # the women's rate does not
        *_rate_rows(None, 11, 10, disaggregation={"sex": "male"}),  # no rate for men
    ]
    report = validate(lai_chau.replace(metrics=metrics, observations=rows))
    (issue,) = _ours(report, RATIO_CODES)
    assert issue.where.row == 3
    assert issue.details["slice"] == "; sex=female"
    assert "(2016; sex=female)" in issue.message("en")


def test_a_rate_that_is_not_a_number_is_left_to_the_value_check(lai_chau: Dataset) -> None:
    rows = _rate_rows(50, 20, 30)
    # Only a dataset built in code (model_construct skips validation) can hold a NaN.
    rows[0] = Observation.model_construct(**{**dict(rows[0]), "value": Decimal("NaN")})
    report = validate(lai_chau.replace(observations=rows))
    assert _ours(report, RATIO_CODES) == []
    assert "value-invalid" in report.codes()


def test_a_ratio_whose_parts_are_not_defined_is_left_to_the_reference_check(
    lai_chau: Dataset,
) -> None:
    metrics = [m for m in lai_chau.metrics.values() if m.id != "mediation_cases"]
    rows = _rate_rows(80, 20, 30)
    report = validate(lai_chau.replace(metrics=metrics, observations=rows))
    assert _ours(report, RATIO_CODES) == []
    assert "reference-unresolved" in report.codes()


def test_many_metrics_rates_are_still_found_by_their_codes(lai_chau: Dataset) -> None:
    # Over 256 metrics, codes take two bytes. Metric codes follow first appearance: the cases
    # (0), 510 others (1..510), two rates (511 = 0x1FF and 512 = 0x200), their numerators.
    # A row whose code mixes the rates' bytes (0x100, another metric) must not pass for a rate.
    failure_rate = MetricDefinition(
        id="mediation_failure_rate",
        name_vi="Tỷ lệ hòa giải không thành",
        name_en="Mediation failure rate",
        unit="percent",
        kind="ratio",
        numerator="mediation_failed",
        denominator="mediation_cases",
        factor=100,
    )
    fillers = [
        MetricDefinition(
            id=f"filler_{i}",
            name_vi=f"Chỉ tiêu {i}",
            name_en=f"Metric {i}",
            unit="case",
            kind="flow",
        )
        for i in range(1, 511)
    ]
    where = {"subject": "unit:12", "period": "2016"}
    rows = [Observation(metric="mediation_cases", unit="case", value=30, **where)]
    rows += [
        Observation(metric=f"filler_{i}", unit="case", value=i, **where) for i in range(1, 511)
    ]
    rows += [
        Observation(metric="mediation_success_rate", unit="percent", value=80, **where),
        Observation(metric="mediation_failure_rate", unit="percent", value=33, **where),
        Observation(metric="mediation_succeeded", unit="case", value=20, **where),
        Observation(metric="mediation_failed", unit="case", value=10, **where),
    ]
    metrics = [*lai_chau.metrics.values(), failure_rate, *fillers]
    ds = lai_chau.replace(metrics=metrics, observations=rows)
    columns = ds.observations.columns()
    assert columns.metrics.index("mediation_success_rate") == 0x1FF
    assert columns.metrics[0x100] == "filler_256"
    (issue,) = _ours(validate(ds), RATIO_CODES)
    assert (issue.where.row, issue.details["recomputed"]) == (511, Decimal("66.67"))


_RATE = st.one_of(
    st.integers(0, 200),
    st.decimals(0, 200, places=1).map(str),
    st.decimals(0, 200, places=2).map(str),
)


@given(_RATE, st.integers(0, 10**6), st.integers(0, 10**6))
def test_rates_agree_with_exact_arithmetic(rate: int | str, top: int, bottom: int) -> None:
    found = _rates(_SAMPLE, _rate_rows(rate, top, bottom))
    if bottom == 0:
        assert [i.code for i in found] == ["ratio-zero-denominator"]
        return
    reported = Fraction(rate) if isinstance(rate, int) else Fraction(Decimal(rate))
    places = 0 if isinstance(rate, int) else len(rate.partition(".")[2])
    allowed = max(Fraction(1, 2 * 10**places), reported / 100)
    expected = abs(reported - Fraction(100 * top, bottom)) > allowed
    assert [i.code for i in found] == (["ratio-mismatch"] if expected else [])


def test_new_codes_are_worded_in_both_languages_in_nfc() -> None:
    for code in (*TEAM_CODES, *RATIO_CODES):
        entry = CODES[code]
        for template in (entry.vi, entry.en):
            assert unicodedata.is_normalized("NFC", template)
        assert entry.vi != entry.en


def test_the_sample_has_no_team_and_no_rate_to_check(lai_chau: Dataset) -> None:
    assert _ours(validate(lai_chau), (*TEAM_CODES, *RATIO_CODES)) == []
