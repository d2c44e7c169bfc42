"""A meeting's agenda as a Word document (ärendelista), for the secretary to send out and print."""

from flask_babel import gettext as _

from ..vocab import AGENDA_KINDS, AGENDA_OUTCOMES, AGREEMENT_STATUSES, label
from . import decisions, schedule, wordfile


def title_of(group, meeting):
    """ "Ärendelista ReKo 2027-02-12"."""
    return _("Ärendelista %(group)s %(day)s", group=group.display_name, day=meeting.meets_on.isoformat())


def _decision(item):
    if not item.decided:
        return ""
    text = str(label(AGENDA_OUTCOMES, item.outcome))
    ref = decisions.decision_text("", None, item.decision_ref)
    return f"{ref} {text}" if ref else text


def rows(items):
    """The table rows of the agenda's items (those taken off left out), numbered in order."""
    listed = [item for item in items if not item.removed]
    return [
        [
            str(number),
            item.agreement.title,
            str(label(AGREEMENT_STATUSES, item.agreement.status)),
            str(label(AGENDA_KINDS, item.kind)),
            item.due_on,
            _decision(item),
        ]
        for number, item in enumerate(listed, start=1)
    ]


def document(group, meeting, items, generated_by):
    """(the .docx bytes, its title) of the meeting's agenda."""
    title = title_of(group, meeting)
    lines = [
        _("Möte: %(group)s %(day)s", group=group.name, day=meeting.meets_on.isoformat()),
        _("Underlag senast: %(day)s", day=schedule.material_due_on(group, meeting.meets_on).isoformat()),
    ]
    if meeting.note:
        lines.append(meeting.note)
    section = wordfile.Section(
        heading=_("Ärenden"),
        header=[_("Nr"), _("Avtal"), _("Status"), _("Gäller"), _("Datum"), _("Beslut")],
        rows=rows(items),
        empty=_("Inga ärenden på dagordningen."),
        widths=[1.0, 7.0, 2.5, 2.5, 2.3, 3.0],
    )
    return wordfile.document(title, lines, [section], generated_by), title
