"""Web services on the library: response types with schemas, 422 errors without personal data.

Results of the library (:class:`~antq_core.AggregateTable`,
:class:`~antq_core.ValidationReport`, :class:`~antq_core.Issue`,
:class:`~antq_core.errors.Problem`, :class:`~antq_core.errors.Location`...)
can be returned from a FastAPI endpoint as they are: each writes itself as its
``to_dict`` and publishes a JSON Schema. So do the import summary of a
submission (:class:`~antq_core.ImportSummary`) and a completeness report
(:class:`~antq_core.CompletenessReport`); :data:`ImportSummaryResponse` and
:data:`CompletenessResponse`, the annotations of earlier versions, still work
and give the same JSON and schema.

FastAPI answers a request that does not validate with a 422 whose body echoes
the request's values (``input``), names and identity numbers included.
:func:`validation_error_body` builds a body without them, and
:func:`install_error_handlers` makes a FastAPI app use it:

>>> from pydantic import ValidationError
>>> from antq_core import Participant
>>> try:
...     Participant(id="p1", roles=["member"], identity_number="12-34")
... except ValidationError as e:
...     body = validation_error_body(e)
>>> body["detail"][0]["loc"], "input" in body["detail"][0]
(['identity_number'], False)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from antq_core._cycle.completeness import COMPLETENESS_JSON_SCHEMA as _COMPLETENESS_SCHEMA
from antq_core._cycle.completeness import CompletenessReport
from antq_core._dataset.summary import IMPORT_SUMMARY_JSON_SCHEMA as _SUMMARY_SCHEMA
from antq_core._dataset.summary import ImportSummary
from antq_core._util.extras import require
from antq_core._values.schema import shows_input
from antq_core.errors import LoadError

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

__all__ = [
    "COMPLETENESS_JSON_SCHEMA",
    "IMPORT_SUMMARY_JSON_SCHEMA",
    "CompletenessResponse",
    "ImportSummaryResponse",
    "completeness_to_dict",
    "import_summary_to_dict",
    "install_error_handlers",
    "load_error_body",
    "safe_error_details",
    "validation_error_body",
]

# -- the import summary -------------------------------------------------------------


IMPORT_SUMMARY_JSON_SCHEMA: Final[Mapping[str, Any]] = _SUMMARY_SCHEMA
"""The JSON Schema of :meth:`antq_core.ImportSummary.to_dict`."""


def import_summary_to_dict(summary: ImportSummary) -> dict[str, Any]:
    """An import summary as JSON-ready data, as its ``to_dict`` writes it.

    See :meth:`antq_core.ImportSummary.to_dict`; :data:`IMPORT_SUMMARY_JSON_SCHEMA`
    describes it.
    """
    return summary.to_dict()


ImportSummaryResponse = ImportSummary
"""Another name of :class:`~antq_core.ImportSummary`, which is a pydantic type itself.

``def upload(...) -> ImportSummaryResponse`` returns the summary written by
:func:`import_summary_to_dict`, with :data:`IMPORT_SUMMARY_JSON_SCHEMA` in the
OpenAPI document.
"""

# -- completeness ------------------------------------------------------------------------


COMPLETENESS_JSON_SCHEMA: Final[Mapping[str, Any]] = _COMPLETENESS_SCHEMA
"""The JSON Schema of :meth:`antq_core.CompletenessReport.to_dict`."""


def completeness_to_dict(report: CompletenessReport) -> dict[str, Any]:
    """A completeness report as JSON-ready data, as its ``to_dict`` writes it.

    See :meth:`antq_core.CompletenessReport.to_dict`; :data:`COMPLETENESS_JSON_SCHEMA`
    describes it.
    """
    return report.to_dict()


CompletenessResponse = CompletenessReport
"""Another name of :class:`~antq_core.CompletenessReport`, which is a pydantic type itself."""

# -- 422 errors without personal data ---------------------------------------------------

_CTX_KEPT: Final = frozenset(
    {"pattern", "min_length", "max_length", "ge", "gt", "le", "lt", "expected", "max_digits"}
)


def safe_error_details(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's (or FastAPI's) error dicts, without personal data.

    Each keeps ``type``, ``loc`` and ``msg``. ``input`` is kept only where
    it is a plain value of a field that is not personal (never for a name,
    identity number or birth date, never a whole object such as a
    participant, never for a field the model does not have); ``ctx`` keeps
    only the constraint that failed (a pattern, a length); ``url`` goes.
    """
    out = []
    for error in errors:
        safe: dict[str, Any] = {
            "type": error.get("type"),
            "loc": list(error.get("loc", ())),
            "msg": error.get("msg"),
        }
        if "input" in error and shows_input(error):
            safe["input"] = error["input"]
        ctx = {
            k: v
            for k, v in (error.get("ctx") or {}).items()
            if k in _CTX_KEPT and isinstance(v, str | int | float | bool)
        }
        if ctx:
            safe["ctx"] = ctx
        out.append(safe)
    return out


def validation_error_body(error: ValidationError | Any) -> dict[str, Any]:
    """The body of a 422 answer to ``error``: ``{"detail": [...]}`` as FastAPI writes it.

    ``error`` is a pydantic :class:`~pydantic.ValidationError`, or anything
    with an ``errors()`` method that gives pydantic's error dicts (FastAPI's
    ``RequestValidationError``). See :func:`safe_error_details` for what is
    left out.
    """
    if isinstance(error, ValidationError):
        errors = error.errors(include_url=False)
    else:
        errors = error.errors()
    return {"detail": safe_error_details(errors)}


def load_error_body(error: LoadError) -> dict[str, Any]:
    """The body of a 422 answer to a file that did not load: every problem, located.

    ``{"detail": message, "source": ..., "problems": [...], "omitted": N}``;
    problems never hold personal data (see :class:`~antq_core.errors.Problem`).
    """
    return {
        "detail": str(error).splitlines()[0],
        "source": error.source,
        "problems": [p.to_dict() for p in error.problems],
        "omitted": error.omitted,
    }


def install_error_handlers(app: FastAPI) -> None:
    """Make a FastAPI app answer invalid requests without personal data.

    Request bodies, queries and paths that do not validate get a 422 from
    :func:`validation_error_body` instead of FastAPI's own, which echoes
    every input; a :class:`~antq_core.errors.LoadError` raised by an endpoint
    (a file upload that does not read) gets a 422 from :func:`load_error_body`.

    Raises:
        MissingExtraError: FastAPI is not installed (``pip install 'antq_core[web]'``).
    """
    exceptions = require("fastapi.exceptions", "web")
    responses = require("fastapi.responses", "web")
    encoders = require("fastapi.encoders", "web")

    def answer(body: dict[str, Any]) -> JSONResponse:
        response: JSONResponse = responses.JSONResponse(
            encoders.jsonable_encoder(body), status_code=422
        )
        return response

    async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
        return answer(validation_error_body(exc))

    async def load_failed(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LoadError)  # noqa: S101 - registered for LoadError only
        return answer(load_error_body(exc))

    app.add_exception_handler(exceptions.RequestValidationError, invalid_request)
    app.add_exception_handler(LoadError, load_failed)
