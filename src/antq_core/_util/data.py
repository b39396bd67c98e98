"""The files bundled in the package's ``data/`` folder: the catalog, gazetteers, crosswalks, rules.

Read through :mod:`importlib.resources`, so they come from the installed
package (a wheel or a zip) and never from the working directory.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Final

from antq_core.errors import InvalidValueError

__all__ = [
    "DATA",
    "bundled_bytes",
    "bundled_names",
    "bundled_version",
    "checked_digest",
    "data_bytes",
    "data_source",
    "digest",
]

DATA: Final[Traversable] = files("antq_core") / "data"
"""The package's ``data/`` folder."""


def data_source(name: str) -> str:
    """How a problem names the bundled file ``name``: ``antq_core/data/{name}``."""
    return f"antq_core/data/{name}"


def data_bytes(name: str) -> bytes:
    """The bytes of the bundled file ``data/{name}`` (``"catalog.json"``)."""
    return (DATA / name).read_bytes()


def bundled_names(kind: str) -> list[str]:
    """Names of the bundled data files of ``kind`` (``data/{kind}_{name}.json``), sorted."""
    prefix = f"{kind}_"
    return sorted(
        p.name.removeprefix(prefix).removesuffix(".json")
        for p in DATA.iterdir()
        if p.name.startswith(prefix) and p.name.endswith(".json")
    )


def bundled_bytes(kind: str, name: str) -> bytes:
    """The bytes of the bundled file ``data/{kind}_{name}.json``.

    Raises:
        InvalidValueError: No bundled file of that kind has that name.
    """
    available = bundled_names(kind)
    if name not in available:
        raise InvalidValueError(f"{kind} name", name, f"choose one of {', '.join(available)}")
    return data_bytes(f"{kind}_{name}.json")


def bundled_version(kind: str, name: str) -> str:
    """The ``version`` (gazetteer) or ``to_version`` (crosswalk) a bundled file declares.

    Read from the file's first lines, without parsing the whole file (a
    national gazetteer is over a megabyte).

    Raises:
        InvalidValueError: No bundled file of that kind has that name, or its
            first lines declare no version.
    """
    head = bundled_bytes(kind, name)[:4096].decode("utf-8", "replace")
    key = "to_version" if kind == "crosswalk" else "version"
    found = re.search(rf'"{key}"\s*:\s*"([^"]+)"', head)
    if found is None:  # pragma: no cover - the bundled data is checked by the tests
        raise InvalidValueError(f"{kind} file", name, f"no {key} in its first lines")
    return found.group(1)


DIGESTS: Final = "digests.json"
"""The bundled file that records the SHA-256 of the data files the test suite checked."""


def digest(data: bytes) -> str:
    """The SHA-256 of ``data``, in hexadecimal, as :data:`DIGESTS` records it."""
    return hashlib.sha256(data).hexdigest()


@functools.cache
def _digests() -> dict[str, str]:
    recorded = json.loads(data_bytes(DIGESTS))["sha256"]
    return {str(k): str(v) for k, v in recorded.items()}


def checked_digest(name: str, data: bytes) -> bool:
    """Whether ``data`` are exactly the bytes of ``data/{name}`` that the test suite checked.

    The tests read each file listed in :data:`DIGESTS` through the library's
    full checks and assert that its recorded SHA-256 is the file's; a loader may
    then skip those checks for bytes with that digest. A file edited or
    corrupted after the package was built has another digest, and is read the
    checked way (which names every problem).
    """
    expected = _digests().get(name)
    return expected is not None and digest(data) == expected
