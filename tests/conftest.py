"""Shared test setup: run against the installed wheel, and Hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path

import hypothesis

import antq_core

_SRC = (Path(__file__).resolve().parent.parent / "src").resolve()
_IMPORTED = Path(antq_core.__file__).resolve()

if _IMPORTED.is_relative_to(_SRC):
    raise RuntimeError(
        f"antq_core was imported from the source tree ({_IMPORTED}), not from the installed "
        "wheel. Tests must exercise what users install: run them with `make pytest` (which "
        "builds and installs the wheel into .venv) and do not put src/ on sys.path "
        "(no PYTHONPATH=src, no editable install, no pytest `pythonpath`)."
    )

# Deterministic for CI, so a landing never depends on luck.
hypothesis.settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=100,
    deadline=None,
    print_blob=True,
    database=None,
)
hypothesis.settings.register_profile("dev", max_examples=100)
# Long random search, for `make fuzz`.
hypothesis.settings.register_profile("fuzz", max_examples=20_000, deadline=None)

hypothesis.settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)
