"""Pure date rules: review cycles, deadlines, reminder stages and policy, working days.

Functions of dates and plain agreement facts only: nothing here knows the
tables, the web app or the scheduler process. The domain, the pages, the API,
the calendar feeds and the reminder pass all compute deadlines through these.
"""
