"""The registry of checks: each code declared once, emitted only by its family, documented."""

from __future__ import annotations

import json
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from antq_core import (
    Dataset,
    Severity,
    Tolerance,
    ValidationRule,
    sample,
    validate,
    validate_json,
)
from antq_core._dataset.overlap import duplicate_and_overlapping_rows
from antq_core._validation import CODES, checks
from antq_core._validation.checks import CHECKS, ENTITY_CHECKS, Context, Options
from antq_core._validation.checks.ratios import RATIO_TOLERANCE
from antq_core._validation.issues import IssueCode, declare
from antq_core._validation.run import DEFAULT_LEVELS
from antq_core.errors import DatasetLoadError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "validation.md"
CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "validation"
_ROW = re.compile(r"^\| `([a-z-]+)` \| ([^|]*) \|", re.MULTILINE)
_SEVERITY = re.compile(r"\b(error|warning|info)\b")


def _families() -> dict[str, set[str]]:
    """The codes each family of the registry declares, by family."""
    found: dict[str, set[str]] = {}
    for step in CHECKS:
        found.setdefault(step.family, set()).update(step.codes)
    return found


def test_every_code_is_declared_by_exactly_one_check_module() -> None:
    families = _families()
    owners: dict[str, list[str]] = {}
    for family, codes in families.items():
        for code in codes:
            owners.setdefault(code, []).append(family)
    assert {code: f for code, f in owners.items() if len(f) > 1} == {}
    assert set(owners) == set(CODES)
    for step in CHECKS:
        for code, declared in step.codes.items():
            assert CODES[code] is declared, code
    # Steps of one family share its one declaration.
    by_family = {step.family: step.codes for step in CHECKS}
    assert all(step.codes is by_family[step.family] for step in CHECKS)


def test_a_code_cannot_be_declared_twice() -> None:
    again = IssueCode("gazetteer-cycle", Severity.INFO, "vi", "en")
    with pytest.raises(ValueError, match="declared twice: gazetteer-cycle"):
        declare(again)
    new = IssueCode("test-only-code", Severity.INFO, "vi", "en")
    with pytest.raises(ValueError, match="declared twice: test-only-code"):
        declare(new, new)
    assert CODES["gazetteer-cycle"].severity is Severity.ERROR
    assert "test-only-code" not in CODES


def test_every_check_module_is_in_the_registry() -> None:
    modules = {m.name for m in pkgutil.iter_modules(checks.__path__)} - {"context"}
    assert modules == set(_families())


def _apply(doc: dict[str, Any], patch: list[dict[str, Any]]) -> dict[str, Any]:
    """A corpus case's patch on the sample (see tests/validation/test_validation_input.py)."""

    def step(node: Any, key: Any) -> Any:
        if isinstance(key, dict):
            return next(i for i, item in enumerate(node) if key.items() <= item.items())
        return key

    for operation in patch:
        *parents, last = operation["path"]
        node: Any = doc
        for key in parents:
            node = node[step(node, key)]
        key = step(node, last)
        if operation["op"] == "set":
            node[key] = operation["value"]
        elif operation["op"] == "delete":
            del node[key]
        else:
            node[key].append(operation["value"])
    return doc


def _corpus() -> Iterator[tuple[str, str]]:
    """Each corpus case's document text, by name."""
    for path in sorted(CORPUS.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        if "raw" in case:
            text = str(case["raw"])
        else:
            data = case["input"] if "input" in case else _apply(sample().to_dict(), case["patch"])
            text = re.sub(r'"@raw:([^"]*)"', r"\1", json.dumps(data, ensure_ascii=False))
        yield path.stem, text


def _rules() -> list[ValidationRule]:
    """Rules that break on the sample at each importance, and ones that cannot be used."""

    def rule(id_: str, left: str, op: str, right: str, importance: str) -> ValidationRule:
        names = {"name_vi": "Quy tắc thử", "name_en": "Test rule"}
        return ValidationRule(
            id=id_, left=left, operator=op, right=right, importance=importance, **names
        )

    parts = "released_prisoners_employed[capital_source=family]"
    return [
        *(rule(f"r-{i}", parts, ">", "released_prisoners_employed", i) for i in ("high", "low")),
        rule("r-unknown", "no_such_metric", "<=", "tips_received", "high"),
        rule("r-mixed", "poppy_area_destroyed + released_prisoners_employed", ">=", "0", "high"),
    ]


def _inputs() -> Iterator[tuple[str, Dataset, str | None, list[ValidationRule] | None]]:
    yield "sample", sample(), None, None
    yield "sample with rules", sample(), None, _rules()
    for name, text in _corpus():
        try:
            dataset = Dataset.from_json(text)
        except DatasetLoadError:
            continue
        yield name, dataset, text, None


INPUTS = list(_inputs())


@pytest.mark.parametrize(
    ("dataset", "document", "rules"),
    [case[1:] for case in INPUTS],
    ids=[case[0] for case in INPUTS],
)
def test_each_check_emits_only_the_codes_its_module_declares(
    dataset: Dataset, document: str | None, rules: list[ValidationRule] | None
) -> None:
    options = Options(
        DEFAULT_LEVELS, Tolerance(), RATIO_TOLERANCE, rules, duplicate_and_overlapping_rows
    )
    context = Context(dataset, options, document=document, source="case.json")
    found = []
    for step in CHECKS:
        issues = list(step.run(context))
        for issue in issues:
            assert issue.code in step.codes, (step.name, issue.code)
            assert issue.severity in step.codes[issue.code].severities, (step.name, issue)
        found.extend(issues)
    # The registry is the report: the same issues, in the same order.
    if document is None:
        report = validate(dataset, rules=rules, engine="python")
    else:
        report = validate_json(document, source="case.json", engine="python")
    assert tuple(found) == report.issues
    assert context.rules_evaluated == report.rules_evaluated


@pytest.mark.parametrize(
    ("dataset", "document", "rules"),
    [case[1:] for case in INPUTS],
    ids=[case[0] for case in INPUTS],
)
def test_the_checks_of_entities_alone_never_name_an_observation(
    dataset: Dataset,
    document: str | None,
    rules: list[ValidationRule] | None,
) -> None:
    """check_submission leaves ENTITY_CHECKS out: none of their issues may be about figures.

    It checks a dataset, not a document (the raw text checks then find nothing).
    """
    assert {step.name for step in CHECKS} >= ENTITY_CHECKS
    options = Options(
        DEFAULT_LEVELS, Tolerance(), RATIO_TOLERANCE, rules, duplicate_and_overlapping_rows
    )
    context = Context(dataset, options)
    for step in CHECKS:
        if step.name not in ENTITY_CHECKS:
            continue
        for issue in step.run(context):
            assert issue.where.kind != "observation", (step.name, issue)
            assert "rows" not in issue.details, (step.name, issue)
            assert not (issue.where.path or "").startswith("$.observations"), (step.name, issue)


def test_the_checks_are_exercised_at_every_severity_they_declare() -> None:
    """The inputs above reach the rules' other severities, so the test above means something."""
    seen = {
        (i.code, i.severity)
        for _, dataset, _, rules in INPUTS[:2]
        for i in validate(dataset, rules=rules)
    }
    assert {("rule-violated", Severity.ERROR), ("rule-violated", Severity.INFO)} <= seen
    assert {("rule-unknown-reference", Severity.ERROR), ("rule-invalid", Severity.ERROR)} <= seen


def test_the_code_table_in_the_docs_matches_the_declarations() -> None:
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("\n## Issue codes\n")
    table = text[start : text.index("\n## ", start + 1)]
    rows = _ROW.findall(table)
    documented = {code: _SEVERITY.findall(cell) for code, cell in rows}
    assert len(rows) == len(documented), "a code has two rows"
    assert sorted(documented) == sorted(CODES)
    for code, entry in CODES.items():
        words = documented[code]
        assert words, code
        # The usual severity first, then any other a check may give, each once.
        assert Severity(words[0]) is entry.severity, code
        assert sorted(map(Severity, words), key=lambda s: s.rank) == sorted(
            entry.severities, key=lambda s: s.rank
        ), code
