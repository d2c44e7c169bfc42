"""Response headers (issue 15 item 6): no `Server` banner from the application side, the security
headers the app sets, and HSTS and `server_tokens off` in the nginx example.

gunicorn writes `Server: gunicorn` itself, before the application's headers, and has no setting to
leave it out; gunicorn.conf.py (read from the checkout, as the systemd unit and `make run` start it)
takes that line out. These tests run the real gunicorn on the app, once with that file and once with
an empty configuration, which shows the banner the file removes.
"""

import http.client
import os
import re
import socket
import subprocess
import sys
import time

import pytest

from registry.db import db, upgrade
from registry.security import CSP
from tests.conftest import make_app
from tests.processes import ROOT

NGINX_EXAMPLE = ROOT / "deploy" / "nginx.conf.example"
HSTS = 'add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;'
# The app's own security headers on every page (docs/security.md, "Headers").
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
PATHS = {"/login": 200, "/tillganglighet": 200, "/static/app.css": 200, "/no-such-page": 404, "/healthz": 503}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('headers') / 'registry.db'}"
    app = make_app(url)
    with app.app_context():
        db.connect(reuse_if_open=True)
        upgrade()
        db.close()
    return url


def start_gunicorn(database, *options):
    """gunicorn serving wsgi:app from the checkout (where gunicorn.conf.py is); returns (process, port)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "GUNICORN_"))}
    env.update(DATABASE_URL=database, SECRET_KEY="headers-test-key-" + "x" * 32, APP_ENV="development")
    env.pop("REGISTRY_TODAY", None)
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", *options, "wsgi:app"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, port
        except OSError:
            if proc.poll() is not None:
                message = proc.stderr.read()
                proc.stderr.close()
                pytest.fail(f"gunicorn exited: {message}")
            time.sleep(0.1)
    proc.kill()
    pytest.fail("gunicorn did not start within 30 s")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stderr.close()


def fetch(port, path, method="GET"):
    """(status, [(name, value), ...]) exactly as sent, repeated headers included."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        response.read()
        return response.status, response.getheaders()
    finally:
        conn.close()


def raw(port, request):
    """The head of gunicorn's answer to bytes sent as they are (a malformed request, HTTP/1.0)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n\r\n")[0].decode("latin-1")


def names(headers):
    return [name.lower() for name, _ in headers]


@pytest.fixture(scope="module")
def gunicorn(database):
    proc, port = start_gunicorn(database)
    yield port
    stop(proc)


def test_under_gunicorn_no_answer_names_its_server(gunicorn):
    for path, expected in PATHS.items():
        for method in ("GET", "HEAD"):
            status, headers = fetch(gunicorn, path, method)
            assert status == expected, (method, path)
            assert "server" not in names(headers), (method, path, headers)
    post_status, headers = fetch(gunicorn, "/login", "POST")  # no CSRF token: Flask-WTF's 400
    assert post_status == 400 and "server" not in names(headers)
    for request in (b"GET /login HTTP/1.0\r\n\r\n", b"NONSENSE\r\n\r\n"):  # HTTP/1.0; gunicorn's own 400
        head = raw(gunicorn, request)
        assert head.startswith(("HTTP/1.0 200", "HTTP/1.1 200", "HTTP/1.1 400")), head
        assert not re.search(r"(?im)^server:", head), head


def test_under_gunicorn_the_security_headers_are_sent(gunicorn):
    for path in ("/login", "/tillganglighet", "/no-such-page"):
        _, headers = fetch(gunicorn, path)
        sent = dict(headers)
        for name, value in SECURITY_HEADERS.items():
            assert sent.get(name) == value, (path, name)


def test_without_gunicorn_conf_py_gunicorn_names_itself(database, tmp_path):
    """The control: what gunicorn.conf.py removes (an empty configuration keeps gunicorn's banner)."""
    empty = tmp_path / "empty.conf.py"
    empty.write_text("")
    proc, port = start_gunicorn(database, "--config", str(empty))
    try:
        _, headers = fetch(port, "/login")
    finally:
        stop(proc)
    assert ("Server", "gunicorn") in headers


def test_the_app_itself_sets_no_server_header(app):
    """Flask and werkzeug add no Server header as a framework (werkzeug's development server does; it
    serves the browser tests only, never the register)."""
    anonymous = app.test_client()
    for path in ("/login", "/tillganglighet", "/no-such-page", "/static/app.css"):
        with anonymous.get(path) as response:
            assert "Server" not in response.headers, path


def _server_blocks(text):
    """The nginx example's server { } blocks, by their listen line."""
    blocks = {}
    for block in re.findall(r"(?ms)^server \{\n(.*?)^\}", text):
        listen = re.search(r"^\s*listen\s+([^;]+);", block, re.M).group(1)
        blocks[listen] = [line.strip() for line in block.splitlines() if not line.strip().startswith("#")]
    return blocks


def test_the_nginx_example_sends_hsts_and_no_version():
    blocks = _server_blocks(NGINX_EXAMPLE.read_text())
    https, http_ = blocks["443 ssl http2"], blocks["80"]
    assert HSTS in https
    assert "server_tokens off;" in https and "server_tokens off;" in http_
    # A location with an add_header of its own would drop the server's (nginx does not merge them).
    assert sum(line.startswith("add_header") for line in https) == 1
    assert "preload" not in " ".join(https)  # preload is the operator's choice (docs/security.md)
