"""Unit.register: validated, thread-safe, and never silently redefining a unit.

Registering a unit changes the process-wide registry (and the JSON Schema's
list of unit codes, which other tests snapshot), so every case that registers
a new code runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from antq_core import AntqError, Unit
from antq_core.errors import InvalidValueError


def _in_fresh_process(code: str) -> Any:
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout)


CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "units" / "register-refused.json"


def _decoded(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"decimal"}:
        return Decimal(value["decimal"])
    return value


REFUSED = json.loads(CORPUS.read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        pytest.param(
            [_decoded(a) for a in case["args"]],
            {k: _decoded(v) for k, v in case["kwargs"].items()},
            id=case["name"],
        )
        for case in REFUSED
    ],
)
def test_bad_definitions_are_refused_before_anything_is_registered(
    args: list[Any], kwargs: dict[str, Any]
) -> None:
    before = dict(Unit.all())
    with pytest.raises(InvalidValueError) as info:
        Unit.register(*args, **kwargs)
    assert isinstance(info.value, AntqError)
    assert dict(Unit.all()) == before


def test_the_same_definition_again_is_the_same_unit() -> None:
    area = Unit.get("m2")
    again = Unit.register("m2", "area", name_vi="m²", name_en="m²", plural_en="m²", whole=False)
    assert again is area


@pytest.mark.parametrize(
    "change",
    [
        {"dimension": "length"},
        {"factor": 10},
        {"whole": True},
        {"name_vi": "mét vuông"},
        {"plural_en": "square metres"},
    ],
)
def test_another_definition_of_a_code_is_refused(change: dict[str, Any]) -> None:
    definition: dict[str, Any] = {
        "dimension": "area",
        "name_vi": "m²",
        "name_en": "m²",
        "plural_en": "m²",
        "whole": False,
        "factor": 1,
    } | change
    with pytest.raises(InvalidValueError) as info:
        Unit.register("m2", **definition)
    assert next(iter(change)) in str(info.value)
    assert Unit.get("m2").dimension == "area"  # the registered unit is unchanged
    assert Unit.get("m2").factor == 1


def test_a_new_unit_converts_exactly() -> None:
    result = _in_fresh_process(
        """
        import json
        from decimal import Decimal
        from antq_core import Quantity, Unit
        Unit.register("km2", "area", name_vi="km²", name_en="km²", plural_en="km²",
                      factor=1_000_000, whole=False)
        Unit.register("are", "area", name_vi="a", name_en="are", factor=Decimal("100"),
                      whole=False)
        q = Quantity(Decimal("0.058"), "km2").to("m2")
        print(json.dumps([str(q.value), q.unit.code, str(Quantity(3, "are").to("ha").value)]))
        """
    )
    assert result == ["58000", "m2", "0.03"]


def test_two_threads_registering_one_code_never_overwrite_each_other() -> None:
    result = _in_fresh_process(
        """
        import json, threading
        from antq_core import Unit
        from antq_core.errors import InvalidValueError
        outcomes = {}
        start = threading.Barrier(16)
        def register(n):
            start.wait()
            try:
                unit = Unit.register("contested", "stuff", name_vi="cái", name_en="thing",
                                     factor=1 + n % 2)
                outcomes[n] = ("ok", str(unit.factor))
            except InvalidValueError as e:
                outcomes[n] = ("refused", str(e))
        threads = [threading.Thread(target=register, args=(n,)) for n in range(16)]
        for t in threads: t.start()
        for t in threads: t.join()
        print(json.dumps({"outcomes": outcomes, "kept": str(Unit.get("contested").factor)}))
        """
    )
    kept = result["kept"]
    outcomes = result["outcomes"].values()
    # Every thread that succeeded got the unit that is registered; all others were refused.
    assert all(o == ["ok", kept] for o in outcomes if o[0] == "ok")
    winners = {n for n, o in result["outcomes"].items() if o[0] == "ok"}
    assert all((int(n) % 2 == int(kept) - 1) for n in winners)
    assert len(winners) == 8  # the 8 with the same definition as the winner
    assert all("factor" in o[1] for o in outcomes if o[0] == "refused")
