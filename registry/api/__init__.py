"""The JSON API under /api/v1/: agreements, reviews, deadlines, groups and parties.

Requests authenticate with `Authorization: Bearer <token>` (tokens are made at
/account/tokens or with `flask --app wsgi create-token`); the session cookie is
never accepted here, so the API needs no CSRF token. Permissions are the web's
(registry/permissions.py). The OpenAPI document at /api/v1/openapi.json is built
from the same table of operations that registers the routes (registry/api/views.py).

This module stays free of imports: security, permissions and errors ask it
whether a path belongs to the API.
"""

PREFIX = "/api/v1"


def is_api_path(path):
    """True for every address under /api/, known or not (their errors are JSON)."""
    return path == "/api" or path.startswith("/api/")
