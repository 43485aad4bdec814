"""The data portal pages: tables, SVG charts and a CSV download of each table.

The portal is public: anyone sees the aggregates (never a request, a contact or a lot). A member also
sees a drill-down of their own: a city its requests, a provider its shipments, staff every city's.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from health_responder.portal import queries
from health_responder.portal.charts import bar_chart
from health_responder.web.context import NAV, register_home
from health_responder.web.guards import member, public

bp = Blueprint("portal", __name__, template_folder="templates", url_prefix="/portal")
for _links in NAV.values():
    _links.append((_l("Data portal"), "portal.index"))

register_home("figures", queries.headline_figures)

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
    "lead-times": (
        lambda: [{"step": step} | figures for step, figures in queries.lead_times().items()],
        ["step", "count", "mean_hours", "median_hours"],
    ),
    "trained-staff": (queries.trained_staff_by_topic, ["topic", "trained", "cities"]),
}
#: The columns of each member's drill-down, by kind.
DRILL_DOWN_COLUMNS = {
    "city": ["city", "status", "requests", "requested", "dispatched", "received"],
    "staff": ["city", "network", "status", "requests", "requested", "dispatched", "received"],
    "provider": ["network", "status", "dispatches", "units"],
}
#: Items the radar's chart shows at most (the shortest first); the table and the CSV have them all.
RADAR_CHART_ITEMS = 15


@bp.get("/")
@public
def index():
    """The portal: aggregates for everyone, and a member's own drill-down."""
    user = member()
    stats = queries.all_stats() if user else queries.public_stats(stats=queries.all_stats())
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
                [(r["item_code"], [r["open_demand"], r.get("available", 0), r["short"]]) for r in radar]
                if user
                else [(r["item_code"], [r["open_demand"], r["short"]]) for r in radar],
                [_("Open demand"), _("Available"), _("Short")] if user else [_("Open demand"), _("Short")],
            )
        ),
    }
    drill = queries.drill_down(user=user)
    return render_template(
        "portal/index.html",
        stats=stats,
        charts=charts,
        drill=drill,
        drill_columns=DRILL_DOWN_COLUMNS.get(drill["kind"]) if drill else None,
    )


@bp.get("/<name>.csv")
@public
def download(name: str):
    """One table as CSV (UTF-8 with a BOM, so spreadsheets show every script); ``mine`` is a member's drill-down."""
    if name == "mine":
        drill = queries.drill_down(user=member())
        if drill is None:
            abort(404)
        rows, columns = drill["rows"], DRILL_DOWN_COLUMNS[drill["kind"]]
    elif name in TABLES:
        rows_of, columns = TABLES[name]
        rows = rows_of()
        if member() is None:
            rows, columns = (
                queries.for_visitors(rows=rows),
                [c for c in columns if c not in queries.MEMBERS_ONLY],
            )
    else:
        abort(404)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'}
        | ({"Cache-Control": "private, no-store"} if name == "mine" else {}),
    )
