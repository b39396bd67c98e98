"""Optional dependencies: one way to import them, and when ``engine="auto"`` uses polars.

Every extra is imported through :func:`require`, only inside the adapter or
engine that needs it, so ``import antq_core`` never pays for it and a missing
one fails with :class:`~antq_core.errors.MissingExtraError` naming the extra to
install.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any, Final

from antq_core.errors import MissingExtraError

__all__ = [
    "AUTO_THRESHOLD",
    "arrow_over",
    "numpy_available",
    "polars_and_arrow",
    "polars_available",
    "prefer_polars",
    "require",
]

AUTO_THRESHOLD: Final = 200_000
"""Rows from which ``engine="auto"`` picks polars (when it is installed).

Measured with ``benchmarks/aggregate.py``'s data (2 shared CPUs), scan step
only: at 10,000 rows both engines take a few tens of milliseconds; from about
50,000 rows (sums) and 100,000 (stocks) polars is faster, by 3x for sums at
200,000 rows (0.65 s against 2.1 s) and 1.4x for stocks. Importing polars and
pyarrow costs 0.3 to 1.4 s once per process, which the faster scan repays at
about 100,000 to 200,000 rows for a single call: from 200,000 polars wins
even for a one-off call, and small datasets never pay the import. Validation
uses the same threshold.
"""


def require(module: str, extra: str) -> Any:
    """Import ``module`` of the optional ``extra`` and return it.

    Raises:
        MissingExtraError: ``module`` (or one it needs) is not installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingExtraError(e.name or module, extra) from e


def polars_available() -> bool:
    """Whether polars and pyarrow can be imported (without importing them)."""
    return all(importlib.util.find_spec(name) is not None for name in ("polars", "pyarrow"))


def numpy_available() -> bool:
    """Whether numpy (of the ``dataframe`` extra) can be imported (without importing it)."""
    return importlib.util.find_spec("numpy") is not None


def prefer_polars(rows: int) -> bool:
    """Whether ``"auto"`` picks polars for ``rows`` observations: enough, and installed."""
    return rows >= AUTO_THRESHOLD and polars_available()


def polars_and_arrow() -> tuple[Any, Any]:
    """Import polars and pyarrow (the ``dataframe`` extra) and return them.

    Raises:
        MissingExtraError: One of them is not installed.
    """
    return require("polars", "dataframe"), require("pyarrow", "dataframe")


def arrow_over(pa: Any, kind: Any, view: Any, n: int | None = None) -> Any:
    """An Arrow array of ``n`` values of ``kind`` over ``view``'s buffer, without a copy.

    ``view`` is a store column (an ``array.array``), a ``memoryview`` or any
    object with the buffer protocol, laid out as ``kind`` (``pa.uint32()``,
    ``pa.int64()``...); ``n`` defaults to its length. The array shares the
    buffer, so it must not outlive it.
    """
    return pa.Array.from_buffers(kind, len(view) if n is None else n, [None, pa.py_buffer(view)])
