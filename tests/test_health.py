"""/healthz: public JSON about the database and the scheduler, 200 when healthy, 503 when not."""

import datetime

from registry.db import db
from registry.models import SchedulerRun, utcnow
from scheduler import locks
from tests.conftest import make_app


def _healthy_scheduler(now=None, finished_ago=datetime.timedelta(minutes=5), error=""):
    now = now or utcnow()
    locks.heartbeat(locks.SCHEDULER_LOCK, now + datetime.timedelta(hours=10))
    SchedulerRun.create(
        run_for=now.date(), trigger="daily", started_at=now - finished_ago, finished_at=now - finished_ago, error=error
    )


def test_healthy_when_database_answers_and_scheduler_ran(app, anonymous):
    with app.app_context():
        db.connect(reuse_if_open=True)
        _healthy_scheduler()
    response = anonymous.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["scheduler"]["ok"] is True
    assert body["scheduler"]["last_successful_run_at"].endswith("Z")
    assert response.headers["Cache-Control"] == "no-store"


def test_no_scheduler_is_unhealthy_and_says_why(anonymous):
    response = anonymous.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is True
    assert "no heartbeat: the scheduler is not running" in body["scheduler"]["problems"]
    assert "no successful reminder pass yet" in body["scheduler"]["problems"]


def test_stale_heartbeat_or_old_pass_is_unhealthy(app, anonymous):
    with app.app_context():
        db.connect(reuse_if_open=True)
        _healthy_scheduler(finished_ago=datetime.timedelta(hours=26))
    body = anonymous.get("/healthz").get_json()
    assert body["scheduler"]["problems"] == ["no successful reminder pass in the last 25 hours"]

    with app.app_context():
        db.connect(reuse_if_open=True)
        _healthy_scheduler()
        from registry.models import SchedulerLease

        SchedulerLease.update(heartbeat_at=utcnow() - datetime.timedelta(minutes=10)).execute()
    response = anonymous.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["scheduler"]["problems"] == ["no heartbeat: the scheduler is not running"]


def test_a_failed_latest_pass_is_reported(app, anonymous):
    with app.app_context():
        db.connect(reuse_if_open=True)
        _healthy_scheduler()
        SchedulerRun.create(run_for=utcnow().date(), trigger="retry", finished_at=utcnow(), error="SMTPError: x")
    body = anonymous.get("/healthz").get_json()
    assert body["scheduler"]["last_run_failed"] is True
    assert body["scheduler"]["ok"] is True  # an earlier pass succeeded within the day


def test_database_only_check_ignores_the_scheduler(anonymous):
    response = anonymous.get("/healthz?only=database")
    assert response.status_code == 200
    assert set(response.get_json()) == {"status", "database"}


def test_unreachable_database_gives_503_json_without_secrets(tmp_path):
    url = "postgresql://postgres:hemligt-losen@127.0.0.1:1/test?connect_timeout=2"
    client = make_app(url).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == {"ok": False, "error": "unreachable"}
    assert body["scheduler"]["ok"] is False
    text = response.get_data(as_text=True)
    assert "hemligt" not in text and "127.0.0.1" not in text and "postgres" not in text

    assert client.get("/healthz?only=database").status_code == 503


def test_unreachable_database_gives_a_503_page_elsewhere():
    client = make_app("postgresql://postgres@127.0.0.1:1/test?connect_timeout=2").test_client()
    for path in ("/", "/agreements", "/login"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "Databasen" in response.get_data(as_text=True)
        assert "Traceback" not in response.get_data(as_text=True)


def test_proxy_headers_are_ignored_unless_proxies_are_trusted(database_url):
    from registry.security import client_address

    seen = {}
    for proxies in (0, 1):
        app = make_app(database_url, TRUSTED_PROXIES=proxies)

        @app.get("/_address")
        def _address():
            return client_address()

        from registry.permissions import RULES

        RULES.setdefault("_address", {"public": ("GET",)})
        try:
            response = app.test_client().get(
                "/_address", headers={"X-Forwarded-For": "203.0.113.7"}, environ_base={"REMOTE_ADDR": "127.0.0.1"}
            )
        finally:
            RULES.pop("_address", None)
        seen[proxies] = response.get_data(as_text=True)
    assert seen == {0: "127.0.0.1", 1: "203.0.113.7"}
