"""Revisions as a piece of work: the mandate, the lead, the steps with due dates, the consultation round
(remiss) with each party's answer, and the draft successor. Numbered 0015: 0014 is taken by other work."""
import datetime

from peewee import *


def up(migrator, db):
    class Agreement(Model):
        class Meta:
            database = db
            table_name = 'agreement'

    class Person(Model):
        class Meta:
            database = db
            table_name = 'person'

    class Organisation(Model):
        class Meta:
            database = db
            table_name = 'organisation'

    class Revision(Model):
        agreement = ForeignKeyField(Agreement, on_delete='CASCADE')
        successor = ForeignKeyField(Agreement, null=True, on_delete='SET NULL', backref='+')
        mandate_by = CharField(default='')
        mandate_on = DateField(null=True)
        mandate_ref = CharField(default='')
        lead = ForeignKeyField(Person, null=True, on_delete='SET NULL')
        due_on = DateField(null=True)
        state = CharField(default='open', index=True)
        started_on = DateField()
        closed_on = DateField(null=True)
        notes = TextField(default='')
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            database = db
            table_name = 'revision'

    class RevisionStep(Model):
        revision = ForeignKeyField(Revision, on_delete='CASCADE')
        position = IntegerField(default=0)
        title = CharField()
        due_on = DateField(null=True)
        done_on = DateField(null=True)
        note = TextField(default='')

        class Meta:
            database = db
            table_name = 'revision_step'

    class Consultation(Model):
        revision = ForeignKeyField(Revision, on_delete='CASCADE')
        sent_on = DateField()
        due_on = DateField()
        note = TextField(default='')

        class Meta:
            database = db
            table_name = 'consultation'

    class ConsultationAnswer(Model):
        consultation = ForeignKeyField(Consultation, on_delete='CASCADE')
        organisation = ForeignKeyField(Organisation, on_delete='RESTRICT')
        answered_on = DateField()
        position = CharField()
        comment = TextField(default='')
        document_url = CharField(max_length=1000, default='')

        class Meta:
            database = db
            table_name = 'consultation_answer'
            indexes = ((('consultation', 'organisation'), True),)

    db.create_tables([Revision, RevisionStep, Consultation, ConsultationAnswer])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('consultation_answer'),
        migrator.drop_table('consultation'),
        migrator.drop_table('revision_step'),
        migrator.drop_table('revision'),
    )
