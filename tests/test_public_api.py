"""The public API: names, docstrings, errors, version, what the wheel ships."""

from __future__ import annotations

import ast
import datetime as dt
import doctest
import importlib
import importlib.metadata
import inspect
import pkgutil
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from importlib.resources import files
from pathlib import Path

import pytest
from hypothesis import strategies as st

import antq_core
from antq_core import (
    AdminUnit,
    AntqError,
    Dataset,
    Gazetteer,
    Period,
    Quantity,
    SubjectRef,
    Unit,
)

PUBLIC = sorted(antq_core.__all__)
SUBMODULES = ["antq_core.report", "antq_core.testing", "antq_core.testing.strategies"]


def _attribute_docstrings() -> dict[str, str]:
    """Module-level ``NAME = ...`` followed by a string, in every antq_core module."""
    found: dict[str, str] = {}
    for info in pkgutil.walk_packages(antq_core.__path__, "antq_core."):
        module = importlib.import_module(info.name)
        tree = ast.parse(inspect.getsource(module))
        for node, after in zip(tree.body, tree.body[1:], strict=False):
            target = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            if (
                isinstance(target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                found[target.id] = after.value.value
    return found


def test_all_names_exist_once_and_star_import_gives_them() -> None:
    assert len(set(antq_core.__all__)) == len(antq_core.__all__)
    namespace: dict[str, object] = {}
    exec("from antq_core import *", namespace)  # noqa: S102
    assert set(namespace) - {"__builtins__"} == set(antq_core.__all__)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_has_its_own_docstring(name: str) -> None:
    obj = getattr(antq_core, name)
    if name == "__version__":
        return
    function = inspect.isfunction(inspect.unwrap(obj)) if callable(obj) else False
    if inspect.isclass(obj) or function:  # a class, a function, a cached function
        doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
        assert (doc or "").strip(), f"{name} has no docstring of its own"
        return
    # Constants and type aliases: an attribute docstring where they are defined.
    assert _attribute_docstrings().get(name, "").strip(), f"{name} has no attribute docstring"


@pytest.mark.parametrize("module_name", SUBMODULES)
def test_public_submodules_list_their_names(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__doc__
    for name in module.__all__:
        obj = getattr(module, name)
        assert obj.__doc__, f"{module_name}.{name} has no docstring"


def test_what_the_submodules_export() -> None:
    import antq_core.report
    import antq_core.testing

    assert antq_core.report.__all__ == ["render_report"]
    assert antq_core.testing.__all__ == []


def test_every_strategy_is_a_function_returning_a_strategy() -> None:
    from antq_core.testing import strategies

    assert strategies.__all__ == sorted(strategies.__all__)
    for name in strategies.__all__:
        built = getattr(strategies, name)()
        assert isinstance(built, st.SearchStrategy), name
        parameters = inspect.signature(getattr(strategies, name)).parameters.values()
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters), name


def test_public_exceptions_are_antq_errors() -> None:
    exceptions = [
        getattr(antq_core, n)
        for n in PUBLIC
        if inspect.isclass(getattr(antq_core, n))
        and issubclass(getattr(antq_core, n), BaseException)
    ]
    assert len(exceptions) > 10
    for exception in exceptions:
        assert issubclass(exception, AntqError), exception


def _sample() -> Dataset:
    return antq_core.sample()


def _cycle() -> Gazetteer:
    return Gazetteer("c", [AdminUnit(code="a", name="A", level="commune", parent="a")])


# Everything the library rejects on purpose, through the public API.
ON_PURPOSE: list[Callable[[], object]] = [
    lambda: Period.parse("2017Q5"),
    lambda: Period.containing(dt.date(2017, 1, 1), "range"),
    lambda: Period.containing(dt.date(2017, 1, 1), "fortnight"),
    lambda: Period.month(2017, 13),
    lambda: Quantity(1.5, "m2"),  # type: ignore[arg-type]
    lambda: Quantity(-1, "person"),
    lambda: Quantity(1, "furlong"),
    lambda: Quantity(1, "m2", "roughly"),  # type: ignore[arg-type]
    lambda: Quantity(1, "person") + Quantity(1, "household_attendance"),
    lambda: Quantity(1, "person").to("m2"),
    lambda: Quantity.sum([]),
    lambda: Unit.get("furlong"),
    lambda: Unit.register("m2", "area", name_vi="m²", name_en="m²"),
    lambda: SubjectRef.parse("site"),
    lambda: SubjectRef.parse("village:1"),
    lambda: SubjectRef("site", "not an id"),  # type: ignore[arg-type]
    lambda: antq_core.Disaggregation({"capital source": "family"}),
    lambda: antq_core.parse_quantity("nhiều"),
    lambda: antq_core.parse_quantity("5 m2", "fr"),  # type: ignore[arg-type]
    lambda: antq_core.parse_number("1.5"),
    lambda: _sample().gazetteer.find("Lai Châu"),
    lambda: _sample().gazetteer.find("Hà Nội"),
    lambda: _sample().gazetteer.unit("nope"),
    lambda: _sample().gazetteer.common_ancestor([]),
    lambda: _cycle().ancestors("a"),
    lambda: AdminUnit(code="1", name="X", level="hamlet"),
    lambda: Dataset.from_json(b"not json"),
    lambda: Dataset.load("/nonexistent/antq.json"),
    lambda: Gazetteer.from_json(b"{"),
    lambda: _sample().site("nope"),
    lambda: _sample().metric("nope"),
    lambda: Dataset(
        gazetteer=_cycle(),
        metadata=_sample().metadata,
        sites=[*_sample().sites.values()] * 2,
    ),
    lambda: antq_core.builtin_catalog().metric("nope"),
    lambda: antq_core.bundled_gazetteer("atlantis"),
    lambda: antq_core.report.render_report(_sample(), "fr"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("call", ON_PURPOSE)
def test_errors_raised_on_purpose_are_public_antq_errors(call: Callable[[], object]) -> None:
    with pytest.raises(AntqError) as info:
        call()
    assert type(info.value).__name__ in antq_core.__all__
    assert str(info.value)


def test_version_is_the_installed_metadata() -> None:
    assert antq_core.__version__ == importlib.metadata.version("antq_core")


def test_the_wheel_ships_its_data_and_type_marker() -> None:
    package = files("antq_core")
    for name in ("py.typed", "data/catalog.json", "data/lai_chau_2017.json"):
        assert (package / name).is_file(), name
    assert any(p.name.startswith("gazetteer_") for p in (package / "data").iterdir())


def test_importing_the_library_does_not_import_hypothesis(tmp_path: Path) -> None:
    code = (
        "import sys, antq_core, antq_core.report, antq_core._cli, antq_core.testing; "
        "assert 'hypothesis' not in sys.modules, 'hypothesis imported'"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "module_name",
    sorted(info.name for info in pkgutil.walk_packages(antq_core.__path__, "antq_core.")),
)
def test_docstring_examples_run(module_name: str) -> None:
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, extraglobs={"Decimal": Decimal}):
        runner.run(test)
    assert runner.failures == 0
