"""Sphinx configuration for antq_core.

The docs are built against the installed package (``make docs`` installs the wheel
first), so ``autodoc`` documents exactly what users get.
"""

from __future__ import annotations

from importlib.metadata import version as _version

# -- Project ---------------------------------------------------------------------------

project = "antq_core"
author = "antq_core contributors"
copyright = "2026, antq_core contributors"
release = _version("antq_core")
version = ".".join(release.split(".")[:2])

# -- General ---------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx.ext.doctest",
    "myst_parser",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
language = "en"

myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

# -- autodoc / napoleon ----------------------------------------------------------------

autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_preserve_defaults = True

napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_attr_annotations = True

# -- doctest ---------------------------------------------------------------------------
# MyST pages write samples as ```{doctest} fences (or ```{testcode}/```{testoutput}).

doctest_global_setup = ""
doctest_test_doctest_blocks = "default"

# -- Nitpicky references ---------------------------------------------------------------
# The docs are built with -n -W but without intersphinx (CI has no network), so
# references into other projects and the standard library cannot resolve. Ignore
# exactly those; a broken reference to antq_core itself still fails the build.

_EXTERNAL = (
    "pydantic",
    "pydantic_core",
    "attr",
    "attrs",
    "annotated_types",
    "typing_extensions",
    "hypothesis",
    "pyarrow",
    "polars",
    "pandas",
    "sqlalchemy",
    "fastapi",
    "starlette",
    "abc",
    "collections",
    "contextlib",
    "datetime",
    "decimal",
    "enum",
    "fractions",
    "functools",
    "io",
    "ipaddress",
    "json",
    "numbers",
    "os",
    "pathlib",
    "re",
    "types",
    "typing",
    "uuid",
    "zoneinfo",
)
nitpick_ignore_regex = [
    (r"py:.*", rf"({'|'.join(_EXTERNAL)})(\..+)?"),
    # Names autodoc sometimes leaves unqualified in signatures.
    (
        r"py:.*",
        r"(date|datetime|timedelta|Decimal|Fraction|Path|PurePath|Enum|IntEnum|StrEnum"
        r"|BaseModel|ConfigDict|Field|FieldInfo|TypeAdapter|ValidationError"
        r"|GetCoreSchemaHandler|GetJsonSchemaHandler|CoreSchema|JsonSchemaValue"
        r"|Attribute|SearchStrategy|InvalidArgument|Self|Any|Annotated|Literal|ClassVar|Final"
        r"|Iterable|Iterator|Mapping|MutableMapping|Sequence|Callable|Generator"
        r"|Collection|Hashable|Set|AbstractSet|TextIO|BinaryIO|IO|PathLike|Pattern"
        r"|Engine|FastAPI|Request|JSONResponse)",
    ),
    # The validators inside antq_core.io.web's Annotated response types, as autodoc shows them.
    (r"py:.*", r"antq_core\.io\.web\._[a-z_]+"),
    # ``Annotated[str, Field(min_length=1, ...)]`` is rendered with the metadata's repr,
    # whose pieces Sphinx then tries to resolve: ``required=True``, ``MinLen``, ...
    (r"py:.*", r"[A-Za-z_][A-Za-z_0-9]*=.*"),
    (
        r"py:.*",
        r"(Gt|Ge|Lt|Le|Interval|MultipleOf|MinLen|MaxLen|Len|Timezone|Predicate|Not"
        r"|Strict|AllowInfNan|StringConstraints|UrlConstraints|PlainValidator"
        r"|AfterValidator|BeforeValidator|WrapValidator|PlainSerializer|WrapSerializer)",
    ),
]

# -- HTML ------------------------------------------------------------------------------

html_theme = "furo"
html_title = f"antq_core {release}"
html_static_path: list[str] = []

# -- How autodoc shows our objects -----------------------------------------------------
# Public names are re-exported from private modules (antq_core._values.period.Period is
# antq_core.Period). Show types by their last name; they resolve to the public name.
# The event handlers below take the arguments Sphinx passes, positionally (PLR0917).
python_use_unqualified_type_names = True

# Where a public name is documented: the core first, then each topic module.
_PUBLIC_MODULES = (
    "antq_core",
    "antq_core.errors",
    "antq_core.text",
    "antq_core.io.tabular",
    "antq_core.io.dhis2",
    "antq_core.io.frames",
    "antq_core.io.jsonschema",
    "antq_core.io.web",
    "antq_core.report",
    "antq_core.store",
)


def _recorded_annotations(app) -> dict[str, dict[str, str]]:
    """Where autodoc keeps the type hints it turns into "Parameters" lists."""
    current = getattr(app.env, "current_document", None)
    if current is not None and hasattr(current, "autodoc_annotations"):  # Sphinx >= 8.2
        return current.autodoc_annotations
    return app.env.temp_data.setdefault("annotations", {})


def _public_name(tp: object) -> str:
    """``tp`` as a type expression that resolves in these docs, metadata left out."""
    import importlib
    import types
    import typing

    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _public_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_public_name(a) for a in args)
    if origin is typing.Literal:
        return f"Literal[{', '.join(repr(a) for a in args)}]"
    if origin is not None:
        inner = ", ".join("..." if a is Ellipsis else _public_name(a) for a in args)
        return f"{_public_name(origin)}[{inner}]" if args else _public_name(origin)
    if tp is type(None):
        return "None"
    name = getattr(tp, "__qualname__", None) or getattr(tp, "__name__", None)
    module = getattr(tp, "__module__", "")
    if name is None:
        return repr(tp)
    if module == "builtins":
        return name
    if module.startswith("antq_core"):
        for public in _PUBLIC_MODULES:
            if getattr(importlib.import_module(public), name, None) is tp:
                return f"{public}.{name}"
    return f"{module}.{name}"


def _default_text(value: object) -> str:
    import enum

    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    return repr(value)


def _is_model(obj: object) -> bool:
    from pydantic import BaseModel

    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _model_fields(app, what, name, obj, options, lines) -> None:  # noqa: PLR0917
    """List a pydantic model's fields, with their descriptions, as attributes.

    pydantic keeps field descriptions out of docstrings, and autodoc would show
    each field's type with all its validation metadata; write each field as a
    ``py:attribute`` with its plain type, default and description instead.
    """
    if what not in ("class", "exception") or not _is_model(obj):
        return
    from pydantic_core import PydanticUndefined

    documented = {line.strip() for line in lines if line.lstrip().startswith(".. attribute::")}
    lines.append("")
    for field_name, field in obj.model_fields.items():
        if f".. attribute:: {field_name}" in documented:  # an ``Attributes:`` entry
            continue
        lines.append(f".. py:attribute:: {field_name}")
        lines.append(f"   :type: {_public_name(field.rebuild_annotation())}")
        if field.default is not PydanticUndefined:
            lines.append(f"   :value: {_default_text(field.default)}")
        lines.append("")
        if field.description:
            lines.append(f"   {field.description}")
            lines.append("")


def _reexported_data(app, what, name, obj, options, lines) -> None:  # noqa: PLR0917
    """Give a constant re-exported by a public module the docstring of its definition.

    autodoc looks for a constant's docstring in the module it is documented
    under (``antq_core``, ``antq_core.text``), not where it is defined
    (``antq_core._values.period``).
    """
    if what != "data" or not name.startswith("antq_core."):
        return
    import pkgutil

    from sphinx.pycode import ModuleAnalyzer

    import antq_core

    attr = name.rpartition(".")[2]
    for info in pkgutil.walk_packages(antq_core.__path__, "antq_core."):
        docs = ModuleAnalyzer.for_module(info.name).find_attr_docs()
        if ("", attr) in docs:
            lines[:] = list(docs["", attr])
            return
    if type(obj).__doc__ and "\n".join(lines).strip() == type(obj).__doc__.strip():
        lines.clear()  # no docstring of its own: show the directive's content, not int's


def _signature(app, what, name, obj, options, signature, return_annotation):  # noqa: PLR0917
    """Show attrs classes' defaults as values; leave model and attrs fields to their docs.

    The fields of pydantic models (see :func:`_model_fields`) and attrs classes
    (their ``Attributes:`` section) are documented with their types already, so
    no "Parameters" list repeats them.
    """
    import typing

    import attrs
    from sphinx.util.typing import stringify_annotation

    if what not in ("class", "exception"):
        return None
    recorded = _recorded_annotations(app)
    is_attrs = attrs.has(obj)
    if is_attrs or _is_model(obj):
        recorded.pop(name, None)
    if not is_attrs:
        # autodoc reads a class's signature without evaluating its string
        # annotations (``from __future__ import annotations``); ``__init__``
        # carries the module's globals, so evaluate them there.
        hints = typing.get_type_hints(obj.__init__) if name in recorded else {}
        params = recorded.get(name, {})
        params.pop("return", None)  # a class returns an instance, not __init__'s None
        for param in params:
            if param in hints:
                params[param] = stringify_annotation(hints[param], "smart")
        return None
    params, keyword_only = [], False
    for field in attrs.fields(obj):
        if not field.init:
            continue
        if field.kw_only and not keyword_only:
            params.append("*")
            keyword_only = True
        default = field.default
        if default is attrs.NOTHING:
            params.append(field.alias)
        elif isinstance(default, attrs.Factory):
            params.append(f"{field.alias}=...")
        else:
            params.append(f"{field.alias}={_default_text(default)}")
    return f"({', '.join(params)})", return_annotation


def _skip_member(app, what, name, obj, skip, options):  # noqa: PLR0917
    """Leave pydantic's ``model_config`` out: it is configuration, not API."""
    return True if name == "model_config" else None


def _public_bases(app, name, obj, options, bases) -> None:
    """Show a private base class (``_Entity``) as its first public ancestor.

    Mixins from private modules (``PlainSchema``, which only tidies JSON Schema
    descriptions) are left out.
    """
    bases[:] = [b for b in bases if getattr(b, "__module__", "") != "antq_core._util.plaintext"]
    for i, base in enumerate(bases):
        if isinstance(base, type) and base.__name__.startswith("_"):
            bases[i] = next(b for b in base.__mro__ if not b.__name__.startswith("_"))


def setup(app):
    """Connect the hooks above."""
    app.connect("autodoc-process-docstring", _reexported_data, priority=400)
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-docstring", _model_fields, priority=600)
    app.connect("autodoc-process-signature", _signature)
    app.connect("autodoc-process-bases", _public_bases)
    return {"parallel_read_safe": True}
