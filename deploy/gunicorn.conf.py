"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be overridden by the environment (GUNICORN_CMD_ARGS) or the command line.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
#: Workers are processes; each holds its own small pool of PostgreSQL connections (DB_POOL_SIZE).
workers = int(os.environ.get("WEB_WORKERS", multiprocessing.cpu_count() * 2))
#: Threads per worker: requests mostly wait on the database, so a few threads keep a worker busy.
threads = int(os.environ.get("WEB_THREADS", 4))
worker_class = "gthread"
timeout = 60
graceful_timeout = 30
keepalive = 5
#: Restart workers now and then so that a slow leak can never grow unbounded.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
#: Trust X-Forwarded-* only from the reverse proxy in front.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
