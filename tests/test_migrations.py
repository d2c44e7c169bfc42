"""Schema migrations: a database at an older version upgrades with its data intact."""

import datetime

from registry.db import MIGRATIONS_DIR, db, migration_runner, pending, upgrade
from registry.models import Agreement, Document, Reminder, Review, User
from tests.conftest import make_app

ALL = sorted(path.stem for path in MIGRATIONS_DIR.glob("[0-9]*.py"))


def _insert_v1_rows():
    """Rows written by hand as a version-1 application would have stored them."""
    now = datetime.datetime(2024, 5, 1, 12, 0)
    db.execute_sql(
        "INSERT INTO collab_group (name, short_name, kind, description, mailbox) "
        "VALUES ('ReKo', '', 'leadership', '', 'reko@example.org')"
    )
    group_id = db.execute_sql("SELECT id FROM collab_group").fetchone()[0]
    db.execute_sql(
        "INSERT INTO agreement (title, short_name, kind, description, target_group, responsible_group_id,"
        " decision_ref, valid_from, review_rule, next_review_on, status, notes, created_at, updated_at)"
        " VALUES (%s, '', 'avtal', '', '', %s, '', %s, 'FREQ=YEARLY;INTERVAL=1', %s, 'in_force', '', %s, %s)".replace(
            "%s", db.param
        ),
        ("KomHem-avtal", group_id, datetime.date(2024, 2, 29), datetime.date(2025, 2, 28), now, now),
    )
    agreement_id = db.execute_sql("SELECT id FROM agreement").fetchone()[0]
    db.execute_sql(
        "INSERT INTO review (agreement_id, reviewed_on, reviewer_name, outcome, decision_ref, notes, created_at)"
        " VALUES (%s, %s, 'ReKo', 'unchanged', 'ReKo 2024-11-15 § 5', '', %s)".replace("%s", db.param),
        (agreement_id, datetime.date(2024, 11, 15), now),
    )
    return agreement_id


def test_old_database_upgrades_with_data_intact(database_url):
    app = make_app(database_url)
    with app.app_context():
        db.connect(reuse_if_open=True)
        runner = migration_runner()
        assert runner.up(target="0001_initial") == ["0001_initial"]
        assert pending() == ALL[1:]
        agreement_id = _insert_v1_rows()

        assert upgrade() == ALL[1:]
        assert pending() == []
        agreement = Agreement.get_by_id(agreement_id)
        assert agreement.title == "KomHem-avtal"
        assert agreement.valid_from == datetime.date(2024, 2, 29)
        old_review = Review.get(Review.agreement == agreement)
        assert old_review.decision_ref == "ReKo 2024-11-15 § 5"
        assert old_review.new_expires_on is None
        # The new schema is usable.
        Document.create(agreement=agreement, title="Avtalstext", url="https://example.org/komhem.pdf")
        assert agreement.documents.count() == 1
        # Columns added by 0003 have their defaults on old rows.
        assert agreement.responsible_group.lead_time_days == 14
        assert (agreement.expiry_offsets, agreement.overdue_every_days) == ("", None)
        assert Reminder.select().count() == 0
        db.close()


def test_upgrade_is_repeatable_and_down_works(database_url):
    app = make_app(database_url)
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert upgrade() == ALL
        assert upgrade() == []
        # Every migration can be reverted, newest first, and applied again.
        for name in reversed(ALL[1:]):
            assert migration_runner().down() == [name]
        assert set(db.get_tables()) >= {"agreement", "review"}
        assert not {"document", "reminder", "app_user", "audit_entry", "api_token"} & set(db.get_tables())
        assert upgrade() == ALL[1:]
        db.close()


def test_init_db_command_creates_then_reports_up_to_date(database_url):
    app = make_app(database_url)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"database {database_url.split('?')[0]}")  # which database it changed
    assert f"applied migration {ALL[-1]}" in first.output
    second = runner.invoke(args=["init-db"])
    assert second.exit_code == 0
    assert "already up to date" in second.output


def failing_command(database_url, command):
    """The output of a command that must fail against this database."""
    result = make_app(database_url).test_cli_runner().invoke(args=[command])
    assert result.exit_code != 0, result.output
    return result.output


def test_seed_refuses_an_unmigrated_database(database_url):
    assert "init-db" in failing_command(database_url, "seed")


def test_init_db_reports_unreachable_database():
    output = failing_command("postgresql://nobody@127.0.0.1:1/none", "init-db")
    assert "Cannot connect to the database" in output and "127.0.0.1:1/none" in output


def test_connection_errors_hide_the_password():
    """The message reaches terminals and logs: it names the database but not its password."""
    output = failing_command("postgresql://registry:s3cr%40t-Pw@127.0.0.1:1/none", "init-db")
    assert "postgresql://registry:***@127.0.0.1:1/none" in output
    assert "s3cr" not in output


def test_demo_accounts_are_refused_in_production_before_anything_is_loaded(database_url):
    strong = "Zq4Vb9xL2mN7pR5tW8yA3cE6gJ1kH0sD4fG7hK2lM5nP8qR1"
    app = make_app(database_url, APP_ENV="production", SECRET_KEY=strong)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    result = runner.invoke(args=["seed", "--demo-users"])
    assert result.exit_code != 0 and "APP_ENV=production" in result.output
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert Agreement.select().count() == 0 and User.select().count() == 0
        db.close()
