"""Meeting plans (årshjul): a group's meeting rule and its start, the group it reports to, and
cancelled planned days (GroupMeeting.cancelled)."""
from peewee import *


def up(migrator, db):
    class Group(Model):
        class Meta:
            database = db
            table_name = 'collab_group'

    migrator.migrate(
        migrator.add_column('collab_group', 'meeting_rule', CharField(default='')),
        migrator.add_column('collab_group', 'meeting_rule_start', DateField(null=True)),
        migrator.add_column(
            'collab_group',
            'reports_to_id',
            ForeignKeyField(Group, null=True, field=Group.id, on_delete='SET NULL'),
        ),
        migrator.add_column('group_meeting', 'cancelled', BooleanField(default=False)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('group_meeting', 'cancelled'),
        migrator.drop_index('collab_group', 'collab_group_reports_to_id'),
        migrator.drop_column('collab_group', 'reports_to_id'),
        migrator.drop_column('collab_group', 'meeting_rule_start'),
        migrator.drop_column('collab_group', 'meeting_rule'),
    )
