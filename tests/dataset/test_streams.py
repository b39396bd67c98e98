"""Large files: reading JSON in chunks, progress bars, and the first 1,000 problems."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from antq_core import Dataset, Observation
from antq_core._dataset.stream import MAX_LISTED_PROBLEMS
from antq_core.errors import DatasetLoadError
from antq_core.io.tabular import export_tabular, read_tabular
from antq_core.testing.strategies import datasets


def _stream(path: Path, **options: Any) -> Dataset:
    return Dataset.load(path, stream=True, progress=False, **options)


def _many(lai_chau: Dataset, n: int, note: str | None = None) -> Dataset:
    template = next(iter(lai_chau.observations))
    rows = [
        template.model_copy(update={"value": i, "note": note if i % 7 == 0 else None})
        for i in range(n)
    ]
    return lai_chau.replace(observations=rows)


def test_chunked_read_of_the_sample(lai_chau: Dataset, tmp_path: Path) -> None:
    lai_chau.dump(tmp_path / "d.json")
    assert _stream(tmp_path / "d.json") == lai_chau


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(max_observations=30))
def test_chunked_read_equals_the_whole_read(dataset: Dataset) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.json"
        dataset.dump(path)
        assert _stream(path) == Dataset.from_json(path.read_bytes())


def test_batches_larger_than_a_chunk_and_notes_that_look_like_row_ends(
    lai_chau: Dataset, tmp_path: Path
) -> None:
    # 60,000 rows span several reads and batches; the note holds '}, {' so some
    # cuts fall inside a string and those rows are read one by one.
    dataset = _many(lai_chau, 60_000, note='a note with "}, {" inside')
    path = tmp_path / "big.json"
    dataset.dump(path)
    loaded = _stream(path)
    assert len(loaded.observations) == 60_000
    assert loaded == dataset


def test_observations_before_the_entities_and_compact_json(
    lai_chau: Dataset, tmp_path: Path
) -> None:
    document = lai_chau.to_dict(include_sensitive=True)
    reordered = {"observations": document.pop("observations"), **document}
    path = tmp_path / "d.json"
    path.write_text(json.dumps(reordered, ensure_ascii=False, separators=(",", ":")))
    assert _stream(path) == lai_chau


def test_first_thousand_problems_and_the_count_of_the_rest(
    lai_chau: Dataset, tmp_path: Path
) -> None:
    document = _many(lai_chau, 1500).to_dict()
    for row in document["observations"]:
        row["unit"] = "bogus"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(DatasetLoadError) as info:
        _stream(path)
    assert len(info.value.problems) == MAX_LISTED_PROBLEMS
    assert info.value.omitted == 500
    assert info.value.problems[0].location == "$.observations[0].unit"
    assert "1500 problems" in str(info.value)
    with pytest.raises(DatasetLoadError) as whole:
        Dataset.from_json(path.read_bytes())
    assert whole.value.problems[:MAX_LISTED_PROBLEMS] == info.value.problems


def test_shape_problems_and_entity_problems(lai_chau: Dataset, tmp_path: Path) -> None:
    document = lai_chau.to_dict()
    document["observations"][2]["value"] = [1]
    document["observations"][3]["colour"] = "red"
    document["sites"][0]["id"] = "not an id!"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    with pytest.raises(DatasetLoadError) as info:
        _stream(path)
    locations = {p.location for p in info.value.problems}
    assert "$.sites[0].id" in locations
    assert "$.observations[2].value" in locations
    assert "$.observations[3].colour" in locations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"", "empty"),
        (b"[1, 2]", "expected '{'"),
        (b'{"format": "antq-dataset", "observations": [{"a": 1} {"b": 2}]}', "line 1"),
        (b'{"format": "antq-dataset"} trailing', "extra data"),
        (b'{"format": "antq-dataset",\n "metadata": tru', "line 2"),
        (b'{"format": "antq-dataset", 5: 1}', "member name"),
        (b'{"observations": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}", "nested"),
    ],
)
def test_json_that_cannot_be_read_on(tmp_path: Path, text: bytes, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(text)
    with pytest.raises(DatasetLoadError) as info:
        _stream(path)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ('{"format": "antq-dataset"}'.encode("utf-16"), "UTF-16"),
        ('{"format": "antq-dataset"}'.encode("utf-32"), "UTF-32"),
        ('{"format": "antq-dataset"}'.encode("utf-16-le"), "UTF-16"),
        (
            '{"metadata": {"title_vi": "Lai Châu"}}'.encode().replace(b"\xc3\xa2", b"\xe2"),
            "UTF-8",
        ),
    ],
)
def test_wrong_encodings_are_named(tmp_path: Path, data: bytes, name: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(data)
    with pytest.raises(DatasetLoadError) as info:
        _stream(path)
    assert name in str(info.value)


def test_utf8_with_a_byte_order_mark(lai_chau: Dataset, tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + lai_chau.dumps(include_sensitive=True).encode())
    assert _stream(path) == lai_chau


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetLoadError) as info:
        Dataset.load(tmp_path / "absent.json", stream=True)
    assert "cannot read" in str(info.value)


def test_progress_on_stderr(
    lai_chau: Dataset, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "d.json"
    lai_chau.dump(path)
    assert Dataset.load(path, stream=True, progress=True) == lai_chau
    captured = capsys.readouterr()
    assert captured.out == ""


def test_plain_progress_without_rich(
    lai_chau: Dataset, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    monkeypatch.setitem(sys.modules, "rich.progress", None)  # as if the [cli] extra were absent
    path = tmp_path / "d.json"
    lai_chau.dump(path)
    assert Dataset.load(path, stream=True, progress=True) == lai_chau
    err = capsys.readouterr().err
    assert "d.json: 100%" in err


def test_no_progress_when_not_a_terminal(
    lai_chau: Dataset, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "d.json"
    lai_chau.dump(path)
    assert Dataset.load(path, stream=True) == lai_chau  # pytest's stderr is no terminal
    assert capsys.readouterr().err == ""


def test_csv_import_of_many_rows_with_progress(
    lai_chau: Dataset, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    monkeypatch.setitem(sys.modules, "rich.progress", None)
    dataset = _many(lai_chau, 70_000)
    export_tabular(dataset, tmp_path / "c", "csv", include_sensitive=True)
    assert read_tabular(tmp_path / "c", progress=True) == dataset
    assert "observations.csv: 100%" in capsys.readouterr().err


def test_a_dataset_of_observations_only_is_not_a_partial_one(
    lai_chau: Dataset, tmp_path: Path
) -> None:
    document = lai_chau.to_dict()
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"observations": document["observations"]}))
    with pytest.raises(DatasetLoadError) as info:
        _stream(path)
    assert {"$.format", "$.metadata", "$.gazetteer"} <= {p.location for p in info.value.problems}


def test_observation_view_is_unchanged(lai_chau: Dataset, tmp_path: Path) -> None:
    lai_chau.dump(tmp_path / "d.json")
    loaded = _stream(tmp_path / "d.json")
    assert all(isinstance(o, Observation) for o in loaded.observations)
    assert loaded.observations.columns().exact == lai_chau.observations.columns().exact
