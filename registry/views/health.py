"""/healthz: public, JSON, 200 when the database and the scheduler are healthy, else 503."""

from flask import Blueprint, jsonify, request

from .. import health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """`?only=database` checks the database alone: for a load balancer deciding about this web node."""
    healthy, body = health.report(only_database=request.args.get("only") == "database")
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
