"""An index for counting and listing reviews by date among agreements in force.

The dashboard counts overdue and coming reviews and lists the first of them;
(status, next_review_on) answers both from a range of the index, as
agreement_status_deadlines (status, expires_on, ...) does for expiries.
"""


def up(migrator, db):
    db.execute_sql("CREATE INDEX agreement_status_review ON agreement (status, next_review_on)")
    db.execute_sql("ANALYZE agreement")


def down(migrator, db):
    db.execute_sql("DROP INDEX agreement_status_review")
