"""Smart Health Responder: medical equipment and training for the member cities of an association.

``create_app()`` reads as the table of contents of the application: each ``_register_*`` step wires
one concern.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import time
import uuid
from pathlib import Path

from flask import Flask, g, request

from health_responder import config as config_module


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application; ``test_config`` overrides every other source of settings."""
    app = Flask(__name__, instance_path=str(config_module.ROOT / "instance"), instance_relative_config=True)
    _load_config(app, test_config)
    _register_proxy(app)
    _register_logging(app)
    _register_extensions(app)
    _register_request_hooks(app)
    _register_errors(app)
    _register_api(app)
    _register_pages(app)
    _register_cli(app)
    return app


def _load_config(app: Flask, test_config: dict | None) -> None:
    """Defaults, then instance/config.py, then the environment, then the test's dict (config.py says more)."""
    app.config.from_object(config_module.Defaults)
    if test_config is None:
        _ensure_instance_config(Path(app.instance_path))
        app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    app.config.from_mapping({key: os.environ[key] for key in config_module.UNPREFIXED if os.environ.get(key)})
    if test_config:
        app.config.update(test_config)
    Path(app.config["REPORTS_DIR"]).mkdir(parents=True, exist_ok=True)


def _ensure_instance_config(instance: Path) -> None:
    """First run: write instance/config.py with a random SECRET_KEY (git ignores the folder).

    The file holds secrets: it is created readable by its owner only (0600), never world-readable for
    a moment, and an older copy that others may read is narrowed to 0600 too.
    """
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "config.py"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            try:
                path.chmod(0o600)
            except OSError:
                logging.getLogger(__name__).warning("%s is readable by others; make it 0600", path)
        return
    with os.fdopen(fd, "w") as config:
        config.write(
            '"""Local settings and secrets; not in git. Environment FLASK_* variables win over these."""\n'
            f"SECRET_KEY = {secrets.token_hex(32)!r}\n"
        )


def _register_proxy(app: Flask) -> None:
    """Behind PROXY_FIX_X_FOR trusted proxies, the client's address and scheme come from X-Forwarded-*."""
    hops = int(app.config["PROXY_FIX_X_FOR"])
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _register_logging(app: Flask) -> None:
    """Structured logs on stderr (unless a host such as gunicorn or pytest set up logging first);
    every handler of the root logger stamps ``request_id`` and ``user_id`` on each record.
    """
    from health_responder import log

    if app.testing:
        return
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        if app.config["LOG_JSON"]:
            handler.setFormatter(log.JsonFormatter())
        logging.basicConfig(level=logging.INFO, handlers=[handler])
    for handler in root.handlers:
        log.install(handler)


def _register_extensions(app: Flask) -> None:
    import health_responder.models  # noqa: F401  (every table known before the first query)
    from health_responder.extensions import babel, csrf, db, login_manager
    from health_responder.web.i18n import select_locale, select_timezone

    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    from health_responder.auth import sessions  # noqa: F401  (registers the user loaders)


def _register_request_hooks(app: Flask) -> None:
    """Request id, access log and security headers on every response."""
    access = logging.getLogger("health_responder.access")

    @app.before_request
    def _start():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.before_request
    def _limit_streamed_body():
        # A body without Content-Length (chunked) is cut at MAX_CONTENT_LENGTH by werkzeug when read
        # whole, silently: the JSON then looks broken (400). Read it here and one byte more, which past
        # the limit raises 413, as a body with a length gets.
        if (
            request.max_content_length is not None
            and request.content_length is None
            and "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        ):
            request.get_data(cache=True)
            request.stream.read(1)

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # 'wasm-unsafe-eval' lets the page compile WebAssembly (the camera's barcode reader, static/vendor),
        # and nothing else: no eval of JavaScript, no script from another origin.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        access.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1),
            },
        )
        return response


def _register_errors(app: Flask) -> None:
    from health_responder.errors import register_error_handlers

    register_error_handlers(app)


def _register_api(app: Flask) -> None:
    from health_responder.api import register_api
    from health_responder.extensions import csrf
    from health_responder.web.health import blp as health

    register_api(app)
    app.register_blueprint(health)  # /healthz: outside /api/v1 and its OpenAPI document
    csrf.exempt(health)


def _register_pages(app: Flask) -> None:
    from health_responder.web import register_pages

    register_pages(app)


def _register_cli(app: Flask) -> None:
    from health_responder.cli import register_cli

    register_cli(app)
