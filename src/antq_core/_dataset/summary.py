"""What applying a submission did: one import summary for every source."""

from __future__ import annotations

from typing import Any, Final, Literal

import attrs

from antq_core.errors import LOCATION_JSON_SCHEMA, Location, web_result

__all__ = ["IMPORT_SUMMARY_JSON_SCHEMA", "ImportConflict", "ImportStrategy", "ImportSummary"]

ImportStrategy = Literal["create_and_update", "create", "update", "delete"]
"""How a submission's figures meet the stored ones, as DHIS2's import strategies.

``create_and_update`` adds new figures and replaces stored ones; ``create``
only adds (a figure already stored is a conflict); ``update`` only replaces
(a figure not stored is a conflict); ``delete`` removes the figures named.
"""


def _tuple_of_locations(value: Any) -> tuple[Location, ...]:
    return tuple(value)


def _tuple_of_conflicts(value: Any) -> tuple[ImportConflict, ...]:
    return tuple(value)


def _tuple_of_ints(value: Any) -> tuple[int, ...]:
    return tuple(value)


@attrs.frozen
class ImportConflict:
    """One reason a submission's figures were not taken, located in the submission.

    Attributes:
        code: What went wrong (``"closed_period"``, ``"unknown_metric"``,
            ``"exists"``...); the reporting-cycle page lists them.
        what: What is at fault, as the submission gives it (a metric id, a period...):
            DHIS2's ``object``.
        message_vi: The message, in Vietnamese.
        message_en: The message, in English.
        indexes: The items (by position in the submission, from 0) it concerns;
            empty when it concerns the submission as a whole.
        locations: Where each of those items was read: the file, sheet, row
            and cell of a spreadsheet, or the JSON path of an item.
        property: The item's field at fault (``"value"``), if one.
        dhis2_code: DHIS2's error code (``"E7610"``) when the conflict is one DHIS2 has.
    """

    code: str
    what: str
    message_vi: str
    message_en: str
    indexes: tuple[int, ...] = attrs.field(default=(), converter=_tuple_of_ints)
    locations: tuple[Location, ...] = attrs.field(default=(), converter=_tuple_of_locations)
    property: str | None = None
    dhis2_code: str | None = None

    def message(self, lang: Literal["vi", "en"] = "vi") -> str:
        """The message in ``lang``."""
        return self.message_vi if lang == "vi" else self.message_en

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: code, messages, indexes, locations (and property, DHIS2 code)."""
        written: dict[str, Any] = {
            "code": self.code,
            "what": self.what,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
            "indexes": list(self.indexes),
            "locations": [loc.to_dict() for loc in self.locations],
        }
        if self.property is not None:
            written["property"] = self.property
        if self.dhis2_code is not None:
            written["dhis2_code"] = self.dhis2_code
        return written

    def to_dhis2(self) -> dict[str, Any]:
        """The conflict as DHIS2 2.42's ``ImportConflict`` is written in JSON."""
        written: dict[str, Any] = {}
        if self.dhis2_code is not None:
            written["errorCode"] = self.dhis2_code
        written["object"] = self.what
        written["value"] = self.message_en
        if self.property is not None:
            written["property"] = self.property
        if self.indexes:
            written["indexes"] = list(self.indexes)
        return written


@web_result(lambda: IMPORT_SUMMARY_JSON_SCHEMA)
@attrs.frozen
class ImportSummary:
    """Tóm tắt nhập: what applying a submission did, or would do in a dry run.

    Every item of the submission is counted once: imported (new), updated
    (replacing a stored figure), deleted, or ignored, and each ignored item
    that was not simply identical to what is stored is in a conflict that
    says where in the submission it is.

    Attributes:
        imported: Items added as new figures.
        updated: Items that replaced a stored figure.
        ignored: Items not taken: each with a conflict, or identical to the
            stored figure (which DHIS2 too ignores without a conflict).
        deleted: Stored figures removed.
        conflicts: Every problem, located in the submission.
        strategy: The strategy applied.
        dry_run: Nothing was stored: the counts say what applying would do.
        aborted: The submission as a whole was refused (its form or subject
            unknown, its period closed): no item was taken.
        rejected_indexes: The items refused, in order (DHIS2's ``rejectedIndexes``).
    """

    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    conflicts: tuple[ImportConflict, ...] = attrs.field(default=(), converter=_tuple_of_conflicts)
    strategy: ImportStrategy = "create_and_update"
    dry_run: bool = False
    aborted: bool = False
    rejected_indexes: tuple[int, ...] = attrs.field(default=(), converter=_tuple_of_ints)

    @property
    def status(self) -> Literal["SUCCESS", "WARNING", "ERROR"]:
        """DHIS2's status, ``ERROR`` if aborted, ``WARNING`` with conflicts, else ``SUCCESS``."""
        if self.aborted:
            return "ERROR"
        return "WARNING" if self.conflicts else "SUCCESS"

    @property
    def total(self) -> int:
        """The items counted, imported + updated + ignored + deleted."""
        return self.imported + self.updated + self.ignored + self.deleted

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data.

        :data:`antq_core.io.web.IMPORT_SUMMARY_JSON_SCHEMA` describes it.

        Its counts, ``status`` (DHIS2's ``SUCCESS``, ``WARNING`` or ``ERROR``),
        strategy, whether it was a dry run or aborted, the refused items, and each
        conflict with where in the submission it is.
        """
        return {
            "status": self.status,
            "imported": self.imported,
            "updated": self.updated,
            "ignored": self.ignored,
            "deleted": self.deleted,
            "strategy": self.strategy,
            "dry_run": self.dry_run,
            "aborted": self.aborted,
            "rejected_indexes": list(self.rejected_indexes),
            "conflicts": [c.to_dict() for c in self.conflicts],
        }

    def to_dhis2(self) -> dict[str, Any]:
        """The summary in the shape DHIS2 2.42's ``ImportSummary`` has in JSON.

        ``responseType``, ``status``, ``importOptions`` (the strategy and dry
        run), ``description``, ``importCount``, ``conflicts``,
        ``rejectedIndexes`` and ``dataSetComplete`` (``"false"``: applying
        does not register a data set as complete in DHIS2's sense).
        """
        description = (
            "Import process was aborted"
            if self.aborted
            else "Import process completed successfully"
        )
        return {
            "responseType": "ImportSummary",
            "status": self.status,
            "importOptions": {
                "importStrategy": self.strategy.upper(),
                "dryRun": self.dry_run,
            },
            "description": description,
            "importCount": {
                "imported": self.imported,
                "updated": self.updated,
                "ignored": self.ignored,
                "deleted": self.deleted,
            },
            "conflicts": [c.to_dhis2() for c in self.conflicts],
            "rejectedIndexes": list(self.rejected_indexes),
            "dataSetComplete": "false",
        }

    def describe(self, lang: Literal["vi", "en"] = "vi") -> str:
        """The counts and every conflict with its place, one line each, in ``lang``."""
        if lang == "vi":
            head = (
                f"Thêm mới {self.imported}, cập nhật {self.updated}, bỏ qua {self.ignored}, "
                f"xóa {self.deleted}"
            )
        else:
            head = (
                f"Imported {self.imported}, updated {self.updated}, ignored {self.ignored}, "
                f"deleted {self.deleted}"
            )
        lines = [head + (" (dry run)" if self.dry_run and lang == "en" else "")]
        if self.dry_run and lang == "vi":
            lines[0] += " (chạy thử)"
        for c in self.conflicts:
            where = "; ".join(str(loc) for loc in c.locations)
            lines.append(f"- [{c.code}] {c.message(lang)}" + (f" — {where}" if where else ""))
        return "\n".join(lines)


_COUNT: Final = {"type": "integer", "minimum": 0}

IMPORT_SUMMARY_JSON_SCHEMA: Final[dict[str, Any]] = {
    "title": "ImportSummary",
    "description": (
        "What applying a submission did, or would do in a dry run: every item counted once "
        "(imported, updated, deleted or ignored), and each conflict located in the submission."
    ),
    "type": "object",
    "properties": {
        "status": {"enum": ["SUCCESS", "WARNING", "ERROR"], "description": "As DHIS2 says it."},
        "imported": _COUNT,
        "updated": _COUNT,
        "ignored": _COUNT,
        "deleted": _COUNT,
        "strategy": {"enum": ["create_and_update", "create", "update", "delete"]},
        "dry_run": {"type": "boolean"},
        "aborted": {"type": "boolean", "description": "The submission as a whole was refused."},
        "rejected_indexes": {"type": "array", "items": _COUNT},
        "conflicts": {
            "type": "array",
            "items": {
                "title": "ImportConflict",
                "description": "One reason a submission's figures were not taken, and where.",
                "type": "object",
                "properties": {
                    "code": {"type": "string", "description": "What went wrong."},
                    "what": {"type": "string", "description": "What is at fault."},
                    "message_vi": {"type": "string"},
                    "message_en": {"type": "string"},
                    "indexes": {"type": "array", "items": _COUNT},
                    "locations": {"type": "array", "items": LOCATION_JSON_SCHEMA},
                    "property": {"type": "string", "description": "The item's field at fault."},
                    "dhis2_code": {"type": "string", "description": "DHIS2's error code."},
                },
                "required": [
                    "code",
                    "what",
                    "message_vi",
                    "message_en",
                    "indexes",
                    "locations",
                ],
                "additionalProperties": False,
            },
        },
    },
    "required": [
        "status",
        "imported",
        "updated",
        "ignored",
        "deleted",
        "strategy",
        "dry_run",
        "aborted",
        "rejected_indexes",
        "conflicts",
    ],
    "additionalProperties": False,
}
