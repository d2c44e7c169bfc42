"""Logins and the audit trail: users, failed logins (throttling), audit entries and their chain head."""
import datetime

from peewee import *


def up(migrator, db):
    class Person(Model):
        class Meta:
            database = db
            table_name = 'person'

    class User(Model):
        email = CharField(unique=True)
        name = CharField()
        password_hash = CharField(default='')
        role = CharField(default='viewer')
        person = ForeignKeyField(Person, null=True, on_delete='SET NULL')
        is_active = BooleanField(default=True)
        created_at = DateTimeField(default=datetime.datetime.now)
        last_login_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'app_user'

    class LoginFailure(Model):
        email = CharField(index=True)
        address = CharField(index=True)
        at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'login_failure'

    class AuditEntry(Model):
        at = DateTimeField(index=True)
        actor = CharField(index=True)
        action = CharField()
        entity = CharField()
        entity_id = IntegerField(null=True)
        agreement_id = IntegerField(null=True, index=True)
        summary = CharField(default='')
        changes = TextField(default='{}')
        prev_hash = CharField()
        hash = CharField(unique=True)
        class Meta:
            database = db
            table_name = 'audit_entry'

    class AuditHead(Model):
        seq = IntegerField(default=0)
        hash = CharField(default='')
        class Meta:
            database = db
            table_name = 'audit_head'

    db.create_tables([User, LoginFailure, AuditEntry, AuditHead])
    AuditHead.create(seq=0, hash='')


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('audit_head'),
        migrator.drop_table('audit_entry'),
        migrator.drop_table('login_failure'),
        migrator.drop_table('app_user'),
    )
