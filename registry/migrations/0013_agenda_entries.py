"""Agendas the secretary edits: the `agenda_entry` table holds the items added to, moved between or
taken off a group's meetings, and the decision each meeting took on them. Nothing is created: until
someone edits an agenda, every meeting's agenda is the one the register computes."""
import datetime

from peewee import *


def up(migrator, db):
    class Group(Model):
        class Meta:
            database = db
            table_name = 'collab_group'

    class Agreement(Model):
        class Meta:
            database = db
            table_name = 'agreement'

    class Review(Model):
        class Meta:
            database = db
            table_name = 'review'

    class AgendaEntry(Model):
        group = ForeignKeyField(Group, on_delete='CASCADE')
        agreement = ForeignKeyField(Agreement, on_delete='CASCADE')
        kind = CharField()
        due_on = DateField()
        meets_on = DateField()
        removed = BooleanField(default=False)
        outcome = CharField(default='')
        decision_ref = CharField(default='')
        review = ForeignKeyField(Review, null=True, on_delete='SET NULL')
        edited_by = CharField(default='')
        edited_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            database = db
            table_name = 'agenda_entry'
            indexes = (
                (('group', 'meets_on'), False),
                (('agreement', 'kind', 'due_on'), False),
            )

    db.create_tables([AgendaEntry])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('agenda_entry'))
