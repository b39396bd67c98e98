"""Checks of the people recorded in statutory security and order teams (Law 30/2023/QH15).

A Tổ bảo vệ an ninh, trật tự ở cơ sở is made of a leader (tổ trưởng), a
deputy (tổ phó) and members (tổ viên), each recognised by the chair of the
commune People's Committee; members are 18 to 70 years old, or older in good
health by that chair's decision (Law 30/2023/QH15 on the forces taking part
in protecting security and order at the grassroots, Articles 13 and 16).

The issues name the participant and the team by id and say which bound was
crossed; they never carry a birth date, an age, a name or an identity
number, so a report can be shared without the personal data it was made from.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Final

from antq_core._entities import OrganizationKind, Participant, ParticipantRole
from antq_core._validation.checks.context import Context
from antq_core._validation.issues import Issue, IssueCode, Severity, declare, issue
from antq_core.errors import Location

__all__ = ["CODES", "MAX_MEMBER_AGE", "MIN_MEMBER_AGE", "STATUTORY_TEAM_KINDS", "age_on", "check"]

CODES: Final = declare(
    IssueCode(
        "team-without-leader",
        Severity.WARNING,
        "Tổ bảo vệ ANTT ở cơ sở {organization} có {count} người tham gia được ghi nhận nhưng "
        "không ai là tổ trưởng, trong khi Luật 30/2023/QH15 quy định tổ có tổ trưởng: "
        "có thể danh sách chưa đầy đủ.",
        "Grassroots security and order team {organization} has {count} participants recorded "
        "but no leader (tổ trưởng), which Law 30/2023/QH15 requires: the records may be "
        "incomplete.",
    ),
    IssueCode(
        "member-under-age",
        Severity.ERROR,
        "Người tham gia {participant} của Tổ bảo vệ ANTT ở cơ sở {organization} chưa đủ "
        "{bound} tuổi vào ngày tổ được thành lập; Luật 30/2023/QH15 yêu cầu thành viên "
        "từ đủ {bound} tuổi.",
        "Participant {participant} of grassroots security and order team {organization} was "
        "under {bound} on the day the team was set up; Law 30/2023/QH15 requires members to "
        "be {bound} or older.",
    ),
    IssueCode(
        "member-over-age",
        Severity.WARNING,
        "Người tham gia {participant} của Tổ bảo vệ ANTT ở cơ sở {organization} đã trên "
        "{bound} tuổi vào ngày tổ được thành lập; theo Luật 30/2023/QH15, người trên {bound} "
        "tuổi chỉ tham gia khi bảo đảm sức khỏe và được Chủ tịch Ủy ban nhân dân cấp xã "
        "quyết định.",
        "Participant {participant} of grassroots security and order team {organization} was "
        "over {bound} on the day the team was set up; under Law 30/2023/QH15 a person over "
        "{bound} serves only in good health and by decision of the chair of the commune "
        "People's Committee.",
    ),
)
"""The codes this check emits."""

MIN_MEMBER_AGE: Final = 18
"""Youngest age, in whole years, at which a person may be a member of a statutory team.

Below it at the team's founding: ``member-under-age``, an error; the law
allows no exception.
"""
MAX_MEMBER_AGE: Final = 70
"""Oldest age, in whole years, of a member of a statutory team without a special decision.

Above it (71 or more in whole years) at the team's founding:
``member-over-age``, a warning, because the chair of the commune People's
Committee may recognise an older person in good health and the dataset does
not record that decision.
"""
STATUTORY_TEAM_KINDS: Final = frozenset({OrganizationKind.SECURITY_ORDER_TEAM})
"""The organization kinds the law's leader and age requirements apply to.

Only the Tổ bảo vệ an ninh, trật tự ở cơ sở. A people's security team (tổ an
ninh nhân dân) is a mass organization the movement set up long before the
law, with no statutory structure or age limits; civil defence teams and
neighbourhood guards were merged into the statutory teams in 2024 but, as
recorded under their own kind, they are the bodies before the merger.
"""


def age_on(birth: dt.date, day: dt.date) -> int:
    """Age in whole years on ``day`` of a person born on ``birth`` (negative if born after).

    A person born on 29 February has their birthday on 28 February in common
    years. Of the two usual reckonings (28 February or 1 March) it is the one
    that never reports a member under age whom the other counts of age, and it
    is how the Civil Code ends a period in months that falls on a day the last
    month lacks: on that month's last day (Bộ luật Dân sự 2015, Article 148).

    >>> born = dt.date(2008, 2, 29)
    >>> age_on(born, dt.date(2026, 2, 27)), age_on(born, dt.date(2026, 2, 28))
    (17, 18)
    >>> age_on(born, dt.date(2028, 2, 28)), age_on(born, dt.date(2028, 2, 29))
    (19, 20)
    """
    month, date = birth.month, birth.day
    if (month, date) == (2, 29) and not _leap(day.year):
        date = 28
    return day.year - birth.year - ((day.month, day.day) < (month, date))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def check(context: Context) -> Iterator[Issue]:
    """Statutory teams without a leader, and members outside the ages the law sets.

    A team with no participant recorded says nothing: the dataset does not
    keep its people. Ages are checked at the team's founding date
    (``established_on``), for members whose birth date is recorded.
    """
    dataset = context.dataset
    teams = {
        i: org
        for i, org in enumerate(dataset.organizations.values())
        if org.kind in STATUTORY_TEAM_KINDS
    }
    if not teams:
        return
    wanted = {org.id for org in teams.values()}
    people: dict[str, list[tuple[int, Participant]]] = defaultdict(list)
    for j, person in enumerate(dataset.participants.values()):
        if person.organization in wanted:
            people[person.organization].append((j, person))
    for i, org in teams.items():
        members = people.get(org.id)
        if not members:
            continue
        if not any(ParticipantRole.LEADER in p.roles for _, p in members):
            where = Location("organization", org.id, path=f"$.organizations[{i}]")
            yield issue("team-without-leader", where, organization=org.id, count=len(members))
        founded = org.established_on
        if founded is None:
            continue
        for j, person in members:
            if person.birth_date is None:
                continue
            age = age_on(person.birth_date, founded)
            if MIN_MEMBER_AGE <= age <= MAX_MEMBER_AGE:
                continue
            code, bound = (
                ("member-under-age", MIN_MEMBER_AGE)
                if age < MIN_MEMBER_AGE
                else ("member-over-age", MAX_MEMBER_AGE)
            )
            # The field at fault is named; its value (the birth date) never travels.
            where = Location(
                "participant",
                person.id,
                field="birth_date",
                path=f"$.participants[{j}].birth_date",
            )
            yield issue(code, where, participant=person.id, organization=org.id, bound=bound)
