"""The alert list sorts by a chosen column and exports what it shows (same filters, every page) as CSV."""

from __future__ import annotations

import csv
import io

import pytest

from tests.factories import text

pytestmark = pytest.mark.usefixtures("shelves")


def test_alerts_sort_by_what_they_concern_and_export_the_same_rows(world, make_lot):
    w = world
    make_lot(w.provider, w.location, w.mask, 3)
    make_lot(w.other_provider, w.other_location, w.mask, 2)
    assert w.api["coordinator"].post("/api/v1/jobs/low_stock/run", json={}).status_code == 200
    coordinator = w.page("coordinator")
    html = coordinator.html("/alerts?status=open&kind=low_stock&sort=concerns&dir=desc")
    table = html[html.index("<tbody") :]
    assert table.index("Near Supply") < table.index("Far Supply")
    ascending = coordinator.html("/alerts?status=open&kind=low_stock&sort=concerns&dir=asc")
    table = ascending[ascending.index("<tbody") :]
    assert table.index("Far Supply") < table.index("Near Supply")
    assert 'aria-sort="ascending"' in ascending
    assert (
        'href="/alerts/export.csv?status=open&amp;kind=low_stock&amp;sort=concerns&amp;dir=asc"' in ascending
    )
    answer = coordinator.get("/alerts/export.csv?status=open&kind=low_stock&sort=concerns&dir=asc")
    body = text(answer)
    assert answer.mimetype == "text/csv" and body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body[1:])))
    low = [r for r in rows if r["kind"] == "low_stock"]
    assert [r["provider"] for r in low][:1] == ["Far Supply"] and "Near Supply" in {
        r["provider"] for r in low
    }
    assert {r["kind"] for r in rows} == {"low_stock"} and {r["status"] for r in rows} == {"open"}
    # a provider's file holds its own alerts only
    own = list(csv.DictReader(io.StringIO(text(w.page("provider").get("/alerts/export.csv"))[1:])))
    assert own and {r["provider"] for r in own} == {"Near Supply"}
