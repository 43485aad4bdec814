"""The dispatch list sorts by its columns, pages, and exports what it shows (same filter and order) as CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.factories import future, text

pytestmark = pytest.mark.usefixtures("shelves")


def _dispatch(w, quantity: int, **kw) -> dict:
    request = w.make.approved_request((w.item, quantity), needed_by=future(60), **kw)
    w.make.allocation(request, 0, w.lots.oxy, quantity)
    answer = w.provider_api.post("/api/v1/dispatches", json={"request_id": request["id"]})
    assert answer.status_code == 201, answer.json
    return answer.json


def _references(html: str) -> list[str]:
    return re.findall(r">(DSP-[^<]+)</a>", html)


def test_the_dispatch_list_sorts_by_a_column_and_exports_the_same_rows(world):
    w = world
    first, second = _dispatch(w, 2), _dispatch(w, 3)
    shipped = w.provider_api.post(
        f"/api/v1/dispatches/{second['id']}/ship",
        json={"carrier": "=DHL", "tracking_number": "T", "packages": 1},
    )
    assert shipped.status_code == 200
    coordinator = w.page("coordinator")
    newest_first = coordinator.html("/dispatches")
    assert _references(newest_first) == [second["reference"], first["reference"]]
    oldest_first = coordinator.html("/dispatches?sort=reference&dir=asc")
    assert _references(oldest_first) == [first["reference"], second["reference"]]
    assert 'aria-sort="ascending"' in oldest_first
    only_shipped = coordinator.html("/dispatches?status=shipped&sort=reference")
    assert _references(only_shipped) == [second["reference"]]
    assert 'href="/dispatches/export.csv?status=shipped&amp;sort=reference"' in only_shipped
    answer = coordinator.get("/dispatches/export.csv?status=shipped&sort=city&dir=desc")
    body = text(answer)
    assert answer.mimetype == "text/csv" and body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body[1:])))
    assert [(r["reference"], r["carrier"], r["units"], r["city"]) for r in rows] == [
        (second["reference"], "'=DHL", "3", "Sejong Test")
    ]
    # another city sees none of them, in the list or the file
    other = w.page("other_city")
    assert _references(other.html("/dispatches")) == []
    assert first["reference"] not in text(other.get("/dispatches/export.csv"))
