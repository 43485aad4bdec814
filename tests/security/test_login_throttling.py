"""Item 7 of the attack review: failed logins are counted in the database, per account and address together,
one count for the login page and the token endpoint; behind a proxy the address comes from ProxyFix."""

import pytest

from health_responder import create_app
from health_responder.extensions import db
from tests.factories import PASSWORD, csrf_token

WRONG = "wrong-password-1"


def _api_login(client, email, password=WRONG, address="198.51.100.7"):
    return client.post(
        "/api/v1/auth/tokens",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _page_login(client, email, password=WRONG, address="198.51.100.7"):
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    token = csrf_token(page.get_data(as_text=True))
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.mark.both_databases
def test_page_and_api_logins_share_one_count(app, make):
    user = make.user("city")
    client = app.test_client()
    codes = [_api_login(client, user.email).status_code for _ in range(5)]
    codes += [_page_login(client, user.email).status_code for _ in range(5)]
    assert codes == [401] * 10
    assert _page_login(client, user.email, PASSWORD).status_code == 429
    limited = _api_login(client, user.email, PASSWORD)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


@pytest.mark.both_databases
def test_an_attacker_elsewhere_cannot_lock_the_owner_out(app, make):
    user = make.user("coordinator")
    attacker = app.test_client()
    codes = [_api_login(attacker, user.email, address="203.0.113.66").status_code for _ in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    owner = app.test_client()
    assert _api_login(owner, user.email, PASSWORD, address="192.0.2.10").status_code == 201
    assert _page_login(owner, user.email, PASSWORD, address="192.0.2.10").status_code == 302


@pytest.mark.both_databases
def test_a_success_clears_the_count_and_successes_never_count(app, make):
    user = make.user("provider")
    client = app.test_client()
    for _ in range(3):
        for _ in range(9):
            assert _api_login(client, user.email).status_code == 401
        assert _api_login(client, user.email, PASSWORD).status_code == 201
    assert all(_api_login(client, user.email, PASSWORD).status_code == 201 for _ in range(15))


@pytest.mark.both_databases
def test_one_address_spraying_many_accounts_is_stopped(app, make):
    app.config["LOGIN_ADDRESS_FAILURE_LIMIT"] = 15
    client = app.test_client()
    codes = [_api_login(client, f"u{i}@example.org").status_code for i in range(16)]
    assert codes == [401] * 15 + [429]
    assert _api_login(client, "u99@example.org", address="192.0.2.99").status_code == 401


@pytest.mark.both_databases
@pytest.mark.parametrize(("hops", "expected"), [(0, "10.0.0.2"), (1, "198.51.100.23")])
def test_behind_a_proxy_the_client_address_comes_from_proxyfix(app, database_url, tmp_path, hops, expected):
    proxied = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "REPORTS_DIR": str(tmp_path / "reports"),
            "LOG_JSON": False,
            "PROXY_FIX_X_FOR": hops,
        }
    )
    client = proxied.test_client()
    for _ in range(10):
        response = client.post(
            "/api/v1/auth/tokens",
            json={"email": "nobody@example.org", "password": WRONG},
            headers={"X-Forwarded-For": "198.51.100.23"},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        )
        assert response.status_code == 401
    # The count is keyed by the address the app believes: the proxy's without ProxyFix, the client's with it.
    from_client = _api_login(client, "nobody@example.org", address="10.0.0.2")
    forwarded = client.post(
        "/api/v1/auth/tokens",
        json={"email": "nobody@example.org", "password": WRONG},
        headers={"X-Forwarded-For": expected},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert from_client.status_code == (429 if hops == 0 else 401)
    assert forwarded.status_code == 429
    with proxied.app_context():
        db.engine.dispose()
