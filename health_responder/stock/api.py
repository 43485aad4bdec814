"""Stock lots, their adjustments and ledger, levels per item, and CSV import and export over the API.

Providers keep their own stock; coordinators and admins see and keep every provider's; city users
see no stock (403).
"""

import itertools

from flask import Response, g, jsonify, stream_with_context
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint

from health_responder.api.common import page_of
from health_responder.api.idempotency import idempotent
from health_responder.auth.access import STAFF, roles_required
from health_responder.auth.models import Role
from health_responder.db import set_write_intent
from health_responder.errors import NotFound, ValidationFailed
from health_responder.extensions import db
from health_responder.providers import queries as providers
from health_responder.stock import csvio, gs1, imports, queries, services
from health_responder.stock.schemas import (
    AdjustmentCreateSchema,
    ImportArgsSchema,
    ImportFileSchema,
    ImportReportSchema,
    LevelArgsSchema,
    LevelSchema,
    LotCreateSchema,
    LotFilterSchema,
    LotListArgsSchema,
    LotSchema,
    LotUpdateSchema,
    MovementListArgsSchema,
    MovementSchema,
)

blp = Blueprint(
    "stock", __name__, url_prefix="/stock", description="Stock lots, adjustments, ledger and levels"
)
KEEPERS = (Role.PROVIDER, *STAFF)


@blp.route("/lots")
class Lots(MethodView):
    @roles_required(*KEEPERS)
    @blp.arguments(LotListArgsSchema, location="query")
    @blp.response(200, page_of(LotSchema))
    def get(self, args):
        """Stock lots: a provider's own, or every provider's for coordinators and admins."""
        return queries.list_lots(user=g.user, args=args)

    @roles_required(*KEEPERS)
    @idempotent
    @blp.arguments(LotCreateSchema)
    @blp.response(201, LotSchema)
    def post(self, data):
        """Receive a lot at a location (a provider at its own; staff at any provider's), or by a GS1 scan."""
        lot = (gs1.create_lot if "gs1" in data else services.create_lot)(by=g.user, **data)
        db.session.commit()
        return lot


@blp.route("/lots.csv")
class LotsCsv(MethodView):
    @roles_required(*KEEPERS)
    @blp.arguments(LotFilterSchema, location="query")
    @blp.response(200, content_type="text/csv", description="The lots as CSV, one line per lot.")
    def get(self, args):
        """The lots the caller sees, as CSV (same filters as the list), streamed; UTF-8 with a BOM."""
        rows = queries.export_rows(user=g.user, args=args)
        # The BOM tells spreadsheet programs the file is UTF-8 (lot codes and places may be Korean), as
        # requests.csv does; our own import reads it back (utf-8-sig).
        return Response(
            stream_with_context(itertools.chain(["\ufeff"], csvio.write_lots(rows))),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="stock-lots.csv"'},
        )


@blp.route("/lots/<int:lot_id>")
class LotById(MethodView):
    @roles_required(*KEEPERS)
    @blp.response(200, LotSchema)
    def get(self, lot_id):
        """One lot."""
        return queries.get_lot(user=g.user, lot_id=lot_id)

    @roles_required(*KEEPERS)
    @blp.arguments(LotUpdateSchema)
    @blp.response(200, LotSchema)
    def patch(self, data, lot_id):
        """Quarantine, recall or release a lot, or correct its code or expiry date (audited)."""
        lot = services.update_lot(lot=queries.get_lot(user=g.user, lot_id=lot_id), by=g.user, **data)
        db.session.commit()
        return lot


@blp.route("/lots/<int:lot_id>/adjustments")
class Adjustments(MethodView):
    @roles_required(*KEEPERS)
    @idempotent
    @blp.arguments(AdjustmentCreateSchema)
    @blp.response(201, MovementSchema)
    def post(self, data, lot_id):
        """Add or remove units with a reason; never below what is reserved (409)."""
        movement = services.adjust_lot(lot=queries.get_lot(user=g.user, lot_id=lot_id), by=g.user, **data)
        db.session.commit()
        return movement


@blp.route("/lots/<int:lot_id>/movements")
class Movements(MethodView):
    @roles_required(*KEEPERS)
    @blp.arguments(MovementListArgsSchema, location="query")
    @blp.response(200, page_of(MovementSchema))
    def get(self, args, lot_id):
        """The lot's ledger: every change of its balances, with actor and reference."""
        return queries.list_movements(lot=queries.get_lot(user=g.user, lot_id=lot_id), args=args)


@blp.route("/levels")
class Levels(MethodView):
    @roles_required(*KEEPERS)
    @blp.arguments(LevelArgsSchema, location="query")
    @blp.response(200, page_of(LevelSchema))
    def get(self, args):
        """Totals per item over the lots the caller sees."""
        return queries.stock_levels(user=g.user, args=args)


@blp.route("/imports")
class Imports(MethodView):
    @roles_required(*KEEPERS)
    @blp.arguments(ImportArgsSchema, location="query")
    @blp.arguments(ImportFileSchema, location="files")
    @blp.response(200, ImportReportSchema, description="Imported, or a dry run (its errors listed).")
    @blp.alt_response(201, schema=ImportReportSchema, description="Every row imported as a lot.")
    @blp.alt_response(
        409, response="Error", description="Another import of this provider's stock is running."
    )
    @blp.alt_response(
        422,
        response="Error",
        description="Rows with errors (errors.rows lists each line and "
        "field; report is the whole report): nothing was imported.",
    )
    def post(self, args, files):
        """Import lots from a CSV file, all or nothing; ``dry_run=true`` checks every row and writes nothing.

        One import per provider at a time: another one answers 409 while it runs.
        """
        set_write_intent(False)  # parsing and checking need no write lock; the import begins its own write
        provider = _import_provider(args.get("provider_id"))
        rows = csvio.read_lots(files["file"].read())
        report = imports.import_lots(provider=provider, rows=rows, by=g.user, dry_run=args["dry_run"])
        body = ImportReportSchema().dump(report)
        if report.errors and not report.dry_run:
            db.session.rollback()
            count = len({e.line for e in report.errors})
            # The one error envelope: ``errors`` names what is wrong (here, each row), ``report`` adds the rest.
            response = jsonify(
                {
                    "code": 422,
                    "status": "Unprocessable Entity",
                    "message": f"{count} row(s) have errors; nothing was imported.",
                    "errors": {"rows": body["errors"]},
                    "report": body,
                }
            )
            response.status_code = 422
            return response
        if report.dry_run:
            return body
        db.session.commit()
        response = jsonify(body)
        response.status_code = 201
        return response


def _import_provider(provider_id: int | None):
    if g.user.role == Role.PROVIDER:
        if provider_id is not None and provider_id != g.user.provider_id:
            raise ValidationFailed(
                _l("You can import only your own stock."),
                {"provider_id": [_l("No provider %(id)s.", id=provider_id)]},
            )
        return providers.get_provider(provider_id=g.user.provider_id)
    if provider_id is None:
        raise ValidationFailed(
            _l("Say whose stock this is."), {"provider_id": [_l("Required for coordinators and admins.")]}
        )
    try:
        return providers.get_provider(provider_id=provider_id)
    except NotFound as error:  # a provider named in the input is bad input, not a missing resource
        raise ValidationFailed(
            _l("Unknown provider."), {"provider_id": [_l("No provider %(id)s.", id=provider_id)]}
        ) from error
