"""The WSGI entry point: `gunicorn wsgi:app`."""

import os

from health_responder import create_app

app = create_app()

# Served by gunicorn (its arbiter exports SERVER_SOFTWARE; the `flask` CLI, which also loads this module,
# does not): register the fonts and build one small document of each kind now, in each worker (or once
# in the master with --preload), so that the first document a worker serves costs what the tenth does.
if os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
    from health_responder.reports.fonts import warm

    warm()
