"""Pages of the knowledge hub's capacity-building material, under /hub/materials.

Anyone, visitors included, lists the material (search words, topic, language), opens a material's page
with its earlier versions and downloads any of its files. Providers and staff add links and PDFs from
the list; a material's owner (the provider that published it) or staff edit it, upload a new version of
its file and delete it from its page. Each POST loads the API's schema and calls the same service as the
API (``web.forms.perform`` puts their messages next to the fields, commits once and flashes what
happened), then redirects.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from health_responder.auth.models import Role
from health_responder.errors import Forbidden, ValidationFailed
from health_responder.materials import queries, services
from health_responder.materials.forms import (
    LinkMaterialForm,
    MaterialEditForm,
    MaterialFilterForm,
    MaterialVersionForm,
    PdfMaterialForm,
)
from health_responder.materials.models import MATERIAL_MAX_BYTES, MaterialKind
from health_responder.materials.schemas import (
    MaterialLinkCreateSchema,
    MaterialListArgsSchema,
    MaterialUpdateSchema,
    MaterialUploadSchema,
)
from health_responder.reference import queries as reference
from health_responder.web.context import LANGUAGE_NAMES, NAV
from health_responder.web.forms import commit, load, perform, show_errors
from health_responder.web.guards import STAFF, is_staff, me, member, public, roles
from health_responder.web.parsing import text

bp = Blueprint("materials_pages", __name__, template_folder="templates", url_prefix="/hub/materials")
EDITORS = (Role.PROVIDER, *STAFF)
#: Pages whose POST carries a PDF, which may be larger than the app-wide body limit.
UPLOADS = {"materials_pages.upload_pdf", "materials_pages.new_version"}

for _role in ("city", "provider", *STAFF):
    NAV[_role].append((_l("Knowledge hub"), "materials_pages.hub"))


@bp.url_value_preprocessor
def _allow_large_uploads(endpoint, _values):
    # The CSRF check reads the form in the first before_request hook: the upload's own limit is set
    # here, before anything reads the body.
    if endpoint in UPLOADS:
        request.max_content_length = MATERIAL_MAX_BYTES + 256 * 1024


def _prepare(form: LinkMaterialForm | PdfMaterialForm) -> None:
    form.provider_id.choices = [("", _("The association")), *queries.providers()]
    form.topic.choices = [("", _("Choose a topic")), *reference.topics_by_name()]


def _payload(form: LinkMaterialForm | PdfMaterialForm) -> dict:
    payload = {
        "title": text(form.title),
        "topic": form.topic.data or None,
        "language": text(form.language),
        "provider_id": form.provider_id.data,
    }
    payload = {key: value for key, value in payload.items() if value is not None}
    return payload | {"description": text(form.description)}


def _filters(topics: list[tuple[str, str]]) -> tuple[MaterialFilterForm, dict]:
    """The filter form and the list's arguments; a bad filter shows its message and filters nothing."""
    filters = MaterialFilterForm(request.args)
    filters.topic.choices = [("", _("Any topic")), *topics]
    languages = queries.material_languages()
    filters.language.choices = [("", _("Any language"))] + [
        (code, LANGUAGE_NAMES.get(code, code)) for code in languages
    ]
    raw = {
        key: value.strip() for key, value in request.args.items() if key in {"q", "topic", "language", "page"}
    }
    try:
        args = MaterialListArgsSchema().load({key: value for key, value in raw.items() if value})
    except ValidationError as error:
        show_errors(filters, error.messages)
        args = {}
    args |= {"page_size": 100}
    return filters, args


def _hub_page(
    status: int = 200, link_form: LinkMaterialForm | None = None, pdf_form: PdfMaterialForm | None = None
):
    topics = reference.topics_by_name()
    filters, args = _filters(topics)
    page = queries.hub_page(args=args)
    forms = {}
    user = member()
    if user is not None and user.role in EDITORS:
        forms = {
            "link_form": link_form or LinkMaterialForm(prefix="link", formdata=None),
            "pdf_form": pdf_form or PdfMaterialForm(prefix="pdf", formdata=None),
        }
        for form in forms.values():
            _prepare(form)
    return render_template(
        "materials/hub.html",
        filters=filters,
        page=page,
        topics=dict(topics),
        providers=dict(queries.providers()),
        link_args={key: args[key] for key in ("q", "topic", "language") if args.get(key)},
        max_mb=MATERIAL_MAX_BYTES // (1024 * 1024),
        staff=is_staff(),
        **forms,
    ), status


@bp.get("")
@public
def hub():
    """Capacity-building material by topic and language, searchable; providers and staff add links and PDFs."""
    return _hub_page()


def _added(form: LinkMaterialForm | PdfMaterialForm, add, form_name: str):
    """Run the add, then the new material's page; or the list again with ``form_name`` refused."""
    material, status = perform(
        form, add, done=lambda material: _("%(title)s is in the knowledge hub.", title=material.title)
    )
    if material is None:
        return _hub_page(status, **{form_name: form})
    return redirect(url_for(".material", material_id=material.id))


@bp.post("/links")
@roles(*EDITORS)
def add_link():
    """Publish a link on a topic."""
    form = LinkMaterialForm(prefix="link")
    _prepare(form)
    if not form.validate_on_submit():
        return _hub_page(422, link_form=form)
    payload = _payload(form) | ({"url": text(form.url)} if text(form.url) else {})

    return _added(
        form,
        lambda: services.create_link_material(by=me(), **load(MaterialLinkCreateSchema, payload)),
        "link_form",
    )


def _chosen_file(upload):
    if upload is None or not upload.filename:
        raise ValidationFailed(_l("Choose a PDF file."), {"file": [_l("Missing data for required field.")]})
    return upload


@bp.post("/pdfs")
@roles(*EDITORS)
def upload_pdf():
    """Upload a PDF on a topic (the service checks its %PDF header and size, not the browser's content type)."""
    form = PdfMaterialForm(prefix="pdf")
    _prepare(form)
    if not form.validate_on_submit():
        return _hub_page(422, pdf_form=form)
    payload = _payload(form)

    def run():
        data = load(MaterialUploadSchema, payload)
        upload = _chosen_file(form.file.data)
        return services.create_pdf_material(
            by=me(), stream=upload.stream, file_name=upload.filename, content_type=upload.mimetype, **data
        )

    return _added(form, run, "pdf_form")


def _material_page(material_id: int, status: int = 200, version_form: MaterialVersionForm | None = None):
    material = queries.get_material(material_id=material_id)
    user = member()
    may_change = services.may_change(material, user)
    if may_change and version_form is None and material.kind == MaterialKind.PDF:
        version_form = MaterialVersionForm(formdata=None)
    return render_template(
        "materials/material.html",
        mat=queries.material_page(material=material, member=user is not None),
        may_change=may_change,
        version_form=version_form,
        max_mb=MATERIAL_MAX_BYTES // (1024 * 1024),
    ), status


@bp.get("/<int:material_id>")
@public
def material(material_id: int):
    """A material: its description, current file or link, earlier versions; its owner's and staff's tools."""
    return _material_page(material_id)


def _owned(material_id: int):
    """The material, if the logged-in user may change it (else 403, as the service would answer)."""
    found = queries.get_material(material_id=material_id)
    if not services.may_change(found, me()):
        raise Forbidden(services.NOT_OWNER)
    return found


@bp.route("/<int:material_id>/edit", methods=["GET", "POST"])
@roles(*EDITORS)
def edit(material_id: int):
    """Change a material's title, topic, language, description or a link's address (its owner or staff)."""
    found = _owned(material_id)
    form = MaterialEditForm(obj=found) if request.method == "GET" else MaterialEditForm()
    form.topic.choices = reference.topics_by_name()
    is_link = found.kind == MaterialKind.LINK

    def page(status: int = 200):
        return render_template("materials/edit.html", form=form, mat=found, is_link=is_link), status

    if request.method == "GET":
        return page()
    if not form.validate_on_submit():
        return page(422)
    payload = {
        "title": text(form.title) or "",
        "topic": form.topic.data or "",
        "language": text(form.language) or "",
        "description": text(form.description),
    }
    if is_link:
        payload["url"] = text(form.url) or ""
    done, status = perform(
        form,
        lambda: services.update_material(material=found, by=me(), **load(MaterialUpdateSchema, payload)),
        done=lambda changed: _("%(title)s is saved.", title=changed.title),
    )
    if done is None:
        return page(status)
    return redirect(url_for(".material", material_id=material_id))


@bp.post("/<int:material_id>/versions")
@roles(*EDITORS)
def new_version(material_id: int):
    """Upload a new file for a PDF material; the earlier ones stay listed and downloadable."""
    found = _owned(material_id)
    form = MaterialVersionForm()
    if not form.validate_on_submit():
        return _material_page(material_id, 422, form)

    def run():
        upload = _chosen_file(form.file.data)
        return services.add_version(
            material=found,
            by=me(),
            stream=upload.stream,
            file_name=upload.filename,
            content_type=upload.mimetype,
        )

    version, status = perform(
        form,
        run,
        done=lambda version: _(
            "Version %(n)s of %(title)s is uploaded.", n=version.number, title=found.title
        ),
    )
    if version is None:
        return _material_page(material_id, status, form)
    return redirect(url_for(".material", material_id=material_id))


@bp.post("/<int:material_id>/delete")
@roles(*EDITORS)
def delete(material_id: int):
    """Delete a material and its versions (its owner or staff)."""
    found = _owned(material_id)
    title = found.title
    services.delete_material(material=found, by=me())
    commit()
    flash(_("%(title)s is deleted from the knowledge hub.", title=title), "info")
    return redirect(url_for(".hub"))


def _send(path, name: str):
    return send_file(path, mimetype="application/pdf", download_name=name, max_age=0)


@bp.get("/<int:material_id>/file")
@public
def material_file(material_id: int):
    """The current PDF of a material."""
    found = queries.get_material(material_id=material_id)
    return _send(services.material_file(found), found.file_name or f"material-{found.id}.pdf")


@bp.get("/<int:material_id>/versions/<int:number>/file")
@public
def version_file(material_id: int, number: int):
    """The PDF of one version of a material."""
    version = queries.get_version(material=queries.get_material(material_id=material_id), number=number)
    return _send(services.version_file(version), f"v{version.number}-{version.file_name}")
