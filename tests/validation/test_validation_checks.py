"""Each structural, duplicate, double-counting and name check, on mutations of the sample."""

from __future__ import annotations

import copy
import datetime as dt
import unicodedata
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antq_core import (
    AdminUnit,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    Observation,
    Severity,
    SubjectRef,
    ValidationReport,
    validate,
    validate_json,
)
from antq_core.testing.strategies import datasets

Doc = dict[str, Any]


def _report(sample_document: Doc, change: Callable[[Doc], None]) -> ValidationReport:
    doc = copy.deepcopy(sample_document)
    change(doc)
    return validate(Dataset.from_dict(doc))


def _found(report: ValidationReport, code: str) -> list[tuple[str | None, str | None]]:
    return [(i.where.path, i.where.id) for i in report if i.code == code]


def _units(doc: Doc) -> dict[str, dict[str, Any]]:
    return {u["code"]: u for u in doc["gazetteer"]["units"]}


def _site(doc: Doc, site_id: str) -> dict[str, Any]:
    return next(s for s in doc["sites"] if s["id"] == site_id)


def _row(**fields: Any) -> dict[str, Any]:
    return {
        "metric": "cases_resolved_jointly",
        "subject": "site:site-cum-giap-ranh",
        "period": "2016",
        "unit": "case",
        "value": 3,
    } | fields


# -- references ------------------------------------------------------------------------------


def test_every_dangling_reference_is_reported(sample_document: Doc) -> None:
    def change(doc: Doc) -> None:
        doc["sites"][0]["initiative"] = "mh-gone"
        doc["sites"][1]["admin_units"] = ["99999"]
        doc["sites"][3]["coordination_agreement"]["source"] = "no-source"
        doc["initiatives"][0]["theme"] = "no_theme"
        doc["initiatives"][0]["scope"] = "88888"
        doc["initiatives"][0]["sources"] = ["src-x"]
        doc["metrics"][2]["categories"] = ["no_category"]
        doc["metadata"]["province"] = "77"
        doc["participants"][0]["organization"] = "org-x"
        doc["organizations"] = [
            {
                "id": "org-1",
                "kind": "mediation_team",
                "name_vi": "Tổ hòa giải bản Tây Sơn",
                "admin_unit": "66666",
                "initiative": "mh-y",
            }
        ]
        doc["observations"][0]["metric"] = "no_metric"
        doc["observations"][1]["subject"] = "site:no-site"
        doc["observations"][2]["subject"] = "organization:no-org"
        doc["observations"][3]["subject"] = "initiative:no-initiative"
        doc["observations"][4]["subject"] = "unit:55555"
        doc["observations"][5]["source"] = "no-src"
        doc["observations"][6]["disaggregation"] = {"no_cat": "x"}

    report = _report(sample_document, change)
    targets = {i.details["target"] for i in report if i.code == "reference-unresolved"}
    assert targets == {
        "mh-gone", "99999", "no-source", "no_theme", "88888", "src-x", "no_category", "77",
        "org-x", "66666", "mh-y", "no_metric", "no-site", "no-org", "no-initiative", "55555",
        "no-src", "no_cat",
    }  # fmt: skip
    paths = {i.details["target"]: i.where.path for i in report if i.code == "reference-unresolved"}
    assert paths["mh-gone"] == "$.sites[0].initiative"
    assert paths["no_metric"] == "$.observations[0].metric"
    assert paths["no-src"] == "$.observations[5].source"
    assert paths["77"] == "$.metadata.province"
    assert not report.ok
    en = [i.message("en") for i in report if i.code == "reference-unresolved"]
    assert (
        "Site site-muong-so refers to initiative 'mh-gone', which the dataset does not have." in en
    )


# -- gazetteer -------------------------------------------------------------------------------


def test_gazetteer_cycles_missing_parents_levels_and_duplicate_codes(sample_document: Doc) -> None:
    def change(doc: Doc) -> None:
        units = _units(doc)
        units["12"]["parent"] = "03589.01"  # province under a village: a cycle through 4 units
        units["105"]["parent"] = "404"
        units["03400"]["level"] = "district"  # a "district" under a district
        doc["gazetteer"]["units"].append(
            {"code": "03451", "name": "Mù Cả bis", "level": "commune", "parent": "107"}
        )

    report = _report(sample_document, change)
    (cycle,) = [i for i in report if i.code == "gazetteer-cycle"]
    assert cycle.details["cycle"] == "03589 -> 109 -> 12 -> 03589.01 -> 03589"
    assert _found(report, "gazetteer-missing-parent") == [(None, "105")]
    levels = _found(report, "gazetteer-level-order")
    assert (None, "03400") in levels
    assert (None, "12") in levels  # a province below a village
    assert _found(report, "gazetteer-duplicate-code") == [(None, "03451")]


# -- dates -----------------------------------------------------------------------------------


def test_dates(sample_document: Doc) -> None:
    def change(doc: Doc) -> None:
        _site(doc, "site-muong-so")["started"] = "2010"  # before its initiative (2012)
        doc["initiatives"][2]["started"] = "2018"  # after the report date
        doc["observations"].append(
            _row(subject="site:site-muong-so", metric="recidivists", unit="person", period="2011")
        )
        doc["observations"].append(
            _row(subject="initiative:mh-cum-giap-ranh-tam-duong", period="2015S2")
        )
        doc["observations"].append(_row(period="2017Q4"))  # after 2017-07-13
        doc["observations"].append(_row(period="2026", subject="unit:03400"))  # unit gone
        doc["organizations"] = [
            {
                "id": "org-1",
                "kind": "security_order_team",
                "name_vi": "Tổ bảo vệ ANTT bản Tây Sơn",
                "admin_unit": "03589.01",
                "established_on": "2017-01-05",
            }
        ]

    report = _report(sample_document, change)
    n = len(sample_document["observations"])
    assert _found(report, "site-before-initiative") == [
        ("$.sites[0].started", "site-muong-so"),
        ("$.sites[3].started", "site-cum-giap-ranh"),  # its initiative now starts in 2018
    ]
    assert ("$.initiatives[2].started", "mh-cum-giap-ranh-tam-duong") in _found(
        report, "period-in-future"
    )
    assert (f"$.observations[{n + 2}].period", None) in _found(report, "period-in-future")
    # The site now starts in 2010: a 2011 figure is fine; 2015S2 is before the initiative.
    assert _found(report, "observation-before-subject") == [
        (f"$.observations[{n + 1}].period", None)
    ]
    (gone,) = [i for i in report if i.code == "unit-not-valid-on-date"]
    assert gone.where.path == f"$.observations[{n + 3}].period"
    assert "2025-06-30" in gone.message("en")
    (law,) = [i for i in report if i.code == "organization-before-law"]
    assert law.where.path == "$.organizations[0].established_on"
    assert "01/07/2024" in law.message("vi")


def test_a_period_starting_before_its_subject_is_a_warning(sample_document: Doc) -> None:
    def change(doc: Doc) -> None:
        _site(doc, "site-cum-giap-ranh")["started"] = "2016-06"
        doc["observations"].append(_row(period="2016"))

    report = _report(sample_document, change)
    found = [i for i in report if i.code == "observation-starts-before-subject"]
    # The article's "since 2016" ranges start on 1 January 2016 too.
    assert {i.details["period"] for i in found} == {"2016", "2016-01-01/2017-07-13"}
    issue = found[0]
    assert issue.severity is Severity.WARNING
    assert issue.details["start_date"] == "2016-06-01"


def test_period_ongoing_groups_rows(sample_document: Doc) -> None:
    def change(doc: Doc) -> None:
        doc["observations"].extend(_row(period="2017", value=v) for v in (1, 2, 3))

    report = _report(sample_document, change)
    ongoing = [i for i in report if i.code == "period-ongoing" and i.details["period"] == "2017"]
    (issue,) = ongoing
    assert issue.details["count"] == 3
    assert issue.severity is Severity.INFO


# -- observations ------------------------------------------------------------------------------


def test_units_qualifiers_and_disaggregations(sample_document: Doc) -> None:
    def change(doc: Doc) -> None:
        doc["observations"].extend(
            [
                _row(unit="person"),  # cases counted in persons
                _row(
                    metric="mediation_success_rate",
                    subject="unit:12",
                    unit="percent",
                    value=80,
                    qualifier="at_least",
                ),
                _row(disaggregation={"sex": "female"}),  # not a category of the metric
                _row(
                    metric="released_prisoners_employed",
                    subject="site:site-muong-so",
                    unit="person",
                    period="2012-01-01/2017-07-13",
                    disaggregation={"capital_source": "lottery"},
                ),
                _row(
                    metric="released_prisoners_supported_distinct",
                    subject="site:site-muong-so",
                    unit="person",
                    qualifier="approximately",
                ),
            ]
        )

    report = _report(sample_document, change)
    n = len(sample_document["observations"])
    assert _found(report, "unit-incompatible") == [(f"$.observations[{n}].unit", None)]
    assert _found(report, "qualifier-not-allowed") == [
        (f"$.observations[{n + 1}].qualifier", None),
        (f"$.observations[{n + 4}].qualifier", None),
    ]
    assert _found(report, "disaggregation-not-allowed") == [
        (f"$.observations[{n + 2}].disaggregation", None)
    ]
    assert _found(report, "disaggregation-option-unknown") == [
        (f"$.observations[{n + 3}].disaggregation", None)
    ]


def test_values_a_dataset_built_in_code_can_hold(lai_chau: Dataset) -> None:
    bad = Observation.model_construct(
        metric="recidivists",
        subject=lai_chau.observations[5].subject,
        period=lai_chau.observations[5].period,
        unit=lai_chau.observations[5].unit,
        value=-3,
        qualifier=lai_chau.observations[5].qualifier,
        disaggregation=lai_chau.observations[5].disaggregation,
        source=None,
        note=None,
    )
    from decimal import Decimal

    half = bad.model_copy(update={"value": Decimal("2.5"), "metric": "recidivists"})
    ds = Dataset(
        gazetteer=lai_chau.gazetteer,
        metadata=lai_chau.metadata,
        metrics=lai_chau.metrics.values(),
        sites=lai_chau.sites.values(),
        initiatives=lai_chau.initiatives.values(),
        themes=lai_chau.themes.values(),
        observations=[bad, half],
    )
    report = validate(ds)
    reasons = [i.details["reason"] for i in report if i.code == "value-invalid"]
    assert reasons == [
        "a reported amount cannot be negative (the metric is not declared signed)",
        "this unit counts whole things",
    ]


# -- duplicates and double counting ------------------------------------------------------------


def test_duplicates_warn_and_conflicts_name_both_sources(sample_document: Doc) -> None:
    def change(doc: Doc) -> None:
        doc["observations"].append(copy.deepcopy(doc["observations"][11]))  # 22 cases again
        doc["observations"].append(doc["observations"][12] | {"value": 13, "source": None})
        del doc["observations"][-1]["source"]

    report = _report(sample_document, change)
    n = len(sample_document["observations"])
    (dup,) = [i for i in report if i.code == "duplicate-observation"]
    assert dup.severity is Severity.WARNING
    assert dup.details["rows"] == ("11", str(n))
    (conflict,) = [i for i in report if i.code == "conflicting-observations"]
    assert conflict.severity is Severity.ERROR
    assert conflict.details["values"] == ("12 meeting", "13 meeting")
    assert conflict.details["sources"] == ("blc-2017-07-13", "-")
    assert "blc-2017-07-13" in conflict.message("vi")


def test_a_value_in_other_units_is_a_duplicate_not_a_conflict(sample_document: Doc) -> None:
    def change(doc: Doc) -> None:
        doc["observations"].append(doc["observations"][10] | {"unit": "ha", "value": "5.8"})

    report = _report(sample_document, change)
    found = [i.code for i in report if i.severity is not Severity.INFO]
    assert found == ["duplicate-observation", "reconcile-mismatch"]  # the sample's own warning


def test_overlapping_flow_periods_and_not_stocks(sample_document: Doc) -> None:
    def change(doc: Doc) -> None:
        doc["observations"].extend(
            [
                _row(period="2016", value=10),
                _row(period="2016Q2", value=3),
                _row(metric="initiatives", subject="unit:12", unit="initiative", period="2016"),
                _row(metric="initiatives", subject="unit:12", unit="initiative", period="2016Q2"),
            ]
        )

    report = _report(sample_document, change)
    (overlap,) = [i for i in report if i.code == "overlapping-periods"]
    assert overlap.details["metric"] == "cases_resolved_jointly"
    assert set(overlap.details["periods"]) == {"2016-01-01/2017-07-13", "2016", "2016Q2"}


def test_a_site_across_two_districts(sample_document: Doc) -> None:
    def change(doc: Doc) -> None:
        _site(doc, "site-cum-giap-ranh")["admin_units"].append("03589")  # Mường So, Phong Thổ

    report = _report(sample_document, change)
    (issue,) = [i for i in report if i.code == "site-spans-parents"]
    assert issue.details["level"] == "district"
    assert issue.details["anchor"] == "tỉnh Lai Châu (12)"
    assert issue.where.path == "$.sites[3].admin_units"
    assert validate(Dataset.from_dict(sample_document), levels=["province"]).ok


def test_parts_above_their_total(sample_document: Doc) -> None:
    def change(doc: Doc) -> None:
        doc["observations"][6]["value"] = 20  # 20 + 11 + 10 > 29

    report = _report(sample_document, change)
    (issue,) = [i for i in report if i.code == "parts-exceed-total"]
    assert (issue.details["parts"], issue.details["total"]) == (41, 29)
    assert issue.details["category"] == "capital_source"
    # The built-in rule says the same in its own words.
    assert "rule-violated" in {i.code for i in report}

    def estimate(doc: Doc) -> None:
        change(doc)
        doc["observations"][5]["qualifier"] = "approximately"

    codes = {i.code for i in _report(sample_document, estimate)}
    assert "parts-may-exceed-total" in codes
    assert "parts-exceed-total" not in codes

    def lower_bound_total(doc: Doc) -> None:
        change(doc)
        doc["observations"][5]["qualifier"] = "at_least"  # 29 or more: 41 may be right

    codes = {i.code for i in _report(sample_document, lower_bound_total)}
    assert not codes & {"parts-exceed-total", "parts-may-exceed-total", "rule-violated"}


_EMPLOYED = "released_prisoners_employed"
_OPTIONS = ("policy_bank_or_credit_fund", "family", "own_effort")


@st.composite
def _parts_and_totals(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Totals and parts of one metric at two sites and two years, each reported 0 to 2 times.

    Half the examples are exact figures only (what is decided without intervals);
    totals lie near their parts' sum, where exceeding is decided.
    """
    qualifiers = ["exact"]
    if draw(st.booleans()):
        qualifiers += ["at_least", "at_most", "approximately"]
    rows = []
    for subject in ("site:site-muong-so", "site:site-cum-giap-ranh"):
        for period in ("2016", "2017"):
            row = {"metric": _EMPLOYED, "subject": subject, "period": period, "unit": "person"}
            parts = 0
            for option in (*_OPTIONS, None):
                for _ in range(draw(st.sampled_from((1, 0, 2)))):
                    value = draw(st.integers(0, 9))
                    if option is None:
                        value = max(0, parts + draw(st.sampled_from((0, 1, -1, 3))))
                    else:
                        parts += value
                    if len(qualifiers) > 1 and draw(st.booleans()):
                        value += 2**64  # beyond 64 bits: held apart from the other values
                    extra = {"value": value, "qualifier": draw(st.sampled_from(qualifiers))}
                    if option is not None:
                        extra["disaggregation"] = {"capital_source": option}
                    rows.append(row | extra)
    return rows


def _expected_parts_issues(ds: Dataset) -> set[tuple[Any, ...]]:
    """What parts against totals should report, from each observation's bounds."""
    inf = float("inf")
    totals: dict[tuple[str, str], list[Observation]] = {}
    parts: dict[tuple[str, str], dict[str, list[Observation]]] = {}
    for o in ds.observations:
        key = (str(o.subject), str(o.period))
        if o.disaggregation:
            parts.setdefault(key, {}).setdefault(str(o.disaggregation), []).append(o)
        else:
            totals.setdefault(key, []).append(o)
    found = set()
    for key, total_rows in totals.items():
        if key not in parts:
            continue
        high = max(inf if o.qualifier == "at_least" else o.value for o in total_rows)
        options = parts[key].values()
        low = sum(min(0 if o.qualifier == "at_most" else o.value for o in rs) for rs in options)
        approximate = any(
            o.qualifier == "approximately"
            for o in (*total_rows, *(o for rs in options for o in rs))
        )
        if low > high:
            code = "parts-may-exceed-total" if approximate else "parts-exceed-total"
            found.add((code, *key, low, high))
    return found


@given(rows=_parts_and_totals())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_parts_against_totals_match_a_reference(sample_document: Doc, rows: list[Doc]) -> None:
    doc = copy.deepcopy(sample_document)
    doc["observations"] = rows
    ds = Dataset.from_dict(doc)
    found = {
        (
            i.code,
            i.details["subject"],
            i.details["period"],
            i.details["parts"],
            i.details["total"],
        )
        for i in validate(ds)
        if i.code in {"parts-exceed-total", "parts-may-exceed-total"}
    }
    assert found == _expected_parts_issues(ds)


# -- names -----------------------------------------------------------------------------------


def test_names_differing_only_in_diacritics(sample_document: Doc) -> None:
    def change(doc: Doc) -> None:
        doc["gazetteer"]["units"].append(
            {"code": "03589.09", "name": "Tay Son", "level": "village", "parent": "03589"}
            | {"kind_vi": "thôn"}
        )
        doc["initiatives"].append(
            doc["initiatives"][0] | {"id": "mh-copy", "name_vi": "Tai hoa nhap cong dong"}
        )

    report = _report(sample_document, change)
    found = {
        (i.where.id, i.details["how_en"]) for i in report if i.code == "probable-duplicate-name"
    }
    assert found == {
        ("03589.09", "differ only in diacritics"),
        ("mh-copy", "differ only in diacritics"),
    }
    # A town and a commune of one name are two units (thị trấn and xã Mường Tè).
    warnings = validate(Dataset.from_dict(sample_document)).warnings
    assert [i.code for i in warnings] == ["reconcile-mismatch"]  # the sample's own, see docs


def test_non_nfc_text_is_accepted_normalised_and_reported(sample_document: Doc) -> None:
    import json

    doc = copy.deepcopy(sample_document)
    nfd = unicodedata.normalize("NFD", doc["initiatives"][0]["name_vi"])
    doc["initiatives"][0]["name_vi"] = nfd
    doc["observations"][3]["note"] = unicodedata.normalize("NFD", doc["observations"][3]["note"])
    data = json.dumps(doc, ensure_ascii=False).encode()
    report = validate_json(data, source="nfd.json")
    infos = [i for i in report if i.code == "text-not-nfc"]
    assert [i.where.path for i in infos] == ["$.initiatives[0].name_vi", "$.observations[3].note"]
    assert infos[1].where.row == 3
    assert all(i.where.file == "nfd.json" for i in infos)
    assert str(infos[0].where) == "nfd.json: $.initiatives[0].name_vi"
    assert report.ok
    ds = Dataset.from_json(data)
    assert ds.initiatives["mh-tai-hoa-nhap-muong-so"].name_vi == unicodedata.normalize("NFC", nfd)
    # Same text as a str, with a byte order mark.
    assert (
        len([i for i in validate_json("\ufeff" + data.decode()) if i.code == "text-not-nfc"]) == 2
    )


# -- generated datasets ------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(max_observations=30))
def test_coherent_datasets_have_no_dangling_references(ds: Dataset) -> None:
    report = validate(ds)
    assert not [i for i in report if i.code in ("reference-unresolved", "rule-unknown-reference")]
    again = validate(Dataset.from_json(ds.dumps(include_sensitive=True)))
    assert [i.code for i in again] == [i.code for i in report]


def test_report_date_absent_means_no_date_checks(lai_chau: Dataset) -> None:
    ds = Dataset(
        gazetteer=Gazetteer("g", [AdminUnit("1", "A", "province")], valid_to=dt.date(2000, 1, 1)),
        metadata=DatasetMetadata(title_vi="Thử"),
        metrics=lai_chau.metrics.values(),
        categories=lai_chau.categories.values(),
        observations=[
            lai_chau.observations[0].model_copy(
                update={"subject": SubjectRef.parse("unit:1"), "source": None}
            )
        ],
    )
    codes = [i.code for i in validate(ds)]
    # 32 typical models reported for a unit under which nothing is registered: an info.
    assert codes == ["unit-not-valid-on-date", "reconcile-nothing-registered"]
