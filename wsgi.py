"""The WSGI entry point: `gunicorn wsgi:app`."""

from health_responder import create_app

app = create_app()
