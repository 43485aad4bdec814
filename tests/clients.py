"""Test clients: JSON with a bearer token (``ApiClient``), pages through the login form (``PageClient``)."""

from __future__ import annotations

import re

PASSWORD = "correct-horse-9"


def text(response) -> str:
    """A response's body as text."""
    return response.get_data(as_text=True)


def flashes(html: str) -> list[str]:
    """The flash messages of a page, in order."""
    return re.findall(r'<p class="flash [a-z]+">(.*?)</p>', html, re.S)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def page_login(client, email: str, password: str = PASSWORD):
    """Log in through the login page, CSRF token and all."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


class ApiClient:
    """A test client that sends JSON with a bearer token."""

    def __init__(self, app, token: str | None, user=None):
        self.app, self.token, self.user = app, token, user
        self._client = app.test_client()

    def _headers(self, headers):
        merged = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        merged.update(headers or {})
        return merged

    def get(self, path, **kw):
        """GET ``path`` with the token."""
        return self._client.get(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, json=None, **kw):
        """POST ``json`` (default ``{}``) to ``path`` with the token."""
        return self._client.post(
            path, json=json if json is not None else {}, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def patch(self, path, json=None, **kw):
        """PATCH ``json`` to ``path`` with the token."""
        return self._client.patch(path, json=json or {}, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path, **kw):
        """DELETE ``path`` with the token."""
        return self._client.delete(path, headers=self._headers(kw.pop("headers", None)), **kw)


class PageClient:
    """A browser-like client logged in through the login page."""

    def __init__(self, app, user):
        self.user = user
        self.client = app.test_client()
        if user is not None:
            response = page_login(self.client, user.email)
            assert response.status_code == 302, response.get_data(as_text=True)

    def get(self, path, **kw):
        """GET a page."""
        return self.client.get(path, **kw)

    def html(self, path) -> str:
        """The HTML of a page that must answer 200."""
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)

    def token(self, path="/dashboard") -> str:
        """The CSRF token of the first form on ``path``."""
        return csrf_token(self.html(path))

    def post(self, path, data=None, *, page="/dashboard", token=True, **kw):
        """Submit a form the way a browser does: the CSRF token taken from ``page``."""
        data = dict(data or {})
        if token:
            data.setdefault("csrf_token", self.token(page))
        return self.client.post(path, data=data, **kw)
