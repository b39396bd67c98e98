"""The package's layers, read from its source: imports point down, privates stay private.

The layers are ARCHITECTURE.md's, lowest first. A module may import modules of
its own layer and of the layers below, never above; the imports inside
functions (lazy imports) count too. No module imports another module's
``_private`` name, no import cycle exists, and no code assigns another object's
``_attribute``.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import antq_core

ROOT = Path(antq_core.__file__).parent

# Top-level room -> layer. Higher layers may import lower ones.
LAYERS: dict[str, int] = {
    "errors": 0,
    "_util": 1,
    "_values": 2,
    "text": 2,
    "_entities": 3,
    "_dataset": 4,
    "_cycle": 5,
    "_aggregate": 6,
    "_validation": 7,
    "report": 8,
    "privacy": 8,
    "io": 8,
    "store": 8,
    "": 10,  # antq_core/__init__.py: the public names of the layers below
    "testing": 11,
    "_commands": 11,
    "_cli": 11,
}


def module_name(path: Path, root: Path = ROOT) -> str:
    """``antq_core.a.b`` for ``root/a/b.py`` (a package for its ``__init__.py``)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["antq_core", *parts])


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package under ``root``, by dotted name."""
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def room(module: str) -> str:
    """The top-level room of ``antq_core.<room>...`` (``""`` for the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports(
    module: str, path: Path, known: dict[str, Path]
) -> Iterator[tuple[int, str, str | None]]:
    """``(line, imported module, imported name or None)`` for each import of ours.

    ``from pkg import sub`` of a submodule yields the submodule itself.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "antq_core":
                    yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, is_package, node)
            if target.split(".")[0] != "antq_core":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in known:
                    yield node.lineno, sub, None
                else:
                    yield node.lineno, target, alias.name


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def violations(root: Path = ROOT) -> list[str]:
    """Every breach of the layer rules in the package under ``root``, worded."""
    known = modules(root)
    found: list[str] = []
    graph: dict[str, set[str]] = {m: set() for m in known}
    for module, path in known.items():
        where = f"{path.relative_to(root)}"
        if room(module) not in LAYERS:
            found.append(f"{where}: room {room(module)!r} has no layer")
            continue
        for line, target, name in imports(module, path, known):
            graph[module].add(target)
            if room(target) not in LAYERS:
                found.append(f"{where}:{line}: imports {target}, which has no layer")
                continue
            if LAYERS[room(target)] > LAYERS[room(module)]:
                found.append(
                    f"{where}:{line}: {room(module) or 'antq_core'} (layer "
                    f"{LAYERS[room(module)]}) imports {target} (layer {LAYERS[room(target)]})"
                )
            if name is not None and _is_private(name):
                found.append(f"{where}:{line}: imports private name {name} from {target}")
            # A private submodule (x._y) belongs to its package: only x and x's
            # other modules may import it. The top-level rooms are layers, open to all.
            parts = target.split(".")
            for i in range(2, len(parts)):
                if _is_private(parts[i]):
                    owner = ".".join(parts[:i])
                    if module != owner and not module.startswith(owner + "."):
                        found.append(f"{where}:{line}: imports private module {target}")
                    break
        found.extend(f"{where}:{w}" for w in _foreign_access(path))
    found.extend(_cycles(graph))
    return found


def _foreign_access(path: Path) -> Iterator[str]:
    """Uses of ``x._attr`` where ``_attr`` belongs to a class of another module.

    An attribute belongs to a module when one of its classes declares it (a
    class-level name or method, or ``self._attr = ...``); ``self``, ``cls`` and
    ``other`` of the module's own classes may use it, and so may the rest of
    that module. Anywhere else it is another class's private state.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    own: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    own.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    own.add(item.target.id)
                elif isinstance(item, ast.Assign):
                    own.update(t.id for t in item.targets if isinstance(t, ast.Name))
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in {"self", "cls"}
        ):
            own.add(node.attr)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr) and node.attr not in own:
            if isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}:
                continue
            verb = "writes" if isinstance(node.ctx, ast.Store) else "uses"
            yield f"{node.lineno}: {verb} {ast.unparse(node)}, private to another module"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr)
            in {"setattr", "__setattr__"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _is_private(node.args[1].value)
            and node.args[1].value not in own
        ):
            yield f"{node.lineno}: writes {ast.unparse(node.args[0])}.{node.args[1].value}"


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    """Each strongly connected set of two or more modules (Tarjan), worded."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[str] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append("import cycle: " + " -> ".join(sorted(group)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _unlined(found: list[str]) -> set[str]:
    return {re.sub(r"^([^:]+):[0-9]+:", r"\1:", f) for f in found}


def test_the_package_keeps_its_layers() -> None:
    assert sorted(_unlined(violations())) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "antq_core"
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


BASE = {
    "__init__.py": "from antq_core._dataset.dataset import Dataset\n",
    "errors.py": "",
    "_values/__init__.py": "",
    "_values/period.py": "from antq_core.errors import x\n",
    "_dataset/__init__.py": "",
    "_dataset/dataset.py": "from antq_core._values.period import Period\n",
    "io/__init__.py": "",
    "io/dhis2.py": "from antq_core._dataset.dataset import Dataset\n",
}


def test_a_clean_tree_passes(tmp_path: Path) -> None:
    assert violations(_tree(tmp_path, BASE)) == []


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "_dataset/dataset.py",
            "def load():\n    from antq_core.io.dhis2 import read\n",
            "_dataset (layer 4) imports antq_core.io.dhis2 (layer 8)",
        ),
        ("_values/period.py", "from antq_core.errors import _safe\n", "private name _safe"),
        ("_values/period.py", "import antq_core._dataset.dataset\n", "(layer 2) imports"),
        ("io/dhis2.py", "def f(s):\n    s._rows = 1\n", "writes s._rows"),
        ("io/dhis2.py", "def f(s):\n    s._rows.append(1)\n", "uses s._rows"),
        ("io/dhis2.py", "def f(s):\n    object.__setattr__(s, '_n', 1)\n", "writes s._n"),
        (
            "io/dhis2.py",
            "class A:\n    _n = 1\n\n    def same(self, o):\n        return o._n\n",
            "",
        ),
        ("_values/geo.py", "from antq_core._values import period\n", ""),
        ("_values/geo.py", "from antq_core._values.period import P\n", ""),
        ("stray.py", "", "room 'stray' has no layer"),
    ],
)
def test_the_check_catches_each_kind_of_breach(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    found = violations(_tree(tmp_path, {**BASE, name: text}))
    if expected:
        assert any(expected in f for f in found), found
    else:
        assert found == []


def test_the_check_catches_a_cycle_made_by_a_lazy_import(tmp_path: Path) -> None:
    files = {
        **BASE,
        "_values/period.py": "def f():\n    from antq_core._values.geo import g\n",
        "_values/geo.py": "from antq_core._values.period import f\n",
    }
    found = violations(_tree(tmp_path, files))
    assert found == ["import cycle: antq_core._values.geo -> antq_core._values.period"]


def test_the_check_catches_a_private_submodule_imported_from_outside(tmp_path: Path) -> None:
    files = {
        **BASE,
        "io/tabular/__init__.py": "from antq_core.io.tabular._csv import read\n",
        "io/tabular/_csv.py": "",
        "report.py": "from antq_core.io.tabular._csv import read\n",
    }
    found = violations(_tree(tmp_path, files))
    assert found == ["report.py:1: imports private module antq_core.io.tabular._csv"]
