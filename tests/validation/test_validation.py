"""Validation: the sample passes, each check finds what it should, rules evaluate over bounds."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antq_core import (
    AdminLevel,
    Dataset,
    Expression,
    Issue,
    Location,
    MissingValueStrategy,
    RuleImportance,
    RuleOperator,
    Severity,
    ValidationReport,
    ValidationRule,
    builtin_rules,
    sample,
    validate,
)
from antq_core._validation import CODES
from antq_core.errors import ExpressionError, InvalidValueError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "validation.md"
EMPLOYED = "released_prisoners_employed"
PARTS = " + ".join(
    f"{EMPLOYED}[capital_source={o}]"
    for o in ("policy_bank_or_credit_fund", "family", "own_effort")
)


def _doc(sample_document: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(sample_document)


def _codes(report: ValidationReport) -> set[str]:
    return {i.code for i in report}


def _rule(left: str, operator: str, right: str, **extra: Any) -> ValidationRule:
    return ValidationRule(
        id=extra.pop("id", "test-rule"),
        name_vi="Quy tắc thử",
        name_en="Test rule",
        left=left,
        operator=operator,
        right=right,
        **extra,
    )


def _observation(**fields: Any) -> dict[str, Any]:
    return {
        "metric": "tips_received",
        "subject": "unit:12",
        "period": "2016",
        "unit": "tip",
        "value": 10,
    } | fields


# -- the sample ----------------------------------------------------------------------------------


def test_sample_passes_with_its_explained_issues(lai_chau: Dataset) -> None:
    report = validate(lai_chau)
    assert report.ok
    assert report.errors == ()
    # The article names 3 of its 32 typical models: explained in docs/validation.md.
    (warning,) = report.warnings
    assert warning.code == "reconcile-mismatch"
    assert (warning.details["reported"], warning.details["registered"]) == (32, 3)
    info = next(i for i in report.infos if i.code == "period-ongoing")
    poppy = lai_chau.observations_of("initiative:mh-nguoi-uy-tin", "poppy_area_destroyed")[0]
    assert info.details["period"] == str(poppy.period)
    assert info.details["end_date"] == "2017-08-31"
    assert info.details["report_date"] == "2017-07-13"
    assert "so far" in info.message("en")
    assert "tính đến ngày báo cáo" in info.message("vi")
    assert report.codes() == {
        "period-ongoing": 1,
        "reconcile-mismatch": 1,
        "reconcile-registry-partial": 1,
        "reconcile-nothing-registered": 2,
    }
    assert report.rules_evaluated >= 2  # the capital-source rule and members >= organizations


def test_capital_sources_hold_and_an_equality_version_warns(lai_chau: Dataset) -> None:
    at_most = [r for r in builtin_rules() if r.id == "employed-capital-sources-within-employed"]
    assert not [i for i in validate(lai_chau, rules=at_most) if i.code.startswith("rule-")]
    equality = _rule(PARTS, "==", EMPLOYED, importance="medium")
    report = validate(lai_chau, rules=[equality])
    (issue,) = [i for i in report if i.code.startswith("rule-")]
    assert (issue.code, issue.severity) == ("rule-violated", Severity.WARNING)
    assert (issue.details["left"], issue.details["right"]) == ("28", "29")
    assert issue.where == Location("site", "site-muong-so", field="rule test-rule")
    assert report.ok


def test_report_iterates_and_serialises(lai_chau: Dataset) -> None:
    report = validate(lai_chau, rules=[_rule(PARTS, "==", EMPLOYED, importance="high")])
    assert list(report) == list(report.issues)
    assert len(report) == len(report.errors) + len(report.warnings) + len(report.infos)
    assert not report.ok
    data = json.loads(report.to_json())
    assert data["format"] == "antq-validation"
    assert data["ok"] is False
    assert data["counts"] == {
        "error": 1,
        "warning": len(report.warnings),
        "info": len(report.infos),
    }
    codes = [i["code"] for i in data["issues"]]
    assert codes == [i.code for i in report]
    for item in data["issues"]:
        assert set(item) == {"code", "severity", "where", "message_vi", "message_en", "details"}
    text_en, text_vi = report.to_text("en"), report.to_text("vi")
    counts = (len(report.warnings), len(report.infos))
    assert text_en.startswith("1 errors, {} warnings, {} infos.".format(*counts))
    assert text_vi.startswith("1 lỗi, {} cảnh báo, {} thông tin.".format(*counts))
    assert text_en.index("ERROR") < text_en.index("INFO")
    assert report.codes()["rule-violated"] == 1
    with pytest.raises(InvalidValueError):
        report.to_text("fr")


def test_every_code_is_documented_once_with_its_severity() -> None:
    table = DOCS.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z-]+)` \| (error|warning|info)[^|]* \|", table, re.MULTILINE)
    documented = dict(rows)
    assert len(rows) == len(documented)
    assert set(documented) == set(CODES)
    for code, entry in CODES.items():
        assert documented[code] == entry.severity.value, code
        for template in (entry.vi, entry.en):
            assert template.count("{") == template.count("}")


def test_issue_message_languages() -> None:
    issue = Issue(
        "period-in-future",
        Severity.ERROR,
        Location("site", "s1"),
        {
            "owner_vi": "Điểm s1",
            "owner_en": "Site s1",
            "period": "2018",
            "report_date": "2017-07-13",
        },
    )
    assert issue.message("vi") == "Điểm s1: năm 2018 bắt đầu sau ngày báo cáo 13/07/2017."
    assert issue.message("en") == "Site s1: 2018 starts after the report date, 13 July 2017."
    with pytest.raises(InvalidValueError):
        issue.message("de")
    assert issue.to_dict()["where"] == {"kind": "site", "id": "s1"}


# -- expressions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("a+b", "a + b"),
        ("a × (b − 2)", "a * (b - 2)"),
        ("a ÷ b / c", "a / b / c"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("-a * -(b + 1.50)", "-a * -(b + 1.5)"),
        ("x[sex=female, capital_source=family]", "x[capital_source=family, sex=female]"),
        ("`mh-1` + `2abc`[`c-1`=o]", "`mh-1` + `2abc`[`c-1`=o]"),
        ("+a", "a"),
    ],
)
def test_expressions_read_and_print(text: str, canonical: str) -> None:
    e = Expression.parse(text)
    assert str(e) == canonical
    assert str(Expression.parse(str(e))) == canonical


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("", 0, "empty"),
        ("a +", 3, "expected a number"),
        ("a + * b", 4, "expected a number"),
        ("(a + b", 6, "expected ')'"),
        ("a b", 2, "expected an operator"),
        ("a ^ 2", 2, "unexpected character"),
        ("x[sex]", 5, "expected '='"),
        ("x[sex=f sex=m]", 8, "expected ',' or ']'"),
        ("x[sex=f, sex=m]", 9, "given once"),
        ("12abc", 0, "backquotes"),
        ("`a b`", 0, "backquotes"),
        ("a.", 0, "not an id"),
        ("__import__('os')", 11, "unexpected character"),
        ("(" * 60 + "a" + ")" * 60, 50, "nesting"),
    ],
)
def test_malformed_expressions_say_where(text: str, position: int, reason: str) -> None:
    with pytest.raises(ExpressionError) as info:
        Expression.parse(text)
    assert info.value.position == position
    assert reason in info.value.reason
    assert info.value.caret.splitlines()[1] == " " * position + "^"
    assert str(info.value).endswith(" " * position + "^")


def test_expression_limits() -> None:
    with pytest.raises(ExpressionError, match="longer than"):
        Expression.parse("a+" * 1001 + "a")
    with pytest.raises(ExpressionError, match="a string"):
        Expression.parse(12)


_IDS = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@st.composite
def _expressions(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 3 or draw(st.booleans()):
        choice = draw(st.integers(0, 2))
        if choice == 0:
            return str(draw(st.integers(0, 10**6)))
        if choice == 1:
            return draw(_IDS)
        return f"{draw(_IDS)}[{draw(_IDS)}={draw(_IDS)}]"
    op = draw(st.sampled_from(["+", "-", "*", "/", "×", "÷", "−"]))
    left = draw(_expressions(depth + 1))
    right = draw(_expressions(depth + 1))
    return f"({left}) {op} ({right})" if draw(st.booleans()) else f"{left}{op}{right}"


@given(_expressions())
def test_printed_expressions_read_back_the_same(text: str) -> None:
    e = Expression.parse(text)
    again = Expression.parse(str(e))
    assert str(again) == str(e)
    assert again.refs == e.refs


@given(st.text(max_size=40))
def test_any_text_parses_or_fails_with_a_position(text: str) -> None:
    try:
        Expression.parse(text)
    except ExpressionError as e:
        position = e.position
    else:
        return
    assert 0 <= position <= len(text)


def test_rule_with_bad_expression_is_a_located_validation_error() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as info:
        _rule("a +", "<=", "b")
    (error,) = info.value.errors()
    assert error["loc"] == ("left",)
    assert "position 3" in error["msg"]


# -- rules over bounds ------------------------------------------------------------------------


def _with_observations(doc: dict[str, Any], *rows: dict[str, Any]) -> Dataset:
    return Dataset.from_dict(doc | {"observations": [*doc["observations"], *rows]})


def _rule_issues(ds: Dataset, *rules: ValidationRule) -> list[Issue]:
    return [i for i in validate(ds, rules=rules) if i.code.startswith("rule-")]


@pytest.mark.parametrize(
    ("valuable", "tips", "operator", "expected"),
    [
        # A lower bound on the left of >= is conclusive when it already reaches the right.
        (({"value": 1000, "qualifier": "at_least"}), {"value": 900}, ">=", []),
        # ... and says nothing when it does not: an info, never an error.
        (({"value": 1000, "qualifier": "at_least"}), {"value": 1200}, ">=", ["rule-inconclusive"]),
        (({"value": 1000, "qualifier": "at_least"}), {"value": 900}, "<=", ["rule-violated"]),
        (({"value": 1000, "qualifier": "at_least"}), {"value": 1200}, "<=", ["rule-inconclusive"]),
        (({"value": 1000, "qualifier": "at_most"}), {"value": 1200}, "<=", []),
        (({"value": 1000, "qualifier": "at_most"}), {"value": 900}, "<=", ["rule-inconclusive"]),
        # An estimate never makes a hard error.
        (
            ({"value": 1000, "qualifier": "approximately"}),
            {"value": 900},
            "<=",
            ["rule-possibly-violated"],
        ),
        (({"value": 5}), {"value": 5}, "==", []),
        (({"value": 5}), {"value": 6}, "!=", []),
        (({"value": 5}), {"value": 5}, "!=", ["rule-violated"]),
        (({"value": 5}), {"value": 5}, "<", ["rule-violated"]),
        (({"value": 5}), {"value": 5}, ">", ["rule-violated"]),
        (({"value": 4}), {"value": 5}, "<", []),
        (({"value": 5, "qualifier": "at_least"}), {"value": 5}, "==", ["rule-inconclusive"]),
        (({"value": 5, "qualifier": "at_least"}), {"value": 4}, "==", ["rule-violated"]),
    ],
)
def test_qualifiers_decide_or_leave_undecided(
    sample_document: dict[str, Any],
    valuable: dict[str, Any],
    tips: dict[str, Any],
    operator: str,
    expected: list[str],
) -> None:
    doc = _doc(sample_document)
    doc["observations"] = []
    ds = _with_observations(
        doc,
        _observation(metric="valuable_tips", **valuable),
        _observation(**tips),
    )
    rule = _rule("valuable_tips", operator, "tips_received", importance="high")
    issues = _rule_issues(ds, rule)
    assert [i.code for i in issues] == expected
    severities = {"rule-violated": Severity.ERROR, "rule-possibly-violated": Severity.WARNING}
    for issue in issues:
        assert issue.severity is severities.get(issue.code, Severity.INFO)


def test_units_convert_before_comparing(sample_document: dict[str, Any]) -> None:
    doc = _doc(sample_document)
    doc["observations"] = []
    area = {"metric": "poppy_area_destroyed", "subject": "unit:12", "period": "2016/2017"}
    ds = _with_observations(doc, area | {"unit": "ha", "value": "5.8"})
    assert _rule_issues(ds, _rule("poppy_area_destroyed", "==", "58000")) == []
    assert [i.code for i in _rule_issues(ds, _rule("poppy_area_destroyed", ">", "58000"))] == [
        "rule-violated"
    ]


def test_missing_values_are_never_zero(sample_document: dict[str, Any]) -> None:
    doc = _doc(sample_document)
    doc["observations"] = []
    total = _observation(metric=EMPLOYED, subject="site:site-muong-so", unit="person", value=10)
    family = total | {"disaggregation": {"capital_source": "family"}, "value": 7}
    own = total | {"disaggregation": {"capital_source": "own_effort"}, "value": 6}
    ds = _with_observations(doc, total, family)
    skip_any = _rule(PARTS, "<=", EMPLOYED)
    skip_all = _rule(PARTS, "<=", EMPLOYED, left_missing="skip_if_all_values_missing")
    never = _rule(PARTS, "<=", EMPLOYED, left_missing="never_skip")
    assert _rule_issues(ds, skip_any) == []  # two parts are missing: skipped
    assert _rule_issues(ds, skip_all) == []  # 7 + unknown + unknown <= 10: undecided, not zero
    ds = _with_observations(doc, total, family, own)
    (issue,) = _rule_issues(ds, skip_all)  # 7 + 6 + unknown > 10 whatever the missing one is
    assert issue.code == "rule-violated"
    assert issue.details["left"] == "[13, ∞]"
    assert [i.code for i in _rule_issues(ds, never)] == ["rule-violated"]
    # Equality with a part missing is not decided either way: missing is not zero.
    never_eq = _rule(PARTS, "==", EMPLOYED, left_missing="never_skip")
    assert [i.code for i in _rule_issues(_with_observations(doc, total, family), never_eq)] == []


_QUALIFIERS = ("exact", "at_least", "at_most", "approximately")


@st.composite
def _employed_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    """The total and its three parts at one site and year: each absent, once or twice."""
    total = _observation(metric=EMPLOYED, subject="site:site-muong-so", unit="person")
    # Half the examples are figures reported once exactly, or missing: the ones decided on
    # integers; the others add qualifiers and figures reported twice.
    plain = draw(st.booleans())
    qualifiers = ("exact",) if plain else _QUALIFIERS
    rows = []
    parts = 0
    for option in ("policy_bank_or_credit_fund", "family", "own_effort", None):
        row = total if option is None else total | {"disaggregation": {"capital_source": option}}
        for _ in range(draw(st.sampled_from((1, 1, 1, 0) if plain else (1, 0, 2)))):
            value = draw(st.integers(0, 12))
            if option is None:  # totals near the parts' sum, where the operators differ
                value = max(0, parts + draw(st.sampled_from((0, 1, -1, 5, -5))))
            else:
                parts += value
            rows.append(row | {"value": value, "qualifier": draw(st.sampled_from(qualifiers))})
    return rows


@given(
    rows=_employed_rows(), missing=st.tuples(*[st.sampled_from(list(MissingValueStrategy))] * 2)
)
def test_sums_of_figures_decide_as_their_intervals_do(
    sample_document: dict[str, Any],
    rows: list[dict[str, Any]],
    missing: tuple[MissingValueStrategy, MissingValueStrategy],
) -> None:
    # Sides that only add figures are decided on integers when they can be; the same sides
    # times 1 always go through intervals, the reference. Both must report the same, for
    # each operator, with the parts on either side.
    doc = _doc(sample_document)
    doc["observations"] = []
    ds = _with_observations(doc, *rows)

    def seen(parts: str, total: str) -> list[tuple[Any, ...]]:
        rules = [
            _rule(
                *((total, operator, parts) if swap else (parts, operator, total)),
                id=f"rule-{n}-{swap}",
                left_missing=missing[0],
                right_missing=missing[1],
            )
            for n, operator in enumerate(["==", "!=", "<", "<=", ">", ">="])
            for swap in (False, True)
        ]
        return [
            (
                i.code,
                i.severity,
                i.where,
                {k: v for k, v in i.details.items() if k not in {"left_text", "right_text"}},
            )
            for i in _rule_issues(ds, *rules)
        ]

    assert seen(PARTS, EMPLOYED) == seen(f"({PARTS}) * 1", f"{EMPLOYED} * 1")


def test_pairs(sample_document: dict[str, Any]) -> None:
    doc = _doc(sample_document)
    doc["observations"] = []
    ds = _with_observations(doc, _observation(metric="valuable_tips"))
    compulsory = _rule("valuable_tips", "compulsory_pair", "tips_received", importance="low")
    exclusive = _rule("valuable_tips", "exclusive_pair", "tips_received")
    (issue,) = _rule_issues(ds, compulsory)
    assert (issue.code, issue.severity) == ("rule-violated", Severity.INFO)
    assert issue.details["right"] == "missing"
    assert _rule_issues(ds, exclusive) == []
    both = _with_observations(doc, _observation(metric="valuable_tips"), _observation())
    assert _rule_issues(both, compulsory) == []
    assert [i.severity for i in _rule_issues(both, exclusive)] == [Severity.WARNING]


def test_rules_filter_by_period_kind_and_level(sample_document: dict[str, Any]) -> None:
    doc = _doc(sample_document)
    doc["observations"] = []
    ds = _with_observations(
        doc,
        _observation(metric="valuable_tips", value=20),
        _observation(metric="valuable_tips", subject="unit:106", value=20),
        _observation(),
        _observation(subject="unit:106"),
    )
    base = {"importance": "high"}
    assert len(_rule_issues(ds, _rule("valuable_tips", "<=", "tips_received", **base))) == 2
    by_level = _rule("valuable_tips", "<=", "tips_received", levels=["district"], **base)
    assert [i.where.id for i in _rule_issues(ds, by_level)] == ["106"]
    by_kind = _rule("valuable_tips", "<=", "tips_received", period_kind="quarter", **base)
    assert _rule_issues(ds, by_kind) == []


def test_unknown_references_in_rules(lai_chau: Dataset) -> None:
    rules = [
        _rule("no_such_metric", "<=", "tips_received", id="r1"),
        _rule(f"{EMPLOYED}[sex=female]", "<=", EMPLOYED, id="r2"),
        _rule(f"{EMPLOYED}[capital_source=lottery]", "<=", EMPLOYED, id="r3"),
        _rule("released_prisoners_employed + poppy_area_destroyed", ">=", "1", id="r4"),
    ]
    report = validate(lai_chau, rules=rules)
    found = [(i.code, i.where.id, i.details.get("target")) for i in report.errors]
    assert found == [
        ("rule-unknown-reference", "r1", "no_such_metric"),
        ("rule-unknown-reference", "r2", f"{EMPLOYED}[sex]"),
        ("rule-unknown-reference", "r3", "capital_source=lottery"),
        ("rule-invalid", "r4", None),
    ]
    assert "different things" in report.errors[-1].message("en")


def test_builtin_rules_are_grounded_and_skip_what_a_dataset_lacks(
    sample_document: dict[str, Any],
) -> None:
    rules = builtin_rules()
    assert len({r.id for r in rules}) == len(rules)
    for rule in rules:
        assert rule.rationale
        assert rule.left_expression.refs or rule.right_expression.refs
    doc = _doc(sample_document)
    doc["metrics"] = [m for m in doc["metrics"] if m["id"] != "tips_received"]
    doc["observations"] = []
    assert validate(Dataset.from_dict(doc)).issues == ()


def test_division_by_an_interval_holding_zero_decides_nothing(
    sample_document: dict[str, Any],
) -> None:
    doc = _doc(sample_document)
    doc["observations"] = []
    ds = _with_observations(
        doc, _observation(metric="valuable_tips", value=0), _observation(value=5)
    )
    assert [
        i.code for i in _rule_issues(ds, _rule("tips_received / valuable_tips", ">=", "1"))
    ] == ["rule-inconclusive"]
    ok = _rule("valuable_tips / tips_received * 100", "<=", "100")
    assert _rule_issues(ds, ok) == []


def test_rule_enums() -> None:
    assert RuleImportance.HIGH.severity is Severity.ERROR
    assert RuleOperator("compulsory_pair") is RuleOperator.COMPULSORY_PAIR
    assert MissingValueStrategy("never_skip") is MissingValueStrategy.NEVER_SKIP
    with pytest.raises(InvalidValueError):
        validate(sample(), levels=["hamlet"])
    assert validate(sample(), levels=[AdminLevel.PROVINCE]).ok
