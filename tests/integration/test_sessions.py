"""Log-out ends the session on the server: a copy of the session cookie or of
the remember-me cookie taken before opens nothing afterwards; "log out
everywhere" ends every session of the account."""
from __future__ import annotations

from sqlalchemy import func, select

from miado_events.models.accounts import LoginSession

from ..conftest import PASSWORD, csrf_token


def _log_in(client, user, remember=False):
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302
    return response


def _cookie(client, name):
    cookie = client.get_cookie(name)
    assert cookie is not None, name
    return cookie.value


def _browser_with(app, **cookies):
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def test_copied_session_cookie_opens_nothing_after_log_out(app, client, make_user):
    _log_in(client, make_user())
    copy = _browser_with(app, session=_cookie(client, "session"))
    assert copy.get("/account").status_code == 200
    client.post("/logout")
    response = copy.get("/account")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_copied_remember_cookie_opens_nothing_after_log_out(app, client, make_user):
    _log_in(client, make_user(), remember=True)
    copy = _browser_with(app, remember_token=_cookie(client, "remember_token"))
    assert copy.get("/account").status_code == 200  # the remember cookie alone logs in
    stolen = _cookie(client, "remember_token")
    client.post("/logout")
    assert copy.get("/account").status_code == 302
    # The same one-year cookie in a browser that never had a session: refused too.
    assert _browser_with(app, remember_token=stolen).get("/account").status_code == 302


def test_log_out_ends_only_this_session(app, client, make_user):
    user = make_user()
    _log_in(client, user)
    phone = _browser_with(app)
    _log_in(phone, user)
    client.post("/logout")
    assert phone.get("/account").status_code == 200


def test_log_out_everywhere_asks_first_then_ends_every_session(app, client, make_user, db):
    user = make_user()
    _log_in(client, user, remember=True)
    phone = _browser_with(app)
    _log_in(phone, user, remember=True)
    stolen = _browser_with(app, remember_token=_cookie(phone, "remember_token"))
    page = client.get("/account/sessions").get_data(as_text=True)
    assert "2 devices" in page
    assert "Log out everywhere" in client.get("/account").get_data(as_text=True)

    refused = client.post("/account/sessions", data={})  # not confirmed: nothing happens
    assert refused.status_code == 400
    assert phone.get("/account").status_code == 200

    response = client.post("/account/sessions", data={"confirm": "y"}, follow_redirects=True)
    assert "You are logged out on all 2 devices." in response.get_data(as_text=True)
    for browser in (client, phone, stolen):
        assert browser.get("/account").status_code == 302
    assert db.session.scalar(select(func.count(LoginSession.id))) == 0


def test_log_out_everywhere_needs_the_csrf_token(app, client, make_user, db):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user()
    client.post("/login", data={"csrf_token": csrf_token(client), "email": user.email,
                                "password": PASSWORD})
    assert client.get("/account").status_code == 200
    assert client.post("/account/sessions", data={"confirm": "y"}).status_code == 400
    assert client.get("/account").status_code == 200
    token = csrf_token(client, "/account/sessions")
    assert client.post("/account/sessions", data={"confirm": "y", "csrf_token": token}).status_code == 302
    assert client.get("/account").status_code == 302
    assert db.session.scalar(select(func.count(LoginSession.id))) == 0
