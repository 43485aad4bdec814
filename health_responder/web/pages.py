"""Login, logout, the dashboard each role lands on, and the language switch."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user

from health_responder.auth import services as auth
from health_responder.auth.limits import limit_failed_logins
from health_responder.web.context import HOME, LANGUAGE_NAMES, PANELS, TENANTS
from health_responder.web.forms import LoginForm, commit
from health_responder.web.guards import public

bp = Blueprint("web", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.get("/")
def index():
    """The public home for visitors; a logged-in user lands on their dashboard."""
    if current_user.is_authenticated:
        return redirect(url_for("web.dashboard"))
    return render_template("web/home.html", **{name: load() for name, load in HOME.items()})


@bp.get("/favicon.ico")
@public
def favicon():
    """The site's icon where a browser asks for it unprompted (a PDF, a JSON answer: no page links it there)."""
    icon = Path(current_app.static_folder, "favicon.svg").read_bytes()  # 200 bytes: no file left open
    response = make_response(icon)
    response.mimetype, response.cache_control.max_age = "image/svg+xml", 86400
    return response


@bp.route("/login", methods=["GET", "POST"])
@limit_failed_logins
def login():
    """The login form; failed attempts are rate limited per account and address."""
    form = LoginForm()
    if form.validate_on_submit():
        user = auth.authenticate(email=form.email.data, password=form.password.data)
        if user is not None:
            # A new session: nothing of the anonymous one survives, the CSRF token included.
            locale = session.get("locale") or user.locale
            session.clear()
            session.permanent = True  # PERMANENT_SESSION_LIFETIME bounds an idle session
            login_user(user)
            session["locale"] = locale
            flash(_("Welcome, %(name)s.", name=user.name or user.email), "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("web.dashboard"))
        form.password.errors.append(_("Wrong email or password."))
        response = make_response(render_template("web/login.html", form=form), 401)
        response.headers["X-Login-Failed"] = "1"
        return response
    status = 400 if request.method == "POST" else 200
    return render_template("web/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """End the session (a POST with the CSRF token, so no link can log someone out).

    The cookie is signed, not stored: bumping the generation ends every copy of it (and the user's
    other page sessions; API tokens are untouched).
    """
    auth.end_sessions(user=current_user._get_current_object(), revoke_tokens=False)
    commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("web.login"))


@bp.get("/dashboard")
@login_required
def dashboard():
    """The landing page of each role; it names the user's city or provider."""
    user = current_user._get_current_object()
    tenant = next((found for load in TENANTS if (found := load(user)) is not None), None)
    panels = [(panel.template, panel.load(user)) for panel in PANELS.get(user.role, [])]
    return render_template("web/dashboard.html", tenant=tenant, panels=panels)


@bp.post("/language")
def language():
    """Remember the chosen language in the session (and on the user)."""
    chosen = request.form.get("locale", "")
    if chosen in current_app.config["LANGUAGES"]:
        session["locale"] = chosen
        if current_user.is_authenticated:
            current_user.locale = chosen
            commit()
        refresh()  # the message below in the language just chosen
        flash(_("The language is now %(name)s.", name=LANGUAGE_NAMES.get(chosen, chosen)), "info")
    return redirect(_safe_next(request.form.get("next")) or url_for("web.index"))
