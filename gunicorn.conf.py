"""gunicorn's settings for the register, read from the working directory (gunicorn's default
./gunicorn.conf.py): the systemd unit and `make run` start gunicorn in the checkout.

No `Server` banner. gunicorn writes `Server: gunicorn` on every HTTP/1 response itself, before the
application's headers, and has no setting to leave it out (27.0.1), so an after_request hook cannot
remove it: here the response's default headers lose that line. The patch is made in the master
process as this file is read, before workers are forked, so every worker has it. gunicorn's own
error answers (a malformed request) carry no Server line to begin with. HTTP/2 is not enabled (no
`h2` package, `http_protocols` is h1). tests/test_headers.py runs gunicorn with this file and fails
if a gunicorn upgrade brings the banner back.
"""

from gunicorn.http import wsgi


def _without_server_banner(default_headers):
    def headers(response):
        return [line for line in default_headers(response) if not line.lower().startswith("server:")]

    headers.__wrapped__ = default_headers
    return headers


if not hasattr(wsgi.Response.default_headers, "__wrapped__"):
    wsgi.Response.default_headers = _without_server_banner(wsgi.Response.default_headers)
