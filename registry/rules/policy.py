"""Reminder policy: how many days before a deadline owners hear of it, and how
often an overdue deadline is repeated. The agreement's own policy wins over its
responsible group's, which wins over the defaults."""

from dataclasses import dataclass

DEFAULT_EXPIRY_OFFSETS = (180, 90, 30, 7)
DEFAULT_REVIEW_OFFSETS = (60, 14)
DEFAULT_OVERDUE_EVERY_DAYS = 7
MAX_OFFSET_DAYS = 3650


class PolicyError(ValueError):
    """Offsets that are not a list of whole numbers of days."""


@dataclass(frozen=True)
class Policy:
    expiry: tuple = DEFAULT_EXPIRY_OFFSETS
    review: tuple = DEFAULT_REVIEW_OFFSETS
    overdue_every: int = DEFAULT_OVERDUE_EVERY_DAYS

    def offsets(self, kind):
        """The days before a deadline of `kind`: an expiry's, and a party's decision on a draft needed by
        its start or by the expiry of the version it replaces ("adoption"), count as expiries; a
        review's and a new version's as reviews."""
        return self.expiry if kind in ("expiry", "adoption") else self.review


def parse_offsets(text):
    """ "180, 90, 30" -> (180, 90, 30), largest first; "" -> None (inherit)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        values = {int(part) for part in text.replace(";", ",").split(",") if part.strip()}
    except ValueError:
        raise PolicyError(f"not a list of whole numbers of days: {text!r}") from None
    if not values or not all(1 <= v <= MAX_OFFSET_DAYS for v in values):
        raise PolicyError(f"days must be between 1 and {MAX_OFFSET_DAYS}: {text!r}")
    return tuple(sorted(values, reverse=True))


def format_offsets(offsets):
    return ", ".join(str(v) for v in offsets or ())


def resolve(agreement, group):
    """The policy in force for an agreement (objects with *_offsets and overdue_every_days)."""
    policy = Policy()
    for source in (group, agreement):
        if source is None:
            continue
        policy = Policy(
            expiry=parse_offsets(source.expiry_offsets) or policy.expiry,
            review=parse_offsets(source.review_offsets) or policy.review,
            # 0, negative or empty inherits: a non-positive interval would never advance.
            overdue_every=source.overdue_every_days if (source.overdue_every_days or 0) > 0 else policy.overdue_every,
        )
    return policy
