"""Record (or check) the SHA-256 of the bundled data files read without per-record checks.

``antq_core/data/digests.json`` lists, for each bundled gazetteer, the SHA-256 of its bytes.
``bundled_gazetteer`` builds its units straight from the JSON, skipping the per-field
checks, only when the file's bytes have that digest; tests/values/test_bundled_digests.py
reads every listed file through the full checks and asserts that the recorded digests are
the files'. Run this after regenerating a data file (tools/geography/build.py)::

    python tools/data_digests.py           # write data/digests.json
    python tools/data_digests.py --check   # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "src" / "antq_core" / "data"
PATTERNS = ("gazetteer_*.json",)
ABOUT = (
    "SHA-256 of the bundled files that the test suite reads through the full checks "
    "(tests/values/test_bundled_digests.py). bundled_gazetteer skips the per-unit checks "
    "only for bytes with these digests. Written by tools/data_digests.py."
)


def document(data: Path = DATA) -> str:
    """The text of ``digests.json`` for the files now in ``data``."""
    names = sorted({p.name for pattern in PATTERNS for p in data.glob(pattern)})
    digests = {name: hashlib.sha256((data / name).read_bytes()).hexdigest() for name in names}
    return json.dumps({"about": ABOUT, "sha256": digests}, indent=1) + "\n"


def main() -> int:
    """Write data/digests.json, or with --check say whether it is stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    args = parser.parse_args()
    path = DATA / "digests.json"
    text = document()
    if args.check:
        if not path.exists() or path.read_text("utf-8") != text:
            print(f"{path} is stale: run python tools/data_digests.py", file=sys.stderr)
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
