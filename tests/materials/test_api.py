"""The knowledge hub: links and PDFs published by providers and staff, searched by everyone."""

from __future__ import annotations

from pathlib import Path

import pytest

from health_responder.extensions import db
from health_responder.materials.models import MATERIAL_MAX_BYTES, Material

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def multipart(fields: dict, file: tuple[bytes, str, str] | None) -> tuple[bytes, str]:
    """A multipart/form-data body, built in memory (werkzeug's test encoder spools big bodies to an
    unclosed temporary file)."""
    boundary = "----training-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    if file is not None:
        content, filename, content_type = file
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def post_form(client, fields, file=None):
    body, content_type = multipart(fields, file)
    return client._client.post(
        "/api/v1/materials", data=body, content_type=content_type, headers=client._headers(None)
    )


def upload(client, content=PDF, content_type="application/pdf", filename="guide.pdf", **fields):
    form = {"title": "Concentrator guide", "topic": "oxygen_therapy", "language": "en"} | fields
    return post_form(client, form, (content, filename, content_type))


def test_provider_publishes_a_link_and_everyone_finds_it(provider, api):
    made = provider.post(
        "/api/v1/materials",
        json={
            "title": "WHO oxygen guide",
            "topic": "oxygen_therapy",
            "language": "en",
            "url": "https://who.example.org/oxygen",
        },
    )
    assert made.status_code == 201
    assert (made.json["kind"], made.json["provider_id"], made.json["file_url"]) == (
        "link",
        provider.user.provider_id,
        None,
    )
    found = api("city").get("/api/v1/materials", query_string={"topic": "oxygen_therapy", "q": "who"})
    assert [m["id"] for m in found.json["items"]] == [made.json["id"]]
    link_file = api("city").get(f"/api/v1/materials/{made.json['id']}/file")
    assert link_file.status_code == 409 and "link" in link_file.json["message"]


def test_provider_uploads_a_pdf_that_downloads_byte_for_byte(provider, api, app):
    made = upload(provider, language="ko", title="산소 농축기 안내서")
    assert made.status_code == 201, made.json
    body = made.json
    assert (body["kind"], body["size"], body["content_type"], body["language"]) == (
        "pdf",
        len(PDF),
        "application/pdf",
        "ko",
    )
    with api("city").get(body["file_url"]) as downloaded:
        assert (
            downloaded.status_code == 200
            and downloaded.mimetype == "application/pdf"
            and downloaded.data == PDF
        )
    # MATERIALS_DIR unset: the uploads' folder is "materials" beside REPORTS_DIR, not inside it.
    stored = Path(app.config["REPORTS_DIR"]).parent / "materials" / f"{body['sha256']}.pdf"
    assert stored.read_bytes() == PDF
    assert not list(Path(app.config["REPORTS_DIR"]).rglob("*.pdf"))


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"MZ\x90\x00 not a pdf at all", "setup.exe", "setup.exe: Not a PDF document (no %PDF header)."),
        (
            b"Dear colleagues, the guide follows.",
            "guide.pdf",
            "guide.pdf: Not a PDF document (no %PDF header).",
        ),
        (b"", "empty.pdf", "empty.pdf: The file is empty."),
    ],
)
def test_uploads_that_are_not_pdfs_are_refused_naming_the_file(provider, content, filename, message):
    response = upload(provider, content=content, content_type="application/pdf", filename=filename)
    assert response.status_code == 422, response.json
    assert response.json["errors"]["file"] == [message]
    assert response.json["message"].startswith(f"{filename} is not accepted: ")
    assert provider.get("/api/v1/materials").json["total"] == 0


@pytest.mark.parametrize("content_type", ["application/octet-stream", "application/x-pdf", "text/plain", ""])
def test_a_pdf_is_taken_by_its_header_whatever_content_type_the_browser_sent(provider, content_type):
    made = upload(provider, content_type=content_type or "application/octet-stream", filename="guide")
    assert made.status_code == 201, made.json
    assert (made.json["content_type"], made.json["size"], made.json["version"]) == (
        "application/pdf",
        len(PDF),
        1,
    )
    with provider.get(made.json["file_url"]) as downloaded:
        assert downloaded.mimetype == "application/pdf" and downloaded.data == PDF


def test_a_pdf_over_10_mb_is_refused_and_one_just_under_is_taken(provider):
    too_big = upload(provider, content=PDF + b"0" * (MATERIAL_MAX_BYTES - len(PDF) + 1))
    assert too_big.status_code in (413, 422)
    if too_big.status_code == 422:
        assert "file" in too_big.json["errors"]
    fits = upload(provider, content=PDF + b"0" * (MATERIAL_MAX_BYTES - len(PDF)))
    assert fits.status_code == 201 and fits.json["size"] == MATERIAL_MAX_BYTES


def test_bad_material_input_names_the_field(provider, api):
    assert (
        "url"
        in provider.post(
            "/api/v1/materials", json={"title": "x", "topic": "oxygen_therapy", "url": "ftp://x"}
        ).json["errors"]
    )
    assert (
        "topic"
        in provider.post(
            "/api/v1/materials", json={"title": "x", "topic": "astrology", "url": "https://x.example.org"}
        ).json["errors"]
    )
    assert "title" in upload(provider, title="").json["errors"]
    missing = post_form(provider, {"title": "x", "topic": "oxygen_therapy"})
    assert missing.status_code == 422 and "file" in missing.json["errors"]


def test_cities_cannot_publish_and_coordinators_can(api, topics):
    body = {"title": "Hand hygiene", "topic": "infection_control", "url": "https://who.example.org/hands"}
    assert api("city").post("/api/v1/materials", json=body).status_code == 403
    made = api("coordinator").post("/api/v1/materials", json=body)
    assert made.status_code == 201 and made.json["provider_id"] is None


def test_materials_filter_by_language_and_kind(provider, api):
    provider.post(
        "/api/v1/materials",
        json={
            "title": "Guide",
            "topic": "oxygen_therapy",
            "language": "en",
            "url": "https://docs.example.org/en",
        },
    )
    korean = upload(provider, language="ko").json
    city = api("city")
    assert [
        m["id"] for m in city.get("/api/v1/materials", query_string={"language": "ko"}).json["items"]
    ] == [korean["id"]]
    assert [m["id"] for m in city.get("/api/v1/materials", query_string={"kind": "pdf"}).json["items"]] == [
        korean["id"]
    ]
    assert city.get("/api/v1/materials/999999").status_code == 404


def test_uploads_are_kept_in_materials_dir_apart_from_the_reports(provider, api, app, tmp_path):
    app.config["MATERIALS_DIR"] = str(tmp_path / "hub-files")
    body = upload(provider).json
    assert (tmp_path / "hub-files" / f"{body['sha256']}.pdf").read_bytes() == PDF
    assert not list(Path(app.config["REPORTS_DIR"]).rglob("*.pdf"))
    assert not (tmp_path / "materials").exists()
    with api("city").get(body["file_url"]) as downloaded:
        assert downloaded.status_code == 200 and downloaded.data == PDF


def test_a_pdf_uploaded_before_materials_dir_is_served_from_reports_dir_and_after_it_is_moved(
    provider, api, app, tmp_path
):
    app.config["MATERIALS_DIR"] = str(tmp_path / "hub-files")
    body = upload(provider).json
    name = f"{body['sha256']}.pdf"
    # What an older release left behind: the row says "materials/<sha256>.pdf", the file is in REPORTS_DIR.
    legacy = Path(app.config["REPORTS_DIR"]) / "materials" / name
    legacy.parent.mkdir(parents=True)
    (tmp_path / "hub-files" / name).rename(legacy)
    with app.app_context(), db.write_session():
        db.session.get(Material, body["id"]).file_path = f"materials/{name}"
    city = api("city")
    with city.get(body["file_url"]) as downloaded:
        assert downloaded.status_code == 200 and downloaded.data == PDF
    legacy.rename(tmp_path / "hub-files" / name)  # the operator moves the old uploads into MATERIALS_DIR
    with city.get(body["file_url"]) as downloaded:
        assert downloaded.status_code == 200 and downloaded.data == PDF
    (tmp_path / "hub-files" / name).unlink()
    missing = city.get(body["file_url"])
    assert missing.status_code == 404 and "missing from storage" in missing.json["message"]


def _post_chunked(app, path: str, body: bytes, content_type: str, token: str):
    """POST ``body`` as a server hands on a chunked request: no Content-Length, the stream marked terminated."""
    import io
    import json

    from werkzeug.test import EnvironBuilder, run_wsgi_app

    environ = EnvironBuilder(
        path=path,
        method="POST",
        headers={
            "Content-Type": content_type,
            "Transfer-Encoding": "chunked",
            "Authorization": f"Bearer {token}",
        },
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["CONTENT_TYPE"] = content_type  # the builder puts a boundary of its own there
    environ["wsgi.input"], environ["wsgi.input_terminated"] = io.BytesIO(body), True
    chunks, status, _headers = run_wsgi_app(app, environ)
    return int(status.split()[0]), json.loads(b"".join(chunks))


@pytest.mark.parametrize("megabytes", [6, 9])
def test_a_chunked_upload_over_the_app_wide_limit_is_taken_up_to_the_materials_own(app, provider, megabytes):
    """Regression: the app-wide guard for bodies without a length read a chunked upload against
    MAX_CONTENT_LENGTH (5 MB) before the route could raise it, and answered 413."""
    assert app.config["MAX_CONTENT_LENGTH"] < megabytes * 1024 * 1024 < MATERIAL_MAX_BYTES
    content = PDF + b"0" * (megabytes * 1024 * 1024)
    body, content_type = multipart(
        {"title": "Big guide", "topic": "oxygen_therapy", "language": "en"},
        (content, "big.pdf", "application/pdf"),
    )
    code, answer = _post_chunked(app, "/api/v1/materials", body, content_type, provider.token)
    assert code == 201, answer
    assert answer["size"] == len(content)
    # Past the route's own limit it is still 413, chunked or not.
    too_big, content_type = multipart(
        {"title": "Huge", "topic": "oxygen_therapy", "language": "en"},
        (PDF + b"0" * (MATERIAL_MAX_BYTES + 300 * 1024), "huge.pdf", "application/pdf"),
    )
    code, answer = _post_chunked(app, "/api/v1/materials", too_big, content_type, provider.token)
    assert code == 413 and answer["code"] == 413
