"""The public API: names, docstrings, errors, version, what the wheel ships."""

from __future__ import annotations

import ast
import datetime as dt
import doctest
import functools
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
import antq_core.errors
import antq_core.text
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
# Every public module but the top level, each with its own __all__.
SUBMODULES = [
    "antq_core.errors",
    "antq_core.io",
    "antq_core.io.dhis2",
    "antq_core.io.frames",
    "antq_core.io.jsonschema",
    "antq_core.io.tabular",
    "antq_core.io.web",
    "antq_core.privacy",
    "antq_core.report",
    "antq_core.store",
    "antq_core.testing",
    "antq_core.testing.strategies",
    "antq_core.text",
]
# The groups of antq_core.__all__, in order: each comment's first word, and the module
# (or room) every name of the group is imported from.
GROUPS = [
    ("values", "antq_core._values"),
    ("entities", "antq_core._entities"),
    ("dataset", "antq_core._dataset"),
    ("cycle", "antq_core._cycle"),
    ("aggregation", "antq_core._aggregate"),
    ("validation", "antq_core._validation"),
    ("errors", "antq_core.errors"),
    ("the", ""),  # the package itself: __version__
]


@functools.cache
def _attribute_docstrings() -> dict[str, str]:
    """Module-level ``NAME = ...`` followed by a string, in every antq_core module.

    Parsed once per run: it reads every module's source, about 4 s on 2 busy CPUs, and
    eleven parametrised cases ask for it.
    """
    found: dict[str, str] = {}
    for info in pkgutil.walk_packages(antq_core.__path__, "antq_core."):
        module = importlib.import_module(info.name)
        tree = ast.parse(inspect.getsource(module))
        for node, after in zip(tree.body, tree.body[1:], strict=False):
            target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
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


def _grouped_all() -> list[tuple[str, str, list[str]]]:
    """``(first word, comment, names)`` for each commented group of ``antq_core.__all__``."""
    source = inspect.getsource(antq_core)
    lines = source[source.index("__all__ = [") :].splitlines()[1:]
    groups: list[tuple[str, str, list[str]]] = []
    for line in lines:
        text = line.strip()
        if text == "]":
            break
        if text.startswith("#"):
            comment = text.lstrip("# ")
            groups.append((comment.split()[0], comment, []))
        else:
            assert groups, f"{text} comes before the first group's comment"
            groups[-1][2].append(ast.literal_eval(text.rstrip(",")))
    return groups


def _imported_from() -> dict[str, str]:
    """Each name that ``antq_core/__init__.py`` imports for type checkers, and its module.

    The package imports its names lazily (``_LAZY``, on first use); the same imports are
    written out under ``if TYPE_CHECKING:`` for type checkers and editors.
    """
    tree = ast.parse(inspect.getsource(antq_core))
    guarded = [
        node
        for node in tree.body
        if isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    ]
    return {
        alias.asname or alias.name: node.module or ""
        for block in guarded
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def test_the_lazy_table_names_what_type_checkers_see() -> None:
    lazy: dict[str, str] = antq_core._LAZY
    assert lazy == _imported_from()
    assert set(lazy) | {"__version__"} == set(antq_core.__all__)
    for name, module in lazy.items():
        assert getattr(antq_core, name) is getattr(importlib.import_module(module), name)


def test_importing_the_package_loads_no_heavy_dependency() -> None:
    """``import antq_core`` defers pydantic, attrs and the engines until a name is used."""
    code = (
        "import sys, antq_core\n"
        "heavy = [m for m in ('pydantic', 'attrs', 'polars', 'pyarrow', 'importlib.metadata',"
        " 'antq_core._entities', 'antq_core._aggregate', 'antq_core._validation')"
        " if m in sys.modules]\n"
        "print(heavy)\n"
        "from antq_core import Period\n"
        "print(Period.month(2017, 7), antq_core.errors.AntqError.__name__,"
        " antq_core.__version__ == antq_core.__version__)\n"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]", "2017-07 AntqError True"]


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        antq_core.no_such_name  # noqa: B018
    assert "Dataset" in dir(antq_core)


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's order for ``__all__`` (RUF022): CONSTANTS, then Classes, then functions."""
    if name.isupper():
        return 0, name
    return (1, name) if name[0].isupper() else (2, name)


def test_all_names_exist_once_and_star_import_gives_them() -> None:
    assert len(set(antq_core.__all__)) == len(antq_core.__all__)
    namespace: dict[str, object] = {}
    exec("from antq_core import *", namespace)  # noqa: S102
    assert set(namespace) - {"__builtins__"} == set(antq_core.__all__)


def test_the_top_level_is_the_core_grouped_by_layer() -> None:
    groups = _grouped_all()
    assert [g[0] for g in groups] == [word for word, _ in GROUPS]
    assert [n for g in groups for n in g[2]] == antq_core.__all__
    # The core only (topics live in submodules); the reporting cycle's types joined it.
    assert 60 <= len(antq_core.__all__) <= 95
    origin = _imported_from()
    for (word, comment, names), (_, room) in zip(groups, GROUPS, strict=True):
        assert names == sorted(names, key=_isort_key), f"group {word!r} is not sorted"
        if room:
            assert f"({room})" in comment, comment
        for name in names:
            if name == "__version__":
                continue
            source = origin[name]
            assert source == room or source.startswith(room + "."), (name, source, room)


def _module_names() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for module_name in ["antq_core", *SUBMODULES]:
        module = importlib.import_module(module_name)
        out.extend((module_name, name) for name in module.__all__)
    return out


@pytest.mark.parametrize(("module_name", "name"), _module_names())
def test_every_public_name_has_its_own_docstring(module_name: str, name: str) -> None:
    obj = getattr(importlib.import_module(module_name), name)
    if name == "__version__":
        return
    function = inspect.isfunction(inspect.unwrap(obj)) if callable(obj) else False
    if inspect.isclass(obj) or function:  # a class, a function, a cached function
        doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
        assert (doc or "").strip(), f"{module_name}.{name} has no docstring of its own"
        return
    # Constants and type aliases: an attribute docstring where they are defined.
    assert _attribute_docstrings().get(name, "").strip(), f"{name} has no attribute docstring"


@pytest.mark.parametrize("module_name", SUBMODULES)
def test_public_submodules_list_their_names(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert (module.__doc__ or "").strip(), f"{module_name} has no docstring"
    assert isinstance(module.__all__, list)
    assert module.__all__ == sorted(module.__all__, key=_isort_key), module_name
    assert len(set(module.__all__)) == len(module.__all__)
    namespace: dict[str, object] = {}
    exec(f"from {module_name} import *", namespace)  # noqa: S102
    assert set(namespace) - {"__builtins__"} == set(module.__all__)


def test_each_public_name_has_one_home() -> None:
    homes: dict[str, list[str]] = {}
    for module_name, name in _module_names():
        homes.setdefault(name, []).append(module_name)
    shared = {name: where for name, where in homes.items() if len(where) > 1}
    # The base exception is in the core too, so that `except AntqError` needs no other import.
    assert shared == {"AntqError": ["antq_core", "antq_core.errors"]}


def test_what_the_submodules_export() -> None:
    import antq_core.io
    import antq_core.report
    import antq_core.testing
    import antq_core.text

    assert antq_core.report.__all__ == ["DEFAULT_SUPPRESS_BELOW", "render_report"]
    assert antq_core.testing.__all__ == []
    assert antq_core.io.__all__ == []
    assert antq_core.text.__all__ == [
        "Lang",
        "Phrase",
        "fold",
        "format_date",
        "format_number",
        "format_period",
        "format_phrase",
        "format_quantity",
        "nfc",
        "parse_number",
        "parse_phrase",
        "parse_quantity",
    ]


def test_every_strategy_is_a_function_returning_a_strategy() -> None:
    from antq_core.testing import strategies

    assert strategies.__all__ == sorted(strategies.__all__)
    for name in strategies.__all__:
        built = getattr(strategies, name)()
        assert isinstance(built, st.SearchStrategy), name
        parameters = inspect.signature(getattr(strategies, name)).parameters.values()
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters), name


def test_every_exception_lives_in_errors_and_is_an_antq_error() -> None:
    exceptions = {
        name
        for module_name, name in _module_names()
        if inspect.isclass(obj := getattr(importlib.import_module(module_name), name))
        and issubclass(obj, BaseException)
    }
    assert len(exceptions) > 20
    assert exceptions <= set(antq_core.errors.__all__)
    for name in exceptions:
        raised = getattr(antq_core.errors, name)
        # A warning is issued, not raised: it need not be an AntqError.
        assert issubclass(raised, AntqError) or issubclass(raised, Warning), name


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
    lambda: Quantity(1.5, "m2"),
    lambda: Quantity(-1, "person"),
    lambda: Quantity(1, "furlong"),
    lambda: Quantity(1, "m2", "roughly"),
    lambda: Quantity(1, "person") + Quantity(1, "household_attendance"),
    lambda: Quantity(1, "person").to("m2"),
    lambda: Quantity.sum([]),
    lambda: Unit.get("furlong"),
    lambda: Unit.register("m2", "area", name_vi="m²", name_en="m²"),
    lambda: SubjectRef.parse("site"),
    lambda: SubjectRef.parse("village:1"),
    lambda: SubjectRef("site", "not an id"),
    lambda: antq_core.Disaggregation({"capital source": "family"}),
    lambda: antq_core.text.parse_quantity("nhiều"),
    lambda: antq_core.text.parse_quantity("5 m2", "fr"),
    lambda: antq_core.text.parse_number("1.5"),
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
    lambda: antq_core.report.render_report(_sample(), "fr"),
]


@pytest.mark.parametrize("call", ON_PURPOSE)
def test_errors_raised_on_purpose_are_public_antq_errors(call: Callable[[], object]) -> None:
    with pytest.raises(AntqError) as info:
        call()
    assert type(info.value).__name__ in antq_core.errors.__all__
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
