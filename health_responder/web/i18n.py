"""Which language and timezone a page is shown in."""

from flask import current_app, request, session
from flask_login import current_user


def select_locale() -> str:
    """The language chosen with the switcher, else the user's, else the browser's best match."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """A city user sees times in the city's timezone; others in UTC."""
    if getattr(current_user, "is_authenticated", False) and current_user.city_id:
        from health_responder.extensions import db
        from health_responder.reference.models import City

        city = db.session.get(City, current_user.city_id)
        if city is not None:
            return city.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
