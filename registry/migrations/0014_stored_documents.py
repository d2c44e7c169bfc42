"""Documents stored in the register, with versions: the `stored_document` table (an agreement's
signed text, appendices, decision minutes, each under a title) and `document_version` (every
uploaded file: its bytes, SHA-256, uploader and time, and the text read from it for the search).
The bytes are in the database (bytea on PostgreSQL), so a backup of the database holds them.
Document links (`document`) stay as they are; nothing is created."""
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

    class StoredDocument(Model):
        agreement = ForeignKeyField(Agreement, on_delete='RESTRICT')
        title = CharField()
        title_key = CharField()
        kind = CharField(default='other')
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            database = db
            table_name = 'stored_document'
            indexes = ((('agreement', 'title_key'), True),)

    class DocumentVersion(Model):
        document = ForeignKeyField(StoredDocument, on_delete='RESTRICT')
        number = IntegerField()
        filename = CharField()
        content_type = CharField()
        size = IntegerField()
        sha256 = CharField(max_length=64)
        content = BlobField()
        text = TextField(default='')
        text_status = CharField(default='')
        uploaded_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        uploaded_by_name = CharField(default='')
        uploaded_at = DateTimeField(default=datetime.datetime.now)
        superseded_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'document_version'
            indexes = ((('document', 'number'), True),)

    db.create_tables([StoredDocument, DocumentVersion])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('document_version'), migrator.drop_table('stored_document'))
