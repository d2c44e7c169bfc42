"""Configuration from the environment, and database URLs."""

import pytest
from peewee import PostgresqlDatabase, SqliteDatabase

from registry.db import DatabaseURLError, open_database
from tests.factories import reloaded_config


def test_sqlite_url_creates_parent_folder(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'sub' / 'r.db'}")
    assert isinstance(database, SqliteDatabase)
    assert (tmp_path / "sub").is_dir()


def test_postgres_url():
    assert isinstance(open_database("postgresql://postgres@127.0.0.1:5432/test"), PostgresqlDatabase)
    assert isinstance(open_database("postgres://postgres@127.0.0.1:5432/test"), PostgresqlDatabase)


@pytest.mark.parametrize("url", ["mysql://x/y", "registry.db", "sqlite:///"])
def test_unsupported_urls_are_refused_clearly(url):
    with pytest.raises(DatabaseURLError) as info:
        open_database(url)
    assert "DATABASE_URL" in str(info.value)


def test_a_refused_url_is_quoted_without_its_password():
    with pytest.raises(DatabaseURLError) as info:
        open_database("mysql://registry:hemligt@db.example/registry")
    assert "mysql://registry:***@db.example/registry" in str(info.value)
    assert "hemligt" not in str(info.value)


def test_settings_come_from_the_environment(monkeypatch):
    values = {"DATABASE_URL": "postgresql://db.example/registry", "SECRET_KEY": "s3cret", "PORT": "8123"}
    with reloaded_config(monkeypatch, **values) as (reloaded, reload):
        assert reloaded.Config.DATABASE_URL == "postgresql://db.example/registry"
        assert reloaded.Config.SECRET_KEY == "s3cret"
        assert reloaded.Config.PORT == 8123
        monkeypatch.setenv("PORT", "eighty")
        with pytest.raises(RuntimeError, match="PORT"):
            reload()


def test_default_database_is_sqlite_in_instance(monkeypatch):
    with reloaded_config(monkeypatch, DATABASE_URL=None) as (reloaded, _reload):
        assert reloaded.Config.DATABASE_URL.startswith("sqlite:///")
        assert reloaded.Config.DATABASE_URL.endswith("instance/registry.db")
