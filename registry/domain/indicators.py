"""Indicators of an agreement: what its yearly follow-up measures, and the values each follow-up recorded.

An indicator has a name ("Andel med fast vårdkontakt"), a unit ("%"), an optional target (70) and a
direction (higher or lower is better, vocab.INDICATOR_DIRECTIONS). Every follow-up (record_review in
agreements.py) may record a value of each active indicator; the values of one indicator in date order
are its series, shown on the agreement page as a chart with the numbers in a table, and in the yearly
report upward (upward_report.py). An indicator without values may be deleted; one with values is
retired instead (it is no longer asked for, its series stays). Every change is audited.

Numbers are typed in Swedish or English notation ("12,5", "12.5", "1 250", "−3"); stored with at most
four decimals, between -MAX_NUMBER and MAX_NUMBER.
"""

import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _
from peewee import fn

from ..db import db
from ..models import NUMBER_DECIMALS, Indicator, IndicatorValue, Review
from ..vocab import INDICATOR_DIRECTIONS, label
from . import audit, validation
from .errors import ValidationError

MAX_NUMBER = Decimal(1_000_000_000)
QUANTUM = Decimal(1).scaleb(-NUMBER_DECIMALS)  # 0.0001
MAX_NAME, MAX_UNIT, MAX_DESCRIPTION, MAX_NOTE = 200, 20, 2000, 255
MAX_INDICATORS = 50  # per agreement: a follow-up form, not a statistics system
# Spaces a number may be grouped with: space, no-break space, narrow no-break space, thin space.
_GROUPING = re.compile("[ \u00a0\u202f\u2009]")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)\Z", re.ASCII)
FIELDS = ("name", "unit", "target", "direction", "description")
AUDITED = (*FIELDS, "active")


def field_name(indicator_id):
    """The follow-up form's field (and the domain's error key) for one indicator's value."""
    return f"indicator_{indicator_id}"


def number_problem():
    return _("Talet kunde inte läsas. Skriv det med siffror och högst ett decimaltecken, till exempel 12,5 eller 12.5.")


def parse_number(value):
    """(Decimal or None, message): a number typed or sent in Swedish or English notation; empty is None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool):
        return None, number_problem()
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            return None, number_problem()
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            return None, number_problem()
        number = value
    else:
        text = _GROUPING.sub("", str(value).strip()).replace("\u2212", "-")  # Babel writes minus as U+2212
        if not _NUMBER.match(text):
            return None, number_problem()
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            return None, number_problem()
    if abs(number) > MAX_NUMBER:
        return None, _(
            "Talet är för stort. Ange ett tal mellan %(low)s och %(high)s.",
            low=number_text(-MAX_NUMBER),
            high=number_text(MAX_NUMBER),
        )
    rounded = number.quantize(QUANTUM, rounding=ROUND_HALF_UP)
    return (rounded if rounded else Decimal(0)), None


def plain(number):
    """A stored number without trailing zeros, as text with a point: Decimal("62.5000") -> "62.5"."""
    if number is None:
        return None
    text = format(Decimal(number).quantize(QUANTUM), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def as_float(number):
    """A stored number for JSON."""
    return None if number is None else float(plain(number))


def number_text(number, unit=""):
    """A number for people, in the language's notation, with its unit: "62,5 %", "1 250 besök"."""
    if number is None:
        return "–"
    shown = format_decimal(Decimal(plain(number)), locale=get_locale() or "sv", decimal_quantization=False)
    return f"{shown} {unit}" if unit else shown


def meets_target(indicator, value):
    """True when `value` reaches the indicator's target in its direction, False when not, None when there
    is no value or no target."""
    if value is None or indicator.target is None:
        return None
    if indicator.direction == "lower_is_better":
        return Decimal(value) <= Decimal(indicator.target)
    return Decimal(value) >= Decimal(indicator.target)


def direction_label(indicator):
    return str(label(INDICATOR_DIRECTIONS, indicator.direction))


def target_text(indicator):
    """ "70 % (högre är bättre)", or "Inget mål" when it has none."""
    if indicator.target is None:
        return _("Inget mål")
    return f"{number_text(indicator.target, indicator.unit)} ({direction_label(indicator).lower()})"


# --- validating and saving indicators ---------------------------------------------------------


def validate(agreement, data, indicator=None):
    """Check an indicator's data in place (values cleaned); return {field: message}."""
    errors = {}
    for name, check, limit in (
        ("name", validation.check_line, MAX_NAME),
        ("unit", validation.check_line, MAX_UNIT),
        ("description", validation.check_text, MAX_DESCRIPTION),
    ):
        data[name], problem = check(data.get(name), limit)
        if problem:
            errors[name] = problem
    if "name" not in errors and not data["name"]:
        errors["name"] = _("Ange indikatorns namn, till exempel Andel med fast vårdkontakt.")
    data["target"], problem = parse_number(data.get("target"))
    if problem:
        errors["target"] = problem
    if data.get("direction") in (None, ""):
        data["direction"] = "higher_is_better"
    if data["direction"] not in INDICATOR_DIRECTIONS:
        errors["direction"] = _("Välj en riktning i listan.")
    data["active"] = bool(data.get("active", True))
    if "name" not in errors:
        same = Indicator.select().where(
            (Indicator.agreement == agreement.id) & (fn.LOWER(Indicator.name) == data["name"].lower())
        )
        if indicator is not None:
            same = same.where(Indicator.id != indicator.id)
        if same.exists():
            errors["name"] = _("Avtalet har redan en indikator med det namnet. Välj ett annat namn.")
    if indicator is None and Indicator.select().where(Indicator.agreement == agreement.id).count() >= MAX_INDICATORS:
        errors["__all__"] = _("Ett avtal kan ha högst %(n)s indikatorer.", n=MAX_INDICATORS)
    return errors


def _facts(indicator):
    facts = {name: getattr(indicator, name) for name in AUDITED}
    facts["target"] = plain(indicator.target)
    return facts


def save(agreement, data, indicator=None):
    """Add an indicator to the agreement (indicator=None) or change one of its indicators; audited."""
    data = dict(data)
    if indicator is None:
        data.setdefault("active", True)
    errors = validate(agreement, data, indicator)
    if errors:
        raise ValidationError(errors)
    before = _facts(indicator) if indicator is not None else {}
    with db.atomic():
        if indicator is None:
            last = Indicator.select(fn.MAX(Indicator.position)).where(Indicator.agreement == agreement.id).scalar()
            indicator = Indicator(agreement=agreement.id, position=(last or 0) + 1)
        for name in AUDITED:
            setattr(indicator, name, data[name])
        indicator.save()
        indicator = Indicator.get_by_id(indicator.id)  # the target as stored
        changes = audit.diff(before, _facts(indicator))
        if changes:
            audit.record(
                "update" if before else "create",
                "indicator",
                indicator.id,
                changes,
                agreement_id=agreement.id,
                summary=f"{agreement.title}: {indicator.name}",
            )
    return indicator


def has_values(indicator):
    return IndicatorValue.select().where(IndicatorValue.indicator == indicator.id).exists()


def remove(agreement, indicator):
    """Delete an indicator that has no values ("deleted"), retire one that has ("retired"); audited."""
    with db.atomic():
        if has_values(indicator):
            if indicator.active:
                save(agreement, {**_facts(indicator), "active": False}, indicator)
            return "retired"
        audit.record(
            "delete",
            "indicator",
            indicator.id,
            audit.diff(_facts(indicator), {}),
            agreement_id=agreement.id,
            summary=f"{agreement.title}: {indicator.name}",
        )
        Indicator.delete().where(Indicator.id == indicator.id).execute()
    return "deleted"


def of(agreement, active_only=False):
    """The agreement's indicators in their order, the active ones first."""
    query = Indicator.select().where(Indicator.agreement == agreement.id)
    if active_only:
        query = query.where(Indicator.active == True)  # noqa: E712 (SQL)
    return sorted(query, key=lambda i: (not i.active, i.position, i.id))


# --- a follow-up's values ----------------------------------------------------------------------


def check_values(agreement, raw):
    """({indicator id: Decimal or None}, {field: message}) from a follow-up's values ({id: number or
    text}; ids may be text, as JSON object keys are). Only the agreement's active indicators take values."""
    values, errors = {}, {}
    if not raw:
        return values, errors
    active = {i.id: i for i in of(agreement, active_only=True)}
    for key, value in raw.items():
        pk = validation.valid_id(key)
        if pk is None or pk not in active:
            errors[field_name(key)] = _(
                "Avtalet har ingen indikator som följs upp med id %(id)s. Ange id:t för en av avtalets indikatorer.",
                id=str(key)[:20],
            )
            continue
        values[pk], problem = parse_number(value)
        if problem:
            errors[field_name(pk)] = problem
    return values, errors


def store_values(review, values):
    """Store a follow-up's values (inside record_review's transaction); return them for the audit trail
    (numbers with a point, whatever the language: "Andel med SIP: 41.5 %")."""
    if not values:
        return []
    names = {i.id: i for i in Indicator.select().where(Indicator.id.in_(list(values)))}
    rows = [{"review": review.id, "indicator": pk, "value": v} for pk, v in values.items() if v is not None]
    if rows:
        IndicatorValue.insert_many(rows).execute()
    return sorted(
        f"{names[pk].name}: {plain(v)}{' ' + names[pk].unit if names[pk].unit else ''}"
        for pk, v in values.items()
        if v is not None
    )


@dataclass(frozen=True)
class Point:
    """One value of an indicator: the follow-up's date and the value, and whether it meets the target."""

    review_id: int
    reviewed_on: date
    value: Decimal
    meets: bool | None


@dataclass(frozen=True)
class Series:
    indicator: Indicator
    points: list  # Point in date order

    @property
    def unit(self):
        return self.indicator.unit

    def text(self, value):
        return number_text(value, self.indicator.unit)

    def number(self, value):
        return number_text(value)

    @property
    def target_text(self):
        return target_text(self.indicator)

    @property
    def summary(self):
        """The series in words for an accessible name: "Andel med fast vårdkontakt: 2024-03-01 62 %,
        2025-03-03 68 %; mål 70 % (högre är bättre)"."""
        values = ", ".join(f"{p.reviewed_on.isoformat()} {self.text(p.value)}" for p in self.points)
        parts = [values or _("inga värden registrerade")]
        if self.indicator.target is not None:
            parts.append(_("mål %(target)s", target=target_text(self.indicator)))
        return f"{self.indicator.name}: {'; '.join(parts)}"


def series(indicators, until=None):
    """{indicator id: Series} of these indicators' recorded values, in follow-up date order (up to `until`)."""
    found = {i.id: [] for i in indicators}
    if found:
        rows = (
            IndicatorValue.select(IndicatorValue, Review.id, Review.reviewed_on)
            .join(Review)
            .where(IndicatorValue.indicator.in_(list(found)) & IndicatorValue.value.is_null(False))
            .order_by(Review.reviewed_on, Review.id)
        )
        if until is not None:
            rows = rows.where(Review.reviewed_on <= until)
        by_id = {i.id: i for i in indicators}
        for row in rows:
            indicator = by_id[row.indicator_id]
            found[row.indicator_id].append(
                Point(row.review_id, row.review.reviewed_on, row.value, meets_target(indicator, row.value))
            )
    return {i.id: Series(i, found[i.id]) for i in indicators}


def of_agreement(agreement):
    """[Series] of the agreement's indicators, the active ones first."""
    indicators = of(agreement)
    found = series(indicators)
    return [found[i.id] for i in indicators]


def values_of_reviews(review_ids):
    """{review id: {indicator id: Decimal}} of these follow-ups."""
    found = {}
    if review_ids:
        rows = IndicatorValue.select().where(IndicatorValue.review.in_(list(review_ids)))
        for row in rows:
            if row.value is not None:
                found.setdefault(row.review_id, {})[row.indicator_id] = row.value
    return found
