"""Reading a large dataset JSON file in chunks, straight into the column store.

:meth:`Dataset.load <antq_core.Dataset.load>` takes this path for large
files. The document is read a megabyte at a time and decoded as UTF-8 on the
way. Everything but the observations (the entities, which number in
thousands) is parsed whole with the standard library's JSON decoder. The
observations array is cut into batches of a few megabytes at the boundaries
between two rows (``}`` ``,`` ``{``); pydantic validates each batch from its
JSON text, as the single fast path validates the whole file, and
:func:`~antq_core._dataset.rows.append_rows` appends the batch to one store. A
cut that falls inside a string (a note containing ``"}, {"``) makes the batch
invalid JSON; the reader then takes that row alone with the decoder and goes
on. Memory is the store, the entities and one batch, never the whole text.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Final

from pydantic import ValidationError

from antq_core._dataset.document import (
    DOCUMENT,
    ROW,
    ROWS,
    DatasetDocument,
    ObservationRow,
    check_document,
    every_problem,
    signed_metrics,
    sorted_by_row,
)
from antq_core._dataset.repeats import (
    REPEATS_DECODER,
    members_written,
    repeated_in,
    repeated_key_problem,
    repeated_keys,
    rows_kept,
)
from antq_core._dataset.rows import Negative, append_rows, sign_problems
from antq_core._dataset.store import ObservationStore, StoreBuilder
from antq_core._entities import MetricDefinition
from antq_core._util.inputs import UTF8_BOM, encoding_problem, undecodable
from antq_core._util.progress import gc_paused, progress_bar
from antq_core._values.geo import Gazetteer
from antq_core._values.schema import problems_from
from antq_core.errors import DatasetLoadError, Problem, ProblemList

__all__ = ["load_stream"]

_READ: Final = 1 << 20
"""Bytes read at a time."""
_BATCH: Final = 4 << 20
"""Characters of the observations array validated at once."""
_SPACE: Final = re.compile(r"[ \t\n\r]*")
_CUT: Final = re.compile(r"\}[ \t\n\r]*,[ \t\n\r]*(?=\{)")
_DECODER: Final = REPEATS_DECODER


class _StopError(Exception):
    """The text cannot be read on: not JSON, or not UTF-8."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class _Text:
    """The file's text, read and decoded a chunk at a time as the parser asks."""

    def __init__(self, file: BinaryIO, update: Callable[[int], None]) -> None:
        self.file = file
        self.update = update
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.pos = 0
        self.line = 1  # line number of text[0]
        self.offset = 0  # characters dropped from the front of text
        self.read = 0
        self.eof = False

    def more(self) -> bool:
        """Append the next chunk to the text; ``False`` at the end of the file."""
        if self.eof:
            return False
        data = self.file.read(_READ)
        start = self.read
        self.read += len(data)
        self.update(self.read)
        if self.pos:
            self.line += self.text.count("\n", 0, self.pos)
            self.offset += self.pos
            self.text = self.text[self.pos :]
            self.pos = 0
        try:
            chunk = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as e:
            raise _StopError(undecodable(e, data, start)) from e
        self.eof = not data
        self.text += chunk
        return True

    def stop(self, reason: str, pos: int | None = None) -> _StopError:
        """The problem at ``pos`` (default: the current position), with its line and column."""
        at = self.pos if pos is None else pos
        line = self.line + self.text.count("\n", 0, at)
        column = at - self.text.rfind("\n", 0, at)
        return _StopError(
            Problem.at(
                "$",
                f"not valid JSON: {reason} (line {line}, column {column})",
                f"Không phải JSON hợp lệ: {reason} (dòng {line}, cột {column})",
            )
        )

    def next_char(self) -> str:
        """Skip white space; the next character, or ``""`` at the end of the file."""
        while True:
            match = _SPACE.match(self.text, self.pos)
            assert match is not None  # noqa: S101 - the pattern matches the empty string
            self.pos = match.end()
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return ""

    def expect(self, chars: str, what: str) -> str:
        """Consume one of ``chars`` after white space."""
        char = self.next_char()
        if not char or char not in chars:
            raise self.stop(f"expected {what}")
        self.pos += 1
        return char

    def value(self) -> Any:
        """Parse the JSON value at the current position, reading on as it needs."""
        self.next_char()
        while True:
            try:
                obj, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as e:
                if self.more():
                    continue
                raise self.stop(e.msg, e.pos) from None
            except RecursionError:
                raise self.stop("nested too deeply") from None
            except ValueError:  # int() of thousands of digits: the in-memory reader's words
                raise self.stop("number out of range") from None
            if end == len(self.text) and self.more():
                continue  # a number may go on in the next chunk
            self.pos = end
            return obj


def _last_cut(text: str, start: int, end: int) -> re.Match[str] | None:
    """The last ``}`` ``,`` ``{`` between ``start`` and ``end``: a likely row boundary."""
    brace = text.rfind("}", start, end)
    while brace >= start:
        match = _CUT.match(text, brace)
        if match is not None:
            return match
        brace = text.rfind("}", start, brace)
    return None


class _Reader:
    """Parses the document, feeding observations to the store a batch at a time."""

    def __init__(self, text: _Text) -> None:
        self.text = text
        self.problems = ProblemList()
        self.builder: StoreBuilder | None = StoreBuilder()  # None after a problem
        self.negatives: list[Negative] = []  # judged once the metrics are known
        self.rows = 0  # observations seen so far
        self.repeats: list[Problem] = []  # keys written twice in one object

    def document(self) -> dict[str, Any]:
        """Every member of the top-level object but the observations array."""
        text = self.text
        if text.next_char() == "":
            raise _StopError(Problem.at("$", "the file is empty", "Tệp rỗng"))
        text.expect("{", "'{' at the start of a dataset document")
        head: dict[str, Any] = {}
        names: list[str] = []
        if text.next_char() == "}":
            text.pos += 1
        else:
            while True:
                key = text.value()
                if not isinstance(key, str):
                    raise text.stop("expected a member name")
                text.expect(":", "':'")
                if key in names and names.count(key) == 1:
                    self.repeats.append(repeated_key_problem("$", key))
                names.append(key)
                if key == "observations" and text.next_char() == "[":
                    text.pos += 1
                    self.observations()
                else:
                    head[key] = value = text.value()
                    self.repeated(value, f"$.{key}")
                if text.expect(",}", "',' or '}'") == "}":
                    break
        if text.next_char() != "":
            raise text.stop("extra data after the document")
        return head

    def repeated(self, value: object, path: str) -> None:
        """Note the repeated keys in ``value``, parsed by the decoder, found at ``path``."""
        self.repeats.extend(repeated_key_problem(*found) for found in repeated_in(value, path))

    def observations(self) -> None:
        """Read the observations array, after its ``[``, up to and with its ``]``."""
        text = self.text
        if text.next_char() == "]":
            text.pos += 1
            return
        pending: list[Any] = []
        single_until = 0  # after a cut that was no row boundary, read rows singly up to it
        while True:
            if text.offset + text.pos >= single_until:
                while len(text.text) - text.pos < _BATCH and text.more():
                    pass
                last = _last_cut(text.text, text.pos, text.pos + _BATCH)
                if last is not None:
                    if self.batch(text.text[text.pos : last.start() + 1], pending):
                        text.pos = last.end()
                        continue
                    single_until = text.offset + last.end()
            pending.append(value := text.value())
            self.repeated(value, f"$.observations[{self.rows + len(pending) - 1}]")
            if text.expect(",]", "',' or ']' after an observation") == "]":
                self.singles(pending)
                return

    def batch(self, piece: str, pending: list[Any]) -> bool:
        """Validate and store the rows in ``piece``; ``False`` if it is not JSON."""
        try:
            rows = ROWS.validate_json(f"[{piece}]")
        except ValidationError as e:
            if any(error["type"] == "json_invalid" for error in e.errors()):
                return False
            self.singles(pending)
            rows = _DECODER.decode(f"[{piece}]")
            for i, row in enumerate(rows):
                self.repeated(row, f"$.observations[{self.rows + i}]")
            self.singles(rows)
            return True
        self.singles(pending)
        if members_written(piece) != rows_kept(rows):
            for path, name in repeated_keys(f"[{piece}]"):
                index, _, rest = path[2:].partition("]")
                at = f"$.observations[{self.rows + int(index)}]{rest}"
                self.repeats.append(repeated_key_problem(at, name))
        self.feed(rows, range(self.rows, self.rows + len(rows)))
        self.rows += len(rows)
        return True

    def singles(self, raws: list[Any]) -> None:
        """Validate and store rows parsed one by one (then ``raws`` is emptied)."""
        shaped: list[ObservationRow] = []
        numbers: list[int] = []
        for raw in raws:
            try:
                shaped.append(ROW.validate_python(raw))
            except ValidationError as e:
                self.problems.extend(problems_from(e, f"$.observations[{self.rows}]"))
                self.builder = None
            else:
                numbers.append(self.rows)
            self.rows += 1
        raws.clear()
        self.feed(shaped, numbers)

    def feed(self, rows: list[ObservationRow], numbers: Sequence[int]) -> None:
        if not rows:
            return
        found: list[Problem] = []
        # After a problem the rows are still checked, in a builder thrown away.
        builder = StoreBuilder() if self.builder is None else self.builder
        append_rows(builder, rows, found, numbers, self.negatives)
        if found:
            self.problems.extend(found)
            self.builder = None


def load_stream(
    path: Path, size: int, *, progress: bool | None = None
) -> tuple[DatasetDocument, Gazetteer, ObservationStore]:
    """Read the dataset in ``path`` (``size`` bytes) in chunks; see :meth:`Dataset.load`.

    Returns:
        The document without its observations, its gazetteer, and the observations.

    Raises:
        DatasetLoadError: As :meth:`Dataset.load <antq_core.Dataset.load>`, listing the
            first :data:`~antq_core.errors.MAX_LISTED_PROBLEMS` problems and counting the rest.
        OSError: The file cannot be read (the caller reports it).
    """
    source = str(path)
    with (
        path.open("rb") as file,
        progress_bar(size, path.name, enabled=progress) as update,
        gc_paused(),
    ):
        found = encoding_problem(file.read(64))
        if found is not None:
            raise DatasetLoadError(source, [found])
        file.seek(0)
        if file.read(3) != UTF8_BOM:
            file.seek(0)
        reader = _Reader(_Text(file, update))
        try:
            head = reader.document()
        except _StopError as e:
            listed = reader.problems
            listed.extend([e.problem])
            kept = [*reader.repeats, *listed.kept]
            raise DatasetLoadError(source, kept, omitted=listed.omitted) from None
    shell = {"observations": [], **head}
    problems: list[Problem] = []
    try:
        doc = DOCUMENT.validate_python(shell)
    except ValidationError as e:
        problems.extend(every_problem(shell, e, source))
        signed = signed_metrics(_readable_metrics(head.get("metrics")))
    else:
        gazetteer = check_document(doc, source, problems)
        signed = signed_metrics(doc.metrics)
    # The metrics may come after the observations: signs are judged once both are read.
    for found in sign_problems(reader.negatives, signed):
        reader.problems.add(found)
        reader.builder = None
    if problems or reader.problems or reader.builder is None or reader.repeats:
        listed = reader.problems
        kept = sorted_by_row(listed.kept)
        raise DatasetLoadError(source, [*reader.repeats, *problems, *kept], omitted=listed.omitted)
    return doc, gazetteer, reader.builder.build()


def _readable_metrics(raw: object) -> list[MetricDefinition]:
    """The metrics of a document whose head did not validate: those that do on their own."""
    found = []
    for item in raw if isinstance(raw, list) else ():
        try:
            found.append(MetricDefinition.model_validate(item))
        except ValidationError:
            continue
    return found
