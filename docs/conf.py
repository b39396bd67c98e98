"""Sphinx configuration for antq_core.

The docs are built against the installed package (``make docs`` installs the wheel
first), so ``autodoc`` documents exactly what users get.
"""

from __future__ import annotations

from importlib.metadata import version as _version

# -- Project ---------------------------------------------------------------------------

project = "antq_core"
author = "antq_core contributors"
copyright = "2025, antq_core contributors"
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
        r"|Attribute|SearchStrategy|Self|Any|Annotated|Literal|ClassVar|Final"
        r"|Iterable|Iterator|Mapping|MutableMapping|Sequence|Callable|Generator"
        r"|Collection|Hashable|Set|AbstractSet|TextIO|BinaryIO|IO|PathLike|Pattern)",
    ),
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
