"""Review cycles, stored as RFC 5545 recurrence rules (python-dateutil rrule).

An agreement stores its cycle as rule text without a start, such as
"FREQ=YEARLY;INTERVAL=3"; the start (the anchor) is its last review, or its
start date. Yearly and monthly steps are computed as `anchor + n * step` with
relativedelta, never by chaining, so 29 February and month ends stay anchored
(2024-02-29 + 1 year = 2025-02-28, + 4 years = 2028-02-29).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrulestr
from flask_babel import gettext as _

FREQUENCIES = {"YEARLY": YEARLY, "MONTHLY": MONTHLY, "WEEKLY": WEEKLY, "DAILY": DAILY}
UNIT_CHOICES = ("none", "years", "months")
_UNIT_TO_FREQ = {"years": "YEARLY", "months": "MONTHLY"}


class CycleError(ValueError):
    """The review rule text is not a recurrence rule this product understands."""


@dataclass(frozen=True)
class Cycle:
    """A parsed review cycle: a frequency and an interval."""

    freq: str
    interval: int

    @property
    def rule(self):
        """The canonical rule text stored in the database."""
        return f"FREQ={self.freq};INTERVAL={self.interval}"


def rule_chunks(text):
    """The parts of an RFC 5545 rule's text (upper case), in order, an "RRULE:" prefix dropped:
    (key, value) for each KEY=VALUE, (the part, None) for a part that is none; [] for no rule.
    Review cycles here and meeting plans (registry/rules/meetings.py) read their rules through it."""
    if text.startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if not text:
        return []
    chunks = []
    for chunk in text.split(";"):
        key, sep, value = chunk.partition("=")
        chunks.append((key, value) if sep and value else (chunk, None))
    return chunks


def parse(rule):
    """Parse rule text; None for an empty rule (no review cycle)."""
    chunks = rule_chunks((rule or "").strip().upper())
    if not chunks:
        return None
    parts = {}
    for key, value in chunks:
        if value is None:
            raise CycleError(_("Regeln kan inte läsas: «%(part)s». Skriv den som FREQ=YEARLY;INTERVAL=1.", part=key))
        if key not in ("FREQ", "INTERVAL"):
            raise CycleError(
                _(
                    "Regeln får bara ange FREQ och INTERVAL, inte %(key)s. Skriv till exempel FREQ=YEARLY;INTERVAL=2.",
                    key=key,
                )
            )
        parts[key] = value
    freq = parts.get("FREQ")
    if freq not in FREQUENCIES:
        raise CycleError(
            _("Regeln måste ange FREQ=YEARLY, MONTHLY, WEEKLY eller DAILY, till exempel FREQ=YEARLY;INTERVAL=1.")
        )
    try:
        interval = int(parts.get("INTERVAL", "1"))
    except ValueError:
        raise CycleError(_("INTERVAL måste vara ett heltal, till exempel INTERVAL=2.")) from None
    if not 1 <= interval <= 100:
        raise CycleError(_("INTERVAL måste vara ett heltal mellan 1 och 100."))
    cycle = Cycle(freq, interval)
    rrulestr(cycle.rule, dtstart=datetime(2000, 1, 1))  # the stored text is a valid rrule
    return cycle


def normalise(rule):
    """Canonical rule text for storage ("" for no cycle); raises CycleError."""
    cycle = parse(rule)
    return cycle.rule if cycle else ""


def from_parts(unit, interval):
    """Rule text from a form's unit ("none", "years", "months") and interval."""
    if unit == "none" or not unit:
        return ""
    return Cycle(_UNIT_TO_FREQ[unit], int(interval)).rule


def to_parts(rule):
    """(unit, interval) for a form; ("none", 1) when there is no simple equivalent."""
    cycle = parse(rule)
    if cycle is None:
        return ("none", 1)
    for unit, freq in _UNIT_TO_FREQ.items():
        if cycle.freq == freq:
            return (unit, cycle.interval)
    return ("none", 1)


def _step(cycle, anchor, n):
    """The n-th cycle date after anchor (n >= 1), anchored on the anchor itself."""
    k = n * cycle.interval
    if cycle.freq == "YEARLY":
        return anchor + relativedelta(years=k)
    if cycle.freq == "MONTHLY":
        return anchor + relativedelta(months=k)
    if cycle.freq == "WEEKLY":
        return anchor + timedelta(weeks=k)
    return anchor + timedelta(days=k)


def occurrences(rule, anchor, until):
    """Review dates after anchor up to and including until, in order."""
    cycle = parse(rule)
    if cycle is None or anchor is None:
        return []
    dates = []
    n = 1
    while (d := _step(cycle, anchor, n)) <= until:
        dates.append(d)
        n += 1
    return dates


def next_review(rule, anchor):
    """The first review date after anchor, or None without a cycle or an anchor."""
    cycle = parse(rule)
    if cycle is None or anchor is None:
        return None
    return _step(cycle, anchor, 1)


def describe(rule):
    """A short Swedish (or translated) description, e.g. "Vart 3:e år"."""
    cycle = parse(rule)
    if cycle is None:
        return _("Ingen fast uppföljningscykel")
    n = cycle.interval
    if cycle.freq == "YEARLY":
        return _("Årligen") if n == 1 else _("Vart %(n)s:e år", n=n)
    if cycle.freq == "MONTHLY":
        return _("Varje månad") if n == 1 else _("Var %(n)s:e månad", n=n)
    if cycle.freq == "WEEKLY":
        return _("Varje vecka") if n == 1 else _("Var %(n)s:e vecka", n=n)
    return _("Varje dag") if n == 1 else _("Var %(n)s:e dag", n=n)
