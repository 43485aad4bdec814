"""CSV export over the API, and the ``flask stock`` import and export commands."""

from __future__ import annotations

import csv
import io

import pytest

from health_responder.stock.csvio import EXPORT_COLUMNS
from health_responder.stock.models import StockLot, StockMovement
from tests.factories import NEXT_YEAR, count_rows, reserve


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.both_databases
def test_the_lots_csv_is_tenant_scoped_filtered_and_spreadsheet_safe(
    app, keeper, coordinator, world, new_lot
):
    a = new_lot(quantity=12, lot_code='=HYPERLINK("x")')
    reserve(app, a["id"], 2)
    new_lot(quantity=3, lot_code="M-1", item_id=world.mask.id)
    new_lot(quantity=9, client=coordinator, location_id=world.other_location.id, lot_code="THEIRS")
    response = keeper.get("/api/v1/stock/lots.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    # UTF-8 with a BOM, like requests.csv, so that spreadsheet programs read its letters right.
    assert response.get_data().startswith("\ufeffid,provider,".encode())
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response.get_data(as_text=True))
    assert [row["lot_code"] for row in rows] == ['\'=HYPERLINK("x")', "M-1"]
    first = rows[0]
    assert tuple(first) == EXPORT_COLUMNS
    assert (first["provider"], first["item_code"], first["location"], first["expires_on"]) == (
        "Near Supply",
        "OXY-CONC-10L",
        "Main",
        a["expires_on"],  # what the lot was given, not a date computed again (the run may cross midnight)
    )
    assert (first["on_hand"], first["reserved"], first["available"]) == ("12", "2", "10")
    filtered = _csv(keeper.get(f"/api/v1/stock/lots.csv?item_id={world.mask.id}").get_data(as_text=True))
    assert [row["lot_code"] for row in filtered] == ["M-1"]
    everyone = _csv(coordinator.get("/api/v1/stock/lots.csv").get_data(as_text=True))
    assert len(everyone) == 3


def test_a_large_export_streams_every_lot_once(app, keeper, world):
    header = "item_code,location,lot_code,expires_on,quantity\n"
    rows = "".join(f"OXY-CONC-10L,Main,S-{n:04d},,1\n" for n in range(1_203))
    result = app.test_cli_runner().invoke(
        args=["stock", "import", "-", "--provider", "Near Supply"], input=header + rows
    )
    assert result.exit_code == 0, result.output
    exported = _csv(keeper.get("/api/v1/stock/lots.csv").get_data(as_text=True))
    assert [row["lot_code"] for row in exported] == [f"S-{n:04d}" for n in range(1_203)]


def test_cli_import_with_a_progress_bar_then_export(app, runner, world, tmp_path):
    source = tmp_path / "lots.csv"
    source.write_text(
        "item_code,location,lot_code,expires_on,quantity,status\n"
        f"OXY-CONC-10L,Main,CLI-1,{NEXT_YEAR},40,\n"
        f"MASK-N95,Main,CLI-2,,500,quarantined\n",
        encoding="utf-8",
    )
    dry = runner.invoke(args=["stock", "import", str(source), "--provider", "Near Supply", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "2 rows are valid" in dry.output and count_rows(app) == 0
    result = runner.invoke(args=["stock", "import", str(source), "--provider", "Near Supply"])
    assert result.exit_code == 0, result.output
    assert "Importing 2 rows" in result.output and "Imported 2 lots for Near Supply" in result.output
    assert count_rows(app) == 2 and count_rows(app, StockMovement) == 2

    target = tmp_path / "out.csv"
    exported = runner.invoke(args=["stock", "export", "--provider", "Near Supply", str(target)])
    assert exported.exit_code == 0, exported.output
    rows = _csv(target.read_text(encoding="utf-8"))
    assert [(r["lot_code"], r["on_hand"], r["status"]) for r in rows] == [
        ("CLI-1", "40", "available"),
        ("CLI-2", "500", "quarantined"),
    ]
    to_stdout = runner.invoke(args=["stock", "export"])
    assert to_stdout.exit_code == 0 and "CLI-2" in to_stdout.output


def test_cli_import_lists_every_bad_row_and_imports_nothing(app, runner, world, tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text(
        "item_code,location,lot_code,expires_on,quantity\n"
        f"OXY-CONC-10L,Main,OK,{NEXT_YEAR},4\n"
        f"OXY-CONC-10L,Nowhere,B,{NEXT_YEAR},4\n"
        "OXY-CONC-10L,Main,C,,0\n",
        encoding="utf-8",
    )
    for extra in ([], ["--dry-run"]):
        result = runner.invoke(args=["stock", "import", str(source), "--provider", "Near Supply", *extra])
        assert result.exit_code == 1
        assert "line 3, location: No location 'Nowhere' at Near Supply." in result.output
        assert "line 4, quantity:" in result.output and "2 of 3 rows have errors" in result.output
    assert count_rows(app, StockLot) == 0 and count_rows(app, StockMovement) == 0


def test_cli_names_an_unknown_provider_and_a_bad_file(runner, world, tmp_path):
    source = tmp_path / "lots.csv"
    source.write_bytes(b"item_code,location,lot_code,expires_on,quantity\nX,Y,Z,,1\n")
    result = runner.invoke(args=["stock", "import", str(source), "--provider", "Nobody"])
    assert result.exit_code == 1 and "No provider named 'Nobody'" in result.output
    source.write_bytes(b"\xff\xfe\x00garbage")
    result = runner.invoke(args=["stock", "import", str(source), "--provider", "Near Supply"])
    assert result.exit_code == 1 and "file:" in result.output
    assert runner.invoke(args=["stock", "export", "--provider", "Nobody"]).exit_code == 1
