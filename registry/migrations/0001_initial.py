"""Initial schema: organisations, groups, people, agreements and reviews.

Models are frozen copies, independent of registry.models.
"""
from peewee import *


def up(migrator, db):
    class Organisation(Model):
        name = CharField(unique=True)
        short_name = CharField(default='')
        kind = CharField(default='other')
        notes = TextField(default='')
        class Meta:
            database = db
            table_name = 'organisation'
    db.create_tables([Organisation])

    class Person(Model):
        name = CharField()
        email = CharField(unique=True)
        title = CharField(default='')
        organisation = ForeignKeyField(Organisation, null=True, on_delete='SET NULL')
        is_active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'person'
    db.create_tables([Person])

    class Group(Model):
        name = CharField(unique=True)
        short_name = CharField(default='')
        kind = CharField(default='other')
        description = TextField(default='')
        parent = ForeignKeyField('self', null=True, on_delete='SET NULL')
        chair = ForeignKeyField(Person, null=True, on_delete='SET NULL')
        mailbox = CharField(default='')
        class Meta:
            database = db
            table_name = 'collab_group'
    db.create_tables([Group])

    class Agreement(Model):
        title = CharField(max_length=500)
        short_name = CharField(default='')
        kind = CharField()
        case_number = CharField(unique=True, null=True)
        description = TextField(default='')
        target_group = TextField(default='')
        responsible_group = ForeignKeyField(Group, on_delete='RESTRICT')
        decision_body = ForeignKeyField(Group, null=True, on_delete='SET NULL')
        decision_date = DateField(null=True)
        decision_ref = CharField(default='')
        valid_from = DateField(null=True)
        expires_on = DateField(index=True, null=True)
        review_rule = CharField(default='')
        next_review_on = DateField(index=True, null=True)
        status = CharField(index=True, default='in_force')
        replaced_by = ForeignKeyField('self', null=True, on_delete='SET NULL')
        parent = ForeignKeyField('self', null=True, on_delete='SET NULL')
        notes = TextField(default='')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'agreement'
    db.create_tables([Agreement])

    class AgreementGroup(Model):
        agreement = ForeignKeyField(Agreement, on_delete='CASCADE')
        group = ForeignKeyField(Group, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'agreement_group'
            indexes = ((('agreement', 'group'), True),)
    db.create_tables([AgreementGroup])

    class AgreementOwner(Model):
        agreement = ForeignKeyField(Agreement, on_delete='CASCADE')
        person = ForeignKeyField(Person, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'agreement_owner'
            indexes = ((('agreement', 'person'), True),)
    db.create_tables([AgreementOwner])

    class AgreementParty(Model):
        agreement = ForeignKeyField(Agreement, on_delete='CASCADE')
        organisation = ForeignKeyField(Organisation, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'agreement_party'
            indexes = ((('agreement', 'organisation'), True),)
    db.create_tables([AgreementParty])

    class GroupMember(Model):
        group = ForeignKeyField(Group, on_delete='CASCADE')
        person = ForeignKeyField(Person, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'group_member'
            indexes = ((('group', 'person'), True),)
    db.create_tables([GroupMember])

    class Review(Model):
        agreement = ForeignKeyField(Agreement, on_delete='CASCADE')
        reviewed_on = DateField(index=True)
        reviewer = ForeignKeyField(Person, null=True, on_delete='SET NULL')
        reviewer_name = CharField(default='')
        outcome = CharField()
        decision_ref = CharField(default='')
        notes = TextField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'review'
    db.create_tables([Review])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('review'))
    migrator.migrate(migrator.drop_table('group_member'))
    migrator.migrate(migrator.drop_table('agreement_party'))
    migrator.migrate(migrator.drop_table('agreement_owner'))
    migrator.migrate(migrator.drop_table('agreement_group'))
    migrator.migrate(migrator.drop_table('agreement'))
    migrator.migrate(migrator.drop_table('collab_group'))
    migrator.migrate(migrator.drop_table('person'))
    migrator.migrate(migrator.drop_table('organisation'))
