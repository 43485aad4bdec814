"""CSV import of lots: every bad row reported by line and field, then all or nothing."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from health_responder.extensions import db
from health_responder.stock.models import StockLot, StockMovement
from tests.factories import NEXT_YEAR, count_rows

HEADER = "item_code,location,lot_code,expires_on,quantity,status\n"


def _upload(client, text: str | bytes, query: str = "", filename: str = "lots.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client._client.post(
        f"/api/v1/stock/imports{query}",
        headers=client._headers(None),
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


@pytest.mark.both_databases
def test_a_dry_run_lists_every_bad_row_by_line_and_field_and_writes_nothing(app, keeper, world, new_lot):
    new_lot(lot_code="EXISTS")
    text = (
        HEADER
        + f"oxy-conc-10l,Main,OK-1,{NEXT_YEAR},10,\n"  # line 2: fine (code case does not matter)
        + f"NOPE-1,Main,A,{NEXT_YEAR},10,\n"  # 3: unknown item
        + f"OXY-CONC-10L,Elsewhere,B,{NEXT_YEAR},10,\n"  # 4: another provider's location
        + "OXY-CONC-10L,Main,C,2020-01-01,10,\n"  # 5: expired
        + "OXY-CONC-10L,Main,D,31/12/2099,zero,lost\n"  # 6: date, quantity and status
        + f"OXY-CONC-10L,Main,EXISTS,{NEXT_YEAR},3,\n"  # 7: lot exists already
        + f"OXY-CONC-10L,{world.location.id},OK-1,,4,\n"  # 8: repeats line 2 (location by id)
        + "\n"  # 9: blank, skipped
        + f"MASK-N95,Main,,{NEXT_YEAR},-2,\n"
    )  # 10: no lot code, negative quantity
    response = _upload(keeper, text, "?dry_run=true")
    assert response.status_code == 200, response.json
    report = response.json
    assert (report["dry_run"], report["rows"], report["created"]) == (True, 8, 0)
    found = {(e["line"], e["field"]) for e in report["errors"]}
    assert found == {
        (3, "item_code"),
        (4, "location"),
        (5, "expires_on"),
        (6, "expires_on"),
        (6, "quantity"),
        (6, "status"),
        (7, "lot_code"),
        (8, "lot_code"),
        (10, "lot_code"),
        (10, "quantity"),
    }
    messages = {(e["line"], e["field"]): e["message"] for e in report["errors"]}
    assert "NOPE-1" in messages[(3, "item_code")] and "Repeats line 2" in messages[(8, "lot_code")]
    assert count_rows(app) == 1 and count_rows(app, StockMovement) == 1


def test_an_import_with_one_bad_row_imports_nothing_and_answers_422(app, keeper):
    text = HEADER + f"OXY-CONC-10L,Main,G-1,{NEXT_YEAR},10,\n" + "OXY-CONC-10L,Main,G-2,tomorrow,5,\n"
    response = _upload(keeper, text, "?dry_run=false")
    assert response.status_code == 422
    body = response.json
    assert body["code"] == 422 and "nothing was imported" in body["message"]
    rows = body["errors"]["rows"]
    assert set(body) == {"code", "status", "message", "errors", "report"}
    assert body["report"]["created"] == 0 and rows == [
        {"line": 3, "field": "expires_on", "message": rows[0]["message"]}
    ]
    assert count_rows(app) == 0 and count_rows(app, StockMovement) == 0


@pytest.mark.both_databases
def test_a_good_file_imports_every_lot_with_receipts_referencing_the_import(app, keeper, world):
    text = (
        "Item_Code;Location;Lot_Code;Expires_On;Quantity;Status;Note\n"  # a spreadsheet's semicolons
        f"OXY-CONC-10L;main;I-1;{NEXT_YEAR};10;;\n"
        f'MASK-N95;{world.location.id};I-2;;250;quarantined;"boxes of 50; wet"\n'
    )
    response = _upload(keeper, text)
    assert response.status_code == 201, response.json
    assert (response.json["created"], response.json["rows"], response.json["errors"]) == (2, 2, [])
    lots = {lot["lot_code"]: lot for lot in keeper.get("/api/v1/stock/lots").json["items"]}
    assert (lots["I-1"]["on_hand"], lots["I-1"]["status"], lots["I-1"]["expires_on"]) == (
        10,
        "available",
        NEXT_YEAR,
    )
    assert (lots["I-2"]["on_hand"], lots["I-2"]["status"], lots["I-2"]["expires_on"]) == (
        250,
        "quarantined",
        None,
    )
    with app.app_context():
        receipts = db.session.scalars(sa.select(StockMovement).order_by(StockMovement.id)).all()
        assert [(m.kind, m.reference_type, m.reference_id) for m in receipts] == [
            ("receipt", "import", None)
        ] * 2
        assert receipts[0].note == "CSV import, line 2" and receipts[1].note == "boxes of 50; wet"
        assert receipts[0].actor_id == keeper.user.id


def test_a_coordinator_imports_for_a_named_provider(app, coordinator, world):
    text = HEADER + f"OXY-CONC-10L,Elsewhere,C-1,{NEXT_YEAR},3,\n"
    assert "provider_id" in _upload(coordinator, text).json["errors"]
    assert "provider_id" in _upload(coordinator, text, "?provider_id=999999").json["errors"]
    response = _upload(coordinator, text, f"?provider_id={world.other.id}")
    assert response.status_code == 201, response.json
    with app.app_context():
        assert db.session.get(StockLot, response.json["lot_ids"][0]).provider_id == world.other.id


def test_a_provider_cannot_import_into_another_provider(rival, world):
    response = _upload(
        rival, HEADER + f"OXY-CONC-10L,Main,X,{NEXT_YEAR},3,\n", f"?provider_id={world.provider.id}"
    )
    assert response.status_code == 422 and "provider_id" in response.json["errors"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("caf\u00e9,Main".encode("latin-1"), "UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"", "empty"),
        (HEADER.encode(), "no rows"),
        (b"item,where,lot\nA,B,C\n", "Missing column"),
        (b"item_code,location,lot_code,expires_on,quantity,colour\nA,B,C,,1,red\n", "Unknown column"),
        (b'item_code,location,lot_code,expires_on,quantity\nA,"B,C,,1\n', "not valid CSV"),
    ],
)
def test_a_file_that_is_not_a_lots_csv_answers_422_naming_file(app, keeper, content, words):
    response = _upload(keeper, content)
    assert response.status_code == 422, response.json
    assert words in response.json["errors"]["file"][0]
    assert count_rows(app) == 0


def test_an_upload_without_a_file_answers_422_naming_file(keeper):
    response = keeper.post("/api/v1/stock/imports", json={"rows": []})
    assert response.status_code == 422 and "file" in response.json["errors"]


def test_more_than_10000_rows_answer_422(app, keeper):
    rows = "".join(f"OXY-CONC-10L,Main,R-{n},,1,\n" for n in range(10_001))
    response = _upload(keeper, HEADER + rows)
    assert response.status_code == 422
    assert "10,000" in response.json["errors"]["file"][0]


def test_an_upload_over_the_size_limit_answers_413(app, keeper):
    app.config["MAX_CONTENT_LENGTH"] = 2_000
    response = _upload(keeper, HEADER + "OXY-CONC-10L,Main,BIG,,1,\n" * 200)
    assert response.status_code == 413
    assert response.json["code"] == 413 and set(response.json) == {"code", "status", "message", "errors"}
    assert count_rows(app) == 0


def test_a_row_with_more_cells_than_the_header_is_reported(keeper):
    response = _upload(keeper, HEADER + f"OXY-CONC-10L,Main,Z,{NEXT_YEAR},1,,surplus\n", "?dry_run=true")
    assert [(e["line"], e["field"]) for e in response.json["errors"]] == [(2, "row")]


def test_an_import_that_fails_while_writing_leaves_nothing_behind(app, keeper, monkeypatch):
    from health_responder.stock import imports

    real_receipts, calls = imports._insert_receipts, []

    def receipts_then_fail(receipts):
        calls.append(1)
        real_receipts(receipts)
        raise RuntimeError("disk full")  # after the lots and their receipts went in

    monkeypatch.setattr(imports, "_insert_receipts", receipts_then_fail)
    text = HEADER + "".join(f"OXY-CONC-10L,Main,W-{n},{NEXT_YEAR},5,\n" for n in range(5))
    response = _upload(keeper, text)
    assert response.status_code == 500 and "disk full" not in response.get_data(as_text=True)
    assert calls == [1]
    assert count_rows(app) == 0 and count_rows(app, StockMovement) == 0
    monkeypatch.undo()
    assert _upload(keeper, text).status_code == 201  # and the provider's import claim was given back


def test_ten_thousand_rows_import_in_one_go(app, keeper):
    rows = "".join(f"OXY-CONC-10L,Main,T-{n:05d},{NEXT_YEAR},{n % 50 + 1},\n" for n in range(10_000))
    response = _upload(keeper, HEADER + rows)
    assert response.status_code == 201, response.json
    assert response.json["created"] == 10_000
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.sum(StockLot.on_hand))) == sum(
            n % 50 + 1 for n in range(10_000)
        )
        from health_responder.stock.services import ledger_mismatches

        assert ledger_mismatches() == []
