"""Every page of every role fits a 390 px phone: no sideways scroll, and the header folds into a menu button.

"Every page" is found, not listed: from the dashboard (or the login page) the browser follows every link
of the site, and visits each page endpoint (the Flask rule a path matches) up to twice, so a new page is
swept the day a link reaches it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
#: not pages: the JSON API, its docs, files, and POST-only or session-ending addresses
SKIP_PREFIXES = ("/api/", "/static/", "/logout", "/language")
SKIP_SUFFIXES = (".pdf", ".csv", ".png", ".svg", ".json", ".zip", ".xlsx")
PER_ENDPOINT = 2
LIMIT = 160

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const node of document.querySelectorAll('body *')) {
    const box = node.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    let clipped = false;  // inside a box that scrolls on its own, overflow is allowed
    for (let up = node.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX)) { clipped = true; break; }
    }
    if (!clipped) wide.push(node.tagName.toLowerCase() + (node.id ? '#' + node.id : '') +
                          (node.className && typeof node.className === 'string' ? '.' + node.className.trim().split(/\\s+/).join('.') : '') +
                          ' ' + Math.round(box.right) + 'px');
  }
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}"""

LINKS = """() => Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"""


def _endpoint(live, path: str) -> str | None:
    adapter = live.app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(path, method="GET")
    except Exception:  # noqa: BLE001 - a redirect, a 404 or a POST-only rule: not a page to visit
        return None
    return endpoint


def _follow(href: str | None) -> str | None:
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
        return None
    parts = urlsplit(href)
    if parts.netloc and not parts.netloc.startswith("127.0.0.1"):
        return None
    path = parts.path
    if not path.startswith("/") or path.startswith(SKIP_PREFIXES) or path.endswith(SKIP_SUFFIXES):
        return None
    if "export" in path or "download" in path or "format=csv" in parts.query:
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def sweep(live, page, *start: str) -> dict[str, dict]:
    """Visit the site as this browser's user from ``start``; the pages that scroll sideways, with the culprits."""
    seen_paths: set[str] = set()
    per_endpoint: dict[str, int] = {}
    queue = list(start)
    bad: dict[str, dict] = {}
    visited = 0
    while queue and visited < LIMIT:
        path = queue.pop(0)
        if path in seen_paths:
            continue
        seen_paths.add(path)
        endpoint = _endpoint(live, urlsplit(path).path)
        if endpoint is None or endpoint.startswith(("api", "static")):
            continue
        if per_endpoint.get(endpoint, 0) >= PER_ENDPOINT:
            continue
        per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
        response = page.goto(path)
        visited += 1
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        found = page.evaluate(OVERFLOW)
        if found["scroll"] > found["width"] or found["wide"]:
            bad[path] = found
        for href in page.evaluate(LINKS):
            target = _follow(href)
            if target and target not in seen_paths:
                queue.append(target)
    assert visited >= 3, f"the sweep from {start} reached only {visited} pages"
    return bad


@pytest.mark.parametrize("who", [None, "city", "coordinator", "provider", "city_ko", "city_ru"])
def test_every_page_of_every_role_fits_a_phone(live, open_as, who):
    page = open_as("city" if who == "city_ru" else who)
    if who == "city_ru":  # the demo's Russian city user, in Russian (its longer words must fit too)
        page.locator("#locale-switch").select_option("ru")
        page.get_by_role("button", name="Change").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "ru"
    page.set_viewport_size(PHONE)
    bad = sweep(live, page, *(["/dashboard"] if who else ["/", "/login", "/portal/", "/training"]))
    assert bad == {}, "pages wider than a 390 px phone:\n" + "\n".join(f"{p}: {v}" for p, v in bad.items())


def test_the_header_folds_into_a_menu_button_on_a_phone(live, open_as):
    page = open_as("city")
    page.set_viewport_size(PHONE)
    page.goto("/dashboard")
    menu = page.get_by_role("button", name="Menu")
    assert menu.is_visible()
    assert menu.get_attribute("aria-expanded") == "false"
    assert not page.get_by_role("link", name="Dashboard").first.is_visible()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    page.get_by_role("link", name="Dashboard").first.click()
    page.wait_for_url("**/dashboard")
    page.set_viewport_size({"width": 1280, "height": 900})  # on a wide screen the links are simply there
    assert not page.get_by_role("button", name="Menu").is_visible()
    assert page.get_by_role("link", name="Dashboard").first.is_visible()


def test_on_a_phone_a_lot_code_reads_on_one_line_and_the_table_shows_it_scrolls(live, open_as):
    """The stock table scrolls in its own box: its lot codes stay whole, and a shadow marks the hidden side."""
    page = open_as("provider")
    page.set_viewport_size(PHONE)
    page.goto("/stock")
    facts = page.evaluate(
        """() => {
          const link = document.querySelector('table.lots td.nowrap a');
          const wrap = link.closest('.table-wrap');
          const line = parseFloat(getComputedStyle(link).lineHeight) || 1.5 * parseFloat(getComputedStyle(link).fontSize);
          return {code: link.textContent, lines: link.getClientRects().length, height: link.getBoundingClientRect().height,
                  line, scrolls: wrap.scrollWidth > wrap.clientWidth, shadow: getComputedStyle(wrap).backgroundImage};
        }"""
    )
    assert facts["lines"] == 1 and facts["height"] < 1.5 * facts["line"], facts
    assert facts["scrolls"] and facts["shadow"].count("gradient") == 4, facts
