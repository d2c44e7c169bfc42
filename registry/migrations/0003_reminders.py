"""Reminders: meetings, reminder policies, secretaries, the delivery log, scheduler runs and locks."""
import datetime

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('person', 'is_secretary', BooleanField(default=False)),
        migrator.add_column('collab_group', 'lead_time_days', IntegerField(default=14)),
        migrator.add_column('collab_group', 'expiry_offsets', CharField(default='')),
        migrator.add_column('collab_group', 'review_offsets', CharField(default='')),
        migrator.add_column('collab_group', 'overdue_every_days', IntegerField(null=True)),
        migrator.add_column('agreement', 'expiry_offsets', CharField(default='')),
        migrator.add_column('agreement', 'review_offsets', CharField(default='')),
        migrator.add_column('agreement', 'overdue_every_days', IntegerField(null=True)),
    )

    class Group(Model):
        class Meta:
            database = db
            table_name = 'collab_group'

    class Agreement(Model):
        class Meta:
            database = db
            table_name = 'agreement'

    class GroupMeeting(Model):
        group = ForeignKeyField(Group, on_delete='CASCADE')
        meets_on = DateField()
        note = CharField(default='')
        class Meta:
            database = db
            table_name = 'group_meeting'
            indexes = ((('group', 'meets_on'), True),)

    class Reminder(Model):
        agreement = ForeignKeyField(Agreement, on_delete='CASCADE')
        kind = CharField()
        deadline_on = DateField()
        stage = CharField()
        recipient = CharField()
        role = CharField(default='owner')
        send_on = DateField(index=True)
        state = CharField(default='pending', index=True)
        attempts = IntegerField(default=0)
        last_error = TextField(default='')
        next_attempt_at = DateTimeField(null=True)
        message_id = CharField(default='')
        created_at = DateTimeField(default=datetime.datetime.now)
        updated_at = DateTimeField(default=datetime.datetime.now)
        class Meta:
            database = db
            table_name = 'reminder'
            indexes = ((('agreement', 'kind', 'deadline_on', 'stage', 'recipient'), True),)

    class SchedulerRun(Model):
        started_at = DateTimeField(index=True)
        finished_at = DateTimeField(null=True)
        run_for = DateField()
        trigger = CharField(default='cli')
        sent = IntegerField(default=0)
        skipped = IntegerField(default=0)
        failed = IntegerField(default=0)
        error = TextField(default='')
        class Meta:
            database = db
            table_name = 'scheduler_run'

    class SchedulerLease(Model):
        name = CharField(primary_key=True)
        holder = CharField(default='')
        host = CharField(default='')
        pid = IntegerField(null=True)
        heartbeat_at = DateTimeField(null=True)
        next_run_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'scheduler_lease'

    db.create_tables([GroupMeeting, Reminder, SchedulerRun, SchedulerLease])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('scheduler_lease'),
        migrator.drop_table('scheduler_run'),
        migrator.drop_table('reminder'),
        migrator.drop_table('group_meeting'),
        migrator.drop_column('agreement', 'overdue_every_days'),
        migrator.drop_column('agreement', 'review_offsets'),
        migrator.drop_column('agreement', 'expiry_offsets'),
        migrator.drop_column('collab_group', 'overdue_every_days'),
        migrator.drop_column('collab_group', 'review_offsets'),
        migrator.drop_column('collab_group', 'expiry_offsets'),
        migrator.drop_column('collab_group', 'lead_time_days'),
        migrator.drop_column('person', 'is_secretary'),
    )
