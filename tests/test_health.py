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


def test_a_failed_latest_pass_is_unhealthy_until_a_pass_succeeds(app, anonymous):
    with app.app_context():
        db.connect(reuse_if_open=True)
        _healthy_scheduler(finished_ago=datetime.timedelta(minutes=20))
        SchedulerRun.create(run_for=utcnow().date(), trigger="retry", finished_at=utcnow(), error="SMTPError: x")
    response = anonymous.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["scheduler"]["last_run_failed"] is True
    assert body["scheduler"]["ok"] is False
    assert body["scheduler"]["problems"] == ["the last reminder pass failed"]
    assert "SMTPError" not in response.get_data(as_text=True)  # no error text: it may name hosts

    with app.app_context():
        db.connect(reuse_if_open=True)
        _healthy_scheduler(finished_ago=datetime.timedelta(0))
    response = anonymous.get("/healthz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["scheduler"]["last_run_failed"] is False


def _lakar_row(**fields):
    from registry.models import Agreement, Group, Reminder

    group = Group.create(name="ReKo")
    agreement = Agreement.create(title="Läkaruppdrag", kind="avtal", status="in_force", responsible_group=group)
    values = {
        "agreement": agreement,
        "kind": "expiry",
        "deadline_on": datetime.date(2026, 12, 31),
        "stage": "before:180",
        "recipient": "reko@example.org",
        "send_on": datetime.date(2026, 7, 3),
    }
    return Reminder.create(**{**values, **fields})


def _scheduler_body(anonymous):
    response = anonymous.get("/healthz")
    return response.status_code, response.get_json()["scheduler"]


def test_failed_sends_waiting_for_a_retry_are_unhealthy(app, anonymous):
    with app.app_context():
        db.connect(reuse_if_open=True)
        _healthy_scheduler()
        row = _lakar_row(state="failed", attempts=1, next_attempt_at=utcnow() + datetime.timedelta(minutes=10))
    code, body = _scheduler_body(anonymous)
    assert code == 503
    assert body["problems"] == ["1 failed reminder waits to be retried"]
    assert (body["failed_reminders"], body["given_up_reminders"], body["unplanned_agreements"]) == (1, 0, 0)

    with app.app_context():
        db.connect(reuse_if_open=True)
        row.state, row.next_attempt_at = "sent", None
        row.save()
    assert _scheduler_body(anonymous)[0] == 200


def test_a_send_given_up_is_unhealthy_for_a_day(app, anonymous):
    with app.app_context():
        db.connect(reuse_if_open=True)
        _healthy_scheduler()
        row = _lakar_row(state="failed", attempts=3, next_attempt_at=None, last_error="UndefinedError: x")
    code, body = _scheduler_body(anonymous)
    assert code == 503
    assert body["problems"] == ["1 reminder was given up in the last 25 hours (listed on /reminders)"]
    assert body["given_up_reminders"] == 1

    with app.app_context():
        db.connect(reuse_if_open=True)
        row.updated_at = utcnow() - datetime.timedelta(hours=26)
        row.save()
    code, body = _scheduler_body(anonymous)
    assert code == 200 and body["given_up_reminders"] == 0


def test_agreements_the_last_pass_could_not_plan_are_unhealthy(app, anonymous):
    with app.app_context():
        db.connect(reuse_if_open=True)
        _healthy_scheduler()
        _lakar_row(
            stage="unplannable",
            recipient="",
            deadline_on=datetime.date(1, 1, 5),
            state="failed",
            last_error="OverflowError: date value out of range",
        )
    code, body = _scheduler_body(anonymous)
    assert code == 503
    assert body["problems"] == ["the last reminder pass could not plan 1 agreement (listed on /reminders)"]
    assert (body["unplanned_agreements"], body["failed_reminders"]) == (1, 0)


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
