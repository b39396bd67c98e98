"""The wire format of every entity and of the dataset document, as JSON Schema.

A change to an entity's fields, types or descriptions changes its schema and
fails here until the snapshot is regenerated on purpose:

    ANTQ_UPDATE_SNAPSHOTS=1 make pytest

so every change to the format that front ends build forms from shows in review.
The schemas are checked by an independent validator (``jsonschema``): every
dump of the sample and of generated datasets must pass them.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator
from pydantic import BaseModel

import antq_core
import antq_core.errors
import antq_core.io.dhis2
from antq_core import Dataset
from antq_core._cli import main
from antq_core.errors import InvalidValueError
from antq_core.io.jsonschema import (
    JSON_SCHEMA_DIALECT,
    PERSONAL_DATA_REF,
    SCHEMA_ENTITIES,
    dataset_json_schema,
    entity_json_schema,
    personal_data_paths,
)
from antq_core.testing.strategies import datasets

SNAPSHOTS = Path(__file__).parent / "snapshots"
MODELS = sorted(
    name
    for name in antq_core.__all__
    if isinstance(getattr(antq_core, name), type)
    and issubclass(getattr(antq_core, name), BaseModel)
)
DOCUMENT = "Dataset"
# Where each entity kind sits in a dataset document.
LISTS = {
    "sources": "Source",
    "themes": "InitiativeTheme",
    "categories": "DisaggregationCategory",
    "metrics": "MetricDefinition",
    "initiatives": "Initiative",
    "sites": "Site",
    "organizations": "MassOrganization",
    "participants": "Participant",
    "observations": "Observation",
}


def _text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


DOCUMENT_VALIDATOR = _validator(dataset_json_schema())
ENTITY_VALIDATORS = {name: _validator(entity_json_schema(name)) for name in SCHEMA_ENTITIES}


def _errors(validator: Draft202012Validator, instance: object) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


def _check_document(document: dict[str, Any]) -> None:
    """The document and each entity in it pass their schemas."""
    assert _errors(DOCUMENT_VALIDATOR, document) == []
    for key, name in LISTS.items():
        for item in document.get(key, []):
            assert _errors(ENTITY_VALIDATORS[name], item) == [], (key, item)
    assert _errors(ENTITY_VALIDATORS["DatasetMetadata"], document["metadata"]) == []
    for unit in document["gazetteer"]["units"]:
        assert _errors(ENTITY_VALIDATORS["AdminUnit"], unit) == []
    for source in document["gazetteer"]["sources"]:
        assert _errors(ENTITY_VALIDATORS["GazetteerSource"], source) == []


# -- snapshots ------------------------------------------------------------------------


def test_every_entity_model_is_published() -> None:
    assert MODELS, "no pydantic models exported"
    assert set(MODELS) <= set(SCHEMA_ENTITIES)
    assert list(SCHEMA_ENTITIES) == sorted(SCHEMA_ENTITIES)


def test_every_schema_has_a_snapshot() -> None:
    on_disk = {p.name.removesuffix(".schema.json") for p in SNAPSHOTS.glob("*.schema.json")}
    assert on_disk == {*SCHEMA_ENTITIES, DOCUMENT}


@pytest.mark.parametrize("name", [*SCHEMA_ENTITIES, DOCUMENT])
def test_schema_matches_snapshot(name: str) -> None:
    schema = dataset_json_schema() if name == DOCUMENT else entity_json_schema(name)
    path = SNAPSHOTS / f"{name}.schema.json"
    if os.environ.get("ANTQ_UPDATE_SNAPSHOTS") == "1":
        path.write_text(_text(schema), encoding="utf-8")
    assert path.read_text(encoding="utf-8") == _text(schema), (
        f"the JSON Schema of {name} changed; if on purpose, regenerate with "
        "ANTQ_UPDATE_SNAPSHOTS=1 make pytest"
    )


# -- what the schemas say -------------------------------------------------------------


@pytest.mark.parametrize("name", [*SCHEMA_ENTITIES, DOCUMENT])
def test_schemas_are_valid_draft_2020_12(name: str) -> None:
    schema = dataset_json_schema() if name == DOCUMENT else entity_json_schema(name)
    assert schema["$schema"] == JSON_SCHEMA_DIALECT
    assert schema["title"] == name
    Draft202012Validator.check_schema(schema)


def _descriptions(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k == "description" and isinstance(v, str)]
        return found + [d for v in node.values() for d in _descriptions(v)]
    if isinstance(node, list):
        return [d for v in node for d in _descriptions(v)]
    return []


def test_descriptions_are_help_text_not_docstrings() -> None:
    texts = _descriptions(dataset_json_schema())
    assert len(texts) > 50
    for text in texts:
        assert ">>>" not in text
        assert "\n" not in text
        assert ":class:" not in text
        assert "``" not in text
    # The first paragraph stays, with its Vietnamese term.
    participant = entity_json_schema("Participant")
    assert participant["description"] == (
        "Người tham gia: a person the records name, with their roles."
    )


def test_gazetteer_is_typed_in_the_document() -> None:
    schema = dataset_json_schema()
    gazetteer = schema["properties"]["gazetteer"]
    gazetteer = (
        schema["$defs"][gazetteer["$ref"].split("/")[-1]] if "$ref" in gazetteer else gazetteer
    )
    assert gazetteer["properties"]["format"]["const"] == "antq-gazetteer"
    assert gazetteer["properties"]["format_version"]["const"] == 1
    assert set(gazetteer["required"]) == {"format", "format_version", "version", "units"}
    assert gazetteer["additionalProperties"] is False


def test_document_rejects_what_the_loader_rejects(sample_document: dict[str, Any]) -> None:
    cases: list[tuple[str, Any]] = [
        ("gazetteer.format", "antq-gazetteer-v2"),
        ("gazetteer.units.0.level", "hamlet"),
        ("gazetteer.units.0.code", ""),
        ("gazetteer.units.0.valid_to", "2025-02-30"),
        ("observations.0.value", 3.5),
        ("observations.0.value", "-4"),
        ("observations.0.period", "2017-Q3"),
        ("observations.0.subject", "person:x"),
        ("observations.0.unit", "furlong"),
        ("sites.0.admin_units", []),
        ("metadata.report_date", "13/07/2017"),
        ("format_version", 2),
    ]
    for where, bad in cases:
        document = copy.deepcopy(sample_document)
        *path, last = where.split(".")
        node: Any = document
        for part in path:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = bad
        assert _errors(DOCUMENT_VALIDATOR, document), where
        with pytest.raises(antq_core.errors.DatasetLoadError):
            Dataset.from_dict(document)
    document = copy.deepcopy(sample_document)
    document["observations"][0]["colour"] = "red"
    assert _errors(DOCUMENT_VALIDATOR, document)


def test_sensitive_fields_are_marked_in_the_schema() -> None:
    schema = entity_json_schema("Participant")
    properties = schema["properties"]
    marked = {name for name, field in properties.items() if field.get("$ref") == PERSONAL_DATA_REF}
    assert marked == {"full_name", "identity_number", "birth_date"}
    assert personal_data_paths(schema) == [
        f"/properties/{name}" for name in sorted(marked, key=list(properties).index)
    ]
    # The marker asserts nothing: the definition it points at has no validation keyword.
    assert set(schema["$defs"]["PersonalData"]) == {"title", "description"}
    for name in marked:
        assert "Personal data" in properties[name]["description"]


def test_only_participants_carry_personal_fields() -> None:
    for name in SCHEMA_ENTITIES:
        schema = entity_json_schema(name)
        assert bool(personal_data_paths(schema)) is (name == "Participant"), name
        assert ("PersonalData" in schema.get("$defs", {})) is (name == "Participant"), name
    paths = personal_data_paths(dataset_json_schema())
    assert paths == [
        f"/$defs/Participant/properties/{field}"
        for field in ("full_name", "identity_number", "birth_date")
    ]


def test_no_schema_uses_a_keyword_of_its_own() -> None:
    """No ``x-`` keyword anywhere (ajv's strict mode refuses them), checked without Node."""

    def keys(node: object) -> set[str]:
        if isinstance(node, dict):
            return set(map(str, node)).union(*(keys(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(keys(v) for v in node))
        return set()

    for schema in [dataset_json_schema(), *map(entity_json_schema, SCHEMA_ENTITIES)]:
        assert not {k for k in keys(schema) if k.startswith("x-")}


def test_the_dhis2_mapping_schema_accepts_mappings() -> None:
    mapping = {
        "data_set": "pBOMPrpg1QX",
        "data_elements": {"initiatives": "fbfJHSPpUQD"},
        "org_units": {"12": "ImspTQPwCqd"},
        "subjects": {"site:mh3-s1": "O6uvpzGd5pu"},
        "category_option_combos": [{"disaggregation": {}, "category_option_combo": "HllvX50cXC0"}],
    }
    validator = ENTITY_VALIDATORS["Dhis2Mapping"]
    assert _errors(validator, mapping) == []
    assert antq_core.io.dhis2.Dhis2Mapping.model_validate(mapping).org_units == {
        "12": "ImspTQPwCqd"
    }
    assert _errors(validator, mapping | {"data_set": "short"})
    assert _errors(validator, mapping | {"data_elements": {"initiatives": "1bfJHSPpUQD"}})


def test_entity_names_are_case_insensitive_and_checked() -> None:
    assert entity_json_schema("observation") == entity_json_schema("Observation")
    with pytest.raises(InvalidValueError, match="Observation"):
        entity_json_schema("Dataset")


# -- dumps pass the schemas -----------------------------------------------------------


def test_every_dump_of_the_sample_passes(lai_chau: Dataset) -> None:
    for include_sensitive in (False, True):
        _check_document(json.loads(lai_chau.dumps(include_sensitive=include_sensitive)))
        _check_document(lai_chau.to_dict(include_sensitive=include_sensitive))


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(max_observations=15))
def test_every_dump_of_a_generated_dataset_passes(dataset: Dataset) -> None:
    _check_document(json.loads(dataset.dumps(include_sensitive=True)))
    for observation in dataset.observations:
        assert _errors(ENTITY_VALIDATORS["Observation"], observation.model_dump(mode="json")) == []


# -- antq schema ----------------------------------------------------------------------


def test_cli_prints_the_document_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == dataset_json_schema()


def test_cli_prints_one_entity(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "site"]) == 0
    assert json.loads(capsys.readouterr().out) == entity_json_schema("Site")


def test_cli_writes_every_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "schemas"
    assert main(["schema", "--out", str(out)]) == 0
    assert f"wrote {len(SCHEMA_ENTITIES) + 1} schema files" in capsys.readouterr().out
    written = {p.name.removesuffix(".schema.json") for p in out.iterdir()}
    assert written == {*SCHEMA_ENTITIES, DOCUMENT}
    for name in SCHEMA_ENTITIES:
        text = (out / f"{name}.schema.json").read_text(encoding="utf-8")
        assert json.loads(text) == entity_json_schema(name)
    assert main(["schema", "Observation", "--out", str(tmp_path / "one")]) == 0
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["Observation.schema.json"]


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "Person"]) == 2
    assert "invalid entity name 'Person'" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    assert main(["schema", "--out", str(blocker)]) == 2
    assert "cannot write the schemas" in capsys.readouterr().err
