"""A CSV import in one pass: a clean dry run keeps the file (for its user alone, a short while) and offers
"import these N rows"; the first rows shown back; a template to download; numbers with thousands
separators refused by line and column."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.clients import PageClient
from tests.factories import days, flashes, text

HEADER = "item_code,location,lot_code,expires_on,quantity\n"


def _check(client, body: str, *, dry_run: bool = True, filename: str = "lots.csv"):
    data = {"file": (io.BytesIO(body.encode()), filename), "csrf_token": client.token("/stock/import")}
    if dry_run:
        data["dry_run"] = "y"
    answer = client.client.post("/stock/import", data=data, content_type="multipart/form-data")
    if answer.status_code == 303:  # a clean dry run: post/redirect/get, to the checked file's own page
        assert answer.headers["Location"].startswith("/stock/import?checked=")
        return client.get(answer.headers["Location"])
    return answer


def _token(html: str) -> str:
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', html)
    assert match, "no confirm button on the page"
    return match.group(1)


def _confirm(client, token: str):
    return client.client.post(
        "/stock/import/confirm", data={"token": token, "csrf_token": client.token("/stock/import")}
    )


def _lot_codes(w) -> set[str]:
    return {
        lot["lot_code"] for lot in w.api["provider"].get("/api/v1/stock/lots?page_size=100").json["items"]
    }


def test_a_clean_dry_run_offers_to_import_its_rows_without_a_second_upload(world):
    w = world
    provider = w.page("provider")
    rows = "".join(f"{w.item.code},{w.location.name},ONE-PASS-{n},{days(300)},{10 + n}\n" for n in range(12))
    dry = _check(provider, HEADER + rows, filename="april.csv")
    html = text(dry)
    assert dry.status_code == 200 and "All 12 row(s) are valid." in html
    assert "Import these 12 rows" in html and "april.csv" in html
    # the preview: the first ten rows as read, with their line numbers
    preview = html[html.index("The first rows of the file") :]
    assert "ONE-PASS-0" in preview and "ONE-PASS-9" in preview and "ONE-PASS-10" not in preview
    assert "10 of 12 rows shown." in preview
    assert _lot_codes(w) == set()  # a dry run writes no lot
    token = _token(html)
    again = provider.get(f"/stock/import?checked={token}")  # a reload checks it again and sends nothing
    assert again.status_code == 200 and "All 12 row(s) are valid." in text(again) and _lot_codes(w) == set()
    done = _confirm(provider, token)
    assert done.status_code == 302 and done.headers["Location"].endswith("/stock")
    assert "12 lot(s) were imported." in " ".join(flashes(provider.html("/stock")))
    assert _lot_codes(w) == {f"ONE-PASS-{n}" for n in range(12)}
    again = _confirm(provider, token)  # imported once: the file is no longer kept
    assert again.status_code == 422 and "no longer kept" in text(again)
    assert len(_lot_codes(w)) == 12


def test_the_kept_file_is_its_users_alone_and_expires(app, world, make):
    w = world
    provider = w.page("provider")
    body = HEADER + f"{w.item.code},{w.location.name},KEPT-1,{days(300)},5\n"
    token = _token(text(_check(provider, body)))
    colleague = PageClient(app, make.user("provider", provider=w.provider))  # same provider, another person
    for other in (colleague, w.page("other_provider")):
        stolen = _confirm(other, token)
        assert stolen.status_code == 422 and "no longer kept" in text(stolen)
    assert _lot_codes(w) == set()
    app.config["STOCK_IMPORT_UPLOAD_SECONDS"] = 0  # kept for no time at all: expired at once
    late = _check(provider, body.replace("KEPT-1", "KEPT-2"))  # its page finds it gone already
    assert late.status_code == 422 and "choose it again" in text(late) and 'name="token"' not in text(late)
    assert _lot_codes(w) == set()
    app.config["STOCK_IMPORT_UPLOAD_SECONDS"] = 900
    assert _confirm(provider, token).status_code == 302  # the first one is still there for its user
    assert _lot_codes(w) == {"KEPT-1"}


def test_a_row_that_became_a_duplicate_is_reported_at_import_and_nothing_is_written(world):
    w = world
    provider = w.page("provider")
    body = (
        HEADER
        + f"{w.item.code},{w.location.name},RACE-1,{days(300)},5\n{w.item2.code},{w.location.name},RACE-2,,5\n"
    )
    token = _token(text(_check(provider, body)))
    w.make.lot(3, code="RACE-1")  # someone receives that lot meanwhile
    answer = _confirm(provider, token)
    assert answer.status_code == 422 and "already exists" in text(answer)
    assert _lot_codes(w) == {"RACE-1"}


def test_the_template_lists_the_columns_and_its_example_row_passes_a_dry_run(world):
    w = world
    provider = w.page("provider")
    assert 'href="/stock/import/template.csv"' in provider.html("/stock/import")
    answer = provider.get("/stock/import/template.csv")
    body = text(answer)
    assert answer.mimetype == "text/csv" and body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body[1:])))
    assert list(rows[0]) == ["item_code", "location", "lot_code", "expires_on", "quantity", "status", "note"]
    assert rows[0]["location"] == w.location.name and rows[0]["quantity"] == "100"
    dry = _check(provider, body[1:])
    assert dry.status_code == 200 and "All 1 row(s) are valid." in text(dry)
    assert w.page("city").get("/stock/import/template.csv").status_code == 403


@pytest.mark.parametrize(
    ("cell", "plain"),
    [('"1,000"', "1000"), ("1.000", "1000"), ("1 000", "1000"), ('"12,500,000"', "12500000")],
)
def test_a_quantity_with_thousands_separators_is_refused_naming_line_and_column(world, cell, plain):
    w = world
    provider = w.page("provider")
    body = (
        HEADER
        + f"{w.item.code},{w.location.name},SEP-1,{days(300)},10\n{w.item.code},{w.location.name},SEP-2,,{cell}\n"
    )
    answer = _check(provider, body)
    html = text(answer)
    assert answer.status_code == 422
    assert "Line 3, column quantity: " in html and "thousands separator" in html and f"({plain})" in html
    assert "Import these" not in html


def test_thousands_separators_are_refused_in_korean_and_over_the_api(world):
    w = world
    provider = w.page("provider")
    provider.post("/language", {"locale": "ko", "next": "/stock/import"})
    body = HEADER + f'{w.item.code},{w.location.name},SEP-9,,"2,500"\n'
    html = text(_check(provider, body))
    assert "천 단위 구분 기호" in html and "2500" in html
    api = w.api["provider"]._client.post(
        "/api/v1/stock/imports?dry_run=true",
        headers=w.api["provider"]._headers(None),
        data={"file": (io.BytesIO(body.encode()), "lots.csv")},
        content_type="multipart/form-data",
    )
    assert api.status_code == 200 and api.json["created"] == 0  # a dry run's report lists the errors
    assert [(e["line"], e["field"]) for e in api.json["errors"]] == [(2, "quantity")]
    assert "thousands separator" in api.json["errors"][0]["message"]
