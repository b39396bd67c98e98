"""How the library's attrs value types plug into pydantic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic_core import core_schema

__all__ = ["value_schema"]


def value_schema(
    validate: Callable[[Any], Any], dump: Callable[[Any], Any]
) -> core_schema.CoreSchema:
    """The core schema of a value type: one function reads it, one writes it.

    ``validate`` takes what JSON or Python gives (and instances of the type
    itself) and raises a ``ValueError`` subclass on bad input, which pydantic
    reports with the field's location; ``dump`` gives the JSON form, used in
    both ``model_dump`` modes so the type is written one way everywhere.
    """
    return core_schema.no_info_plain_validator_function(
        validate,
        serialization=core_schema.plain_serializer_function_ser_schema(dump, when_used="always"),
    )
