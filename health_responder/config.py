"""Every setting with its default.

Precedence (lowest first): these defaults, ``instance/config.py``, ``FLASK_*`` environment
variables read by Flask's own ``app.config.from_prefixed_env()`` (``FLASK_SECRET_KEY=…`` sets
``SECRET_KEY``; values are parsed as JSON when they can be; ``FLASK_JOB_SCHEDULES__low_stock=600``
sets one key of a dict), then the :data:`UNPREFIXED` variables (``DATABASE_URL`` …), then the dict a
test passes to ``create_app``.
"""

from __future__ import annotations

from pathlib import Path

#: The languages the application ships a catalogue for (health_responder/translations/<code>): what
#: pages, documents and messages can be written in. ``LANGUAGES`` (below) may offer fewer.
CATALOGUES = ("en", "ko", "ru")

#: The repository root: the folder that holds ``instance/`` and ``reports/``.
ROOT = Path(__file__).resolve().parent.parent
#: Settings also read from the environment under their own name (hosting platforms set these), over ``FLASK_*``.
UNPREFIXED = ("DATABASE_URL", "REPORTS_DIR")


class Defaults:
    """Default settings; every one can be overridden as the module docstring says."""

    #: Signs sessions and CSRF tokens. ``instance/config.py`` gets a random one on first run.
    SECRET_KEY = "dev-only-not-secret"
    #: SQLAlchemy URL. SQLite by default; ``postgresql+psycopg://…`` for production.
    DATABASE_URL = f"sqlite:///{ROOT / 'instance' / 'health_responder.sqlite'}"
    #: Seconds SQLite waits for a write lock before answering "database is locked" (the API answers 503
    #: with Retry-After; nothing is written).
    SQLITE_BUSY_TIMEOUT = 30
    #: Connection pool size per process on PostgreSQL.
    DB_POOL_SIZE = 10
    #: Extra connections beyond the pool on PostgreSQL.
    DB_MAX_OVERFLOW = 20
    #: Seconds a PostgreSQL connection is kept before it is recycled.
    DB_POOL_RECYCLE = 1800
    #: PostgreSQL: seconds a statement waits for a lock another transaction holds, then fails (the API
    #: answers 503 with Retry-After; nothing is written). 0: wait for ever.
    DB_LOCK_TIMEOUT = 5
    #: PostgreSQL: seconds one statement may run before the server cancels it (503 as above). 0: no limit.
    DB_STATEMENT_TIMEOUT = 60
    #: Seconds GET /healthz waits to see the database take a write before it reports that it does not
    #: (under a second, so that the health check itself always answers within one).
    HEALTH_WRITE_TIMEOUT = 0.5
    #: Where generated PDFs are stored (shared storage when several hosts serve the app).
    REPORTS_DIR = str(ROOT / "reports")
    #: Uploaded knowledge-hub PDFs: user files to back up, not reports the app can rebuild. None: ``materials/``
    #: beside REPORTS_DIR. Uploads older than this setting stay in REPORTS_DIR/materials/, still served; move them here.
    MATERIALS_DIR = None
    #: Megabytes of knowledge-hub PDFs each provider may keep (every version counts); an upload past it
    #: answers 413 naming the quota. The association's own uploads have no quota.
    MATERIALS_QUOTA_MB = 200
    #: Days an ad-hoc document (dispatch summary, pick list, label sheet: printed on demand from data the
    #: database keeps) is stored; the prune_documents check then deletes its file and its code verifies
    #: as expired. Dispatch reports, certificates and statistics reports are records, never pruned.
    DOCUMENT_RETENTION_DAYS = 30
    #: Largest request body accepted, in bytes (larger answers 413).
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024
    #: The association's name on documents and pages.
    ASSOCIATION_NAME = "International Association of Smart Cities"
    #: Public base URL used in verification links printed on documents.
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    #: Paper size of generated documents: "A4" or "LETTER".
    PDF_PAGE_SIZE = "A4"

    # --- sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Set True behind TLS (also turns on HSTS).
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: CSRF tokens are valid for a working day.
    WTF_CSRF_TIME_LIMIT = 12 * 3600
    #: A page session ends after this many seconds without a request (the cookie is renewed on each).
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    #: How long what was typed into a form refused for an ended session or an expired CSRF token is kept
    #: for signing in and sending it again (web/stash.py); passwords are never kept.
    FORM_STASH_SECONDS = 3600

    # --- failed logins (counted in the database: every worker and host sees the same count)
    #: Failed logins allowed per account and address together within the window; then 429.
    LOGIN_FAILURE_LIMIT = 10
    #: Failed logins allowed per address across all accounts within the window; then 429.
    LOGIN_ADDRESS_FAILURE_LIMIT = 100
    #: Seconds a failed login counts for.
    LOGIN_FAILURE_WINDOW_SECONDS = 900
    #: Behind reverse proxies: how many of them to trust for X-Forwarded-For/-Proto/-Host (werkzeug's
    #: ProxyFix); 0 = no proxy, the socket's address is the client's.
    PROXY_FIX_X_FOR = 0

    # --- API tokens
    #: ``last_used`` on a token is written at most this often, in seconds.
    TOKEN_TOUCH_INTERVAL = 60
    #: Days a new API token is valid (``expires_at``); after that it answers 401.
    TOKEN_LIFETIME_DAYS = 30
    #: Idempotency keys are kept this many hours.
    IDEMPOTENCY_TTL_HOURS = 24
    #: Seconds after which a key still in flight whose request never committed (a killed worker) is
    #: released, so that a retry proceeds instead of answering 409.
    IDEMPOTENCY_IN_FLIGHT_SECONDS = 60

    # --- API (flask-smorest)
    API_TITLE = "Smart Health Responder API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    #: The docs page is ours (``/api/v1/docs``) so its assets are served locally.
    OPENAPI_SWAGGER_UI_PATH = None
    #: Largest page a list returns.
    MAX_PAGE_SIZE = 100
    DEFAULT_PAGE_SIZE = 20

    # --- languages (Flask-Babel)
    LANGUAGES = list(CATALOGUES)
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    # --- scheduler
    #: Seconds between ticks of each check (a fixed grid: ticks fall on multiples of it).
    JOB_SCHEDULES = {
        "auto_allocate": 300,
        "overdue_requests": 900,
        "low_stock": 3600,
        "near_expiry": 3600,
        "readiness_gaps": 3600,
        "training_reminders": 3600,
        "send_notifications": 60,
        "monthly_statistics": 86400,
        "prune_documents": 86400,
    }
    #: Seconds a job run's lease lasts; the runner's keep-alive renews it every third of that while the
    #: check runs, so a killed runner's run is taken as abandoned (and its check runs again) within this.
    JOB_LEASE_SECONDS = 60
    #: Days ahead that make a lot "near expiry".
    NEAR_EXPIRY_DAYS = 60
    #: Available units at or below which an item at a provider is "low".
    LOW_STOCK_THRESHOLD = 10
    #: Hours a submitted request may wait for approval, per priority, before it is overdue.
    REQUEST_APPROVAL_SLA_HOURS = {"critical": 4, "high": 24, "normal": 72, "low": 168}
    #: Hours an approved request may wait for its first shipment, per priority, before it is overdue.
    REQUEST_DISPATCH_SLA_HOURS = {"critical": 24, "high": 72, "normal": 168, "low": 336}
    #: auto_allocate reserves this many requests per transaction (each whole or not at all), halving the
    #: batch while one takes longer than AUTO_ALLOCATE_BATCH_SECONDS.
    AUTO_ALLOCATE_BATCH_REQUESTS = 500
    AUTO_ALLOCATE_BATCH_SECONDS = 0.5

    # --- mail
    #: SMTP host; notifications stay in the app only while it is empty.
    MAIL_SERVER = ""
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_DEFAULT_SENDER = "responder@example.org"
    #: Attempts per message before it is marked failed.
    MAIL_MAX_ATTEMPTS = 5
    #: Seconds a sender owns a claimed message; after that another sender may send it again.
    MAIL_CLAIM_SECONDS = 300
    #: Seconds to wait for the SMTP server.
    MAIL_TIMEOUT = 10

    #: Seconds after which a provider's CSV import claim counts as left by a dead process (taken over).
    STOCK_IMPORT_CLAIM_SECONDS = 600
    #: How long a CSV file checked by a clean dry run is kept for "import these rows" (then: choose it again).
    STOCK_IMPORT_UPLOAD_SECONDS = 900

    #: Structured (JSON) logs; plain text when False.
    LOG_JSON = True
