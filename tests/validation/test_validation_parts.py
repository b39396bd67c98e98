"""Parts against the figures they break down: by one, two or more categories at once.

Worked examples on the sample's members of mass organizations (by organization kind and
sex) and on its poppy area (given categories here, in m² and ha), then a property that
holds the bulk path of the check to a plain reference written below.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antq_core import Dataset, Issue, Observation, ValidationReport, sample, validate

Doc = dict[str, Any]
PARTS_CODES = frozenset(
    {
        "parts-exceed-total",
        "parts-may-exceed-total",
        "parts-exceed-subtotal",
        "parts-may-exceed-subtotal",
    }
)
MEMBERS = "mass_organization_members"
MEDIATION, SECURITY = "mediation_team", "people_security_team"
POPPY = "poppy_area_destroyed"
# Categories the poppy area is given in these tests (options of each: two).
LAND = {"land": ("forest", "field"), "grower": ("local", "migrant"), "season": ("early", "late")}


def _member(value: int | str, qualifier: str = "exact", **slice_: str) -> Doc:
    """A count of members in the whole province on the sample's date; a slice when given."""
    row: Doc = {
        "metric": MEMBERS,
        "subject": "unit:12",
        "period": "2017-07-13",
        "unit": "member",
        "value": value,
        "qualifier": qualifier,
    }
    if slice_:
        row["disaggregation"] = slice_
    return row


def _with_categories(doc: Doc, categories: dict[str, tuple[str, ...]], metric: str) -> None:
    """Give ``metric`` the ``categories`` (added to the catalog), in ``doc``."""
    for category, options in categories.items():
        doc["categories"].append(
            {
                "id": category,
                "name_vi": category,
                "name_en": category,
                "options": [{"id": o, "name_vi": o, "name_en": o} for o in options],
            }
        )
    next(m for m in doc["metrics"] if m["id"] == metric)["categories"] = list(categories)


def _report(
    sample_document: Doc, rows: Iterable[Doc], change: Callable[[Doc], None] | None = None
) -> ValidationReport:
    doc = copy.deepcopy(sample_document)
    if change is not None:
        change(doc)
    doc["observations"].extend(rows)
    return validate(Dataset.from_dict(doc))


def _parts(report: ValidationReport) -> list[Issue]:
    return [i for i in report if i.code in PARTS_CODES]


# -- the sample --------------------------------------------------------------------------------


def test_the_sample_has_no_parts_issue() -> None:
    # 7 + 11 + 10 of 29 people employed, by capital source: within.
    report = validate(sample())
    assert _parts(report) == []
    assert (len(report.errors), len(report.warnings), len(report.infos)) == (0, 1, 4)


# -- by two categories, one option fixed ---------------------------------------------------


def test_women_by_kind_exceed_the_women(sample_document: Doc) -> None:
    rows = [
        _member(100, sex="female"),
        _member(60, organization_kind=MEDIATION, sex="female"),
        _member(50, organization_kind=SECURITY, sex="female"),
        _member(900, organization_kind=SECURITY, sex="male"),  # no figure for the men alone
    ]
    report = _report(sample_document, rows)
    (issue,) = _parts(report)
    assert issue.code == "parts-exceed-subtotal"
    assert not report.ok
    details = issue.details
    assert (details["parts"], details["total"]) == (110, 100)
    assert details["category"] == "organization_kind"
    assert details["categories"] == ("organization_kind",)
    assert details["within"] == ("sex=female",)
    first = len(sample_document["observations"])
    assert details["rows"] == tuple(str(first + i) for i in (0, 1, 2))
    assert issue.where.path == f"$.observations[{first + 1}].value"
    assert issue.message("en") == (
        "The parts by 'organization_kind' of mass_organization_members (unit:12, 13 July 2017) "
        "within sex=female add to 110, more than the 100 reported for sex=female itself."
    )
    assert issue.message("vi") == (
        "Tổng các phần theo 'organization_kind' của mass_organization_members (unit:12, ngày "
        "13/07/2017) trong nhóm sex=female là 110, lớn hơn số 100 đã báo cáo cho chính nhóm đó."
    )


def test_each_kind_by_sex_within_that_kind(sample_document: Doc) -> None:
    rows = [
        _member(100, organization_kind=MEDIATION),
        _member(60, organization_kind=MEDIATION, sex="female"),
        _member(41, organization_kind=MEDIATION, sex="male"),
        _member(10, organization_kind=SECURITY),  # its men and women are not reported
    ]
    (issue,) = _parts(_report(sample_document, rows))
    assert issue.code == "parts-exceed-subtotal"
    assert issue.details["within"] == (f"organization_kind={MEDIATION}",)
    assert issue.details["category"] == "sex"
    assert (issue.details["parts"], issue.details["total"]) == (101, 100)


def test_parts_within_their_slices_and_total(sample_document: Doc) -> None:
    rows = [
        _member(100, sex="female"),
        _member(60, organization_kind=MEDIATION, sex="female"),
        _member(40, organization_kind=SECURITY, sex="female"),
        _member(200, organization_kind=MEDIATION),
        _member(140, organization_kind=MEDIATION, sex="male"),
        _member(35_000, sex="male"),
    ]
    assert _parts(_report(sample_document, rows)) == []


def test_slices_by_two_categories_against_the_total(sample_document: Doc) -> None:
    def total_100(doc: Doc) -> None:
        doc["observations"][3]["value"] = 100

    rows = [
        _member(30, organization_kind=MEDIATION, sex="female"),
        _member(40, organization_kind=MEDIATION, sex="male"),
        _member(50, organization_kind=SECURITY, sex="female"),
    ]
    (issue,) = _parts(_report(sample_document, rows, total_100))
    assert issue.code == "parts-exceed-total"
    assert (issue.details["parts"], issue.details["total"]) == (120, 100)
    assert issue.details["category"] == "organization_kind × sex"
    assert issue.details["categories"] == ("organization_kind", "sex")
    assert "within" not in issue.details
    assert issue.message("en").startswith(
        "The parts by 'organization_kind × sex' of mass_organization_members"
    )
    # A slice by one category and slices by two are never added together: the 50 women of
    # one kind are among the 60 women, so 60 + 50 > 100 says nothing.
    rows = [_member(60, sex="female"), _member(50, organization_kind=SECURITY, sex="female")]
    assert _parts(_report(sample_document, rows, total_100)) == []


def test_one_category_issues_keep_their_details(sample_document: Doc) -> None:
    rows = [_member(20_000, sex="female"), _member(20_000, sex="male")]
    (issue,) = _parts(_report(sample_document, rows))
    assert issue.code == "parts-exceed-total"
    assert set(issue.details) == {
        "metric",
        "subject",
        "period",
        "category",
        "parts",
        "total",
        "rows",
    }
    assert issue.message("en") == (
        "The parts by 'sex' of mass_organization_members (unit:12, 13 July 2017) add to "
        "40,000, more than the total 35,122."
    )


# -- qualifiers ------------------------------------------------------------------------------


def _women(whole: str, part: str) -> list[Doc]:
    return [
        _member(100, whole, sex="female"),
        _member(60, part, organization_kind=MEDIATION, sex="female"),
        _member(50, organization_kind=SECURITY, sex="female"),
    ]


def test_qualifiers_are_bounds(sample_document: Doc) -> None:
    def codes(whole: str, part: str) -> list[str]:
        return [i.code for i in _parts(_report(sample_document, _women(whole, part)))]

    assert codes("at_least", "exact") == []  # 100 or more women: 110 may be right
    assert codes("at_most", "exact") == ["parts-exceed-subtotal"]  # at most 100 < 110
    assert codes("exact", "at_most") == []  # 0..60 and 50: may be 100 or less
    assert codes("exact", "at_least") == ["parts-exceed-subtotal"]  # 60 or more, 50: 110+
    assert codes("approximately", "exact") == ["parts-may-exceed-subtotal"]
    assert codes("exact", "approximately") == ["parts-may-exceed-subtotal"]
    (issue,) = _parts(_report(sample_document, _women("approximately", "exact")))
    assert issue.severity.value == "warning"
    assert issue.message("en").endswith("(estimates).")


def test_a_slice_reported_twice_is_the_range_between(sample_document: Doc) -> None:
    rows = [*_women("exact", "exact"), _member(120, sex="female")]  # 100 or 120 women
    report = _report(sample_document, rows)
    assert _parts(report) == []
    assert "conflicting-observations" in {i.code for i in report}


# -- units -----------------------------------------------------------------------------------


def _poppy(value: int | str, unit: str = "m2", subject: str = "unit:12", **slice_: str) -> Doc:
    row: Doc = {"metric": POPPY, "subject": subject, "period": "2016", "unit": unit}
    row |= {"value": value}
    if slice_:
        row["disaggregation"] = slice_
    return row


def _land(doc: Doc) -> None:
    _with_categories(doc, LAND, POPPY)


def test_parts_in_another_unit_of_the_same_dimension(sample_document: Doc) -> None:
    rows = [
        _poppy("1", "ha", land="forest"),
        _poppy(6000, land="forest", grower="local"),
        _poppy("0.5", "ha", land="forest", grower="migrant"),
    ]
    (issue,) = _parts(_report(sample_document, rows, _land))
    assert issue.code == "parts-exceed-subtotal"
    assert (issue.details["parts"], issue.details["total"]) == (11_000, 10_000)
    assert issue.details["within"] == ("land=forest",)
    rows[1] = _poppy(4000, land="forest", grower="local")  # 9,000 m² of 1 ha
    assert _parts(_report(sample_document, rows, _land)) == []


def test_a_part_in_another_dimension_is_left_to_unit_incompatible(sample_document: Doc) -> None:
    rows = [
        _poppy(10_000, land="forest"),
        _poppy(6000, land="forest", grower="local"),
        _poppy(5000, "person", land="forest", grower="migrant"),
    ]
    report = _report(sample_document, rows, _land)
    assert _parts(report) == []
    assert "unit-incompatible" in {i.code for i in report}


# -- three categories and more ------------------------------------------------------------------


def test_three_categories(sample_document: Doc) -> None:
    rows = [
        _poppy(5, land="forest", grower="local"),
        _poppy(6, land="forest"),
        _poppy(3, land="forest", grower="local", season="early"),
        _poppy(4, land="forest", grower="local", season="late"),
    ]
    found = {
        (i.code, i.details["within"], i.details["categories"], i.details["parts"])
        for i in _parts(_report(sample_document, rows, _land))
    }
    assert found == {
        # Seasons within the local growers of forest land: 7 > 5.
        ("parts-exceed-subtotal", ("grower=local", "land=forest"), ("season",), 7),
        # Growers and seasons within forest land: 7 > 6 (the 5 local growers are no part
        # of these: slices by other categories are never added).
        ("parts-exceed-subtotal", ("land=forest",), ("grower", "season"), 7),
    }


def test_more_than_four_categories_fix_all_but_one_or_none(sample_document: Doc) -> None:
    many = {f"c{i}": ("a", "b") for i in range(5)}

    def five(doc: Doc) -> None:
        _with_categories(doc, many, POPPY)

    everything = dict.fromkeys(many, "a")
    rows = [
        _poppy(7, **everything),
        _poppy(6, **(everything | {"c4": "b"})),
        _poppy(12, c0="a"),  # fixes one of five: not compared (13 > 12 is not reported)
        _poppy(12, **dict.fromkeys(("c0", "c1", "c2", "c3"), "a")),  # all but c4: 13 > 12
    ]
    found = [(i.code, i.details["within"]) for i in _parts(_report(sample_document, rows, five))]
    assert found == [("parts-exceed-subtotal", ("c0=a", "c1=a", "c2=a", "c3=a"))]


# -- the bulk path against a reference ---------------------------------------------------------

_SUBJECTS = ("unit:12", "initiative:mh-nguoi-uy-tin")
_PERIODS = ("2015", "2016")
_SLICES = [
    dict(zip(categories, options, strict=True))
    for size in range(4)
    for categories in itertools.combinations(LAND, size)
    for options in itertools.product(*(LAND[c] for c in categories))
]


_FEATURES = ("twice", "bounds", "hectares", "decimals", "big", "person")


def _feature(draw: st.DrawFn, feature: str, row: Doc) -> None:
    """Change ``row`` by ``feature``, a reason for the bulk path to leave it to the exact one."""
    if feature == "bounds":
        row["qualifier"] = draw(st.sampled_from(("at_least", "at_most", "approximately")))
    elif feature == "hectares":
        row["unit"] = "ha"  # the same number, ten thousand times more
    elif feature == "decimals":
        row |= {"unit": "ha", "value": str(Decimal(row["value"]) / 10_000)}
    elif feature == "big":
        row["value"] += 2**64
    elif feature == "person":
        row["unit"] = "person"


@st.composite
def _poppy_rows(draw: st.DrawFn) -> list[Doc]:
    """Slices by up to three categories at two subjects and periods.

    Each figure is the sum of its eight finest slices, in half the keys give or take a
    little, so parts lie near their wholes, where exceeding is decided; in the other half
    exactly, so that the parts are within. Each (subject, period) has at most one
    feature, on one row or on many: without one, each slice is reported at most once, in
    m², exactly, which the bulk path decides on its own. Each feature is a reason for the
    bulk path to leave the key to the exact one: a slice reported twice, bounds and
    estimates, whole hectares (another unit of the dimension, where values are not
    comparable as they are), decimal hectares, values beyond 64 bits, a unit of another
    dimension. One such row in a key that is otherwise plain is what tests each reason.
    """
    rows = []
    for subject, period in itertools.product(_SUBJECTS, _PERIODS):
        feature = draw(st.sampled_from((None, *_FEATURES)))
        noise = (0, 0, 1, -1, -2) if draw(st.booleans()) else (0,)
        finest = {
            tuple(sorted(s.items())): draw(st.integers(1, 5)) for s in _SLICES if len(s) == 3
        }
        key_rows = []
        for slice_ in _SLICES:
            truth = sum(v for k, v in finest.items() if set(slice_.items()) <= set(k))
            for _ in range(draw(st.integers(0, 2 if feature == "twice" else 1))):
                value = max(0, truth + draw(st.sampled_from(noise)))
                key_rows.append(_poppy(value, subject=subject, **slice_) | {"period": period})
        if feature is not None and key_rows:
            if draw(st.booleans()):  # one row, counted from the finest slices (parts only)
                changed = [len(key_rows) - 1 - draw(st.integers(0, len(key_rows) - 1))]
            else:
                changed = [i for i in range(len(key_rows)) if draw(st.booleans())]
            for i in changed:
                _feature(draw, feature, key_rows[i])
        rows += key_rows
    return rows


def _bounds(rows: list[Observation]) -> tuple[Decimal, Decimal, bool]:
    """Lowest and highest values the rows (reports of one figure) allow, and if estimated."""
    lows, highs = [], []
    for o in rows:
        value = Decimal(o.value) * o.unit.factor
        lows.append(Decimal(0) if o.qualifier == "at_most" else value)
        highs.append(Decimal("Infinity") if o.qualifier == "at_least" else value)
    return min(lows), max(highs), any(o.qualifier == "approximately" for o in rows)


def _expected(ds: Dataset) -> set[tuple[Any, ...]]:
    """Every figure against every breakdown of it, the obvious way (three categories at most)."""
    figures: dict[tuple[str, str, str], dict[frozenset[tuple[str, str]], list[Observation]]] = {}
    for o in ds.observations:
        key = (o.metric, str(o.subject), str(o.period))
        figures.setdefault(key, {}).setdefault(frozenset(o.disaggregation.items()), []).append(o)
    found = set()
    for (_, subject, period), slices in figures.items():
        for whole, whole_rows in slices.items():
            dimension = whole_rows[0].unit.dimension
            fixed = {c for c, _ in whole}
            by_categories: dict[tuple[str, ...], list[list[Observation]]] = {}
            for part, part_rows in slices.items():
                if whole < part:
                    kept = [o for o in part_rows if o.unit.dimension == dimension]
                    if kept:
                        categories = tuple(sorted({c for c, _ in part} - fixed))
                        by_categories.setdefault(categories, []).append(kept)
            _, high, approximate = _bounds(whole_rows)
            for categories, options in by_categories.items():
                bounds = [_bounds(rows) for rows in options]
                low = sum(b[0] for b in bounds)
                if low <= high:
                    continue
                estimated = approximate or any(b[2] for b in bounds)
                code = "parts-may-exceed" if estimated else "parts-exceed"
                code += "-subtotal" if whole else "-total"
                within = tuple(sorted(f"{c}={o}" for c, o in whole))
                found.add((code, subject, period, categories, within, low, high))
    return found


@given(rows=_poppy_rows())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_parts_against_wholes_match_a_reference(sample_document: Doc, rows: list[Doc]) -> None:
    doc = copy.deepcopy(sample_document)
    _land(doc)
    doc["observations"] = rows
    ds = Dataset.from_dict(doc)
    found = {
        (
            i.code,
            i.details["subject"],
            i.details["period"],
            i.details.get("categories", (i.details["category"],)),
            i.details.get("within", ()),
            i.details["parts"],
            i.details["total"],
        )
        for i in _parts(validate(ds))
    }
    assert found == _expected(ds)
