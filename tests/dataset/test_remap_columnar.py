"""``Crosswalk.remap`` rewrites observations a column at a time: the same result as model by model.

The reference below is the previous implementation (issue 13): every observation
rewritten as a model (``model_copy``), the figures of different old units on one new
key added up by a pass over every model, and a new store built from the models.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from antq_core import (
    AdminLevel,
    AdminUnit,
    Crosswalk,
    CrosswalkEntry,
    CrosswalkRelationship,
    CrosswalkSource,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    MetricDefinition,
    Observation,
    Qualifier,
    Quantity,
    SubjectKind,
    SubjectRef,
)
from antq_core._dataset import crosswalk as crosswalk_module
from antq_core._dataset.crosswalk import OnSplit, _joined, _Remapper
from antq_core.errors import InvalidValueError, SplitUnitError

OLD = [f"0{n}" for n in range(1001, 1007)]
NEW = ["02001", "02002", "02003"]
SHARES = {
    2: [Decimal("0.25"), Decimal("0.75")],
    3: [Decimal("0.2"), Decimal("0.3"), Decimal("0.5")],
}
METRICS = [
    MetricDefinition(id="cases", name_vi="Vụ việc", name_en="Cases", unit="case", kind="flow"),
    MetricDefinition(id="area", name_vi="Diện tích", name_en="Area", unit="m2", kind="stock"),
]


def _reference(r: _Remapper) -> list[Observation]:  # noqa: PLR0915
    """The observations as the previous, model-by-model implementation remapped them."""
    store = r.ds.observations
    subjects: dict[SubjectRef, tuple[SubjectRef, Any] | None] = {}
    for subject in store.subjects:
        if subject.kind is SubjectKind.UNIT:
            p = r.place(subject.id)
            subjects[subject] = (SubjectRef(SubjectKind.UNIT, p.codes[0]), p)
        else:
            subjects[subject] = None
    out: list[Observation] = []
    origins: list[str | None] = []
    for o in store:
        moved = subjects[o.subject]
        if moved is None:
            out.append(o)
            origins.append(None)
            continue
        if r.on_split == "apportion" and o.subject.kind is SubjectKind.UNIT:
            e = r.cw.entry(o.subject.id)
            if e.shares is not None:
                parts = r._apportioned(o, e, e.shares)
                out.extend(parts)
                origins.extend([o.subject.id] * len(parts))
                continue
        origins.append(o.subject.id)
        subject, p = moved
        update: dict[str, Any] = {"subject": subject}
        if p.remark is not None:
            remark = p.remark
            if p.approximate and o.qualifier is not Qualifier.APPROXIMATELY:
                update["qualifier"] = Qualifier.APPROXIMATELY
                remark += f" Its qualifier was {o.qualifier.value!r}."
            update["note"] = _joined(o.note, remark)
        out.append(o.model_copy(update=update))
    if not r.combine:
        return out
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, o in enumerate(out):
        if origins[i] is not None:
            groups.setdefault(
                (o.metric, o.subject, o.period, o.unit, o.disaggregation), []
            ).append(i)
    replaced: dict[int, Observation | None] = {}
    for members in groups.values():
        olds = [origins[i] for i in members]
        if len(members) < 2 or len(set(olds)) < len(olds):
            continue
        parts_ = [out[i] for i in members]
        total = Quantity(parts_[0].value, parts_[0].unit, parts_[0].qualifier)
        for o in parts_[1:]:
            total = total + Quantity(o.value, o.unit, o.qualifier)
        listed = ", ".join(f"{r._name(olds[k] or '')}: {o.value}" for k, o in enumerate(parts_))
        remark = (
            f"Sum of the figures of units that merged on {r.cw.effective} "
            f"({listed}; crosswalk {r.cw.id})."
        )
        sources = {o.source for o in parts_}
        first = parts_[0]
        replaced[members[0]] = first.model_copy(
            update={
                "value": total.value,
                "qualifier": total.qualifier,
                "source": first.source if len(sources) == 1 else None,
                "note": _joined(None, "\n\n".join([*(o.note for o in parts_ if o.note), remark])),
            }
        )
        replaced.update(dict.fromkeys(members[1:]))
    result: list[Observation] = []
    for i, o in enumerate(out):
        if i not in replaced:
            result.append(o)
        elif (r_ := replaced[i]) is not None:
            result.append(r_)
    return result


@st.composite
def _crosswalks(draw: st.DrawFn) -> Crosswalk:
    entries = [
        CrosswalkEntry("99", ("99",), CrosswalkRelationship.SAME, "law"),
        CrosswalkEntry("901", ("99",), CrosswalkRelationship.DISSOLVED, "law"),
    ]
    for code in OLD:
        if draw(st.booleans()):
            parts = draw(st.lists(st.sampled_from(NEW), min_size=2, max_size=3, unique=True))
            shares = dict(zip(parts, SHARES[len(parts)], strict=True))
            entries.append(
                CrosswalkEntry(
                    code,
                    tuple(parts),
                    CrosswalkRelationship.SPLIT,
                    "law",
                    largest=draw(st.none() | st.sampled_from(parts)),
                    default=draw(st.none() | st.sampled_from(parts)),
                    shares=draw(st.none() | st.just(shares)),
                )
            )
        else:
            to = (draw(st.sampled_from(NEW)),)
            entries.append(CrosswalkEntry(code, to, CrosswalkRelationship.MERGE, "law"))
    return Crosswalk(
        "test",
        entries,
        target=Gazetteer(
            "new",
            [AdminUnit("99", "Tỉnh", "province")]
            + [AdminUnit(c, f"Xã {c}", "commune", "99") for c in NEW],
            valid_from=dt.date(2025, 7, 1),
        ),
        from_version="old",
        effective=dt.date(2025, 7, 1),
        sources=[CrosswalkSource(id="law", title="A resolution")],
    )


_VALUES = st.integers(0, 10**6) | st.integers(2**63, 2**65)
_DECIMALS = _VALUES | st.decimals(0, 10**4, places=3, allow_nan=False, allow_infinity=False)


@st.composite
def _datasets(draw: st.DrawFn) -> Dataset:
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["99", "901", *OLD]),
                st.sampled_from(METRICS),
                st.sampled_from(["2017", "2018"]),
                st.data(),
                st.sampled_from(list(Qualifier)),
                st.sampled_from([None, "ghi chú", "a note"]),
                st.sampled_from([None, "src-a", "src-b"]),
            ),
            max_size=30,
        )
    )
    observations = [
        Observation(
            metric=m.id,
            subject=f"unit:{code}",
            period=period,
            unit=m.unit,
            value=data.draw(_VALUES if m.id == "cases" else _DECIMALS),
            qualifier=q,
            note=note,
            source=source,
        )
        for code, m, period, data, q, note, source in rows
    ]
    units = [AdminUnit("99", "Tỉnh", "province"), AdminUnit("901", "Huyện", "district", "99")]
    units += [AdminUnit(c, f"Xã {c}", "commune", "901") for c in OLD]
    return Dataset(
        gazetteer=Gazetteer("old", units),
        metadata=DatasetMetadata(title_vi="Thử", province="99"),
        metrics=METRICS,
        observations=observations,
    )


@settings(max_examples=150)
@given(
    _crosswalks(),
    _datasets(),
    st.sampled_from(["refuse", "approximate", "apportion"]),
    st.booleans(),
)
def test_the_columnar_remap_equals_the_model_by_model_one(
    cw: Crosswalk, ds: Dataset, on_split: OnSplit, combine: bool
) -> None:
    reference = _Remapper(cw, ds, on_split, combine=combine)
    try:
        reference.check()
        expected: list[Observation] | type[Exception] = _reference(reference)
    except (SplitUnitError, InvalidValueError) as e:
        expected = type(e)
    if isinstance(expected, type):
        with pytest.raises(expected):
            cw.remap(ds, on_split=on_split, combine=combine)
        return
    before = list(ds.observations)
    new = cw.remap(ds, on_split=on_split, combine=combine).observations
    assert list(new) == expected
    # Large stores recode with numpy (when installed): the same rows, whether the rows'
    # (subject, qualifier, note) keys are tabled densely or sorted.
    with mock.patch.object(crosswalk_module, "NUMPY_ROWS", 0):
        assert list(cw.remap(ds, on_split=on_split, combine=combine).observations) == expected
        with mock.patch.object(crosswalk_module, "_DENSE_KEYS", -(10**9)):
            remapped = cw.remap(ds, on_split=on_split, combine=combine)
            assert list(remapped.observations) == expected
    # The new store shares the columns it keeps with the old one: nothing wrote to them.
    assert list(ds.observations) == before
    cols = new.columns()
    assert len(cols) == len(expected)
    assert [cols.subjects[s] for s in cols.subject] == [o.subject for o in expected]
    # Every table value is used by some row (engines list the tables).
    assert set(cols.subjects) == {o.subject for o in expected}
    texts = {o.note for o in expected} | {o.source for o in expected} | {None}
    assert set(cols.texts) == texts
    assert len(set(new.subjects)) == len(new.subjects)
    assert all(u.level is not AdminLevel.DISTRICT for u in cw.target)
