"""The deadline engine and (from the reminders issue on) the reminder jobs."""
