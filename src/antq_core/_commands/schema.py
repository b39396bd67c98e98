"""``antq schema``: print or write the JSON Schema of the wire format."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from antq_core._commands._common import EXIT_OK, fail
from antq_core._util.atomic import atomic_files
from antq_core.errors import AntqError
from antq_core.io.jsonschema import SCHEMA_ENTITIES, dataset_json_schema, entity_json_schema

DOCUMENT_NAME = "Dataset"
"""File stem of the dataset document's schema in ``--out``: ``Dataset.schema.json``."""


def register(commands: Any) -> None:
    """Add ``antq schema`` to ``commands`` (argparse subparsers)."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "schema",
        help="print the JSON Schema of the dataset document or of one entity",
        description="Print the JSON Schema (draft 2020-12) of the antq-dataset document, "
        "or of ENTITY. With --out DIR, write one file per entity and one for the document "
        f"({DOCUMENT_NAME}.schema.json) into DIR instead (only ENTITY's if given).",
    )
    parser.add_argument(
        "entity",
        nargs="?",
        metavar="ENTITY",
        help=f"one of {', '.join(SCHEMA_ENTITIES)} (default: the whole document)",
    )
    parser.add_argument(
        "--out", metavar="DIR", help="write NAME.schema.json files into DIR (created if missing)"
    )
    parser.set_defaults(run=run)


def _text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def run(args: argparse.Namespace) -> int:
    """Print or write the schemas; exit code 0, or 2 for an unknown entity or unwritable DIR."""
    try:
        if args.entity is not None:
            schema = entity_json_schema(args.entity)
            schemas = {schema["title"]: schema}
        else:
            schemas = {DOCUMENT_NAME: dataset_json_schema()}
            if args.out is not None:
                schemas |= {name: entity_json_schema(name) for name in SCHEMA_ENTITIES}
    except AntqError as e:
        return fail(str(e))
    if args.out is None:
        (schema,) = schemas.values()
        sys.stdout.write(_text(schema))
        return EXIT_OK
    out = Path(args.out)
    try:
        atomic_files(out, {f"{name}.schema.json": _text(s) for name, s in schemas.items()})
    except AntqError as e:  # ExportError: no schema file was changed
        return fail(f"cannot write the schemas into {out}: {e}")
    print(f"wrote {len(schemas)} schema file{'s' * (len(schemas) != 1)} into {out}")
    return EXIT_OK
