"""Docstrings and field descriptions as plain text, for JSON Schema and OpenAPI.

A schema's ``description`` is shown as help text by forms and API explorers,
which render neither reStructuredText nor doctests: only the first paragraph is
kept, on one line, with Sphinx roles and literals turned into their text.
"""

from __future__ import annotations

import re
from typing import Final

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

__all__ = ["PlainSchema", "plain_text", "tidied", "tidy_descriptions"]

_ROLE: Final = re.compile(r":[a-z:]+:`~?([^`<]*?)(?:\s*<[^>]*>)?`")
_LITERAL: Final = re.compile(r"``([^`]*)``")


def plain_text(text: str) -> str:
    """The first paragraph of ``text``, without Sphinx roles or doctests, on one line.

    >>> plain_text("A :class:`~antq_core.Period` like ``2017``. More.")
    'A Period like 2017. More.'
    """
    paragraph = text.strip().split("\n\n", 1)[0]
    lines = [line for line in paragraph.splitlines() if not line.lstrip().startswith(">>>")]
    flat = " ".join(line.strip() for line in lines)

    def role(match: re.Match[str]) -> str:
        target = match.group(1)
        # `~antq_core.Dataset.load` shows as its last part, as Sphinx renders it.
        return target.rsplit(".", 1)[-1] if "<" not in match.group(0) else target.strip()

    return _LITERAL.sub(r"\1", _ROLE.sub(role, flat))


def tidy_descriptions(node: object) -> object:
    """``node`` (a JSON Schema) with every ``description`` made :func:`plain_text`."""
    if isinstance(node, dict):
        return {
            key: plain_text(value)
            if key == "description" and isinstance(value, str)
            else tidy_descriptions(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [tidy_descriptions(item) for item in node]
    return node


class PlainSchema:
    """Mixin for models and enums: their JSON Schema's descriptions are :func:`plain_text`.

    pydantic takes a class's docstring as its schema's description, doctests
    and Sphinx roles included; API explorers (FastAPI's OpenAPI) show them raw.
    """

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The schema pydantic makes, its descriptions made plain text."""
        return tidied(handler(schema), handler)


def tidied(out: JsonSchemaValue, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
    """``out`` with the schema it names (its ``$ref`` target) made plain text in place."""
    target = handler.resolve_ref_schema(out)
    tidy = tidy_descriptions(dict(target))
    target.clear()
    target.update(tidy)  # type: ignore[call-overload]
    return out
