"""Adapters between a :class:`~antq_core.Dataset` and other formats and tools.

Each format is its own module, imported only when used:

- :mod:`antq_core.io.tabular`: CSV folders and Excel workbooks, and templates.
- :mod:`antq_core.io.dhis2`: DHIS2 ``dataValueSets``.
- :mod:`antq_core.io.frames`: Arrow, polars, pandas and Parquet.
- :mod:`antq_core.io.jsonschema`: JSON Schema of the dataset document and its entities.
- :mod:`antq_core.io.web`: web services: response types, 422 errors without personal data.

Nothing below this package imports it.
"""

__all__: list[str] = []
