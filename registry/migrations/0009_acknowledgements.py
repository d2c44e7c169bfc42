"""Acknowledged overdue deadlines ("Vi arbetar med det", pausing their escalation) and each person's reminder delivery."""
import datetime

from peewee import *


def up(migrator, db):
    class Agreement(Model):
        class Meta:
            database = db
            table_name = 'agreement'

    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class Acknowledgement(Model):
        agreement = ForeignKeyField(Agreement, on_delete='CASCADE')
        kind = CharField()
        deadline_on = DateField()
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        actor = CharField()
        acknowledged_at = DateTimeField(default=datetime.datetime.now)
        paused_until = DateField()
        class Meta:
            database = db
            table_name = 'acknowledgement'
            indexes = ((('agreement', 'kind', 'deadline_on'), False),)

    db.create_tables([Acknowledgement])
    migrator.migrate(
        migrator.add_column('person', 'reminder_delivery', CharField(default='digest')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('person', 'reminder_delivery'),
        migrator.drop_table('acknowledgement'),
    )
