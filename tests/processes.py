"""Helpers for tests that run the reminder pass and the scheduler as real processes.

`Proc` starts `python -m flask --app wsgi ...` with its output in a file that
can be polled; `env_for` builds its environment (database, SMTP server);
`demo_db` is a fixture with the demo data loaded; `add_due_agreements` adds a
register with exactly 1,000 reminders due (as bench/reminder_pass.py does);
`FaultSMTPServer` is the loopback SMTP server of tests/smtp.py that can also
refuse at MAIL or RCPT, knows when no client is connected any more, and counts
what arrived by reminder (recipient, agreement, deadline).
"""

import contextlib
import datetime
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from registry import seed
from registry.db import db, upgrade
from registry.models import Agreement, AgreementOwner, Group, Person, Reminder, SchedulerRun, utcnow
from tests.conftest import make_app
from tests.smtp import Handler, SMTPServer

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = "https://registret.example.org"


# --- the database ---------------------------------------------------------------


@pytest.fixture
def demo_db(database_url):
    """The demo data in a fresh database; no connection left open in this process."""
    app = make_app(database_url)
    with connected(app):
        upgrade()
        seed.load()
    return app


@pytest.fixture
def empty_db(database_url):
    """A fresh, fully migrated database with nothing in it; no connection left open."""
    app = make_app(database_url)
    with connected(app):
        upgrade()
    return app


def add_due_agreements(app, day, agreements=500, owners=250, mailboxes=50, tag="a"):
    """Agreements whose 30-day expiry reminder is due on `day`: one owner each plus the group's mailbox.

    500 agreements make 1,000 reminders, sent as 300 digests: each of 250
    owners gets one with 2 items, each of 50 group mailboxes one with 10.
    Call again with another `tag` to add more. Returns the set of
    (recipient, agreement id) that must arrive exactly once.
    """
    expires = day + datetime.timedelta(days=20)  # before:30 is due whatever weekday `day` is; before:7 is not
    now = utcnow()
    group_name, email, title = f"Grupp {tag}", f"agare.{tag}", f"Överenskommelse {tag} om prov"
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            with db.atomic():
                Group.insert_many(
                    [
                        {"name": f"{group_name}{g:03d}", "mailbox": f"grupp.{tag}{g:03d}@example.org"}
                        for g in range(mailboxes)
                    ]
                ).execute()
                Person.insert_many(
                    [{"name": f"Ägare {tag}{p:03d}", "email": f"{email}{p:03d}@example.org"} for p in range(owners)]
                ).execute()
                groups = [
                    g.id for g in Group.select(Group.id).where(Group.name.startswith(group_name)).order_by(Group.id)
                ]
                people = [
                    p.id for p in Person.select(Person.id).where(Person.email.startswith(email)).order_by(Person.id)
                ]
                Agreement.insert_many(
                    [
                        {
                            "title": f"{title} {n:03d}",
                            "kind": "overenskommelse",
                            "responsible_group": groups[n % mailboxes],
                            "valid_from": day - datetime.timedelta(days=300),
                            "expires_on": expires,
                            "status": "in_force",
                            "created_at": now,
                            "updated_at": now,
                        }
                        for n in range(agreements)
                    ]
                ).execute()
                mine = Agreement.title.startswith(title)
                ids = [a.id for a in Agreement.select(Agreement.id).where(mine).order_by(Agreement.id)]
                AgreementOwner.insert_many(
                    [{"agreement": a, "person": people[n % owners]} for n, a in enumerate(ids)]
                ).execute()
            expected = set()
            query = Agreement.select(Agreement, Group).join(Group, on=Agreement.responsible_group == Group.id)
            for agreement in query.where(mine):
                expected.add((agreement.responsible_group.mailbox, agreement.id))
            owned = AgreementOwner.select(AgreementOwner.agreement, Person.email).join(Person)
            expected.update((e, a) for a, e in owned.where(AgreementOwner.agreement.in_(ids)).tuples())
        finally:
            db.close()
    return expected


@contextlib.contextmanager
def connected(app):
    """The app's database, connected for the block and closed after it."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            yield
        finally:
            db.close()


def delivery_log(app):
    """(rows marked sent, the set of other states, every SchedulerRun) in the database now."""
    with connected(app):
        sent = list(Reminder.select().where(Reminder.state == "sent"))
        others = {r.state for r in Reminder.select().where(Reminder.state != "sent")}
        runs = list(SchedulerRun.select().order_by(SchedulerRun.id))
    return sent, others, runs


def states(app):
    """Counter {state: number of delivery-log rows}."""
    with connected(app):
        return Counter(state for (state,) in Reminder.select(Reminder.state).tuples())


def recorded_message_ids(app):
    """{Message-ID: recipient} of every row the database has marked sent."""
    with connected(app):
        return dict(Reminder.select(Reminder.message_id, Reminder.recipient).where(Reminder.state == "sent").tuples())


def forget_deliveries(app):
    """Empty the delivery log and the run history (after a calibration pass)."""
    with connected(app):
        Reminder.delete().execute()
        SchedulerRun.delete().execute()


# --- processes ---------------------------------------------------------------------


def env_for(database_url, smtp, **extra):
    """The environment of a `flask --app wsgi` process: this database, this SMTP server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "MAIL_", "REMINDER_"))}
    env.pop("REGISTRY_TODAY", None)
    env.update(
        DATABASE_URL=database_url,
        MAIL_SERVER=smtp.host,
        MAIL_PORT=str(smtp.port),
        MAIL_DEFAULT_SENDER="Överenskommelseregistret <registret@example.org>",
        MAIL_TIMEOUT="10",
        APP_BASE_URL=BASE_URL,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Proc:
    """A `flask --app wsgi ...` process whose output goes to a file we can poll."""

    def __init__(self, args, env, log_path):
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.started_at = time.monotonic()
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self):
        return self.popen.pid

    @property
    def running(self):
        return self.popen.poll() is None

    def output(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text, timeout):
        """True once `text` is in the output, False after `timeout` seconds or when the process ended without it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return True
            if self.popen.poll() is not None:
                return text in self.output()
            time.sleep(0.1)
        return False

    def wait(self, timeout):
        return self.popen.wait(timeout=timeout)

    def kill(self):
        """kill -9 (if still running) and reap it."""
        if self.popen.poll() is None:
            self.popen.kill()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - a kill -9 that does not kill
                pass
        self._log.close()


def wait_until(condition, timeout, poll=0.01):
    """Poll `condition()` until it is true (return True) or `timeout` seconds passed (return False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll)
    return True


# --- the SMTP server ------------------------------------------------------------------

_LINK = re.compile(r"/agreements/(\d+)\s*$", re.MULTILINE)


def reminders_in(message):
    """The (recipient, agreement id) pairs a digest carries, from its links (one per item)."""
    return [(message.recipient, int(n)) for n in _LINK.findall(message.text)]


class FaultHandler(Handler):
    """tests.smtp.Handler that can also refuse MAIL FROM or RCPT TO, and counts open connections.

    `refuse_at` is "MAIL", "RCPT" or "DATA" (with the reply in `refuse`);
    `refuse_recipients` refuses RCPT TO for those addresses only.
    """

    def __init__(self):
        super().__init__()
        self.refuse_at = "DATA"
        self.refuse_recipients = set()
        self.connections = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse and self.refuse_at == "MAIL":
            with self._lock:
                self.refused += 1
            return self.refuse
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if (self.refuse and self.refuse_at == "RCPT") or address.lower() in self.refuse_recipients:
            with self._lock:
                self.refused += 1
            return self.refuse or "450 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"


class _CountingSMTP(SMTP):
    def connection_made(self, transport):
        with self.event_handler._lock:
            self.event_handler.connections += 1
        super().connection_made(transport)

    def connection_lost(self, error):
        try:
            super().connection_lost(error)
        finally:
            with self.event_handler._lock:
                self.event_handler.connections -= 1


class _CountingController(Controller):
    def factory(self):
        return _CountingSMTP(self.handler, **self.SMTP_kwargs)


class FaultSMTPServer(SMTPServer):
    """tests.smtp.SMTPServer with FaultHandler; see there for hold/delay/stop/start."""

    def __init__(self, port=None):
        super().__init__(port)
        self.handler = FaultHandler()

    def start(self):
        if self._controller is None:
            self._controller = _CountingController(self.handler, hostname=self.host, port=self.port)
            self._controller.start()
        return self

    def refuse_with(self, reply, at="DATA"):
        """Refuse every message at MAIL, RCPT or DATA with this reply; `refuse_with(None)` accepts again."""
        self.handler.refuse_at = at
        self.handler.refuse = reply

    def wait_idle(self, timeout=10.0):
        """Wait until no client is connected (a killed sender's connection is closed and its data handled)."""
        return wait_until(lambda: self.handler.connections <= 0, timeout)

    def reminder_counts(self, messages=None):
        """Counter {(recipient, agreement id): times received}."""
        return Counter(pair for m in (self.messages if messages is None else messages) for pair in reminders_in(m))

    def message_id_counts(self, messages=None):
        return Counter(m.message_id for m in (self.messages if messages is None else messages))


@pytest.fixture
def fault_smtp():
    """A running FaultSMTPServer; stopped after the test."""
    server = FaultSMTPServer().start()
    try:
        yield server
    finally:
        server.stop()
