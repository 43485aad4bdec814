"""The data portal pages: tables, SVG charts and a CSV download of each table."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from markupsafe import Markup

from health_responder.portal import queries
from health_responder.portal.charts import bar_chart
from health_responder.web.context import NAV

bp = Blueprint("portal", __name__, template_folder="templates", url_prefix="/portal")
for _links in NAV.values():
    _links.append((_l("Data portal"), "portal.index"))

#: Each downloadable table: its rows and its columns.
TABLES = {
    "requests-by-network": (queries.requests_by_network_and_status, ["network", "status", "requests"]),
    "fill-rate": (
        queries.fill_rate_by_network,
        ["network", "requested", "allocated", "dispatched", "received", "fill_rate"],
    ),
    "shortage-radar": (
        queries.shortage_radar,
        ["category", "open_demand", "available", "coverage", "short", "items_short"],
    ),
    "shortage-radar-items": (
        queries.shortage_radar_by_item,
        ["category", "item_code", "item_name", "open_demand", "available", "coverage", "short"],
    ),
    "unmet-demand": (queries.unmet_demand, ["network", "requests_closed_short", "units_unmet"]),
}
#: Items the radar's chart shows at most (the shortest first); the table and the CSV have them all.
RADAR_CHART_ITEMS = 15


@bp.get("/")
@login_required
def index():
    """The portal: every member may see it."""
    stats = queries.all_stats()
    fill = stats["fill_rate_by_network"]
    radar = sorted(
        (r for r in stats["shortage_radar_by_item"] if r["open_demand"]),
        key=lambda r: (-r["short"], r["category"], r["item_code"]),
    )[:RADAR_CHART_ITEMS]
    charts = {
        "fill": Markup(
            bar_chart(
                _("Requested and dispatched units by network"),
                [(r["network"], [r["requested"], r["dispatched"]]) for r in fill],
                [_("Requested"), _("Dispatched")],
            )
        ),
        "radar": Markup(
            bar_chart(
                _("Open demand and usable supply by item, the shortest first"),
                [(r["item_code"], [r["open_demand"], r["available"], r["short"]]) for r in radar],
                [_("Open demand"), _("Available"), _("Short")],
            )
        ),
    }
    return render_template("portal/index.html", stats=stats, charts=charts)


@bp.get("/<name>.csv")
@login_required
def download(name: str):
    """One table as CSV (UTF-8 with a BOM, so spreadsheets show every script)."""
    if name not in TABLES:
        abort(404)
    rows_of, columns = TABLES[name]
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows_of())
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
