"""Document links per agreement, and the new expiry date decided by a review."""
from peewee import *


def up(migrator, db):
    class Agreement(Model):
        class Meta:
            database = db
            table_name = 'agreement'

    class Document(Model):
        agreement = ForeignKeyField(Agreement, on_delete='CASCADE')
        title = CharField()
        url = CharField(max_length=1000)
        class Meta:
            database = db
            table_name = 'document'
    db.create_tables([Document])

    migrator.migrate(
        migrator.add_column('review', 'new_expires_on', DateField(null=True)))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('review', 'new_expires_on'),
        migrator.drop_table('document'))
