"""The checks every value goes through on its way in, whatever way it came (form, API, import, seed, command).

Each check takes a raw value and returns (clean value, message): the message is
None when the value is acceptable, else a sentence for the person who typed it,
in the request's language. The limits are the product's, the same everywhere:

- stored dates lie between EARLIEST and LATEST, so that review cycles, reminder
  stages and calendar events (which add days and years to them) stay computable;
- text holds no control characters: long text may hold line breaks and tabs,
  a single line none (a title or a name travels into e-mail subjects, file
  names and spreadsheet cells);
- ids are positive and fit a 64-bit integer (SQLite refuses larger ones with an
  OverflowError, PostgreSQL with an error of its own).

`printable` and `one_line` do the opposite job for what is already stored:
they make text written by an older version safe for a format that cannot carry
it (a spreadsheet cell, an e-mail header), never failing.
"""

import datetime
import re

from flask_babel import gettext as _
from flask_babel import ngettext

from ..rules import policy

EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2999, 12, 31)
MAX_ID = 2**63 - 1
LINE_MAX = 255  # single-line text: names, references
TEXT_MAX = 20000  # long text: descriptions, notes
MAX_LINKS = 200  # owners, parties, groups, documents of one agreement

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, lone surrogates.
_CONTROL = "\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
_LINE_BAD = re.compile(f"[{_CONTROL}]")
# The same less tab and line feed (carriage returns are made line feeds first).
_TEXT_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# What XLSX (XML 1.0) cannot hold: openpyxl's ILLEGAL_CHARACTERS_RE, plus lone surrogates.
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_BREAKS = re.compile(f"[{_CONTROL}]+")


def normalise_newlines(text):
    """CR LF and lone CR (as browsers send text areas) become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _check_text(text, max_length, required, bad, bad_message):
    if required and not text:
        return text, _("Fältet måste fyllas i.")
    if bad.search(text):
        return text, bad_message()
    if len(text) > max_length:
        return text, _(
            "Texten är för lång: %(length)s tecken. Den får vara högst %(n)s tecken.", n=max_length, length=len(text)
        )
    return text, None


def check_line(value, max_length=LINE_MAX, required=False):
    """Single-line text, stripped: no line breaks, tabs or other control characters."""
    text = "" if value is None else str(value).strip()
    return _check_text(
        text,
        max_length,
        required,
        _LINE_BAD,
        lambda: _("Texten får inte innehålla radbrytningar, tabbar eller andra styrtecken. Skriv den på en rad."),
    )


def check_text(value, max_length=TEXT_MAX, required=False):
    """Long text, stripped, newlines as LF: line breaks and tabs allowed, other control characters not."""
    text = "" if value is None else normalise_newlines(str(value)).strip()
    return _check_text(
        text,
        max_length,
        required,
        _TEXT_BAD,
        lambda: _("Texten får inte innehålla styrtecken (annat än radbrytningar och tabbar)."),
    )


URL_MAX = 1000  # links to documents and decisions


def check_url(value, max_length=URL_MAX, required=False):
    """A link on one line that starts with http:// or https:// and holds no spaces ("" when not required)."""
    url, problem = check_line(value, max_length, required)
    if problem is None and url and (not url.startswith(("http://", "https://")) or any(c.isspace() for c in url)):
        problem = _("Länken måste börja med http:// eller https:// och får inte innehålla mellanslag.")
    return url, problem


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def check_email(value, max_length=LINE_MAX, required=False):
    """An e-mail address on one line, lower case ("" when not required)."""
    email, problem = check_line(value, max_length, required)
    if problem is None and email and not _EMAIL.fullmatch(email):
        problem = _("E-postadressen är inte giltig. Skriv den som namn@exempel.se.")
    return email.lower(), problem


def date_range_message():
    return _(
        "Datumet ligger utanför det tillåtna intervallet. Ange ett datum mellan %(earliest)s och %(latest)s.",
        earliest=EARLIEST.isoformat(),
        latest=LATEST.isoformat(),
    )


def check_date(value, required=False):
    """A date (or None) between EARLIEST and LATEST; ISO text is accepted too."""
    if value in (None, ""):
        return None, (_("Ange ett datum som ÅÅÅÅ-MM-DD, till exempel 2027-03-31.") if required else None)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            return None, _("Datumet kunde inte läsas. Ange det som ÅÅÅÅ-MM-DD, till exempel 2027-03-31.")
    if not isinstance(value, datetime.date):
        return None, _("Datumet kunde inte läsas. Ange det som ÅÅÅÅ-MM-DD, till exempel 2027-03-31.")
    if not EARLIEST <= value <= LATEST:
        return None, date_range_message()
    return value, None


def in_date_range(value):
    """True for None and for dates the register can store (for filters that must not overflow)."""
    return value is None or EARLIEST <= value <= LATEST


def check_int(value, low, high, required=False):
    """A whole number between low and high (or None when not required)."""
    if value in (None, ""):
        return None, (_("Ange ett heltal, till exempel 6.") if required else None)
    if isinstance(value, bool):
        return None, _("Värdet är inget heltal. Ange ett heltal, till exempel 6.")
    if isinstance(value, str):
        if not re.fullmatch(r"\s*-?[0-9]{1,19}\s*", value):
            return None, _("Värdet är inget heltal. Ange ett heltal, till exempel 6.")
        value = int(value)
    if not isinstance(value, int):
        return None, _("Värdet är inget heltal. Ange ett heltal, till exempel 6.")
    if not low <= value <= high:
        return None, _(
            "Talet ligger utanför det tillåtna intervallet. Ange ett heltal mellan %(low)s och %(high)s.",
            low=low,
            high=high,
        )
    return value, None


def valid_id(value):
    """An id as an int when it can name a row, else None ("", None, 0, negative, beyond 64 bits, not a number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isascii() or not value.isdigit() or len(value) > 19:
            return None
        value = int(value)
    if isinstance(value, int) and 0 < value <= MAX_ID:
        return value
    return None


def check_ids(values, max_items=MAX_LINKS):
    """A list of ids: (sorted unique ids, message naming what cannot be an id)."""
    ids, bad = [], []
    for value in values or ():
        pk = valid_id(value)
        (ids if pk is not None else bad).append(pk if pk is not None else value)
    if bad:
        return sorted(set(ids)), ngettext(
            "Värdet %(ids)s är inget giltigt id. Ett id är ett positivt heltal, till exempel 12.",
            "Värdena %(ids)s är inga giltiga id. Ett id är ett positivt heltal, till exempel 12.",
            len(bad),
            ids=", ".join(str(v)[:20] for v in bad[:5]),
        )
    if len(set(ids)) > max_items:
        return sorted(set(ids)), _("Listan har för många värden. Den får ha högst %(n)s.", n=max_items)
    return list(dict.fromkeys(ids)), None


MAX_OFFSETS = 20  # reminder days of one deadline


def check_offsets(value):
    """Reminder days before a deadline ("180, 90, 30"), canonical, or "" (inherited)."""
    try:
        offsets = policy.parse_offsets(value)
    except policy.PolicyError:
        offsets = False
    if offsets is False or len(offsets or ()) > MAX_OFFSETS:
        return value, _(
            "Dagarna kunde inte läsas. Ange hela dagar mellan 1 och %(max)s, åtskilda med kommatecken, "
            "till exempel 180, 90, 30.",
            max=policy.MAX_OFFSET_DAYS,
        )
    return policy.format_offsets(offsets), None


def check_policy(data):
    """A group's reminder policy from form data: ({column: clean value}, {field: message})."""
    values, errors = {}, {}
    for name in ("expiry_offsets", "review_offsets"):
        values[name], problem = check_offsets(data.get(name))
        if problem:
            errors[name] = problem
    values["overdue_every_days"], problem = check_int(data.get("overdue_every_days"), 1, 365)
    if problem:
        errors["overdue_every_days"] = _(
            "Antalet dagar ska vara ett heltal mellan 1 och 365. Lämna fältet tomt för att använda standardvärdet."
        )
    return values, errors


# --- making stored text safe for other formats ---------------------------------------


def printable(value):
    """Text as a spreadsheet cell (XML) can hold it: characters XLSX refuses become U+FFFD."""
    if not isinstance(value, str):
        return value
    return _XML_BAD.sub("\ufffd", value)


def one_line(value):
    """Text for a single line (an e-mail header, a file name): every run of control characters becomes a space."""
    return _BREAKS.sub(" ", value or "").strip()
