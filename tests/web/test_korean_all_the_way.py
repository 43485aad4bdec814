"""Korean all the way: every page every role reaches, read in Korean, shows no raw code.

The crawl starts from each demo user's dashboard (in Korean) and follows every link of the site, visiting
each page endpoint up to twice (a new page is crawled the day a link reaches it). A page fails when a
code of the domain (a state, priority, category, kind, reason, role, mode, check) is shown as it is
stored: a snake_case code anywhere in the text people read, or any code as the whole text of an element
(``<td>critical</td>``). Attributes (class names, values of options) are not read: people do not see them;
nor is a ``<code>`` element, an identifier shown on purpose (a topic's code on the admin's page).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from health_responder import labels
from tests.clients import csrf_token, page_login

#: Every code a person could be shown instead of its words.
CODES = set(labels.LABELS) | set(labels.CHECK_LABELS)
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
#: An address shown as text (a webinar's link) may hold a code in its path: it is not a word people read.
URL = re.compile(r"\S+://\S+")
SKIP_PREFIXES = ("/api/", "/static/", "/logout", "/language")
SKIP_SUFFIXES = (".pdf", ".csv", ".png", ".svg", ".json", ".zip", ".ics", ".xlsx")
PER_ENDPOINT = 2
LIMIT = 200


class _Text(HTMLParser):
    """The text nodes a person reads (not scripts, styles, or attribute values)."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.nodes.append(data.strip())


def raw_codes(html: str, codes: set[str] = CODES) -> set[str]:
    """The codes shown raw on a page: snake_case codes anywhere, any code as a whole text node."""
    parser = _Text()
    parser.feed(html)
    found = set()
    for node in parser.nodes:
        if node in codes:
            found.add(node)
        found.update(code for code in SNAKE.findall(URL.sub(" ", node)) if code in codes)
    return found


def _links(html: str) -> list[str]:
    return re.findall(r'<a [^>]*href="([^"#]+)', html)


def _page(href: str) -> str | None:
    parts = urlsplit(href.replace("&amp;", "&"))
    if parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(SKIP_PREFIXES) or parts.path.endswith(SKIP_SUFFIXES) or "export" in parts.path:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def demo_codes(app) -> set[str]:
    """CODES, and the codes the demo's data holds: item categories and training topics."""
    import sqlalchemy as sa

    from health_responder.extensions import db
    from health_responder.reference.models import Item, TrainingTopic

    with app.app_context():
        found = set(db.session.scalars(sa.select(Item.category).distinct()))
        found |= set(db.session.scalars(sa.select(TrainingTopic.code)))
        db.session.remove()
    return CODES | found


def crawl(app, client, language: str = "ko") -> dict[str, set[str]]:
    """Visit the site from the dashboard (every page in ``language``); the pages with raw codes, and which."""
    codes = demo_codes(app)
    adapter = app.url_map.bind("localhost")
    queue, seen, per_endpoint, bad, visited = ["/dashboard"], set(), {}, {}, 0
    while queue and visited < LIMIT:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        try:
            endpoint, _args = adapter.match(urlsplit(path).path, method="GET")
        except Exception:  # noqa: BLE001 - a redirect, a 404 or a POST-only rule: not a page
            continue
        if endpoint.startswith(("api", "static")) or per_endpoint.get(endpoint, 0) >= PER_ENDPOINT:
            continue
        per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
        visited += 1
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            response.close()  # a file (a material's PDF) is streamed: let go of it
            continue
        html = response.get_data(as_text=True)
        assert f'<html lang="{language}">' in html, path
        shown = raw_codes(html, codes)
        if shown:
            bad[path] = shown
        queue.extend(p for p in map(_page, _links(html)) if p and p not in seen)
    return bad


def test_the_detector_finds_raw_codes_and_ignores_attributes():
    assert raw_codes('<td>partially_dispatched</td><span class="badge critical">긴급</span>') == {
        "partially_dispatched"
    }
    assert raw_codes("<td>critical</td><p>상태: cold_chain 품목</p>", CODES | {"cold_chain"}) == {
        "critical",
        "cold_chain",
    }
    assert raw_codes("<td><code>oxygen_therapy</code></td>", CODES | {"oxygen_therapy"}) == set()
    assert raw_codes("<a>https://learn.example.org/courses/cold_chain</a>", CODES | {"cold_chain"}) == set()
    assert (
        raw_codes('<option value="low_stock">재고 부족</option><script>var a = "no_show";</script>') == set()
    )


@pytest.mark.slow  # the demo world is seeded once per session
@pytest.mark.parametrize("role", ["city", "provider", "coordinator", "admin"])
@pytest.mark.parametrize("language", ["ko", "ru"])
def test_every_page_in_korean_or_russian_names_codes_in_its_words(demo_app, role, language):
    """Korean, and Russian (a catalogue alone): no page shows a code where its words belong."""
    from tests.browser.conftest import PASSWORD, USERS

    email, password = USERS[role], PASSWORD
    client = demo_app.test_client()
    assert page_login(client, email, password).status_code == 302
    token = csrf_token(client.get("/dashboard").get_data(as_text=True))
    client.post("/language", data={"locale": language, "next": "/dashboard", "csrf_token": token})
    bad = crawl(demo_app, client, language)
    assert bad == {}, bad


def _korean(client) -> None:
    client.post("/language", {"locale": "ko", "next": "/dashboard"})


def test_refusals_name_states_in_korean(world, shelves):
    from tests.factories import api_request, text

    w = world
    approved = api_request(w, (w.item, 2), approve=True)
    coordinator = w.page("coordinator")
    _korean(coordinator)
    path = f"/requests/{approved['id']}"
    again = coordinator.post(f"{path}/approve", page=path)
    html = text(again)
    assert again.status_code == 409 and '<html lang="ko">' in html
    assert "승인됨" in html and raw_codes(html) == set()
    nothing = api_request(w, (w.mask, 3), approve=True)
    refused = coordinator.post(f"/requests/{nothing['id']}/allocate/as-suggested", page=path)
    assert refused.status_code == 409 and "지금은" in text(refused) and raw_codes(text(refused)) == set()


def test_items_and_topics_show_their_korean_name_on_korean_pages(world, make, shelves):
    from tests.factories import api_request

    w = world
    admin = w.api["admin"]
    answer = admin.patch(f"/api/v1/items/{w.item.id}", json={"name_ko": "산소 발생기"})
    assert answer.status_code == 200 and answer.json["name_ko"] == "산소 발생기"
    make.topic("oxygen_therapy", "Oxygen therapy")
    topic = admin.patch("/api/v1/topics/oxygen_therapy", json={"name_ko": "산소 치료"})
    assert topic.status_code == 200 and topic.json == {
        "code": "oxygen_therapy",
        "name": "Oxygen therapy",
        "name_ko": "산소 치료",
    }
    assert admin.patch("/api/v1/topics/oxygen_therapy", json={"name_ko": "x" * 201}).status_code == 422
    assert (
        w.api["coordinator"].patch("/api/v1/topics/oxygen_therapy", json={"name_ko": "y"}).status_code == 403
    )
    made = admin.post(
        "/api/v1/items",
        json={"code": "KO-ONLY-1", "name": "Nebuliser", "name_ko": "네뷸라이저", "category": "respiratory"},
    )
    assert made.status_code == 201 and made.json["name_ko"] == "네뷸라이저"
    request = api_request(w, (w.item, 2))
    w.make.program(title="Oxygen therapy basics")
    english, korean = w.page("coordinator"), w.page("city")
    _korean(korean)
    assert "Oxygen concentrator" in english.html(f"/requests/{request['id']}")
    html = korean.html(f"/requests/{request['id']}")
    assert "산소 발생기" in html and "Oxygen concentrator" not in html
    assert "산소 치료" in korean.html("/training") and "Oxygen therapy</td>" not in korean.html("/training")
    stock = w.page("provider")
    _korean(stock)
    assert "산소 발생기" in stock.html("/stock") and "산소 발생기" in stock.html("/stock/receive")
    # emptied, the Korean name is gone and the name shows again
    admin.patch(f"/api/v1/items/{w.item.id}", json={"name_ko": ""})
    assert "Oxygen concentrator" in korean.html(f"/requests/{request['id']}")


def test_the_admin_sets_korean_names_in_the_forms(world, make):
    from tests.factories import flashes

    w = world
    make.topic("ventilation", "Mechanical ventilation")
    admin = w.page("admin")
    saved = admin.post(
        "/admin/topics/ventilation",
        {"name": "Mechanical ventilation", "name_ko": "기계 환기"},
        page="/admin/topics/ventilation",
    )
    assert saved.status_code == 302 and "is saved" in " ".join(flashes(admin.html("/admin/topics")))
    assert "기계 환기" in admin.html("/admin/topics")
    added = admin.post(
        "/admin/topics", {"code": "triage_ko", "name": "Triage", "name_ko": "환자 분류"}, page="/admin/topics"
    )
    assert added.status_code == 302
    assert w.api["admin"].get("/api/v1/topics").json[-1]["name_ko"] in ("환자 분류", "기계 환기")
    item = admin.post(
        f"/admin/items/{w.item.id}",
        {
            "name": w.item.name,
            "name_ko": "산소 발생기 10L",
            "category": "respiratory",
            "unit": "each",
            "requires_training": "",
            "active": "y",
        },
        page=f"/admin/items/{w.item.id}",
    )
    assert item.status_code == 302
    assert w.api["admin"].get(f"/api/v1/items/{w.item.id}").json["name_ko"] == "산소 발생기 10L"
    assert w.page("city").get("/admin/topics/ventilation").status_code == 403
