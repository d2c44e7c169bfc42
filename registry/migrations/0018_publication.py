"""The public register (/public): an agreement's publication setting (`agreement.publication`: "auto" follows
the default rule, "yes", "no") and a stored version's publication mark (`document_version.published`).
Numbered 0018: 0017 is taken by other work."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('agreement', 'publication', CharField(default='auto')),
        migrator.add_column('document_version', 'published', BooleanField(default=False)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('document_version', 'published'),
        migrator.drop_column('agreement', 'publication'),
    )
