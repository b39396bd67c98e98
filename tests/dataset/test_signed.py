"""Signed metrics: change figures may be negative, every other figure never is (issue 11).

Worked cases from data made up here (a change of poppy area between two
seasons, "giảm khoảng 3.000 m² so với niên vụ trước"), not the sample's.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antq_core import (
    AdminUnit,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    MetricDefinition,
    Observation,
    Quantity,
    Submission,
    aggregate,
    validate,
)
from antq_core.errors import (
    DatasetLoadError,
    QuantityError,
    QuantityParseError,
    TabularLoadError,
)
from antq_core.text import format_phrase, format_quantity, parse_phrase, parse_quantity

GAZ = Gazetteer(
    "signed-test",
    [
        AdminUnit(code="01", name="Tỉnh Một", level="province"),
        AdminUnit(code="001", name="Huyện Một", level="district", parent="01"),
        AdminUnit(code="002", name="Huyện Hai", level="district", parent="01"),
        AdminUnit(code="003", name="Huyện Ba", level="district", parent="01"),
    ],
)
CHANGE = MetricDefinition(
    id="poppy_area_change",
    name_vi="Diện tích trồng cây có chất ma tuý tăng, giảm so với niên vụ trước",
    name_en="Change in poppy area from the previous season",
    unit="m2",
    kind="flow",
    signed=True,
)
AREA = MetricDefinition(
    id="poppy_area", name_vi="Diện tích phát hiện", name_en="Area found", unit="m2", kind="flow"
)
META = DatasetMetadata(title_vi="Thử số liệu tăng giảm")


def _dataset(observations: list[Observation]) -> Dataset:
    return Dataset(gazetteer=GAZ, metadata=META, metrics=[CHANGE, AREA], observations=observations)


def _obs(metric: str, unit: str, value: int | Decimal, qualifier: str = "exact") -> Observation:
    return Observation(
        metric=metric,
        subject=f"unit:{unit}",
        period="2024",
        value=value,
        unit="m2",
        qualifier=qualifier,
    )


def test_a_signed_metric_is_a_flow_or_a_stock() -> None:
    with pytest.raises(ValueError, match="only a flow or a stock may be signed"):
        MetricDefinition(
            id="x", name_vi="x", name_en="x", unit="person", kind="distinct", signed=True
        )
    assert not AREA.signed


def test_a_signed_change_is_summed_with_its_sign_and_qualifier() -> None:
    ds = _dataset(
        [
            _obs("poppy_area_change", "001", -3000, "approximately"),
            _obs("poppy_area_change", "002", 500),
            _obs("poppy_area_change", "003", -200),
        ]
    )
    assert [i.code for i in validate(ds).issues if i.severity.value == "error"] == []
    (row,) = aggregate(ds, ["poppy_area_change"], by=["province"]).rows
    assert row.quantity == Quantity(-2700, "m2", "approximately", signed=True)
    assert row.observations == 3


def test_a_bound_on_a_decrease_reaches_below_zero() -> None:
    # "giảm hơn 3.000 m²": at most -3,000; with "tăng 500": at most -2,500 in all.
    ds = _dataset(
        [
            _obs("poppy_area_change", "001", -3000, "at_most"),
            _obs("poppy_area_change", "002", 500),
        ]
    )
    (row,) = aggregate(ds, ["poppy_area_change"], by=["province"]).rows
    assert row.quantity == Quantity(-2500, "m2", "at_most", signed=True)


def test_negative_values_of_other_metrics_stay_refused_with_a_location(tmp_path: Path) -> None:
    ds = _dataset([_obs("poppy_area_change", "001", -3000), _obs("poppy_area", "002", -5)])
    issues = [i for i in validate(ds).issues if i.code == "value-invalid"]
    assert [i.where.path for i in issues] == ["$.observations[1].value"]
    document = ds.to_dict()
    with pytest.raises(DatasetLoadError) as info:
        Dataset.from_dict(document)
    assert [p.location.path for p in info.value.problems] == ["$.observations[1].value"]
    assert "poppy_area" in info.value.problems[0].message_en
    # The streaming reader, with the metrics after the observations, says the same.
    reordered: dict[str, Any] = {"observations": document["observations"]}
    reordered |= {k: v for k, v in document.items() if k != "observations"}
    path = tmp_path / "late-metrics.json"
    path.write_text(json.dumps(reordered), encoding="utf-8")
    with pytest.raises(DatasetLoadError) as streamed:
        Dataset.load(path, stream=True)
    assert streamed.value.problems == info.value.problems


def test_a_signed_dataset_round_trips(tmp_path: Path) -> None:
    ds = _dataset(
        [_obs("poppy_area_change", "001", Decimal("-3000.5")), _obs("poppy_area", "002", 7)]
    )
    path = tmp_path / "signed.json"
    ds.dump(path)
    for stream in (False, True):
        again = Dataset.load(path, stream=stream)
        assert list(again.observations) == list(ds.observations)
        assert again.metrics["poppy_area_change"].signed
    assert ds.observations[0].quantity == Quantity(Decimal("-3000.5"), "m2", signed=True)


def test_a_negative_quantity_must_say_it_is_signed() -> None:
    with pytest.raises(QuantityError, match="cannot be negative"):
        Quantity(-1, "m2")
    assert Quantity(-1, "m2", signed=True) + Quantity(3, "m2") == Quantity(2, "m2", signed=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "giảm khoảng 3.000 m² so với niên vụ trước",
            Quantity(-3000, "m2", "approximately", signed=True),
        ),
        ("giảm hơn 3.000 m²", Quantity(-3000, "m2", "at_most", signed=True)),
        ("giảm gần 0,8 ha", Quantity(Decimal("-0.8"), "ha", "at_least", signed=True)),
        ("tăng 5 vụ", Quantity(5, "case", signed=True)),
    ],
)
def test_change_phrases_are_read_and_written_back(text: str, expected: Quantity) -> None:
    phrase = parse_phrase(text, signed=True)
    assert phrase.quantity == expected
    assert format_phrase(phrase) == text.replace("m2", "m²")
    assert parse_quantity(format_quantity(expected), signed=True) == expected


def test_a_change_phrase_needs_a_signed_metric() -> None:
    with pytest.raises(QuantityParseError, match="signed"):
        parse_quantity("giảm 3.000 m²")


@given(
    st.lists(
        st.tuples(st.sampled_from(["001", "002", "003"]), st.integers(-(10**20), 10**20)),
        min_size=1,
        max_size=3,
        unique_by=lambda t: t[0],
    )
)
def test_signed_sums_are_exact(figures: list[tuple[str, int]]) -> None:
    ds = _dataset([_obs("poppy_area_change", u, v) for u, v in figures])
    (row,) = aggregate(ds, ["poppy_area_change"], by=["province"]).rows
    assert row.quantity is not None
    assert row.quantity.value == sum(v for _, v in figures)
    assert row.observations == len(figures)


@given(
    st.integers(-(10**25), -1)
    | st.decimals(max_value=Decimal("-0.001"), places=3, allow_nan=False),
    st.integers(0, 5),
)
def test_a_negative_value_of_a_metric_not_signed_is_always_located(
    value: int | Decimal, position: int
) -> None:
    rows = [_obs("poppy_area", "001", i + 1).model_dump(mode="json") for i in range(6)]
    for i, row in enumerate(rows):
        row["period"] = str(2010 + i)
    rows[position]["value"] = value if isinstance(value, int) else format(value, "f")
    document = _dataset([]).to_dict() | {"observations": rows}
    with pytest.raises(DatasetLoadError) as info:
        Dataset.from_dict(document)
    assert [p.location.path for p in info.value.problems] == [f"$.observations[{position}].value"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_tables_keep_signed_values_and_refuse_the_others(tmp_path: Path, fmt: str) -> None:
    if fmt == "xlsx":
        pytest.importorskip("openpyxl")
    from antq_core.io.tabular import export_tabular, read_tabular

    ds = _dataset([_obs("poppy_area_change", "001", -3000, "approximately")])
    out = tmp_path / f"signed.{fmt}" if fmt == "xlsx" else tmp_path / "signed"
    export_tabular(ds, out, format=fmt)
    again = read_tabular(out)
    assert list(again.observations) == list(ds.observations)
    bad = Dataset(
        gazetteer=GAZ,
        metadata=META,
        metrics=[CHANGE, CHANGE.evolve(id="poppy_area", signed=False)],
        observations=[_obs("poppy_area", "001", -3000)],
    )
    bad_out = tmp_path / f"bad.{fmt}" if fmt == "xlsx" else tmp_path / "bad"
    export_tabular(bad, bad_out, format=fmt)
    with pytest.raises(TabularLoadError) as info:
        read_tabular(bad_out)
    (problem,) = info.value.problems
    assert "not declared signed" in problem.message_en
    assert problem.location.row is not None


def test_reports_of_one_change_agree_when_their_intervals_meet() -> None:
    # "giảm hơn 3.000 m²" is (-inf, -3000]: it holds -3,500, so the two agree.
    ds = _dataset(
        [
            _obs("poppy_area_change", "001", -3000, "at_most"),
            _obs("poppy_area_change", "001", -3500),
        ]
    )
    codes = {i.code for i in validate(ds).issues}
    assert "approximately-duplicate-observation" in codes
    assert "conflicting-observations" not in codes


def test_apply_accepts_a_signed_metrics_negative_value_as_the_loader_does(
    tmp_path: Path,
) -> None:
    base = _dataset([])
    sub = Submission.model_validate(
        {
            "subject": "unit:001",
            "period": "2024",
            "items": [
                {"metric": "poppy_area_change", "value": -3000, "qualifier": "approximately"},
                {"metric": "poppy_area", "value": -5},
            ],
        }
    )
    applied, summary = base.apply(sub, now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert summary.imported == 1
    assert [c.code for c in summary.conflicts] == ["invalid_value"]
    assert summary.conflicts[0].locations[0].path == "$.items[1].value"
    assert applied is not None
    (stored,) = list(applied.observations)
    assert stored.value == -3000
    assert stored.metric == "poppy_area_change"
    # The loader agrees: the applied dataset's document reads back the same figure.
    path = tmp_path / "applied.json"
    applied.dump(path)
    for stream in (False, True):
        assert list(Dataset.load(path, stream=stream).observations) == [stored]
