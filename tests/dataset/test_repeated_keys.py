"""A key written twice in one JSON object is refused by both readers, at the same place.

Each file in ``tests/corpus/repeats/`` is a dataset document with repeated
keys; ``expected.json`` gives, for each, the JSON path of every object that
repeats a key and the key. The in-memory reader and the streaming reader must
both refuse the file with those problems (and the same other problems).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import antq_core
from antq_core import Dataset
from antq_core.errors import DatasetLoadError

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "repeats"
EXPECTED: dict[str, list[list[str]]] = json.loads((CORPUS / "expected.json").read_text())
CASES = sorted(p for p in CORPUS.glob("*.json") if p.name != "expected.json")


def _refusal(path: Path, *, stream: bool) -> DatasetLoadError:
    with pytest.raises(DatasetLoadError) as caught:
        Dataset.load(path, stream=stream, progress=False)
    return caught.value


def _repeats(error: DatasetLoadError) -> list[list[str]]:
    found = []
    for problem in error.problems:
        if "written more than once" in problem.message_en:
            assert "xuất hiện nhiều lần" in problem.message_vi
            key = problem.message_en.split("'")[1]
            found.append([problem.location.path or "", key])
    return found


def test_every_case_has_its_expectation() -> None:
    assert {p.name for p in CASES} == set(EXPECTED)
    assert len(CASES) >= 5


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_both_readers_refuse_repeated_keys(path: Path) -> None:
    in_memory = _refusal(path, stream=False)
    streamed = _refusal(path, stream=True)
    assert sorted(_repeats(in_memory)) == sorted(EXPECTED[path.name])
    assert sorted(_repeats(streamed)) == sorted(EXPECTED[path.name])
    assert sorted(map(str, in_memory.problems)) == sorted(map(str, streamed.problems))


def test_from_json_refuses_a_repeated_key_in_a_nested_object() -> None:
    text = antq_core.sample().dumps()
    at = text.index('"disaggregation":{') + len('"disaggregation":{')
    key = text[at : text.index('"', at + 1) + 1]
    doctored = f'{text[:at]}{key}:"x",{text[at:]}'
    with pytest.raises(DatasetLoadError) as caught:
        Dataset.from_json(doctored)
    (found,) = _repeats(caught.value)
    assert found[0].startswith("$.observations[")
    assert found[0].endswith("].disaggregation")
    assert found[1] == json.loads(key)


def test_a_key_quoted_inside_a_string_is_no_repeat() -> None:
    """Text that only looks like a repeated key (inside a note) is read as before."""
    dataset = antq_core.sample()
    doc = dataset.to_dict(include_sensitive=True)
    doc["observations"][0]["note"] = 'said "metric": twice, "metric":'
    noted = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    assert '\\"metric\\":' in noted
    loaded = Dataset.from_json(noted)
    assert len(loaded.observations) == len(dataset.observations)
    assert loaded.observations[0].note == 'said "metric": twice, "metric":'


def test_repeated_keys_in_a_large_batch_are_found_by_counting(tmp_path: Path) -> None:
    """Rows validated as one batch by the streaming reader: the count finds the repeat."""
    text = antq_core.sample().dumps()
    i = text.index('"observations":')
    rows = text[i:]
    last = rows.rindex('"unit":')
    doctored = text[:i] + rows[:last] + '"unit":"person",' + rows[last:]
    path = tmp_path / "late.json"
    path.write_text(doctored, encoding="utf-8")
    for stream in (False, True):
        error = _refusal(path, stream=stream)
        ((where, key),) = _repeats(error)
        assert key == "unit"
        assert where.startswith("$.observations[")
