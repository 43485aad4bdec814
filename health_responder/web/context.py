"""Template helpers shared by every page."""

from flask import Flask, current_app
from flask_babel import format_decimal, format_percent, get_locale
from flask_login import current_user

LANGUAGE_NAMES = {"en": "English", "ko": "한국어", "ja": "日本語", "zh": "中文", "ru": "Русский", "fr": "Français"}

#: Extra navigation per role: features append (label, endpoint) pairs at import.
NAV: dict[str, list[tuple[str, str]]] = {"city": [], "provider": [], "coordinator": [], "admin": []}


def register_context(app: Flask) -> None:
    """Expose the language list, the current locale and the navigation to templates."""

    app.add_template_filter(lambda value: format_decimal(value or 0), "format_number")
    app.add_template_filter(lambda value: format_percent(value or 0), "format_percent")

    @app.context_processor
    def _helpers():
        return {
            "current_locale": lambda: str(get_locale() or "en"),
            "language_choices": lambda: [(c, LANGUAGE_NAMES.get(c, c)) for c in current_app.config["LANGUAGES"]],
            "nav_links": lambda: NAV.get(getattr(current_user, "role", ""), []),
        }
