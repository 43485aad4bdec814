"""PDF downloads: dispatch report, pick list and the dispatch summary, scoped like their dispatches."""

from flask import g
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint

from health_responder.auth.access import STAFF, roles_required
from health_responder.auth.models import Role
from health_responder.dispatch import queries as dispatches
from health_responder.documents.responses import pdf_response
from health_responder.documents.schemas import CityLanguageArgsSchema, ReaderLanguageArgsSchema
from health_responder.errors import NotFound
from health_responder.extensions import db
from health_responder.reports import services
from health_responder.reports.schemas import SummaryArgsSchema
from health_responder.web.i18n import zone_of_user

blp = Blueprint("reports", __name__, description="PDF documents, registered and verifiable")
PDF = {
    "description": "The PDF document.",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}


@blp.route("/dispatches/<int:dispatch_id>/report.pdf")
class DispatchReport(MethodView):
    @roles_required()
    @blp.arguments(CityLanguageArgsSchema, location="query")
    @blp.doc(responses={"200": PDF, "404": {"$ref": "#/components/responses/Error"}})
    def get(self, args, dispatch_id):
        """The dispatch report in the receiving city's language, or ``?lang=`` (city: its own; provider: its own; staff: all)."""
        db.begin_write()
        document, content = services.dispatch_report(
            dispatch=dispatches.get_dispatch(dispatch_id=dispatch_id, user=g.user),
            by=g.user,
            language=args.get("lang"),
        )
        db.session.commit()
        return pdf_response(document, content)


@blp.route("/dispatches/<int:dispatch_id>/pick-list.pdf")
class PickList(MethodView):
    @roles_required(Role.PROVIDER, *STAFF)
    @blp.arguments(ReaderLanguageArgsSchema, location="query")
    @blp.doc(responses={"200": PDF, "404": {"$ref": "#/components/responses/Error"}})
    def get(self, args, dispatch_id):
        """The pick list for the provider's warehouse, in the asker's language or ``?lang=``."""
        db.begin_write()
        document, content = services.pick_list(
            dispatch=dispatches.get_dispatch(dispatch_id=dispatch_id, user=g.user),
            by=g.user,
            language=args.get("lang"),
        )
        db.session.commit()
        return pdf_response(document, content)


@blp.route("/reports/dispatch-summary.pdf")
class DispatchSummary(MethodView):
    @roles_required(Role.PROVIDER, *STAFF)
    @blp.arguments(SummaryArgsSchema, location="query")
    @blp.doc(responses={"200": PDF})
    def get(self, args):
        """Dispatch summary for a period (?from=YYYY-MM-DD&to=YYYY-MM-DD&lang=); a provider gets its own."""
        provider_id = g.user.provider_id if g.user.role == Role.PROVIDER else None
        if g.user.role == Role.PROVIDER and provider_id is None:
            raise NotFound(_l("No provider."))
        db.begin_write()
        document, content = services.dispatch_summary(
            by=g.user,
            provider_id=provider_id,
            zone=zone_of_user(g.user),
            language=args.pop("lang", None),
            **args,
        )
        db.session.commit()
        return pdf_response(document, content)
