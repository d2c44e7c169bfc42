"""Every party's decision on an agreement, whether a party must adopt it, and a contact per party.

Adds the `adoption` table (one recorded decision per agreement and party), the flag
`agreement_party.must_adopt` (true for every existing party) and the contact of each
organisation (a person, a functional mailbox, or both). No adoption is created: an agreement
registered as in force before this version keeps its status, and its parties' decisions are
unknown until someone records them.
"""
import datetime

from peewee import *


def up(migrator, db):
    class Organisation(Model):
        class Meta:
            database = db
            table_name = 'organisation'

    class Person(Model):
        class Meta:
            database = db
            table_name = 'person'

    class Agreement(Model):
        class Meta:
            database = db
            table_name = 'agreement'

    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class Adoption(Model):
        agreement = ForeignKeyField(Agreement, on_delete='CASCADE')
        organisation = ForeignKeyField(Organisation, on_delete='RESTRICT')
        body = CharField(default='')
        decided_on = DateField()
        decision_ref = CharField(default='')
        case_number = CharField(default='')
        signed_on = DateField(null=True)
        document_url = CharField(max_length=1000, default='')
        recorded_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        recorded_by_name = CharField(default='')
        recorded_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            database = db
            table_name = 'adoption'
            indexes = ((('agreement', 'organisation'), True),)

    db.create_tables([Adoption])
    migrator.migrate(
        migrator.add_column('agreement_party', 'must_adopt', BooleanField(default=True)),
        migrator.add_column(
            'organisation',
            'contact_person_id',
            ForeignKeyField(Person, field=Person.id, null=True, on_delete='SET NULL'),
        ),
        migrator.add_column('organisation', 'contact_email', CharField(default='')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('organisation', 'contact_email'),
        migrator.drop_index('organisation', 'organisation_contact_person_id'),
        migrator.drop_column('organisation', 'contact_person_id'),
        migrator.drop_column('agreement_party', 'must_adopt'),
        migrator.drop_table('adoption'),
    )
