"""Pages of the Data Portal's publications: the searchable list and each publication (public), and
the form with which coordinators publish a link or a PDF.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from health_responder import languages
from health_responder.db import utc_today
from health_responder.documents.responses import pdf_response
from health_responder.extensions import db
from health_responder.publications import queries, report, services
from health_responder.publications.forms import PublicationForm, PublicationSearchForm
from health_responder.publications.models import PUBLICATION_MAX_BYTES
from health_responder.publications.schemas import PublicationListArgsSchema, PublicationUploadSchema
from health_responder.reference import queries as reference
from health_responder.schemas import PageArgsSchema
from health_responder.storage import stored_file
from health_responder.web.context import register_home
from health_responder.web.forms import attempt, commit, load
from health_responder.web.guards import STAFF, is_staff, me, member, public, roles

bp = Blueprint("publications", __name__, template_folder="templates", url_prefix="/portal/publications")

register_home("publications", lambda: queries.recent(limit=4))

KIND_LABELS = {
    "finding": _l("Findings with partners"),
    "research": _l("Research"),
    "statistics": _l("Statistics report"),
}


@bp.url_value_preprocessor
def _allow_large_uploads(endpoint, _values):
    # The CSRF check reads the form in the first before_request hook: the upload's limit is set first.
    if endpoint == "publications.new" and request.method == "POST":
        request.max_content_length = PUBLICATION_MAX_BYTES + 256 * 1024


def _search_form() -> tuple[PublicationSearchForm, dict]:
    form = PublicationSearchForm(request.args)
    choices = queries.filter_choices()
    form.kind.choices = [("", _("Any kind"))] + [(k, str(v)) for k, v in KIND_LABELS.items()]
    form.topic.choices = [("", _("Any topic"))] + [(code, name) for code, name in choices["topics"]]
    form.network.choices = [("", _("Any network"))] + [(code, code) for code in choices["networks"]]
    raw = {
        k: v for k, v in request.args.items() if v != "" and k in {"q", "kind", "topic", "network", "page"}
    }
    try:
        args = PublicationListArgsSchema().load(raw)
    except ValidationError as error:
        for name, messages in error.messages.items():
            field = getattr(form, name, None)
            if field is not None:
                field.errors = list(messages)
        args = PageArgsSchema().load({})
    return form, args


@bp.get("/")
@public
def index():
    """Findings with partners, research and the monthly statistics reports: search and filters."""
    form, args = _search_form()
    page = queries.list_publications(args=args)
    link_args = {k: v for k, v in args.items() if k in {"q", "kind", "topic", "network"}}
    return render_template(
        "publications/index.html",
        form=form,
        page=page,
        link_args=link_args,
        kinds=KIND_LABELS,
        staff=is_staff(),
    )


@bp.get("/<int:publication_id>")
@public
def detail(publication_id: int):
    """One publication: its summary, partners, topics, networks and its link or PDF."""
    found = queries.view(publication=queries.get_publication(publication_id=publication_id))
    return render_template(
        "publications/detail.html",
        pub=found,
        kinds=KIND_LABELS,
        staff=is_staff(),
        topic_names=reference.topic_names(),
    )


@bp.get("/<int:publication_id>/file")
@public
def file(publication_id: int):
    """The publication's PDF; a statistics report in ``?lang=``, else the page's language."""
    publication = queries.get_publication(publication_id=publication_id)
    if not publication.file_path:
        abort(404)
    language = languages.chosen(asked=request.args.get("lang"), default=str(get_locale() or "en"))
    if report.wants_copy(publication=publication, language=language):
        db.begin_write()
        document, content = report.statistics_copy(publication=publication, language=language, by=member())
        return commit(pdf_response(document, content))
    return send_file(
        stored_file(publication.file_path),
        mimetype="application/pdf",
        download_name=publication.file_name or f"publication-{publication.id}.pdf",
        max_age=0,
    )


def _prepare(form: PublicationForm) -> None:
    choices = queries.filter_choices()
    form.kind.choices = [(k, str(KIND_LABELS[k])) for k in ("finding", "research")]
    form.topics.choices = [(code, name) for code, name in choices["topics"]]
    form.networks.choices = [(code, code) for code in choices["networks"]]


@bp.route("/new", methods=["GET", "POST"])
@roles(*STAFF)
def new():
    """Publish a finding or research: a link, or a PDF (coordinators and admins)."""
    form = PublicationForm()
    _prepare(form)
    if request.method == "GET":
        form.published_on.data = utc_today()
        return render_template("publications/new.html", form=form)
    if not form.validate_on_submit():
        return render_template("publications/new.html", form=form), 422
    payload = {
        "title": (form.title.data or "").strip(),
        "kind": form.kind.data,
        "published_on": form.published_on.data.isoformat() if form.published_on.data else "",
        "summary": (form.summary.data or "").strip(),
        "partners": (form.partners.data or "").strip(),
        "url": (form.url.data or "").strip(),
        "topics": ",".join(form.topics.data or []),
        "networks": ",".join(form.networks.data or []),
    }
    upload = form.file.data if form.file.data and form.file.data.filename else None

    def run():
        data = load(PublicationUploadSchema, payload)
        publication = services.create_publication(
            by=me(),
            upload=upload.stream if upload else None,
            file_name=upload.filename if upload else None,
            **data,
        )
        commit()
        return publication

    publication, status = attempt(form, run)
    if publication is None:
        return render_template("publications/new.html", form=form), status
    flash(_("%(title)s is published.", title=publication.title), "success")
    return redirect(url_for(".detail", publication_id=publication.id))


@bp.post("/<int:publication_id>/delete")
@roles(*STAFF)
def delete(publication_id: int):
    """Withdraw a publication (coordinators and admins)."""
    publication = queries.get_publication(publication_id=publication_id)
    title = publication.title
    services.delete_publication(publication=publication, by=me())
    commit()
    flash(_("%(title)s is withdrawn.", title=title), "info")
    return redirect(url_for(".index"))
