"""The production shape under load: PostgreSQL, gunicorn workers, several schedulers, real HTTP clients."""
