"""The public register (issue 15, item 1): /public without a login, on SQLite and PostgreSQL.

What is published (the default rule and an editor's choice, stored documents version by version), the
pages, search and filters, the open data, the embeddable list and its frame policy, the rate limit per
client address, and the proof that no page or export under /public shows a person, an e-mail address,
notes, or anything unpublished.
"""

import csv
import io
import json
import re

import pytest

from registry import seed
from registry.domain import public_register
from registry.domain.agreements import save_agreement
from registry.domain.errors import ValidationError
from registry.models import (
    Adoption,
    Agreement,
    AuditEntry,
    DocumentVersion,
    Organisation,
    Person,
    Review,
    StoredDocument,
    User,
)
from tests.conftest import TODAY, make_app, migrated_app
from tests.factories import (
    client_as,
    make_agreement,
    make_organisation,
    make_stored_document,
    pdf_bytes,
    update_agreement,
)
from tests.html import text

BASE_URL = "https://registret.example.org"  # the tests' APP_BASE_URL (config.TestingConfig)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def unlimited(app):
    app.config["PUBLIC_RATE_LIMIT"] = "100000 per minute"


# --- what is published ---------------------------------------------------------------------------


def test_the_default_rule_and_the_editors_choice(small_register):
    in_force = make_agreement(kind="avtal")
    under_revision = make_agreement(kind="overenskommelse", status="under_revision")
    strategy = make_agreement(kind="strategi")
    draft = make_agreement(kind="avtal", status="draft")
    expired = make_agreement(kind="overenskommelse", status="expired")
    published = {a.id for a in public_register.search()}
    assert {in_force.id, under_revision.id} <= published
    assert not {strategy.id, draft.id, expired.id} & published

    update_agreement(strategy, publication="yes")
    update_agreement(in_force, publication="no")
    published = {a.id for a in public_register.search()}
    assert strategy.id in published and in_force.id not in published
    assert public_register.find(in_force.id) is None
    assert public_register.is_published(Agreement.get_by_id(strategy.id))

    entry = AuditEntry.select().where(AuditEntry.entity_id == in_force.id).order_by(AuditEntry.id.desc()).first()
    assert json.loads(entry.changes)["publication"] == ["auto", "no"]


def test_the_publication_setting_is_checked(small_register):
    with pytest.raises(ValidationError) as refused:
        values = {"title": "X", "kind": "avtal", "status": "in_force", "publication": "maybe"}
        save_agreement({**values, "responsible_group": small_register.board.id})
    assert "publication" in refused.value.errors


def test_the_form_sets_the_publication(small_register, client):
    form = small_register.agreement_form(title="Publicerad strategi", kind="strategi", publication="yes")
    response = client.post("/agreements/new", data=form)
    assert response.status_code == 302
    agreement = Agreement.get(Agreement.title == "Publicerad strategi")
    assert agreement.publication == "yes"
    page = text(client.get(f"/agreements/{agreement.id}"))
    assert "Publicerat i det öppna registret" in page
    assert f'href="/public/agreements/{agreement.id}"' in page


def test_only_published_versions_are_public_and_marking_is_audited(app, small_register):
    board, parties = small_register.board, small_register.organisations
    agreement = make_agreement(kind="avtal", responsible_group=board, parties=parties)
    first = make_stored_document(agreement, pdf_bytes("Första"), title="Undertecknat avtal").version
    make_stored_document(agreement, pdf_bytes("Andra"), title="Undertecknat avtal")
    editor = client_as(app, "editor", groups=[small_register.board])
    anonymous = app.test_client()

    url = f"/public/agreements/{agreement.id}"
    assert "Undertecknat avtal" not in text(anonymous.get(url))
    document_id = first.document_id
    assert anonymous.get(f"{url}/documents/{document_id}/versions/1").status_code == 404

    response = editor.post(f"/agreements/{agreement.id}/documents/{document_id}/versions/1/publication",
                           data={"published": "1"})  # fmt: skip
    assert response.status_code == 302
    assert DocumentVersion.get_by_id(first.id).published
    page = text(anonymous.get(url))
    assert "Undertecknat avtal" in page and "version 1" in page and "version 2" not in page
    download = anonymous.get(f"{url}/documents/{document_id}/versions/1")
    assert download.status_code == 200 and download.data == pdf_bytes("Första")
    assert anonymous.get(f"{url}/documents/{document_id}/versions/2").status_code == 404
    entry = AuditEntry.select().where(AuditEntry.entity == "document").order_by(AuditEntry.id.desc()).first()
    assert json.loads(entry.changes)["published"] == [False, True]
    assert "version 1" in entry.summary

    # A viewer may not mark; the agreement unpublished takes its published versions with it.
    viewer = client_as(app, "viewer")
    assert viewer.post(f"/agreements/{agreement.id}/documents/{document_id}/versions/2/publication",
                       data={"published": "1"}).status_code == 403  # fmt: skip
    update_agreement(agreement, publication="no")
    assert anonymous.get(url).status_code == 404
    assert anonymous.get(f"{url}/documents/{document_id}/versions/1").status_code == 404

    editor.post(f"/agreements/{agreement.id}/documents/{document_id}/versions/1/publication", data={"published": "0"})
    assert not DocumentVersion.get_by_id(first.id).published


# --- the pages ------------------------------------------------------------------------------------


def test_list_search_and_filters(app, seeded):
    unlimited(app)
    anonymous = app.test_client()
    page = text(anonymous.get("/public"))
    published = public_register.search()
    assert f"{len(published)} avtal" in page
    assert "Logga ut" not in page and "Huvudmeny" not in page

    komhem = Agreement.get(Agreement.short_name == "KomHem-avtal")
    assert komhem.title in text(anonymous.get("/public?q=komhem"))
    assert komhem.title not in text(anonymous.get("/public?q=ingetsådantord"))
    group = komhem.responsible_group_id
    assert komhem.title in text(anonymous.get(f"/public?group={group}&kind=avtal&status=in_force"))
    assert komhem.title not in text(anonymous.get("/public?kind=overenskommelse"))
    aneby = Organisation.get(Organisation.name == "Aneby kommun")
    assert komhem.title in text(anonymous.get(f"/public?party={aneby.id}"))
    # Nonsense in a filter is left out, never an error.
    assert anonymous.get("/public?group=x&party=-1&kind=%00&status=nope").status_code == 200

    printable = text(anonymous.get("/public/print?kind=avtal"))
    assert komhem.title in printable


def test_a_page_shows_parties_decisions_and_hides_the_rest(app, seeded):
    unlimited(app)
    adoption = _recorded_decision()
    page = text(app.test_client().get(f"/public/agreements/{adoption.agreement_id}"))
    assert adoption.organisation.name in page
    assert adoption.decided_on.isoformat() in page
    if adoption.decision_ref:
        assert adoption.decision_ref in page
    unpublished = Agreement.get(~public_register.published_condition())
    assert app.test_client().get(f"/public/agreements/{unpublished.id}").status_code == 404
    assert app.test_client().get("/public/agreements/99999999999999999999").status_code == 404


def test_the_login_page_links_to_the_public_register_in_both_languages(anonymous):
    assert 'href="/public"' in text(anonymous.get("/login"))
    english = text(anonymous.get("/public?lang=en"))
    assert '<html lang="en">' in english and "Search" in english and "No published agreements" in english


def _recorded_decision():
    """A party's decision on a published agreement, recorded by someone whose name must not be shown."""
    agreement = Agreement.get_by_id(public_register.search()[0].id)
    party = agreement.party_links.first().organisation
    return Adoption.create(agreement=agreement, organisation=party, body="Kommunstyrelsen", decided_on=TODAY,
                           decision_ref="§ 12", case_number="KS 2026/77",
                           recorded_by_name="Registrerare Ringqvist <ringqvist@example.org>")  # fmt: skip


# --- open data ------------------------------------------------------------------------------------


def test_open_data_in_json_and_csv(app, seeded):
    unlimited(app)
    anonymous = app.test_client()
    body = anonymous.get("/public/agreements.json").get_json()
    assert body["licence"]["name"] == "CC0 1.0"
    assert body["fields"] == list(public_register.OPEN_FIELDS)
    published = public_register.search()
    assert [a["id"] for a in body["agreements"]] == [a.id for a in published]
    first = body["agreements"][0]
    assert set(first) == set(public_register.OPEN_FIELDS)
    assert first["url"].endswith(f"/public/agreements/{first['id']}")

    response = anonymous.get("/public/agreements.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == [*public_register.OPEN_FIELDS, "licence"]
    assert [int(r[0]) for r in rows[1:]] == [a.id for a in published]
    assert {r[-1] for r in rows[1:]} == {"CC0 1.0"}

    app.config["PUBLIC_LICENCE"] = "CC BY 4.0"
    assert anonymous.get("/public/agreements.json").get_json()["licence"]["name"] == "CC BY 4.0"


def test_the_csv_quotes_what_a_spreadsheet_would_run(app, small_register):
    unlimited(app)
    party = make_organisation("@SUM(A1:A9) kommun")
    agreement = make_agreement(title='=HYPERLINK("http://evil.example","x")', kind="avtal", description="+1+1",
                               target_group="-2 grupper", parties=[party])  # fmt: skip
    Adoption.create(agreement=agreement, organisation=party, body="=Kommunfullmäktige", decided_on=TODAY,
                    decision_ref="§ 3", case_number="KF 2026/3")  # fmt: skip
    client = app.test_client()
    record = next(r for r in client.get("/public/agreements.json").get_json()["agreements"] if r["id"] == agreement.id)
    assert record["title"] == '=HYPERLINK("http://evil.example","x")'  # JSON keeps the text as it is

    rows = list(csv.DictReader(io.StringIO(client.get("/public/agreements.csv").data.decode("utf-8-sig"))))
    row = next(r for r in rows if r["id"] == str(agreement.id))
    assert row["title"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["description"] == "'+1+1"
    assert row["target_group"] == "'-2 grupper"
    assert row["parties"] == "'@SUM(A1:A9) kommun"
    assert row["adoptions"].startswith("'@SUM(A1:A9) kommun: =Kommunfullmäktige")
    assert not [cell for r in rows for cell in r.values() if cell.startswith(("=", "+", "-", "@"))]


def test_absolute_addresses_are_app_base_url_not_the_host_header(app, seeded):
    unlimited(app)
    client = app.test_client()
    forged = {"base_url": "http://evil.example", "headers": {"Host": "evil.example"}}
    response = client.get("/public/agreements.json", **forged)
    assert "evil.example" not in response.data.decode()
    body = response.get_json()
    assert body["source"] == f"{BASE_URL}/public"
    urls = [r["url"] for r in body["agreements"]] + [d["url"] for r in body["agreements"] for d in r["documents"]]
    assert urls and all(url.startswith(f"{BASE_URL}/public/agreements/") for url in urls)
    csv_text = client.get("/public/agreements.csv", **forged).data.decode("utf-8-sig")
    assert "evil.example" not in csv_text and f"{BASE_URL}/public/agreements/" in csv_text
    embed = text(client.get("/public/embed?kind=avtal", **forged))
    assert "evil.example" not in embed
    assert f'href="{BASE_URL}/public/agreements/' in embed and f'href="{BASE_URL}/public?kind=avtal"' in embed


# --- nothing private -----------------------------------------------------------------------------


def _private_register():
    """The demo with its accounts, notes on every agreement and follow-up, a person on every review, a
    published agreement with a published and an unpublished document, and an unpublished agreement."""
    seed.load_users()
    _recorded_decision()
    published = public_register.search()
    target = Agreement.get_by_id(published[0].id)
    make_stored_document(target, pdf_bytes("Offentlig"), title="Offentligt avtalsdokument")
    DocumentVersion.update(published=True).execute()
    make_stored_document(target, pdf_bytes("Hemlig"), title="Hemligt utkast till bilaga")
    hidden = make_agreement(title="Opublicerat samarbetsavtal om hemligheter", kind="avtal", publication="no",
                            notes="Anteckning som aldrig får synas")  # fmt: skip
    for agreement in Agreement.select():
        Agreement.update(notes=f"Intern anteckning {agreement.id} om förhandlingen").where(
            Agreement.id == agreement.id
        ).execute()
    person = Person.select().first()
    Review.create(agreement=target, reviewed_on=target.valid_from or target.created_at.date(), reviewer=person,
                  outcome="unchanged", notes="Uppföljningsanteckning som är intern")  # fmt: skip
    return hidden


def _public_addresses(client):
    """Every page and export under /public, followed from the list (documents too), in both languages."""
    addresses = ["/public", "/public?lang=en", "/public?lang=sv", "/public/print", "/public/embed",
                 "/public/agreements.json", "/public/agreements.csv"]  # fmt: skip
    for record in client.get("/public/agreements.json").get_json()["agreements"]:
        addresses.append(f"/public/agreements/{record['id']}")
        addresses.extend(d["url"].removeprefix(BASE_URL) for d in record["documents"])
    return addresses


def test_nothing_private_is_shown_under_public(app, seeded):
    unlimited(app)
    hidden = _private_register()
    forbidden = {p.name for p in Person.select()} | {u.name for u in User.select()}
    forbidden |= {a.notes for a in Agreement.select() if a.notes} | {r.notes for r in Review.select() if r.notes}
    forbidden |= {hidden.title} | {a.title for a in Agreement.select().where(~public_register.published_condition())}
    forbidden |= {
        d.title
        for d in StoredDocument.select()
        if not DocumentVersion.select().where((DocumentVersion.document == d.id) & DocumentVersion.published).exists()
    }
    forbidden |= {v.uploaded_by_name for v in DocumentVersion.select() if v.uploaded_by_name}
    forbidden |= {a.recorded_by_name for a in Adoption.select() if a.recorded_by_name}
    assert "Hemligt utkast till bilaga" in forbidden and len(forbidden) > 40

    client = app.test_client()
    addresses = _public_addresses(client)
    assert any("/documents/" in a for a in addresses)
    published_titles = {a.title for a in public_register.search()}
    for address in addresses:
        response = client.get(address)
        assert response.status_code == 200, address
        if "/documents/" in address:
            continue  # a published file's own bytes
        body = response.data.decode("utf-8")
        found = EMAIL.search(body)
        assert found is None, f"{address}: e-mail address {found.group(0)}"
        for secret in forbidden:
            # A published title that holds an unpublished one as a part ("Avtal" in "Avtal om …") is not a leak.
            if secret in body and not any(secret in title for title in published_titles):
                pytest.fail(f"{address} shows {secret!r}")


# --- framing and the rate limit --------------------------------------------------------------------


def test_only_the_embed_may_be_framed(database_url):
    with migrated_app(database_url, PUBLIC_EMBED_ANCESTORS="https://www.rjl.se https://*.example.se") as app:
        client = app.test_client()
        embed = client.get("/public/embed")
        assert embed.status_code == 200
        policy = embed.headers["Content-Security-Policy"]
        assert "frame-ancestors 'self' https://www.rjl.se https://*.example.se;" in policy
        assert "X-Frame-Options" not in embed.headers
        assert '<base target="_top">' in text(embed)
        for address in ("/public", "/public/agreements.json", "/login"):
            response = client.get(address)
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], address
            assert response.headers["X-Frame-Options"] == "DENY", address


def test_bad_public_settings_stop_the_start():
    with pytest.raises(RuntimeError, match="PUBLIC_EMBED_ANCESTORS"):
        make_app("sqlite:///:memory:", PUBLIC_EMBED_ANCESTORS="https://a.se; script-src *")
    with pytest.raises(RuntimeError, match="PUBLIC_RATE_LIMIT"):
        make_app("sqlite:///:memory:", PUBLIC_RATE_LIMIT="lots")


def test_requests_are_limited_per_client_address_behind_the_proxy(database_url):
    with migrated_app(database_url, PUBLIC_RATE_LIMIT="3 per minute", TRUSTED_PROXIES=1) as app:
        client = app.test_client()

        def get(address, client_address):
            return client.get(address, headers={"X-Forwarded-For": client_address})

        for address in ("/public", "/public/print", "/public/agreements.json"):
            assert get(address, "203.0.113.5").status_code == 200
        refused = get("/public", "203.0.113.5")
        assert refused.status_code == 429
        assert "För många förfrågningar från din adress" in text(refused)
        assert refused.headers.get("Retry-After")
        assert get("/public/agreements.json", "203.0.113.5").get_json()["error"].startswith("För många")
        # Another address has its own count; pages outside /public are not counted.
        assert get("/public", "198.51.100.7").status_code == 200
        assert get("/login", "203.0.113.5").status_code == 200


def test_the_embed_has_its_own_limit_and_may_be_cached(database_url):
    """Everyone behind one address (a region's staff behind its NAT) shares a count: the embedded list, shown on
    the region's website, is counted apart, against a higher limit, and caches may keep it for five minutes."""
    with migrated_app(database_url, PUBLIC_RATE_LIMIT="2 per minute", PUBLIC_EMBED_RATE_LIMIT="4 per minute") as app:
        client = app.test_client()
        for _ in range(2):
            page = client.get("/public")
            assert page.status_code == 200 and "public" not in page.headers.get("Cache-Control", "")
        assert client.get("/public").status_code == 429
        for _ in range(3):
            embed = client.get("/public/embed")
            assert embed.status_code == 200
            assert embed.headers["Cache-Control"] == "public, max-age=300"
            assert embed.headers["X-RateLimit-Limit"] == "4"
            assert "Accept-Language" in embed.headers["Vary"]
        # An answer that sets a cookie (the language chosen) is for that browser only.
        english = client.get("/public/embed?lang=en")
        assert english.status_code == 200 and "Set-Cookie" in english.headers
        assert english.headers["Cache-Control"] == "private, max-age=300"
        refused = client.get("/public/embed")
        assert refused.status_code == 429 and "max-age" not in refused.headers.get("Cache-Control", "")
        assert client.get("/public/agreements.json").status_code == 429  # the general count is its own
    with pytest.raises(RuntimeError, match="PUBLIC_EMBED_RATE_LIMIT"):
        make_app("sqlite:///:memory:", PUBLIC_EMBED_RATE_LIMIT="many")


def test_an_ipv6_client_is_counted_by_its_64_network(database_url):
    from registry.views.public import rate_key

    with migrated_app(database_url, PUBLIC_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1) as app:
        client = app.test_client()

        def get(client_address):
            return client.get("/public", headers={"X-Forwarded-For": client_address}).status_code

        assert get("2001:db8:1:2::1") == 200
        assert get("2001:db8:1:2:ffff:ffff:ffff:fffe") == 200
        assert get("2001:db8:1:2::99") == 429  # a new address in the same /64 is the same client
        assert get("2001:db8:1:3::1") == 200
        for address, key in (("::ffff:203.0.113.5", "203.0.113.5"), ("203.0.113.5", "203.0.113.5"),
                             ("2001:db8:1:2::1", "2001:db8:1:2::/64")):  # fmt: skip
            with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
                assert rate_key() == key
