"""Summaries of a dataset for people: the text that ``antq report`` prints.

The report reads everything it prints from the dataset; it computes nothing
that the dataset does not state, and writes qualifiers ("trên", "hàng nghìn")
and periods in words.

>>> from antq_core import sample
>>> text = render_report(sample(), "en")
>>> "5,817" in text and "more than 58,000 m²" in text
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from antq_core._dataset.dataset import Dataset
from antq_core._entities import Initiative, MetricKind, Observation, ParticipantRole, Site
from antq_core._values.geo import AdminUnit
from antq_core._values.period import Period, PeriodKind
from antq_core._values.phrases import Lang, check_lang, format_date, format_period, format_quantity
from antq_core._values.quantity import Quantity
from antq_core._values.refs import SubjectKind, SubjectRef
from antq_core.errors import AntqError, InvalidValueError

__all__ = ["DEFAULT_SUPPRESS_BELOW", "render_report"]

_WORDS = {
    "vi": {
        "title": "BÁO CÁO PHONG TRÀO TOÀN DÂN BẢO VỆ AN NINH TỔ QUỐC",
        "source": "Nguồn",
        "as_of": "Số liệu tính đến",
        "totals": "Toàn tỉnh",
        "typical": "Các mô hình được mô tả",
        "theme": "Loại mô hình",
        "started": "Triển khai từ",
        "not_stated": "không nêu",
        "sites": "Điểm",
        "counted_at": "tính một lần tại",
        "example": "ví dụ",
        "agreement": "Quy chế phối hợp giữa",
        "figures": "Số liệu",
        "of_which": "trong đó",
        "outcomes": "Kết quả khác",
        "others": "Các mô hình khác được nêu tên (không có số liệu)",
        "exemplars": "Cá nhân điển hình được nêu",
        "names_hidden": "họ tên là dữ liệu cá nhân, không in ra",
        "fewer_than": "dưới {k} người (số nhỏ được ẩn)",
        "participants": "Người tham gia (đếm không trùng)",
        "hidden_note": (
            "Số người dưới {k} được ẩn để bảo vệ dữ liệu cá nhân (ẩn ô nhỏ): {n} số liệu."
        ),
        "since_start": "từ khi triển khai ({start}) đến {end}",
        "as_of_day": "tại {date}",
        "no_data": "Không có số liệu.",
        "other_figures": "Số liệu khác",
    },
    "en": {
        "title": "REPORT OF THE ALL-PEOPLE MOVEMENT TO PROTECT NATIONAL SECURITY",
        "source": "Source",
        "as_of": "Figures as of",
        "totals": "Province-wide",
        "typical": "Initiatives described",
        "theme": "Theme",
        "started": "Running since",
        "not_stated": "not stated",
        "sites": "Sites",
        "counted_at": "counted once at",
        "example": "example",
        "agreement": "Coordination agreement between",
        "figures": "Figures",
        "of_which": "of which",
        "outcomes": "Other outcomes",
        "others": "Other initiatives named (no figures)",
        "exemplars": "Exemplary persons named",
        "names_hidden": "names are personal data and are not printed",
        "fewer_than": "fewer than {k} (small counts are hidden)",
        "participants": "Participants (distinct)",
        "hidden_note": (
            "Counts of fewer than {k} people are hidden to protect personal data"
            " (small-cell suppression): {n} count(s)."
        ),
        "since_start": "since the start ({start}) to {end}",
        "as_of_day": "as of {date}",
        "no_data": "No figures.",
        "other_figures": "Other figures",
    },
}


DEFAULT_SUPPRESS_BELOW: Final = 5
"""The report's default threshold, 5, so that counts of 1 to 4 participants are hidden."""


def render_report(
    dataset: Dataset, lang: Lang = "vi", *, suppress_below: int | None = DEFAULT_SUPPRESS_BELOW
) -> str:
    """The dataset's summary as text in ``lang`` (``"vi"`` or ``"en"``).

    Shows the figures about the province (or whole dataset) first, then each
    initiative that has figures, sites or outcomes, with its sites and the
    communes they cover, its start, and every figure with its period, unit and
    qualifier; then the initiatives that are only named.

    Participants' names are never printed. The counts the report makes of
    participants themselves (the exemplary persons of an initiative, and the
    distinct participants of each metric counted from participant records)
    are small-cell suppressed by default: a count from 1 to
    ``suppress_below - 1`` is printed as "fewer than *k*", and a closing
    line says how many were hidden. The report prints no total of those
    counts, so no complementary cell is needed. Figures the dataset states
    (a source's "29 persons") are printed as stated: they are published
    aggregates, not counts of the participant records.

    >>> from antq_core import sample
    >>> text = render_report(sample(), "en")
    >>> "Exemplary persons named: fewer than 5 (small counts are hidden)" in text
    True
    >>> print(text.splitlines()[-1])  # doctest: +NORMALIZE_WHITESPACE
    Counts of fewer than 5 people are hidden to protect personal data
    (small-cell suppression): 1 count(s).
    >>> "Exemplary persons named: 3" in render_report(sample(), "en", suppress_below=None)
    True

    Args:
        dataset: The data.
        lang: ``"vi"`` or ``"en"``.
        suppress_below: The smallest count of participants printed (at least
            1); ``None`` prints every count. Default: 5.

    Raises:
        InvalidValueError: ``lang`` is not ``"vi"`` or ``"en"``, or
            ``suppress_below`` is not ``None`` or a whole number of at least 1.
    """
    check_lang(lang)
    if suppress_below is not None and (type(suppress_below) is not int or suppress_below < 1):
        reason = "give a whole number of at least 1, or None to print every count"
        raise InvalidValueError("suppress_below", suppress_below, reason)
    return "\n".join(_Report(dataset, lang, suppress_below).lines()) + "\n"


class _Report:
    def __init__(self, dataset: Dataset, lang: Lang, below: int | None) -> None:
        self.ds = dataset
        self.lang: Lang = lang
        self.w = _WORDS[lang]
        self.below = below
        self.hidden = 0

    def _people(self, n: int) -> str | None:
        """``n`` participants in words, or ``None`` when the count is to be hidden."""
        if self.below is not None and 0 < n < self.below:
            self.hidden += 1
            return None
        return format_quantity(Quantity(n, "person"), self.lang)

    def lines(self) -> Iterable[str]:
        ds, w, vi = self.ds, self.w, self.lang == "vi"
        meta = ds.metadata
        yield w["title"]
        yield meta.title_vi if vi or meta.title_en is None else meta.title_en
        for source in ds.sources.values():
            date = (
                f", {format_date(source.published_on, self.lang)}" if source.published_on else ""
            )
            publisher = f"{source.publisher}{date}: " if source.publisher else ""
            yield f"{w['source']}: {publisher}“{source.title}”"
        if meta.report_date is not None:
            yield f"{w['as_of']} {format_date(meta.report_date, self.lang)}"
        yield ""
        yield from self._totals()
        described = [i for i in ds.initiatives.values() if self._is_described(i)]
        if described:
            yield ""
            yield f"{w['typical']} ({len(described)})"
            for n, initiative in enumerate(described, 1):
                yield ""
                yield from self._initiative(n, initiative)
        named = [i for i in ds.initiatives.values() if not self._is_described(i)]
        if named:
            yield ""
            yield f"{w['others']}:"
            for initiative in named:
                yield f"  - {self._name(initiative)}"
        yield from self._other_figures(described)
        if self.hidden:
            yield ""
            yield self.w["hidden_note"].format(k=self.below, n=self.hidden)

    def _other_figures(self, described: list[Initiative]) -> Iterable[str]:
        """Every figure the sections above did not show, by subject: none is left out."""
        ds = self.ds
        shown = {s for i in described for s in self._subjects_of(i)}
        province = self._province()
        if province is not None:
            shown.add(SubjectRef(SubjectKind.UNIT, province.code))
        rest = [s for s in ds.observations.subjects if s not in shown]
        people: dict[str, set[str]] = {}
        if self.below is not None:
            # Participant records are counted, not listed one by one: distinct people per metric.
            for subject in [s for s in rest if s.kind is SubjectKind.PARTICIPANT]:
                for o in ds.observations_of(subject):
                    people.setdefault(o.metric, set()).add(subject.id)
            rest = [s for s in rest if s.kind is not SubjectKind.PARTICIPANT]
        if not rest and not people:
            return
        yield ""
        yield f"{self.w['other_figures']}:"
        for subject in rest:
            yield f"  {self._subject_label(subject)}"
            yield from self._figures(ds.observations_of(subject), indent="    ")
        if people:
            yield f"  {self.w['participants']}"
            for metric_id in sorted(people):
                count = self._people(len(people[metric_id]))
                shown_count = count or self.w["fewer_than"].format(k=self.below)
                yield f"    - {self._metric_name(metric_id)}: {shown_count}"

    def _subject_label(self, subject: SubjectRef) -> str:
        ds = self.ds
        if subject.kind is SubjectKind.UNIT and subject.id in ds.gazetteer:
            return ds.gazetteer.unit(subject.id).full_name
        if subject.kind is SubjectKind.ORGANIZATION and subject.id in ds.organizations:
            return ds.organizations[subject.id].name_vi
        return str(subject)

    # -- sections -----------------------------------------------------------

    def _province(self) -> AdminUnit | None:
        """The dataset's province, if its metadata names one the gazetteer has."""
        code = self.ds.metadata.province
        return self.ds.gazetteer.get(code) if code is not None else None

    def _totals(self) -> Iterable[str]:
        unit = self._province()
        if unit is None:
            return
        yield (
            f"{self.w['totals']} – {unit.full_name}"
            if self.lang == "vi"
            else f"{self.w['totals']}: {unit.name} province"
        )
        subject = SubjectRef(SubjectKind.UNIT, unit.code)
        yield from self._figures(self.ds.observations_of(subject), indent="  ")

    def _is_described(self, initiative: Initiative) -> bool:
        return bool(
            initiative.typical
            or initiative.outcomes
            or self._observations_of_initiative(initiative)
        )

    def _name(self, initiative: Initiative) -> str:
        if self.lang == "en" and initiative.name_en:
            return f"{initiative.name_en} (“{initiative.name_vi}”)"
        return f"“{initiative.name_vi}”"

    def _initiative(self, n: int, initiative: Initiative) -> Iterable[str]:
        ds, w = self.ds, self.w
        yield f"{n}. {self._name(initiative)}"
        theme = ds.themes.get(initiative.theme)
        if theme is not None:
            yield f"   {w['theme']}: {theme.name_vi if self.lang == 'vi' else theme.name_en}"
        started = (
            format_period(initiative.started, self.lang) if initiative.started else w["not_stated"]
        )
        yield f"   {w['started']}: {started}"
        sites = ds.sites_of(initiative.id)
        if sites:
            yield f"   {w['sites']}:"
            for site in sites:
                yield from self._site(site)
        figures = self._observations_of_initiative(initiative)
        yield f"   {w['figures']}:"
        if figures:
            yield from self._figures(figures, indent="     ", initiative=initiative)
        else:
            yield f"     {w['no_data']}"
        if initiative.outcomes:
            yield f"   {w['outcomes']}:"
            for statement in initiative.outcomes:
                text = (
                    statement.text_en
                    if self.lang == "en" and statement.text_en
                    else statement.text_vi
                )
                yield f"     - {text}"
        exemplars = [
            p
            for p in ds.participants.values()
            if p.initiative == initiative.id and ParticipantRole.EXEMPLAR in p.roles
        ]
        if exemplars:
            count = self._people(len(exemplars))
            if count is None:
                small = w["fewer_than"].format(k=self.below)
                yield f"   {w['exemplars']}: {small}; {w['names_hidden']}"
            else:
                yield f"   {w['exemplars']}: {len(exemplars)} ({w['names_hidden']})"

    def _site(self, site: Site) -> Iterable[str]:
        ds, w = self.ds, self.w
        try:
            units = ds.site_units(site)
        except AntqError as e:
            yield f"     - {site.id}: {e}"
            return
        names = ", ".join(u.full_name for u in units)
        parents = {u.parent for u in units}
        parent = next(iter(parents)) if len(parents) == 1 else None
        if parent is not None and parent in ds.gazetteer:
            names += f" ({ds.gazetteer.unit(parent).full_name})"
        example = f" [{w['example']}]" if site.example else ""
        yield f"     - {names}{example}"
        if len(units) > 1:
            try:  # units in two provinces share no ancestor; a broken gazetteer may cycle
                anchor = ds.site_anchor(site)
            except AntqError as e:
                yield f"       {e}"
            else:
                yield f"       {w['counted_at']} {anchor.full_name}"
        agreement = site.coordination_agreement
        if agreement is not None:
            yield f"       {w['agreement']}: {', '.join(agreement.parties)}"

    def _subjects_of(self, initiative: Initiative) -> list[SubjectRef]:
        """The initiative itself and each of its sites, as observation subjects."""
        sites = [SubjectRef(SubjectKind.SITE, s.id) for s in self.ds.sites_of(initiative.id)]
        return [SubjectRef(SubjectKind.INITIATIVE, initiative.id), *sites]

    def _observations_of_initiative(self, initiative: Initiative) -> list[Observation]:
        return [o for s in self._subjects_of(initiative) for o in self.ds.observations_of(s)]

    def _figures(
        self,
        observations: list[Observation],
        *,
        indent: str,
        initiative: Initiative | None = None,
    ) -> Iterable[str]:
        def figure(o: Observation) -> tuple[str, SubjectRef, Period]:
            return (o.metric, o.subject, o.period)

        totals = [o for o in observations if not o.disaggregation]
        parts = [o for o in observations if o.disaggregation]
        for total in totals:
            yield f"{indent}- {self._figure(total, initiative)}"
            for part in parts:
                if figure(part) == figure(total):
                    yield f"{indent}    {self.w['of_which']} {self._part(part)}"
        with_total = {figure(t) for t in totals}
        for part in (p for p in parts if figure(p) not in with_total):
            yield f"{indent}- {self._metric_name(part.metric)}, {self._part(part)}"

    def _metric_name(self, metric_id: str) -> str:
        metric = self.ds.metrics.get(metric_id)
        if metric is None:
            return metric_id
        return metric.name_vi if self.lang == "vi" else metric.name_en

    def _figure(self, o: Observation, initiative: Initiative | None) -> str:
        quantity = format_quantity(o.quantity, self.lang)
        return f"{self._metric_name(o.metric)}: {quantity} — {self._when(o, initiative)}"

    def _part(self, o: Observation) -> str:
        labels = []
        for category_id, option_id in o.disaggregation.items():
            category = self.ds.categories.get(category_id)
            option = (
                next((x for x in category.options if x.id == option_id), None)
                if category is not None
                else None
            )
            if option is None:
                labels.append(f"{category_id}={option_id}")
            else:
                labels.append(option.name_vi if self.lang == "vi" else option.name_en)
        return f"{'; '.join(labels)}: {format_quantity(o.quantity, self.lang)}"

    def _when(self, o: Observation, initiative: Initiative | None) -> str:
        period, lang = o.period, self.lang
        metric = self.ds.metrics.get(o.metric)
        if (
            period.kind is PeriodKind.DAY
            and metric is not None
            and metric.kind is MetricKind.STOCK
        ):
            return self.w["as_of_day"].format(date=format_date(period.start, lang))
        if (
            period.kind is PeriodKind.RANGE
            and initiative is not None
            and initiative.started is not None
            and initiative.started.start == period.start
        ):
            return self.w["since_start"].format(
                start=format_period(initiative.started, lang),
                end=format_date(period.end, lang),
            )
        return format_period(period, lang)
