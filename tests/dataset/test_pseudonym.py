"""pseudonymise(): keyed pseudonyms that replace participants' ids everywhere, consistently."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import antq_core
from antq_core import (
    Dataset,
    Observation,
    Participant,
    aggregate,
    validate,
)
from antq_core.errors import InvalidValueError
from antq_core.privacy import pseudonymise
from antq_core.testing import strategies as ats

KEY = b"a province's secret key, 32 b.."
OTHER_KEY = b"another province's key, 32 b..."
DISTINCT = "released_prisoners_supported_distinct"


def _supported(person: str, month: str) -> Observation:
    return Observation.model_validate(
        {
            "metric": DISTINCT,
            "subject": f"participant:{person}",
            "period": month,
            "unit": "person",
            "value": 1,
        }
    )


def _with_people(people: list[Participant], subjects: list[str]) -> Dataset:
    sample = antq_core.sample()
    observations = [*sample.observations]
    observations += [_supported(s, f"2017-{1 + i % 12:02d}") for i, s in enumerate(subjects)]
    return sample.replace(participants=people, observations=observations)


@pytest.fixture(scope="module")
def people() -> Dataset:
    """Four people, with names and identity numbers, and figures about them."""
    persons = [
        Participant(
            id=f"p-{n}",
            roles=["released_prisoner"],
            admin_unit="03589.01",
            full_name=f"Placeholder Person {n}",
            identity_number=f"{n:012d}",
            birth_date=dt.date(1980, 1, n),
        )
        for n in range(1, 5)
    ]
    # p-1 twice, p-4 never, and one id with no participant record.
    return _with_people(persons, ["p-1", "p-2", "p-1", "p-3", "p-unrecorded"])


def test_personal_fields_are_dropped_and_ids_replaced(people: Dataset) -> None:
    public = pseudonymise(people, KEY)
    assert len(public.participants) == len(people.participants)
    assert not any(p.has_sensitive_data for p in public.participants.values())
    assert not set(public.participants) & set(people.participants)
    text = public.dumps(include_sensitive=True)  # even asked for, nothing is left
    for person in people.participants.values():
        assert person.full_name is not None
        assert person.identity_number is not None
        assert person.full_name not in text
        assert person.identity_number not in text
        assert f'"{person.id}"' not in text
        assert f"participant:{person.id}" not in text
    assert "p-unrecorded" not in text
    assert people.participants["p-1"].full_name == "Placeholder Person 1"  # unchanged


def test_every_reference_follows_its_participant(people: Dataset) -> None:
    public = pseudonymise(people, KEY)
    mapping = {old: p.pseudonymised(KEY).id for old, p in people.participants.items()}
    for before, after in zip(people.observations, public.observations, strict=True):
        if before.subject.kind.value == "participant":
            if before.subject.id in mapping:
                assert after.subject.id == mapping[before.subject.id]
                assert after.subject.id in public.participants
            else:  # a subject with no record is mapped the same way
                assert after.subject.id.startswith("p-")
            assert after.model_dump(exclude={"subject"}) == before.model_dump(exclude={"subject"})
        else:
            assert after == before
    for old, new in mapping.items():
        person, renamed = people.participants[old], public.participants[new]
        assert renamed.model_dump(exclude={"id"}) == person.model_dump(exclude={"id"})


def test_figures_and_checks_are_the_same(people: Dataset) -> None:
    public = pseudonymise(people, KEY)
    for by in ([], ["district"], ["year"]):
        before = aggregate(people, [DISTINCT], by=by)
        after = aggregate(public, [DISTINCT], by=by)
        assert [(dict(r.keys), r.quantity) for r in after] == [
            (dict(r.keys), r.quantity) for r in before
        ]
    assert (
        aggregate(public, [DISTINCT]).rows[0].quantity
        == aggregate(people, [DISTINCT]).rows[0].quantity
    )
    assert validate(public).codes() == validate(people).codes()


def test_stable_for_one_key_and_unrelated_under_another(people: Dataset) -> None:
    once, again = pseudonymise(people, KEY), pseudonymise(people, KEY)
    assert once == again
    other = pseudonymise(people, OTHER_KEY)
    assert not set(other.participants) & set(once.participants)
    # Another dataset of the same owner: the same person, the same pseudonym.
    alone = people.replace(participants=[people.participants["p-2"]], observations=[])
    assert set(pseudonymise(alone, KEY).participants) <= set(once.participants)


@pytest.mark.parametrize("key", [b"", b"fifteen bytes!!", "a text key of 16 chars", None, 42])
def test_a_key_is_bytes_of_16_or_more(people: Dataset, key: Any) -> None:
    with pytest.raises(InvalidValueError) as info:
        pseudonymise(people, key)
    assert info.value.what == "pseudonym key"
    assert str(key) not in str(info.value) or key in (None, 42)  # a key is never echoed


def test_a_dataset_without_participants_is_shared_as_is() -> None:
    sample = antq_core.sample().replace(participants=[])
    public = pseudonymise(sample, KEY)
    assert public == sample
    assert public.observations is sample.observations


@given(
    st.lists(ats.participants(), max_size=6, unique_by=lambda p: p.id),
    st.lists(st.integers(0, 7), max_size=10),
    st.binary(min_size=16, max_size=48),
)
def test_pseudonyms_are_consistent_and_one_to_one(
    persons: list[Participant], picks: list[int], key: bytes
) -> None:
    ids = [p.id for p in persons] + ["p-nobody-a", "p-nobody-b"]
    subjects = [ids[i % len(ids)] for i in picks]
    dataset = _with_people(persons, subjects)
    public = pseudonymise(dataset, key)
    mapping: dict[str, str] = {}
    for before, after in zip(dataset.observations, public.observations, strict=True):
        if before.subject.kind.value == "participant":
            # One person, one pseudonym: never two for one id, never one for two ids.
            assert mapping.setdefault(before.subject.id, after.subject.id) == after.subject.id
    for person in persons:
        mapping.setdefault(person.id, person.pseudonymised(key).id)
        assert mapping[person.id] in public.participants
    assert len(set(mapping.values())) == len(mapping)
    assert not any(p.has_sensitive_data for p in public.participants.values())
    text = public.dumps(include_sensitive=True)
    # Text the dataset holds without any person (the sample's title names "Lai Châu")
    # cannot have come from one: a generated name equal to it proves nothing.
    without = _with_people([], []).dumps()
    for person in persons:
        for secret in (person.identity_number, person.full_name):
            if secret is not None and len(secret) >= 8 and secret not in without:
                assert secret not in text


def test_a_name_that_is_also_a_place_is_still_dropped() -> None:
    # Found by `make fuzz`: a name equal to text elsewhere in the dataset. The person's
    # record is gone; the place name stays where the dataset itself has it.
    person = Participant(id="a", roles=("member",), full_name="Lai Châu")
    public = pseudonymise(_with_people([person], ["a"]), b"\x00" * 16)
    assert [p.full_name for p in public.participants.values()] == [None]
    without = _with_people([], []).dumps()
    assert public.dumps(include_sensitive=True).count("Lai Châu") == without.count("Lai Châu")
