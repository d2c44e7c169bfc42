"""Meeting plans (årshjul) and deadlines planned back from the deciding meeting (issue 13, items 2 and 4).

A group's plan is a recurrence rule (ReKo: the second Friday of every month except July), single extra
meetings and cancelled planned days. A deadline's decide-by meeting is the deciding group's last meeting
on or before the deadline less the adoption lead (90 days when more than one party adopts, or a longer
notice period); material is due the group's lead time before it, and advance reminders and calendar
events count from that day. The issue's example: ReKo, 14 parties, expiry 2027-12-31 -> meeting
2027-09-10, material 2027-08-27; Läkaruppdrag (2026-12-31) needed ReKo on 2026-09-11 and is late today
(2026-11-23 in the tests).
"""

import re
from datetime import date, timedelta

import pytest
from flask_babel import force_locale, refresh

from registry.domain import agendas, directory, meeting_plan, schedule
from registry.domain.errors import ValidationError
from registry.models import AuditEntry, Group, GroupMeeting, Organisation, Reminder
from registry.rules import meetings as rules
from registry.rules.months import add_months
from scheduler import reminders
from tests.conftest import TODAY
from tests.factories import agreement, client_as, make_agreement, make_group, update_agreement
from tests.html import field_error, form_fields, section
from tests.html import words as page_words
from tests.smtp import smtp, smtp_server  # noqa: F401
from tests.test_api import api_for, error_of
from tests.test_feeds import HOST, create_via_page, events, fetch, start

# ruff: noqa: F811

REKO_RULE = "FREQ=MONTHLY;BYDAY=2FR;BYMONTH=1,2,3,4,5,6,8,9,10,11,12"
REKO = rules.Plan(rule=REKO_RULE)
FOURTEEN = 14


def words(response):
    """The page's words, with a date element's closing tag no longer leaving a space before ";" or "."."""
    return re.sub(r" ([;.,])", r"\1", page_words(response))


def second_fridays(year):
    """The second Friday of each month of `year`, counted by hand."""
    found = []
    for month in range(1, 13):
        first = date(year, month, 1)
        first_friday = first + timedelta(days=(4 - first.weekday()) % 7)
        found.append(first_friday + timedelta(days=7))
    return found


# --- the rule -------------------------------------------------------------------------


def test_rekos_rule_gives_the_second_friday_of_every_month_but_july():
    days = rules.occurrences(REKO_RULE, None, date(2027, 1, 1), date(2027, 12, 31))
    assert list(days) == [d for d in second_fridays(2027) if d.month != 7]
    assert date(2027, 9, 10) in days and date(2026, 9, 11) in rules.occurrences(
        REKO_RULE, None, date(2026, 9, 1), date(2026, 9, 30)
    )
    # A window inside a longer one gives the same days: nothing depends on when the rule is read.
    inner = rules.occurrences(REKO_RULE, None, date(2027, 3, 12), date(2027, 6, 11))
    assert list(inner) == [d for d in days if date(2027, 3, 12) <= d <= date(2027, 6, 11)]
    assert rules.occurrences(REKO_RULE, None, date(2027, 6, 12), date(2027, 8, 12)) == ()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (REKO_RULE, REKO_RULE),
        ("rrule:freq=monthly;bymonth=12,1,2,3,4,5,6,8,9,10,11;byday=+2fr", REKO_RULE),
        ("FREQ=MONTHLY; BYDAY=2FR; BYMONTH=1,2,3,4,5,6,8,9,10,11,12;", REKO_RULE),
        ("FREQ=WEEKLY;INTERVAL=1;BYDAY=TU,TH", "FREQ=WEEKLY;BYDAY=TU,TH"),
        ("FREQ=MONTHLY;BYDAY=-1TH;UNTIL=2028-06-30", "FREQ=MONTHLY;BYDAY=-1TH;UNTIL=20280630"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_a_rule_is_stored_in_one_canonical_form(typed, stored):
    assert rules.normalise(typed) == stored


@pytest.mark.parametrize(
    ("rule", "start", "field", "message"),
    [
        ("FREQ=DAILY", None, "meeting_rule", "Regeln måste ange FREQ=YEARLY, MONTHLY eller WEEKLY."),
        ("varannan fredag", None, "meeting_rule", "Regeln kan inte läsas: «VARANNANFREDAG»."),
        ("FREQ=MONTHLY;BYHOUR=9", None, "meeting_rule", "En mötesregel kan inte ange BYHOUR."),
        ("FREQ=MONTHLY;BYDAY=2FR;BYDAY=3FR", None, "meeting_rule", "BYDAY står två gånger i regeln."),
        ("FREQ=MONTHLY;BYDAY=6FR", None, "meeting_rule", "Ordningstalet i BYDAY ska ligga mellan -5 och 5"),
        ("FREQ=WEEKLY;BYDAY=2FR", None, "meeting_rule", "En veckoregel kan inte ha ordningstal i BYDAY."),
        ("FREQ=MONTHLY;BYDAY=XX", None, "meeting_rule", "BYDAY kan inte läsas: «XX»."),
        ("FREQ=MONTHLY;BYMONTH=13;BYDAY=1MO", None, "meeting_rule", "BYMONTH ska vara ett heltal"),
        ("FREQ=MONTHLY;BYDAY=2FR;UNTIL=2028", None, "meeting_rule", "UNTIL ska vara ett datum, ÅÅÅÅMMDD"),
        ("FREQ=MONTHLY;BYDAY=2FR;COUNT=3;UNTIL=20280101", date(2027, 1, 1), "meeting_rule", "antingen COUNT"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", None, "meeting_rule", "BYMONTHDAY anger en dag som inte finns"),
        # Days that never exist: the sixth Friday of a month picked by position; refused, not iterated for ever.
        ("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=6", None, "meeting_rule", "Regeln ger inga mötesdagar"),
        ("FREQ=MONTHLY", None, "meeting_rule_start", "Regeln säger inte vilken dag mötena hålls."),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", None, "meeting_rule_start", "räknas från mötesplanens startdatum"),
        ("FREQ=MONTHLY;BYDAY=2FR;COUNT=6", None, "meeting_rule_start", "räknas från mötesplanens startdatum"),
    ],
)
def test_a_bad_rule_is_refused_with_a_sentence_saying_what_to_write(app, rule, start, field, message):
    with pytest.raises(rules.MeetingRuleError) as refused:
        rules.parse(rule, start)
    assert refused.value.field == field
    assert message in str(refused.value)
    assert str(refused.value).endswith(".")


def test_rules_that_count_from_their_start():
    every_other = rules.Plan(rule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", start=date(2027, 1, 1))
    # Weeks count from the start's week (Monday 2026-12-28), whose Tuesday is before the start.
    assert [m.meets_on for m in every_other.between(date(2027, 1, 1), date(2027, 2, 10))] == [
        date(2027, 1, 12),
        date(2027, 1, 26),
        date(2027, 2, 9),
    ]
    six = rules.Plan(rule="FREQ=MONTHLY;BYDAY=2FR;COUNT=6", start=date(2027, 1, 1))
    assert len(six.between(date(2026, 1, 1), date(2029, 1, 1))) == 6
    assert six.reaches(date(2027, 6, 11)) and not six.reaches(date(2027, 6, 12))
    assert six.last_on_or_before(date(2030, 1, 1)) == date(2027, 6, 11)
    assert six.first_on_or_after(date(2027, 6, 12)) is None
    # No meeting before the plan starts.
    assert six.last_on_or_before(date(2026, 12, 31)) is None
    # The day comes from the start when the rule names none (RFC 5545): the 15th of each month.
    dated = rules.Plan(rule="FREQ=MONTHLY", start=date(2027, 1, 15))
    assert [m.meets_on for m in dated.between(date(2027, 1, 1), date(2027, 3, 31))] == [
        date(2027, 1, 15),
        date(2027, 2, 15),
        date(2027, 3, 15),
    ]


def test_leap_days_and_month_ends_stay_where_the_rule_puts_them():
    # 29 February only in leap years, never drifting to the 28th (PITFALLS.md).
    leap = rules.occurrences("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", None, date(2027, 1, 1), date(2033, 12, 31))
    assert leap == (date(2028, 2, 29), date(2032, 2, 29))
    last = rules.occurrences("FREQ=MONTHLY;BYMONTHDAY=-1", None, date(2027, 1, 1), date(2027, 4, 30))
    assert last == (date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30))


def test_the_plan_is_the_rule_plus_single_meetings_less_cancelled_days():
    plan = rules.Plan(
        rule=REKO_RULE,
        extra=(date(2027, 7, 2),),
        cancelled=frozenset({date(2027, 6, 11)}),
        notes=((date(2027, 7, 2), "Extra sommarmöte"),),
    )
    found = plan.between(date(2027, 5, 1), date(2027, 8, 31))
    assert [(m.meets_on, m.source, m.note) for m in found] == [
        (date(2027, 5, 14), rules.RULE, ""),
        (date(2027, 7, 2), rules.EXTRA, "Extra sommarmöte"),
        (date(2027, 8, 13), rules.RULE, ""),
    ]
    assert plan.last_on_or_before(date(2027, 6, 30)) == date(2027, 5, 14)  # June's meeting is cancelled
    assert plan.last_on_or_before(date(2027, 7, 2)) == date(2027, 7, 2)  # on the day counts
    assert plan.first_on_or_after(date(2027, 6, 1)) == date(2027, 7, 2)
    assert plan.reaches(date(2999, 12, 31))  # a rule without an end reaches every day
    ended = rules.Plan(rule=REKO_RULE + ";UNTIL=20280630")
    assert ended.reaches(date(2028, 6, 9)) and not ended.reaches(date(2028, 6, 10))
    singles = rules.Plan(extra=(date(2023, 4, 14), date(2025, 5, 9)))
    assert singles.reaches(date(2025, 5, 9)) and not singles.reaches(date(2025, 5, 10))
    assert singles.last_on_or_before(date(2025, 5, 8)) == date(2023, 4, 14)
    assert rules.Plan().empty and not singles.empty


# --- the decide-by meeting ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "parties", "notice", "expected"),
    [
        (date(2027, 12, 31), 14, None, date(2027, 10, 2)),  # 90 days for fourteen principals
        (date(2027, 12, 31), 2, None, date(2027, 10, 2)),
        (date(2027, 12, 31), 1, None, date(2027, 12, 31)),  # one party: no adoption lead
        (date(2027, 12, 31), 0, None, date(2027, 12, 31)),
        (date(2027, 12, 31), 14, 2, date(2027, 10, 2)),  # two months are shorter than 90 days
        (date(2027, 12, 31), 14, 3, date(2027, 9, 30)),  # three months (from a month's end) are longer
        (date(2027, 12, 31), 1, 6, date(2027, 6, 30)),
        (date(2028, 3, 31), 14, 1, date(2028, 1, 1)),
        (date(2028, 5, 31), 1, 3, date(2028, 2, 29)),  # the end of May, back to the end of February
    ],
)
def test_decide_by_is_the_deadline_less_the_adoption_lead(due, parties, notice, expected):
    assert rules.decide_by(due, parties, notice) == expected


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 12, 31), -3, date(2027, 9, 30)),
        (date(2027, 12, 31), -6, date(2027, 6, 30)),
        (date(2028, 5, 31), -3, date(2028, 2, 29)),  # a leap year's February
        (date(2027, 5, 31), -3, date(2027, 2, 28)),
        (date(2027, 3, 15), -14, date(2026, 1, 15)),  # across a year
        (date(2027, 2, 28), -1, date(2027, 1, 31)),  # the end of February is the end of its month
        (date(2028, 2, 29), -12, date(2027, 2, 28)),
        (date(2027, 1, 30), -2, date(2026, 11, 30)),
    ],
)
def test_add_months_counts_back_too(day, months, expected):
    assert add_months(day, months) == expected


def test_the_issues_example_and_laekaruppdrag():
    decision = rules.deciding_meeting(REKO, date(2027, 12, 31), FOURTEEN, None, 14)
    assert decision == rules.Decision(date(2027, 10, 2), date(2027, 9, 10), date(2027, 8, 27), True)
    lakar = rules.deciding_meeting(REKO, date(2026, 12, 31), FOURTEEN, None, 14)
    assert (lakar.meets_on, lakar.material_due_on) == (date(2026, 9, 11), date(2026, 8, 28))
    assert lakar.late(date(2026, 11, 23)) and not lakar.late(date(2026, 9, 11))
    # A plan that ends first picks no meeting: it says which month it does not reach.
    ended = rules.Plan(rule=REKO_RULE + ";UNTIL=20280630")
    short = rules.deciding_meeting(ended, date(2028, 12, 20), FOURTEEN, None, 14)
    assert (short.meets_on, short.reaches, short.month) == (None, False, "2028-09")
    assert rules.deciding_meeting(rules.Plan(), date(2027, 12, 31), FOURTEEN, None, 14) is None


NEW_YEARS_EVE = date(2026, 12, 31)
MEETINGS = (date(2026, 9, 10), date(2026, 11, 12), date(2027, 1, 14))


@pytest.mark.parametrize(
    ("meetings", "due", "lead", "expected"),
    [
        (MEETINGS, NEW_YEARS_EVE, 14, (date(2026, 11, 12), date(2026, 10, 29))),
        (MEETINGS, NEW_YEARS_EVE, 0, (date(2026, 11, 12), date(2026, 11, 12))),
        # With no adoption lead a meeting on the deadline day itself is the last on or before it.
        ((*MEETINGS, NEW_YEARS_EVE), NEW_YEARS_EVE, 14, (NEW_YEARS_EVE, date(2026, 12, 17))),
        ((date(2026, 12, 30), date(2027, 1, 14)), NEW_YEARS_EVE, 1, (date(2026, 12, 30), date(2026, 12, 29))),
        # Material due on nyårsdagen moves back past nyårsafton.
        ((date(2027, 1, 8), date(2027, 2, 1)), date(2027, 1, 31), 7, (date(2027, 1, 8), date(2026, 12, 30))),
        # Material due on midsommardagen moves back past midsommarafton.
        ((date(2026, 6, 22), date(2026, 8, 1)), date(2026, 7, 1), 2, (date(2026, 6, 22), date(2026, 6, 18))),
        # Material due on a Sunday.
        ((date(2026, 11, 12), date(2027, 1, 14)), NEW_YEARS_EVE, 4, (date(2026, 11, 12), date(2026, 11, 6))),
        (MEETINGS, date(2026, 9, 11), 14, (date(2026, 9, 10), date(2026, 8, 27))),
        # The plan reaches the day but has no meeting before it.
        (MEETINGS, date(2026, 9, 9), 14, None),
    ],
    ids=[
        "last-before",
        "no-lead-time",
        "meeting-on-the-day",
        "day-before",
        "material-on-nyarsdagen",
        "material-on-midsommardagen",
        "material-on-sunday",
        "day-after-first-meeting",
        "none-before",
    ],
)
def test_the_meeting_and_its_material_day(meetings, due, lead, expected):
    decision = rules.deciding_meeting(rules.Plan(extra=tuple(sorted(meetings))), due, 1, None, lead)
    assert decision.reaches
    assert ((decision.meets_on, decision.material_due_on) if decision.meets_on else None) == expected


# --- in words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "start", "swedish", "english"),
    [
        (REKO_RULE, None, "Andra fredagen varje månad utom juli", "The second Friday of every month except July"),
        (
            "FREQ=MONTHLY;BYDAY=1TH;BYMONTH=2,4,6,9,10,12",
            None,
            "Första torsdagen i februari, april, juni, september, oktober och december",
            "The first Thursday in February, April, June, September, October and December",
        ),
        ("FREQ=WEEKLY;BYDAY=TU,TH", None, "Varje tisdag och torsdag", "Every Tuesday and Thursday"),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
            date(2027, 1, 1),
            "Varannan vecka på tisdag, räknat från 2027-01-01",
            "Every other week on Tuesday, counted from 2027-01-01",
        ),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", None, "Den sista dagen varje månad", "The last day of every month"),
        (
            REKO_RULE + ";UNTIL=20280630",
            None,
            "Andra fredagen varje månad utom juli, till och med 2028-06-30",
            "The second Friday of every month except July, until 2028-06-30",
        ),
        ("", None, "Ingen fast mötesplan", "No fixed meeting plan"),
    ],
)
def test_the_rule_in_words(app, rule, start, swedish, english):
    with app.test_request_context():
        with force_locale("sv"):
            assert rules.describe(rule, start) == swedish
        with force_locale("en"):
            assert rules.describe(rule, start) == english


# --- groups: the plan is edited and audited ---------------------------------------------


def test_save_group_stores_checks_and_audits_the_plan(seeded):
    reko = Group.get(Group.name == "ReKo")
    data = directory.group_values(reko)
    with pytest.raises(ValidationError) as refused:
        directory.save_group({**data, "meeting_rule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"}, reko)
    assert set(refused.value.errors) == {"meeting_rule_start"}
    with pytest.raises(ValidationError) as refused:
        directory.save_group({**data, "reports_to": reko.id}, reko)
    assert "kan inte rapportera till sig själv" in refused.value.errors["reports_to"]
    forum = Group.get(Group.name == "Kommunalt forum")
    with pytest.raises(ValidationError) as refused:  # Kommunalt forum -> ReKo -> Kommunalt forum
        directory.save_group({**directory.group_values(forum), "reports_to": reko.id}, forum)
    assert "via andra grupper" in refused.value.errors["reports_to"]

    saved = directory.save_group(
        {**data, "meeting_rule": "freq=weekly;interval=2;byday=tu", "meeting_rule_start": "2027-01-01"}, reko
    )
    assert (saved.meeting_rule, saved.meeting_rule_start) == ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", date(2027, 1, 1))
    entry = AuditEntry.select().where(AuditEntry.entity == "group").order_by(AuditEntry.id.desc()).first()
    assert "meeting_rule" in entry.changes and "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU" in entry.changes
    # Saving without the plan's fields (an older caller) keeps it.
    kept = directory.save_group({k: v for k, v in directory.group_values(saved).items() if "meeting" not in k}, saved)
    assert kept.meeting_rule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"


def test_cancel_a_planned_day_and_undo_it(seeded):
    reko = Group.get(Group.name == "ReKo")
    with pytest.raises(ValidationError) as refused:
        directory.cancel_meeting(reko, date(2027, 3, 5))  # the first Friday: not planned
    assert "har inget möte den dagen" in refused.value.errors["meets_on"]
    cancelled = directory.cancel_meeting(reko, date(2027, 3, 12), "Krockar med länsdagen")
    assert date(2027, 3, 12) not in [
        m.meets_on for m in meeting_plan.meetings(reko, date(2027, 3, 1), date(2027, 3, 31))
    ]
    with pytest.raises(ValidationError) as refused:
        directory.cancel_meeting(reko, date(2027, 3, 12))
    assert refused.value.errors["meets_on"] == "Mötet den dagen är redan inställt."
    with pytest.raises(ValidationError) as refused:
        directory.add_meeting(reko, date(2027, 3, 12))
    assert "Ångra inställningen" in refused.value.errors["meets_on"]
    changes = [e.changes for e in AuditEntry.select().where(AuditEntry.entity == "meeting")]
    assert any('"cancelled": [null, true]' in c for c in changes)
    directory.remove_meeting(cancelled)
    assert date(2027, 3, 12) in [m.meets_on for m in meeting_plan.meetings(reko, date(2027, 3, 1), date(2027, 3, 31))]


# --- the agenda ---------------------------------------------------------------------------


def fourteen_parties():
    region = Organisation.get(Organisation.name == "Region Jönköpings län")
    municipalities = Organisation.select().where(Organisation.kind == "municipality")
    parties = [region.id, *[o.id for o in municipalities]]
    assert len(parties) == FOURTEEN
    return parties


def example(**changes):
    """The issue's example: a ReKo agreement of fourteen parties that expires 2027-12-31."""
    values = {
        "title": "Överenskommelse om exemplet i issue 13",
        "short_name": "Exemplet",
        "responsible_group": Group.get(Group.name == "ReKo"),
        "parties": fourteen_parties(),
        "valid_from": date(2025, 1, 1),
        "expires_on": date(2027, 12, 31),
        **changes,
    }
    return make_agreement(**values)


def test_a_meetings_agenda_is_the_deadlines_it_decides(seeded):
    reko = Group.get(Group.name == "ReKo")
    made = example()
    items = agendas.agenda(reko, date(2027, 9, 10))
    assert [(i.kind, i.due_on) for i in items if i.agreement.id == made.id] == [("expiry", date(2027, 12, 31))]
    assert all(i.meeting.meets_on == date(2027, 9, 10) for i in items)
    assert made.id not in [i.agreement.id for i in agendas.agenda(reko, date(2027, 8, 13))]
    assert agendas.agenda(reko, date(2027, 9, 9)) == []  # no meeting that day
    # The e-health strategy is decided by ReKo although its council is responsible for it. It is under
    # revision: its follow-up and its new version, both due 2026-01-01, are overdue, so they are on the
    # agenda of ReKo's next meeting from today (2026-12-11), and on no later one.
    strategy = agreement("E-hälsostrategin")
    assert strategy.decision_body.name == "ReKo" and strategy.responsible_group.name != "ReKo"
    assert strategy.status == "under_revision"
    due = sorted(
        (kind, getattr(strategy, column))
        for kind, column in (("review", "next_review_on"), ("revision", "revision_due_on"))
        if getattr(strategy, column)
    )
    assert due == [("review", date(2026, 1, 1)), ("revision", date(2026, 1, 1))]
    ((_group, meeting, next_meeting),) = agendas.next_meetings([reko], TODAY)
    assert meeting.meets_on == date(2026, 12, 11)
    assert sorted((i.kind, i.due_on) for i in next_meeting if i.agreement.id == strategy.id) == due
    assert strategy.id not in [i.agreement.id for i in items]  # the 2027-09-10 agenda


# --- pages -------------------------------------------------------------------------------------


def test_the_group_page_shows_the_plan_the_coming_meetings_and_their_agendas(seeded, client):
    reko = Group.get(Group.name == "ReKo")
    made = example()
    page = words(client.get(f"/groups/{reko.id}"))
    assert "ReKo:s mötesplan" in page
    assert "Mötesregel Andra fredagen varje månad utom juli" in page
    assert "Rapporterar till Kommunalt forum" in page
    meetings = section(client.get(f"/groups/{reko.id}"), "meetings-heading")
    assert "2026-12-11" in meetings and "2027-07-09" not in meetings
    assert f'href="/agreements/{made.id}"' in meetings
    flat = " ".join(re.sub(r"<[^>]+>", " ", meetings).split())
    assert re.search(r"2027-09-10 \d+ underlag 2027-08-27", flat)  # the meeting, its items, its material day
    assert "Exemplet Upphör 2027-12-31" in flat
    assert f'href="/groups/{reko.id}/meetings/2027-09-10"' in meetings  # the meeting's own page
    forum_page = words(client.get(f"/groups/{Group.get(Group.name == 'Kommunalt forum').id}"))
    assert "Rapporteras till av ReKo" in forum_page
    assert "Tidigare enstaka möten 2025-05-09" in forum_page

    # Cancel a planned day, then undo it.
    response = client.post(f"/groups/{reko.id}/meetings/cancel", data={"meets_on": "2027-01-08"})
    assert response.status_code == 302
    page = words(client.get(f"/groups/{reko.id}"))
    assert "Mötet 2027-01-08 är inställt." in page and "Inställda möten 2027-01-08" in page
    row = GroupMeeting.get((GroupMeeting.group == reko) & GroupMeeting.cancelled)
    assert client.post(f"/groups/{reko.id}/meetings/{row.id}/delete").status_code == 302
    page = words(client.get(f"/groups/{reko.id}"))
    assert "Mötet 2027-01-08 är inte längre inställt." in page and "Inställda möten" not in page
    refused = client.post(f"/groups/{reko.id}/meetings/cancel", data={"meets_on": "2027-01-07"}, follow_redirects=True)
    assert "Gruppens mötesregel har inget möte den dagen." in words(refused)

    # An extra meeting is listed as one, and may be removed.
    assert (
        client.post(f"/groups/{reko.id}/meetings", data={"meets_on": "2027-07-02", "note": "Extra"}).status_code == 302
    )
    assert "2027-07-02 Enstaka möte Extra" in words(client.get(f"/groups/{reko.id}"))


def test_the_group_form_edits_the_rule_and_says_what_is_wrong_beside_the_field(seeded, client):
    reko = Group.get(Group.name == "ReKo")
    fields = form_fields(client, f"/groups/{reko.id}/edit")
    assert fields["meeting_rule"] == REKO_RULE
    forum = Group.get(Group.name == "Kommunalt forum")
    assert fields["reports_to"] == str(forum.id)
    fields["meeting_rule"] = "FREQ=MONTHLY;BYDAY=7FR"
    response = client.post(f"/groups/{reko.id}/edit", data=fields)
    assert response.status_code == 422
    assert field_error(response, "meeting_rule") == (
        "Ordningstalet i BYDAY ska ligga mellan -5 och 5: en månad har högst fem av varje veckodag."
    )
    fields["meeting_rule"] = "FREQ=MONTHLY;INTERVAL=2;BYDAY=1WE"
    response = client.post(f"/groups/{reko.id}/edit", data=fields)
    assert response.status_code == 422
    assert "Ange när mötesplanen börjar" in field_error(response, "meeting_rule_start")
    fields["meeting_rule_start"] = "2027-01-01"
    assert client.post(f"/groups/{reko.id}/edit", data=fields).status_code == 302
    assert "Första onsdagen varannan månad, räknat från 2027-01-01" in words(client.get(f"/groups/{reko.id}"))
    assert Group.get_by_id(reko.id).meeting_rule == "FREQ=MONTHLY;INTERVAL=2;BYDAY=1WE"


def test_the_agreement_page_shows_the_decide_by_meeting_a_late_decision_and_a_short_plan(seeded, client):
    made = example()
    page = words(client.get(f"/agreements/{made.id}"))
    assert "Beslutas senast vid ReKo:s möte 2027-09-10; underlaget ska vara klart 2027-08-27." in page
    lakar = agreement("Läkaruppdrag")
    page = words(client.get(f"/agreements/{lakar.id}"))
    assert "Sent beslut Beslutet behövde fattas vid ReKo:s möte 2026-09-11" in page
    reko = Group.get(Group.name == "ReKo")
    reko.meeting_rule = REKO_RULE + ";UNTIL=20280630"
    reko.save()
    later = example(title="Avtal som upphör efter mötesplanen", short_name="", expires_on=date(2028, 12, 20))
    page = words(client.get(f"/agreements/{later.id}"))
    assert "ReKo:s mötesplan räcker inte till 2028-09." in page
    assert "Beslutas senast" not in page
    refresh()  # the tests' app context keeps the language of the last page
    english = words(client.get(f"/agreements/{later.id}?lang=en"))
    assert "ReKo's meeting plan does not reach 2028-09." in english


# --- the API --------------------------------------------------------------------------------


def test_patch_a_groups_meeting_plan(seeded):
    api = api_for(seeded, Group.get(Group.name == "Strategigrupp Äldre").id)
    reko = Group.get(Group.name == "ReKo")
    url = f"/api/v1/groups/{reko.id}"
    error_of(api["editor"].patch(url, {"lead_time_days": 21}), 403)
    error_of(api["viewer"].patch(url, {"lead_time_days": 21}), 403)
    error_of(api["admin"].patch("/api/v1/groups/999999", {"lead_time_days": 21}), 404)
    error = error_of(api["admin"].patch(url, {"meeting_rule": "FREQ=MONTHLY;BYDAY=2FR;COUNT=5"}), 422)
    assert "räknas från mötesplanens startdatum" in error["fields"]["meeting_rule_start"]
    error = error_of(api["admin"].patch(url, {"meeting_rule": "FREQ=HOURLY"}), 422)
    assert "FREQ=YEARLY, MONTHLY eller WEEKLY" in error["fields"]["meeting_rule"]
    error = error_of(api["admin"].patch(url, {"reports_to_id": reko.id}), 422)
    assert "reports_to_id" in error["fields"]
    error_of(api["admin"].patch(url, {"colour": "blå"}), 422)

    changed = api["admin"].patch(
        url,
        {"meeting_rule": "FREQ=MONTHLY;BYDAY=2FR;COUNT=5", "meeting_rule_start": "2027-01-01", "lead_time_days": 21},
    )
    assert changed.status_code == 200, changed.get_data(as_text=True)
    body = changed.get_json()
    assert (body["meeting_rule"], body["meeting_rule_start"], body["lead_time_days"]) == (
        "FREQ=MONTHLY;BYDAY=2FR;COUNT=5",
        "2027-01-01",
        21,
    )
    assert body["meeting_rule_text"] == "Andra fredagen varje månad, räknat från 2027-01-01, 5 gånger"
    assert [m["meets_on"] for m in body["meetings"]] == [
        "2027-01-08",
        "2027-02-12",
        "2027-03-12",
        "2027-04-09",
        "2027-05-14",
    ]
    # Fields left out keep their values; null clears the rule.
    cleared = api["admin"].patch(url, {"meeting_rule": None}).get_json()
    assert (cleared["meeting_rule"], cleared["lead_time_days"], cleared["meetings"]) == ("", 21, [])
    assert AuditEntry.select().where((AuditEntry.entity == "group") & (AuditEntry.entity_id == reko.id)).count() == 2


def test_list_meetings_with_their_agendas(seeded):
    api = api_for(seeded, Group.get(Group.name == "Strategigrupp Äldre").id)
    viewer = api["viewer"]
    reko = Group.get(Group.name == "ReKo")
    made = example()
    directory.cancel_meeting(reko, date(2027, 6, 11))
    directory.add_meeting(reko, date(2027, 7, 2), "Extra sommarmöte")
    found = viewer.get(f"/api/v1/meetings?group={reko.id}&from=2027-05-01&to=2027-09-30").get_json()
    assert [(m["meets_on"], m["planned_by"]) for m in found["items"]] == [
        ("2027-05-14", "rule"),
        ("2027-07-02", "extra"),
        ("2027-08-13", "rule"),
        ("2027-09-10", "rule"),
    ]
    assert found["total"] == 4
    september = found["items"][-1]
    assert september["group"] == {"id": reko.id, "name": "ReKo", "short_name": ""}
    assert september["material_due_on"] == "2027-08-27"
    ours = [item for item in september["agenda"] if item["agreement"]["id"] == made.id]
    assert [(item["kind"], item["due_on"], item["agreement"]["short_name"]) for item in ours] == [
        ("expiry", "2027-12-31", "Exemplet")
    ]
    assert found["items"][1]["note"] == "Extra sommarmöte"

    # Every group by default, from today for a year: Barn och unga's six meetings are there too.
    every = viewer.get("/api/v1/meetings?per_page=200").get_json()["items"]
    assert {m["group"]["name"] for m in every} >= {"ReKo", "Strategigrupp Barn och unga"}
    assert all("2026-11-23" <= m["meets_on"] <= "2027-11-23" for m in every)
    days = [m["meets_on"] for m in every]
    assert days == sorted(days)
    # One page at a time, as the deadlines.
    second = viewer.get("/api/v1/meetings?per_page=5&page=2").get_json()
    assert (second["page"], second["per_page"], second["total"]) == (2, 5, len(every))
    assert [m["meets_on"] for m in second["items"]] == days[5:10]
    empty = viewer.get("/api/v1/meetings?from=2027-02-01&to=2027-01-01").get_json()
    assert (empty["items"], empty["total"]) == ([], 0)
    # A long window is read page by page; before the register's first day nothing is planned.
    long = viewer.get(f"/api/v1/meetings?group={reko.id}&from=2027-01-01&to=2036-12-31&per_page=1").get_json()
    # Eleven a year for ten years, with the summer's single meeting and without the cancelled June one.
    assert long["total"] == 11 * 10 + 1 - 1 and long["items"][0]["meets_on"] == "2027-01-08"
    assert viewer.get("/api/v1/meetings?from=0206-05-23&to=0489-06-17").get_json()["total"] == 0
    error_of(viewer.get("/api/v1/meetings?group=x"), 422)
    assert error_of(api["anonymous"].get("/api/v1/meetings"), 401)


# --- the issue's example through the API, the reminder pass and the calendar ----------------


def test_the_issues_example_through_the_api_the_reminders_and_the_calendar(seeded, smtp):
    """ReKo meets the second Friday of each month except July; an agreement of fourteen parties that
    expires 2027-12-31 is decided at ReKo's meeting on 2027-09-10, material due 2027-08-27: the
    advance reminders count from that day, the overdue notices and the expiry event from the deadline."""
    app = seeded
    api = api_for(app, Group.get(Group.name == "ReKo").id)
    reko = Group.get(Group.name == "ReKo")
    created = api["editor"].post(
        "/api/v1/agreements",
        {
            "title": "Överenskommelse om exemplet i issue 13",
            "short_name": "Exemplet",
            "kind": "overenskommelse",
            "responsible_group_id": reko.id,
            "party_ids": fourteen_parties(),
            "owner_ids": [Group.get(Group.name == "ReKo").chair_id],
            "valid_from": "2025-01-01",
            "expires_on": "2027-12-31",
        },
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    made = created.get_json()
    (expiry,) = [d for d in api["viewer"].get(f"/api/v1/agreements/{made['id']}").get_json()["deadlines"]]
    assert expiry["deciding_meeting"] == {
        "group": {"id": reko.id, "name": "ReKo", "short_name": ""},
        "meets_on": "2027-09-10",
        "material_due_on": "2027-08-27",
        "decide_by": "2027-10-02",
        "late": False,
    }
    listed = api["viewer"].get("/api/v1/deadlines?from=2027-12-31&to=2027-12-31").get_json()["items"]
    assert [d["deciding_meeting"]["meets_on"] for d in listed if d["agreement"]["id"] == made["id"]] == ["2027-09-10"]

    # The reminder passes: 180, 90, 30 and 7 days before 2027-08-27, moved back to working days.
    def ours(day):
        before = len(smtp.messages)
        reminders.run_pass(day)
        return [m for m in smtp.messages[before:] if "Exemplet" in m.subject or "exemplet i issue 13" in m.text]

    expected = {
        date(2027, 2, 26): "before:180",  # 2027-02-28 is a Sunday
        date(2027, 5, 28): "before:90",  # 2027-05-29 is a Saturday
        date(2027, 7, 28): "before:30",
        date(2027, 8, 20): "before:7",
    }
    for day, stage in expected.items():
        assert ours(day - timedelta(days=1)) == [], day
        messages = ours(day)
        assert messages, (day, stage)
        for message in messages:
            assert "Upphör: 2027-12-31" in message.text
            assert "Beslutas senast vid ReKo:s möte 2027-09-10; underlaget ska vara klart 2027-08-27." in message.text
        rows = Reminder.select().where((Reminder.agreement == made["id"]) & (Reminder.stage == stage))
        assert {r.send_on for r in rows} == {day} and {r.state for r in rows} == {"sent"}
    # Once each: the same passes again send nothing more.
    for day in expected:
        assert ours(day) == []
    # The expiry keeps its own reminders: overdue from the deadline itself (nyårsdagen 2028 is a Saturday).
    assert ours(date(2027, 12, 31)) == []
    late = ours(date(2028, 1, 3))
    assert late and all("Sent beslut: beslutet behövde fattas vid ReKo:s möte 2027-09-10." in m.text for m in late)
    assert {r.stage for r in Reminder.select().where(Reminder.agreement == made["id"])} == {
        *expected.values(),
        "overdue:1",
    }

    # The calendar: the material event on 2027-08-27, the expiry on its own day.
    admin = client_as(app, "admin")
    _url, path = create_via_page(admin, f"group:{reko.id}")
    found = events(fetch(app, path)[1])
    assert start(found[f"agreement-{made['id']}-expiry-material@{HOST}"]) == date(2027, 8, 27)
    assert start(found[f"agreement-{made['id']}-expiry@{HOST}"]) == date(2027, 12, 31)
    assert "Beslutas på ReKo:s möte 2027-09-10; underlaget ska vara klart 2027-08-27." in str(
        found[f"agreement-{made['id']}-expiry@{HOST}"]["DESCRIPTION"]
    )


def test_a_notice_period_longer_than_the_adoption_lead_replaces_it(seeded):
    made = example(notice_period_months=6)
    (decision,) = [schedule.Meetings([made]).deciding_meeting(made, d.due_on) for d in schedule.deadlines_of(made)]
    # Six months before 2027-12-31 is 2027-06-30; ReKo's last meeting by then is 2027-06-11.
    assert (decision.decide_by, decision.meets_on, decision.material_due_on) == (
        date(2027, 6, 30),
        date(2027, 6, 11),
        date(2027, 5, 28),
    )
    update_agreement(made, notice_period_months=2)  # shorter than 90 days: the adoption lead stands
    made = agreement("Exemplet")
    (decision,) = [schedule.Meetings([made]).deciding_meeting(made, d.due_on) for d in schedule.deadlines_of(made)]
    assert decision.meets_on == date(2027, 9, 10)


def test_a_group_of_its_own_decides_when_it_is_the_decision_body(seeded):
    board = make_group("Beslutsgruppen", meeting_rule="FREQ=MONTHLY;BYDAY=1MO")
    made = example(decision_body=board)
    (decision,) = [schedule.Meetings([made]).deciding_meeting(made, d.due_on) for d in schedule.deadlines_of(made)]
    # The first Monday of September 2027 is the 6th; 14 days before it is Monday 2027-08-23.
    assert (decision.group.name, decision.meets_on, decision.material_due_on) == (
        "Beslutsgruppen",
        date(2027, 9, 6),
        date(2027, 8, 23),
    )


def test_a_meeting_day_near_year_1_leaves_the_meeting_out_everywhere(seeded, client):
    """A meeting an older version stored in year 1 (past the checks) is the decide-by meeting of
    Läkaruppdrag but has no material day: the page, the API and the calendar show the deadline without it."""
    reko = Group.get(Group.name == "ReKo")
    reko.meeting_rule = ""
    reko.save()
    GroupMeeting.insert(group=reko, meets_on=date(1, 1, 3)).execute()
    GroupMeeting.insert(group=reko, meets_on=date(2027, 3, 12)).execute()  # the plan reaches the decide-by day
    lakar = agreement("Läkaruppdrag")
    page = client.get(f"/agreements/{lakar.id}")
    assert page.status_code == 200 and "2026-12-31" in words(page)
    api = api_for(seeded, reko.id)
    (expiry,) = api["viewer"].get(f"/api/v1/agreements/{lakar.id}").get_json()["deadlines"]
    assert (expiry["due_on"], expiry["deciding_meeting"], expiry["meeting_plan_problem"]) == ("2026-12-31", None, None)
    listed = api["viewer"].get("/api/v1/deadlines").get_json()["items"]
    assert [d["deciding_meeting"] for d in listed if d["agreement"]["id"] == lakar.id] == [None]
    _url, path = create_via_page(client_as(seeded, "admin"), f"group:{reko.id}")
    found = events(fetch(seeded, path)[1])
    assert start(found[f"agreement-{lakar.id}-expiry@{HOST}"]) == date(2026, 12, 31)
    assert f"agreement-{lakar.id}-expiry-material@{HOST}" not in found
    assert client.get(f"/groups/{reko.id}").status_code == 200
