"""Template helpers shared by every page: navigation and dashboard panels per role, labels, filters.

Features add their navigation links (``NAV``) and dashboard panels (``register_panel``) when their
``pages`` module is imported. Dates, times and numbers go through Flask-Babel in the chosen locale;
every state, priority and reason has one translated label here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from flask import Flask, current_app, request
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from health_responder.db import utcnow

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


#: One translated label for every state, priority, reason and kind the pages show.
LABELS: dict[str, object] = {
    # request states
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "approved": _l("Approved"),
    "partially_allocated": _l("Partially allocated"),
    "allocated": _l("Allocated"),
    "partially_dispatched": _l("Partially dispatched"),
    "dispatched": _l("Dispatched"),
    "delivered": _l("Delivered"),
    "closed": _l("Closed"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
    # dispatch, allocation, lot, enrolment, program, alert and job states
    "prepared": _l("Prepared"),
    "shipped": _l("Shipped"),
    "received": _l("Received"),
    "reserved": _l("Reserved"),
    "released": _l("Released"),
    "available": _l("Available"),
    "quarantined": _l("Quarantined"),
    "recalled": _l("Recalled"),
    "enrolled": _l("Enrolled"),
    "waitlisted": _l("Waitlisted"),
    "attended": _l("Attended"),
    "completed": _l("Completed"),
    "no_show": _l("No-show"),
    "published": _l("Published"),
    "open": _l("Open"),
    "resolved": _l("Resolved"),
    "running": _l("Running"),
    "succeeded": _l("Succeeded"),
    "failed": _l("Failed"),
    "abandoned": _l("Abandoned"),
    # priorities
    "critical": _l("Critical"),
    "high": _l("High"),
    "normal": _l("Normal"),
    "low": _l("Low"),
    # rejection and adjustment reasons
    "damaged": _l("Damaged"),
    "expired": _l("Expired"),
    "wrong_item": _l("Wrong item"),
    "lost": _l("Lost"),
    "other": _l("Other"),
    "found": _l("Found"),
    "recount": _l("Recount"),
    "correction": _l("Correction"),
    "donation": _l("Donation"),
    # roles, modes, alert kinds, severities
    "city": _l("City"),
    "provider": _l("Provider"),
    "coordinator": _l("Coordinator"),
    "admin": _l("Administrator"),
    "online": _l("Online"),
    "onsite": _l("On site"),
    "overdue_request": _l("Overdue request"),
    "low_stock": _l("Low stock"),
    "near_expiry": _l("Lot near expiry"),
    "readiness_gap": _l("Training readiness gap"),
    "warning": _l("Warning"),
    "info": _l("Information"),
    # movement kinds
    "receipt": _l("Receipt"),
    "adjustment": _l("Adjustment"),
    "reservation": _l("Reservation"),
    "release": _l("Release"),
    "dispatch": _l("Dispatch"),
    "return": _l("Return"),
    "expiry_writeoff": _l("Expiry write-off"),
    # what started a job run
    "schedule": _l("Schedule"),
    "manual": _l("Manual"),
    "cli": _l("Command line"),
}

#: What each scheduled check does, in the reader's language.
CHECK_LABELS: dict[str, object] = {
    "auto_allocate": _l("Allocate stock to approved requests"),
    "overdue_requests": _l("Find overdue requests"),
    "low_stock": _l("Find low stock"),
    "near_expiry": _l("Find lots near expiry"),
    "readiness_gaps": _l("Find training readiness gaps"),
    "training_reminders": _l("Send training reminders"),
    "send_notifications": _l("Send notifications"),
    "monthly_statistics": _l("Publish the monthly statistics report"),
}


def label(value) -> str:
    """The translated label of a state, priority, reason or kind (the value itself when unknown)."""
    if value is None:
        return ""
    found = LABELS.get(str(value))
    return str(found) if found is not None else str(value)


def check_label(name: str) -> str:
    """The translated description of a scheduled check."""
    found = CHECK_LABELS.get(name)
    return str(found) if found is not None else name


def localdate(value) -> str:
    """A date (or the date of a datetime) in the chosen locale's medium format."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return format_date(value, "medium")


def localdatetime(value) -> str:
    """A datetime in the user's timezone and the chosen locale."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_datetime(value, "medium")


def days_left(needed_by) -> int:
    """Whole days from today (UTC, as the services judge it) to ``needed_by``; negative when past."""
    if isinstance(needed_by, str):
        needed_by = date.fromisoformat(needed_by)
    return (needed_by - utcnow().date()).days


def countdown(needed_by) -> str:
    """ "Due in 3 days", "Due today", "2 days overdue" in the chosen language."""
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
    app.add_template_filter(check_label, "check_label")
    app.add_template_filter(countdown, "countdown")
    app.add_template_filter(days_left, "days_left")

    @app.context_processor
    def _helpers():
        return {
            "current_locale": lambda: str(get_locale() or "en"),
            "language_choices": lambda: [
                (c, LANGUAGE_NAMES.get(c, c)) for c in current_app.config["LANGUAGES"]
            ],
            "nav_links": lambda: NAV.get(getattr(current_user, "role", ""), []),
            "current_endpoint": lambda: request.endpoint or "",
        }
