"""The yearly follow-up report upward: a group's agreements, as it reports them to the body above it.

A strategy group reports to ReKo, and ReKo to Kommunalt forum (`Group.reports_to`). A group's report
covers the agreements whose responsible group or decision body is the group, and those of every group
that reports to it, directly or through others: ReKo's report to Kommunalt forum covers the strategy
groups' agreements too. It lists the agreements in force, under revision and in draft, one section per
responsible group, and apart from them those that ended during the year (expired, terminated or
replaced, with their end date in the year).

For each agreement: its status; its parties' decisions ("Antagen av 11 av 14", adoptions.py); its last
follow-up up to the end of the year, with the decision recorded then (decisions.py) and the number of
follow-ups during the year; and its next open deadline with the meeting that must decide on it, a late
decision, or why there is none ("ReKo:s mötesplan räcker inte till 2028-09", schedule.py). A draft's
next deadline is the day its parties' decisions are needed by. Status, decisions and deadlines are as
they stand today; follow-ups count up to the year's end.

After the agreements, the indicators (indicators.py): for each agreement of the report with indicators,
every value its follow-ups recorded during the year against the target, and an indicator still followed
up without a value that year; and the deviations in the collaboration (samverkansavvikelser) its
follow-ups of the year noted. The page (/groups/<id>/report) and the Word document
(/groups/<id>/report.docx) are both made from `report()` and the texts below.
"""

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext

from ..collation import sv_key
from ..i18n import genitive
from ..models import Agreement, Group, Indicator, Review
from ..vocab import ACTIVE_STATUSES, AGREEMENT_STATUSES, REMINDER_KINDS, REVIEW_OUTCOMES, label
from . import adoptions, decisions, indicators, schedule, validation, wordfile

REPORTED_STATUSES = (*ACTIVE_STATUSES, "draft")
ENDED_STATUSES = ("expired", "terminated", "replaced")
ADOPTION = "adoption"  # a draft's next deadline: its parties' decisions (REMINDER_KINDS' label)


@dataclass(frozen=True)
class Deadline:
    """The next thing due on an agreement: a deadline kind (or ADOPTION) and its date."""

    kind: str
    due_on: date

    @property
    def label(self):
        return label(REMINDER_KINDS, self.kind)


@dataclass(frozen=True)
class Line:
    """One agreement in the report."""

    agreement: Agreement
    group: Group  # its responsible group
    standing: adoptions.Standing
    last_review: Review | None  # the latest follow-up up to the end of the year
    decision: decisions.LatestDecision | None
    reviews_in_year: int
    deadline: Deadline | None
    meeting: schedule.DecidingMeeting | None  # the decide-by meeting of `deadline`

    @property
    def status_label(self):
        return label(AGREEMENT_STATUSES, self.agreement.status)

    @property
    def adoption_text(self):
        """ "Antagen av 11 av 14" (adoptions.py's words); None when no party must adopt it."""
        return self.standing.count_text if self.standing.party_count else None

    @property
    def outcome_label(self):
        return label(REVIEW_OUTCOMES, self.last_review.outcome) if self.last_review else None

    @property
    def reviews_in_year_text(self):
        return ngettext("%(num)s uppföljning under året", "%(num)s uppföljningar under året", self.reviews_in_year)

    def overdue(self, today):
        return self.deadline is not None and self.deadline.due_on < today

    def late(self, today):
        """Has the decide-by meeting of the next deadline been held already?"""
        return self.meeting is not None and self.meeting.late(today)

    @property
    def meeting_text(self):
        """ "ReKo:s möte 2026-12-11, underlag 2026-11-27", or why there is no such meeting; None
        when the deciding group has no meeting plan or there is no deadline."""
        if self.meeting is None:
            return None
        if not self.meeting.found:
            return self.meeting.problem
        return _(
            "%(group)s möte %(date)s, underlag %(ready)s",
            group=genitive(self.meeting.group.display_name),
            date=self.meeting.meets_on.isoformat(),
            ready=self.meeting.material_due_on.isoformat(),
        )


@dataclass(frozen=True)
class Section:
    group: Group
    lines: list


@dataclass(frozen=True)
class IndicatorRow:
    """One value of an indicator recorded during the year (point None: none was, though it is followed up)."""

    agreement: Agreement
    indicator: Indicator
    point: indicators.Point | None

    @property
    def name(self):
        unit = self.indicator.unit
        return f"{self.indicator.name} ({unit})" if unit else self.indicator.name

    @property
    def value_text(self):
        if self.point is None:
            return _("Inget värde registrerat under året")
        return indicators.number_text(self.point.value, self.indicator.unit)

    @property
    def target_text(self):
        return indicators.target_text(self.indicator)

    @property
    def meets_text(self):
        """ "Ja", "Nej", or "–" without a value or a target."""
        meets = self.point.meets if self.point is not None else None
        if meets is None:
            return "–"
        return _("Ja") if meets else _("Nej")


@dataclass(frozen=True)
class DeviationRow:
    """The deviations in the collaboration one follow-up of the year noted."""

    agreement: Agreement
    review: Review


@dataclass(frozen=True)
class Report:
    group: Group
    year: int
    to: Group | None  # the body the report goes to (group.reports_to)
    groups: list  # the groups it covers: the group first, then those reporting to it
    sections: list  # Section per responsible group with agreements, the group's own first
    ended: list  # Line of the agreements that ended during the year
    today: date
    indicator_rows: list  # IndicatorRow, in the order of the agreements above
    deviation_rows: list  # DeviationRow, likewise, each agreement's in date order

    @property
    def title(self):
        return title_of(self.group, self.to, self.year)

    @property
    def count(self):
        return sum(len(s.lines) for s in self.sections)

    @property
    def year_end(self):
        return date(self.year, 12, 31)

    @property
    def basis(self):
        """What the figures stand on: today's status and deadlines, the follow-ups up to the year's end."""
        return _(
            "Status, parternas beslut och tidsfrister per %(today)s; uppföljningar till och med %(end)s.",
            today=self.today.isoformat(),
            end=min(self.year_end, self.today).isoformat(),
        )


def title_of(group, to, year):
    """ "Uppföljningsrapport 2026: Barn och unga till ReKo" (without "till …" when it goes to no group)."""
    if to is None:
        return _("Uppföljningsrapport %(year)s: %(group)s", year=year, group=group.display_name)
    return _(
        "Uppföljningsrapport %(year)s: %(group)s till %(to)s", year=year, group=group.display_name, to=to.display_name
    )


def year_of(text, today):
    """(year, problem): the report's year from a request argument; the current year when it is missing,
    and also, with a sentence saying so, when it is no year from 1900 to 2999."""
    text = (text or "").strip()
    if not text:
        return today.year, None
    if re.fullmatch(r"[0-9]{4}", text) and validation.EARLIEST.year <= int(text) <= validation.LATEST.year:
        return int(text), None
    return today.year, _(
        "Året ”%(given)s” kunde inte läsas. Ange det med fyra siffror, till exempel %(year)s. "
        "Rapporten visar %(year)s.",
        given=text[:20],
        year=today.year,
    )


def covered_groups(group, groups):
    """The group and every group that reports to it, directly or through others, the group first and
    then in Swedish order; a loop in reports_to (stored by an older version) is followed once."""
    reporting = {}
    for g in groups.values():
        if g.reports_to_id is not None:
            reporting.setdefault(g.reports_to_id, []).append(g)
    found, queue = {group.id: group}, [group.id]
    while queue:
        for g in reporting.get(queue.pop(), ()):
            if g.id not in found:
                found[g.id] = g
                queue.append(g.id)
    others = sorted((g for pk, g in found.items() if pk != group.id), key=lambda g: sv_key(g.name))
    return [group, *others]


def _newest_first(agreement_ids):
    """{agreement id: [Review newest first]} of these agreements."""
    found = {}
    if agreement_ids:
        rows = (
            Review.select()
            .where(Review.agreement.in_(agreement_ids))
            .order_by(Review.agreement, Review.reviewed_on.desc(), Review.id.desc())
        )
        for review in rows:
            found.setdefault(review.agreement_id, []).append(review)
    return found


def _next_deadline(agreement, standing, last_reviewed, meetings):
    """(Deadline, DecidingMeeting or None): the soonest open deadline, or a draft's adoption date."""
    if agreement.status == "draft":
        return (Deadline(ADOPTION, standing.due_on), None) if standing.due_on else (None, None)
    try:
        found = schedule.deadlines_of(agreement, last_reviewed)
    except (OverflowError, ValueError):  # dates an older version stored: no deadline to compute
        found = []
    if not found:
        return None, None
    first = found[0]
    return Deadline(first.kind, first.due_on), meetings.safe_deciding_meeting(agreement, first.due_on)


def report(group, year, today):
    """The group's report for `year` (see the module's docstring)."""
    groups = {g.id: g for g in Group.select()}
    covered = covered_groups(group, groups)
    ids = [g.id for g in covered]
    start, end = date(year, 1, 1), date(year, 12, 31)
    in_groups = Agreement.responsible_group.in_(ids) | Agreement.decision_body.in_(ids)
    listed = Agreement.status.in_(REPORTED_STATUSES) | (
        Agreement.status.in_(ENDED_STATUSES) & Agreement.expires_on.between(start, end)
    )
    agreements = list(Agreement.select().where(in_groups & listed))
    reviews = _newest_first([a.id for a in agreements])
    standings = adoptions.standings(agreements)
    meetings = schedule.Meetings(agreements, groups=groups)
    sections, ended = {}, []
    for agreement in agreements:
        history = reviews.get(agreement.id, [])
        until_year_end = [r for r in history if r.reviewed_on <= end]
        standing = standings[agreement.id]
        deadline, meeting = _next_deadline(agreement, standing, history[0].reviewed_on if history else None, meetings)
        line = Line(
            agreement=agreement,
            group=groups[agreement.responsible_group_id],
            standing=standing,
            last_review=until_year_end[0] if until_year_end else None,
            decision=decisions.latest_decision(agreement, until_year_end, groups),
            reviews_in_year=sum(1 for r in until_year_end if r.reviewed_on >= start),
            deadline=deadline,
            meeting=meeting,
        )
        if agreement.status in ENDED_STATUSES:
            ended.append(line)
        else:
            sections.setdefault(agreement.responsible_group_id, []).append(line)
    by_title = lambda line: (sv_key(line.agreement.title), line.agreement.id)  # noqa: E731
    order = [g.id for g in covered]
    # An agreement another group decides on may be responsible to a group outside the report: last.
    order += sorted((pk for pk in sections if pk not in order), key=lambda pk: sv_key(groups[pk].name))
    sections = [Section(groups[pk], sorted(sections[pk], key=by_title)) for pk in order if pk in sections]
    ended = sorted(ended, key=lambda line: (sv_key(line.group.name), *by_title(line)))
    listed = [line.agreement for section in sections for line in section.lines] + [line.agreement for line in ended]
    return Report(
        group=group,
        year=year,
        to=groups.get(group.reports_to_id),
        groups=covered,
        sections=sections,
        ended=ended,
        today=today,
        indicator_rows=_indicator_rows(listed, start, end),
        deviation_rows=[
            DeviationRow(agreement, review)
            for agreement in listed
            for review in reversed(reviews.get(agreement.id, []))
            if start <= review.reviewed_on <= end and review.deviations
        ],
    )


def _indicator_rows(agreements, start, end):
    """[IndicatorRow] of these agreements' indicators for the year from `start` to `end`."""
    if not agreements:
        return []
    by_agreement = {}
    for row in Indicator.select().where(Indicator.agreement.in_([a.id for a in agreements])):
        by_agreement.setdefault(row.agreement_id, []).append(row)
    found = indicators.series([i for rows in by_agreement.values() for i in rows], until=end)
    rows = []
    for agreement in agreements:
        for indicator in sorted(by_agreement.get(agreement.id, ()), key=lambda i: (not i.active, i.position, i.id)):
            points = [p for p in found[indicator.id].points if p.reviewed_on >= start]
            if points:
                rows += [IndicatorRow(agreement, indicator, p) for p in points]
            elif indicator.active:
                rows.append(IndicatorRow(agreement, indicator, None))
    return rows


# --- the Word document ---------------------------------------------------------------------


def _header():
    return [
        _("Avtal"),
        _("Status"),
        _("Antagande"),
        _("Senaste uppföljning"),
        _("Nästa tidsfrist"),
        _("Beslutsmöte"),
    ]


def follow_up_text(line):
    """The last follow-up in one line: "2026-03-05 Oförändrad. ReKo 2026-03-13 § 4. 1 uppföljning under året"."""
    if line.last_review is None:
        parts = [_("Ingen uppföljning registrerad")]
    else:
        parts = [f"{line.last_review.reviewed_on.isoformat()} {line.outcome_label}"]
    if line.decision is not None:
        parts.append(line.decision.text)
    parts.append(line.reviews_in_year_text)
    return ". ".join(parts)


def deadline_text(line, today):
    """ "Upphör 2026-12-31", with "(har passerat)" when the day has gone."""
    if line.deadline is None:
        return "–"
    text = f"{line.deadline.label} {line.deadline.due_on.isoformat()}"
    return _("%(deadline)s (har passerat)", deadline=text) if line.overdue(today) else text


def meeting_cell(line, today):
    """The decide-by meeting, with "Sent beslut" first when it has been held already."""
    text = line.meeting_text or "–"
    return f"{_('Sent beslut')}: {text}" if line.late(today) else text


def _row(line, today):
    return [
        line.agreement.title,
        line.status_label,
        line.adoption_text or "–",
        follow_up_text(line),
        deadline_text(line, today),
        meeting_cell(line, today),
    ]


def filename(found):
    """ "Uppföljningsrapport Barn och unga 2026" """
    return _("Uppföljningsrapport %(group)s %(year)s", group=found.group.display_name, year=found.year)


def document(found, generated_by):
    """The report as a Word document (bytes): one section per responsible group, then those that ended."""
    lines = [
        _("Omfattar: %(groups)s", groups=", ".join(g.name for g in found.groups)),
        found.basis,
    ]
    widths = [6.5, 2.5, 3, 5.5, 3.5, 4.5]
    sections = [
        wordfile.Section(s.group.name, _header(), [_row(line, found.today) for line in s.lines], widths=widths)
        for s in found.sections
    ]
    if not sections:
        sections.append(wordfile.Section(_("Avtal"), _header(), [], _("Inga avtal att rapportera.")))
    sections.append(
        wordfile.Section(
            _("Upphörda under året"),
            [_("Avtal"), _("Ansvarig grupp"), _("Status"), _("Giltig till"), _("Senaste uppföljning")],
            [
                [
                    line.agreement.title,
                    line.group.name,
                    line.status_label,
                    line.agreement.expires_on,
                    follow_up_text(line),
                ]
                for line in found.ended
            ],
            _("Inga avtal upphörde under året."),
        )
    )
    sections.append(
        wordfile.Section(
            _("Indikatorer under året"),
            indicator_header(),
            [indicator_cells(row) for row in found.indicator_rows],
            _("Inga indikatorer för avtalen i rapporten."),
            widths=[7, 6, 2.5, 3, 3.5, 2.5],
        )
    )
    sections.append(
        wordfile.Section(
            _("Samverkansavvikelser under året"),
            [_("Avtal"), _("Uppföljning"), _("Samverkansavvikelser")],
            [
                [row.agreement.short_name or row.agreement.title, row.review.reviewed_on, row.review.deviations]
                for row in found.deviation_rows
            ],
            _("Inga samverkansavvikelser registrerade under året."),
            widths=[7, 2.5, 15],
        )
    )
    return wordfile.document(found.title, lines, sections, generated_by, landscape=True)


def indicator_header():
    return [_("Avtal"), _("Indikator"), _("Uppföljning"), _("Värde"), _("Mål"), _("Målet nått")]


def indicator_cells(row):
    return [
        row.agreement.short_name or row.agreement.title,
        row.name,
        row.point.reviewed_on if row.point else "–",
        row.value_text,
        row.target_text,
        row.meets_text,
    ]
