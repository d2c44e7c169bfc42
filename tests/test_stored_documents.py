"""Documents stored in the register, with versions (issue 14, item 2), on SQLite and PostgreSQL.

A PDF whose text holds a rare word is uploaded on the agreement page; the register's search finds the
agreement by that word; a second version is uploaded; both download with the same bytes, and their
SHA-256 is on the page. Also: the type is read from the content, the size limit is said, a form sent
twice stores one version, the API upload, who may upload and download, and the audit trail.
"""

import hashlib
import io
import re
import zipfile

import pytest

from registry.db import db
from registry.domain import stored_documents, text_extraction
from registry.models import AuditEntry, DocumentVersion, StoredDocument
from tests.factories import (
    agreement_of,
    api_client,
    client_as,
    docx_bytes,
    make_agreement,
    make_stored_document,
    pdf_bytes,
)
from tests.html import text

RARE = "egenvårdsbedömningsmall"


def upload(client, agreement, content, filename="avtal.pdf", **fields):
    """Post the upload form (a small file)."""
    return client.post(
        f"/agreements/{agreement.id}/documents",
        data={"file": (io.BytesIO(content), filename), **fields},
        content_type="multipart/form-data",
    )


def upload_large(client, agreement, content, filename="avtal.pdf"):
    """(status, page) of an upload whose body is a temporary file: werkzeug's test client closes it with
    the response only when it follows redirects."""
    with client.post(
        f"/agreements/{agreement.id}/documents",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
        follow_redirects=True,
    ) as response:
        return response.status_code, text(response)


def versions_of(agreement):
    return list(
        DocumentVersion.select()
        .join(StoredDocument)
        .where(StoredDocument.agreement == agreement.id)
        .order_by(DocumentVersion.number)
    )


def listed_ids(client, q):
    page = text(client.get("/agreements", query_string={"q": q}))
    return {int(pk) for pk in re.findall(r'href="/agreements/(\d+)"', page)}


# --- the test, end to end -----------------------------------------------------


def test_upload_find_by_a_rare_word_second_version_and_download_both(ctx, small_register, client):
    agreement = agreement_of(small_register.board)
    other = make_agreement(title="Ett annat avtal")
    first = pdf_bytes("Överenskommelse om samverkan", f"Bilaga: {RARE} för hemsjukvården")

    assert agreement.id not in listed_ids(client, RARE)
    response = upload(client, agreement, first, "Undertecknat avtal.pdf", title="Avtalet", kind="signed")
    assert response.status_code == 302, text(response)[:500]
    assert response.location.endswith(f"/agreements/{agreement.id}#document-{versions_of(agreement)[0].document_id}")

    # The search finds the agreement by a word only its document says, in any case.
    assert listed_ids(client, RARE) == {agreement.id}
    assert listed_ids(client, RARE.upper()) == {agreement.id}
    api = api_client(ctx, "viewer")
    found = api.get("/api/v1/agreements", query_string={"q": RARE}).get_json()
    assert [item["id"] for item in found["items"]] == [agreement.id]
    assert other.id not in listed_ids(client, RARE)

    second = pdf_bytes("Överenskommelse om samverkan, reviderad 2027", "Ny text utan det ovanliga ordet")
    response = upload(client, agreement, second, "avtal-2027.pdf", title="avtalet ")  # same title, case aside
    assert response.status_code == 302
    stored = versions_of(agreement)
    assert [v.number for v in stored] == [1, 2]
    assert stored[0].superseded_at is not None and stored[1].superseded_at is None
    assert StoredDocument.select().where(StoredDocument.agreement == agreement.id).count() == 1
    # Only the newest version is searched: the rare word went with version 1.
    assert agreement.id not in listed_ids(client, RARE)
    assert agreement.id in listed_ids(client, "reviderad 2027")

    page = text(client.get(f"/agreements/{agreement.id}"))
    for content, version in zip((first, second), stored, strict=True):
        digest = hashlib.sha256(content).hexdigest()
        assert version.sha256 == digest and version.size == len(content)
        assert digest in page and digest[:12] in page  # shortened, and the whole value
        url = f"/agreements/{agreement.id}/documents/{version.document_id}/versions/{version.number}"
        assert url in page
        download = client.get(url)
        assert download.status_code == 200
        assert download.data == content
        assert hashlib.sha256(download.data).hexdigest() == digest
        assert download.mimetype == "application/pdf"
        assert download.headers["Cache-Control"] == "no-store"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "Undertecknat avtal" in page  # the kind's label
    disposition = client.get(f"/agreements/{agreement.id}/documents/{stored[0].document_id}/versions/1").headers[
        "Content-Disposition"
    ]
    assert 'filename="Undertecknat avtal.pdf"' in disposition
    # Both uploads and both downloads are in the audit trail; the agreement's change history shows the uploads.
    entries = AuditEntry.select().where((AuditEntry.entity == "document") & (AuditEntry.agreement_id == agreement.id))
    assert sorted(e.action for e in entries) == ["create", "download", "download", "download", "update"]
    history = page.split('id="history-heading"')[1]
    assert "Skapade dokument" in history and "Laddade ner" not in history


def test_non_ascii_file_names_download_with_an_ascii_fallback(ctx, small_register, client):
    agreement = agreement_of(small_register.board)
    made = make_stored_document(agreement, pdf_bytes("Protokoll"), "Beslutsprotokoll Kommunalt forum § 12.pdf")
    url = f"/agreements/{agreement.id}/documents/{made.document.id}/versions/1"
    disposition = client.get(url).headers["Content-Disposition"]
    assert disposition.isascii()
    assert "filename*=UTF-8''Beslutsprotokoll%20Kommunalt%20forum%20%C2%A7%2012.pdf" in disposition


# --- what is accepted ------------------------------------------------------------------


def test_type_is_read_from_the_content_not_the_name(ctx, small_register, client):
    agreement = agreement_of(small_register.board)
    response = upload(client, agreement, "Det här är bara text, ingen PDF.\n".encode(), "avtal.pdf")
    assert response.status_code == 422
    page = text(response)
    assert "PDF-, DOCX- (Word) eller ODT-fil" in page
    assert versions_of(agreement) == []
    # A real PDF named .txt is a PDF, stored with its format's ending.
    assert upload(client, agreement, pdf_bytes("Rätt fil"), "avtal.txt").status_code == 302
    (version,) = versions_of(agreement)
    assert version.content_type == "application/pdf" and version.filename == "avtal.txt.pdf"
    # A zip that is no Word document is refused too.
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("hello.txt", "hej")
    assert upload(client, agreement, archive.getvalue(), "bilaga.docx").status_code == 422


def test_docx_and_odt_are_stored_and_searched(ctx, small_register, client):
    agreement = agreement_of(small_register.board)
    content = docx_bytes("Bilaga 2", "Rutin för läkemedelsgenomgångskvalitet i hemmet")
    assert upload(client, agreement, content, "Bilaga 2.docx", kind="appendix").status_code == 302
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr(
            "content.xml",
            '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
            ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
            "<text:p>Protokoll med paragrafordet</text:p></office:text></office:body></office:document-content>",
        )
    assert upload(client, agreement, odt.getvalue(), "protokoll.odt", kind="minutes").status_code == 302
    kinds = {v.filename: (v.content_type, v.text_status) for v in versions_of(agreement)}
    assert kinds == {
        "Bilaga 2.docx": (text_extraction.CONTENT_TYPES["docx"], "extracted"),
        "protokoll.odt": (text_extraction.CONTENT_TYPES["odt"], "extracted"),
    }
    assert listed_ids(client, "läkemedelsgenomgångskvalitet") == {agreement.id}
    assert listed_ids(client, "PARAGRAFORDET") == {agreement.id}


def test_a_file_over_the_limit_is_refused_with_the_limit_in_the_message(ctx, small_register, client):
    agreement = agreement_of(small_register.board)
    ctx.config["DOCUMENT_MAX_BYTES"] = 1024 * 1024
    over = pdf_bytes("x" * (1024 * 1024))  # over the limit, within the form's margin: the domain says it
    status, page = upload_large(client, agreement, over)
    assert status == 422
    assert "Filen är för stor. Ett dokument får vara högst 1 MB." in page
    huge = b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024)  # beyond the margin too: refused before it is read
    status, page = upload_large(client, agreement, huge)
    assert status == 413
    assert "Filen är för stor. Ett dokument får vara högst 1 MB." in page
    assert versions_of(agreement) == []
    # The default is 20 MB, and the form says so.
    ctx.config["DOCUMENT_MAX_BYTES"] = stored_documents.DEFAULT_MAX_BYTES
    assert "högst 20 MB" in text(client.get(f"/agreements/{agreement.id}"))


def test_a_broken_or_hostile_file_is_stored_without_text(ctx, small_register, client):
    agreement = agreement_of(small_register.board)
    broken = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage"
    assert upload(client, agreement, broken, "trasig.pdf").status_code == 302
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>" + " " * (60 * 1024 * 1024))
    assert upload(client, agreement, bomb.getvalue(), "bomb.docx").status_code == 302
    states = {v.filename: (v.text_status, v.text) for v in versions_of(agreement)}
    assert states == {"trasig.pdf": ("unreadable", ""), "bomb.docx": ("unreadable", "")}
    page = text(client.get(f"/agreements/{agreement.id}"))
    assert "Texten kunde inte läsas ur filen" in page


def test_the_same_file_sent_twice_is_one_version(ctx, small_register, client):
    agreement = agreement_of(small_register.board)
    content = pdf_bytes("Samma avtal")
    assert upload(client, agreement, content, "avtal.pdf").status_code == 302
    again = upload(client, agreement, content, "avtal.pdf")
    assert again.status_code == 302
    page = text(client.get(again.location))
    assert "Filen var redan sparad som den senaste versionen av avtal (version 1)" in page
    assert len(versions_of(agreement)) == 1
    creates = AuditEntry.select().where((AuditEntry.entity == "document") & (AuditEntry.action != "download"))
    assert creates.count() == 1


def test_a_title_with_a_line_break_is_refused(ctx, small_register, client):
    agreement = agreement_of(small_register.board)
    response = upload(client, agreement, pdf_bytes("x"), title="Rad ett\nrad två")
    assert response.status_code == 422
    assert "Skriv den på en rad" in text(response)


# --- who may ---------------------------------------------------------------------------


def test_viewers_do_not_upload_and_anonymous_visitors_do_not_download(app, ctx, small_register):
    agreement = agreement_of(small_register.board)
    made = make_stored_document(agreement, pdf_bytes("Hemligt utkast"))
    url = f"/agreements/{agreement.id}/documents/{made.document.id}/versions/1"
    viewer = client_as(app, "viewer")
    assert upload(viewer, agreement, pdf_bytes("Från läsaren")).status_code == 403
    page = text(viewer.get(f"/agreements/{agreement.id}"))
    assert "Ladda upp ett dokument" not in page and url in page
    assert viewer.get(url).data == stored_documents.content_bytes(made.version)
    anonymous = app.test_client()
    response = anonymous.get(url)
    assert response.status_code == 302 and "/login" in response.location
    assert upload(anonymous, agreement, pdf_bytes("Anonym")).status_code == 401
    # An editor of another group does not upload to this agreement.
    outsider = client_as(app, "editor", groups=[small_register.team])
    assert upload(outsider, agreement, pdf_bytes("Utifrån")).status_code == 403
    assert len(versions_of(agreement)) == 1
    # Unknown documents and versions are 404s, also beyond 64 bits.
    assert viewer.get(f"/agreements/{agreement.id}/documents/{made.document.id}/versions/2").status_code == 404
    assert viewer.get(f"/agreements/{agreement.id}/documents/{2**70}/versions/1").status_code == 404
    other = make_agreement()
    assert viewer.get(f"/agreements/{other.id}/documents/{made.document.id}/versions/1").status_code == 404
    downloads = AuditEntry.select().where(AuditEntry.action == "download")
    assert [e.actor.split(" <")[0] for e in downloads] == ["Test viewer"]


# --- the API ---------------------------------------------------------------------------


def test_api_upload_then_the_agreement_lists_the_versions(app, ctx, small_register):
    agreement = agreement_of(small_register.board)
    editor = api_client(app, "editor", groups=[small_register.board])
    content = pdf_bytes("Avtal via API:t", RARE)

    def post(data, **kwargs):
        return editor.post(
            f"/api/v1/agreements/{agreement.id}/documents", data=data, content_type="multipart/form-data", **kwargs
        )

    response = post({"file": (io.BytesIO(content), "avtal.pdf"), "title": "Avtalet", "kind": "signed"})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["title"], body["kind"], body["uploaded_version"], body["created"]) == ("Avtalet", "signed", 1, True)
    (version,) = body["versions"]
    assert version["sha256"] == hashlib.sha256(content).hexdigest() and version["size"] == len(content)
    assert version["content_type"] == "application/pdf" and version["text_status"] == "extracted"
    assert version["uploaded_by"].startswith("Test editor")
    assert version["download_url"] == f"/agreements/{agreement.id}/documents/{body['id']}/versions/1"

    again = post({"file": (io.BytesIO(content), "avtal.pdf"), "title": "AVTALET"})
    assert again.status_code == 200 and again.get_json()["created"] is False
    second = post({"file": (io.BytesIO(docx_bytes("Version två")), "avtal.docx"), "title": "Avtalet"})
    assert second.status_code == 201 and second.get_json()["uploaded_version"] == 2

    detail = editor.get(f"/api/v1/agreements/{agreement.id}").get_json()
    (stored,) = detail["stored_documents"]
    assert [v["number"] for v in stored["versions"]] == [2, 1]
    assert stored["versions"][1]["superseded_at"] is not None and stored["versions"][0]["superseded_at"] is None


def test_api_upload_errors_are_clear_json(app, ctx, small_register):
    agreement = agreement_of(small_register.board)
    editor = api_client(app, "editor", groups=[small_register.board])
    path = f"/api/v1/agreements/{agreement.id}/documents"

    def post(data, **kwargs):
        with editor.post(path, data=data, content_type="multipart/form-data", follow_redirects=True, **kwargs) as r:
            r.get_data()
            return r

    missing = post({"title": "Utan fil"})
    assert missing.status_code == 422 and "file" in missing.get_json()["error"]["fields"]
    fake = post({"file": (io.BytesIO(b"bara text"), "avtal.pdf")})
    assert fake.status_code == 422
    assert "PDF-, DOCX- (Word) eller ODT-fil" in fake.get_json()["error"]["fields"]["file"]
    bad_kind = post({"file": (io.BytesIO(pdf_bytes("x")), "a.pdf"), "kind": "hemligt"})
    assert bad_kind.status_code == 422 and "kind" in bad_kind.get_json()["error"]["fields"]
    as_json = editor.post(path, {"file": "x"})
    assert as_json.status_code == 415 and "multipart/form-data" in as_json.get_json()["error"]["message"]
    app.config["DOCUMENT_MAX_BYTES"] = 1024
    too_large = post({"file": (io.BytesIO(b"%PDF-" + b"0" * (2 * 1024 * 1024)), "a.pdf")})
    assert too_large.status_code == 413 and too_large.mimetype == "application/json"
    assert "högst" in too_large.get_json()["error"]["message"]
    over = post({"file": (io.BytesIO(pdf_bytes("y" * 2000)), "a.pdf")})
    assert over.status_code == 422 and "högst" in over.get_json()["error"]["fields"]["file"]
    viewer = api_client(app, "viewer")
    refused = viewer.post(
        path, data={"file": (io.BytesIO(pdf_bytes("z")), "a.pdf")}, content_type="multipart/form-data"
    )
    assert refused.status_code == 403
    assert StoredDocument.select().count() == 0


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_document_section_is_in_the_page_language(app, lang):
    with app.app_context():  # not `ctx`: each request must choose its own language
        db.connect(reuse_if_open=True)
        agreement = make_agreement()
        make_stored_document(agreement, pdf_bytes("x"), "avtal.pdf", kind="minutes")
        db.close()
    page = text(client_as(app, "viewer").get(f"/agreements/{agreement.id}?lang={lang}"))
    assert ("Beslutsprotokoll" in page) == (lang == "sv")
    assert ("Decision minutes" in page) == (lang == "en")
