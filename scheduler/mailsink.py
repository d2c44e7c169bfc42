"""A local SMTP server that keeps every message as a file, for development.

`make run` starts it when no MAIL_SERVER is configured, and the web app shows
the messages at /mail. Run it alone with
`python -m scheduler.mailsink --port 8025 --dir instance/mail`.
"""

import argparse
import itertools
import signal
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class FolderHandler:
    """Writes each message received to DIR/<time>-<n>.eml."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self._counter):05d}.eml"
        (self.folder / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def serve(folder, host="127.0.0.1", port=8025):
    """Start the sink in a background thread; return the controller (call .stop())."""
    controller = Controller(FolderHandler(folder), hostname=host, port=port)
    controller.start()
    return controller


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", default="instance/mail")
    args = parser.parse_args()
    try:
        controller = serve(args.dir, args.host, args.port)
    except OSError as exc:
        raise SystemExit(f"mail sink: cannot listen on {args.host}:{args.port}: {exc}") from None
    print(f"mail sink: smtp://{args.host}:{args.port} -> {args.dir}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
