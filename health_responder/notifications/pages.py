"""The inbox of every role: the bell in the header, messages newest first, mark one or all read."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user

from health_responder.notifications import queries, services
from health_responder.web.forms import commit
from health_responder.web.guards import me, roles

bp = Blueprint("notifications_pages", __name__, template_folder="templates")


@bp.app_context_processor
def _bell() -> dict:
    """The unread count for the bell of the header (read when a page asks for it)."""

    def unread() -> int:
        return queries.unread_count(user=me()) if current_user.is_authenticated else 0

    return {"unread_notifications": unread}


@bp.get("/notifications")
@roles()
def inbox():
    """The user's messages, newest first, unread ones marked; ``?unread=1`` shows only those."""
    only_unread = request.args.get("unread") == "1"
    try:
        page_number = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page_number = 1
    args = {"page": page_number, "page_size": 25}
    if only_unread:
        args["unread"] = True
    page = queries.list_own(user=me(), args=args)
    return render_template(
        "notifications/inbox.html",
        page=page,
        only_unread=only_unread,
        link_of=queries.safe_link,
        args={"unread": "1"} if only_unread else {},
    )


@bp.post("/notifications/<int:notification_id>/read")
@roles()
def read(notification_id: int):
    """Mark one message read; with ``open=1`` go on to what it is about."""
    notification = commit(
        services.mark_read(notification=queries.own(user=me(), notification_id=notification_id), by=me())
    )
    target = queries.safe_link(link=notification.link) if request.form.get("open") == "1" else None
    return redirect(target or url_for(".inbox"))


@bp.post("/notifications/read-all")
@roles()
def read_all():
    """Mark every unread message read."""
    marked = commit(services.mark_all_read(user=me()))
    flash(ngettext("%(num)d message marked read.", "%(num)d messages marked read.", marked), "success")
    return redirect(url_for(".inbox"))
