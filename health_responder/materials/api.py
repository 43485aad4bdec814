"""The knowledge hub over the API, under /api/v1/materials: every role reads, providers and staff publish."""

from __future__ import annotations

from flask import g, request, send_file
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import ValidationError

from health_responder.api.common import page_of
from health_responder.auth.access import STAFF, roles_required
from health_responder.auth.models import Role
from health_responder.errors import ValidationFailed
from health_responder.extensions import db
from health_responder.materials import queries, services
from health_responder.materials.models import MATERIAL_MAX_BYTES
from health_responder.materials.schemas import (
    MaterialLinkCreateSchema,
    MaterialListArgsSchema,
    MaterialSchema,
    MaterialUploadSchema,
)

blp = Blueprint("materials", __name__, description="The knowledge hub: capacity-building links and PDFs")
EDITORS = (Role.PROVIDER, *STAFF)
_PDF = {"200": {"description": "The PDF document.", "content": {"application/pdf": {}}}}

_MATERIAL_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": MaterialLinkCreateSchema},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["title", "topic", "file"],
                "properties": {
                    "title": {"type": "string"},
                    "topic": {"type": "string"},
                    "language": {"type": "string"},
                    "description": {"type": "string"},
                    "provider_id": {"type": "integer"},
                    "file": {"type": "string", "format": "binary", "description": "A PDF of at most 10 MB."},
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


@blp.route("/materials")
class Materials(MethodView):
    @roles_required()
    @blp.arguments(MaterialListArgsSchema, location="query")
    @blp.response(200, page_of(MaterialSchema))
    def get(self, args):
        """The knowledge hub, searchable by topic, language and words."""
        return queries.list_materials(args)

    @roles_required(*EDITORS)
    @blp.doc(requestBody=_MATERIAL_BODY)
    @blp.response(201, MaterialSchema)
    def post(self):
        """Publish a material: JSON {title, topic, language, url} for a link, multipart with a PDF "file"."""
        if request.mimetype == "multipart/form-data":
            # A PDF may be larger than the app-wide body limit; this view allows it, plus the form fields.
            request.max_content_length = MATERIAL_MAX_BYTES + 256 * 1024
            upload = request.files.get("file")
            data = _load(MaterialUploadSchema(), request.form.to_dict())
            if upload is None:
                raise ValidationFailed(
                    _l("Attach the PDF as the form part named 'file'."), {"file": [_l("Required.")]}
                )
            material = services.create_pdf_material(
                by=g.user,
                stream=upload.stream,
                file_name=upload.filename or "",
                content_type=upload.mimetype,
                **data,
            )
        else:
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                raise ValidationFailed(
                    _l("Send JSON for a link, or multipart/form-data with a PDF."),
                    {"json": [_l("A JSON object is required.")]},
                )
            material = services.create_link_material(by=g.user, **_load(MaterialLinkCreateSchema(), body))
        db.session.commit()
        return queries.material_view(material)


@blp.route("/materials/<int:material_id>")
class MaterialById(MethodView):
    @roles_required()
    @blp.response(200, MaterialSchema)
    def get(self, material_id):
        """One material."""
        return queries.material_view(queries.get_material(material_id))


@blp.route("/materials/<int:material_id>/file")
class MaterialFile(MethodView):
    @roles_required()
    @blp.doc(responses=_PDF)
    def get(self, material_id):
        """The PDF of a material: an uploaded file, not a registered document (so no verification code)."""
        material = queries.get_material(material_id)
        return send_file(
            services.material_file(material),
            mimetype="application/pdf",
            download_name=material.file_name or f"material-{material.id}.pdf",
            max_age=0,
        )
