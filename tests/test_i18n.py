"""Languages: complete catalogues, English pages without Swedish UI text, the
order in which a language is chosen, and Swedish alphabetical order in lists.

The msgids are Swedish; English is translations/en/LC_MESSAGES/messages.po.
Swedish needs no catalogue (gettext falls back to the msgid), so "complete in
both languages" means: every extracted string has an English translation, and
a Swedish catalogue, if one is ever added, is complete too. See docs/i18n.md.
"""

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import render_template_string, url_for
from flask_babel import force_locale, gettext, ngettext

from registry import i18n, seed
from registry.collation import sv_key
from registry.db import PG_SWEDISH_COLLATIONS, Swedish, db, swedish_collation
from registry.domain import queries
from registry.domain.queries import AgreementQuery
from registry.models import Agreement, Group, Organisation, Person, User
from tests.conftest import TODAY
from tests.factories import client_as, client_for, make_agreement, make_group, make_person

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
EN_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
# The same keywords as `make translations` (Makefile, BABEL_KEYWORDS).
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


# --- (a) the catalogues --------------------------------------------------------


def extracted():
    """{msgid: first location} for every string in the code and templates, as pybabel extract finds them."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        key = message if isinstance(message, str) else tuple(message)
        if isinstance(key, tuple) and len(key) == 1:
            key = key[0]
        found.setdefault((context, key), f"{filename}:{lineno}")
    return found


def catalogue(path):
    with open(path, "rb") as handle:
        return read_po(handle)


def catalogues():
    """Every messages.po under translations/ (English, and Swedish should one be added)."""
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def test_the_strings_are_extracted_from_code_and_templates():
    found = {key for _context, key in extracted()}
    # Python (lazy and plain), Jinja templates, e-mail templates and ngettext are all seen.
    assert "Avtal" in found and "Titel" in found  # vocab.py, forms.py (lazy_gettext as _l)
    assert "Fel e-postadress eller lösenord." in found  # views (gettext as _)
    assert "Hoppa till innehållet" in found  # templates/base.html
    assert "Hej!" in found  # templates/email/*.txt
    assert ("(%(num)s försenad)", "(%(num)s försenade)") in found  # scheduler (ngettext)
    assert len(found) > 400


def test_every_string_has_an_english_translation():
    cat = catalogue(EN_PO)
    assert cat.plural_forms == "nplurals=2; plural=(n != 1);"
    problems = []
    for (context, key), where in sorted(extracted().items(), key=lambda item: item[1]):
        message = cat.get(key[0] if isinstance(key, tuple) else key, context=context)
        if message is None:
            problems.append(f"{where}: not in the catalogue: {key!r}")
            continue
        if message.fuzzy:
            problems.append(f"{where}: fuzzy: {key!r}")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if isinstance(key, tuple) != isinstance(message.id, tuple) or not all(s.strip() for s in strings):
            problems.append(f"{where}: untranslated: {key!r}")
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(key if isinstance(key, tuple) else (key,))))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != wanted:
                problems.append(f"{where}: placeholders differ: {key!r} -> {string!r}")
    assert not problems, "run `make translations` and translate:\n" + "\n".join(problems)


def test_a_swedish_catalogue_if_any_is_complete_too():
    """Swedish msgids need no catalogue; should one be added it must be complete like English."""
    for path in catalogues():
        if path == EN_PO:
            continue
        cat = catalogue(path)
        untranslated = [
            m.id for m in cat if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else (m.string,)))
        ]
        assert not untranslated, f"{path}: {untranslated[:10]}"


@pytest.mark.parametrize("language", [p.parent.parent.name for p in catalogues()])
def test_the_compiled_catalogue_matches_the_po_file(language):
    po = catalogue(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    mo_path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), "run `make translations` (pybabel compile)"
    with open(mo_path, "rb") as handle:
        mo = read_mo(handle)

    def messages(cat, skip_fuzzy):
        found = {}
        for m in cat:
            strings = tuple(m.string) if isinstance(m.string, (tuple, list)) else (m.string,)
            if m.id and not (skip_fuzzy and m.fuzzy) and all(strings):
                # read_mo leaves a message context as bytes (pgettext); read_po gives str.
                context = m.context.decode("utf-8") if isinstance(m.context, bytes) else m.context
                found[context, tuple(m.id) if isinstance(m.id, (tuple, list)) else m.id] = strings
        return found

    assert messages(mo, False) == messages(po, True), "the .mo is stale: run `make translations`"


def test_the_app_loads_the_english_catalogue(plain_ctx):
    assert plain_ctx.config["BABEL_TRANSLATION_DIRECTORIES"] == str(TRANSLATIONS)
    with force_locale("en"):
        assert gettext("Spara") == "Save"
        assert (
            gettext("Lösenordet måste ha minst %(n)s tecken.", n=12) == "The password must have at least 12 characters."
        )
        one = ngettext("Påminnelse: %(num)s tidsfrist i avtalsregistret", "x", 1)
        many = ngettext("Påminnelse: %(num)s tidsfrist i avtalsregistret", "x", 3)
        assert one.endswith("1 deadline in the agreement register")
        assert many.endswith("3 deadlines in the agreement register")
    with force_locale("sv"):
        assert gettext("Spara") == "Spara"
        assert ngettext("(%(num)s försenad)", "(%(num)s försenade)", 2) == "(2 försenade)"


def test_counts_agree_in_number_and_one_swedish_word_can_have_two_english_ones(plain_ctx):
    from registry.templating import relative_days
    from registry.vocab import AGREEMENT_KINDS, REMINDER_STATES

    with force_locale("en"):
        assert [relative_days(d) for d in (-3, -1, 0, 1, 30)] == [
            "3 days ago",
            "1 day ago",
            "today",
            "in 1 day",
            "in 30 days",
        ]
        assert render_template_string("{{ ngettext('%(num)s avtal', '%(num)s avtal', 1) }}") == "1 agreement"
        assert render_template_string("{{ ngettext('%(num)s avtal', '%(num)s avtal', 2) }}") == "2 agreements"
        # "Avtal" is the menu's "Agreements" and the kind "Agreement"; "Skickas" a state and a column.
        assert gettext("Avtal") == "Agreements" and str(AGREEMENT_KINDS["avtal"]) == "Agreement"
        assert str(REMINDER_STATES["sending"]) == "Sending"
        assert render_template_string("{{ pgettext('column', 'Skickas') }}") == "Send on"
    with force_locale("sv"):
        assert [relative_days(d) for d in (-1, 0, 2)] == ["1 dag sedan", "i dag", "om 2 dagar"]
        assert str(AGREEMENT_KINDS["avtal"]) == "Avtal"


def test_numbers_and_dates_follow_swedish_conventions(plain_ctx):
    template = "{{ 1234567|decimalformat }} {{ 0.5|decimalformat }} {{ day|iso }}"
    day = datetime.date(2026, 3, 4)
    shown = '<time datetime="2026-03-04">2026-03-04</time>'
    with force_locale("sv"):
        assert render_template_string(template, day=day) == f"1\xa0234\xa0567 0,5 {shown}"
    with force_locale("en"):
        assert render_template_string(template, day=day) == f"1,234,567 0.5 {shown}"  # dates stay ISO


# --- (b) English pages carry no Swedish UI text -----------------------------

# Words of the Swedish interface that must not appear in headings, labels,
# buttons, table headers or menus of an English page (whole words).
SWEDISH_UI_WORDS = (
    "Avtal",
    "Översikt",
    "Uppföljning",
    "Spara",
    "Sök",
    "Avbryt",
    "Grupper",
    "Parter",
    "Personer",
    "Rapporter",
    "Påminnelser",
    "Konton",
    "Redigera",
    "Logga",
    "Ägare",
    "Giltig",
    "Tidsfrist",
    "Namn",
    "Titel",
    "Typ",
)
UI_TAGS = {"h2", "h3", "th", "button", "label", "legend", "dt", "caption", "summary", "title", "option"}
UI_CONTEXTS = ("nav", "header", "footer")  # every text in these is interface
# Known and deliberate: a report's table shows the column names of its CSV/XLSX export
# (registry/domain/reports.py), which stay Swedish because the spreadsheet import reads them back.
EXPORT_TABLE_CLASS = "report"


class _PageText(HTMLParser):
    """Interface texts (by element) and the page's running text outside table cells.

    Left out: table cells (data), a report's export table (see EXPORT_TABLE_CLASS),
    and anything inside an element marked with another language (`lang="sv"`:
    deliberately Swedish, e.g. column names of a file format).
    """

    VOID = ("br", "input", "meta", "link", "img", "hr")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.ui, self.visible = [], [], []
        self._open = []  # [tag, text] of UI elements being read

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in self.VOID:
            self.stack.append((tag, a))
        if self._exempt():
            return
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.ui.append(("input", a["value"]))
        for name in ("placeholder", "aria-label", "title", "alt", "data-label"):
            if a.get(name):
                self.ui.append((f"@{name}", a[name]))
        if tag in UI_TAGS and not (tag == "option" and not self._option_is_interface()):
            self._open.append([tag, ""])
        elif tag in ("h1", "a", "p") and self._in_ui_context():
            self._open.append([tag, ""])

    def _option_is_interface(self):
        # Options of the list's vocabularies are interface; groups, parties and people are data.
        select = next((a for t, a in reversed(self.stack) if t == "select"), {})
        return select.get("name") in ("kind", "status", "deadline", "sort", "review_unit", "role", "outcome")

    def _exempt(self):
        for t, a in self.stack:
            if t == "table" and EXPORT_TABLE_CLASS in a.get("class", "").split():
                return True
            if t != "html" and a.get("lang") and not a["lang"].startswith("en"):
                return True
        return False

    def _in_ui_context(self):
        return any(t in UI_CONTEXTS for t, _a in self.stack)

    def handle_endtag(self, tag):
        if tag not in {t for t, _a in self.stack}:
            return  # a void element (<input/>) or a stray end tag
        if self._open and self._open[-1][0] == tag:
            done = self._open.pop()
            self.ui.append((done[0], " ".join(done[1].split())))
        while self.stack:
            top, _a = self.stack.pop()
            if top == tag:
                break

    def handle_data(self, data):
        tags = {t for t, _a in self.stack}
        if tags & {"script", "style"} or self._exempt():
            return
        if "td" not in tags:
            self.visible.append(data)
        for element in self._open:
            element[1] += data


def page_text(html):
    parser = _PageText()
    parser.feed(html)
    return parser.ui, " ".join(" ".join(parser.visible).split())


def swedish_only_strings():
    """(msgid pieces) of strings whose English differs, long enough not to be data."""
    pieces = set()
    for message in catalogue(EN_PO):
        if not message.id or isinstance(message.id, tuple):
            continue
        if message.string.strip() == message.id.strip():
            continue
        for piece in PLACEHOLDER.split(message.id)[::2]:
            piece = piece.strip(" .:;,()–")
            if len(piece) >= 20 and " " in piece:
                pieces.add(piece)
    return pieces


def _get_pages(app):
    """Every GET page of the app whose arguments we can fill, with a few list states."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        agreement = Agreement.get(Agreement.short_name == "Läkaruppdrag")
        values = {
            "agreement_id": agreement.id,
            "pk": None,
            "key": None,
        }
        pk_for = {
            "groups": Group.get(Group.name == "ReKo").id,
            "organisations": Organisation.select().order_by(Organisation.id).first().id,
            "people": Person.select().order_by(Person.id).first().id,
            "users": User.select().order_by(User.id).first().id,
        }
        from registry.domain.reports import REPORTS

        report_keys = [r.key for r in REPORTS]
        urls = []
        with app.test_request_context():
            for rule in app.url_map.iter_rules():
                if "GET" not in rule.methods or rule.endpoint == "static":
                    continue
                args = set(rule.arguments)
                if not args <= set(values):
                    continue  # e.g. tokens and file names: not a page of the register
                if "key" in args:
                    urls += [url_for(rule.endpoint, key=key) for key in report_keys]
                    continue
                filled = {name: values[name] for name in args}
                if "pk" in args:
                    blueprint = rule.endpoint.split(".")[0]
                    if blueprint not in pk_for:
                        continue
                    filled["pk"] = pk_for[blueprint]
                urls.append(url_for(rule.endpoint, **filled))
        db.close()
    return sorted(set(urls)) + ["/agreements?deadline=attention", "/agreements?q=xyzzy-ingenting", "/finns-inte"]


def _with_lang(url, lang="en"):
    return f"{url}{'&' if '?' in url else '?'}lang={lang}"


def _swedish_in(ui, visible, pieces, skip_h1=False):
    found = []
    for tag, content in ui:
        if tag in ("h1", "title") and skip_h1:
            continue
        for word in SWEDISH_UI_WORDS:
            if re.search(rf"(?<!\w){word}(?!\w)", content):
                found.append(f"<{tag}> {content!r}: {word}")
    found += [f"text: {piece!r}" for piece in pieces if piece in visible]
    return found


def test_english_pages_show_no_swedish_interface_text(app, client, subtests):
    # Seeded without holding a context (see tests/test_pages.py test_language_switch):
    # a shared `g` would keep the locale of the first request.
    with app.app_context():
        seed.load()
        db.close()
    pieces = swedish_only_strings()
    urls = _get_pages(app)
    expected = {"/", "/agreements", "/agreements/new", "/groups", "/organisations", "/people", "/reports", "/audit"}
    assert expected <= set(urls)
    checked = 0
    for url in urls:
        with subtests.test(url=url):
            response = client.get(_with_lang(url))
            if response.mimetype != "text/html" or response.status_code not in (200, 404):
                continue  # exports, feeds and redirects are not pages
            html = response.get_data(as_text=True)
            assert '<html lang="en">' in html
            ui, visible = page_text(html)
            # The h1 of a detail page is the record's name (data, in Swedish).
            detail = bool(re.search(r"/\d+(/|$)", url))
            assert not _swedish_in(ui, visible, pieces, skip_h1=detail)
            checked += 1
    assert checked >= len(expected)

    with subtests.test("pages for visitors and refusals"):
        visitor = app.test_client()
        for url in ("/login", "/reset-password"):
            html = visitor.get(_with_lang(url)).get_data(as_text=True)
            assert '<html lang="en">' in html
            assert not _swedish_in(*page_text(html), pieces), url
        viewer = client_as(app, "viewer")
        refused = viewer.get(_with_lang("/users"))
        assert refused.status_code == 403
        assert not _swedish_in(*page_text(refused.get_data(as_text=True)), pieces)
        assert "Access denied" in refused.get_data(as_text=True)


def test_the_check_finds_swedish_text():
    """The page check itself: it sees Swedish in the places it looks, and ignores data."""
    pieces = swedish_only_strings()
    ui, visible = page_text(
        "<html><title>Avtal – Register</title><body><header><nav><a>Översikt</a></nav></header>"
        "<h1>Avtal om läkarinsatser</h1><table><tr><th>Giltig till</th></tr>"
        "<tr><td>Avtal om hemsjukvård</td></tr></table><button>Spara</button>"
        "<p>Inga tidsfrister: avtalet gäller tills vidare utan uppföljningscykel, eller gäller inte längre.</p>"
        "</body></html>"
    )
    found = _swedish_in(ui, visible, pieces, skip_h1=True)
    assert any("Översikt" in f for f in found) and any("Giltig" in f for f in found)
    assert any("Spara" in f for f in found) and not any("<title>" in f for f in found)
    assert any("<title>" in f for f in _swedish_in(ui, visible, pieces, skip_h1=False))
    assert any("Inga tidsfrister" in f for f in found)
    assert not any("hemsjukvård" in f or "läkarinsatser" in f for f in found)
    # Text marked as Swedish on purpose is left alone, as are data cells.
    ui, visible = page_text(
        '<html lang="en"><body><table><tr><th lang="sv">Giltig till</th></tr><tr><td>Påminn före slutdatum '
        '(dagar)</td></tr></table><a href="?lang=sv" lang="sv">Svenska</a><p lang="sv">Inga tidsfrister: avtalet '
        "gäller tills vidare utan uppföljningscykel, eller gäller inte längre.</p></body></html>"
    )
    assert not _swedish_in(ui, visible, pieces)


# --- (c) which language: ?lang=, then the user's choice, then the browser -----


def html_lang(response):
    found = re.search(r'<html lang="(\w+)">', response.get_data(as_text=True))
    return found.group(1) if found else None


def set_locale(app, user, value):
    with app.app_context():
        db.connect(reuse_if_open=True)
        User.update(locale=value).where(User.id == user.id).execute()
        db.close()


def stored_locale(app, user):
    with app.app_context():
        db.connect(reuse_if_open=True)
        value = User.get_by_id(user.id).locale
        db.close()
    return value


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "sv"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("sv-SE,sv;q=0.9,en;q=0.5", "sv"),
        ("de-DE,de;q=0.9", "sv"),  # neither Swedish nor English: the default
        ("fi,en;q=0.5,sv;q=0.3", "en"),
    ],
)
def test_the_browser_language_chooses_for_visitors(app, accept, expected):
    visitor = app.test_client()
    headers = {"Accept-Language": accept} if accept else {}
    response = visitor.get("/login", headers=headers)
    assert html_lang(response) == expected
    assert "Accept-Language" in response.vary  # caches must not hand one language to another browser


def test_the_order_lang_then_user_then_browser(app):
    english_browser = {"Accept-Language": "en-US,en;q=0.9"}
    swedish_browser = {"Accept-Language": "sv"}

    client = client_as(app, "viewer")
    user = client.user
    assert html_lang(client.get("/", headers=english_browser)) == "en"  # no choice stored: the browser
    set_locale(app, user, "sv")
    assert html_lang(client.get("/", headers=english_browser)) == "sv"  # the user's choice beats the browser
    set_locale(app, user, "en")
    assert html_lang(client.get("/", headers=swedish_browser)) == "en"
    assert html_lang(client.get("/?lang=sv", headers=english_browser)) == "sv"  # ?lang= beats the user's choice
    assert html_lang(client.get("/", headers=english_browser)) == "sv"  # ... and is kept in the session
    assert html_lang(client.get("/?lang=xx", headers=english_browser)) == "sv"  # unknown: ignored

    other = client_for(app, user)  # a new session of the same user: the stored choice again
    assert html_lang(other.get("/", headers=swedish_browser)) == "en"


def test_without_a_request_the_default_language(plain_ctx):
    with plain_ctx.app_context():
        assert i18n.select_locale() == "sv"
    plain_ctx.config["BABEL_DEFAULT_LOCALE"] = "en"
    with plain_ctx.app_context():
        assert i18n.select_locale() == "en"


def test_storing_the_language_on_the_account(app):
    client = client_as(app, "viewer")
    user = client.user
    page = client.get("/agreements?q=plan&lang=en").get_data(as_text=True)
    # The header offers to keep the language picked for this session, and comes back to the same list.
    assert "Always use this language" in page
    assert 'name="locale" value="en"' in page and 'name="next" value="/agreements?q=plan"' in page
    assert 'href="/agreements?q=plan&amp;lang=sv" hreflang="sv"' in page  # the switch keeps the search

    response = client.post("/account/language", data={"locale": "en", "next": "/agreements?q=plan"})
    assert response.status_code == 302 and response.location.endswith("/agreements?q=plan")
    assert stored_locale(app, user) == "en"
    with client.session_transaction() as session:
        assert "lang" not in session  # the stored choice now decides
        flashes = session.get("_flashes")
    assert flashes == [("success", "Your language choice has been saved.")]
    page = client.get("/", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Always use this language" not in page

    # Back to Swedish for this session only, then for good; the message is in the new language.
    client.get("/?lang=sv")
    assert stored_locale(app, user) == "en"
    assert "Använd alltid det här språket" in client.get("/").get_data(as_text=True)
    client.post("/account/language", data={"locale": "sv", "next": "//evil.example.org/"})
    assert stored_locale(app, user) == "sv"
    page = client.get("/").get_data(as_text=True)
    assert "Ditt språkval har sparats." in page and "Använd alltid" not in page

    # "" follows the browser again; anything else is refused and changes nothing.
    client.post("/account/language", data={"locale": ""})
    assert stored_locale(app, user) == ""
    assert html_lang(client.get("/", headers={"Accept-Language": "en"})) == "en"
    refused = client.post("/account/language", data={"locale": "de"})
    assert refused.status_code == 302 and stored_locale(app, user) == ""
    assert client.post("/account/language", data={}).status_code == 302 and stored_locale(app, user) == ""

    visitor = app.test_client()
    assert visitor.post("/account/language", data={"locale": "en"}).status_code == 401
    assert "Always use this language" not in visitor.get("/login?lang=en").get_data(as_text=True)


# --- (d) Swedish alphabetical order, on SQLite and PostgreSQL ------------------

TITLES = ["Zeta", "Åtgärd", "Ändring", "Överenskommelse", "avtal"]
SWEDISH_ORDER = ["avtal", "Zeta", "Åtgärd", "Ändring", "Överenskommelse"]


def _register(titles, group_names=("Grupp",)):
    groups = [make_group(name) for name in group_names]
    for number, title in enumerate(titles):
        make_agreement(title=title, kind="avtal", responsible_group=groups[number % len(groups)])
    return groups


def _titles(**query):
    page = queries.search(AgreementQuery(**query), TODAY, 90, 50)
    return [a.title for a in page.items]


def test_the_agreement_list_sorts_titles_in_swedish_order(ctx):
    _register(TITLES)
    assert sorted(TITLES, key=sv_key) == SWEDISH_ORDER
    assert _titles(sort="title") == SWEDISH_ORDER
    assert _titles(sort="title", desc=True) == SWEDISH_ORDER[::-1]


def test_groups_sort_in_swedish_order(ctx):
    names = ["Zon", "Östra gruppen", "Äldre", "Ålder", "arbetsgrupp"]
    _register(names, group_names=names)
    ordered = [a.responsible_group.name for a in queries.search(AgreementQuery(sort="group"), TODAY, 90, 50).items]
    assert ordered == ["arbetsgrupp", "Zon", "Ålder", "Äldre", "Östra gruppen"]
    assert [g.name for g in queries.overview(TODAY, 90).by_group] == ordered


def test_the_index_pages_sort_in_swedish_order(app, client):
    with app.app_context():
        db.connect(reuse_if_open=True)
        names = ["Zon", "Östra gruppen", "Äldre", "Ålder", "arbetsgrupp"]
        for number, name in enumerate(names):
            make_group(name)
            make_person(name, f"p{number}@test.example.org")
        db.close()
    wanted = ["arbetsgrupp", "Zon", "Ålder", "Äldre", "Östra gruppen"]
    for url in ("/groups", "/people"):
        html = client.get(url).get_data(as_text=True)
        positions = [html.index(f">{name}<") for name in wanted]
        assert positions == sorted(positions), url


def test_postgresql_uses_a_swedish_collation_and_falls_back_without_one(ctx):
    _register(TITLES)
    database = db.obj
    if database.__class__.__name__.startswith("Sqlite"):
        assert swedish_collation(database) == "sv"
        return
    collation = swedish_collation(database)
    installed = {
        row[0] for row in database.execute_sql("SELECT collname FROM pg_collation WHERE collname ILIKE %s", ("sv%",))
    }
    if installed & set(PG_SWEDISH_COLLATIONS):
        assert collation is not None and collation.strip('"') in PG_SWEDISH_COLLATIONS
    database._swedish_collation = None  # as on a server without one
    try:
        assert _titles(sort="title") == SWEDISH_ORDER
        sql, _params = Agreement.select().order_by(Swedish(Agreement.title)).sql()
        assert 'COLLATE "C"' in sql
    finally:
        del database._swedish_collation
