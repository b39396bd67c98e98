"""The wire format of every entity, as JSON Schema, kept as snapshots.

A change to an entity's fields, types or descriptions changes its schema and
fails here until the snapshot is regenerated on purpose:

    ANTQ_UPDATE_SNAPSHOTS=1 make pytest

so every change to the format that front ends build forms from shows in review.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic import BaseModel

import antq_core

SNAPSHOTS = Path(__file__).parent / "snapshots"
ENTITIES = sorted(
    name
    for name in antq_core.__all__
    if isinstance(getattr(antq_core, name), type)
    and issubclass(getattr(antq_core, name), BaseModel)
)


def test_every_entity_has_a_snapshot() -> None:
    assert ENTITIES, "no pydantic models exported"
    on_disk = {p.name.removesuffix(".schema.json") for p in SNAPSHOTS.glob("*.schema.json")}
    assert on_disk == set(ENTITIES)


@pytest.mark.parametrize("name", ENTITIES)
def test_schema_matches_snapshot(name: str) -> None:
    model: type[BaseModel] = getattr(antq_core, name)
    schema = json.dumps(model.model_json_schema(), ensure_ascii=False, indent=1, sort_keys=True)
    path = SNAPSHOTS / f"{name}.schema.json"
    if os.environ.get("ANTQ_UPDATE_SNAPSHOTS") == "1":
        path.write_text(schema + "\n", encoding="utf-8")
    assert path.read_text(encoding="utf-8") == schema + "\n", (
        f"the JSON Schema of {name} changed; if on purpose, regenerate with "
        "ANTQ_UPDATE_SNAPSHOTS=1 make pytest"
    )


def test_sensitive_fields_are_marked_in_the_schema() -> None:
    properties = antq_core.Participant.model_json_schema()["properties"]
    marked = {name for name, field in properties.items() if field.get("x-sensitive")}
    assert marked == {"full_name", "identity_number", "birth_date"}
