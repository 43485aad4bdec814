"""The pages that create, edit, publish and cancel training programs, and the knowledge hub's pages.

Logged in through the login page as provider, coordinator and city users (the ``world`` of the page
tests), the forms are filled as a browser fills them; what they did is read back through the API.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from tests.pages.conftest import flashes, make_lot, text, world  # noqa: F401
from tests.training.conftest import program_body

START = (datetime.now(UTC) + timedelta(days=20)).replace(hour=9, minute=0, second=0, microsecond=0)


def form_data(w, **overrides) -> dict:
    """What a person types into the new-program form: an onsite program open to the first network."""
    data = {
        "title": "Ventilator handling, level 1",
        "topic": "ventilation",
        "language": "ko",
        "mode": "onsite",
        "venue": "Sejong General Hospital, room 3",
        "link": "",
        "description": "Hands-on, small groups.",
        "starts_at": START.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (START + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"),
        "enrolment_deadline": (START.date() - timedelta(days=5)).isoformat(),
        "capacity": "12",
        "networks": [str(w.network.id)],
        "action": "draft",
    }
    return data | overrides


def api_program(w, by="provider", **overrides) -> dict:
    answer = w.api[by].post("/api/v1/training/programs", json=program_body(**overrides))
    assert answer.status_code == 201, answer.json
    return answer.json


def read(w, program_id: int, by="coordinator") -> dict:
    answer = w.api[by].get(f"/api/v1/training/programs/{program_id}")
    assert answer.status_code == 200, answer.json
    return answer.json


def program_id_of(response) -> int:
    assert response.status_code == 302, text(response)
    match = re.fullmatch(r"/training/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def pdf_bytes(title: str = "Oxygen concentrator checklist") -> bytes:
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, pagesize=A4)
    sheet.drawString(72, 760, title)
    sheet.showPage()
    sheet.save()
    return buffer.getvalue()


def multipart(fields: dict, file: tuple[bytes, str, str]) -> tuple[bytes, str]:
    """A browser's multipart body, built in memory (werkzeug's test encoder spools big bodies to a
    temporary file it leaves open)."""
    boundary = "----program-pages-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    content, filename, content_type = file
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="pdf-file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(page, content: bytes, name="checklist.pdf", content_type="application/pdf", token=True, **fields):
    data = {
        "pdf-title": "Concentrator checklist",
        "pdf-topic": "oxygen_therapy",
        "pdf-language": "ko",
        "pdf-description": "One page, print it.",
    } | fields
    if token:
        data["csrf_token"] = page.token("/training/materials")
    body, content_type_header = multipart(data, (content, name, content_type))
    return page.client.post("/training/materials/pdfs", data=body, content_type=content_type_header)


@pytest.fixture
def w(world, topics):  # noqa: F811 - the page tests' world, imported above
    # Each token's first use is a GET (see tests/training/conftest.py: the api fixture).
    for client in world.api.values():
        assert client.get("/api/v1/topics").status_code == 200
    return world


# --- creating -------------------------------------------------------------------------------------


def test_a_provider_creates_a_draft_through_the_form_and_publishes_it(w):
    provider = w.page("provider")
    assert 'href="/training/new"' in provider.html("/training")
    form_page = provider.html("/training/new")
    assert 'name="provider_id"' not in form_page  # a provider runs its own programs only

    program_id = program_id_of(provider.post("/training/new", form_data(w), page="/training/new"))
    assert "Ventilator handling, level 1 is saved as a draft." in " ".join(
        flashes(provider.html(f"/training/{program_id}"))
    )
    saved = read(w, program_id, by="provider")
    assert saved["status"] == "draft" and saved["provider_id"] == w.provider.id
    assert saved["topic"] == "ventilation" and saved["language"] == "ko" and saved["mode"] == "onsite"
    assert saved["venue"] == "Sejong General Hospital, room 3" and saved["capacity"] == 12
    assert datetime.fromisoformat(saved["starts_at"]) == START
    assert datetime.fromisoformat(saved["ends_at"]) == START + timedelta(hours=6)
    assert [n["id"] for n in saved["networks"]] == [w.network.id]
    assert "Ventilator handling, level 1" in provider.html("/training")
    assert "Ventilator handling, level 1" not in w.page("city").html(
        "/training"
    )  # a draft is not offered yet

    published = provider.post(f"/training/{program_id}/publish", page=f"/training/{program_id}")
    assert published.status_code == 302
    assert read(w, program_id)["status"] == "published"
    assert "Ventilator handling, level 1" in w.page("city").html("/training")
    again = provider.post(f"/training/{program_id}/publish", page=f"/training/{program_id}")
    assert again.status_code == 409
    assert "Cannot publish a training program that is published" in " ".join(flashes(text(again)))


def test_publish_now_creates_a_published_program_open_to_every_network(w):
    provider = w.page("provider")
    data = form_data(w, action="publish", mode="online", venue="", link="https://learn.example.org/vent")
    data.pop("networks")
    program_id = program_id_of(provider.post("/training/new", data, page="/training/new"))
    saved = read(w, program_id)
    assert saved["status"] == "published" and saved["networks"] == []
    assert saved["link"] == "https://learn.example.org/vent" and saved["venue"] is None
    assert "Ventilator handling, level 1" in w.page("other_city").html("/training")


def test_a_coordinator_chooses_the_provider(w):
    coordinator = w.page("coordinator")
    assert 'name="provider_id"' in coordinator.html("/training/new")
    missing = coordinator.post("/training/new", form_data(w), page="/training/new")
    assert missing.status_code == 422
    assert "Required for staff." in text(missing) and 'value="Ventilator handling, level 1"' in text(missing)
    program_id = program_id_of(
        coordinator.post(
            "/training/new",
            form_data(w, provider_id=str(w.other_provider.id), action="publish"),
            page="/training/new",
        )
    )
    saved = read(w, program_id)
    assert saved["provider_id"] == w.other_provider.id and saved["status"] == "published"


def test_a_refused_form_answers_422_shows_the_messages_and_keeps_what_was_typed(w):
    provider = w.page("provider")
    no_seats = provider.post("/training/new", form_data(w, capacity="0"), page="/training/new")
    assert no_seats.status_code == 422
    assert re.search(
        r'<p class="error" id="capacity-errors">Must be between 1 and 100000.</p>', text(no_seats)
    )
    assert 'value="0"' in text(no_seats) and 'value="Ventilator handling, level 1"' in text(no_seats)
    data = form_data(
        w,
        ends_at=(START - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        title="Ventilation for night shifts",
    )
    refused = provider.post("/training/new", data, page="/training/new")
    html = text(refused)
    assert refused.status_code == 422
    assert "Must be after starts_at." in html
    assert 'aria-describedby="ends_at-errors"' in html and 'id="ends_at-errors"' in html
    assert 'value="Ventilation for night shifts"' in html
    assert (
        "Sejong General Hospital, room 3</textarea>" in html and "Hands-on, small groups.</textarea>" in html
    )
    assert (
        f'value="{data["ends_at"]}"' in html
        and f'value="{data["starts_at"]}"' in html
        and 'value="12"' in html
    )
    assert re.search(rf'value="{w.network.id}"\s+checked', html)
    assert w.api["provider"].get("/api/v1/training/programs").json["total"] == 0


def test_the_services_own_rules_are_shown_next_to_their_field(w):
    provider = w.page("provider")
    refused = provider.post("/training/new", form_data(w, venue="  "), page="/training/new")
    assert refused.status_code == 422
    assert re.search(
        r'<p class="error" id="venue-errors">An onsite program needs a venue.</p>', text(refused)
    )
    assert "The program&#39;s details do not fit together." in text(refused)
    late = provider.post(
        "/training/new",
        form_data(w, enrolment_deadline=(START.date() + timedelta(days=1)).isoformat()),
        page="/training/new",
    )
    assert late.status_code == 422 and "Must be on or before the day the program starts." in text(late)
    not_a_date = provider.post("/training/new", form_data(w, starts_at="next tuesday"), page="/training/new")
    assert not_a_date.status_code == 422 and 'value="next tuesday"' in text(not_a_date)
    assert w.api["provider"].get("/api/v1/training/programs").json["total"] == 0


# --- editing, publishing, cancelling --------------------------------------------------------------


def test_edit_shows_the_program_and_saves_the_changes(w):
    program = api_program(w, published=False, networks=[w.network.id], capacity=30)
    provider = w.page("provider")
    path = f"/training/{program['id']}"
    page = provider.html(path)
    assert (
        f'href="{path}/edit"' in page
        and f'action="{path}/publish"' in page
        and f'href="{path}/cancel"' in page
    )
    form = provider.html(f"{path}/edit")
    starts = datetime.fromisoformat(program["starts_at"]).strftime("%Y-%m-%dT%H:%M")
    assert 'value="Oxygen therapy basics"' in form and f'value="{starts}"' in form and 'value="30"' in form
    assert re.search(rf'value="{w.network.id}"\s+checked', form)

    data = form_data(
        w,
        title="Oxygen therapy, revised",
        topic="oxygen_therapy",
        mode="online",
        venue="",
        link="https://learn.example.org/oxygen-2",
        capacity="40",
    )
    data.pop("networks")
    saved = provider.post(f"{path}/edit", data, page=f"{path}/edit")
    assert saved.status_code == 302 and saved.headers["Location"] == path
    assert "The changes to Oxygen therapy, revised are saved." in " ".join(flashes(provider.html(path)))
    after = read(w, program["id"])
    assert after["title"] == "Oxygen therapy, revised" and after["capacity"] == 40 and after["networks"] == []
    assert after["status"] == "draft" and datetime.fromisoformat(after["starts_at"]) == START

    emptied = provider.post(f"{path}/edit", form_data(w, title=" ", capacity="5"), page=f"{path}/edit")
    assert emptied.status_code == 422 and "Missing data for required field." in text(emptied)
    assert read(w, program["id"])["title"] == "Oxygen therapy, revised"


def test_a_coordinator_edits_and_cancels_any_providers_program(w):
    program = api_program(w)
    coordinator = w.page("coordinator")
    path = f"/training/{program['id']}"
    assert 'name="provider_id"' not in coordinator.html(
        f"{path}/edit"
    )  # the provider is fixed once it exists
    data = form_data(w, title="Oxygen therapy for coordinators", topic="oxygen_therapy")
    assert coordinator.post(f"{path}/edit", data, page=f"{path}/edit").status_code == 302
    assert read(w, program["id"])["title"] == "Oxygen therapy for coordinators"
    assert coordinator.post(f"{path}/cancel", page=f"{path}/cancel").status_code == 302
    assert read(w, program["id"])["status"] == "cancelled"


def test_capacity_below_the_seats_taken_is_refused_by_the_service(w):
    program = api_program(w, capacity=2)
    for n in (1, 2):
        assert (
            w.api["city"]
            .post(
                f"/api/v1/training/programs/{program['id']}/enrolments",
                json={"participant_name": f"P{n}", "participant_email": f"p{n}@sejong.kr"},
            )
            .status_code
            == 201
        )
    path = f"/training/{program['id']}"
    refused = w.page("provider").post(
        f"{path}/edit", form_data(w, capacity="1", title="Smaller"), page=f"{path}/edit"
    )
    assert refused.status_code == 422
    assert "2 seats are taken already; capacity cannot be lower." in text(refused)
    assert 'value="Smaller"' in text(refused) and read(w, program["id"])["capacity"] == 2


def test_cancelling_asks_first_then_cancels_the_places(w):
    program = api_program(w)
    enrolment = (
        w.api["city"]
        .post(
            f"/api/v1/training/programs/{program['id']}/enrolments",
            json={"participant_name": "Kim Min-ji", "participant_email": "minji@sejong.kr"},
        )
        .json
    )
    provider = w.page("provider")
    path = f"/training/{program['id']}"
    confirm = provider.html(f"{path}/cancel")
    assert (
        "Cancel Oxygen therapy basics?" in confirm and "1 participant place(s) will be cancelled" in confirm
    )
    assert f'action="{path}/cancel"' in confirm and "Yes, cancel the program" in confirm
    assert read(w, program["id"])["status"] == "published"  # asking changed nothing

    done = provider.post(f"{path}/cancel", page=f"{path}/cancel")
    assert done.status_code == 302 and done.headers["Location"] == path
    page = provider.html(path)
    assert "is cancelled; its participants&#39; cities are told." in " ".join(flashes(page))
    assert f'href="{path}/edit"' not in page and f'href="{path}/cancel"' not in page
    assert read(w, program["id"])["status"] == "cancelled"
    assert w.api["city"].get(f"/api/v1/training/enrolments/{enrolment['id']}").json["status"] == "cancelled"

    again = provider.post(f"{path}/cancel", page=path)
    assert again.status_code == 409
    assert "Cannot cancel a training program that is cancelled" in " ".join(flashes(text(again)))
    edit = provider.post(f"{path}/edit", form_data(w, title="Back from the dead"), page=f"{path}/edit")
    assert edit.status_code == 409
    assert "A cancelled training program cannot be changed." in text(
        edit
    ) and 'value="Back from the dead"' in text(edit)


def test_a_provider_cannot_touch_another_providers_program(w):
    program = api_program(w, published=False)
    other = w.page("other_provider")
    path = f"/training/{program['id']}"
    assert other.get(f"{path}/edit").status_code == 404
    assert other.get(f"{path}/cancel").status_code == 404
    assert other.post(f"{path}/edit", form_data(w, title="Hijacked")).status_code == 404
    assert other.post(f"{path}/publish").status_code == 404
    assert other.post(f"{path}/cancel").status_code == 404
    after = read(w, program["id"])
    assert after["title"] == "Oxygen therapy basics" and after["status"] == "draft"
    published = api_program(w, title="Open to all")
    page = other.html(
        f"/training/{published['id']}"
    )  # another provider's published program: visible, not editable
    assert "Open to all" in page and f"/training/{published['id']}/edit" not in page
    assert f"/training/{published['id']}/publish" not in page


def test_a_city_user_sees_no_controls_and_is_refused(w):
    program = api_program(w)
    city = w.page("city")
    path = f"/training/{program['id']}"
    assert "/training/new" not in city.html("/training")
    page = city.html(path)
    assert "Oxygen therapy basics" in page
    assert f"{path}/edit" not in page and f"{path}/publish" not in page and f"{path}/cancel" not in page
    assert city.get("/training/new").status_code == 403
    assert city.get(f"{path}/edit").status_code == 403
    assert city.get(f"{path}/cancel").status_code == 403
    assert city.post("/training/new", form_data(w, action="publish")).status_code == 403
    assert city.post(f"{path}/edit", form_data(w, title="Renamed by a city")).status_code == 403
    assert city.post(f"{path}/publish").status_code == 403
    assert city.post(f"{path}/cancel").status_code == 403
    hub = city.html("/training/materials")
    assert "/training/materials/links" not in hub and "/training/materials/pdfs" not in hub
    assert (
        city.post(
            "/training/materials/links",
            {"link-title": "x", "link-topic": "ventilation", "link-url": "https://example.org"},
        ).status_code
        == 403
    )
    after = read(w, program["id"])
    assert after["title"] == "Oxygen therapy basics" and after["status"] == "published"
    assert w.api["city"].get("/api/v1/materials").json["total"] == 0


def test_these_forms_require_the_csrf_token(w):
    program = api_program(w, published=False)
    provider = w.page("provider")
    path = f"/training/{program['id']}"
    posts = {
        "/training/new": form_data(w, action="publish"),
        f"{path}/edit": form_data(w, title="Forged"),
        f"{path}/publish": {},
        f"{path}/cancel": {},
        "/training/materials/links": {
            "link-title": "Forged",
            "link-topic": "ventilation",
            "link-url": "https://example.org",
        },
    }
    for url, data in posts.items():
        missing = provider.post(url, data, token=False)
        assert missing.status_code == 400 and "CSRF" in text(missing), url
        forged = provider.post(url, data | {"csrf_token": "forged"}, token=False)
        assert forged.status_code == 400, url
    assert upload(provider, pdf_bytes(), token=False).status_code == 400
    assert upload(provider, pdf_bytes(), token=False, csrf_token="forged").status_code == 400
    after = read(w, program["id"])
    assert after["title"] == "Oxygen therapy basics" and after["status"] == "draft"
    assert w.api["provider"].get("/api/v1/training/programs").json["total"] == 1
    assert w.api["provider"].get("/api/v1/materials").json["total"] == 0


# --- knowledge hub --------------------------------------------------------------------------------


def test_a_provider_adds_a_link_and_a_pdf_and_everyone_finds_them(w):
    provider = w.page("provider")
    hub = provider.html("/training/materials")
    assert 'action="/training/materials/links"' in hub and 'enctype="multipart/form-data"' in hub
    added = provider.post(
        "/training/materials/links",
        {
            "link-title": "WHO ventilation guide",
            "link-topic": "ventilation",
            "link-language": "en",
            "link-url": "https://www.who.int/vent-guide",
        },
        page="/training/materials",
    )
    assert added.status_code == 302 and added.headers["Location"] == "/training/materials?topic=ventilation"
    content = pdf_bytes()
    uploaded = upload(provider, content)
    assert uploaded.status_code == 302, text(uploaded)

    listed = w.api["city"].get("/api/v1/materials?order_by=id").json["items"]
    assert [(m["title"], m["kind"], m["provider_id"]) for m in listed] == [
        ("WHO ventilation guide", "link", w.provider.id),
        ("Concentrator checklist", "pdf", w.provider.id),
    ]
    pdf_id = listed[1]["id"]
    city = w.page("city")
    html = city.html("/training/materials")
    assert "<h3>Mechanical ventilation</h3>" in html and "<h3>Oxygen therapy</h3>" in html
    assert (
        'href="https://www.who.int/vent-guide"' in html
        and f'href="/training/materials/{pdf_id}/file"' in html
    )
    assert "<td>MedAsia Test</td>" in html and "<td>한국어</td>" in html and "<td>English</td>" in html
    korean_only = city.html("/training/materials?language=ko")
    assert "Concentrator checklist" in korean_only and "WHO ventilation guide" not in korean_only
    by_topic = city.html("/training/materials?topic=ventilation")
    assert "WHO ventilation guide" in by_topic and "Concentrator checklist" not in by_topic
    with city.get(f"/training/materials/{pdf_id}/file") as download:
        assert (
            download.status_code == 200
            and download.mimetype == "application/pdf"
            and download.data == content
        )
    program = api_program(w, topic="oxygen_therapy")
    assert f'href="/training/materials/{pdf_id}/file"' in city.html(f"/training/{program['id']}")


def test_the_upload_shows_the_services_refusals_and_keeps_the_typed_fields(w):
    provider = w.page("provider")
    not_pdf = upload(provider, b"hello, this is text", name="notes.pdf", **{"pdf-title": "Night-shift notes"})
    assert not_pdf.status_code == 422
    assert "Not a PDF document (no %PDF header)." in text(not_pdf)
    assert 'aria-describedby="pdf-file-hint pdf-file-errors"' in text(not_pdf)
    assert 'value="Night-shift notes"' in text(not_pdf) and "One page, print it.</textarea>" in text(not_pdf)
    wrong_type = upload(provider, pdf_bytes(), name="x.txt", content_type="text/plain")
    assert wrong_type.status_code == 422 and "Content type is text/plain; send application/pdf." in text(
        wrong_type
    )
    no_file = upload(provider, b"", name="")
    assert no_file.status_code == 422 and "Choose a PDF file." in text(no_file)
    bad_url = provider.post(
        "/training/materials/links",
        {"link-title": "Guide", "link-topic": "ventilation", "link-url": "ftp://example.org/guide"},
        page="/training/materials",
    )
    assert bad_url.status_code == 422 and "An http or https URL." in text(bad_url)
    assert 'value="ftp://example.org/guide"' in text(bad_url)
    assert w.api["provider"].get("/api/v1/materials").json["total"] == 0


def test_a_pdf_larger_than_the_app_wide_body_limit_but_within_the_services_limit_is_accepted(app, w):
    provider = w.page("provider")
    assert app.config["MAX_CONTENT_LENGTH"] < 6 * 1024 * 1024
    big = pdf_bytes() + b"%" + b"0" * (6 * 1024 * 1024)
    assert upload(provider, big, name="big.pdf").status_code == 302
    too_big = upload(provider, pdf_bytes() + b"%" + b"0" * (10 * 1024 * 1024), name="huge.pdf")
    assert too_big.status_code == 422 and "At most 10 MB." in text(too_big)
    assert [m["size"] for m in w.api["provider"].get("/api/v1/materials").json["items"]] == [len(big)]


# --- language -------------------------------------------------------------------------------------


def test_the_new_pages_speak_korean(w):
    provider = w.page("provider")
    assert provider.post("/language", {"locale": "ko", "next": "/training"}).status_code == 302
    assert ">새 교육 과정</a>" in provider.html("/training")
    form = provider.html("/training/new")
    assert '<html lang="ko">' in form and "<h1>새 교육 과정 만들기</h1>" in form
    for words in (
        "정원(좌석 수)",
        "등록 마감일",
        "<legend>등록 가능한 네트워크</legend>",
        "임시 저장",
        "지금 공개",
        "교육 언어",
        "시간대: UTC.",
    ):
        assert words in form, words
    refused = provider.post("/training/new", form_data(w, capacity="0"), page="/training/new")
    assert refused.status_code == 422 and 'value="Ventilator handling, level 1"' in text(refused)
    hub = provider.html("/training/materials")
    for words in (
        "<h1>지식 허브</h1>",
        "<h2>링크 추가</h2>",
        "<h2>PDF 올리기</h2>",
        "아직 교육 자료가 없습니다.",
        "PDF 파일",
    ):
        assert words in hub, words
    program = api_program(w, published=False)
    page = provider.html(f"/training/{program['id']}")
    assert "<h2>교육 과정 관리</h2>" in page and ">공개</button>" in page and ">교육 과정 취소</a>" in page
    confirm = provider.html(f"/training/{program['id']}/cancel")
    assert (
        "Oxygen therapy basics 교육 과정을 취소할까요?" in confirm and "예, 교육 과정을 취소합니다" in confirm
    )
