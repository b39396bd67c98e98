"""The streaming reader and the in-memory reader agree on every document.

Generated datasets are dumped to JSON, sometimes mutated (a key written twice,
a bad value, the metrics moved after the observations), and read by both
readers (``stream=True`` and ``stream=False``): both give the same dataset,
or both refuse it with the same problems (paths and messages).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antq_core import Dataset
from antq_core.errors import DatasetLoadError
from antq_core.testing.strategies import datasets


def _read(path: Path, *, stream: bool) -> Dataset | list[str]:
    try:
        return Dataset.load(path, stream=stream, progress=False)
    except DatasetLoadError as e:
        return sorted(f"{p.location.path} {p.message_en} / {p.message_vi}" for p in e.problems)


def _repeat_a_key(text: str, draw: st.DrawFn) -> str:
    """Write one member of some object twice (the copy first, with another value)."""
    names = [i for i in range(len(text)) if text.startswith('":', i)]
    at = draw(st.sampled_from(names))
    start = text.rindex('"', 0, at) + 1
    while text[start - 2] == "\\":  # an escaped quote: not the start of the name
        start = text.rindex('"', 0, start - 1) + 1
    name = text[start - 1 : at + 1]
    value = draw(st.sampled_from(['"x"', "0", "null", "[]", "{}"]))
    return f"{text[: start - 1]}{name}:{value},{text[start - 1 :]}"


@st.composite
def documents(draw: st.DrawFn) -> str:
    dataset = draw(datasets(max_observations=8))
    doc: dict[str, Any] = dataset.to_dict(include_sensitive=True)
    mutation = draw(st.sampled_from(["none", "repeat", "value", "metrics last", "all"]))
    if mutation in ("value", "all") and doc["observations"]:
        row = draw(st.sampled_from(doc["observations"]))
        field = draw(st.sampled_from(sorted(row)))
        row[field] = draw(st.sampled_from([None, -1, "", "1e400", 1.5, True, {}]))
    if mutation in ("metrics last", "all"):
        doc["metrics"] = doc.pop("metrics", [])
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    if mutation in ("repeat", "all"):
        text = _repeat_a_key(text, draw)
    return text


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(documents())
def test_the_streaming_and_in_memory_readers_agree(tmp_path: Path, text: str) -> None:
    path = tmp_path / "doc.json"
    path.write_text(text, encoding="utf-8")
    in_memory = _read(path, stream=False)
    streamed = _read(path, stream=True)
    assert in_memory == streamed
