"""Pages of the knowledge hub: materials by topic and language, with forms to add a link or upload a PDF.

Each POST loads the API's schema and calls the same service as the API (``web.forms.perform`` puts
their messages next to the fields, commits once and flashes what happened), then redirects. The page keeps
its address under /training/ (it began as a part of training); it is this feature's all the same.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from health_responder.auth.models import Role
from health_responder.errors import ValidationFailed
from health_responder.materials import queries, services
from health_responder.materials.forms import LinkMaterialForm, MaterialFilterForm, PdfMaterialForm
from health_responder.materials.models import MATERIAL_MAX_BYTES
from health_responder.materials.schemas import MaterialLinkCreateSchema, MaterialUploadSchema
from health_responder.web.context import LANGUAGE_NAMES, NAV
from health_responder.web.forms import load, perform
from health_responder.web.guards import STAFF, is_staff, me, roles
from health_responder.web.parsing import link_args, page_number, text

bp = Blueprint("materials_pages", __name__, template_folder="templates")
EDITORS = (Role.PROVIDER, *STAFF)

for _role in ("city", "provider", *STAFF):
    NAV[_role].append((_l("Knowledge hub"), "materials_pages.hub"))


@bp.url_value_preprocessor
def _allow_large_uploads(endpoint, _values):
    # A PDF material may be larger than the app-wide body limit. The CSRF check reads the form in the
    # first before_request hook, so the upload's own limit is set here, before anything reads the body.
    if endpoint == "materials_pages.upload_pdf":
        request.max_content_length = MATERIAL_MAX_BYTES + 256 * 1024


def _prepare(form: LinkMaterialForm | PdfMaterialForm) -> None:
    form.provider_id.choices = [("", _("The association")), *queries.providers()]
    form.topic.choices = [("", _("Choose a topic")), *queries.topics()]


def _payload(form: LinkMaterialForm | PdfMaterialForm) -> dict:
    payload = {
        "title": text(form.title),
        "topic": form.topic.data or None,
        "language": text(form.language),
        "provider_id": form.provider_id.data,
    }
    payload = {key: value for key, value in payload.items() if value is not None}
    return payload | {"description": text(form.description)}


def _hub_page(
    status: int = 200, link_form: LinkMaterialForm | None = None, pdf_form: PdfMaterialForm | None = None
):
    topics = queries.topics()
    filters = MaterialFilterForm(request.args)
    filters.topic.choices = [("", _("Any topic")), *topics]
    languages = queries.material_languages()
    filters.language.choices = [("", _("Any language"))] + [
        (code, LANGUAGE_NAMES.get(code, code)) for code in languages
    ]
    args = {
        "page": page_number(),
        "page_size": 100,
        "topic": filters.topic.data or None,
        "language": filters.language.data if filters.language.data in languages else None,
    }
    page = queries.hub_page(args)
    forms = {}
    if me().role in EDITORS:
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
        language_names=LANGUAGE_NAMES,
        link_args=link_args(),
        max_mb=MATERIAL_MAX_BYTES // (1024 * 1024),
        staff=is_staff(),
        **forms,
    ), status


@bp.get("/training/materials")
@roles()
def hub():
    """The knowledge hub: materials by topic and language; providers and staff add links and PDFs."""
    return _hub_page()


def _added(form: LinkMaterialForm | PdfMaterialForm, add, form_name: str):
    """Run the add, then back to the hub on the material's topic; or the hub again with ``form_name`` refused."""
    material, status = perform(
        form, add, done=lambda material: _("%(title)s is in the knowledge hub.", title=material.title)
    )
    if material is None:
        return _hub_page(status, **{form_name: form})
    return redirect(url_for(".hub", topic=material.topic))


@bp.post("/training/materials/links")
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


@bp.post("/training/materials/pdfs")
@roles(*EDITORS)
def upload_pdf():
    """Upload a PDF on a topic (the service checks its type, header and size)."""
    form = PdfMaterialForm(prefix="pdf")
    _prepare(form)
    if not form.validate_on_submit():
        return _hub_page(422, pdf_form=form)
    payload = _payload(form)
    upload = form.file.data

    def run():
        data = load(MaterialUploadSchema, payload)
        if upload is None or not upload.filename:
            raise ValidationFailed(
                _l("Choose a PDF file."), {"file": [_l("Missing data for required field.")]}
            )
        return services.create_pdf_material(
            by=me(), stream=upload.stream, file_name=upload.filename, content_type=upload.mimetype, **data
        )

    return _added(form, run, "pdf_form")


@bp.get("/training/materials/<int:material_id>/file")
@roles()
def material_file(material_id: int):
    """The PDF of a material (the hub is readable by every role)."""
    material = queries.get_material(material_id)
    return send_file(
        services.material_file(material),
        mimetype="application/pdf",
        download_name=material.file_name or f"material-{material.id}.pdf",
        max_age=0,
    )
