"""Server-rendered pages: login, dashboards, language switch, error pages."""

from flask import Flask


def register_pages(app: Flask) -> None:
    """Register the page blueprints and the template helpers."""
    from health_responder import features
    from health_responder.web.context import register_context
    from health_responder.web.pages import bp
    from health_responder.web.stash import register_stash

    register_context(app)
    register_stash(app)
    app.register_blueprint(bp)
    for module in features.present(features.PAGES):
        app.register_blueprint(module.bp)
