"""The web pages through Flask's test client, on the Jönköpings län demo data.

Forms are posted the way a browser posts them: for edits the fields are read
back from the edit page itself, so a field that is not pre-filled shows up as
lost data. Every refused post must answer 422, say why beside the field, and
store nothing. Each seeded database costs most of a second, so tables of cases
that do not change the data share one database through `subtests`.
"""

import datetime
import re
import warnings
from html import unescape

from registry import seed
from registry.db import db
from registry.models import (
    Agreement,
    AgreementGroup,
    AgreementOwner,
    AgreementParty,
    Document,
    Group,
    Organisation,
    Person,
    Review,
)
from tests.conftest import TODAY
from tests.factories import (
    agreement,
    agreement_form,
    deadlines,
    group_id,
    make_agreement,
    make_group,
    org_id,
    person_id,
    status_counts,
)
from tests.html import FormReader, field_error, form_fields, section, text

BARN = "Strategigrupp Barn och unga"
YOUTH_CLINICS = "Överenskommelse ungdomsmottagningar Jönköpings län"  # Barn och unga, yearly, from 2025-01-01


# --- helpers ----------------------------------------------------------------


def listed(response):
    """Ids of the agreements linked from the page, in page order."""
    return [int(i) for i in re.findall(r'href="/agreements/(\d+)"', text(response))]


def result_count(response):
    return unescape(re.search(r'class="result-count"[^>]*>([^<]*)', text(response)).group(1)).strip()


def ids(rows):
    return sorted(row.id for row in rows)


def links(agreement_id):
    """An agreement's groups, owners, parties and documents, for before/after comparisons."""
    return (
        sorted(g.group_id for g in AgreementGroup.select().where(AgreementGroup.agreement == agreement_id)),
        sorted(o.person_id for o in AgreementOwner.select().where(AgreementOwner.agreement == agreement_id)),
        sorted(p.organisation_id for p in AgreementParty.select().where(AgreementParty.agreement == agreement_id)),
        sorted((d.title, d.url) for d in Document.select().where(Document.agreement == agreement_id)),
    )


def new_agreement(register=None, **changes):
    """A valid post to /agreements/new with every kind of field filled in: on the small register when
    one is given, else on the demo data (ReKo responsible, Kommunalt forum deciding)."""
    if register is None:
        links = {
            "responsible_group": group_id("ReKo"),
            "contributing_groups": [group_id("Strategigrupp Äldre"), group_id(BARN)],
            "owners": [person_id("beredning.reko@example.org"), person_id("beredning.aldre@example.org")],
            "parties": [org_id("Region Jönköpings län"), org_id("Aneby kommun"), org_id("Eksjö kommun")],
            "decision_body": group_id("Kommunalt forum"),
        }
    else:
        links = {
            "responsible_group": register.board,
            "contributing_groups": register.groups,
            "owners": register.people,
            "parties": register.organisations,
            "decision_body": register.team,
        }
    data = agreement_form(
        title="Överenskommelse om testning av registret",
        short_name="Testöverenskommelsen",
        description="Skapad av testerna.",
        decision_date=datetime.date(2025, 11, 15),
        decision_ref="Beslut 2025-11-15 § 7",
        valid_from=datetime.date(2026, 1, 1),
        expires_on=datetime.date(2029, 12, 31),
        review_rule="FREQ=YEARLY;INTERVAL=2",
        **links,
    )
    data["documents"] = "Avtalstext | https://example.org/avtal.pdf\nhttps://example.org/bilaga.pdf"
    data.update(changes)
    return data


def review(**changes):
    data = {
        "reviewed_on": "2026-11-20",
        "outcome": "unchanged",
        "reviewer": "",
        "reviewer_name": "Strategigrupp Barn och unga",
        "decision_ref": "SG Barn och unga 2026-11-20 § 3",
        "new_expires_on": "",
        "notes": "",
    }
    data.update(changes)
    return data


# --- every page -------------------------------------------------------------

PAGES = [
    "/",
    "/agreements",
    "/agreements/{a}",
    "/agreements/new",
    "/agreements/{a}/edit",
    "/agreements/{a}/reviews/new",
    "/groups",
    "/groups/{g}",
    "/groups/new",
    "/groups/{g}/edit",
    "/organisations",
    "/organisations/{o}",
    "/organisations/new",
    "/organisations/{o}/edit",
    "/people",
    "/people/{p}",
    "/people/new",
    "/people/{p}/edit",
]


def test_every_page_renders_and_unknown_ids_give_the_swedish_404(seeded, client, subtests):
    refs = {
        "a": agreement("Läkaruppdrag").id,
        "g": group_id("ReKo"),
        "o": org_id("Aneby kommun"),
        "p": person_id("sekreterare.reko@example.org"),
    }
    for url in PAGES:
        with subtests.test(url=url):
            response = client.get(url.format(**refs))
            assert response.status_code == 200
            assert '<html lang="sv">' in text(response)
            assert "</html>" in text(response)

    gets = [u.format(a=99999, g=99999, o=99999, p=99999) for u in PAGES if "{" in u]
    posts = [
        "/agreements/99999/edit",
        "/agreements/99999/reviews/new",
        "/groups/99999/edit",
        "/organisations/99999/edit",
        "/people/99999/edit",
    ]
    for method, url in [("GET", u) for u in gets + ["/finns-inte", "/agreements/abc"]] + [("POST", u) for u in posts]:
        with subtests.test(method=method, url=url):
            response = client.open(url, method=method, data={"title": "x", "name": "x"})
            assert response.status_code == 404
            assert "Sidan finns inte" in text(response)
            assert '<html lang="sv">' in text(response)


def test_forms_render_without_deprecation_warnings(client):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert client.get("/agreements/new").status_code == 200


def test_pages_render_on_an_empty_register(client, subtests):
    for url, empty_text in [
        ("/", "Inga avtal registrerade ännu."),
        ("/agreements", "Inga avtal."),
        ("/groups", "Inga grupper."),
        ("/organisations", "Inga parter."),
        ("/people", "Inga personer."),
        ("/agreements/new", "Registrera avtal"),
        ("/groups/new", "Ny grupp"),
    ]:
        with subtests.test(url=url):
            response = client.get(url)
            assert response.status_code == 200
            assert empty_text in text(response)
            assert listed(response) == []
    counts = re.findall(r'<span class="count">(\d+)</span>', text(client.get("/")))
    assert counts == ["0"] * 6
    assert result_count(client.get("/agreements")) == "0 avtal"


# --- dashboard and the agreement page -------------------------------------


def test_dashboard_leads_to_lakaruppdrag(seeded, client):
    response = client.get("/")
    upcoming = section(response, "upcoming-heading")
    assert "Kommande 90 dagar" in upcoming
    row = re.search(r"<tr>((?:(?!</tr>).)*Läkaruppdrag(?:(?!</tr>).)*)</tr>", upcoming, re.S).group(1)
    assert "2026-12-31" in row and "Upphör" in row and "ReKo" in row
    assert re.search(r">\s*38\s*</td>", row), "38 days from 2026-11-23 to 2026-12-31"
    assert f'href="/agreements/{agreement("Läkaruppdrag").id}"' in row

    overdue = section(response, "overdue-heading")
    assert "Läkaruppdrag" not in overdue
    late = deadlines(last=TODAY - datetime.timedelta(days=1))
    assert f'<span class="pill pill-danger">{len(late)}</span>' in overdue
    # the eleven yearly Barn och unga reviews, and the e-health strategy's review and new version
    assert overdue.count(">2026-01-01</time>") == sum(day == datetime.date(2026, 1, 1) for _, _, day in late)
    for late_one, _kind, day in late:
        assert f'href="/agreements/{late_one.id}"' in overdue and f">{day}</time>" in overdue

    cards = {
        label: int(count)
        for count, label in re.findall(
            r'<span class="count">(\d+)</span><span class="card-label">([^<]+)</span>', text(response)
        )
    }
    counts = status_counts()
    assert cards == {
        "Utkast": counts.get("draft", 0),
        "Gällande": counts.get("in_force", 0),
        "Under revidering": counts.get("under_revision", 0),
        "Upphört att gälla": counts.get("expired", 0),
        "Uppsagt": counts.get("terminated", 0),
        "Ersatt": counts.get("replaced", 0),
    }

    # Follow the deadline's link to the agreement page.
    link = re.search(r'href="(/agreements/\d+)"', row).group(1)
    html = text(client.get(link))
    assert "<h1>Läkaruppdrag och medicinsk samverkan mellan vårdcentraler" in html
    assert re.search(rf'Ansvarig grupp</dt>\s*<dd><a href="/groups/{group_id("ReKo")}">ReKo</a>', html)
    assert 'Giltig till</dt><dd><time datetime="2026-12-31">2026-12-31</time></dd>' in html
    aldre = group_id("Strategigrupp Äldre")
    assert re.search(rf'Medverkande grupper</dt>\s*<dd><a href="/groups/{aldre}">Strategigrupp Äldre</a></dd>', html)
    parties = re.search(r'<ul class="parties">(.*?)</ul>', html, re.S).group(1)
    assert len(re.findall(r'href="/organisations/\d+"', parties)) == 14
    assert 'Parter <span class="pill">14</span>' in html
    assert "Region Jönköpings län" in parties and "Värnamo kommun" in parties
    assert "Kommunal utveckling" not in parties
    assert "beredning.reko@example.org" in html and "beredning.aldre@example.org" in html
    assert "Upphör snart" in html and "om 38 dagar" in html


def test_the_ehealth_strategy_shows_its_revision_due_in_2026(seeded, client):
    """001_… ~3414–3416: "Strategin revideras var tredje år": the 2023–2025 strategy's revision, mandated by ReKo,
    is due 2026-01-01 and shows on its page with the way to the revision."""
    ehealth = agreement("E-hälsostrategin")
    page = client.get(f"/agreements/{ehealth.id}").get_data(as_text=True)
    summary = re.search(r'<p id="revision-summary">(.*?)</p>', page, re.S).group(1)
    assert "Pågår" in summary and "Uppdrag från ReKo" in summary
    assert re.search(r"Ny version beslutad senast <time datetime=\"2026-01-01\">", summary)
    assert f'href="/agreements/{ehealth.id}/revision"' in summary


def test_dashboard_lists_the_first_fifty_and_counts_them_all(seeded, client):
    """A large register: each list is cut at 50 rows, the pill counts every deadline, and
    links lead to the full filtered lists."""
    group = Group.get(Group.name == "ReKo")
    demo_late = len(deadlines(last=TODAY - datetime.timedelta(days=1)))
    demo_reviews_late = len(
        {row.id for row, kind, _ in deadlines(last=TODAY - datetime.timedelta(days=1)) if kind == "review"}
    )
    for n in range(60):
        Agreement.create(
            title=f"Försenat avtal {n:02}",
            kind="avtal",
            status="in_force",
            responsible_group=group,
            next_review_on=datetime.date(2025, 6, 1) + datetime.timedelta(days=n),
        )
    response = client.get("/")
    overdue = section(response, "overdue-heading")
    assert f'<span class="pill pill-danger">{60 + demo_late}</span>' in overdue  # 60 new + the demo data's
    assert overdue.count("<tr>") - 1 == 50  # header row + 50
    assert f"Visar de 50 första av {60 + demo_late}." in overdue
    assert "Försenat avtal 00" in overdue and "Försenat avtal 49" in overdue and "Försenat avtal 50" not in overdue
    assert 'href="/agreements?deadline=review_overdue"' in overdue and 'href="/agreements?deadline=expired"' in overdue
    upcoming = section(response, "upcoming-heading")
    soon = deadlines(TODAY, TODAY + datetime.timedelta(days=seeded.config["DEADLINE_WINDOW_DAYS"]))
    assert f'<span class="pill pill-warning">{len(soon)}</span>' in upcoming and "Visar de" not in upcoming
    listed = client.get("/agreements?deadline=review_overdue")
    assert result_count(listed).startswith(f"{60 + demo_reviews_late} ")


# --- the agreement list -----------------------------------------------------

# None: what the rows themselves say (expected_ids); a number: the demo data's own words, counted by hand.
LIST_FILTERS = [
    ({}, None),
    ({"group": BARN}, None),
    ({"group": "Strategigrupp Psykiatri och missbruk"}, None),
    ({"group": "Strategigrupp Äldre"}, None),  # 3 responsible + 4 contributing
    ({"group": "Kommunalt forum"}, None),
    ({"party": "Aneby kommun"}, None),
    ({"party": "Region Jönköpings län"}, None),
    ({"party": "Kommunal utveckling"}, None),
    ({"q": "Läkaruppdrag"}, 1),
    ({"q": "läkaruppdrag"}, 1),
    ({"q": "komhem"}, 2),  # the short name and a title
    ({"q": "finns inte någonstans"}, 0),
    ({"kind": "avtal"}, None),
    ({"kind": "rutin"}, None),
    ({"kind": "strategi"}, None),
    ({"status": "in_force"}, None),
    ({"status": "under_revision"}, None),
    ({"status": "draft"}, None),
    ({"deadline": "expires_soon"}, None),
    ({"deadline": "review_overdue"}, None),
    ({"deadline": "attention"}, None),
    ({"deadline": "expired"}, None),
    ({"deadline": "review_due_soon"}, None),
    ({"group": "Strategigrupp Äldre", "kind": "overenskommelse"}, None),
    ({"group": "ReKo", "deadline": "attention"}, None),
    ({"party": "Aneby kommun", "group": BARN, "status": "in_force"}, None),
]


def expected_ids(args, window_days):
    """The ids an agreement-list filter should list, read from the rows in Python (not through the
    product's queries): group (responsible or contributing), party, kind, status and deadline."""
    rows = {row.id: row for row in Agreement.select()}
    keep = set(rows)
    if "group" in args:
        group = group_id(args["group"])
        contributing = AgreementGroup.select().where(AgreementGroup.group == group)
        keep &= {i for i, row in rows.items() if row.responsible_group_id == group} | {
            link.agreement_id for link in contributing
        }
    if "party" in args:
        parties = AgreementParty.select().where(AgreementParty.organisation == org_id(args["party"]))
        keep &= {link.agreement_id for link in parties}
    for field in ("kind", "status"):
        if field in args:
            keep &= {i for i, row in rows.items() if getattr(row, field) == args[field]}
    if "deadline" in args:
        late = deadlines(last=TODAY - datetime.timedelta(days=1))
        soon = deadlines(TODAY, TODAY + datetime.timedelta(days=window_days))
        picked = {
            "expired": [d for d in late if d[1] == "expiry"],
            "review_overdue": [d for d in late if d[1] == "review"],
            "expires_soon": [d for d in soon if d[1] == "expiry"],
            "review_due_soon": [d for d in soon if d[1] == "review"],
            "attention": late + soon,
        }[args["deadline"]]
        keep &= {row.id for row, _, _ in picked}
    return sorted(keep)


def test_list_filters(seeded, client, subtests):
    resolve = {"group": group_id, "party": org_id}
    window = seeded.config["DEADLINE_WINDOW_DAYS"]
    for args, expected in LIST_FILTERS:
        with subtests.test(**args):
            if expected is None:
                expected = len(expected_ids(args, window))
            query = {k: resolve[k](v) if k in resolve else v for k, v in args.items()}
            response = client.get("/agreements", query_string=query)
            assert response.status_code == 200
            assert result_count(response) == f"{expected} avtal"
            rows = listed(response)
            assert len(rows) == len(set(rows)) == expected
            assert ("Inga avtal." in text(response)) == (expected == 0)

    barn, aldre = group_id(BARN), group_id("Strategigrupp Äldre")
    contributing = AgreementGroup.select(AgreementGroup.agreement).where(AgreementGroup.group == aldre)
    for args, expected in [
        ({"group": barn}, expected_ids({"group": BARN}, window)),  # responsible or contributing
        (
            {"group": aldre},
            ids(Agreement.select().where((Agreement.responsible_group == aldre) | Agreement.id.in_(contributing))),
        ),
        ({"q": "Läkaruppdrag"}, [agreement("Läkaruppdrag").id]),
        ({"deadline": "expires_soon"}, [agreement("Läkaruppdrag").id]),
        ({"deadline": "review_overdue"}, expected_ids({"deadline": "review_overdue"}, window)),
        ({"status": "under_revision"}, expected_ids({"status": "under_revision"}, window)),
    ]:
        with subtests.test(**args):
            assert sorted(listed(client.get("/agreements", query_string=args))) == expected
    assert agreement("Läkaruppdrag").id in listed(client.get("/agreements", query_string={"group": aldre}))

    html = text(client.get("/agreements", query_string={"group": barn, "kind": "overenskommelse", "q": "barn"}))
    assert f'<option value="{barn}" selected>' in html
    assert '<option value="overenskommelse" selected>' in html
    assert 'name="q" type="search" value="barn"' in html

    everything = Agreement.select().count()
    for query, expected in [
        ("group=abc", everything),
        ("party=xyz", everything),
        ("page=-1", everything),
        ("page=0", everything),
        ("page=abc", everything),
        ("page=999", everything),
        ("sort=drop", everything),
        ("sort=title;drop", everything),
        ("desc=yes", everything),
        ("kind=nope", everything),
        ("status=nope", everything),
        ("deadline=nope", everything),
        ("group=&party=&q=", everything),
        ("group=-5", everything),
        ("q=%25", 0),
        ("q=_", 0),
        ("q=%27%3B--", 0),
        ("q=" + "x" * 500, 0),
    ]:
        with subtests.test(query=query[:40]):
            response = client.get(f"/agreements?{query}")
            assert response.status_code == 200
            assert result_count(response).startswith(f"{expected} avtal")


def test_list_sorting_and_pagination(seeded, client):
    def rows(**args):
        return listed(client.get("/agreements", query_string=args))

    with_end = sorted((row.expires_on, row.id) for row in Agreement.select() if row.expires_on)
    assert rows(sort="expires_on")[: len(with_end)] == [i for _, i in with_end]  # then those without an end date
    reviewed = sorted((row.next_review_on, row.id) for row in Agreement.select() if row.next_review_on)
    ascending = rows(sort="next_review_on")
    assert ascending[: len(reviewed)] == [i for _, i in reviewed]  # by date, ties by id; no cycle: last
    everything = Agreement.select().count()
    descending = rows(sort="next_review_on", desc="1")
    assert descending[: len(reviewed)] == [i for _, i in reversed(reviewed)] and len(descending) == everything
    assert set(ascending[len(reviewed) :]) == set(descending[len(reviewed) :])
    by_title = rows()
    assert len(by_title) == everything and rows(sort="title", desc="1") == by_title[::-1]

    seeded.config["PAGE_SIZE"] = 10
    count = -(-everything // 10)
    pages = [client.get("/agreements", query_string={"page": n}) for n in range(1, count + 1)]
    assert [len(listed(p)) for p in pages] == [10] * (count - 1) + [everything - 10 * (count - 1)]
    assert len({i for p in pages for i in listed(p)}) == everything
    assert result_count(pages[0]) == f"{everything} avtal · sida 1 av {count}"
    assert re.search(r'href="/agreements\?page=2" rel="next"', text(pages[0]))
    assert 'rel="prev"' not in text(pages[0])
    assert re.search(rf'href="/agreements\?page={count - 1}" rel="prev"', text(pages[-1]))
    assert 'rel="next"' not in text(pages[-1])
    assert f'<span aria-current="page">{count}</span>' in text(pages[-1])

    seeded.config["PAGE_SIZE"] = 5
    first = client.get("/agreements", query_string={"group": group_id(BARN), "sort": "expires_on"})
    barn = len(expected_ids({"group": BARN}, seeded.config["DEADLINE_WINDOW_DAYS"]))  # responsible or contributing
    assert barn > 10 and result_count(first) == f"{barn} avtal · sida 1 av {-(-barn // 5)}"
    next_url = unescape(re.search(r'href="([^"]+)" rel="next"', text(first)).group(1))
    assert f"group={group_id(BARN)}" in next_url and "sort=expires_on" in next_url and "page=2" in next_url
    second = client.get(next_url)
    assert len(listed(second)) == 5 and not set(listed(first)) & set(listed(second))


def test_a_page_number_beyond_64_bits_does_not_crash(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/agreements?page=99999999999999999999").status_code == 200


def test_ids_beyond_64_bits_are_not_found_rather_than_crashing(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    huge = "99999999999999999999"
    statuses = {
        url: client.get(url).status_code
        for url in (
            f"/agreements?group={huge}",
            f"/agreements?party={huge}",
            f"/agreements/{huge}",
            f"/groups/{huge}",
        )
    }
    assert statuses == {
        f"/agreements?group={huge}": 200,
        f"/agreements?party={huge}": 200,
        f"/agreements/{huge}": 404,
        f"/groups/{huge}": 404,
    }


def test_search_ignores_the_case_of_swedish_letters(ctx, client):
    found = make_agreement(
        title="Överenskommelse mellan BUP och skolan", short_name="ÖBUS", responsible_group=make_group(BARN)
    )
    for q in ("öbus", "överenskommelse mellan"):
        assert listed(client.get("/agreements", query_string={"q": q})) == [found.id], q


def test_search_text_with_a_nul_character_does_not_crash(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/agreements?q=a%00b").status_code == 200


# --- creating agreements ----------------------------------------------------


def test_creating_an_agreement_stores_it_with_its_links(small_register, client):
    before = Agreement.select().count()
    data = new_agreement(small_register, case_number="RJL 2026/0042")
    response = client.post("/agreements/new", data=data)
    assert response.status_code == 302
    assert Agreement.select().count() == before + 1
    saved = Agreement.get(Agreement.title == data["title"])
    assert response.headers["Location"].endswith(f"/agreements/{saved.id}")
    assert links(saved.id) == (
        sorted(data["contributing_groups"]),
        sorted(data["owners"]),
        sorted(data["parties"]),
        [
            ("Avtalstext", "https://example.org/avtal.pdf"),
            ("https://example.org/bilaga.pdf", "https://example.org/bilaga.pdf"),
        ],
    )
    assert (saved.responsible_group_id, saved.decision_body_id) == (small_register.board.id, small_register.team.id)
    assert (saved.case_number, saved.kind, saved.status) == ("RJL 2026/0042", "overenskommelse", "in_force")
    assert (saved.valid_from, saved.expires_on) == (datetime.date(2026, 1, 1), datetime.date(2029, 12, 31))
    assert saved.review_rule == "FREQ=YEARLY;INTERVAL=2"
    assert saved.next_review_on == datetime.date(2028, 1, 1)
    page = text(client.get(response.headers["Location"]))
    assert "Avtalet har registrerats." in page
    assert "Vart 2:e år" in page and "RJL 2026/0042" in page


INVALID_AGREEMENTS = [
    ({"title": "   "}, "title", "Titel måste anges."),
    (
        {"valid_from": "2026-06-01", "expires_on": "2026-01-01"},
        "expires_on",
        "Slutdatumet måste ligga efter datumet i Giltig från.",
    ),
    (
        {"valid_from": "2026-06-01", "expires_on": "2026-06-01"},
        "expires_on",
        "Slutdatumet måste ligga efter datumet i Giltig från.",
    ),
    ({"responsible_group": "99999"}, "responsible_group", "Gruppen finns inte i registret."),
    ({"responsible_group": ""}, "responsible_group", "Ansvarig grupp måste anges."),
    (
        {"valid_from": "2026-02-30"},
        "valid_from",
        "Datumet kunde inte läsas. Ange det som ÅÅÅÅ-MM-DD, till exempel 2027-03-31.",
    ),
    (
        {"expires_on": "31/12/2029"},
        "expires_on",
        "Datumet kunde inte läsas. Ange det som ÅÅÅÅ-MM-DD, till exempel 2027-03-31.",
    ),
    (
        {"case_number": " RJL 2023/1235 "},
        "case_number",
        "Diarienumret finns redan på ett annat avtal. Ange avtalets eget diarienummer.",
    ),
    (
        {"documents": "Avtalstext | www.example.org/avtal.pdf"},
        "documents",
        "Rad 1: länken måste börja med http:// eller https://. Skriv en länk per rad: Titel | https://…",
    ),
    (
        {"documents": "Avtalstext | https://example.org/a.pdf\n\nftp://example.org/b"},
        "documents",
        "Rad 3: länken måste börja med http:// eller https://. Skriv en länk per rad: Titel | https://…",
    ),
    ({"parties": ["99999"]}, "parties", "Det finns ingen part med id 99999 i registret. Välj parter i listan."),
    (
        {"contributing_groups": ["99999"]},
        "contributing_groups",
        "Det finns ingen grupp med id 99999 i registret. Välj grupper i listan.",
    ),
    (
        {"owners": ["99998", "99999"]},
        "owners",
        "Det finns inga personer med id 99998, 99999 i registret. Välj personer i listan.",
    ),
    ({"review_interval": "0"}, "review_interval", "Ange ett heltal mellan 1 och 100."),
    (
        {"status": "replaced"},
        "replaced_by",
        "Ange i Ersatt av vilket avtal som ersätter det här avtalet; det krävs när status är Ersatt.",
    ),
    ({"parent": "99999"}, "parent", "Avtalet finns inte i registret. Välj ett avtal i listan."),
    ({"kind": "kontrakt"}, "kind", "Värdet finns inte i listan. Välj ett av listans värden."),
]


def test_invalid_agreement_is_refused_and_nothing_is_saved(small_register, client, subtests):
    Agreement.update(case_number="RJL 2023/1235").where(Agreement.id == small_register.expiring.id).execute()
    tables = (Agreement, AgreementGroup, AgreementOwner, AgreementParty, Document)
    counts = [m.select().count() for m in tables]
    for changes, field, message in INVALID_AGREEMENTS:
        with subtests.test(field=field, **{k: str(v) for k, v in changes.items()}):
            data = new_agreement(small_register, **changes)
            response = client.post("/agreements/new", data=data)
            assert response.status_code == 422
            assert message in (field_error(response, field) or ""), text(response)
            assert "Formuläret innehåller fel och har inte sparats." in text(response)
            assert re.search(
                rf'aria-invalid="true"[^>]*id="{field}"|id="{field}"[^>]*aria-invalid="true"', text(response)
            )
            assert [m.select().count() for m in tables] == counts
            reader = FormReader()  # what was typed is still there
            reader.feed(text(response))
            assert reader.fields["documents"] == data["documents"]
            if "parties" not in changes:
                assert sorted(map(int, reader.fields["parties"])) == sorted(data["parties"])


# --- editing agreements -----------------------------------------------------


def test_editing_an_agreement(seeded, client, subtests):
    lakar = agreement("Läkaruppdrag")
    before, before_links = dict(lakar.__data__), links(lakar.id)
    original = form_fields(client, f"/agreements/{lakar.id}/edit")
    for changes, field, message in [
        ({"title": ""}, "title", "Titel måste anges."),
        ({"expires_on": "2024-12-31"}, "expires_on", "Slutdatumet måste ligga efter datumet i Giltig från."),
        ({"parent": str(lakar.id)}, "parent", "Ett avtal kan inte hänvisa till sig självt. Välj ett annat avtal."),
        ({"parties": ["99999"]}, "parties", "Det finns ingen part med id 99999 i registret. Välj parter i listan."),
        (
            {"documents": "inte en länk"},
            "documents",
            "Rad 1: länken måste börja med http:// eller https://. Skriv en länk per rad: Titel | https://…",
        ),
    ]:
        with subtests.test(field=field):
            response = client.post(f"/agreements/{lakar.id}/edit", data={**original, **changes})
            assert response.status_code == 422
            assert message in (field_error(response, field) or ""), text(response)
            assert dict(Agreement.get_by_id(lakar.id).__data__) == before
            assert links(lakar.id) == before_links

    # A valid edit of one field keeps everything else, links included.
    fields = form_fields(client, f"/agreements/{lakar.id}/edit")
    fields["decision_ref"] = "ReKo 2026-11-20 § 4"
    response = client.post(f"/agreements/{lakar.id}/edit", data=fields)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/agreements/{lakar.id}")
    after = dict(Agreement.get_by_id(lakar.id).__data__)
    assert after.pop("updated_at") > before.pop("updated_at")
    assert after == {**before, "decision_ref": "ReKo 2026-11-20 § 4"}
    assert links(lakar.id) == before_links
    assert len(before_links[2]) == 14
    assert "Ändringarna har sparats." in text(client.get(response.headers["Location"]))

    fields.update(
        parties=[str(org_id("Region Jönköpings län"))],
        contributing_groups=[],
        documents="Avtal | https://example.org/lakaruppdrag.pdf",
    )
    # Removing parties and groups is confirmed first (tests/test_forms_safety.py), then stored.
    asked = client.post(f"/agreements/{lakar.id}/edit", data=fields)
    assert asked.status_code == 409 and links(lakar.id) == before_links
    fields["confirm_removal"] = re.search(r'name="confirm_removal" value="([^"]+)"', text(asked)).group(1)
    assert client.post(f"/agreements/{lakar.id}/edit", data=fields).status_code == 302
    assert links(lakar.id) == (
        [],
        before_links[1],
        [org_id("Region Jönköpings län")],
        [("Avtal", "https://example.org/lakaruppdrag.pdf")],
    )


# --- reviews ----------------------------------------------------------------


def barn_agreement(title):
    row = agreement(title)
    assert (row.valid_from, row.review_rule, row.next_review_on) == (
        datetime.date(2025, 1, 1),
        "FREQ=YEARLY;INTERVAL=1",
        datetime.date(2026, 1, 1),
    )
    return row


def test_invalid_review_is_refused_and_nothing_is_saved(seeded, client, subtests):
    clinics, lakar = barn_agreement(YOUTH_CLINICS), agreement("Läkaruppdrag")
    assert form_fields(client, f"/agreements/{clinics.id}/reviews/new")["reviewed_on"] == "2026-11-23"
    before = {row.id: dict(row.__data__) for row in (clinics, lakar)}
    for target, changes, field, message in [
        (
            clinics,
            {"reviewed_on": "2026-11-24"},
            "reviewed_on",
            "Uppföljningsdatumet kan inte ligga i framtiden. Ange dagens datum eller ett tidigare.",
        ),
        (
            clinics,
            {"reviewed_on": ""},
            "reviewed_on",
            "Ange uppföljningsdatum som ÅÅÅÅ-MM-DD, till exempel 2027-03-31.",
        ),
        # A date WTForms cannot read: its own message, said as a sentence (registry/forms.py).
        (
            clinics,
            {"reviewed_on": "2026-11-31"},
            "reviewed_on",
            "Datumet kunde inte läsas. Ange det som ÅÅÅÅ-MM-DD, till exempel 2027-03-31.",
        ),
        (
            clinics,
            {"reviewer": "", "reviewer_name": "  "},
            "reviewer_name",
            "Ange vem som följde upp avtalet: välj en person eller skriv ett namn.",
        ),
        (clinics, {"reviewer": "99999"}, "reviewer", "Personen finns inte i registret. Välj en person i listan."),
        (
            clinics,
            {"outcome": "extended"},
            "new_expires_on",
            "Ange ett nytt slutdatum som ÅÅÅÅ-MM-DD när avtalet förlängs.",
        ),
        (
            clinics,
            {"outcome": "extended", "new_expires_on": "2026-11-01"},
            "new_expires_on",
            "Det nya slutdatumet måste ligga efter uppföljningsdatumet.",
        ),
        (
            clinics,
            {"new_expires_on": "2028-12-31"},
            "new_expires_on",
            "Ange bara ett nytt slutdatum när utfallet är Förlängd. Töm fältet eller välj Förlängd.",
        ),
        (clinics, {"outcome": "forgotten"}, "outcome", "Värdet finns inte i listan. Välj ett av listans värden."),
        (
            lakar,
            {"outcome": "extended", "new_expires_on": "2026-12-30"},
            "new_expires_on",
            "Det nya slutdatumet måste ligga efter det nuvarande, 2026-12-31.",
        ),
    ]:
        with subtests.test(agreement=target.id, **changes):
            response = client.post(f"/agreements/{target.id}/reviews/new", data=review(**changes))
            assert response.status_code == 422
            assert message in (field_error(response, field) or ""), text(response)
            assert Review.select().count() == 0
            assert {i: dict(Agreement.get_by_id(i).__data__) for i in before} == before


def test_review_outcomes(seeded, client, subtests):
    clinics = barn_agreement(YOUTH_CLINICS)
    reviewer = person_id("beredning.barn-och-unga@example.org")
    response = client.post(f"/agreements/{clinics.id}/reviews/new", data=review(reviewer=reviewer, reviewer_name=""))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/agreements/{clinics.id}")
    stored = Agreement.get_by_id(clinics.id)
    assert stored.next_review_on == datetime.date(2027, 11, 20)
    assert (stored.status, stored.expires_on) == ("in_force", None)
    saved = Review.get(Review.agreement == clinics.id)
    assert (saved.outcome, saved.reviewer_id, saved.reviewed_on) == ("unchanged", reviewer, datetime.date(2026, 11, 20))
    page = client.get(f"/agreements/{clinics.id}")
    history = section(page, "reviews-heading")
    assert "Uppföljningar" in history
    assert "2026-11-20" in history and "Oförändrad" in history and "Beredningsansvarig Barn och unga" in history
    assert "Uppföljningen har registrerats." in text(page)
    assert 'Nästa uppföljning</dt><dd><time datetime="2027-11-20">2027-11-20</time></dd>' in text(page)
    assert clinics.id not in listed(client.get("/agreements", query_string={"deadline": "review_overdue"}))

    cases = [
        (
            "Överenskommelse familjecentral Jönköpings län",
            {"outcome": "extended", "new_expires_on": "2028-12-31"},
            ("in_force", datetime.date(2028, 12, 31), datetime.date(2027, 11, 20)),
            "Förlängd (till 2028-12-31)",
        ),
        (
            "Överenskommelse om samverkan mellan barnhälsovård och förskola/annan pedagogisk verksamhet Jönköpings län",
            {"outcome": "to_be_revised"},
            ("under_revision", None, datetime.date(2027, 11, 20)),
            "Ska revideras",
        ),
        (
            "Överenskommelse huvudmännens ansvar och avvikelsehantering i samverkan för barn och unga",
            {"outcome": "terminated"},
            ("terminated", None, None),
            "Avslutad",
        ),
    ]
    revising = status_counts().get("under_revision", 0)
    for title, changes, expected, shown in cases:
        with subtests.test(**changes):
            row = barn_agreement(title)
            response = client.post(f"/agreements/{row.id}/reviews/new", data=review(**changes))
            assert response.status_code == 302
            stored = Agreement.get_by_id(row.id)
            assert (stored.status, stored.expires_on, stored.next_review_on) == expected
            reviews = section(client.get(f"/agreements/{row.id}"), "reviews-heading")
            assert shown in re.sub(r"<[^>]+>", "", reviews)  # dates are <time> elements

    terminated = agreement(cases[2][0]).id
    assert terminated not in listed(client.get("/agreements", query_string={"deadline": "attention"}))
    page = text(client.get(f"/agreements/{terminated}"))
    assert "Uppsagt" in page and "Nästa uppföljning</dt><dd>–</dd>" in page
    dashboard = text(client.get("/"))
    assert '<span class="count">1</span><span class="card-label">Uppsagt</span>' in dashboard
    # the demo data's, and the one sent for revision above
    assert f'<span class="count">{revising + 1}</span><span class="card-label">Under revidering</span>' in dashboard


# --- groups, organisations, people ------------------------------------------

ENTITIES = {
    "groups": (Group, "name", "Det finns redan en grupp med det namnet. Välj ett annat namn."),
    "organisations": (Organisation, "name", "Det finns redan en part med det namnet. Välj ett annat namn."),
    "people": (
        Person,
        "email",
        "Det finns redan en person med den e-postadressen. Varje person ska ha en egen e-postadress.",
    ),
}


def entity_post(kind):
    """A valid new row of each kind (ids looked up in the demo data)."""
    if kind == "groups":
        return {
            "name": "Arbetsgrupp SIP",
            "short_name": "SIP",
            "kind": "working",
            "parent": group_id("ReKo"),
            "chair": person_id("sekreterare.reko@example.org"),
            "mailbox": "sip@example.org",
            "description": "Översyn av SIP.",
        }
    if kind == "organisations":
        return {"name": "Länsstyrelsen i Jönköpings län", "short_name": "Lst", "kind": "other", "notes": ""}
    return {
        "name": "Ny Handläggare",
        "email": "Ny.Handlaggare@Example.org",
        "title": "Utvecklingsledare",
        "organisation": org_id("Jönköpings kommun"),
        "groups": [group_id("ReKo"), group_id(BARN)],
    }


def test_entity_forms_create_and_edit(seeded, client, subtests):
    for kind, (model, _key, _message) in ENTITIES.items():
        with subtests.test(kind=kind):
            before = model.select().count()
            response = client.post(f"/{kind}/new", data=entity_post(kind))
            assert response.status_code == 302
            assert model.select().count() == before + 1
            row = model.select().order_by(model.id.desc()).get()
            assert response.headers["Location"].endswith(f"/{kind}/{row.id}")
            assert "Uppgifterna har sparats." in text(client.get(response.headers["Location"]))

    group = Group.get(Group.name == "Arbetsgrupp SIP")
    assert (group.parent_id, group.chair_id, group.kind, group.mailbox) == (
        group_id("ReKo"),
        person_id("sekreterare.reko@example.org"),
        "working",
        "sip@example.org",
    )
    assert "Arbetsgrupp SIP" in text(client.get(f"/groups/{group_id('ReKo')}"))  # shown as a subgroup
    org = Organisation.get(Organisation.name == "Länsstyrelsen i Jönköpings län")
    assert (org.short_name, org.kind) == ("Lst", "other")
    person = Person.get(Person.email == "ny.handlaggare@example.org")  # stored in lower case
    assert person.organisation_id == org_id("Jönköpings kommun")
    assert sorted(m.group_id for m in person.memberships) == sorted([group_id("ReKo"), group_id(BARN)])
    assert "Ny Handläggare" in text(client.get(f"/groups/{group_id(BARN)}"))

    for kind, name, field, value, keeps in [
        ("groups", "ReKo", "mailbox", "ledning@example.org", lambda row: ids(row.children)),
        ("organisations", "Aneby kommun", "notes", "Part i alla 28.", lambda row: ids(row.agreement_links)),
        (
            "people",
            "beredning.aldre@example.org",
            "title",
            "Utvecklingsledare",
            lambda row: sorted(m.group_id for m in row.memberships),
        ),
    ]:
        with subtests.test(kind=kind):
            model, key, _message = ENTITIES[kind]
            row = model.get(getattr(model, key) == name)
            before, before_links = dict(row.__data__), keeps(row)
            fields = form_fields(client, f"/{kind}/{row.id}/edit")
            fields[field] = value
            response = client.post(f"/{kind}/{row.id}/edit", data=fields)
            assert response.status_code == 302
            assert response.headers["Location"].endswith(f"/{kind}/{row.id}")
            stored = model.get_by_id(row.id)
            assert stored.__data__ == {**before, field: value}
            assert before_links and keeps(stored) == before_links


def test_entity_forms_refuse_bad_input(seeded, client, subtests):
    refusals = [  # (kind, existing row or None for /new, changes, field, message)
        ("groups", None, {"name": "ReKo"}, "name", ENTITIES["groups"][2]),
        ("organisations", None, {"name": "Aneby kommun"}, "name", ENTITIES["organisations"][2]),
        ("people", None, {"email": "SEKRETERARE.reko@example.org"}, "email", ENTITIES["people"][2]),
        ("groups", BARN, {"name": "ReKo"}, "name", ENTITIES["groups"][2]),
        ("organisations", "Eksjö kommun", {"name": "Aneby kommun"}, "name", ENTITIES["organisations"][2]),
        (
            "people",
            "beredning.aldre@example.org",
            {"email": "ordforande.aldre@example.org"},
            "email",
            ENTITIES["people"][2],
        ),
        (
            "groups",
            "ReKo",
            {"parent": "ReKo"},
            "parent",
            "En grupp kan inte ligga under sig själv. Välj en annan överordnad grupp.",
        ),
        (
            "groups",
            "ReKo",
            {"parent": BARN},
            "parent",
            "En grupp kan inte ligga under sig själv. Välj en annan överordnad grupp.",
        ),
        (
            "groups",
            "Kommunalt forum",
            {"parent": BARN},
            "parent",
            "En grupp kan inte ligga under sig själv. Välj en annan överordnad grupp.",
        ),
        ("groups", None, {"name": " "}, "name", "Namn måste anges."),
        (
            "groups",
            None,
            {"mailbox": "inte-en-adress"},
            "mailbox",
            "E-postadressen är inte giltig. Skriv den som namn@exempel.se.",
        ),
        ("organisations", None, {"name": ""}, "name", "Namn måste anges."),
        (
            "people",
            None,
            {"email": "inte-en-adress"},
            "email",
            "E-postadressen är inte giltig. Skriv den som namn@exempel.se.",
        ),
        ("people", None, {"email": ""}, "email", "Ange en e-postadress, till exempel namn@exempel.se."),
    ]
    snapshot = {kind: {r.id: dict(r.__data__) for r in model.select()} for kind, (model, _k, _m) in ENTITIES.items()}
    for kind, existing, changes, field, message in refusals:
        with subtests.test(kind=kind, existing=existing, **changes):
            model, key, _message = ENTITIES[kind]
            if existing is None:
                url, data = f"/{kind}/new", {**entity_post(kind), **changes}
            else:
                row = model.get(getattr(model, key) == existing)
                url = f"/{kind}/{row.id}/edit"
                data = {**form_fields(client, url), **changes}
                if field == "parent":
                    data["parent"] = str(group_id(changes["parent"]))
            response = client.post(url, data=data)
            assert response.status_code == 422
            assert field_error(response, field) == message
            assert "Formuläret innehåller fel och har inte sparats." in text(response)
            assert {k: {r.id: dict(r.__data__) for r in m.select()} for k, (m, _k, _m) in ENTITIES.items()} == snapshot


# --- language ---------------------------------------------------------------


def test_language_switch(app, client):
    # Seeded without holding a context: under `seeded` all client requests share one `g`,
    # where flask-babel caches the locale, so ?lang= could not take effect.
    with app.app_context():
        seed.load()
        lakar = agreement("Läkaruppdrag").id
        everything = Agreement.select().count()
        db.close()
    english = client.get("/?lang=en")
    assert english.status_code == 200
    assert '<html lang="en">' in text(english) and 'hreflang="sv"' in text(english)
    for url in ("/agreements", f"/agreements/{lakar}", "/agreements/new", f"/agreements/{lakar}/reviews/new"):
        response = client.get(url)
        assert response.status_code == 200 and '<html lang="en">' in text(response), url
    assert len(listed(client.get("/agreements"))) == everything
    swedish = client.get("/?lang=sv")
    assert '<html lang="sv">' in text(swedish) and "<h1>Översikt</h1>" in text(swedish)
    client.get("/?lang=en")
    other = client.get("/?lang=xx")  # unknown: the remembered choice stays
    assert other.status_code == 200 and '<html lang="en">' in text(other)
