"""The stock list finds lots by code, filters by provider and status, sorts by its columns and exports
what it shows as CSV; the API's lot list takes the same ``q``."""

from __future__ import annotations

import csv
import io
import re

from tests.factories import days, text


def _lot_codes(html: str) -> list[str]:
    """The lot codes of the stock list, in the order shown."""
    return re.findall(r'/stock/lots/\d+">([^<]+)</a>', html)


def test_the_stock_list_searches_lot_codes_and_filters_by_provider_and_status(world):
    w = world
    w.make.lot(10, code="AB-100")
    w.make.lot(10, code="ab_200")
    w.make.lot(10, code="XY-300", status="quarantined")
    w.make.lot(10, code="AB-900", provider=w.other_provider)
    coordinator = w.page("coordinator")
    assert set(_lot_codes(coordinator.html("/stock?q=ab"))) == {"AB-100", "ab_200", "AB-900"}
    assert _lot_codes(coordinator.html("/stock?q=b_")) == ["ab_200"]  # _ matches itself
    assert set(_lot_codes(coordinator.html(f"/stock?q=ab&provider_id={w.other_provider.id}"))) == {"AB-900"}
    assert _lot_codes(coordinator.html("/stock?status=quarantined")) == ["XY-300"]
    # a provider sees its own lots only, whatever provider it names
    own = w.page("provider").html(f"/stock?provider_id={w.other_provider.id}")
    assert "AB-900" not in own and "AB-100" in own and 'name="provider_id"' not in own
    api = w.api["coordinator"].get("/api/v1/stock/lots", query_string={"q": "AB-"})
    assert sorted(lot["lot_code"] for lot in api.json["items"]) == ["AB-100", "AB-900"]


def test_the_stock_list_sorts_within_each_item_by_the_chosen_column(world):
    w = world
    w.make.lot(5, code="L-SMALL", expires_on=days(100))
    w.make.lot(50, code="L-BIG", expires_on=days(300))
    w.make.lot(20, code="L-MID", expires_on=days(200))
    w.make.lot(7, code="M-ONE", item=w.mask)
    provider = w.page("provider")
    default = _lot_codes(provider.html("/stock"))
    assert default == [
        "M-ONE",
        "L-SMALL",
        "L-MID",
        "L-BIG",
    ]  # MASK-N95 before OXY-CONC-10L; earliest expiry first
    by_available = provider.html("/stock?sort=available&dir=desc")
    assert _lot_codes(by_available) == ["M-ONE", "L-BIG", "L-MID", "L-SMALL"]
    assert 'aria-sort="descending"' in by_available
    assert _lot_codes(provider.html("/stock?sort=lot_code&dir=asc"))[1:] == ["L-BIG", "L-MID", "L-SMALL"]


def test_the_stock_list_exports_the_filtered_lots_as_csv(world):
    w = world
    w.make.lot(10, code="=EXPORT-1")
    w.make.lot(10, code="KEEP-2")
    w.make.lot(10, code="EXPORT-3", provider=w.other_provider)
    provider = w.page("provider")
    html = provider.html("/stock?q=export")
    assert 'href="/stock/export.csv?q=export"' in html
    answer = provider.get("/stock/export.csv?q=export")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    body = text(answer)
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body[1:])))
    assert [r["lot_code"] for r in rows] == [
        "'=EXPORT-1"
    ]  # the formula defused, the other provider's lot absent
    assert rows[0]["item_code"] == "OXY-CONC-10L" and rows[0]["available"] == "10"
    assert w.page("city").get("/stock/export.csv").status_code == 403
