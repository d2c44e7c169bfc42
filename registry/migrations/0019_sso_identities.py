"""Single sign-on: the link from an identity at an OpenID Connect provider (issuer + subject) to an
account. Numbered 0019: 0017 and 0018 are taken by other work."""
import datetime

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class SsoIdentity(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        provider = CharField()
        issuer = CharField(max_length=500)
        subject = CharField(max_length=255)
        created_at = DateTimeField(default=datetime.datetime.now)
        last_login_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'sso_identity'
            indexes = ((('issuer', 'subject'), True),)

    db.create_tables([SsoIdentity])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('sso_identity'))
