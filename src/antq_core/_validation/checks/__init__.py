"""The checks of validation: one module per family, run from one registry.

Each family module declares the issue codes it may emit (``CODES``, made with
:func:`~antq_core._validation.issues.declare`: code, severity, messages) and
exposes its check, a function of the shared
:class:`~antq_core._validation.checks.context.Context` that returns the
issues it finds. :data:`CHECKS` runs them in a fixed order, which is the
order of the report.

To add a check: write a module here with ``CODES`` and ``check(context)``,
add one line to :data:`CHECKS`, and give each new code its row in the table of
``docs/validation.md`` (``tests/validation/test_registry.py`` holds the three
together).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Final

import attrs

from antq_core._validation.checks import (
    dates,
    double_counting,
    forms,
    gazetteer,
    grades,
    groups,
    names,
    observations,
    parts,
    ratios,
    reconciliation,
    references,
    repeats,
    rules,
    space,
    teams,
    text,
)
from antq_core._validation.checks.context import Context, Options, RepeatFinder
from antq_core._validation.issues import Issue, IssueCode

__all__ = ["CHECKS", "ENTITY_CHECKS", "Check", "Context", "Options", "RepeatFinder", "run_checks"]


@attrs.frozen
class Check:
    """One step of validation: a check function and the codes its family declares.

    Attributes:
        codes: The codes the family module declares (its ``CODES``); the check
            emits no other.
        run: The check: the issues it finds in a context.
    """

    codes: Mapping[str, IssueCode]
    run: Callable[[Context], Iterable[Issue]]

    @property
    def family(self) -> str:
        """The module the check is in (``"gazetteer"``)."""
        return self.run.__module__.rpartition(".")[2]

    @property
    def name(self) -> str:
        """``family.function`` (``"references.check_rows"``)."""
        return f"{self.family}.{self.run.__name__}"


CHECKS: Final = (
    Check(text.CODES, text.check),
    Check(gazetteer.CODES, gazetteer.check),
    Check(groups.CODES, groups.check),
    Check(references.CODES, references.check_entities),
    Check(dates.CODES, dates.check_entities),
    Check(forms.CODES, forms.check),
    Check(references.CODES, references.check_rows),
    Check(observations.CODES, observations.check_units),
    Check(references.CODES, references.check_breakdowns),
    Check(observations.CODES, observations.check_values),
    Check(dates.CODES, dates.check_rows),
    Check(repeats.CODES, repeats.check),
    Check(double_counting.CODES, double_counting.check),
    Check(parts.CODES, parts.check),
    Check(space.CODES, space.check),
    Check(names.CODES, names.check),
    Check(teams.CODES, teams.check),
    Check(ratios.CODES, ratios.check),
    Check(reconciliation.CODES, reconciliation.check),
    Check(grades.CODES, grades.check),
    Check(rules.CODES, rules.check),
)
"""Every check, in the order the report lists what they find.

The raw text first (only :func:`~antq_core.validate_json` has it); then the
gazetteer and the exclusive unit group sets given; the entities' references
and dates; the observations' references (metric, subject, source), units and
qualifiers, breakdowns, values and periods; repeated figures; double counting
(overlaps, sites across parents, parts above their whole; wholes beside their
parts in space); names; statutory teams; rates; reported totals against the
registry; the rules. The references, dates and observations families appear
more than once: entities are checked before observations, and within the
observations each family's issues have
always been listed at that place; the order of a report is kept as it was.
"""


ENTITY_CHECKS: Final = frozenset(
    {
        "text.check",
        "gazetteer.check",
        "groups.check",
        "references.check_entities",
        "dates.check_entities",
        "forms.check",
        "names.check",
        "teams.check",
    }
)
"""The checks of entities alone (:attr:`Check.name`): no issue of theirs names an observation.

What a submission changes is only in the observations, so these find the same
before and after it; :func:`~antq_core.check_submission` leaves them out.
"""


def run_checks(context: Context, *, skip: frozenset[str] = frozenset()) -> list[Issue]:
    """Every issue :data:`CHECKS` (but those named in ``skip``) find in ``context``, in order."""
    found: list[Issue] = []
    for step in CHECKS:
        if step.name not in skip:
            found.extend(step.run(context))
    return found
