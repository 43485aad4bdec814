"""The profile page of every user: name and language, password change (the current one required),
and their API tokens (create, see expiry, revoke).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_timezone, refresh
from flask_babel import gettext as _
from flask_login import login_user

from health_responder.auth import queries, services
from health_responder.auth.schemas import UserUpdateSchema
from health_responder.db import utcnow
from health_responder.profile.forms import PasswordChangeForm, ProfileForm, TokenForm
from health_responder.web.context import LANGUAGE_NAMES
from health_responder.web.forms import commit, load, perform, status_of
from health_responder.web.guards import me, roles
from health_responder.web.i18n import ZONES, city_language, default_timezone

bp = Blueprint("profile", __name__, template_folder="templates")
#: The session key that carries a new token's text to the one page that shows it.
NEW_TOKEN = "new_api_token"


def _zone_choices(form: ProfileForm) -> None:
    default = default_timezone(me())
    form.timezone.choices = [("", _("Default: %(zone)s", zone=default))] + [
        (zone, zone.replace("_", " ")) for zone in ZONES
    ]


def _language_choices(form) -> None:
    """The languages, after "Default: <the city's language>" (empty: not chosen, it follows the city)."""
    default = city_language(me()) or "en"
    form.locale.choices = [
        ("", _("Default: %(language)s", language=LANGUAGE_NAMES.get(default, default)))
    ] + [(c, LANGUAGE_NAMES.get(c, c)) for c in current_app.config["LANGUAGES"]]


def _render(profile=None, password=None, token_form=None, new_token=None, status=200):
    user = me()
    profile = profile or ProfileForm(
        data={"name": user.name, "locale": user.locale, "timezone": user.timezone or ""}
    )
    _language_choices(profile)
    _zone_choices(profile)
    response = render_template(
        "profile/profile.html",
        user=user,
        profile=profile,
        password=password or PasswordChangeForm(),
        token_form=token_form or TokenForm(prefix="token"),
        tokens=queries.tokens_of(user=user),
        new_token=new_token,
        now=utcnow(),
        lifetime=current_app.config["TOKEN_LIFETIME_DAYS"],
        timezone=str(get_timezone()),
    )
    return response, status, {"Cache-Control": "no-store"}


@bp.get("/profile")
@roles()
def profile():
    """The user's own profile (with a token just issued, once)."""
    return _render(new_token=session.pop(NEW_TOKEN, None))


@bp.post("/profile")
@roles()
def save_profile():
    """Change the name and the language of pages and messages."""
    form = ProfileForm()
    _language_choices(form)
    _zone_choices(form)
    if not form.validate_on_submit():
        return _render(profile=form, status=status_of(form, 400))
    payload = {
        "name": (form.name.data or "").strip(),
        "locale": form.locale.data,
        "timezone": form.timezone.data or None,
    }

    user, status = perform(
        form, lambda: services.update_user(user=me(), by=me(), **load(UserUpdateSchema, payload))
    )
    if user is None:
        return _render(profile=form, status=status)
    session["locale"] = user.locale
    refresh()
    flash(_("Your profile is saved."), "success")
    return redirect(url_for(".profile"))


@bp.post("/profile/password")
@roles()
def change_password():
    """Change the password: the current one is required; every other session and token ends."""
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _render(password=form, status=400)

    def run():
        return services.change_password(
            user=me(), old_password=form.old_password.data or "", new_password=form.new_password.data or ""
        )

    user, status = perform(form, run)
    if user is None:
        return _render(password=form, status=status)
    login_user(user)  # this session carries on under the new generation; the others have ended
    flash(_("Your password is changed; your other sessions and your API tokens have ended."), "success")
    return redirect(url_for(".profile"))


@bp.post("/profile/tokens")
@roles()
def create_token():
    """Issue a new API token; its text is shown once, on the profile page this answer redirects to.

    The text rides in the session for that one redirect and is removed as it is shown (never stored in
    the database, never flashed): the session's holder could issue a token anyway, and a reload or Back
    neither shows it again nor issues another.
    """
    form = TokenForm(prefix="token")
    if not form.validate_on_submit():
        return _render(token_form=form, status=400)
    name = (form.name.data or "").strip()
    if len(name) > 100:
        form.name.errors = [_("At most 100 characters.")]
        return _render(token_form=form, status=422)
    _row, token = commit(services.issue_token(user=me(), name=name or "api"))
    session[NEW_TOKEN] = token
    return redirect(url_for(".profile"), 303)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@roles()
def revoke_token(token_id: int):
    """Revoke one of the user's own tokens (another's answers 404)."""
    commit(services.revoke_token(token_id=token_id, by=_only_self()))
    flash(_("The token is revoked."), "success")
    return redirect(url_for(".profile"))


def _only_self():
    """The caller as an owner of tokens: on this page even an admin revokes only their own."""
    user = me()
    if any(t.id == request.view_args["token_id"] for t in queries.tokens_of(user=user)):
        return user
    from health_responder.errors import NotFound

    raise NotFound(_("No such token."))
