"""Agreements' legal basis (lagrum) and notice period (uppsägningstid, in months)."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('agreement', 'legal_basis', CharField(default='')),
        migrator.add_column('agreement', 'notice_period_months', IntegerField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('agreement', 'notice_period_months'),
        migrator.drop_column('agreement', 'legal_basis'),
    )
