"""Domain rules shared by views, commands, jobs and (later) the API."""
