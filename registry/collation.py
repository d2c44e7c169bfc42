"""Swedish alphabetical order (å, ä, ö after z) for lists sorted in Python."""

# "{", "|" and "}" follow "z" in code-point order.
_SWEDISH = str.maketrans(
    {"å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}", "é": "e", "è": "e", "ü": "y", "á": "a", "à": "a"}
)


def sv_key(text):
    """A sort key placing å, ä, ö after z, case-insensitively."""
    return (text or "").casefold().translate(_SWEDISH)


def sv_collation_key(text):
    """The full order of the "sv" collation: sv_key, then lower case before upper on ties (as ICU)."""
    return (sv_key(text), text.swapcase())


_ORGANISATION_RANK = {"region": 0, "municipality": 1}


def organisation_key(organisation):
    """Regions first, then municipalities, then other bodies; each alphabetically."""
    return (_ORGANISATION_RANK.get(organisation.kind, 2), sv_key(organisation.name))


def sorted_organisations(organisations):
    return sorted(organisations, key=organisation_key)
