"""Meeting plans (årshjul) and the meeting that decides on a deadline, as pure date rules.

A group's meeting plan is a recurrence rule (RFC 5545, as python-dateutil reads
it) with an optional start, plus single extra meetings and cancelled planned
days. ReKo meets "the second Friday of every month except July":
FREQ=MONTHLY;BYDAY=2FR;BYMONTH=1,2,3,4,5,6,8,9,10,11,12.

Every computation here is bounded by dates: a rule is never iterated without
a first and a last day (an rrule without DTSTART would count from the moment
it is read, and one whose filters never match runs on to year 9999). A rule
that needs a start to mean anything (INTERVAL above 1, COUNT, or no day of its
own) is refused without one, so the same plan gives the same days whenever it
is read.

The decide-by meeting of a deadline is the plan's last meeting on or before the
deadline less the adoption lead: 90 days when more than one party must adopt
the decision in its own body, else none, or the notice period (uppsägningstid)
when that is longer. Material is due the group's lead time before the meeting,
moved back to a working day. When no meeting of the plan falls on or after that
day, the plan does not reach it, and no meeting is picked: the register says so.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from dateutil.rrule import rrulestr
from flask_babel import gettext as _
from flask_babel import ngettext

from .cycles import CycleError, rule_chunks
from .months import add_months
from .workdays import previous_working_day

# When more than one party must adopt a decision in its own body, it is taken this long before the deadline.
ADOPTION_LEAD_DAYS = 90
# The days a plan may name (the register's stored dates).
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
KEYS = ("FREQ", "INTERVAL", "BYDAY", "BYMONTH", "BYMONTHDAY", "BYSETPOS", "WKST", "COUNT", "UNTIL")
MAX_INTERVAL = 100
MAX_COUNT = 1000
# Windows looked back through for a plan's last meeting before a day: a year, ten years, a Gregorian cycle.
_LOOK_BACK_DAYS = (366, 3660, 146097)
_BYDAY = re.compile(r"([+-]?)([0-9]{0,2})(MO|TU|WE|TH|FR|SA|SU)\Z")
_UNTIL = re.compile(r"([0-9]{4})-?([0-9]{2})-?([0-9]{2})\Z")
_DAYS_IN_MONTH = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


class MeetingRuleError(CycleError):
    """The meeting rule is not one this register understands; `field` names what to change."""

    def __init__(self, message, field="meeting_rule"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class MeetingRule:
    """A parsed meeting rule. Lists are tuples; BYDAY holds (ordinal or 0, weekday)."""

    freq: str
    interval: int = 1
    byday: tuple = ()
    bymonth: tuple = ()
    bymonthday: tuple = ()
    bysetpos: tuple = ()
    wkst: str = ""
    count: int | None = None
    until: date | None = None

    @property
    def text(self):
        """The canonical rule text that is stored."""
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.byday:
            parts.append("BYDAY=" + ",".join(f"{n or ''}{day}" for n, day in self.byday))
        if self.bymonth:
            parts.append("BYMONTH=" + ",".join(map(str, self.bymonth)))
        if self.bymonthday:
            parts.append("BYMONTHDAY=" + ",".join(map(str, self.bymonthday)))
        if self.bysetpos:
            parts.append("BYSETPOS=" + ",".join(map(str, self.bysetpos)))
        if self.wkst:
            parts.append(f"WKST={self.wkst}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            parts.append(f"UNTIL={self.until:%Y%m%d}")
        return ";".join(parts)

    @property
    def fixes_the_day(self):
        """Does the rule say on which day it meets (else the start's day is used, as RFC 5545 says)?"""
        if self.freq == "WEEKLY":
            return bool(self.byday)
        return bool(self.byday or self.bymonthday)

    @property
    def anchored(self):
        """Does the rule count from its start (INTERVAL, COUNT, or the start's day)?"""
        return self.interval != 1 or self.count is not None or not self.fixes_the_day


# --- reading a rule -----------------------------------------------------------------


def _example():
    return _("Skriv till exempel FREQ=MONTHLY;BYDAY=2FR för andra fredagen varje månad.")


def _numbers(key, value, low, high, zero=False):
    found = []
    for chunk in value.split(","):
        try:
            number = int(chunk)
        except ValueError:
            number = None
        if number is None or not (low <= number <= high) or (number == 0 and not zero):
            raise MeetingRuleError(
                _(
                    "%(key)s ska vara ett heltal eller en lista av heltal mellan %(low)s och %(high)s, "
                    "till exempel %(key)s=%(example)s.",
                    key=key,
                    low=low,
                    high=high,
                    example=high if high < 10 else 1,
                )
            )
        if number not in found:
            found.append(number)
    return tuple(found)


def _weekday(value):
    if value not in WEEKDAYS:
        raise MeetingRuleError(_("WKST ska vara en veckodag: MO, TU, WE, TH, FR, SA eller SU."))
    return value


def _byday(value, freq, bymonth):
    found = []
    for chunk in value.split(","):
        match = _BYDAY.match(chunk)
        if not match:
            raise MeetingRuleError(
                _(
                    "BYDAY kan inte läsas: «%(part)s». Ange veckodagar som MO, TU, WE, TH, FR, SA, SU, "
                    "med ordningstal framför för den n:te i månaden, till exempel BYDAY=2FR eller BYDAY=-1TH.",
                    part=chunk,
                )
            )
        sign, digits, day = match.groups()
        ordinal = int(digits) * (-1 if sign == "-" else 1) if digits else 0
        if (sign and not digits) or (digits and ordinal == 0):
            raise MeetingRuleError(_("Ordningstalet i BYDAY får inte vara 0. Skriv till exempel BYDAY=2FR."))
        if ordinal and freq == "WEEKLY":
            raise MeetingRuleError(
                _("En veckoregel kan inte ha ordningstal i BYDAY. Skriv till exempel FREQ=WEEKLY;BYDAY=TU.")
            )
        highest = 5 if freq == "MONTHLY" or bymonth else 53
        if abs(ordinal) > highest:
            raise MeetingRuleError(
                _("Ordningstalet i BYDAY ska ligga mellan -5 och 5: en månad har högst fem av varje veckodag.")
                if highest == 5
                else _("Ordningstalet i BYDAY ska ligga mellan -53 och 53 i en årsregel.")
            )
        if (ordinal, day) not in found:
            found.append((ordinal, day))
    return tuple(found)


def _until(value):
    match = _UNTIL.match(value)
    day = None
    if match:
        try:
            day = date(*map(int, match.groups()))
        except ValueError:
            day = None
    if day is None:
        raise MeetingRuleError(_("UNTIL ska vara ett datum, ÅÅÅÅMMDD, till exempel UNTIL=20281231."))
    if not EARLIEST <= day <= LATEST:
        raise MeetingRuleError(
            _(
                "UNTIL ligger utanför det tillåtna intervallet. Ange ett datum mellan %(earliest)s och %(latest)s.",
                earliest=f"{EARLIEST:%Y%m%d}",
                latest=f"{LATEST:%Y%m%d}",
            )
        )
    return day


def parse(text, start=None):
    """A MeetingRule from rule text (None for an empty rule), checked with the plan's start.

    Raises MeetingRuleError with a sentence saying what is wrong and what is expected;
    its `field` is "meeting_rule_start" when the rule needs a start that is missing.
    """
    return _parse((text or "").strip().upper().replace(" ", ""), start)


@lru_cache(maxsize=256)
def _parse(text, start):
    chunks = rule_chunks(text.removeprefix("RRULE:").rstrip(";"))  # a meeting rule may end in ";"
    if not chunks:
        return None
    parts = {}
    for key, value in chunks:
        if value is None:
            raise MeetingRuleError(_("Regeln kan inte läsas: «%(part)s». %(example)s", part=key, example=_example()))
        if key not in KEYS:
            raise MeetingRuleError(
                _(
                    "En mötesregel kan inte ange %(key)s. Använd FREQ, INTERVAL, BYDAY, BYMONTH, BYMONTHDAY, "
                    "BYSETPOS, WKST, COUNT och UNTIL. %(example)s",
                    key=key,
                    example=_example(),
                )
            )
        if key in parts:
            raise MeetingRuleError(_("%(key)s står två gånger i regeln. Ange den en gång.", key=key))
        if key in ("FREQ", "INTERVAL", "WKST", "COUNT", "UNTIL") and "," in value:
            raise MeetingRuleError(
                _(
                    "%(key)s tar ett enda värde, till exempel %(key)s=%(example)s.",
                    key=key,
                    example={"FREQ": "MONTHLY", "INTERVAL": "2", "WKST": "MO", "COUNT": "10", "UNTIL": "20281231"}[key],
                )
            )
        parts[key] = value
    freq = parts.get("FREQ")
    if freq not in FREQUENCIES:
        raise MeetingRuleError(
            _("Regeln måste ange FREQ=YEARLY, MONTHLY eller WEEKLY. %(example)s", example=_example())
        )
    interval = _numbers("INTERVAL", parts.get("INTERVAL", "1"), 1, MAX_INTERVAL)
    bymonth = tuple(sorted(_numbers("BYMONTH", parts["BYMONTH"], 1, 12))) if "BYMONTH" in parts else ()
    rule = MeetingRule(
        freq=freq,
        interval=interval[0],
        byday=_byday(parts["BYDAY"], freq, bymonth) if "BYDAY" in parts else (),
        bymonth=bymonth,
        bymonthday=_numbers("BYMONTHDAY", parts["BYMONTHDAY"], -31, 31) if "BYMONTHDAY" in parts else (),
        bysetpos=_numbers("BYSETPOS", parts["BYSETPOS"], -366, 366) if "BYSETPOS" in parts else (),
        wkst=_weekday(parts["WKST"]) if "WKST" in parts else "",
        count=_numbers("COUNT", parts["COUNT"], 1, MAX_COUNT)[0] if "COUNT" in parts else None,
        until=_until(parts["UNTIL"]) if "UNTIL" in parts else None,
    )
    if rule.count is not None and rule.until is not None:
        raise MeetingRuleError(_("Ange antingen COUNT eller UNTIL, inte båda."))
    if rule.bysetpos and not (rule.byday or rule.bymonthday):
        raise MeetingRuleError(_("BYSETPOS väljer bland dagarna i BYDAY eller BYMONTHDAY. Ange en av dem också."))
    if any(d and abs(d) > max(_DAYS_IN_MONTH[m] for m in rule.bymonth or range(1, 13)) for d in rule.bymonthday):
        raise MeetingRuleError(
            _("BYMONTHDAY anger en dag som inte finns i de valda månaderna. Välj en dag som finns, till exempel 15.")
        )
    if rule.anchored and start is None:
        if not rule.fixes_the_day:
            message = _(
                "Regeln säger inte vilken dag mötena hålls. Lägg till BYDAY (till exempel BYDAY=2FR för andra "
                "fredagen) eller BYMONTHDAY, eller ange när mötesplanen börjar: då räknas dagen från startdatumet."
            )
        else:
            message = _(
                "En regel med INTERVAL eller COUNT räknas från mötesplanens startdatum. "
                "Ange när mötesplanen börjar, till exempel 2027-01-01."
            )
        raise MeetingRuleError(message, field="meeting_rule_start")
    if start is not None and not EARLIEST <= start <= LATEST:
        raise MeetingRuleError(
            _(
                "Startdatumet ligger utanför det tillåtna intervallet. "
                "Ange ett datum mellan %(earliest)s och %(latest)s.",
                earliest=EARLIEST.isoformat(),
                latest=LATEST.isoformat(),
            ),
            field="meeting_rule_start",
        )
    try:
        first = _rrule(rule.text, rule.anchored and start or EARLIEST).after(_midnight(start or EARLIEST), inc=True)
    except (ValueError, OverflowError):
        first = None
    if first is None:
        raise MeetingRuleError(
            _(
                "Regeln ger inga mötesdagar%(after)s: dagarna den anger finns inte. %(example)s",
                after=_(" efter startdatumet") if start else "",
                example=_example(),
            )
        )
    return rule


def normalise(text, start=None):
    """Canonical rule text for storage ("" for no rule); raises MeetingRuleError."""
    rule = parse(text, start)
    return rule.text if rule else ""


# --- the days a rule gives -----------------------------------------------------------


def _midnight(day):
    return datetime(day.year, day.month, day.day)


@lru_cache(maxsize=256)
def _rrule(text, dtstart):
    return rrulestr(text, dtstart=_midnight(dtstart), cache=False)


@lru_cache(maxsize=4096)
def occurrences(text, start, first, last):
    """The days the rule gives from `first` to `last`, both included, never before `start`, in order.

    Bounded by the two dates whatever the rule says. A rule that counts from its start (INTERVAL,
    COUNT, the start's day) is read from that start; any other from `first` itself, so that looking
    at one year costs a year's worth of steps.
    """
    rule = parse(text, start)
    if rule is None:
        return ()
    if rule.anchored and start is None:
        return ()
    first = max(first, start or EARLIEST, EARLIEST)
    last = min(last, LATEST)
    if rule.until is not None:
        last = min(last, rule.until)
    if first > last:
        return ()
    dtstart = start if rule.anchored else first
    found = _rrule(rule.text, dtstart).between(_midnight(first), _midnight(last), inc=True)
    return tuple(d.date() for d in found)


@lru_cache(maxsize=256)
def _all_counted(text, start):
    """Every day of a COUNT rule (at most MAX_COUNT)."""
    return tuple(d.date() for d in _rrule(text, start))


# --- a plan: the rule, extra meetings and cancelled days ---------------------------


RULE, EXTRA = "rule", "extra"


@dataclass(frozen=True)
class Meeting:
    """A day a group meets: by its rule ("rule") or as a single extra meeting ("extra")."""

    meets_on: date
    source: str
    note: str = ""


@dataclass(frozen=True)
class Plan:
    """A group's meeting plan: a rule from a start, single extra meetings, cancelled planned days."""

    rule: str = ""
    start: date | None = None
    extra: tuple = ()  # sorted days of single meetings
    cancelled: frozenset = field(default_factory=frozenset)
    notes: tuple = ()  # (day, note) of the single meetings that have one

    @property
    def empty(self):
        """A plan with no rule and no single meeting plans nothing."""
        return not self.rule and not self.extra

    def _rule(self):
        try:
            return parse(self.rule, self.start) if self.rule else None
        except MeetingRuleError:  # stored by an older version or by hand: plans nothing
            return None

    def planned(self, first, last):
        """The rule's days from `first` to `last`, cancelled days left out."""
        if self._rule() is None:
            return ()
        return tuple(d for d in occurrences(self.rule, self.start, first, last) if d not in self.cancelled)

    def between(self, first, last):
        """Every meeting from `first` to `last` (both included), in date order: the rule's days that are
        not cancelled and the single meetings (a single meeting on a planned day is that day's note)."""
        notes = dict(self.notes)
        found = {d: Meeting(d, RULE, notes.get(d, "")) for d in self.planned(first, last)}
        for day in self.extra:
            if first <= day <= last and day not in found:
                found[day] = Meeting(day, EXTRA, notes.get(day, ""))
        return [found[d] for d in sorted(found)]

    def last_on_or_before(self, day):
        """The plan's last meeting on or before `day`, or None."""
        extra = [d for d in self.extra if d <= day]
        best = extra[-1] if extra else None
        rule = self._rule()
        if rule is not None:
            if rule.count is not None:
                planned = [d for d in _all_counted(self.rule, self.start) if d <= day and d not in self.cancelled]
                found = planned[-1] if planned else None
            else:
                found = self._look_back(day, best)
            if found is not None and (best is None or found > best):
                best = found
        return best

    def _look_back(self, day, not_before):
        lowest = max(self.start or EARLIEST, EARLIEST)
        for span in _LOOK_BACK_DAYS:
            try:
                first = max(day - timedelta(days=span), lowest)
            except OverflowError:
                first = lowest
            planned = self.planned(first, day)
            if planned:
                return planned[-1]
            if first <= lowest or (not_before is not None and first <= not_before):
                return None
        return None

    def first_on_or_after(self, day):
        """The plan's first meeting on or after `day`, or None."""
        extra = [d for d in self.extra if d >= day]
        best = extra[0] if extra else None
        rule = self._rule()
        if rule is not None:
            if rule.count is not None:
                counted = _all_counted(self.rule, self.start)
                found = next((d for d in counted if d >= day and d not in self.cancelled), None)
            else:
                found = self._look_ahead(day, rule, best)
            if found is not None and (best is None or found < best):
                best = found
        return best

    def _look_ahead(self, day, rule, not_after):
        highest = LATEST if rule.until is None else min(LATEST, rule.until)
        for span in _LOOK_BACK_DAYS:
            last = highest if (highest - day).days <= span else day + timedelta(days=span)
            planned = self.planned(day, last)
            if planned:
                return planned[0]
            if last >= highest or (not_after is not None and last >= not_after):
                return None
        return None

    def reaches(self, day):
        """Does the plan have a meeting on or after `day`? (A rule without an end always does.)"""
        if any(d >= day for d in self.extra):
            return True
        rule = self._rule()
        if rule is None:
            return False
        if rule.count is not None:
            return any(d >= day and d not in self.cancelled for d in _all_counted(self.rule, self.start))
        if rule.until is not None:
            return bool(self.planned(day, rule.until))
        return True


# --- the decide-by meeting of a deadline ----------------------------------------------


def decide_by(due_on, parties, notice_period_months=None):
    """The last day a decision on a deadline can be taken: the deadline less the adoption lead.

    The lead is ADOPTION_LEAD_DAYS when more than one party must adopt the decision, else none;
    a notice period (uppsägningstid, in calendar months) that reaches further back replaces it.
    """
    target = due_on - timedelta(days=ADOPTION_LEAD_DAYS if parties > 1 else 0)
    if notice_period_months:
        target = min(target, add_months(due_on, -notice_period_months))
    return target


@dataclass(frozen=True)
class Decision:
    """Where a deadline's decision belongs in a plan: the decide-by day, and the meeting on or before it.

    `meets_on` is None when the plan does not reach the decide-by day (`reaches` False: say so, pick
    nothing) or when it has no meeting before it.
    """

    decide_by: date
    meets_on: date | None
    material_due_on: date | None
    reaches: bool

    @property
    def month(self):
        """The decide-by month as the register writes it: "2028-09"."""
        return f"{self.decide_by:%Y-%m}"

    def late(self, today):
        """Has the decide-by meeting already been held?"""
        return self.meets_on is not None and self.meets_on < today


def material_due(meets_on, lead_time_days):
    """The day material for a meeting is due: the lead time before it, moved back to a working day."""
    return previous_working_day(meets_on - timedelta(days=lead_time_days))


def deciding_meeting(plan, due_on, parties, notice_period_months, lead_time_days):
    """The Decision of one deadline in a plan, or None for a plan with no rule and no meeting."""
    if plan.empty:
        return None
    target = decide_by(due_on, parties, notice_period_months)
    if not plan.reaches(target):
        return Decision(target, None, None, False)
    meeting = plan.last_on_or_before(target)
    if meeting is None:
        return Decision(target, None, None, True)
    return Decision(target, meeting, material_due(meeting, lead_time_days), True)


# --- the rule in words ---------------------------------------------------------------


def _month_names():
    return (
        _("januari"),
        _("februari"),
        _("mars"),
        _("april"),
        _("maj"),
        _("juni"),
        _("juli"),
        _("augusti"),
        _("september"),
        _("oktober"),
        _("november"),
        _("december"),
    )


def _day_names():
    """{weekday: (name, definite name)}: "fredag", "fredagen"."""
    return {
        "MO": (_("måndag"), _("måndagen")),
        "TU": (_("tisdag"), _("tisdagen")),
        "WE": (_("onsdag"), _("onsdagen")),
        "TH": (_("torsdag"), _("torsdagen")),
        "FR": (_("fredag"), _("fredagen")),
        "SA": (_("lördag"), _("lördagen")),
        "SU": (_("söndag"), _("söndagen")),
    }


def _ordinal(n):
    words = {1: _("första"), 2: _("andra"), 3: _("tredje"), 4: _("fjärde"), 5: _("femte")}
    if n in words:
        return words[n]
    if n == -1:
        return _("sista")
    if n == -2:
        return _("näst sista")
    if n > 0:
        return _("%(n)s:e", n=n)
    return _("%(n)s:e från slutet", n=-n)


def _and(items):
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return _("%(items)s och %(last)s", items=", ".join(items[:-1]), last=items[-1])


def _monthday(n):
    if n == -1:
        return _("den sista dagen")
    if n < 0:
        return _("den %(n)s:e från slutet", n=-n)
    return _("den %(n)s:e", n=n)


def _when(rule):
    """The days within a period, in words ("andra fredagen", "den 15:e"), or None when too odd to say."""
    names = _day_names()
    byday = rule.byday
    if rule.bysetpos:
        # "the last of the Fridays" is "the last Friday": one plain weekday with positions.
        if len(byday) == 1 and not byday[0][0] and not rule.bymonthday and rule.freq != "WEEKLY":
            byday = tuple((pos, byday[0][1]) for pos in rule.bysetpos)
        else:
            return None
    if byday and rule.bymonthday:
        return None
    if rule.bymonthday:
        return _and(_monthday(n) for n in rule.bymonthday)
    if all(n for n, _day in byday):
        return _and(_("%(nth)s %(day)s", nth=_ordinal(n), day=names[day][1]) for n, day in byday)
    if not any(n for n, _day in byday):
        return _and(names[day][0] for _n, day in byday)
    return None


def _months(rule, every):
    """ " utom juli", " i mars och september", or "" for every month."""
    if not rule.bymonth or len(rule.bymonth) == 12:
        return ""
    names = _month_names()
    left_out = [m for m in range(1, 13) if m not in rule.bymonth]
    if every and len(left_out) <= 4:
        return " " + _("utom %(months)s", months=_and(names[m - 1] for m in left_out))
    return " " + _("i") + " " + _and(names[m - 1] for m in rule.bymonth)


def describe(text, start=None):
    """The plan's rule in words, e.g. "Andra fredagen varje månad utom juli"."""
    try:
        rule = parse(text, start)
    except MeetingRuleError:
        return _("Regeln kan inte läsas: %(rule)s", rule=text)
    if rule is None:
        return _("Ingen fast mötesplan")
    when = _when(rule)
    n = rule.interval
    if when is None or (rule.freq == "WEEKLY" and rule.bymonthday):
        words = _("Egen regel: %(rule)s", rule=rule.text)
    elif rule.freq == "WEEKLY":
        plain = _and(_day_names()[day][0] for _n, day in rule.byday) if rule.byday else when
        if n == 1:
            words = _("Varje %(days)s", days=plain)
        elif n == 2:
            words = _("Varannan vecka på %(days)s", days=plain)
        else:
            words = _("Var %(n)s:e vecka på %(days)s", n=n, days=plain)
        words += _months(rule, every=False)
    elif rule.freq == "MONTHLY":
        plain_days = rule.byday and not any(k for k, _day in rule.byday) and not rule.bysetpos
        if plain_days:
            when = _("varje %(days)s", days=when)
        months = _months(rule, every=True)
        if n == 1 and not plain_days and not months.startswith(" " + _("i") + " "):
            words = _("%(when)s varje månad", when=when) + months
        elif n == 1:
            words = when + months
        elif n == 2:
            words = _("%(when)s varannan månad", when=when) + months
        else:
            words = _("%(when)s var %(n)s:e månad", when=when, n=n) + months
    else:
        months = _months(rule, every=False) or " " + _("varje månad")
        if not rule.byday and not rule.bymonthday:
            when = ""
        if n == 1:
            words = _("%(when)s%(months)s varje år", when=when, months=months)
        elif n == 2:
            words = _("%(when)s%(months)s vartannat år", when=when, months=months)
        else:
            words = _("%(when)s%(months)s vart %(n)s:e år", when=when, months=months, n=n)
        words = words.strip()
    if start is not None and rule.anchored:
        words += ", " + _("räknat från %(day)s", day=start.isoformat())
    elif start is not None:
        words += ", " + _("från %(day)s", day=start.isoformat())
    if rule.until is not None:
        words += ", " + _("till och med %(day)s", day=rule.until.isoformat())
    if rule.count is not None:
        words += ", " + ngettext("%(num)s gång", "%(num)s gånger", rule.count)
    return words[:1].upper() + words[1:]
