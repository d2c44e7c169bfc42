"""A name in the genitive ("ReKo:s möte"), registry.i18n.genitive, by the Swedish rule and the English one."""

import pytest
from flask_babel import force_locale

from registry.i18n import genitive


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Abbreviations and names ending in a capital or a digit: colon-s.
        ("ReKo", "ReKo:s"),
        ("PKS", "PKS:s"),
        ("KCRD", "KCRD:s"),
        ("HälsoSAMS", "HälsoSAMS:s"),
        ("Beredningsansvarig ReKo", "Beredningsansvarig ReKo:s"),
        ("Arbetsgrupp 2", "Arbetsgrupp 2:s"),
        # Ending in s, x or z: nothing.
        ("Tranås", "Tranås"),
        ("Tranås kommuns", "Tranås kommuns"),
        ("Fyrklövern Linux", "Fyrklövern Linux"),
        ("Mellersta Kranz", "Mellersta Kranz"),
        # Any other: s.
        ("Kommunalt forum", "Kommunalt forums"),
        ("Barn och unga", "Barn och ungas"),
        ("Äldre", "Äldres"),
        ("E-hälsorådet", "E-hälsorådets"),
        ("KomHem-avtal", "KomHem-avtals"),
        ("Region Jönköpings län", "Region Jönköpings läns"),
        ("Strategigrupp Psykiatri och missbruk", "Strategigrupp Psykiatri och missbruks"),
        # Spacing around the name does not count; nothing stays nothing.
        ("  ReKo ", "ReKo:s"),
        ("", ""),
        (None, ""),
    ],
)
def test_swedish_genitive(name, expected):
    assert genitive(name, "sv") == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("ReKo", "ReKo's"), ("Kommunalt forum", "Kommunalt forum's"), ("Tranås", "Tranås'"), ("PKS", "PKS's")],
)
def test_english_genitive(name, expected):
    assert genitive(name, "en") == expected


def test_the_language_is_the_pages(app):
    with app.test_request_context("/"):
        assert genitive("ReKo") == "ReKo:s"  # Swedish by default
        with force_locale("en"):
            assert genitive("ReKo") == "ReKo's"
        rendered = app.jinja_env.from_string("{{ _('Beslutas senast vid %(group)s möte', group=name|genitive) }}")
        assert rendered.render(name="Barn och unga") == "Beslutas senast vid Barn och ungas möte"
    assert genitive("ReKo") == "ReKo:s"  # no request and no app: Swedish
