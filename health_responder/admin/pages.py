"""The administrator's pages: the menu, users (search, create, deactivate, reset password, revoke
tokens) and reference data (networks, cities, items, topics, providers and their locations).

Every write goes through the owning feature's service (auth, reference, providers), which checks the
role and writes the audit event; these pages are for admins only.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from health_responder.admin import queries
from health_responder.admin.forms import (
    KIND_CHOICES,
    ROLE_CHOICES,
    CityForm,
    ItemForm,
    LocationForm,
    NetworkForm,
    PasswordResetForm,
    ProviderForm,
    TopicForm,
    UserCreateForm,
)
from health_responder.auth import services as auth
from health_responder.auth.models import Role
from health_responder.auth.schemas import UserCreateSchema, UserUpdateSchema
from health_responder.providers import services as providers
from health_responder.providers.schemas import (
    LocationCreateSchema,
    LocationUpdateSchema,
    ProviderCreateSchema,
    ProviderUpdateSchema,
)
from health_responder.reference import services as reference
from health_responder.reference.schemas import (
    CityCreateSchema,
    CityUpdateSchema,
    ItemCreateSchema,
    ItemUpdateSchema,
    NetworkCreateSchema,
    TopicCreateSchema,
    TopicUpdateSchema,
)
from health_responder.web.context import LANGUAGE_NAMES, NAV
from health_responder.web.forms import commit, load, perform, status_of
from health_responder.web.guards import me, roles
from health_responder.web.i18n import ZONES

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")
NAV["admin"].append((_l("Administration"), "admin.index"))


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def _text(value) -> str | None:
    value = (value or "").strip()
    return value or None


def _save(form, action, done: str, target: str, template: str, **context):
    """Load, call the service, commit, flash and go on (web.forms.perform); or show the form again."""
    result, status = perform(form, action, done=done) if form.validate_on_submit() else (None, 400)
    if result is not None:
        return redirect(target)
    return render_template(template, form=form, **context), status_of(form, status)


@bp.get("/")
@roles(Role.ADMIN)
def index():
    """The administrator's own menu."""
    return render_template("admin/index.html")


# --- users ---------------------------------------------------------------------------------------


@bp.get("/users")
@roles(Role.ADMIN)
def users():
    """Users by email or name (a typed % or _ matches itself), optionally of one role."""
    q = request.args.get("q", "").strip()[:200]
    role = request.args.get("role") if request.args.get("role") in set(Role) else None
    return render_template(
        "admin/users.html",
        page=queries.users(q=q, role=role, page=_page()),
        q=q,
        role=role or "",
        tenants=queries.tenant_names(),
    )


def _prepare_user_form(form: UserCreateForm) -> None:
    form.role.choices = ROLE_CHOICES
    form.city_id.choices = [("", "—")] + queries.city_choices()
    form.provider_id.choices = [("", "—")] + queries.provider_choices()
    # Empty: not chosen; the user reads their city's language (else English) until they choose one.
    form.locale.choices = [("", _l("Default: the city's language"))] + [
        (c, LANGUAGE_NAMES.get(c, c)) for c in current_app.config["LANGUAGES"]
    ]


@bp.route("/users/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def new_user():
    """Create a user with a role, a city or provider when the role needs one, and a first password."""
    form = UserCreateForm()
    _prepare_user_form(form)
    if request.method == "GET":
        return render_template("admin/user_new.html", form=form)

    def create():
        payload = {
            "email": (form.email.data or "").strip(),
            "name": (form.name.data or "").strip(),
            "role": form.role.data,
            "city_id": int(form.city_id.data) if form.role.data == Role.CITY and form.city_id.data else None,
            "provider_id": int(form.provider_id.data)
            if form.role.data == Role.PROVIDER and form.provider_id.data
            else None,
            "locale": form.locale.data,
            "password": form.password.data or "",
        }
        return auth.create_user(by=me(), **load(UserCreateSchema, payload))

    return _save(
        form,
        create,
        _("The user %(email)s is created.", email=(form.email.data or "").strip().lower()),
        url_for(".users", q=(form.email.data or "").strip()),
        "admin/user_new.html",
    )


def _user_page(user_id: int, reset: PasswordResetForm | None = None, status: int = 200):
    user = queries.user(user_id=user_id)
    return render_template(
        "admin/user.html",
        user=user,
        tokens=queries.tokens(user=user),
        reset=reset or PasswordResetForm(),
        tenants=queries.tenant_names(),
        now=_now(),
    ), status


def _now():
    from health_responder.db import utcnow

    return utcnow()


@bp.get("/users/<int:user_id>")
@roles(Role.ADMIN)
def user(user_id: int):
    """One user: role, tenant, state, and their tokens."""
    return _user_page(user_id)


@bp.post("/users/<int:user_id>/active")
@roles(Role.ADMIN)
def set_active(user_id: int):
    """Deactivate (ends their sessions and revokes their tokens) or reactivate a user."""
    target = queries.user(user_id=user_id)
    active = request.form.get("active") == "1"
    if target.id == me().id and not active:
        flash(_("You cannot deactivate yourself."), "error")
        return redirect(url_for(".user", user_id=user_id))
    commit(auth.update_user(user=target, by=me(), active=active))
    flash(
        _("%(email)s is active again.", email=target.email)
        if active
        else _("%(email)s is deactivated.", email=target.email),
        "success",
    )
    return redirect(url_for(".user", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
@roles(Role.ADMIN)
def reset_password(user_id: int):
    """Set a new password (ends the user's sessions and revokes their tokens)."""
    target = queries.user(user_id=user_id)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        return _user_page(user_id, form, 400)

    def run():
        return auth.update_user(
            user=target, by=me(), **load(UserUpdateSchema, {"password": form.password.data or ""})
        )

    done, status = perform(form, run)
    if done is None:
        return _user_page(user_id, form, status)
    flash(
        _("The password of %(email)s is reset; their sessions and tokens are ended.", email=target.email),
        "success",
    )
    return redirect(url_for(".user", user_id=user_id))


@bp.post("/users/<int:user_id>/tokens/revoke")
@roles(Role.ADMIN)
def revoke_tokens(user_id: int):
    """Revoke one token of the user (``token_id``) or every one still valid."""
    target = queries.user(user_id=user_id)
    chosen = request.form.get("token_id", type=int)
    revoked = 0
    for token in queries.tokens(user=target):
        if token.revoked_at is None and (chosen is None or token.id == chosen):
            auth.revoke_token(token_id=token.id, by=me())
            revoked += 1
    commit()
    flash(_("Tokens revoked: %(num)d.", num=revoked), "success")
    return redirect(url_for(".user", user_id=user_id))


# --- networks and topics -------------------------------------------------------------------------


@bp.route("/networks", methods=["GET", "POST"])
@roles(Role.ADMIN)
def networks():
    """The regional networks, and a form to add one."""
    form = NetworkForm()
    if request.method == "GET":
        return render_template("admin/networks.html", form=form, networks=queries.networks())
    payload = {"code": (form.code.data or "").strip(), "name": (form.name.data or "").strip()}
    return _save(
        form,
        lambda: reference.create_network(by=me(), **load(NetworkCreateSchema, payload)),
        _("%(name)s is saved.", name=payload["name"]),
        url_for(".networks"),
        "admin/networks.html",
        networks=queries.networks(),
    )


@bp.route("/topics", methods=["GET", "POST"])
@roles(Role.ADMIN)
def topics():
    """The training topics, and a form to add one."""
    form = TopicForm()
    if request.method == "GET":
        return render_template("admin/topics.html", form=form, topics=queries.topics())
    payload = {
        "code": (form.code.data or "").strip(),
        "name": (form.name.data or "").strip(),
        "name_ko": _text(form.name_ko.data),
    }
    return _save(
        form,
        lambda: reference.create_topic(by=me(), **load(TopicCreateSchema, payload)),
        _("%(name)s is saved.", name=payload["name"]),
        url_for(".topics"),
        "admin/topics.html",
        topics=queries.topics(),
    )


@bp.route("/topics/<string:code>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def topic(code: str):
    """Change a training topic's name and Korean name (its code stays: items and programs name it)."""
    found = queries.topic(code=code)
    form = TopicForm(obj=found) if request.method == "GET" else TopicForm()
    if request.method == "GET":
        return render_template("admin/topic.html", form=form, topic=found)
    payload = {"name": (form.name.data or "").strip(), "name_ko": _text(form.name_ko.data)}
    return _save(
        form,
        lambda: reference.update_topic(topic=found, by=me(), **load(TopicUpdateSchema, payload)),
        _("%(name)s is saved.", name=payload["name"]),
        url_for(".topics"),
        "admin/topic.html",
        topic=found,
    )


# --- cities --------------------------------------------------------------------------------------


@bp.get("/cities")
@roles(Role.ADMIN)
def cities():
    """The member cities."""
    return render_template("admin/cities.html", page=queries.cities(page=_page()))


def _city_payload(form: CityForm) -> dict:
    return {
        "name": (form.name.data or "").strip(),
        "country": (form.country.data or "").strip(),
        "network_id": int(form.network_id.data) if (form.network_id.data or "").isdigit() else None,
        "timezone": (form.timezone.data or "").strip(),
        "language": form.language.data or "en",
        "delivery_address": _text(form.delivery_address.data),
        "contact_name": _text(form.contact_name.data),
        "contact_email": _text(form.contact_email.data),
        "contact_phone": _text(form.contact_phone.data),
    }


@bp.route("/cities/new", methods=["GET", "POST"])
@bp.route("/cities/<int:city_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def city(city_id: int | None = None):
    """Add a member city, or change one."""
    found = queries.city(city_id=city_id) if city_id else None
    form = CityForm(obj=found) if request.method == "GET" and found else CityForm()
    form.network_id.choices = queries.network_choices()
    form.language.choices = [(c, LANGUAGE_NAMES.get(c, c)) for c in current_app.config["LANGUAGES"]]
    if request.method == "GET":
        if found:
            form.network_id.data = str(found.network_id)
        else:
            form.timezone.data = "UTC"
        return render_template("admin/city.html", form=form, city=found)
    payload = _city_payload(form)

    def action():
        if found:
            return reference.update_city(city=found, by=me(), **load(CityUpdateSchema, payload))
        return reference.create_city(by=me(), **load(CityCreateSchema, payload))

    return _save(
        form,
        action,
        _("%(name)s is saved.", name=payload["name"]),
        url_for(".cities"),
        "admin/city.html",
        city=found,
    )


# --- items ---------------------------------------------------------------------------------------


@bp.get("/items")
@roles(Role.ADMIN)
def items():
    """The equipment catalogue, searchable by code or name."""
    q = request.args.get("q", "").strip()[:200]
    return render_template("admin/items.html", page=queries.items(q=q, page=_page()), q=q)


@bp.route("/items/new", methods=["GET", "POST"])
@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def item(item_id: int | None = None):
    """Add a catalogue item, or change one (its code stays)."""
    found = queries.item(item_id=item_id) if item_id else None
    form = ItemForm(obj=found) if request.method == "GET" and found else ItemForm()
    form.requires_training.choices = [("", "—")] + queries.topic_choices()
    if request.method == "GET":
        if found:
            form.requires_training.data = found.requires_training or ""
        else:
            form.unit.data = "each"
        return render_template("admin/item.html", form=form, item=found)
    payload = {
        "name": (form.name.data or "").strip(),
        "name_ko": _text(form.name_ko.data),
        "category": (form.category.data or "").strip(),
        "unit": (form.unit.data or "").strip(),
        "requires_cold_chain": bool(form.requires_cold_chain.data),
        "requires_training": form.requires_training.data or None,
        "gtin": _text(form.gtin.data),
        "description": _text(form.description.data),
        "active": bool(form.active.data),
    }
    if not found:
        payload["code"] = (form.code.data or "").strip()

    def action():
        if found:
            return reference.update_item(item=found, by=me(), **load(ItemUpdateSchema, payload))
        return reference.create_item(by=me(), **load(ItemCreateSchema, payload))

    return _save(
        form,
        action,
        _("%(name)s is saved.", name=payload["name"]),
        url_for(".items"),
        "admin/item.html",
        item=found,
    )


# --- providers and their locations ---------------------------------------------------------------


@bp.get("/providers")
@roles(Role.ADMIN)
def providers_list():
    """The solution providers."""
    return render_template("admin/providers.html", page=queries.providers_page(page=_page()))


@bp.route("/providers/new", methods=["GET", "POST"])
@bp.route("/providers/<int:provider_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def provider(provider_id: int | None = None):
    """Add a provider, or change one; its locations are listed under it."""
    found = queries.provider(provider_id=provider_id) if provider_id else None
    form = ProviderForm(data=found) if request.method == "GET" and found else ProviderForm()
    form.network_ids.choices = [(int(i), label) for i, label in queries.network_choices()]
    form.kind.choices = KIND_CHOICES
    if request.method == "GET":
        return render_template("admin/provider.html", form=form, provider=found)
    payload = {
        "name": (form.name.data or "").strip(),
        "country": (form.country.data or "").strip(),
        "kind": form.kind.data,
        "contact_name": _text(form.contact_name.data),
        "contact_email": _text(form.contact_email.data),
        "contact_phone": _text(form.contact_phone.data),
        "description": _text(form.description.data),
        "network_ids": list(form.network_ids.data or []),
    }
    row = queries.provider_row(provider_id=provider_id) if found else None

    def action():
        if row is not None:
            return providers.update_provider(provider=row, by=me(), **load(ProviderUpdateSchema, payload))
        return providers.create_provider(by=me(), **load(ProviderCreateSchema, payload))

    return _save(
        form,
        action,
        _("%(name)s is saved.", name=payload["name"]),
        url_for(".providers_list"),
        "admin/provider.html",
        provider=found,
    )


@bp.route("/providers/<int:provider_id>/locations/new", methods=["GET", "POST"])
@bp.route("/providers/<int:provider_id>/locations/<int:location_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def location(provider_id: int, location_id: int | None = None):
    """Add a stock location to a provider, or change one."""
    owner = queries.provider_row(provider_id=provider_id)
    found = queries.location(provider=owner, location_id=location_id) if location_id else None
    form = LocationForm(obj=found) if request.method == "GET" and found else LocationForm()
    form.timezone.choices = [(zone, zone.replace("_", " ")) for zone in ZONES]
    if request.method == "GET":
        if not found:
            form.country.data = owner.country
        return render_template("admin/location.html", form=form, provider=owner, location=found)
    payload = {
        "name": (form.name.data or "").strip(),
        "address": _text(form.address.data),
        "country": (form.country.data or "").strip(),
        "timezone": form.timezone.data or "UTC",
        "active": bool(form.active.data),
    }

    def action():
        if found:
            return providers.update_location(
                location=found, provider=owner, by=me(), **load(LocationUpdateSchema, payload)
            )
        return providers.create_location(provider=owner, by=me(), **load(LocationCreateSchema, payload))

    return _save(
        form,
        action,
        _("%(name)s is saved.", name=payload["name"]),
        url_for(".provider", provider_id=provider_id),
        "admin/location.html",
        provider=owner,
        location=found,
    )
