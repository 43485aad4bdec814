"""Training programs, enrolments and readiness over the API, under /api/v1/training/….

The knowledge hub is its own feature (``materials/api.py``, /api/v1/materials).
"""

from __future__ import annotations

from flask import Response, current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from health_responder.api.common import page_of
from health_responder.auth.access import STAFF, public, roles_required
from health_responder.auth.models import Role
from health_responder.documents.responses import pdf_response
from health_responder.documents.schemas import CityLanguageArgsSchema
from health_responder.extensions import db
from health_responder.training import calendar, certificates, queries, roster, services
from health_responder.training.schemas import (
    AttendanceBatchSchema,
    AttendanceSchema,
    EnrolmentBatchSchema,
    EnrolmentCreateSchema,
    EnrolmentListArgsSchema,
    EnrolmentSchema,
    ProgramCreateSchema,
    ProgramDetailSchema,
    ProgramListArgsSchema,
    ProgramSchema,
    ProgramUpdateSchema,
    ReadinessArgsSchema,
    ReadinessSchema,
)

blp = Blueprint("training", __name__, description="Training programs, enrolments and readiness")
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
        return queries.list_programs(args=args, user=g.user)

    @roles_required(*EDITORS)
    @blp.arguments(ProgramCreateSchema)
    @blp.response(201, ProgramDetailSchema)
    def post(self, data):
        """Create a program (providers; coordinators give provider_id); published unless "published": false."""
        program = services.create_program(by=g.user, **data)
        db.session.commit()
        return queries.program_detail(program=program, user=g.user)


@blp.route("/training/programs/<int:program_id>")
class ProgramById(MethodView):
    @roles_required()
    @blp.response(200, ProgramDetailSchema)
    def get(self, program_id):
        """One program, with the knowledge-hub materials on its topic."""
        return queries.program_detail(
            program=queries.get_program(program_id=program_id, user=g.user), user=g.user
        )

    @roles_required(*EDITORS)
    @blp.arguments(ProgramUpdateSchema)
    @blp.response(200, ProgramDetailSchema)
    def patch(self, data, program_id):
        """Change a draft or published program (its provider, or staff)."""
        program = services.update_program(
            program=queries.editable_program(program_id=program_id, user=g.user), by=g.user, **data
        )
        db.session.commit()
        return queries.program_detail(program=program, user=g.user)


@blp.route("/training/programs/<int:program_id>/publish")
class ProgramPublish(MethodView):
    @roles_required(*EDITORS)
    @blp.response(200, ProgramDetailSchema)
    def post(self, program_id):
        """Publish a draft program: cities can see it and enrol."""
        program = services.publish_program(
            program=queries.editable_program(program_id=program_id, user=g.user), by=g.user
        )
        db.session.commit()
        return queries.program_detail(program=program, user=g.user)


@blp.route("/training/programs/<int:program_id>/cancel")
class ProgramCancel(MethodView):
    @roles_required(*EDITORS)
    @blp.response(200, ProgramDetailSchema)
    def post(self, program_id):
        """Cancel a program: its participants' places are cancelled and their cities notified."""
        program = services.cancel_program(
            program=queries.editable_program(program_id=program_id, user=g.user), by=g.user
        )
        db.session.commit()
        return queries.program_detail(program=program, user=g.user)


@blp.route("/training/programs/<int:program_id>/calendar.ics")
class ProgramCalendar(MethodView):
    @public
    @blp.doc(responses={"200": {"description": "An iCalendar file.", "content": {"text/calendar": {}}}})
    def get(self, program_id):
        """The program as an iCalendar file in its time zone (a visitor: published programs; the join link
        only for those who may join).
        """
        program = queries.public_program(program_id=program_id, user=g.user)
        content = calendar.program_calendar(
            program,
            join_url=program.join_url
            if program.id in queries.joinable(programs=[program], user=g.user)
            else None,
            page_url=current_app.config["PUBLIC_BASE_URL"].rstrip("/") + f"/training/{program.id}",
        )
        return Response(
            content,
            mimetype="text/calendar",
            headers={
                "Content-Disposition": f'attachment; filename="program-{program.id}.ics"',
                "Cache-Control": "private, no-store" if g.user is not None else "no-cache",
            },
        )


# --- enrolments -----------------------------------------------------------------------------------


@blp.route("/training/programs/<int:program_id>/enrolments")
class ProgramEnrolments(MethodView):
    @roles_required()
    @blp.arguments(EnrolmentListArgsSchema, location="query")
    @blp.response(200, page_of(EnrolmentSchema))
    def get(self, args, program_id):
        """The program's participants: the provider's whole roster, a city its own participants."""
        program = queries.get_program(program_id=program_id, user=g.user)
        return queries.list_enrolments(args=args, user=g.user, program=program)

    @roles_required(*ENROLLERS)
    @blp.arguments(EnrolmentCreateSchema)
    @blp.response(201, EnrolmentSchema)
    def post(self, data, program_id):
        """Enrol a participant: "enrolled" while seats remain, else "waitlisted" with a ticket number."""
        enrolment = services.enrol(
            program=queries.get_program(program_id=program_id, user=g.user), by=g.user, **data
        )
        db.session.commit()
        return enrolment


@blp.route("/training/programs/<int:program_id>/enrolments/batch")
class ProgramEnrolmentBatch(MethodView):
    @roles_required(*ENROLLERS)
    @blp.arguments(EnrolmentBatchSchema)
    @blp.response(201, EnrolmentSchema(many=True))
    def post(self, data, program_id):
        """Enrol several participants of one city at once, in order: all or none (422 naming each bad row)."""
        made = roster.enrol_many(
            program=queries.get_program(program_id=program_id, user=g.user), by=g.user, **data
        )
        db.session.commit()
        return made


@blp.route("/training/programs/<int:program_id>/attendance")
class ProgramAttendance(MethodView):
    @roles_required(*EDITORS)
    @blp.arguments(AttendanceBatchSchema)
    @blp.response(200, EnrolmentSchema(many=True))
    def post(self, data, program_id):
        """Mark the attendance of several participants at once (the program's provider, staff): all or none."""
        marked = roster.mark_many(
            program=queries.get_program(program_id=program_id, user=g.user), by=g.user, **data
        )
        db.session.commit()
        return marked


@blp.route("/training/enrolments")
class Enrolments(MethodView):
    @roles_required()
    @blp.arguments(EnrolmentListArgsSchema, location="query")
    @blp.response(200, page_of(EnrolmentSchema))
    def get(self, args):
        """Enrolments the caller may see, across programs."""
        return queries.list_enrolments(args=args, user=g.user)


@blp.route("/training/enrolments/<int:enrolment_id>")
class EnrolmentById(MethodView):
    @roles_required()
    @blp.response(200, EnrolmentSchema)
    def get(self, enrolment_id):
        """One enrolment."""
        return queries.get_enrolment(enrolment_id=enrolment_id, user=g.user)


@blp.route("/training/enrolments/<int:enrolment_id>/cancel")
class EnrolmentCancel(MethodView):
    @roles_required()
    @blp.response(200, EnrolmentSchema)
    def post(self, enrolment_id):
        """Cancel a place; a freed seat goes to the first waitlisted participant at once."""
        enrolment = services.cancel_enrolment(
            enrolment=queries.get_enrolment(enrolment_id=enrolment_id, user=g.user), by=g.user
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
            enrolment=queries.get_enrolment(enrolment_id=enrolment_id, user=g.user),
            by=g.user,
            status=data["status"],
        )
        db.session.commit()
        return enrolment


@blp.route("/training/enrolments/<int:enrolment_id>/certificate.pdf")
class EnrolmentCertificate(MethodView):
    @roles_required()
    @blp.arguments(CityLanguageArgsSchema, location="query")
    @blp.doc(responses=_PDF)
    def get(self, args, enrolment_id):
        """The completion certificate of a completed participant (PDF, registered with its verification
        code), in the language of the participant's city or ``?lang=``.
        """
        db.begin_write()  # a GET that may register a document: begin as a writer (SQLite IMMEDIATE)
        document, content = certificates.certificate(
            enrolment=queries.get_enrolment(enrolment_id=enrolment_id, user=g.user),
            by=g.user,
            language=args.get("lang"),
        )
        db.session.commit()
        return pdf_response(document, content)


# --- readiness ------------------------------------------------------------------------------------


@blp.route("/training/readiness")
class Readiness(MethodView):
    @roles_required(Role.CITY, *STAFF)
    @blp.arguments(ReadinessArgsSchema, location="query")
    @blp.response(200, ReadinessSchema)
    def get(self, args):
        """For each topic, whether some staff of the city completed a program on it (a city: its own)."""
        city_id = queries.readable_city(city_id=args.get("city_id"), user=g.user)
        return {"city_id": city_id, "topics": queries.readiness(city_id=city_id)}
