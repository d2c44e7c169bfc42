"""The public register (/public): the published agreements, without a login, rate-limited per client address.

Everything shown is read through registry/domain/public_register.py, which selects only what may be public.
/public/embed is the one page another site may show in a frame (PUBLIC_EMBED_ANCESTORS); every other page
keeps frame-ancestors 'none'. It has its own, higher rate limit (PUBLIC_EMBED_RATE_LIMIT: every visitor of the
region's website behind one address shares it) and may be kept by caches for five minutes. Absolute addresses
(the open data's, the embed's links) are built on APP_BASE_URL, never on the request's Host header.
docs/public.md describes the pages, the open data and the settings.
"""

import csv
import io
import ipaddress
import json
import re

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_limiter import Limiter
from limits import parse_many

from ..domain import exports, public_register
from ..security import client_address, content_security_policy

bp = Blueprint("public", __name__, url_prefix="/public")
EMBED_ENDPOINTS = {"public.embed"}
EMBED_MAX_AGE = 300  # seconds a browser or a shared cache may keep the embedded list
EMBED_ROWS = 100  # the embedded list shows at most this many agreements, with a link to the rest
# An origin another site's page may frame /public/embed from: https://www.example.se, *.example.se, http://host:8080.
_ORIGIN = re.compile(r"^(https?://)?(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def frame_ancestors(setting):
    """The frame-ancestors sources of PUBLIC_EMBED_ANCESTORS ('self' and the origins given); ValueError for a
    value that is not a list of origins."""
    origins = setting.split()
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise ValueError(
                f"PUBLIC_EMBED_ANCESTORS must list origins separated by spaces, such as https://www.region.se; "
                f"{origin!r} is not one"
            )
    return " ".join(["'self'", *origins])


def _check_settings(app):
    for name in ("PUBLIC_RATE_LIMIT", "PUBLIC_EMBED_RATE_LIMIT"):
        try:
            parse_many(app.config[name])
        except ValueError:
            raise RuntimeError(
                f"{name} must be a rate such as '60 per minute' or '10 per second; 60 per minute', "
                f"got {app.config[name]!r}"
            ) from None
    try:
        app.config["PUBLIC_FRAME_ANCESTORS"] = frame_ancestors(app.config.get("PUBLIC_EMBED_ANCESTORS", ""))
    except ValueError as exc:
        raise RuntimeError(str(exc)) from None


def rate_key():
    """Whose count a request adds to: the client's address (behind a proxy, the one ProxyFix gives:
    TRUSTED_PROXIES), an IPv6 client's /64 network, since one host may take any address of its network."""
    address = client_address()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip.packed, 64), strict=False))
    return address


def _is_embed():
    return request.endpoint in EMBED_ENDPOINTS


@bp.record_once
def _init(state):
    """Per application: check the settings, and count each client's requests to /public (rate_key): the
    embedded list against PUBLIC_EMBED_RATE_LIMIT, everything else together against PUBLIC_RATE_LIMIT."""
    app = state.app
    app.config.setdefault("PUBLIC_RATE_LIMIT", "60 per minute")
    app.config.setdefault("PUBLIC_EMBED_RATE_LIMIT", "600 per minute")
    app.config.setdefault("PUBLIC_RATE_LIMIT_STORAGE_URI", "memory://")
    _check_settings(app)
    limiter = Limiter(
        rate_key,
        app=app,
        storage_uri=app.config["PUBLIC_RATE_LIMIT_STORAGE_URI"],
        headers_enabled=True,
        key_prefix="registry-public",
        swallow_errors=True,  # a shared store that does not answer lets requests through (logged), never a 500
    )
    config = app.config
    limiter.shared_limit(lambda: config["PUBLIC_RATE_LIMIT"], scope="public", exempt_when=_is_embed)(bp)
    limiter.shared_limit(
        lambda: config["PUBLIC_EMBED_RATE_LIMIT"], scope="public-embed", exempt_when=lambda: not _is_embed()
    )(bp)


@bp.errorhandler(429)
def _too_many(_error):
    message = _("För många förfrågningar från din adress. Vänta en minut och försök igen.")
    if request.endpoint in ("public.agreements_json", "public.agreements_csv"):
        response = Response(json.dumps({"error": message}, ensure_ascii=False), 429, mimetype="application/json")
    else:
        response = Response(render_template("public/refused.html", message=message, public_page=True), 429)
    return response  # Flask-Limiter adds Retry-After and the X-RateLimit-* headers


@bp.after_request
def _embed_headers(response):
    """The embeddable list may be framed by the sites in PUBLIC_EMBED_ANCESTORS; nothing else may. Its answer
    may be kept for EMBED_MAX_AGE seconds, by shared caches too unless it sets a cookie (a ?lang= choice)."""
    if not _is_embed():
        return response
    response.headers["Content-Security-Policy"] = content_security_policy(current_app.config["PUBLIC_FRAME_ANCESTORS"])
    if response.status_code == 200:
        sets_cookie = current_app.session_interface.should_set_cookie(current_app, session)
        response.headers["Cache-Control"] = f"{'private' if sets_cookie else 'public'}, max-age={EMBED_MAX_AGE}"
        response.vary.add("Accept-Language")  # the list's language; Flask adds Cookie (a ?lang= choice kept)
    return response


def absolute_url(endpoint, **values):
    """An address for other sites and files to keep: APP_BASE_URL and the path, never the request's Host."""
    return current_app.config["APP_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def _page(template, **context):
    return render_template(template, public_page=True, licence=_licence(), **context)


def _licence():
    return {"name": current_app.config["PUBLIC_LICENCE"], "url": current_app.config.get("PUBLIC_LICENCE_URL", "")}


@bp.get("")
def index():
    """The published agreements: search and filters."""
    filters = public_register.Filters.from_args(request.args)
    return _page(
        "public/index.html",
        agreements=public_register.search(filters),
        filters=filters,
        choices=public_register.choices(),
    )


@bp.get("/print")
def print_list():
    """The published agreements that match, every fact in one table: for paper."""
    filters = public_register.Filters.from_args(request.args)
    return _page("public/print.html", agreements=public_register.search(filters), filters=filters)


@bp.get("/agreements/<int:agreement_id>")
def show(agreement_id):
    agreement = public_register.find(agreement_id)
    if agreement is None:
        abort(404)
    return _page("public/show.html", agreement=agreement)


@bp.get("/agreements/<int:agreement_id>/documents/<int:document_id>/versions/<int:number>")
def download(agreement_id, document_id, number):
    """A published version of a published agreement's document (not audited: no one is logged in)."""
    version = public_register.published_version(agreement_id, document_id, number)
    if version is None:
        abort(404)
    return send_file(
        io.BytesIO(bytes(version.content)),
        mimetype=version.content_type,
        as_attachment=True,
        download_name=version.filename,
        etag=False,
        conditional=False,
    )


def _open_data():
    def page_url(pk):
        return absolute_url("public.show", agreement_id=pk)

    def document_url(pk, document_id, number):
        return absolute_url("public.download", agreement_id=pk, document_id=document_id, number=number)

    return [public_register.open_record(a, page_url, document_url) for a in public_register.search()]


@bp.get("/agreements.json")
def agreements_json():
    """Every published agreement as JSON, with the licence."""
    body = {
        "licence": _licence(),
        "source": absolute_url("public.index"),
        "documentation": "docs/public.md",
        "fields": list(public_register.OPEN_FIELDS),
        "agreements": _open_data(),
    }
    return Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype="application/json")


@bp.get("/agreements.csv")
def agreements_csv():
    """Every published agreement as CSV (UTF-8, comma-separated), a licence column in every row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*public_register.OPEN_FIELDS, "licence"])
    licence = exports.quoted(current_app.config["PUBLIC_LICENCE"])
    for record in _open_data():
        writer.writerow([*public_register.csv_row(record), licence])
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=avtal.csv"
    if current_app.config.get("PUBLIC_LICENCE_URL"):
        response.headers["Link"] = f'<{current_app.config["PUBLIC_LICENCE_URL"]}>; rel="license"'
    return response


@bp.get("/embed")
def embed():
    """A small list of the published agreements (filtered as /public) for another site's page, in a frame."""
    filters = public_register.Filters.from_args(request.args)
    agreements = public_register.search(filters)
    return render_template(
        "public/embed.html",
        agreements=agreements[:EMBED_ROWS],
        total=len(agreements),
        filters=filters,
        absolute_url=absolute_url,
    )
