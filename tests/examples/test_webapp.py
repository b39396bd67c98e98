"""The reference service (examples/webapp/app.py), started with uvicorn on 127.0.0.1 and
driven over HTTP with httpx, as a client would: bounded requests, a bounded start."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("uvicorn")

APP = Path(__file__).resolve().parents[2] / "examples" / "webapp" / "app.py"
NAME = "Nguyễn Thị Bí Mật"
ID_NUMBER = "0123456789"
FORM = {
    "id": "monthly",
    "name_vi": "Báo cáo tháng",
    "name_en": "Monthly report",
    "period_kind": "month",
    "metrics": [
        {"metric": "tips_received", "compulsory": True},
        {"metric": "mediation_cases"},
    ],
    "assigned_units": ["03386", "03387"],
    "timely_days": 5,
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """The service on a fresh SQLite store, and a client with a 10 s timeout per request."""
    db = tmp_path_factory.mktemp("webapp") / "desk.db"
    port = _free_port()
    log = db.with_suffix(".log").open("w+")
    proc = subprocess.Popen(  # noqa: S603 - our interpreter and our example
        [sys.executable, str(APP), "--url", f"sqlite:///{db}", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": ""},
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"the service exited ({proc.returncode}):\n{log.read()}")
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the service did not answer within 60 s")
            time.sleep(0.2)
        yield client
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


def test_health_and_the_seeded_sample(service: httpx.Client) -> None:
    health = service.get("/health").json()
    assert health["ok"] is True
    assert health["store"].startswith("sqlite:///")
    initiatives = service.get("/initiatives").json()
    assert len(initiatives) == 7
    assert len(service.get("/sites").json()) == 4


def test_create_and_list_initiatives_sites_organizations(service: httpx.Client) -> None:
    created = service.post(
        "/initiatives",
        json={"id": "mh-web", "name_vi": "Mô hình thử", "theme": "self_management"},
    )
    assert created.status_code == 201, created.text
    assert "mh-web" in {i["id"] for i in service.get("/initiatives").json()}
    again = service.post(
        "/initiatives", json={"id": "mh-web", "name_vi": "Lần hai", "theme": "self_management"}
    )
    assert again.status_code == 409
    site = service.post(
        "/sites",
        json={
            "id": "site-web",
            "initiative": "mh-web",
            "name_vi": "Điểm thử",
            "admin_units": ["03386"],
        },
    )
    assert site.status_code == 201, site.text
    assert "site-web" in {s["id"] for s in service.get("/sites").json()}
    org = service.post(
        "/organizations",
        json={
            "id": "org-web",
            "kind": "people_security_team",
            "name_vi": "Tổ thử",
            "admin_unit": "03386",
        },
    )
    assert org.status_code == 201, org.text
    assert "org-web" in {o["id"] for o in service.get("/organizations").json()}


def test_a_month_of_reports_by_template_json_and_with_a_mistake(service: httpx.Client) -> None:
    assert service.post("/forms", json=FORM).status_code == 201
    template = service.get(
        "/forms/monthly/template.csv", params={"unit": "03386", "period": "2017-06"}
    )
    assert template.status_code == 200
    lines = template.text.splitlines()
    assert lines[0].startswith("biểu mẫu,đối tượng,kỳ báo cáo,chỉ tiêu")
    filled = "\n".join([lines[0], lines[1] + "7", lines[2] + "khoảng 3"]) + "\n"
    answer = service.post(
        "/submissions/table",
        content=filled.encode(),
        headers={"content-type": "application/octet-stream"},
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["summary"]["imported"], result["summary"]["status"]) == (2, "SUCCESS")
    assert result["issues"]["format"] == "antq-validation"
    assert result["settled"] == []

    # A JSON submission with a mistake: the conflict points at the item.
    mistaken = {
        "form": "monthly",
        "subject": "unit:03387",
        "period": "2017-06",
        "items": [
            {"metric": "tips_received", "value": 2},
            {"metric": "tips_recieved", "value": 1},
        ],
        "stored_by": "officer-web",
    }
    result = service.post("/submissions", json=mistaken).json()
    summary = result["summary"]
    assert (summary["imported"], summary["ignored"], summary["status"]) == (1, 1, "WARNING")
    assert result["issues"]["ok"] is True
    (conflict,) = summary["conflicts"]
    assert conflict["code"] == "unknown_metric"
    assert conflict["locations"] == [{"path": "$.items[1].metric", "field": "metric"}]

    # A table with a mistake in a cell: 422, the problem located by row and column.
    bad = "\n".join([lines[0], lines[1] + "bảy mươi"]) + "\n"
    answer = service.post(
        "/submissions/table",
        content=bad.encode(),
        headers={"content-type": "application/octet-stream"},
    )
    assert answer.status_code == 422, answer.text
    problem = answer.json()["problems"][0]
    assert problem["where"]["row"] == 2

    done = service.get("/completeness", params={"form": "monthly", "period": "2017-06"}).json()
    assert (done["expected"], done["actual"]) == (2, 2)
    assert [u["code"] for u in done["units"]] == ["03386", "03387"]

    rollup = service.get(
        "/rollups", params=[("metric", "tips_received"), ("by", "district"), ("by", "month")]
    ).json()
    june = [r for r in rollup["rows"] if r.get("month") == "2017-06"]
    assert june == [
        {
            "district": "105",
            "month": "2017-06",
            "metric": "tips_received",
            "value": 9,
            "unit": "tip",
            "qualifier": "exact",
            "observations": 2,
            "missing": june[0]["missing"],
            "source": "summed",
        }
    ]
    province = service.get("/rollups", params={"metric": "tips_received", "by": "province"}).json()
    assert province["by"] == ["province"]


def test_the_422_of_a_participant_leaks_nothing(service: httpx.Client) -> None:
    bad = {"id": "p-web", "roles": ["member"], "full_name": NAME, "identity_number": ID_NUMBER}
    answer = service.post("/participants", json=bad)
    assert answer.status_code == 422
    assert NAME not in answer.text
    assert ID_NUMBER not in answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "identity_number"]
    answer = service.post("/participants", json={"participant": bad})
    assert answer.status_code == 422
    assert NAME not in answer.text
    good = {**bad, "identity_number": "012345678"}
    created = service.post("/participants", json=good)
    assert created.status_code == 201
    assert NAME not in created.text
    exported = service.get("/export")
    assert exported.status_code == 200
    assert NAME not in exported.text
    assert "p-web" in {p["id"] for p in json.loads(exported.text)["participants"]}


def test_openapi_is_plain_text(service: httpx.Client) -> None:
    text = service.get("/openapi.json").text
    assert ">>>" not in text
    assert "``" not in text
    assert "/submissions/table" in json.loads(text)["paths"]


def test_an_excel_upload(service: httpx.Client) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    if service.get("/forms").json() == []:
        assert service.post("/forms", json=FORM).status_code == 201
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["chỉ tiêu", "giá trị", "đơn vị tính"])
    sheet.append(["tips_received", 4, "tip"])
    sheet.append(["mediation_cases", "trên 2", "case"])
    buffer = io.BytesIO()
    book.save(buffer)
    answer = service.post(
        "/submissions/table",
        params={"form": "monthly", "subject": "unit:03386", "period": "2017-07"},
        content=buffer.getvalue(),
        headers={"content-type": "application/octet-stream"},
    )
    assert answer.status_code == 200, answer.text
    summary = answer.json()["summary"]
    assert (summary["imported"], summary["status"]) == (2, "SUCCESS")
    template = service.get(
        "/forms/monthly/template.xlsx", params={"unit": "03386", "period": "2017-09"}
    )
    assert template.status_code == 200, template.text
    assert template.content[:2] == b"PK"
    filled = openpyxl.load_workbook(io.BytesIO(template.content))
    assert filled.sheetnames
    sheet.append(["tips_received", "nhiều", "tip"])
    buffer = io.BytesIO()
    book.save(buffer)
    answer = service.post(
        "/submissions/table",
        params={"form": "monthly", "subject": "unit:03386", "period": "2017-08"},
        content=buffer.getvalue(),
        headers={"content-type": "application/octet-stream"},
    )
    assert answer.status_code == 422
    where = answer.json()["problems"][0]["where"]
    assert (where["row"], where["cell"]) == (4, "B4")


def _rows(table: dict[str, object], key: str) -> dict[str, object]:
    rows = table["rows"]
    assert isinstance(rows, list)
    return {r[key]: r["value"] for r in rows}


def test_rollups_by_region_and_by_the_callers_own_groups(service: httpx.Client) -> None:
    metric = "cases_resolved_jointly"
    by_province = service.get("/rollups", params={"metric": metric, "by": "province"}).json()
    by_region = service.get("/rollups", params={"metric": metric, "by": "group:region"})
    assert by_region.status_code == 200, by_region.text
    region = by_region.json()
    assert region["by"] == ["group:region"]
    # Lai Châu (12) is in the northern midlands and mountains: its figures all go there.
    assert _rows(region, "group:region") == {
        "northern_midlands_mountains": _rows(by_province, "province")["12"]
    }
    assert region["unplaceable"] == by_province["unplaceable"]

    # A steering committee's own grouping of districts, sent with the request.
    own: dict[str, Any] = {
        "format": "antq-groups",
        "format_version": 1,
        "id": "committee",
        "title": "Ban chỉ đạo: cụm thi đua",
        "sources": [],
        "group_sets": [
            {
                "id": "cluster",
                "name_vi": "Cụm thi đua",
                "exclusive": True,
                "groups": [
                    {"id": "east", "name_vi": "Cụm phía đông", "members": {"vn-2017": ["106"]}},
                    {"id": "town", "name_vi": "Thành phố", "members": {"vn-2017": ["105"]}},
                ],
            }
        ],
    }
    by_district = service.get("/rollups", params={"metric": metric, "by": "district"}).json()
    answer = service.post(
        "/rollups", json={"metric": [metric], "by": ["group:cluster"], "group_sets": own}
    )
    assert answer.status_code == 200, answer.text
    clusters = _rows(answer.json(), "group:cluster")
    districts = _rows(by_district, "district")
    assert clusters == {
        g: districts[d] for g, d in (("east", "106"), ("town", "105")) if d in districts
    }
    assert clusters  # the sample has figures in district 106
    # The bundled regions are still there beside the caller's sets.
    both = service.post(
        "/rollups", json={"metric": [metric], "by": ["group:region"], "group_sets": own}
    )
    assert both.json()["rows"] == region["rows"]

    # A group set that is not an antq-groups document: 422, the place in it named.
    broken = {**own, "group_sets": [{**own["group_sets"][0], "groups": "east"}]}
    answer = service.post(
        "/rollups", json={"metric": [metric], "by": ["group:cluster"], "group_sets": broken}
    )
    assert answer.status_code == 422
    assert "$.group_sets[0].groups" in answer.text


def _filled(template: bytes, values: dict[str, object], **cells: object) -> bytes:
    """The downloaded template with values written in its value column, as an officer would."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    metric_col, value_col = header.index("Chỉ tiêu") + 1, header.index("Giá trị") + 1
    for row in range(2, sheet.max_row + 1):
        metric = sheet.cell(row, metric_col).value
        if metric in values:
            sheet.cell(row, value_col).value = values[metric]
    for ref, value in cells.items():
        sheet[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_downloaded_xlsx_template_filled_in_and_uploaded(service: httpx.Client) -> None:
    pytest.importorskip("openpyxl")
    if "monthly" not in {f["id"] for f in service.get("/forms").json()}:
        assert service.post("/forms", json=FORM).status_code == 201

    def template(unit: str, period: str) -> bytes:
        answer = service.get(
            "/forms/monthly/template.xlsx", params={"unit": unit, "period": period}
        )
        assert answer.status_code == 200, answer.text
        return answer.content

    def upload(data: bytes) -> httpx.Response:
        return service.post(
            "/submissions/table",
            content=data,
            headers={"content-type": "application/octet-stream"},
        )

    # Commune 03387, October 2017: the form, subject and period come from the template itself.
    filled = _filled(
        template("03387", "2017-10"), {"tips_received": 6, "mediation_cases": "khoảng 2"}
    )
    answer = upload(filled)
    assert answer.status_code == 200, answer.text
    summary = answer.json()["summary"]
    assert (summary["imported"], summary["ignored"], summary["status"]) == (2, 0, "SUCCESS")
    assert summary["conflicts"] == []
    rollup = service.get(
        "/rollups",
        params=[
            ("metric", "tips_received"),
            ("metric", "mediation_cases"),
            ("by", "commune"),
            ("by", "month"),
        ],
    ).json()
    october = {
        (r["metric"], r["value"], r["qualifier"])
        for r in rollup["rows"]
        if r["month"] == "2017-10" and r["commune"] == "03387"
    }
    assert october == {("tips_received", 6, "exact"), ("mediation_cases", 2, "approximately")}
    again = upload(filled)  # the same figures again: nothing new, nothing lost
    assert (again.json()["summary"]["imported"], again.json()["summary"]["ignored"]) == (0, 2)

    # A mistake: the metric id in row 3 typed wrong (column D); the other row still goes in.
    mistaken = _filled(
        template("03386", "2017-10"),
        {"tips_received": 5, "mediation_cases": 1},
        D3="mediation_casse",
    )
    answer = upload(mistaken)
    assert answer.status_code == 200, answer.text
    summary = answer.json()["summary"]
    assert (summary["imported"], summary["ignored"], summary["status"]) == (1, 1, "WARNING")
    (conflict,) = summary["conflicts"]
    assert conflict["code"] == "unknown_metric"
    (where,) = conflict["locations"]
    # The row and the field at fault; the cell is the row's value cell (items keep no other).
    assert (where["sheet"], where["row"], where["field"]) == ("Báo cáo", 3, "metric")
    assert where["cell"].endswith("3")
