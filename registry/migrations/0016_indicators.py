"""Indicators of an agreement and their values per follow-up, and a follow-up's deviations in the
collaboration (samverkansavvikelser). Numbered 0016: 0014 and 0015 are taken by other work."""
import datetime

from peewee import *


def up(migrator, db):
    class Agreement(Model):
        class Meta:
            database = db
            table_name = 'agreement'

    class Review(Model):
        class Meta:
            database = db
            table_name = 'review'

    class Indicator(Model):
        agreement = ForeignKeyField(Agreement, on_delete='CASCADE')
        name = CharField()
        unit = CharField(default='')
        target = DecimalField(max_digits=14, decimal_places=4, null=True, auto_round=True)
        direction = CharField(default='higher_is_better')
        description = TextField(default='')
        position = IntegerField(default=0)
        active = BooleanField(default=True)
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            database = db
            table_name = 'indicator'

    class IndicatorValue(Model):
        review = ForeignKeyField(Review, on_delete='CASCADE')
        indicator = ForeignKeyField(Indicator, on_delete='CASCADE')
        value = DecimalField(max_digits=14, decimal_places=4, null=True, auto_round=True)
        note = CharField(default='')

        class Meta:
            database = db
            table_name = 'indicator_value'
            indexes = ((('review', 'indicator'), True),)

    db.create_tables([Indicator, IndicatorValue])
    migrator.migrate(
        migrator.add_column('review', 'deviations', TextField(default='')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('review', 'deviations'),
        migrator.drop_table('indicator_value'),
        migrator.drop_table('indicator'),
    )
