"""No lost work: a form refused because the session ended or its CSRF token expired comes back filled.

Such a POST is never answered with a bare 400. What was typed (never a password, a CSRF token or a
file) is kept server-side for FORM_STASH_SECONDS under a random token (``FormStash``: only its SHA-256
is stored), and the browser goes back to the page the form was on with ``?restore=<token>``: at once
when the user is still signed in (an expired token), through the login page (``next``) when the
session ended. On that page every form whose fields the kept values name is filled with them
(``health_responder.forms.PageForm`` reads ``g.restored_form``), and a message says to check and send again.

Only a form sent from a page of this site (its Referer) is brought back; any other refused POST keeps
the plain 400. A stash is bound to the user who posted it (or whom the ended session named); one made with no
session at all is opened by whoever signs in with its token, which only that browser holds.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import MultiDict

from health_responder.db import utcnow
from health_responder.errors import handle_http_exception
from health_responder.extensions import db
from health_responder.web.models import FormStash

#: The query parameter that carries a refused form's stash back to its page (with "it was not sent").
RESTORE = "restore"
#: The query parameter of a form a step filled on the server and handed to its page (post/redirect/get:
#: a scan filling a receipt line), shown without a message of its own.
FILLED = "filled"
STASH = FormStash.__table__
#: Buttons rather than forms: nothing typed to bring back, the person just presses them again.
NOT_KEPT = frozenset({"web.language", "web.logout"})


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _kept(name: str) -> bool:
    """Whether a posted field is worth keeping: never a password, a CSRF token or a button's name."""
    lowered = name.lower()
    return not ("password" in lowered or lowered.endswith("csrf_token") or lowered == "next")


def _same_site(target: str | None) -> str | None:
    """``target`` (a Referer or ``next``) as a path of this site, or None when it points elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        if parts.netloc != request.host:
            return None
        parts = parts._replace(scheme="", netloc="")
    path = urlunsplit(parts)
    # "/\host" and "//host" are read by browsers as another site: only a plain path of ours is kept.
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else None


def _with_restore(path: str, token: str) -> str:
    """``path`` with ``restore=<token>`` in its query (an older one replaced)."""
    parts = urlsplit(path)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != RESTORE]
    return urlunsplit(parts._replace(query=urlencode([*query, (RESTORE, token)])))


def _form_page() -> str | None:
    """The page of ours the refused form was sent from (its Referer), or None.

    Only a form of this site is brought back: a POST from another site (its Origin or Referer names
    another host, or it hides them) gets the plain 400, so nobody can pre-fill a form for someone else.
    """
    origin = request.headers.get("Origin")
    if origin and urlsplit(origin).netloc != request.host:
        return None
    return _same_site(request.referrer)


def _stale_user_id() -> int | None:
    """The user a session names even when it no longer opens pages (its generation was bumped)."""
    if current_user.is_authenticated:
        return current_user.id
    user_id, _sep, _generation = str(session.get("_user_id") or "").partition(".")
    return int(user_id) if user_id.isdigit() else None


def keep(*, fields: list[tuple[str, str]], path: str, user_id: int | None) -> str:
    """Keep ``fields`` (name, value pairs) posted to ``path`` for FORM_STASH_SECONDS; the token that finds them."""
    token, now = secrets.token_urlsafe(24), utcnow()
    db.session.rollback()
    with db.write_session() as writer:
        writer.execute(sa.delete(STASH).where(STASH.c.expires_at < now))
        writer.execute(
            sa.insert(STASH).values(
                token_hash=_token_hash(token),
                user_id=user_id,
                path=path[:2000],
                fields=json.dumps(fields, ensure_ascii=False),
                created_at=now,
                expires_at=now + timedelta(seconds=current_app.config["FORM_STASH_SECONDS"]),
            )
        )
    return token


def kept(*, token: str, user_id: int) -> MultiDict | None:
    """What was kept under ``token`` for ``user_id`` (or for nobody in particular); None when gone or another's."""
    found = db.session.execute(
        sa.select(STASH.c.fields).where(
            STASH.c.token_hash == _token_hash(token),
            STASH.c.expires_at > utcnow(),
            sa.or_(STASH.c.user_id.is_(None), STASH.c.user_id == user_id),
        )
    ).scalar_one_or_none()
    return None if found is None else MultiDict([tuple(pair) for pair in json.loads(found)])


def refused_post():
    """Keep what the refused POST carried and send the browser back to its form (signing in first if the
    session ended); None when there is nothing to bring back (no form page, nothing typed).
    """
    page = _form_page()
    if page is None:
        return None
    # Read who is signed in before keeping: ``keep`` ends the request's database session.
    signed_in, user_id = current_user.is_authenticated, _stale_user_id()
    if request.endpoint == "web.logout" and not signed_in:
        flash(_("You are logged out."), "info")
        return redirect(url_for("web.login"), 303)
    fields = [(name, value) for name, value in request.form.items(multi=True) if _kept(name)]
    if request.endpoint in NOT_KEPT:
        fields = []
    had_files = any(upload.filename for upload in request.files.values())
    if fields:
        page = _with_restore(page, keep(fields=fields, path=request.path, user_id=user_id))
    if had_files:
        flash(_("Files are not kept: choose the file again."), "warning")
    if signed_in:
        if not fields:
            flash(_("The page had expired, so it was not sent: please send it again."), "warning")
        return redirect(page, 303)
    flash(_("Your session has ended, so the form was not sent. Sign in: what you typed is kept."), "warning")
    return redirect(url_for("web.login", next=page), 303)


def handle_csrf_error(error: CSRFError):
    """A form whose CSRF token expired or whose session ended: back to it, filled; the API keeps its 400."""
    if request.path.startswith("/api/") or request.is_json or request.method != "POST":
        return handle_http_exception(error)
    if request.endpoint == "web.login" and _form_page() is not None:
        flash(_("The login page had expired: please sign in again."), "warning")
        return redirect(url_for("web.login", next=_same_site(request.args.get("next"))), 303)
    return refused_post() or handle_http_exception(error)


def carry(*, fields: list[tuple[str, str]], user_id: int, page: str) -> str:
    """``page`` with ``?filled=<token>``: its forms will show ``fields`` (what a form step filled in on the
    server), so that the step can answer with a redirect like any successful POST.
    """
    token = keep(
        fields=[(name, value) for name, value in fields if _kept(name)], path=request.path, user_id=user_id
    )
    parts = urlsplit(page)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != FILLED]
    return urlunsplit(parts._replace(query=urlencode([*query, (FILLED, token)])))


def with_rows(fields: list[tuple[str, str]], *, group: str, field: str, rows: int) -> list[tuple[str, str]]:
    """``fields`` with every row of the repeated ``group`` up to ``rows`` present (an empty ``field`` where a
    row sent nothing), so that the page they fill shows that many rows ("add a line" without the script).
    """
    sent = {name.split("-")[1] for name, _value in fields if name.startswith(f"{group}-")}
    return fields + [(f"{group}-{row}-{field}", "") for row in range(rows) if str(row) not in sent]


def restore_typed_values() -> None:
    """On a page opened with ``?restore=<token>`` (or ``?filled=``), hand its forms the kept values (``g.restored_form``)."""
    refused = request.args.get(RESTORE)
    token = refused or request.args.get(FILLED)
    if not token or request.method != "GET" or not current_user.is_authenticated:
        return
    found = kept(token=token[:100], user_id=current_user.id)
    if found is None:
        flash(
            _(
                "What you typed is no longer kept (it is kept %(minutes)s minutes): please fill in the form again.",
                minutes=current_app.config["FORM_STASH_SECONDS"] // 60,
            ),
            "warning",
        )
        return
    g.restored_form = found
    if refused:
        flash(_("Your form was not sent. What you typed is back: check it and send it again."), "warning")


def register_stash(app: Flask) -> None:
    """Answer refused forms with the form again, filled; and fill the forms of a page opened to restore them."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.before_request(restore_typed_values)
