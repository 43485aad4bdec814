"""Training programs, enrolments, readiness and the knowledge hub over the API.

Programs and enrolments live under /api/v1/training/…; the knowledge hub under /api/v1/materials.
"""

from __future__ import annotations

from flask import Response, g, request, send_file
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import ValidationError

from health_responder.api.common import page_of
from health_responder.auth.access import STAFF, roles_required
from health_responder.auth.models import Role
from health_responder.errors import ValidationFailed
from health_responder.extensions import db
from health_responder.training import queries, services
from health_responder.training.models import MATERIAL_MAX_BYTES
from health_responder.training.schemas import (
    AttendanceSchema,
    EnrolmentCreateSchema,
    EnrolmentListArgsSchema,
    EnrolmentSchema,
    MaterialLinkCreateSchema,
    MaterialListArgsSchema,
    MaterialSchema,
    MaterialUploadSchema,
    ProgramCreateSchema,
    ProgramDetailSchema,
    ProgramListArgsSchema,
    ProgramSchema,
    ProgramUpdateSchema,
    ReadinessArgsSchema,
    ReadinessSchema,
)

blp = Blueprint(
    "training", __name__, description="Training programs, enrolments, readiness and the knowledge hub"
)
EDITORS = (Role.PROVIDER, *STAFF)
ENROLLERS = (Role.CITY, *STAFF)
_PDF = {"200": {"description": "The PDF document.", "content": {"application/pdf": {}}}}


# --- programs -------------------------------------------------------------------------------------


@blp.route("/training/programs")
class Programs(MethodView):
    @roles_required()
    @blp.arguments(ProgramListArgsSchema, location="query")
    @blp.response(200, page_of(ProgramSchema))
    def get(self, args):
        """Training programs: a city sees the published ones open to its network."""
        return queries.list_programs(args, g.user)

    @roles_required(*EDITORS)
    @blp.arguments(ProgramCreateSchema)
    @blp.response(201, ProgramDetailSchema)
    def post(self, data):
        """Create a program (providers; coordinators give provider_id); published unless "published": false."""
        program = services.create_program(by=g.user, **data)
        db.session.commit()
        return queries.program_detail(program)


@blp.route("/training/programs/<int:program_id>")
class ProgramById(MethodView):
    @roles_required()
    @blp.response(200, ProgramDetailSchema)
    def get(self, program_id):
        """One program, with the knowledge-hub materials on its topic."""
        return queries.program_detail(queries.get_program(program_id, g.user))

    @roles_required(*EDITORS)
    @blp.arguments(ProgramUpdateSchema)
    @blp.response(200, ProgramDetailSchema)
    def patch(self, data, program_id):
        """Change a draft or published program (its provider, or staff)."""
        program = services.update_program(
            program=queries.editable_program(program_id, g.user), by=g.user, **data
        )
        db.session.commit()
        return queries.program_detail(program)


@blp.route("/training/programs/<int:program_id>/publish")
class ProgramPublish(MethodView):
    @roles_required(*EDITORS)
    @blp.response(200, ProgramDetailSchema)
    def post(self, program_id):
        """Publish a draft program: cities can see it and enrol."""
        program = services.publish_program(program=queries.editable_program(program_id, g.user), by=g.user)
        db.session.commit()
        return queries.program_detail(program)


@blp.route("/training/programs/<int:program_id>/cancel")
class ProgramCancel(MethodView):
    @roles_required(*EDITORS)
    @blp.response(200, ProgramDetailSchema)
    def post(self, program_id):
        """Cancel a program: its participants' places are cancelled and their cities notified."""
        program = services.cancel_program(program=queries.editable_program(program_id, g.user), by=g.user)
        db.session.commit()
        return queries.program_detail(program)


# --- enrolments -----------------------------------------------------------------------------------


@blp.route("/training/programs/<int:program_id>/enrolments")
class ProgramEnrolments(MethodView):
    @roles_required()
    @blp.arguments(EnrolmentListArgsSchema, location="query")
    @blp.response(200, page_of(EnrolmentSchema))
    def get(self, args, program_id):
        """The program's participants: the provider's whole roster, a city its own participants."""
        program = queries.get_program(program_id, g.user)
        return queries.list_enrolments(args, g.user, program=program)

    @roles_required(*ENROLLERS)
    @blp.arguments(EnrolmentCreateSchema)
    @blp.response(201, EnrolmentSchema)
    def post(self, data, program_id):
        """Enrol a participant: "enrolled" while seats remain, else "waitlisted" with a ticket number."""
        enrolment = services.enrol(program=queries.get_program(program_id, g.user), by=g.user, **data)
        db.session.commit()
        return enrolment


@blp.route("/training/enrolments")
class Enrolments(MethodView):
    @roles_required()
    @blp.arguments(EnrolmentListArgsSchema, location="query")
    @blp.response(200, page_of(EnrolmentSchema))
    def get(self, args):
        """Enrolments the caller may see, across programs."""
        return queries.list_enrolments(args, g.user)


@blp.route("/training/enrolments/<int:enrolment_id>")
class EnrolmentById(MethodView):
    @roles_required()
    @blp.response(200, EnrolmentSchema)
    def get(self, enrolment_id):
        """One enrolment."""
        return queries.get_enrolment(enrolment_id, g.user)


@blp.route("/training/enrolments/<int:enrolment_id>/cancel")
class EnrolmentCancel(MethodView):
    @roles_required()
    @blp.response(200, EnrolmentSchema)
    def post(self, enrolment_id):
        """Cancel a place; a freed seat goes to the first waitlisted participant at once."""
        enrolment = services.cancel_enrolment(
            enrolment=queries.get_enrolment(enrolment_id, g.user), by=g.user
        )
        db.session.commit()
        return enrolment


@blp.route("/training/enrolments/<int:enrolment_id>/attendance")
class EnrolmentAttendance(MethodView):
    @roles_required(*EDITORS)
    @blp.arguments(AttendanceSchema)
    @blp.response(200, EnrolmentSchema)
    def post(self, data, enrolment_id):
        """Mark a participant attended, completed or no_show (the program's provider, once it has begun)."""
        enrolment = services.mark_attendance(
            enrolment=queries.get_enrolment(enrolment_id, g.user), by=g.user, status=data["status"]
        )
        db.session.commit()
        return enrolment


@blp.route("/training/enrolments/<int:enrolment_id>/certificate.pdf")
class EnrolmentCertificate(MethodView):
    @roles_required()
    @blp.doc(responses=_PDF)
    def get(self, enrolment_id):
        """The completion certificate of a completed participant (PDF, registered with its verification code)."""
        db.begin_write()  # a GET that may register a document: begin as a writer (SQLite IMMEDIATE)
        document, content = services.certificate(
            enrolment=queries.get_enrolment(enrolment_id, g.user), by=g.user
        )
        db.session.commit()
        return Response(
            content,
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="{document.path.rsplit("/", 1)[-1]}"',
                "X-Document-SHA256": document.sha256,
                "X-Verification-Code": document.verification_code,
                "Cache-Control": "private, no-store",
            },
        )


# --- readiness ------------------------------------------------------------------------------------


@blp.route("/training/readiness")
class Readiness(MethodView):
    @roles_required(Role.CITY, *STAFF)
    @blp.arguments(ReadinessArgsSchema, location="query")
    @blp.response(200, ReadinessSchema)
    def get(self, args):
        """For each topic, whether some staff of the city completed a program on it (a city: its own)."""
        city_id = queries.readable_city(args.get("city_id"), g.user)
        return {"city_id": city_id, "topics": queries.readiness(city_id)}


# --- knowledge hub --------------------------------------------------------------------------------


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
        """The PDF of a material."""
        material = queries.get_material(material_id)
        return send_file(
            services.material_file(material),
            mimetype="application/pdf",
            download_name=material.file_name or f"material-{material.id}.pdf",
            max_age=0,
        )
