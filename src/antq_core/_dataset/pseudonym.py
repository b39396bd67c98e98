"""Keyed pseudonyms for a whole dataset: every participant id replaced, consistently."""

from __future__ import annotations

from antq_core._dataset.dataset import Dataset
from antq_core._dataset.store import ObservationStore
from antq_core._entities import Observation, pseudonym_id
from antq_core._values.refs import SubjectKind, SubjectRef
from antq_core.errors import InvalidValueError

__all__ = ["pseudonymise"]


def pseudonymise(dataset: Dataset, key: bytes) -> Dataset:
    """A copy of ``dataset`` whose participants are known only by keyed pseudonyms.

    Every participant's id becomes :meth:`Participant.pseudonymised
    <antq_core.Participant.pseudonymised>`'s pseudonym (HMAC-SHA256 of the id
    under ``key``, ``p-`` and 20 hex digits), wherever it is used: the
    participant record itself and every observation about them (subject
    ``participant:ID``, also one whose participant is not in the dataset).
    Their names, identity numbers and birth dates are dropped. Everything
    else (roles, units, initiatives, organizations, hence team membership,
    and every figure) is kept, so aggregates and validation give the same
    results as before.

    The same id gets the same pseudonym under the same key, in this dataset
    and in any other, so pseudonymised datasets of one owner still join; a
    different key gives unrelated pseudonyms. Without the key nobody can go
    back from a pseudonym to the id, nor test a guessed id; keep the key
    secret (``secrets.token_bytes(32)``) or throw it away for a one-way copy.

    >>> from antq_core import sample
    >>> from antq_core.privacy import pseudonymise
    >>> public = pseudonymise(sample(), b"0123456789abcdef-a secret key")
    >>> sorted(public.participants)[0]
    'p-197bb10bb6706c32efaa'
    >>> any(p.has_sensitive_data for p in public.participants.values())
    False

    Args:
        dataset: The data.
        key: The secret, at least 16 bytes.

    Returns:
        The pseudonymised dataset; ``dataset`` itself is unchanged.

    Raises:
        InvalidValueError: ``key`` is not bytes or is shorter than 16 bytes;
            or two ids would get one pseudonym (80 bits: never seen, but
            never merged silently either).

    .. versionadded:: 0.1.0
    """
    people = [p.pseudonymised(key) for p in dataset.participants.values()]
    mapping = {old: new.id for old, new in zip(dataset.participants, people, strict=True)}
    store = dataset.observations
    for subject in store.subjects:
        if subject.kind is SubjectKind.PARTICIPANT and subject.id not in mapping:
            mapping[subject.id] = pseudonym_id(subject.id, key)
    if len(set(mapping.values())) != len(mapping):  # pragma: no cover - 2^-80 per pair
        reason = "two participant ids get one pseudonym under this key; choose another key"
        raise InvalidValueError("pseudonym key", "(not shown)", reason)
    observations: ObservationStore | list[Observation] = store
    if any(s.kind is SubjectKind.PARTICIPANT for s in store.subjects):
        observations = [
            o.model_copy(update={"subject": SubjectRef(o.subject.kind, mapping[o.subject.id])})
            if o.subject.kind is SubjectKind.PARTICIPANT
            else o
            for o in store
        ]
    return dataset.replace(participants=people, observations=observations)
