"""GET/POST /api/v1/publications: anyone reads the Data Portal's publications; coordinators publish."""

from __future__ import annotations

from flask import g, request, send_file
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import ValidationError

from health_responder import languages
from health_responder.api.common import page_of
from health_responder.auth.access import STAFF, public, roles_required
from health_responder.documents.responses import pdf_response
from health_responder.documents.schemas import ReaderLanguageArgsSchema
from health_responder.errors import ValidationFailed
from health_responder.extensions import db
from health_responder.publications import queries, report, services
from health_responder.publications.models import PUBLICATION_MAX_BYTES
from health_responder.publications.schemas import (
    PublicationLinkCreateSchema,
    PublicationListArgsSchema,
    PublicationSchema,
    PublicationUploadSchema,
)
from health_responder.storage import stored_file

blp = Blueprint("publications_api", __name__, description="The Data Portal's publications (public reads)")
_PDF = {"200": {"description": "The PDF document.", "content": {"application/pdf": {}}}}
_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": PublicationLinkCreateSchema},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["title", "kind", "published_on", "file"],
                "properties": {
                    "title": {"type": "string"},
                    "kind": {"type": "string", "enum": ["finding", "research"]},
                    "summary": {"type": "string"},
                    "partners": {"type": "string"},
                    "published_on": {"type": "string", "format": "date"},
                    "topics": {"type": "string", "description": "Comma-separated topic codes."},
                    "networks": {"type": "string", "description": "Comma-separated network codes."},
                    "file": {"type": "string", "format": "binary", "description": "A PDF of at most 20 MB."},
                },
            }
        },
    },
}


def _load(schema, data) -> dict:
    try:
        return schema.load(data)
    except ValidationError as error:
        raise ValidationFailed(
            _l("The input is not valid: see errors for each field."), error.messages
        ) from error


@blp.url_value_preprocessor
def _allow_large_uploads(endpoint, _values):
    # A PDF may be larger than the app-wide body limit. The app's guard for bodies without a length
    # (chunked) reads the body in a before_request hook, against whatever limit is set by then: the
    # upload's own limit is set here, before any hook runs (as the pages do).
    if (
        endpoint == "publications_api.Publications"
        and request.method == "POST"
        and request.mimetype == "multipart/form-data"
    ):
        request.max_content_length = PUBLICATION_MAX_BYTES + 256 * 1024


@blp.route("/publications")
class Publications(MethodView):
    @public
    @blp.arguments(PublicationListArgsSchema, location="query")
    @blp.response(200, page_of(PublicationSchema))
    def get(self, args):
        """Publications, newest first: search words, kind, topic, network and dates (no login needed)."""
        return queries.list_publications(args=args)

    @roles_required(*STAFF)
    @blp.doc(requestBody=_BODY)
    @blp.response(201, PublicationSchema)
    def post(self):
        """Publish a finding or research: JSON with "url" for a link, or multipart with a PDF "file"."""
        if request.mimetype == "multipart/form-data":
            request.max_content_length = PUBLICATION_MAX_BYTES + 256 * 1024
            upload = request.files.get("file")
            data = _load(PublicationUploadSchema(), request.form.to_dict())
            if upload is None and not data.get("url"):
                raise ValidationFailed(
                    _l("Attach the PDF as the form part named 'file'."), {"file": [_l("Required.")]}
                )
            publication = services.create_publication(
                by=g.user,
                upload=upload.stream if upload else None,
                file_name=upload.filename if upload else None,
                **data,
            )
        else:
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                raise ValidationFailed(
                    _l("Send JSON for a link, or multipart/form-data with a PDF."),
                    {"json": [_l("A JSON object is required.")]},
                )
            publication = services.create_publication(by=g.user, **_load(PublicationLinkCreateSchema(), body))
        db.session.commit()
        return queries.view(publication=publication)


@blp.route("/publications/<int:publication_id>")
class PublicationById(MethodView):
    @public
    @blp.response(200, PublicationSchema)
    def get(self, publication_id):
        """One publication (no login needed)."""
        return queries.view(publication=queries.get_publication(publication_id=publication_id))

    @roles_required(*STAFF)
    @blp.response(204)
    def delete(self, publication_id):
        """Withdraw a publication (coordinators and admins)."""
        services.delete_publication(
            publication=queries.get_publication(publication_id=publication_id), by=g.user
        )
        db.session.commit()


@blp.route("/publications/<int:publication_id>/file")
class PublicationFile(MethodView):
    @public
    @blp.arguments(ReaderLanguageArgsSchema, location="query")
    @blp.doc(responses=_PDF)
    def get(self, args, publication_id):
        """The PDF of a publication (no login needed); a statistics report in ``?lang=`` (default: the
        caller's language, English for a visitor), a copy registered with its own verification code.
        """
        publication = queries.get_publication(publication_id=publication_id)
        language = languages.chosen(
            asked=args.get("lang"), default=languages.of_user(getattr(g, "user", None))
        )
        if report.wants_copy(publication=publication, language=language):
            db.begin_write()
            document, content = report.statistics_copy(
                publication=publication, language=language, by=getattr(g, "user", None)
            )
            db.session.commit()
            return pdf_response(document, content)
        return send_file(
            stored_file(publication.file_path),
            mimetype="application/pdf",
            download_name=publication.file_name or f"publication-{publication.id}.pdf",
            max_age=0,
        )
