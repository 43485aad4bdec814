"""Login and logout through the pages, with CSRF."""

from tests.factories import PASSWORD, csrf_token, page_login


def test_each_role_lands_on_a_dashboard_naming_its_tenant(make, client):
    city = make.city(name="Ульяновск")
    user = make.user("city", city=city)
    response = page_login(client, user.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Ульяновск" in page


def test_provider_dashboard_names_the_provider(make, client):
    user = make.user("provider", provider=make.provider(name="Afya Relief"))
    page_login(client, user.email)
    assert "Afya Relief" in client.get("/dashboard").get_data(as_text=True)


def test_wrong_password_shows_the_form_again_with_a_message(make, client):
    user = make.user("coordinator")
    response = page_login(client, user.email, "not-the-password")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "Wrong email or password." in html and f'value="{user.email}"' in html
    assert client.get("/dashboard").status_code == 302


def test_a_login_post_without_csrf_token_answers_400(make, client):
    user = make.user("coordinator")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_logout_needs_a_post_with_csrf_and_ends_the_session(make, client):
    user = make.user("admin")
    page_login(client, user.email)
    page = client.get("/dashboard").get_data(as_text=True)
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": csrf_token(page)}).status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_next_parameter_cannot_redirect_to_another_site(make, client):
    user = make.user("admin")
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"].endswith("/dashboard")


def test_session_cookie_is_httponly_and_samesite(make, client):
    user = make.user("admin")
    response = page_login(client, user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
