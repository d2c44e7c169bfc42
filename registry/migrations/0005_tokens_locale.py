"""API tokens, calendar-feed tokens, and each user's language."""
import datetime

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('app_user', 'locale', CharField(default='')))

    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class ApiToken(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        name = CharField(default='')
        token_hash = CharField(unique=True)
        created_at = DateTimeField(default=datetime.datetime.now)
        last_used_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'api_token'

    class FeedToken(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        token = CharField(unique=True)
        scope = CharField(default='person')
        scope_id = IntegerField(null=True)
        created_at = DateTimeField(default=datetime.datetime.now)
        revoked_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'feed_token'

    db.create_tables([ApiToken, FeedToken])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('feed_token'),
        migrator.drop_table('api_token'),
        migrator.drop_column('app_user', 'locale'),
    )
