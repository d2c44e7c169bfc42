"""Factories for tests: rows made the way the product makes them, logged-in clients, and lookups.

Agreements are saved through registry.domain.agreements.save_agreement and
groups, people and organisations through registry.domain.directory, so a row a
factory makes passes every rule a real one does and is audited like one. Every
factory takes the domain's own field names; foreign keys and link lists take
rows or ids. Names and e-mail addresses are unique unless given, so a test
makes as many rows as it needs without thinking of names.

The row factories run in an app context with an open connection (the `ctx`,
`seeded` and `small_register` fixtures give one); the client factories take
the app and need none.
"""

import datetime
import importlib
import itertools
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, has_app_context

from registry.db import db
from registry.domain import directory, tokens, users
from registry.domain import fields as F
from registry.domain.agreements import editable_values, save_agreement
from registry.models import Agreement, Group, Organisation, Person, User
from registry.rules import cycles
from registry.vocab import DEADLINE_COLUMNS, DEADLINE_STATUSES

_serial = itertools.count(1)


def _next():
    return next(_serial)


def _id(value):
    """The id of a row, or the value itself when it already is one (or None)."""
    return getattr(value, "id", value)


def _ids(values):
    return [_id(value) for value in values or ()]


@contextmanager
def _context(app):
    """Run in `app`'s context with an open connection: the current context when it is `app`'s, else a new one."""
    if has_app_context() and current_app._get_current_object() is app:
        db.connect(reuse_if_open=True)
        yield
        return
    with app.app_context():
        db.connect(reuse_if_open=True)
        yield


# --- the directory ----------------------------------------------------------


def make_organisation(name=None, kind="municipality", **fields):
    """An organisation saved through registry.domain.directory.save_organisation."""
    return directory.save_organisation({"name": name or f"Testkommun {_next()}", "kind": kind, **fields})


def make_person(name=None, email=None, organisation=None, groups=(), **fields):
    """A person saved through registry.domain.directory.save_person; `groups` are memberships."""
    n = _next()
    data = {
        "name": name or f"Testperson {n}",
        "email": email or f"person{n}@test.example.org",
        "organisation": _id(organisation),
        "groups": _ids(groups),
        **fields,
    }
    return directory.save_person(data)


def make_group(name=None, kind="working", parent=None, chair=None, meetings=(), **fields):
    """A group saved through registry.domain.directory.save_group, with meetings on the given dates."""
    data = {"name": name or f"Testgrupp {_next()}", "kind": kind, "parent": _id(parent), "chair": _id(chair)}
    group = directory.save_group({**data, **fields})
    for day in meetings:
        directory.add_meeting(group, day)
    return group


# --- agreements ---------------------------------------------------------------


def _default_group():
    return Group.select().order_by(Group.id).first() or make_group()


def _domain_values(values):
    """Rows to ids in foreign keys and link lists; unknown field names are refused."""
    unknown = set(values) - set(F.BY_NAME)
    if unknown:
        raise TypeError(f"no such agreement field: {', '.join(sorted(unknown))}")
    clean = dict(values)
    for name, value in values.items():
        kind = F.BY_NAME[name].kind
        if kind in F.FOREIGN_KEY_KINDS:
            clean[name] = _id(value)
        elif kind in F.LINK_KINDS:
            clean[name] = _ids(value)
    return clean


def make_agreement(**overrides):
    """An agreement saved through save_agreement: a unique title, an agreement in force, and the
    first group there is as responsible (one is made when there is none) unless the overrides,
    by domain field name, say otherwise."""
    data = {"title": f"Testöverenskommelse {_next()}", "kind": "overenskommelse", "status": "in_force"}
    data.update(overrides)
    if "responsible_group" not in data:
        data["responsible_group"] = _default_group()
    return save_agreement(_domain_values(data))


def update_agreement(agreement, **changes):
    """Save an agreement through save_agreement with some of its values changed (rows or ids for links)."""
    stored = Agreement.get_by_id(_id(agreement))
    return save_agreement({**editable_values(stored), **_domain_values(changes)}, stored)


def agreement_form(**values):
    """What the web form posts for an agreement with these values (domain field names; rows or ids):
    dates as YYYY-MM-DD, the review cycle as a unit and an interval, documents one "title | url" a line."""
    data = {"title": f"Testöverenskommelse {_next()}", "kind": "overenskommelse", "status": "in_force"}
    data.update(_domain_values(values))
    post = {}
    for field in F.FIELDS:
        value = data.get(field.name, field.empty)
        if field.kind == F.CYCLE:
            unit, interval = cycles.to_parts(value or "")
            post["review_unit"], post["review_interval"] = unit, str(interval)
        elif field.kind == F.DOCUMENTS:
            post[field.name] = "\n".join(f"{title} | {url}" for title, url in value)
        elif field.kind in F.LINK_KINDS:
            post[field.name] = list(value)
        elif value is None:
            post[field.name] = ""
        elif isinstance(value, datetime.date):
            post[field.name] = value.isoformat()
        elif field.kind in F.FOREIGN_KEY_KINDS:
            post[field.name] = value
        else:
            post[field.name] = str(value)
    return post


# --- users and logged-in clients ----------------------------------------------


def make_user(role="viewer", email=None, name=None, person=None, groups=()):
    """A new account. With `groups` it is saved through registry.domain.users.save_user, which gives it
    a Person in those groups (an editor's rights; `person`, if given, is that Person and lends its
    address); else it is a bare account (no audit entry), linked to `person` if given. The first account
    of a role is <role>@test.example.org, "Test <role>"; later ones are numbered."""
    if email is None:
        email = f"{role}@test.example.org"
        if User.select().where(User.email == email).exists():
            email = f"{role}.{_next()}@test.example.org"
    name = name or f"Test {role}"
    if groups:
        if person is not None:
            email = person.email
        return users.save_user({"email": email, "name": name, "role": role, "groups": _ids(groups)})
    return User.create(email=email, name=name, role=role, person=person)


def _log_in(client, user):
    """Log in as the account is now: with its current session key (a logout or a password change
    since `user` was loaded has drawn a new one, see registry/domain/users.py end_sessions)."""
    with _context(client.application):
        user.session_key = User.select(User.session_key).where(User.id == user.id).scalar()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def client_for(app, user):
    """A fresh test client, logged in as `user` (None: not logged in); the user is `client.user`."""
    client = app.test_client()
    if user is not None:
        _log_in(client, user)
    client.user = user
    return client


def login_as(app, client, role="admin", email=None, person=None):
    """Log a test client in as a new user with this role, without the login form; return the user."""
    with _context(app):
        user = make_user(role, email=email or f"{role}@test.example.org", person=person)
    _log_in(client, user)
    return user


def client_as(app, role, person=None, groups=(), email=None, name=None):
    """A fresh test client logged in as a new user of this role (see make_user); "anonymous" is not
    logged in. The user is `client.user`."""
    if role == "anonymous":
        return client_for(app, None)
    with _context(app):
        user = make_user(role, email=email, name=name, person=person, groups=groups)
    return client_for(app, user)


class Api:
    """A test client that sends a bearer token (or none) with every request."""

    def __init__(self, app, token=None, user=None, **headers):
        self.client = app.test_client()
        self.token, self.user = token, user
        self.headers = dict(headers)
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def open(self, url, method="GET", body=None, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if body is not None:
            kwargs["json"] = body
        return self.client.open(url, method=method, headers=headers, **kwargs)

    def get(self, url, **kwargs):
        return self.open(url, "GET", **kwargs)

    def post(self, url, body=None, **kwargs):
        return self.open(url, "POST", body, **kwargs)

    def patch(self, url, body=None, **kwargs):
        return self.open(url, "PATCH", body, **kwargs)


def api_client(app, role, person=None, groups=(), email=None, name=None, token_name=None):
    """An API client sending the bearer token of a new user of this role (see make_user); the user and
    the plain token are `.user` and `.token`. "anonymous" sends no token."""
    if role == "anonymous":
        return Api(app)
    with _context(app):
        user = make_user(role, email=email, name=name, person=person, groups=groups)
        _row, token = tokens.create_token(user, token_name or f"{role}s skript")
    return Api(app, token, user)


ROLES = ("anonymous", "viewer", "editor", "auditor", "admin")


def one_of_each_role(editor_groups):
    """{role: a new User} for every role, None for "anonymous"; the editor sits in `editor_groups`."""
    made = {"anonymous": None}
    for role in ROLES[1:]:
        made[role] = make_user(role, groups=editor_groups if role == "editor" else ())
    return made


# --- small register -------------------------------------------------------------


@dataclass
class SmallRegister:
    """Two organisations, two groups (the board meets once), two people and three agreements."""

    region: Organisation
    town: Organisation
    chair: Person
    owner: Person
    board: Group
    team: Group
    meeting: object
    expiring: Agreement  # expires 2026-12-31, 38 days after the tests' today; the board decides
    yearly: Agreement  # reviewed every year from 2026-04-01: next review 2027-04-01, outside 90 days
    open_ended: Agreement  # no end date, no review cycle

    @property
    def organisations(self):
        return [self.region, self.town]

    @property
    def groups(self):
        return [self.board, self.team]

    @property
    def people(self):
        return [self.chair, self.owner]

    @property
    def agreements(self):
        return [self.expiring, self.yearly, self.open_ended]

    def agreement_form(self, **values):
        """A valid post to /agreements/new on this register: the board responsible, the owner, both
        parties, valid 2026-2029; `values` by domain field name (see agreement_form)."""
        defaults = {
            "responsible_group": self.board,
            "owners": [self.owner],
            "parties": self.organisations,
            "valid_from": datetime.date(2026, 1, 1),
            "expires_on": datetime.date(2029, 12, 31),
        }
        return agreement_form(**{**defaults, **values})


def small_register():
    """Make a tiny register through the factories (the conftest fixture `small_register` calls this)."""
    region = make_organisation("Region Testlän", kind="region", short_name="RT")
    town = make_organisation("Testby kommun")
    chair = make_person("Cecilia Ordförande", "cecilia@test.example.org", organisation=region)
    board = make_group("Ledningsgruppen", kind="leadership", chair=chair, mailbox="ledning@test.example.org")
    team = make_group("Arbetsgruppen", kind="working", parent=board, short_name="AG")
    owner = make_person("Olle Ägare", "olle@test.example.org", organisation=town, groups=[team])
    # The chair sits on the board; the board meets before the expiring agreement ends.
    directory.save_person(
        {"name": chair.name, "email": chair.email, "organisation": region.id, "groups": [board.id]}, chair
    )
    meeting = directory.add_meeting(board, datetime.date(2026, 12, 10), "Beslutsmöte")
    expiring = make_agreement(
        title="Avtal om läkarinsatser i Testlän",
        short_name="Läkarinsatser",
        kind="avtal",
        case_number="TEST 2024/1",
        responsible_group=board,
        decision_body=board,
        contributing_groups=[team],
        owners=[owner],
        parties=[region, town],
        valid_from=datetime.date(2024, 1, 1),
        expires_on=datetime.date(2026, 12, 31),
    )
    yearly = make_agreement(
        title="Överenskommelse om samverkan kring barn",
        responsible_group=team,
        owners=[owner, chair],
        parties=[region, town],
        valid_from=datetime.date(2026, 4, 1),
        review_rule="FREQ=YEARLY;INTERVAL=1",
    )
    open_ended = make_agreement(
        title="Rutin för gemensam planering",
        kind="rutin",
        responsible_group=team,
        parties=[region],
        valid_from=datetime.date(2025, 1, 1),
    )
    return SmallRegister(region, town, chair, owner, board, team, meeting, expiring, yearly, open_ended)


# --- finding rows -------------------------------------------------------------


def group_id(name):
    return Group.get(Group.name == name).id


def org_id(name):
    return Organisation.get(Organisation.name == name).id


def person_id(email):
    return Person.get(Person.email == email).id


def agreement(text):
    """The agreement whose short name or title is `text`, else the first whose title contains it."""
    exact = Agreement.get_or_none((Agreement.short_name == text) | (Agreement.title == text))
    return exact or Agreement.select().where(Agreement.title.contains(text)).order_by(Agreement.id).get()


def deadlines(first=datetime.date.min, last=datetime.date.max):
    """Every deadline from `first` to `last` of the agreements in the database, read from their date
    columns (not through the product's queries): (agreement, kind, date) tuples, by date then id."""
    found = []
    for kind, column in DEADLINE_COLUMNS.items():
        for row in Agreement.select().where(Agreement.status.in_(DEADLINE_STATUSES[kind])):
            day = getattr(row, column)
            if day is not None and first <= day <= last:
                found.append((row, kind, day))
    return sorted(found, key=lambda found: (found[2], found[0].id))


def status_counts():
    """{status: number of agreements} in the database."""
    counts = {}
    for row in Agreement.select(Agreement.status):
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def agreement_of(group):
    """The first agreement a group (a row, an id or a name) is responsible for."""
    group = group_id(group) if isinstance(group, str) else _id(group)
    return Agreement.select().where(Agreement.responsible_group == group).order_by(Agreement.id).first()


def names(actor, user):
    """An audit entry's actor names the user: by e-mail address, with or without the name."""
    assert actor in (user.email, f"{user.name} <{user.email}>"), actor
    return True


# --- stored documents -----------------------------------------------------------


def pdf_bytes(*lines):
    """A small, valid one-page PDF whose text is `lines` (Helvetica, WinAnsi: å, ä, ö work), written by hand."""

    def literal(text):
        raw = text.encode("cp1252")
        return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"

    stream = b"BT /F1 12 Tf 72 720 Td 14 TL " + b" ".join(literal(line) + b" '" for line in lines) + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def docx_bytes(*paragraphs):
    """A Word document (DOCX) with these paragraphs, made with python-docx."""
    import io

    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_stored_document(agreement, content=None, filename="avtal.pdf", title="", kind="", user=None):
    """A stored document (or its next version) uploaded through registry.domain.stored_documents."""
    from registry.domain import stored_documents

    content = content if content is not None else pdf_bytes(f"Dokument {_next()}")
    return stored_documents.upload(agreement, content, filename, title, kind, user)


# The thirteen municipalities of Jönköpings län (the demo data's parties besides the region).
MUNICIPALITIES = (
    "Aneby kommun",
    "Eksjö kommun",
    "Gislaveds kommun",
    "Gnosjö kommun",
    "Habo kommun",
    "Jönköpings kommun",
    "Mullsjö kommun",
    "Nässjö kommun",
    "Sävsjö kommun",
    "Tranås kommun",
    "Vaggeryds kommun",
    "Vetlanda kommun",
    "Värnamo kommun",
)


@contextmanager
def reloaded_config(monkeypatch, **environment):
    """config.py read again with these environment variables set (a value None removes one): yields the
    module and its reload function (to read it again after changing more), and reads it as it was afterwards."""
    import config

    for name, value in environment.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    try:
        yield importlib.reload(config), lambda: importlib.reload(config)
    finally:
        monkeypatch.undo()
        importlib.reload(config)
