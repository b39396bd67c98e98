"""Results as web responses: each dumps to JSON its own JSON Schema accepts; 422s keep
personal data out; OpenAPI descriptions are plain text."""

from __future__ import annotations

import asyncio
import json
import re
from decimal import Decimal
from typing import Any

import fastapi
import httpx
import jsonschema
import pytest
from hypothesis import given, settings
from pydantic import BaseModel, TypeAdapter, ValidationError

from antq_core import (
    AggregateRow,
    AggregateTable,
    CompletenessReport,
    Dataset,
    ImportSummary,
    Issue,
    Participant,
    Period,
    Quantity,
    Submission,
    Unit,
    ValidationReport,
    aggregate,
    completeness,
    sample,
    validate,
)
from antq_core._values.quantity import dump_value
from antq_core.errors import DatasetLoadError, Location, Problem
from antq_core.io.web import (
    ImportSummaryResponse,
    import_summary_to_dict,
    load_error_body,
    safe_error_details,
    validation_error_body,
)
from antq_core.testing import strategies as ast


def _check(kind: Any, value: object) -> Any:
    """Dump ``value`` as a web framework would and validate it against its published schema."""
    adapter = TypeAdapter(kind)
    data = json.loads(adapter.dump_json(value))
    for mode in ("serialization", "validation"):
        schema = adapter.json_schema(mode=mode)
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    return data


def test_an_aggregate_table_and_its_rows_are_responses() -> None:
    table = aggregate(sample(), ["cases_resolved_jointly", "initiatives"], by=["district"])
    data = _check(AggregateTable, table)
    assert data == table.to_dict()
    assert data["rows"][0]["district"] == "106"
    for row in table:
        assert _check(AggregateRow, row)["metric"] == row.metric


@settings(max_examples=30, deadline=None)
@given(ds=ast.aggregation_datasets())
def test_generated_aggregates_fit_their_schema(ds: Dataset) -> None:
    table = aggregate(ds, list(ds.metrics), by=["province", "period"])
    _check(AggregateTable, table)


def test_decimal_values_are_written_as_strings() -> None:
    ds = sample()
    rows = [o for o in ds.observations if o.metric == "poppy_area_destroyed"]
    assert rows
    changed = ds.replace(
        observations=[
            *ds.observations,
            rows[0].model_copy(
                update={
                    "value": Decimal("5.5"),
                    "unit": Unit.get("ha"),
                    "period": Period.year(2015),
                }
            ),
        ]
    )
    table = aggregate(changed, ["poppy_area_destroyed"], by=["province"])
    data = _check(AggregateTable, table)
    assert [r["value"] for r in data["rows"]] == [
        dump_value(r.quantity.value) for r in table if r.quantity is not None
    ]
    row = AggregateRow({"province": "12"}, "area", Quantity(Decimal("2.50"), "ha"), 2, 0)
    made = AggregateTable(rows=(row,), by=("province",), engine="python", unplaceable=())
    assert _check(AggregateTable, made)["rows"][0]["value"] == "2.50"


def test_a_validation_report_and_its_issues_are_responses() -> None:
    report = validate(sample())
    data = _check(ValidationReport, report)
    assert data == json.loads(report.to_json())
    for issue in report:
        assert _check(Issue, issue)["code"] == issue.code


@settings(max_examples=25, deadline=None)
@given(ds=ast.datasets(max_observations=20))
def test_generated_reports_fit_their_schema(ds: Dataset) -> None:
    _check(ValidationReport, validate(ds))


def test_located_problems_are_responses() -> None:
    doc = sample().to_dict()
    doc["observations"][3]["period"] = "2017Q9"
    with pytest.raises(DatasetLoadError) as caught:
        Dataset.from_dict(doc)
    for problem in caught.value.problems:
        assert _check(Problem, problem) == problem.to_dict()
        _check(Location, problem.location)
    body = load_error_body(caught.value)
    assert body["problems"][0]["where"]["path"] == "$.observations[3].period"


def test_results_are_not_read_from_requests() -> None:
    with pytest.raises(ValidationError, match="made by antq_core"):
        TypeAdapter(AggregateTable).validate_python({"rows": []})
    with pytest.raises(ValidationError, match="made by"):
        TypeAdapter(ImportSummaryResponse).validate_python({})


def test_import_summaries_are_responses() -> None:
    ds = sample()
    submission = Submission.model_validate(
        {
            "subject": "site:site-cum-giap-ranh",
            "period": "2017",
            "items": [
                {"metric": "cases_resolved_jointly", "value": 3},
                {"metric": "no_such_metric", "value": 1},
            ],
        }
    )
    _, summary = ds.apply(submission)
    data = _check(ImportSummaryResponse, summary)
    assert data == import_summary_to_dict(summary)
    assert data["imported"] == 1
    assert data["conflicts"][0]["locations"][0]["path"] == "$.items[1].metric"


class _Client:
    """Requests to an app in this process, through httpx's ASGI transport."""

    def __init__(self, app: fastapi.FastAPI) -> None:
        self.app = app

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
                return await client.request(method, url, **kw)

        return asyncio.run(go())

    def get(self, url: str) -> httpx.Response:
        return self.request("GET", url)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)


# -- OpenAPI ------------------------------------------------------------------------------


def _app() -> fastapi.FastAPI:
    from antq_core.io.web import install_error_handlers

    app = fastapi.FastAPI()
    install_error_handlers(app)

    @app.post("/participants")
    def add(p: Participant) -> Participant:
        return p

    @app.get("/table")
    def table() -> AggregateTable:
        return aggregate(sample(), ["initiatives"], by=["province"])

    @app.get("/report")
    def report() -> ValidationReport:
        return validate(sample())

    @app.get("/problem")
    def problem() -> Problem:
        return Problem.at("$.x", "bad", "sai")

    @app.post("/submissions")
    def submit(s: Submission) -> ImportSummaryResponse:
        return sample().apply(s)[1]

    @app.post("/datasets")
    async def load(request: fastapi.Request) -> dict[str, int]:
        ds = Dataset.from_json(await request.body())
        return {"observations": len(ds.observations)}

    return app


def test_openapi_descriptions_are_plain_text_and_participant_lists_its_fields() -> None:
    openapi = _app().openapi()
    text = json.dumps(openapi, ensure_ascii=False)
    assert ">>>" not in text
    assert not re.search(r":[a-z]+:`", text)
    assert "``" not in text
    schemas = openapi["components"]["schemas"]
    participant = schemas.get("Participant-Output", schemas.get("Participant"))
    assert participant is not None
    assert set(participant["properties"]) >= {"id", "roles", "full_name", "identity_number"}
    assert participant.get("additionalProperties") is not True


def test_every_entity_schema_is_plain_text() -> None:
    import antq_core

    for name in antq_core.__all__:
        model = getattr(antq_core, name)
        if isinstance(model, type) and issubclass(model, BaseModel):
            for mode in ("validation", "serialization"):
                text = json.dumps(model.model_json_schema(mode=mode))
                assert ">>>" not in text, (name, mode)
                assert "``" not in text, (name, mode)


def test_the_app_answers_results_as_their_schemas_say() -> None:
    client = _Client(_app())
    got = client.get("/table").json()
    assert got == aggregate(sample(), ["initiatives"], by=["province"]).to_dict()
    assert client.get("/report").json()["format"] == "antq-validation"
    assert client.get("/problem").json() == {
        "where": {"path": "$.x"},
        "message_vi": "sai",
        "message_en": "bad",
    }


# -- 422 without personal data ----------------------------------------------------------------

NAME = "Nguyễn Thị Bí Mật"
ID_NUMBER = "0123456789"  # 10 digits: not a CMND (9) nor a CCCD (12)


def test_a_422_never_echoes_personal_fields_or_participants() -> None:
    client = _Client(_app())
    bad = {"id": "p1", "roles": ["member"], "full_name": NAME, "identity_number": ID_NUMBER}
    answer = client.post("/participants", json=bad)
    assert answer.status_code == 422
    assert NAME not in answer.text
    assert ID_NUMBER not in answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "identity_number"]
    # A whole object in the wrong place is not echoed either.
    answer = client.post("/participants", json=[bad])
    assert answer.status_code == 422
    assert NAME not in answer.text
    # An unknown field may hold a name too.
    answer = client.post("/participants", json={"id": "p1", "roles": ["member"], "ho_ten": NAME})
    assert answer.status_code == 422
    assert NAME not in answer.text
    # Plain values of other fields stay, so people can find their mistake.
    answer = client.post("/participants", json={"id": "p1", "roles": ["nobody"]})
    assert answer.json()["detail"][0]["input"] == "nobody"


def test_fastapis_own_422_does_not_leak_a_participant() -> None:
    """FastAPI echoes each error's input; a participant's errors carry none that is personal.

    Even without :func:`install_error_handlers`, the entity's own validation errors
    redact their inputs, so the framework's default 422 body cannot show a name.
    """
    app = fastapi.FastAPI()

    @app.post("/participants")
    def add(p: Participant) -> Participant:
        return p

    bad = {"id": "p1", "roles": ["member"], "full_name": NAME, "identity_number": ID_NUMBER}
    for body in ([bad], {**bad, "roles": "x"}, {**bad, "identity_number": "12"}):
        answer = _Client(app).post("/participants", json=body)
        assert answer.status_code == 422
        assert NAME not in answer.text
        assert ID_NUMBER not in answer.text
        assert "12" not in json.dumps([e.get("input") for e in answer.json()["detail"]])


def test_a_file_that_does_not_load_is_a_located_422() -> None:
    doc = sample().to_dict(include_sensitive=True)
    doc["observations"][2]["period"] = "2017Q9"
    doc["participants"][0] = {**doc["participants"][0], "full_name": NAME, "roles": "x"}
    answer = _Client(_app()).post("/datasets", content=json.dumps(doc).encode())
    assert answer.status_code == 422
    body = answer.json()
    assert "$.observations[2].period" in {p["where"].get("path") for p in body["problems"]}
    assert NAME not in answer.text


def test_completeness_reports_are_not_read_from_requests() -> None:
    from antq_core.io.web import CompletenessResponse

    with pytest.raises(ValidationError, match="made by"):
        TypeAdapter(CompletenessResponse).validate_python({})


def test_safe_error_details_keeps_only_safe_parts() -> None:
    errors = [
        {"type": "x", "loc": ("participants", 0, "full_name"), "msg": "m", "input": NAME},
        {"type": "x", "loc": ("participants", 0), "msg": "m", "input": {"full_name": NAME}},
        {
            "type": "x",
            "loc": ("value",),
            "msg": "m",
            "input": "abc",
            "url": "https://e",
            "ctx": {"pattern": "^[0-9]+$", "error": ValueError(NAME)},
        },
    ]
    safe = safe_error_details(errors)
    assert NAME not in repr(safe)
    assert safe[2] == {
        "type": "x",
        "loc": ["value"],
        "msg": "m",
        "input": "abc",
        "ctx": {"pattern": "^[0-9]+$"},
    }


def test_loading_errors_do_not_echo_participant_objects() -> None:
    doc = sample().to_dict(include_sensitive=True)
    doc["participants"][0] = {**doc["participants"][0], "full_name": NAME, "roles": "member"}
    doc["participants"].append(["not", "an", "object", NAME])
    with pytest.raises(DatasetLoadError) as caught:
        Dataset.from_dict(doc)
    assert NAME not in str(caught.value)
    assert NAME not in json.dumps(load_error_body(caught.value), ensure_ascii=False)


def test_validation_error_body_of_a_pydantic_error() -> None:
    with pytest.raises(ValidationError) as caught:
        Participant(id="p1", roles=["member"], full_name="", identity_number=ID_NUMBER)
    body = validation_error_body(caught.value)
    assert {tuple(d["loc"]) for d in body["detail"]} == {("full_name",), ("identity_number",)}
    assert all("input" not in d for d in body["detail"])
    assert ID_NUMBER not in json.dumps(body)


def test_excluded_figures_are_in_the_response_and_its_schema() -> None:
    from antq_core import ExclusionReason

    ds = sample()
    table = aggregate(ds, list(ds.metrics), by=["province"])
    assert table.excluded, "the sample has figures broken down beside their totals"
    data = _check(AggregateTable, table)
    assert len(data["excluded"]) == len(table.excluded)
    assert {e["code"] for e in data["excluded"]} <= {r.value for r in ExclusionReason}
    schema = TypeAdapter(AggregateTable).json_schema(mode="serialization")
    codes = schema["properties"]["excluded"]["items"]["properties"]["code"]["enum"]
    assert codes == [r.value for r in ExclusionReason]
    assert all(row["source"] == "summed" for row in data["rows"])


# -- ImportSummary and CompletenessReport as themselves ------------------------------------

_MONTHLY = {
    "id": "monthly",
    "name_vi": "Báo cáo tháng",
    "name_en": "Monthly report",
    "period_kind": "month",
    "metrics": [{"metric": "tips_received", "compulsory": True}, {"metric": "mediation_cases"}],
    "assigned_units": ["03386", "03387", "03388"],
}


def _monthly_dataset() -> Dataset:
    doc = sample().to_dict()
    doc["forms"] = [_MONTHLY]
    return Dataset.from_dict(doc)


def test_an_import_summary_is_a_response_as_itself() -> None:
    ds = _monthly_dataset()
    submission = Submission.model_validate(
        {
            "form": "monthly",
            "subject": "unit:03386",
            "period": "2017-06",
            "items": [
                {"metric": "tips_received", "value": 3},
                {"metric": "tips_recieved", "value": 1},
            ],
        }
    )
    _, summary = ds.apply(submission)
    data = _check(ImportSummary, summary)
    assert data == summary.to_dict()
    # The annotation of earlier versions gives the same JSON and the same schema.
    assert data == _check(ImportSummaryResponse, summary) == import_summary_to_dict(summary)
    old = TypeAdapter(ImportSummaryResponse).json_schema(mode="serialization")
    assert TypeAdapter(ImportSummary).json_schema(mode="serialization") == old
    assert (data["imported"], data["ignored"], data["status"]) == (1, 1, "WARNING")
    assert data["conflicts"][0]["locations"] == [{"path": "$.items[1].metric", "field": "metric"}]
    with pytest.raises(ValidationError, match="made by antq_core"):
        TypeAdapter(ImportSummary).validate_python(data)


def test_a_completeness_report_is_a_response_as_itself() -> None:
    from antq_core.io.web import CompletenessResponse, completeness_to_dict

    ds = _monthly_dataset()
    for unit, value in (("03386", 4), ("03387", 0)):
        report = {
            "form": "monthly",
            "subject": f"unit:{unit}",
            "period": "2017-06",
            "items": [{"metric": "tips_received", "value": value}],
        }
        ds, summary = ds.apply(Submission.model_validate(report))
        assert summary.imported == 1
    result = completeness(ds, form="monthly", period="2017-06")
    data = _check(CompletenessReport, result)
    assert data == result.to_dict() == completeness_to_dict(result)
    assert data == _check(CompletenessResponse, result)
    old = TypeAdapter(CompletenessResponse).json_schema(mode="serialization")
    assert TypeAdapter(CompletenessReport).json_schema(mode="serialization") == old
    assert (data["expected"], data["actual"]) == (result.expected, result.actual) == (3, 2)
    assert data["rate"] == pytest.approx(2 / 3)
    assert [s["code"] for s in data["silent"]] == ["03388"]
    with pytest.raises(ValidationError, match="made by antq_core"):
        TypeAdapter(CompletenessReport).validate_python(data)


def test_an_endpoint_returns_them_as_they_are() -> None:
    app = fastapi.FastAPI()
    ds = _monthly_dataset()

    @app.post("/apply")
    def apply(s: Submission) -> ImportSummary:
        return ds.apply(s)[1]

    @app.get("/completeness")
    def done() -> CompletenessReport:
        return completeness(ds, form="monthly", period="2017-06")

    client = _Client(app)
    body = {"form": "monthly", "subject": "unit:03387", "period": "2017-06", "items": []}
    answer = client.post("/apply", json=body)
    assert answer.status_code == 200, answer.text
    paths = app.openapi()["paths"]

    def published(path: str, method: str) -> Any:
        return paths[path][method]["responses"]["200"]["content"]["application/json"]["schema"]

    assert {"status", "conflicts"} <= set(published("/apply", "post")["required"])
    jsonschema.validate(answer.json(), published("/apply", "post"))
    answer = client.get("/completeness")
    assert answer.status_code == 200, answer.text
    assert answer.json()["silent"] == [{"code": c, "name": n} for c, n in done().silent]
    assert {"units", "silent"} <= set(published("/completeness", "get")["required"])
    jsonschema.validate(answer.json(), published("/completeness", "get"))
