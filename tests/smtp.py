"""A real SMTP server on loopback for the reminder tests (aiosmtpd).

`SMTPServer` keeps every message it accepts, parsed: envelope recipients,
subject, Message-ID, and the text and HTML parts. It can refuse messages with
a temporary error (`server.refuse = "451 4.3.0 try later"`), slow down each
message (`server.delay = 0.2`), hold every message until released
(`server.hold()`, `server.wait_held(n)`, `server.release()`: the sender is
stuck in the middle of a send), and be stopped and started again on the same
port (`server.stop()` / `server.start()`: the server is down in between).

Fixtures: `smtp_server` (a running server, no app) and `smtp` (the same, with
the test's app pointed at it). Import them into a test module with
`from tests.smtp import smtp  # noqa: F401`.
"""

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port():
    """A TCP port on loopback nobody listens on right now (Controller(port=0) cannot tell us its port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    """One message as the server got it."""

    mail_from: str
    recipients: list
    subject: str
    message_id: str
    text: str
    html: str
    headers: dict = field(default_factory=dict)

    @property
    def recipient(self):
        assert len(self.recipients) == 1, self.recipients
        return self.recipients[0]


def parse(mail_from, rcpt_tos, data):
    msg = email.message_from_bytes(data, policy=email.policy.default)
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    return Received(
        mail_from=mail_from,
        recipients=[r.lower() for r in rcpt_tos],
        subject=str(msg["Subject"] or ""),
        message_id=str(msg["Message-ID"] or "").strip(),
        text=text.get_content().replace("\r\n", "\n") if text is not None else "",
        html=html.get_content().replace("\r\n", "\n") if html is not None else "",
        headers={k: str(v) for k, v in msg.items()},
    )


class Handler:
    """Stores what it accepts; `refuse` (an SMTP reply such as "451 ...") refuses instead."""

    def __init__(self):
        self.messages = []
        self.refused = 0
        self.refuse = None
        self.delay = 0.0
        self.gate = None  # a threading.Event while messages are held
        self.held = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        gate = self.gate
        if gate is not None:
            with self._lock:
                self.held += 1
            try:
                deadline = time.monotonic() + 30
                while not gate.is_set() and time.monotonic() < deadline:
                    await asyncio.sleep(0.01)
            finally:
                with self._lock:
                    self.held -= 1
        if self.refuse:
            with self._lock:
                self.refused += 1
            return self.refuse
        received = parse(envelope.mail_from, envelope.rcpt_tos, envelope.original_content or envelope.content)
        with self._lock:
            self.messages.append(received)
        return "250 OK message accepted"


class SMTPServer:
    def __init__(self, port=None):
        self.host = HOST
        self.port = port or free_port()
        self.handler = Handler()
        self._controller = None

    # -- control ----------------------------------------------------------

    def start(self):
        if self._controller is None:
            self._controller = Controller(self.handler, hostname=self.host, port=self.port)
            self._controller.start()
        return self

    def stop(self):
        """Take the server down: connections are refused until start()."""
        self.release()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self):
        return self._controller is not None

    @property
    def refuse(self):
        return self.handler.refuse

    @refuse.setter
    def refuse(self, reply):
        self.handler.refuse = reply

    @property
    def delay(self):
        return self.handler.delay

    @delay.setter
    def delay(self, seconds):
        self.handler.delay = seconds

    def hold(self):
        """Keep every message waiting before the server answers it, until release()."""
        self.handler.gate = threading.Event()

    def release(self):
        gate, self.handler.gate = self.handler.gate, None
        if gate is not None:
            gate.set()

    def wait_held(self, count, timeout=10.0):
        """Wait until `count` messages are held; True if they are, False on timeout."""
        deadline = time.monotonic() + timeout
        while self.handler.held < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    # -- what arrived -------------------------------------------------------

    @property
    def messages(self):
        with self.handler._lock:
            return list(self.handler.messages)

    @property
    def refused(self):
        return self.handler.refused

    def clear(self):
        with self.handler._lock:
            self.handler.messages.clear()
            self.handler.refused = 0

    def to(self, recipient):
        """Messages delivered to one address."""
        return [m for m in self.messages if recipient.lower() in m.recipients]

    def per_recipient(self):
        """Counter {recipient: number of messages}."""
        return Counter(r for m in self.messages for r in m.recipients)

    def wait_for(self, count, timeout=10.0):
        """Block until at least `count` messages arrived; return them."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} messages within {timeout}s, got {len(self.messages)}")
            time.sleep(0.02)
        return self.messages


def point_app_at(app, server):
    """Flask-Mail read MAIL_* in init_app; change its state as well as the config."""
    app.config["MAIL_SERVER"] = server.host
    app.config["MAIL_PORT"] = server.port
    state = app.extensions["mail"]
    state.server = server.host
    state.port = server.port
    state.suppress = False


@pytest.fixture
def smtp_server():
    """A running SMTP server on loopback; stopped after the test."""
    server = SMTPServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp(app, smtp_server):
    """The SMTP server, with the test's app sending to it."""
    point_app_at(app, smtp_server)
    return smtp_server
