"""Sending rate of the reminder mailer against raw smtplib, to the same loopback server.

    python bench/smtp.py --messages 1000 [--items 10] [--rounds 3]

Builds `--messages` reminder digests (plain text and HTML, `--items` items
each, rendered once beforehand), then sends them to an aiosmtpd server on
127.0.0.1 that accepts and discards every message, two ways, in alternating
rounds:

- mailer: what the reminder pass does per digest: `scheduler.mailer.build()`
  a Flask-Mail Message and `send()` it over ONE connection from
  `scheduler.mailer.connect()` (Flask-Mail's connection, with MAIL_TIMEOUT);
- raw smtplib: `smtplib.SMTP.sendmail()` over one connection of the same
  messages: the same Flask-Mail Message objects, serialised by Python's email
  package as they are sent (`as_bytes()`), the way any sender must;
- raw smtplib, bytes ready: the same, with every message serialised to bytes
  before the timing starts (the floor: socket and SMTP dialogue only).

Prints messages per second of each (best round) and the ratios.
Target: the mailer reaches at least 80 % of raw smtplib sending the same messages.
"""

import argparse
import smtplib
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller  # noqa: E402

from registry import create_app  # noqa: E402
from scheduler import mailer  # noqa: E402

TARGET = 0.8


class Discard:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bodies(n, items):
    """A digest's text and HTML of `items` items, like email/reminders.txt and .html."""
    lines = [
        f"- Överenskommelse om hemsjukvård nr {n}-{i}: upphör 2026-12-{1 + i % 28:02d} (om {30 + i} dagar). "
        f"Beslutas av ReKo 2026-11-{1 + i % 28:02d}, underlag klart 2026-11-{1 + i % 14:02d}. "
        f"https://registret.example.org/agreements/{n * 100 + i}"
        for i in range(items)
    ]
    text = "Hej!\n\nDessa tidsfrister i avtalsregistret närmar sig:\n\n" + "\n".join(lines) + "\n"
    html = "<html><body><p>Hej!</p>\n<ul>\n" + "".join(f"<li>{line}</li>\n" for line in lines) + "</ul></body></html>\n"
    return text, html


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--items", type=int, default=10, help="items per digest")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    port = free_port()
    server = Controller(Discard(), hostname="127.0.0.1", port=port)
    server.start()
    app = create_app(
        {
            "DATABASE_URL": "sqlite:///:memory:",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_SUPPRESS_SEND": False,
            "APP_BASE_URL": "https://registret.example.org",
        }
    )
    try:
        with app.app_context():
            mail = [
                (
                    f"mottagare{n}@example.org",
                    f"Påminnelse: {args.items} tidsfrister i avtalsregistret",
                    *bodies(n, args.items),
                )
                for n in range(args.messages)
            ]
            sender = app.config["MAIL_DEFAULT_SENDER"]
            prepared, raw_messages = [], []
            for recipient, subject, text, html in mail:
                message = mailer.build(recipient, subject, text, html, mailer.message_id([recipient]))
                message.sender = message.sender or sender
                prepared.append((recipient, message))
                raw_messages.append((recipient, message.as_bytes()))

            def with_mailer():
                with mailer.connect() as connection:
                    for recipient, subject, text, html in mail:
                        connection.send(mailer.build(recipient, subject, text, html, mailer.message_id([recipient])))

            def with_smtplib():
                host = smtplib.SMTP("127.0.0.1", port, timeout=30)
                try:
                    for recipient, message in prepared:
                        host.sendmail(sender, [recipient], message.as_bytes())
                finally:
                    host.quit()

            def with_smtplib_bytes():
                host = smtplib.SMTP("127.0.0.1", port, timeout=30)
                try:
                    for recipient, data in raw_messages:
                        host.sendmail(sender, [recipient], data)
                finally:
                    host.quit()

            senders = (
                ("raw smtplib", with_smtplib),
                ("raw smtplib, bytes ready", with_smtplib_bytes),
                ("mailer", with_mailer),
            )
            best = {name: float("inf") for name, _send in senders}
            for _ in range(args.rounds):
                for name, send in senders:
                    started = time.perf_counter()
                    send()
                    best[name] = min(best[name], time.perf_counter() - started)
    finally:
        server.stop()
    rates = {name: args.messages / seconds for name, seconds in best.items()}
    ratio = rates["mailer"] / rates["raw smtplib"]
    floor = rates["mailer"] / rates["raw smtplib, bytes ready"]
    print(f"{args.messages} messages of {args.items} items, best of {args.rounds} rounds, loopback aiosmtpd")
    print("| sender | messages/s |")
    print("|---|---|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:,.0f} |")
    print(f"\nratio mailer / raw smtplib: {ratio:.2f} (target >= {TARGET}) {'met' if ratio >= TARGET else 'MISSED'}")
    print(f"ratio mailer / raw smtplib with bytes ready: {floor:.2f} (the rest is MIME serialisation)")


if __name__ == "__main__":
    main()
