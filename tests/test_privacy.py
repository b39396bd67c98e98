"""Personal data never leaves through a channel the caller did not open.

Marker strings, unique in the whole library and its data, are planted in every
personal field of participants (names, identity numbers, birth dates; valid
and invalid ones). Then every channel is driven: entities' ``repr``/``str``,
errors (their ``str``/``repr``, ``describe()``, problems, causes and the whole
formatted traceback), validation messages in both languages, logging at DEBUG,
warnings, the ``antq`` command's stdout and stderr for every command, and every
default export (dataset JSON, CSV, xlsx, DHIS2, JSON Schema, Arrow/Parquet,
aggregation tables). No marker may appear anywhere, unless the caller asked
for personal data explicitly; where the caller does ask, the markers must
appear (so the search is known to look in the right place).
"""

from __future__ import annotations

import contextlib
import copy
import csv
import datetime as dt
import io
import json
import logging
import traceback
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import antq_core
from antq_core import Dataset, Participant, aggregate, validate, validate_json
from antq_core._cli import main
from antq_core.errors import AntqError
from antq_core.io.dhis2 import Dhis2Mapping, to_dhis2_data_value_set
from antq_core.io.jsonschema import SCHEMA_ENTITIES, dataset_json_schema, entity_json_schema
from antq_core.io.tabular import export_tabular, read_tabular
from antq_core.report import render_report

# -- the markers -------------------------------------------------------------------------

NAME = "Zqxjmarkname"  # ASCII, so no escaping or folding can hide it
NAME_VI = "Đặng Zqxjvietname"
ID_12 = "987650123498"
ID_9 = "864209753"
BIRTH = dt.date(1931, 2, 17)
# Invalid personal values, each a marker too: the loader must refuse them without echoing.
BAD_ID = "98765O123499"
BAD_BIRTH = "1931-02-30"
CONTROL_NAME = "Zqxjctrlname\x07"
FORMULA_NAME = "=Zqxjformula()"

MARKERS = (
    NAME,
    "Zqxjvietname",
    ID_12,
    ID_9,
    "1931-02-17",
    "17/02/1931",
    "17.02.1931",
    "02/17/1931",
    "98765O123499",
    "1931-02-30",
    "30/02/1931",
    "Zqxjctrlname",
    "Zqxjformula",
    "Zqxjwhole",
    "Zqxjlong",
)


def leaked(text: object) -> list[str]:
    """The markers found in ``text`` (case-insensitive, JSON escapes undone)."""
    haystack = str(text)
    with contextlib.suppress(ValueError, RecursionError):
        haystack += json.dumps(json.loads(haystack), ensure_ascii=False)
    folded = haystack.casefold()
    return [m for m in MARKERS if m.casefold() in folded]


def everything_of(error: BaseException) -> str:
    """Every text an exception can show: str, repr, describe(), problems, causes, traceback."""
    parts = ["".join(traceback.format_exception(error)), repr(error), str(error)]
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current)]
        describe = getattr(current, "describe", None)
        if callable(describe):
            parts.append(str(describe()))
        for problem in getattr(current, "problems", ()):
            parts += [str(problem), repr(problem), json.dumps(problem.to_dict(), default=str)]
        for name in ("input", "value", "text", "reason", "target"):
            parts.append(repr(getattr(current, name, None)))
        errors = getattr(current, "errors", None)
        if callable(errors):
            with contextlib.suppress(TypeError):  # not pydantic's errors()
                parts.append(repr(errors()))
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


# -- datasets with personal data ---------------------------------------------------------


def _people() -> list[dict[str, Any]]:
    return [
        {
            "id": "p-marked-1",
            "roles": ["released_prisoner"],
            "admin_unit": "03589.01",
            "initiative": "mh-tai-hoa-nhap-muong-so",
            "full_name": NAME,
            "identity_number": ID_12,
            "birth_date": BIRTH.isoformat(),
        },
        {
            "id": "p-marked-2",
            "roles": ["subject_of_concern"],
            "admin_unit": "03589.02",
            "full_name": NAME_VI,
            "identity_number": ID_9,
        },
    ]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The sample's document, its participants replaced by two people with marked fields."""
    doc = antq_core.sample().to_dict()
    doc["participants"] = _people()
    return doc


@pytest.fixture(scope="module")
def marked(document: dict[str, Any]) -> Dataset:
    return Dataset.from_dict(copy.deepcopy(document))


def _with_person(document: dict[str, Any], **fields: Any) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    person = {"id": "p-bad", "roles": ["released_prisoner"], **fields}
    doc["participants"].append(person)
    return doc


# Documents the loader refuses because of a personal value (or of a participant as a whole).
BAD_PEOPLE: dict[str, dict[str, Any]] = {
    "identity number with a letter": {"full_name": NAME, "identity_number": BAD_ID},
    "identity number as a number": {"full_name": NAME, "identity_number": int(ID_12)},
    "impossible birth date": {"full_name": NAME, "birth_date": BAD_BIRTH},
    "birth date as a number": {"full_name": NAME, "birth_date": 19310217},
    "name too long": {"full_name": "Zqxjlong " * 80, "birth_date": BIRTH.isoformat()},
    "name as a list": {"full_name": [NAME, ID_12]},
    "unknown field beside personal ones": {
        "full_name": "Zqxjwhole",
        "identity_number": ID_12,
        "colour": "red",
    },
    "unknown role beside personal ones": {
        "full_name": "Zqxjwhole",
        "identity_number": ID_12,
        "roles": ["bogus"],
    },
}


def _bad_documents(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, fields in BAD_PEOPLE.items():
        yield name, _with_person(document, **fields)
    # The whole participant is not an object, or is one the list cannot hold.
    doc = copy.deepcopy(document)
    doc["participants"].append(["p-bad", NAME, ID_12, BAD_BIRTH])
    yield "participant as a list", doc
    doc = copy.deepcopy(document)
    doc["participants"].append(f"{NAME} {ID_12}")
    yield "participant as a string", doc
    doc = copy.deepcopy(document)
    doc["participants"][0] = {**doc["participants"][0], "roles": []}
    yield "no role", doc
    doc = copy.deepcopy(document)
    doc["participants"].append(copy.deepcopy(doc["participants"][0]))
    yield "duplicate participant", doc


BAD_IDS = [name for name, _ in _bad_documents({"participants": [{}]})]


@pytest.fixture(autouse=True)
def _everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test here runs with logging at DEBUG; nothing logged may carry a marker."""
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    assert leaked(caplog.text) == []
    assert leaked("\n".join(f"{w.category.__name__}: {w.message}" for w in caught)) == []


# -- entities ----------------------------------------------------------------------------


def test_entities_show_no_personal_value(marked: Dataset) -> None:
    for person in marked.participants.values():
        assert person.has_sensitive_data
        for text in (repr(person), str(person), person.model_dump(), person.model_dump_json()):
            assert leaked(text) == []
        assert leaked(person.model_dump(mode="json", context={"include_sensitive": True}))
    assert leaked(repr(marked)) == []
    assert leaked(str(marked)) == []
    assert leaked(repr(marked.participants)) == []


@pytest.mark.parametrize("context", [{"include_sensitive": "no"}, {"include_sensitive": 1}])
def test_only_true_opens_the_personal_fields(marked: Dataset, context: dict[str, Any]) -> None:
    person = marked.participants["p-marked-1"]
    assert leaked(person.model_dump(context=context)) == []
    assert leaked(person.model_dump_json(context=context)) == []


@pytest.mark.parametrize("name", list(BAD_PEOPLE))
def test_a_participant_refused_by_pydantic_shows_no_personal_value(name: str) -> None:
    fields = {"id": "p-bad", "roles": ["released_prisoner"], **BAD_PEOPLE[name]}
    with pytest.raises(ValueError) as info:  # noqa: PT011 - pydantic's ValidationError
        Participant.model_validate(fields)
    assert leaked(everything_of(info.value)) == []
    with pytest.raises(ValueError) as info:  # noqa: PT011
        Participant.model_validate_json(json.dumps(fields))
    assert leaked(everything_of(info.value)) == []


def test_evolve_refusing_a_personal_value_shows_none(marked: Dataset) -> None:
    person = marked.participants["p-marked-1"]
    with pytest.raises(ValueError) as info:  # noqa: PT011
        person.evolve(identity_number=BAD_ID)
    assert leaked(everything_of(info.value)) == []


# -- loading -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", BAD_IDS)
def test_load_errors_show_no_personal_value(
    case: str, document: dict[str, Any], tmp_path: Path
) -> None:
    doc = dict(_bad_documents(document))[case]
    text = json.dumps(doc, ensure_ascii=False)
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    attempts: list[Callable[[], object]] = [
        lambda: Dataset.from_dict(copy.deepcopy(doc)),
        lambda: Dataset.from_json(text),
        lambda: Dataset.from_json(text.encode()),
        lambda: Dataset.load(path),
    ]
    for attempt in attempts:
        with pytest.raises(AntqError) as info:
            attempt()
        assert leaked(everything_of(info.value)) == [], case
        logging.getLogger("antq_core.tests").exception("load failed", exc_info=info.value)
    with pytest.raises(AntqError) as info:
        validate_json(text)
    assert leaked(everything_of(info.value)) == [], case


def test_the_streaming_reader_shows_no_personal_value(
    document: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from antq_core._dataset import dataset as dataset_module

    monkeypatch.setattr(dataset_module, "STREAM_THRESHOLD", 1, raising=False)
    for case, doc in _bad_documents(document):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        with pytest.raises(AntqError) as info:
            Dataset.load(path)
        assert leaked(everything_of(info.value)) == [], case


# -- validation --------------------------------------------------------------------------


def test_validation_messages_show_no_personal_value(marked: Dataset) -> None:
    # A statutory team with members out of the age range, so the age checks speak.
    doc = marked.to_dict(include_sensitive=True)
    doc["organizations"].append(
        {
            "id": "to-bvantt-marked",
            "kind": "security_order_team",
            "name_vi": "Tổ bảo vệ ANTT thôn Tây Sơn",
            "admin_unit": "03589.01",
            "established_on": "2024-07-01",
        }
    )
    for person in doc["participants"]:
        person["organization"] = "to-bvantt-marked"
        person["roles"] = ["member"]
    doc["participants"][1]["birth_date"] = "2012-01-01"
    dataset = Dataset.from_dict(doc)
    report = validate(dataset)
    codes = {issue.code for issue in report}
    assert {"member-over-age", "member-under-age"} <= codes  # the checks did run
    assert leaked(report.to_json()) == []
    for issue in report:
        assert leaked(f"{issue.message('vi')}\n{issue.message('en')}\n{issue!r}\n{issue}") == []
    assert leaked(report.to_text("vi") + report.to_text("en")) == []


def test_report_and_aggregates_show_no_personal_value(marked: Dataset) -> None:
    for lang in ("vi", "en"):
        assert leaked(render_report(marked, lang)) == []
    for by in ([], ["district"], ["commune", "year"], ["initiative"]):
        table = aggregate(marked, list(marked.metrics), by=by)
        assert leaked(repr(table)) == []
        assert leaked(table.to_dicts()) == []
        assert leaked(repr(table.rows) + repr(table.unplaceable)) == []


# -- exports -----------------------------------------------------------------------------


def _tree_text(path: Path) -> str:
    """Every byte of a file, a directory of files or an xlsx/zip's members, as text."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    parts = []
    for file in files:
        data = file.read_bytes()
        parts.append(data.decode("utf-8", "replace"))
        if zipfile.is_zipfile(file):
            with zipfile.ZipFile(file) as archive:
                parts += [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
    return "\n".join(parts)


def test_dataset_json_leaves_personal_data_out_unless_asked(
    marked: Dataset, tmp_path: Path
) -> None:
    assert leaked(marked.dumps()) == []
    assert leaked(json.dumps(marked.to_dict(), ensure_ascii=False)) == []
    assert leaked(marked.dumps(include_sensitive=True))  # asked for: there
    path = tmp_path / "public.json"
    marked.dump(path, include_sensitive=False)
    assert leaked(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("flag", ["no", 1, "False"])
def test_a_truthy_flag_does_not_open_an_export(
    marked: Dataset, tmp_path: Path, fmt: str, flag: Any
) -> None:
    suffix = ".xlsx" if fmt == "xlsx" else ""
    export_tabular(marked, tmp_path / f"out{suffix}", fmt, include_sensitive=flag)
    assert leaked(_tree_text(tmp_path / f"out{suffix}")) == []
    assert leaked(marked.dumps(include_sensitive=flag)) == []
    assert leaked(json.dumps(marked.to_dict(include_sensitive=flag), ensure_ascii=False)) == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_tabular_exports_leave_personal_data_out_unless_asked(
    marked: Dataset, tmp_path: Path, fmt: str
) -> None:
    suffix = ".xlsx" if fmt == "xlsx" else ""
    for lang in ("vi", "en"):
        public = tmp_path / f"public-{lang}{suffix}"
        export_tabular(marked, public, fmt, lang=lang)
        assert leaked(_tree_text(public)) == [], lang
    private = tmp_path / f"private{suffix}"
    export_tabular(marked, private, fmt, include_sensitive=True)
    assert leaked(_tree_text(private))


def test_dhis2_export_shows_no_personal_value(marked: Dataset) -> None:
    mapping = Dhis2Mapping.model_validate(
        json.loads(
            (Path(__file__).parent / "corpus" / "dhis2" / "mapping.json").read_text("utf-8")
        )
    )
    payloads: list[object] = []
    error = _error_of(lambda: payloads.append(to_dhis2_data_value_set(marked, mapping)))
    # A mapping that does not fit this dataset raises: the error is a channel too.
    assert leaked(everything_of(error) if error else json.dumps(payloads, default=str)) == []


def test_json_schemas_hold_no_personal_value() -> None:
    texts = [json.dumps(dataset_json_schema(), ensure_ascii=False)]
    texts += [json.dumps(entity_json_schema(n), ensure_ascii=False) for n in SCHEMA_ENTITIES]
    assert leaked("\n".join(texts)) == []


def test_frames_show_no_personal_value(marked: Dataset, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    from antq_core.io.frames import to_arrow, write_parquet

    assert leaked(to_arrow(marked).to_pylist()) == []
    path = tmp_path / "observations.parquet"
    write_parquet(marked, path)
    assert leaked(path.read_bytes().decode("utf-8", "replace")) == []


# -- tabular import of bad personal cells ------------------------------------------------


def _participants_csv(directory: Path) -> Path:
    found = [p for p in directory.iterdir() if "participant" in p.name or "tham" in p.name]
    assert len(found) == 1, sorted(p.name for p in directory.iterdir())
    return found[0]


@pytest.mark.parametrize(
    ("column", "bad"),
    [
        ("identity_number", BAD_ID),
        ("birth_date", BAD_BIRTH),
        ("birth_date", "30/02/1931"),
        ("full_name", CONTROL_NAME),
        ("full_name", FORMULA_NAME),
    ],
)
def test_tabular_import_errors_show_no_personal_value(
    marked: Dataset, tmp_path: Path, column: str, bad: str
) -> None:
    folder = tmp_path / "tables"
    export_tabular(marked, folder, "csv", lang="en", include_sensitive=True)
    table = _participants_csv(folder)
    with table.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    wanted = header.index(column)
    rows[1][wanted] = bad
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    table.write_text(buffer.getvalue(), encoding="utf-8")
    error = _error_of(lambda: read_tabular(folder))
    # A name is free text: a control character or a formula is taken as text, not refused.
    assert (error is None) is (column == "full_name"), (column, bad)
    if error is not None:
        assert leaked(everything_of(error)) == [], (column, bad)
    assert main(["import", str(folder)]) in {0, 2}


# -- the command line --------------------------------------------------------------------


def _error_of(call: Callable[[], object]) -> AntqError | None:
    """The library error ``call()`` raises, or ``None`` when it succeeds."""
    try:
        call()
    except AntqError as e:
        return e
    return None


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse
        code = int(e.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + "\n" + captured.err


def test_every_command_keeps_personal_data_to_itself(
    marked: Dataset, document: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "marked.json"
    marked.dump(good)  # the owner's own store: personal data kept
    assert leaked(good.read_text(encoding="utf-8"))
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(dict(_bad_documents(document))["unknown field beside personal ones"])
    )
    tables = tmp_path / "tables"
    export_tabular(marked, tables, "csv", include_sensitive=True)
    runs = [
        ("report", str(good)),
        ("report", "--lang", "en", str(good)),
        ("validate", str(good)),
        ("validate", "--format", "json", str(good)),
        ("validate", "--lang", "en", str(bad)),
        ("validate", "--format", "json", str(bad)),
        ("report", str(bad)),
        ("aggregate", "--metric", "released_prisoners_supported_distinct", str(good)),
        ("aggregate", "--metric", "initiatives", "--by", "district", str(bad)),
        ("export", str(good), "--out", str(tmp_path / "csv-out")),
        ("export", str(good), "--format", "xlsx", "--out", str(tmp_path / "out.xlsx")),
        ("export", str(bad), "--out", str(tmp_path / "csv-bad")),
        ("import", str(tables)),
        ("import", str(tables), "--out", str(tmp_path / "imported.json")),
        ("schema",),
        ("schema", "Participant"),
        ("schema", "--out", str(tmp_path / "schemas")),
        ("template", "--out", str(tmp_path / "template.xlsx")),
        ("geo", "Mường So"),
        ("aggregate", "-m", "released_prisoners_supported_distinct", "-b", "village", str(good)),
    ]
    for argv in runs:
        code, text = _run(capsys, *argv)
        assert leaked(text) == [], argv
        assert code in {0, 1, 2}, argv
    for written in ("csv-out", "out.xlsx", "schemas", "template.xlsx", "imported.json"):
        assert leaked(_tree_text(tmp_path / written)) == [], written
    # Asked for: there.
    code, text = _run(capsys, "import", str(tables), "--include-sensitive")
    assert code == 0
    assert leaked(text)
    _run(capsys, "export", str(good), "--include-sensitive", "--out", str(tmp_path / "p-out"))
    assert leaked(_tree_text(tmp_path / "p-out"))


def test_import_without_include_sensitive_says_what_it_left_out(
    marked: Dataset, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = tmp_path / "tables"
    export_tabular(marked, tables, "csv", include_sensitive=True)
    out = tmp_path / "imported.json"
    code, text = _run(capsys, "import", str(tables), "--out", str(out))
    assert code == 0
    assert "--include-sensitive" in text  # not dropped silently
    assert leaked(out.read_text(encoding="utf-8")) == []
    code, _ = _run(capsys, "import", str(tables), "--out", str(out), "--include-sensitive")
    assert code == 0
    kept = Dataset.load(out)
    assert kept.participants["p-marked-1"].identity_number == ID_12


@pytest.mark.parametrize(
    ("column", "bad"),
    [
        ("identity_number", BAD_ID),
        ("birth_date", BAD_BIRTH),
        ("birth_date", dt.datetime(1931, 2, 17, 8, 30)),
        ("full_name", CONTROL_NAME),
    ],
)
def test_xlsx_import_errors_show_no_personal_value(
    marked: Dataset, tmp_path: Path, column: str, bad: object
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    path = tmp_path / "book.xlsx"
    export_tabular(marked, path, "xlsx", lang="en", include_sensitive=True)
    book = openpyxl.load_workbook(path)
    sheet = next(ws for ws in book.worksheets if ws.title.casefold().startswith("participant"))
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(2, header.index(column) + 1)
    if isinstance(bad, str) and "\x07" in bad:
        cell.value = None
        sheet.cell(2, header.index(column) + 1).value = bad.replace("\x07", "")
        cell = sheet.cell(3, header.index(column) + 1)
        cell.value = "=Zqxjformula()"
    else:
        cell.value = bad
    book.save(path)
    error = _error_of(lambda: read_tabular(path))
    assert error is not None, (column, bad)
    assert leaked(everything_of(error)) == [], (column, bad)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_refusing_a_personal_value_does_not_quote_it(
    document: dict[str, Any], tmp_path: Path, fmt: str
) -> None:
    doc = copy.deepcopy(document)
    doc["participants"][0]["full_name"] = CONTROL_NAME
    dataset = Dataset.from_dict(doc)  # a control character is not refused on the way in
    suffix = ".xlsx" if fmt == "xlsx" else ""
    target = tmp_path / f"out{suffix}"
    error = _error_of(lambda: export_tabular(dataset, target, fmt, include_sensitive=True))
    assert (error is not None) is (fmt == "xlsx")  # a workbook cannot hold the character
    if error is not None:
        assert leaked(everything_of(error)) == []
    export_tabular(dataset, tmp_path / f"public{suffix}", fmt)
    assert leaked(_tree_text(tmp_path / f"public{suffix}")) == []


def test_a_bad_identity_number_is_explained_without_being_shown(document: dict[str, Any]) -> None:
    doc = _with_person(document, identity_number=BAD_ID)
    with pytest.raises(AntqError) as info:
        Dataset.from_dict(doc)
    (problem,) = info.value.problems  # type: ignore[attr-defined]
    assert (
        str(problem.location) == f"$.participants[{len(doc['participants']) - 1}].identity_number"
    )
    assert "9 digits (CMND) or 12 digits (CCCD)" in problem.message_en
    assert "9 chữ số (CMND)" in problem.message_vi
    assert problem.input is None
