"""A reference web service on antq_core: a province's reporting desk over HTTP.

Run it (SQLite in ./antq-web.db, seeded with the bundled Lai Châu sample)::

    pip install 'antq_core[web]'
    python examples/webapp/app.py

or on PostgreSQL: ``python examples/webapp/app.py --url postgresql://user@host/db``.
The OpenAPI page is at http://127.0.0.1:8000/docs.

What it serves: initiatives, sites, organizations, participants and reporting
forms (list and create); a form's template (Excel, or CSV) for a commune and period;
submissions as JSON or as a CSV/Excel upload, answered with the import summary
(every conflict located in the submission) and the validation issues it would
introduce or settle against the stored figures of its unit; completeness of a
form for a period; roll-ups by district, province, socio-economic region
(``group:region``), the caller's own unit group sets, or any grouping ``aggregate``
knows; and an export of the dataset.

Results of the library are returned as they are (they are pydantic types);
invalid requests get a 422 without the request's personal data
(:func:`antq_core.io.web.install_error_handlers`).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import uvicorn
from fastapi import Body, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from antq_core import (
    AggregateTable,
    CompletenessReport,
    Dataset,
    ImportSummary,
    Initiative,
    Issue,
    MassOrganization,
    Participant,
    ReportingForm,
    Site,
    Submission,
    ValidationReport,
    aggregate,
    bundled_group_sets,
    read_group_sets,
    sample,
    validate,
)
from antq_core.errors import AntqError, StoreError
from antq_core.io.tabular import read_submission, write_template
from antq_core.io.web import install_error_handlers
from antq_core.store import Store

DEFAULT_URL = os.environ.get("ANTQ_STORE_URL", "sqlite:///antq-web.db")


class SubmissionResult(BaseModel):
    """What a submission did, and the validation issues it brings or settles."""

    summary: ImportSummary
    issues: ValidationReport
    settled: list[Issue]


class RollupRequest(BaseModel):
    """A roll-up, optionally by the caller's own unit group sets (group:<set> in by)."""

    metric: list[str]
    by: list[str] = ["district"]
    group_sets: dict[str, Any] | None = None
    """An antq-groups document: its group sets are used beside the bundled ones (region)."""


class Desk:
    """The store, and the dataset loaded from it while no change comes (by revision)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._loaded: tuple[int, Dataset] | None = None

    def dataset(self) -> Dataset:
        """The stored dataset, without personal fields, loaded again after any change."""
        revision = self.store.revision
        if self._loaded is None or self._loaded[0] != revision:
            # The service never reads personal fields: a deployment may deny it the table.
            self._loaded = (revision, self.store.load(include_personal=False))
        return self._loaded[1]

    def submit(self, submission: Submission, *, dry_run: bool) -> SubmissionResult:
        """Check ``submission`` against the stored figures of its subject, then apply it."""
        check = self.store.check_submission(submission)
        summary = self.store.apply(submission, dry_run=dry_run)
        return SubmissionResult(
            summary=summary, issues=check.introduced, settled=list(check.settled)
        )


def create_app(url: str = DEFAULT_URL, *, seed: bool = True) -> FastAPI:  # noqa: PLR0915 - a route each
    """The service on the store at ``url``; an empty store is seeded with the sample."""
    store = Store.open(url)
    try:
        store.load(include_personal=False)
    except StoreError:
        if not seed:
            raise
        store.save(sample(), stored_by="seed")
    desk = Desk(store)
    app = FastAPI(title="antq_core reporting desk", version="1")
    install_error_handlers(app)

    @app.exception_handler(AntqError)
    async def refused(request: Request, exc: Exception) -> JSONResponse:
        # Library errors name ids and values, never personal data.
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "revision": store.revision, "store": store.url}

    def add(kind: str, entity: Any) -> Any:
        if entity.id in getattr(desk.dataset(), kind):
            raise HTTPException(409, f"{kind}: {entity.id} exists")
        store.put(entity)
        return entity

    @app.get("/initiatives")
    def initiatives() -> list[Initiative]:
        return list(desk.dataset().initiatives.values())

    @app.post("/initiatives", status_code=201)
    def add_initiative(initiative: Initiative) -> Initiative:
        return add("initiatives", initiative)  # type: ignore[no-any-return]

    @app.get("/sites")
    def sites() -> list[Site]:
        return list(desk.dataset().sites.values())

    @app.post("/sites", status_code=201)
    def add_site(site: Site) -> Site:
        return add("sites", site)  # type: ignore[no-any-return]

    @app.get("/organizations")
    def organizations() -> list[MassOrganization]:
        return list(desk.dataset().organizations.values())

    @app.post("/organizations", status_code=201)
    def add_organization(organization: MassOrganization) -> MassOrganization:
        return add("organizations", organization)  # type: ignore[no-any-return]

    @app.post("/participants", status_code=201)
    def add_participant(participant: Participant) -> Participant:
        # Answered without the personal fields: Participant leaves them out when dumped.
        return add("participants", participant)  # type: ignore[no-any-return]

    @app.get("/forms")
    def forms() -> list[ReportingForm]:
        return list(desk.dataset().forms.values())

    @app.post("/forms", status_code=201)
    def add_form(form: ReportingForm) -> ReportingForm:
        return add("forms", form)  # type: ignore[no-any-return]

    @app.get("/forms/{form}/template.csv")
    def template(form: str, unit: str, period: str) -> Response:
        """A CSV to fill in: the form's metrics in rows, the unit and period filled in."""
        ds = desk.dataset()
        found = ds.forms.get(form)
        if found is None:
            raise HTTPException(404, f"no reporting form {form}")
        out = io.StringIO()
        rows = csv.writer(out)
        rows.writerow(
            [
                "biểu mẫu",
                "đối tượng",
                "kỳ báo cáo",
                "chỉ tiêu",
                "tên chỉ tiêu",
                "đơn vị tính",
                "giá trị",
            ]
        )
        for line in found.metrics:
            metric = ds.metric(line.metric)
            rows.writerow(
                [form, f"unit:{unit}", period, metric.id, metric.name_vi, metric.unit.code, ""]
            )
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8")

    @app.get("/forms/{form}/template.xlsx")
    def workbook(form: str, unit: str, period: str) -> Response:
        """The form's Excel template for one unit and period, in Vietnamese."""
        with tempfile.TemporaryDirectory() as folder:
            path = write_template(
                Path(folder) / "template.xlsx",
                dataset=desk.dataset(),
                form=form,
                unit=unit,
                period=period,
            )
            data = path.read_bytes()
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(data, media_type=kind)

    @app.post("/submissions")
    def submit(submission: Submission, dry_run: bool = False) -> SubmissionResult:
        return desk.submit(submission, dry_run=dry_run)

    @app.post("/submissions/table")
    def submit_table(
        data: Annotated[bytes, Body(media_type="application/octet-stream")],
        form: str | None = None,
        subject: str | None = None,
        period: str | None = None,
        dry_run: bool = False,
    ) -> SubmissionResult:
        """A CSV file or an Excel workbook as the request body (a template filled in)."""
        submission = read_submission(
            data, dataset=desk.dataset(), form=form, subject=subject, period=period
        )
        return desk.submit(submission, dry_run=dry_run)

    @app.get("/completeness")
    def report_completeness(
        form: str, period: str, parent: str | None = None, level: str | None = None
    ) -> CompletenessReport:
        return store.completeness(form=form, period=period, parent=parent, level=level)

    @app.get("/rollups")
    def rollup(
        metric: Annotated[list[str], Query()],
        by: Annotated[list[str], Query()] = ["district"],  # noqa: B006 - FastAPI copies it
    ) -> AggregateTable:
        """By levels, periods... or by group:region, the bundled socio-economic regions."""
        return aggregate(desk.dataset(), metric, by=by)

    @app.post("/rollups")
    def rollup_by_own_groups(request: RollupRequest) -> AggregateTable:
        """As GET /rollups, with the caller's own unit group sets (an antq-groups document)."""
        sets = bundled_group_sets()
        if request.group_sets is not None:
            sets |= read_group_sets(json.dumps(request.group_sets), source="request.group_sets")
        return aggregate(desk.dataset(), request.metric, by=request.by, group_sets=sets)

    @app.get("/validation")
    def validation() -> ValidationReport:
        return validate(desk.dataset())

    @app.get("/export")
    def export() -> Response:
        """The dataset as its JSON document, without participants' personal fields."""
        return Response(desk.dataset().dumps(), media_type="application/json")

    app.state.store = store
    return app


def main(argv: list[str] | None = None, run: Callable[..., None] = uvicorn.run) -> None:
    parser = argparse.ArgumentParser(description="antq_core reporting desk")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"store URL ({DEFAULT_URL})")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    run(create_app(args.url), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
