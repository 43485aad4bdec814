"""The knowledge hub over the API, under /api/v1/materials: anyone reads (no login needed), providers and
staff publish, and a material's owner (the provider that published it) or staff change, version and
delete it. Who may is the services' rule; the routes only parse and dump.
"""

from __future__ import annotations

from flask import g, request, send_file
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import ValidationError

from health_responder.api.common import page_of
from health_responder.auth.access import STAFF, public, roles_required
from health_responder.auth.models import Role
from health_responder.errors import ValidationFailed
from health_responder.extensions import db
from health_responder.materials import queries, services
from health_responder.materials.models import MATERIAL_MAX_BYTES
from health_responder.materials.schemas import (
    MaterialLinkCreateSchema,
    MaterialListArgsSchema,
    MaterialSchema,
    MaterialUpdateSchema,
    MaterialUploadSchema,
    MaterialVersionListArgsSchema,
    MaterialVersionSchema,
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
_VERSION_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "A PDF of at most 10 MB (judged by its %PDF header, not its content type).",
                    },
                },
            }
        },
    },
}


def _upload():
    """The part named ``file`` of a multipart body (a PDF may be larger than the app-wide body limit)."""
    if request.mimetype != "multipart/form-data":
        raise ValidationFailed(
            _l("Send multipart/form-data with the PDF as the part named 'file'."), {"file": [_l("Required.")]}
        )
    request.max_content_length = MATERIAL_MAX_BYTES + 256 * 1024
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed(
            _l("Attach the PDF as the form part named 'file'."), {"file": [_l("Required.")]}
        )
    return upload


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
        endpoint in {"materials.Materials", "materials.MaterialVersions"}
        and request.method == "POST"
        and request.mimetype == "multipart/form-data"
    ):
        request.max_content_length = MATERIAL_MAX_BYTES + 256 * 1024


@blp.route("/materials")
class Materials(MethodView):
    @public
    @blp.arguments(MaterialListArgsSchema, location="query")
    @blp.response(200, page_of(MaterialSchema))
    def get(self, args):
        """The knowledge hub, searchable by topic, language, kind, provider and words (no login needed)."""
        return queries.list_materials(args=args)

    @roles_required(*EDITORS)
    @blp.doc(requestBody=_MATERIAL_BODY)
    @blp.response(201, MaterialSchema)
    def post(self):
        """Publish a material: JSON {title, topic, language, url} for a link, multipart with a PDF "file"."""
        if request.mimetype == "multipart/form-data":
            request.max_content_length = MATERIAL_MAX_BYTES + 256 * 1024  # before the form is read
            data = _load(MaterialUploadSchema(), request.form.to_dict())
            upload = _upload()
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
        return queries.material_view(material=material)


@blp.route("/materials/<int:material_id>")
class MaterialById(MethodView):
    @public
    @blp.response(200, MaterialSchema)
    def get(self, material_id):
        """One material (no login needed)."""
        return queries.material_view(material=queries.get_material(material_id=material_id))

    @roles_required(*EDITORS)
    @blp.arguments(MaterialUpdateSchema)
    @blp.response(200, MaterialSchema)
    def patch(self, data, material_id):
        """Change the title, topic, language, description or a link's address (its owner or staff)."""
        material = services.update_material(
            material=queries.get_material(material_id=material_id), by=g.user, **data
        )
        db.session.commit()
        return queries.material_view(material=material)

    @roles_required(*EDITORS)
    @blp.response(204)
    def delete(self, material_id):
        """Delete a material and its versions (its owner or staff)."""
        services.delete_material(material=queries.get_material(material_id=material_id), by=g.user)
        db.session.commit()


def _send(path, name: str):
    return send_file(path, mimetype="application/pdf", download_name=name, max_age=0)


@blp.route("/materials/<int:material_id>/file")
class MaterialFile(MethodView):
    @public
    @blp.doc(responses=_PDF)
    def get(self, material_id):
        """The current PDF of a material: an uploaded file, not a registered document (no verification code)."""
        material = queries.get_material(material_id=material_id)
        return _send(services.material_file(material), material.file_name or f"material-{material.id}.pdf")


@blp.route("/materials/<int:material_id>/versions")
class MaterialVersions(MethodView):
    @public
    @blp.arguments(MaterialVersionListArgsSchema, location="query")
    @blp.response(200, page_of(MaterialVersionSchema))
    def get(self, args, material_id):
        """Every file a PDF material was given, newest first; who uploaded it is named to members only."""
        material = queries.get_material(material_id=material_id)
        return queries.list_versions(material=material, args=args, member=g.user is not None)

    @roles_required(*EDITORS)
    @blp.doc(requestBody=_VERSION_BODY)
    @blp.response(201, MaterialVersionSchema)
    def post(self, material_id):
        """Upload a new file for a PDF material; the earlier ones stay downloadable (its owner or staff)."""
        material = queries.get_material(material_id=material_id)
        upload = _upload()
        version = services.add_version(
            material=material,
            by=g.user,
            stream=upload.stream,
            file_name=upload.filename or "",
            content_type=upload.mimetype,
        )
        db.session.commit()
        return queries.version_view(version=version, member=True)


@blp.route("/materials/<int:material_id>/versions/<int:number>/file")
class MaterialVersionFile(MethodView):
    @public
    @blp.doc(responses=_PDF)
    def get(self, material_id, number):
        """The PDF of one version of a material."""
        version = queries.get_version(material=queries.get_material(material_id=material_id), number=number)
        name = f"v{version.number}-{version.file_name}"
        return _send(services.version_file(version), name)
