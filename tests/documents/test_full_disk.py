"""Issue 13 item 9: a full disk answers 507 in the error envelope, leaves no ``.part`` and registers nothing.

The disk is really full: a 64 KiB tmpfs mounted for the test and filled to its last page, so a write
gets ENOSPC from the kernel part-way through (no mock of the storage). Mounting needs root or
CAP_SYS_ADMIN (the development and CI machines run the tests as root); where it is not permitted the
tests are skipped with that reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from health_responder.documents.models import Document
from health_responder.extensions import db
from health_responder.materials.models import Material
from tests.factories import days, text
from tests.materials.test_api import PDF, upload

#: Room left on the filled disk: one page, so a write starts, then fails with ENOSPC.
LEFT = 4096
SUMMARY = {"from": days(-30).isoformat(), "to": days(0).isoformat()}


@pytest.fixture
def full_disk(tmp_path):
    """A mounted 64 KiB tmpfs filled but for ``LEFT`` bytes; yields its path, unmounted afterwards."""
    point = tmp_path / "small-disk"
    point.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command on this machine: cannot make a real full disk")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(
            f"mounting a tmpfs is not permitted here (needs root or CAP_SYS_ADMIN): {mounted.stderr.strip()}"
        )
    try:
        stats = os.statvfs(point)
        free = stats.f_bavail * stats.f_frsize
        (point / "filler").write_bytes(b"\0" * (free - LEFT))
        stats = os.statvfs(point)
        assert stats.f_bavail * stats.f_frsize == LEFT
        yield point
    finally:
        subprocess.run(["umount", "--lazy", str(point)], check=False)


def _files(point: Path) -> list[str]:
    return sorted(str(p.relative_to(point)) for p in point.rglob("*") if p.is_file() and p.name != "filler")


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_document_on_a_full_disk_answers_507_and_leaves_no_file_and_no_row(app, world, full_disk):
    app.config["REPORTS_DIR"] = str(full_disk / "reports")

    answer = world.coordinator.get("/api/v1/reports/dispatch-summary.pdf", query_string=SUMMARY)

    assert answer.status_code == 507, answer.data[:300]
    assert answer.json["code"] == 507 and answer.json["status"] == "Insufficient Storage"
    assert "no disk space left" in answer.json["message"] and "nothing was saved" in answer.json["message"]
    assert _files(full_disk) == []  # the partial file was written, then removed: no .part
    assert _count(app, Document) == 0

    (full_disk / "filler").unlink()  # room again: the same request now stores and registers it
    again = world.coordinator.get("/api/v1/reports/dispatch-summary.pdf", query_string=SUMMARY)
    assert again.status_code == 200 and again.data.startswith(b"%PDF")
    assert [name.endswith(".pdf") for name in _files(full_disk)] == [True]
    assert _count(app, Document) == 1


def test_the_summary_page_on_a_full_disk_says_so(app, world, full_disk):
    app.config["REPORTS_DIR"] = str(full_disk / "reports")
    page = world.page("coordinator")

    answer = page.get(
        "/reports/dispatch-summary",
        query_string={"period_from": SUMMARY["from"], "period_to": SUMMARY["to"]},
    )

    assert answer.status_code == 507
    assert "no disk space left" in text(answer)
    assert _files(full_disk) == [] and _count(app, Document) == 0


def test_an_upload_on_a_full_disk_answers_507_and_leaves_no_part_and_no_row(app, make, world, full_disk):
    make.topics()
    app.config["MATERIALS_DIR"] = str(full_disk / "materials")
    big = PDF + b"%" + b"x" * (3 * LEFT) + b"\n"

    answer = upload(world.provider_api, content=big)

    assert answer.status_code == 507, answer.json
    assert answer.json["status"] == "Insufficient Storage"
    assert answer.json["errors"] == {"file": ["No disk space left on the server."]}
    assert _files(full_disk) == []
    assert _count(app, Material) == 0

    small = upload(world.provider_api)  # a file that fits is taken: the refusal was the disk's
    assert small.status_code == 201, small.json
    assert _files(full_disk) == [f"materials/{small.json['sha256']}.pdf"]
