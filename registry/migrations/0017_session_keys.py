"""Sessions that end on the server: each account's session key, part of every session cookie's user id.

Every existing account gets a random key of its own, so the cookies issued before this version (which
carry only the account's id) no longer log anyone in: everyone logs in once more.
"""
import secrets

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('app_user', 'session_key', CharField(default='')))
    ids = [row[0] for row in db.execute_sql('SELECT id FROM app_user').fetchall()]
    for pk in ids:
        db.execute_sql(
            'UPDATE app_user SET session_key = %s WHERE id = %s' % (db.param, db.param),
            (secrets.token_urlsafe(16), pk),
        )


def down(migrator, db):
    migrator.migrate(migrator.drop_column('app_user', 'session_key'))
