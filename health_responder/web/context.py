"""Template helpers shared by every page: navigation and dashboard panels per role, labels, filters.

Features add their navigation links (``NAV``) and dashboard panels (``register_panel``) when their
``pages`` module is imported. Dates, times and numbers go through Flask-Babel in the chosen locale;
every state, priority and reason has one translated label, in ``health_responder.labels``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from flask import Flask, current_app, request
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
    get_timezone,
    ngettext,
)
from flask_babel import gettext as _
from flask_login import current_user

from health_responder.db import utcnow
from health_responder.labels import check_label, count_label, label
from health_responder.names import local_name
from health_responder.web.forms import error_entries, error_summary
from health_responder.web.guards import is_staff

LANGUAGE_NAMES = {
    "en": "English",
    "ko": "한국어",
    "ja": "日本語",
    "zh": "中文",
    "ru": "Русский",
    "fr": "Français",
}

#: Extra navigation per role: features append (label, endpoint) pairs at import.
NAV: dict[str, list[tuple[str, str]]] = {"city": [], "provider": [], "coordinator": [], "admin": []}


@dataclass(frozen=True)
class Panel:
    """One box of a dashboard: its template and the function that reads its data for the user."""

    template: str
    load: Callable[[object], dict]
    order: int = 50


#: Sections of the public home (``/`` for visitors): features add ``name → load()`` at import, as they
#: add dashboard panels, so the shared web pages import no feature.
HOME: dict[str, Callable[[], object]] = {}


def register_home(name: str, load: Callable[[], object]) -> None:
    """Show the section ``name`` on the public home; ``load()`` gives its data."""
    HOME[name] = load


#: The features that own tenants say whose a user is: ``load(user)`` → the user's city or provider (its
#: name heads the dashboard), or None.
TENANTS: list[Callable[[object], object | None]] = []

#: Dashboard panels per role, in the order they are shown.
PANELS: dict[str, list[Panel]] = {"city": [], "provider": [], "coordinator": [], "admin": []}


def register_panel(
    roles: tuple[str, ...], template: str, load: Callable[[object], dict], order: int = 50
) -> None:
    """Show ``template`` on the dashboards of ``roles``; ``load(user)`` gives the template its data."""
    for role in roles:
        if all(panel.template != template for panel in PANELS[role]):
            PANELS[role].append(Panel(template, load, order))
            PANELS[role].sort(key=lambda panel: panel.order)


def localdate(value) -> str:
    """A date (or the date of a datetime) in the chosen locale's medium format."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return format_date(value, "medium")


def localdatetime(value) -> str:
    """A datetime in the user's timezone and the chosen locale, with its offset ("… 2:30 PM GMT+09:00";
    "UTC" for UTC), so nobody has to guess which clock a time was read on.
    """
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    zone = "UTC" if str(get_timezone()) in ("UTC", "Etc/UTC") else format_datetime(value, "ZZZZ")
    return f"{format_datetime(value, 'medium')} {zone}"


def days_left(needed_by) -> int:
    """Whole days from today (UTC, as the services judge it) to ``needed_by``; negative when past."""
    if isinstance(needed_by, str):
        needed_by = date.fromisoformat(needed_by)
    return (needed_by - utcnow().date()).days


def countdown(needed_by) -> str:
    """Say how far the date is, in the chosen language: "Due in 3 days", "Due today", "2 days overdue"."""
    if needed_by is None:
        return ""
    days = days_left(needed_by)
    if days == 0:
        return _("Due today")
    if days > 0:
        return ngettext("Due in %(num)d day", "Due in %(num)d days", days)
    return ngettext("%(num)d day overdue", "%(num)d days overdue", -days)


def register_context(app: Flask) -> None:
    """Expose the language list, the current locale, the navigation and the filters to templates."""
    app.add_template_filter(lambda value: format_decimal(value or 0), "format_number")
    app.add_template_filter(lambda value: format_percent(value or 0), "format_percent")
    app.add_template_filter(localdate, "format_date")
    app.add_template_filter(localdatetime, "format_datetime")
    app.add_template_filter(label, "label")
    app.add_template_filter(local_name, "local_name")
    app.add_template_filter(check_label, "check_label")
    app.add_template_filter(count_label, "count_label")
    app.add_template_filter(countdown, "countdown")
    app.add_template_filter(days_left, "days_left")
    app.add_template_filter(lambda tag: LANGUAGE_NAMES.get(tag, tag) if tag else "", "language_name")

    @app.context_processor
    def _helpers():
        return {
            "current_locale": lambda: str(get_locale() or "en"),
            "language_choices": lambda: [
                (c, LANGUAGE_NAMES.get(c, c)) for c in current_app.config["LANGUAGES"]
            ],
            "nav_links": lambda: NAV.get(getattr(current_user, "role", ""), []),
            "current_endpoint": lambda: request.endpoint or "",
            "error_entries": error_entries,
            "error_summary": error_summary,
            # the roles of the association are auth.models.STAFF, never spelled out in a template
            "is_staff": is_staff,
        }
