"""Configuration from the environment, and database URLs."""

import importlib

import pytest
from peewee import PostgresqlDatabase, SqliteDatabase

import config
from registry.db import DatabaseURLError, open_database


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
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example/registry")
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("PORT", "8123")
    try:
        reloaded = importlib.reload(config)
        assert reloaded.Config.DATABASE_URL == "postgresql://db.example/registry"
        assert reloaded.Config.SECRET_KEY == "s3cret"
        assert reloaded.Config.PORT == 8123
        monkeypatch.setenv("PORT", "eighty")
        with pytest.raises(RuntimeError, match="PORT"):
            importlib.reload(config)
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_default_database_is_sqlite_in_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    try:
        reloaded = importlib.reload(config)
        assert reloaded.Config.DATABASE_URL.startswith("sqlite:///")
        assert reloaded.Config.DATABASE_URL.endswith("instance/registry.db")
    finally:
        monkeypatch.undo()
        importlib.reload(config)
