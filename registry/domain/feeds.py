"""Calendar feeds (RFC 5545): every open deadline as an all-day event, at secret addresses.

A feed is a FeedToken: a random secret in the address, owned by a user, with a
scope: 'person' (agreements the user's Person owns), 'group' (agreements a
group is responsible for, contributes to or decides on) or 'all' (the whole
register). Calendar clients subscribe without logging in, so the secret is the
only key: it stops working when it is revoked, when its owner's account is
deactivated, or when the owner's role no longer grants what the scope needs.

Each agreement gives up to six events: its expiry, its next review, its new
version's date (under revision), and for each of them the day material is due
for its decide-by meeting: the deciding group's last meeting on or before the
deadline less the adoption lead (registry/domain/schedule.py). When the group's
meeting plan does not reach that far, there is no material event and the
deadline's description says so. Nothing in a feed depends on the day it is
fetched (a late decision is said on the agreement's page, in the API and in
the reminders, not here). UIDs name the agreement and the kind of event, never the date, so a
moved deadline moves in the subscriber's calendar instead of appearing twice.
SEQUENCE, DTSTAMP and LAST-MODIFIED come from the last change to the
agreement (its updated_at, or a review recorded later), so the same register
always yields the same feed and a change is visible to clients that compare.
"""

import datetime
import logging
import re
import secrets
from urllib.parse import urlsplit

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, vDuration
from peewee import fn

from .. import permissions
from ..collation import sv_key
from ..db import db
from ..i18n import genitive
from ..models import (
    Agreement,
    AgreementGroup,
    AgreementOwner,
    FeedToken,
    Group,
    Review,
)
from ..vocab import ACTIVE_STATUSES, REMINDER_KINDS, label
from . import audit, ownership, revisions, schedule, validation
from .errors import ValidationError

log = logging.getLogger(__name__)

PERSON, GROUP, ALL = "person", "group", "all"
SCOPES = (PERSON, GROUP, ALL)
# What the owner's role must allow for a feed of each scope to be created and served.
SCOPE_LEVEL = {PERSON: "login", GROUP: "read", ALL: "read"}
# How often clients are asked to fetch the feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
REFRESH = datetime.timedelta(hours=1)
PRODID = "-//Overenskommelseregistret//Kalenderflode//SV"
# SEQUENCE counts seconds from here: it grows with every change and fits in 32 bits until 2088.
SEQUENCE_EPOCH = datetime.datetime(2020, 1, 1)
TOKEN_BYTES = 32
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


# --- tokens -------------------------------------------------------------------


def new_token():
    """A fresh secret for a feed address (256 bits, URL-safe)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def scope_choices(user):
    """(value, label) of the feeds `user` may create: 'person', 'all', 'group:<id>'."""
    choices = []
    if user.person_id and permissions.allowed(user, SCOPE_LEVEL[PERSON]):
        choices.append((PERSON, _("Mina avtal")))
    if permissions.allowed(user, SCOPE_LEVEL[ALL]):
        choices.append((ALL, _("Hela registret")))
    if permissions.allowed(user, SCOPE_LEVEL[GROUP]):
        groups = sorted(Group.select(Group.id, Group.name), key=lambda g: sv_key(g.name))
        choices.extend((f"{GROUP}:{g.id}", _("Grupp: %(name)s", name=g.name)) for g in groups)
    return choices


def parse_scope(value):
    """'person' | 'all' | 'group:<id>' -> (scope, scope_id), or None when malformed."""
    value = (value or "").strip()
    if value in (PERSON, ALL):
        return value, None
    kind, _sep, pk = value.partition(":")
    pk = validation.valid_id(pk) if kind == GROUP else None
    if pk is not None and pk < 2**31:
        return GROUP, pk
    return None


def create_feed(user, value):
    """Create a feed for `user` from a scope value; raise ValidationError({'scope': ...})."""
    parsed = parse_scope(value)
    if parsed is None:
        raise ValidationError({"scope": _("Välj vad kalendern ska visa.")})
    scope, scope_id = parsed
    if not permissions.allowed(user, SCOPE_LEVEL[scope]):
        raise ValidationError({"scope": _("Din roll får inte prenumerera på den kalendern.")})
    if scope == PERSON and not user.person_id:
        raise ValidationError(
            {"scope": _("Ditt konto är inte kopplat till en person i registret, så du äger inga avtal.")}
        )
    group = None
    if scope == GROUP:
        group = Group.get_or_none(Group.id == scope_id)
        if group is None:
            raise ValidationError({"scope": _("Gruppen finns inte i registret. Välj en grupp i listan.")})
    with db.atomic():
        feed = FeedToken.create(user=user, token=new_token(), scope=scope, scope_id=scope_id)
        audit.record(
            "create",
            "feed",
            feed.id,
            {"scope": [None, scope_label(feed, group)], "user": [None, user.email]},
            summary=_("Kalenderflöde: %(what)s", what=scope_label(feed, group)),
        )
    return feed


def revoke_feed(feed):
    """Stop a feed's address from working; returns False when it was already revoked."""
    what = scope_label(feed)
    return ownership.revoke(
        feed, "feed", {"scope": what, "user": feed.user.email}, _("Kalenderflöde: %(what)s", what=what)
    )


def visible_feeds(user):
    """The active feeds `user` manages: their own, or everyone's for an admin."""
    return ownership.managed_by(FeedToken, user)


may_manage = ownership.may_manage


def feed_for_token(token):
    """The feed this secret opens, or None (unknown, revoked, owner inactive or no longer allowed)."""
    if not token or not _TOKEN_SHAPE.match(token):
        return None
    feed = FeedToken.get_or_none((FeedToken.token == token) & FeedToken.revoked_at.is_null())
    if feed is None or feed.scope not in SCOPES:
        return None
    owner = feed.user
    if not permissions.allowed(owner, SCOPE_LEVEL[feed.scope]):
        return None
    if feed.scope == GROUP and Group.get_or_none(Group.id == feed.scope_id) is None:
        return None
    return feed


def scope_label(feed, group=None, viewer=None):
    """What a feed shows, for people ("Mina avtal" when `viewer` owns it)."""
    if feed.scope == PERSON and viewer is not None and viewer.id == feed.user_id:
        return _("Mina avtal")
    if feed.scope == PERSON:
        return _("Avtal som %(name)s äger", name=feed.user.name)
    if feed.scope == ALL:
        return _("Hela registret")
    group = group or Group.get_or_none(Group.id == feed.scope_id)
    return _("Grupp: %(name)s", name=group.name if group else f"#{feed.scope_id}")


# --- what a feed contains -----------------------------------------------------


def agreements_in(feed):
    """The agreements with deadlines that a feed covers (those in force or under revision)."""
    query = Agreement.select().where(Agreement.status.in_(ACTIVE_STATUSES))
    if feed.scope == PERSON:
        if not feed.user.person_id:
            return []
        owned = AgreementOwner.select(AgreementOwner.agreement).where(AgreementOwner.person == feed.user.person_id)
        query = query.where(Agreement.id.in_(owned))
    elif feed.scope == GROUP:
        contributing = AgreementGroup.select(AgreementGroup.agreement).where(AgreementGroup.group == feed.scope_id)
        query = query.where(
            (Agreement.responsible_group == feed.scope_id)
            | (Agreement.decision_body == feed.scope_id)
            | Agreement.id.in_(contributing)
        )
    return list(query.order_by(Agreement.id))


def _review_facts(ids):
    """{agreement id: (latest reviewed_on, latest review created_at)} in one query."""
    if not ids:
        return {}
    rows = (
        Review.select(Review.agreement, fn.MAX(Review.reviewed_on), fn.MAX(Review.created_at))
        .where(Review.agreement.in_(ids))
        .group_by(Review.agreement)
        .tuples()
    )
    facts = {}
    for agreement_id, reviewed_on, created_at in rows:
        facts[agreement_id] = (_as_date(reviewed_on), _as_datetime(created_at))
    return facts


def _as_date(value):
    # Aggregates come back as text on SQLite.
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value


def _as_datetime(value):
    if isinstance(value, str):
        return datetime.datetime.fromisoformat(value)
    return value


def sequence_for(changed_at):
    """SEQUENCE from a change time: later changes give larger numbers."""
    return max(int((changed_at - SEQUENCE_EPOCH).total_seconds()), 0)


def _utc(value):
    return value.replace(tzinfo=datetime.UTC, microsecond=0)


def _name(agreement):
    return agreement.short_name or agreement.title


def events_for(agreements, base_url, host):
    """The feed's events for these agreements, in date order (Event components)."""
    ids = [a.id for a in agreements]
    reviews = _review_facts(ids)
    meetings = schedule.Meetings(agreements)
    work = revisions.open_deadlines(ids)
    events = []
    for agreement in agreements:
        try:
            found = _events_of(agreement, reviews, meetings, base_url, host)
            found += [_work_event(agreement, d, meetings, base_url, host) for d in work.get(agreement.id, ())]
        except (OverflowError, ValueError):
            # A date an older version stored (9999-12-31, year 1) that no deadline can be computed from.
            log.warning("calendar feed: agreement %s has dates no deadline can be computed from", agreement.id)
            continue
        events.extend(event for event in found if event is not None)
    events.sort(key=lambda e: (e.decoded("dtstart"), str(e["uid"])))
    return events


def _events_of(agreement, reviews, meetings, base_url, host):
    """One agreement's events (None for a day a calendar cannot show)."""
    events = []
    last_reviewed, review_recorded = reviews.get(agreement.id, (None, None))
    changed_at = max(t for t in (agreement.updated_at, review_recorded, agreement.created_at) if t)
    responsible = meetings.groups.get(agreement.responsible_group_id)
    deciding = meetings.deciding_group(agreement)
    link = f"{base_url}/agreements/{agreement.id}"
    found = schedule.deadlines_of(agreement, last_reviewed)
    for deadline in found:
        meeting = meetings.safe_deciding_meeting(agreement, deadline.due_on)
        common = {
            "agreement": agreement,
            "deadline": deadline,
            "responsible": responsible,
            "deciding": deciding,
            "meeting": meeting,
            "link": link,
            "host": host,
            "changed_at": changed_at,
        }
        events.append(_deadline_event(**common))
        if meeting is not None and meeting.found:
            events.append(_material_event(**common))
    return events


def _work_event(agreement, found, meetings, base_url, host):
    """A revision's step not yet done, or its remiss's answer day (registry/domain/revisions.py): no
    meeting decides it, so it has no material event. Its UID names the step or the remiss."""
    link = f"{base_url}/agreements/{agreement.id}/revision"
    what = _what(found.kind)
    summary = f"{what}: {found.title} – {_name(agreement)}" if found.title else f"{what}: {_name(agreement)}"
    lines = [agreement.title, f"{what}: {found.name}, {_('senast %(date)s', date=found.due_on.isoformat())}"]
    responsible = meetings.groups.get(agreement.responsible_group_id)
    if responsible is not None:
        lines.append(_("Ansvarig grupp: %(name)s", name=responsible.name))
    lines.append(link)
    return _event(
        f"agreement-{agreement.id}-{found.kind}-{found.item_id}@{host}",
        found.due_on,
        summary,
        "\n".join(lines),
        link,
        agreement,
        max(t for t in (agreement.updated_at, agreement.created_at) if t),
    )


def _what(kind):
    return str(label(REMINDER_KINDS, kind))


def _description(agreement, deadline, responsible, deciding, meeting, link, lead=None):
    lines = [agreement.title]
    if lead:
        lines.append(lead)
        meeting = None  # the lead already names the meeting
    lines.append(f"{_what(deadline.kind)}: {deadline.due_on.isoformat()}")
    if responsible is not None:
        lines.append(_("Ansvarig grupp: %(name)s", name=responsible.name))
    if deciding is not None and agreement.decision_body_id and deciding.id != agreement.responsible_group_id:
        lines.append(_("Beslutande organ: %(name)s", name=deciding.name))
    if meeting is not None and meeting.found:
        meets_on, material_by = meeting.meets_on, meeting.material_due_on
        lines.append(
            _(
                "Beslutas på %(group)s möte %(date)s; underlaget ska vara klart %(by)s.",
                group=genitive(deciding.display_name),
                date=meets_on.isoformat(),
                by=material_by.isoformat(),
            )
        )
    elif meeting is not None and not meeting.reaches:
        lines.append(
            _(
                "%(group)s mötesplan räcker inte till %(month)s.",
                group=genitive(deciding.display_name),
                month=meeting.month,
            )
        )
    lines.append(link)
    return "\n".join(lines)


def _event(uid, day, summary, description, link, agreement, changed_at):
    """An all-day event, or None for a day outside the register's dates (stored by an older
    version, e.g. 9999-12-31 for "never"): the day after it, its end, may not even exist."""
    if not isinstance(day, datetime.date) or not (validation.EARLIEST <= day <= validation.LATEST):
        return None
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", _utc(changed_at))
    event.add("dtstart", day)
    event.add("dtend", day + datetime.timedelta(days=1))
    # Text an older version stored may hold control characters, which iCalendar text may not.
    event.add("summary", validation.one_line(summary))
    event.add("description", validation.printable(description).replace("\ufffd", " "))
    event.add("url", link)
    event.add("sequence", sequence_for(changed_at))
    event.add("last-modified", _utc(changed_at))
    event.add("created", _utc(agreement.created_at))
    event.add("transp", "TRANSPARENT")
    event.add("x-microsoft-cdo-alldayevent", "TRUE")
    event.add("x-microsoft-cdo-busystatus", "FREE")
    return event


def _deadline_event(agreement, deadline, responsible, deciding, meeting, link, host, changed_at):
    return _event(
        f"agreement-{agreement.id}-{deadline.kind}@{host}",
        deadline.due_on,
        f"{_what(deadline.kind)}: {_name(agreement)}",
        _description(agreement, deadline, responsible, deciding, meeting, link),
        link,
        agreement,
        changed_at,
    )


def _material_event(agreement, deadline, responsible, deciding, meeting, link, host, changed_at):
    meets_on, material_by = meeting.meets_on, meeting.material_due_on
    summary = _(
        "Underlag klart: %(name)s – %(what)s %(date)s",
        name=_name(agreement),
        what=_what(deadline.kind).lower(),
        date=deadline.due_on.isoformat(),
    )
    lead = _(
        "Underlaget ska vara klart till %(group)s möte %(date)s, där beslutet senast ska fattas.",
        group=genitive(deciding.display_name),
        date=meets_on.isoformat(),
    )
    return _event(
        f"agreement-{agreement.id}-{deadline.kind}-material@{host}",
        material_by,
        summary,
        _description(agreement, deadline, responsible, deciding, meeting, link, lead=lead),
        link,
        agreement,
        changed_at,
    )


def calendar_name(feed):
    return _("Överenskommelseregistret – %(what)s", what=_short_scope(feed))


def _short_scope(feed):
    if feed.scope == PERSON:
        return _("avtal som %(name)s äger", name=feed.user.name)
    if feed.scope == ALL:
        return _("hela registret")
    group = Group.get_or_none(Group.id == feed.scope_id)
    return group.display_name if group else f"#{feed.scope_id}"


def build_calendar(feed, base_url, timezone="Europe/Stockholm", locale="sv"):
    """The feed as iCalendar bytes (UTF-8, CRLF), in the register's language."""
    base_url = base_url.rstrip("/")
    host = urlsplit(base_url).hostname or "localhost"
    with force_locale(locale):
        calendar = Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        name = calendar_name(feed)
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
        description = _(
            "Tidsfrister i Överenskommelseregistret: slutdatum, uppföljningar och underlag till beslutsmöten."
        )
        calendar.add("description", description)
        calendar.add("x-wr-caldesc", description)
        calendar.add("x-wr-timezone", timezone)
        calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(REFRESH).to_ical().decode())
        for event in events_for(agreements_in(feed), base_url, host):
            calendar.add_component(event)
    return calendar.to_ical()
