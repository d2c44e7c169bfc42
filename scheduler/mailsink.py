"""A local SMTP server that keeps every message as a file, for development.

`make run` starts it when no MAIL_SERVER is configured, and the web app shows
the messages at /mail. Run it alone with
`python -m scheduler.mailsink --port 8025 --dir instance/mail`; `--port 0`
takes any free port, and `--port-file FILE` writes the port the sink actually
holds to FILE once it listens, so that whoever started it sends mail to this
sink and never to another process that answers on a guessed port.
"""

import argparse
import itertools
import os
import signal
import socket
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


class _BoundController(Controller):
    """aiosmtpd's Controller serving a socket bound beforehand, so `port` is the port it holds."""

    def __init__(self, handler, sock):
        self._sock = sock
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)


def serve(folder, host="127.0.0.1", port=8025):
    """Start the sink in a background thread; return the controller (call .stop()).

    `port=0` takes a free port; `controller.port` is the port the sink holds.
    A port another process listens on raises OSError at once: the socket is
    bound here, with SO_REUSEADDR only (never SO_REUSEPORT), so it is never shared.
    """
    family, _type, _proto, _name, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.create_server(address[:2], family=family)
    try:
        controller = _BoundController(FolderHandler(folder), sock)
        controller.start()
    except BaseException:
        sock.close()
        raise
    return controller


def _write_port(path, port):
    """Write `port` to `path` atomically: a reader sees nothing or the whole number."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(f"{port}\n")
    partial.replace(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025, help="0 takes any free port")
    parser.add_argument("--dir", default="instance/mail")
    parser.add_argument("--port-file", help="write the port actually held to this file once listening")
    args = parser.parse_args()
    try:
        controller = serve(args.dir, args.host, args.port)
    except OSError as exc:
        raise SystemExit(f"mail sink: cannot listen on {args.host}:{args.port}: {exc}") from None
    if args.port_file:
        _write_port(args.port_file, controller.port)
    print(f"mail sink: smtp://{args.host}:{controller.port} -> {args.dir}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
