"""Request-wide behaviour: headers, error pages, language choice, health."""
from __future__ import annotations

import pytest

from miado_events import create_app
from miado_events.models.accounts import User

from ..conftest import app_config


def test_security_headers_on_every_response(client):
    for url in ("/", "/login", "/does-not-exist", "/healthz"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_secure_behind_https(tmp_path, monkeypatch):
    monkeypatch.setenv("BASE_URL", "https://events.example.org")
    monkeypatch.setenv("SECRET_KEY", "x")
    cfg = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/c.sqlite3"}).config
    assert cfg["SESSION_COOKIE_SECURE"] and cfg["REMEMBER_COOKIE_SECURE"]
    assert cfg["SESSION_COOKIE_HTTPONLY"] and cfg["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert cfg["PREFERRED_URL_SCHEME"] == "https"


def test_session_cookie_is_not_secure_on_plain_http(tmp_path, monkeypatch):
    monkeypatch.setenv("BASE_URL", "http://127.0.0.1:5000")
    monkeypatch.setenv("SECRET_KEY", "x")
    cfg = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/c.sqlite3"}).config
    assert not cfg["SESSION_COOKIE_SECURE"]


def test_pages_are_german_by_default(app):
    html = app.test_client().get("/").get_data(as_text=True)
    assert '<html lang="de" dir="ltr">' in html
    assert "Zum Inhalt springen" in html


def test_accept_language_picks_english(app):
    html = app.test_client().get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en"' in html and "Skip to content" in html


def test_unsupported_language_falls_back_to_german(app):
    html = app.test_client().get("/", headers={"Accept-Language": "xx"}).get_data(as_text=True)
    assert '<html lang="de"' in html


def test_language_switcher_sets_cookie_and_returns_to_the_page(app):
    client = app.test_client()
    response = client.post("/language", data={"locale": "en", "next": "/impressum"})
    assert response.status_code == 302 and response.headers["Location"] == "/impressum"
    html = client.get("/impressum").get_data(as_text=True)
    assert '<html lang="en"' in html


def test_language_switcher_ignores_foreign_next(app):
    response = app.test_client().post("/language", data={"locale": "en", "next": "//evil.example.com"})
    assert response.headers["Location"] == "/"


def test_language_switcher_refuses_unknown_language(app):
    assert app.test_client().post("/language", data={"locale": "xx"}).status_code == 400


def test_language_switch_is_saved_for_signed_in_user(client, make_user, login, db):
    user = make_user(locale="en")
    login(user)
    client.post("/language", data={"locale": "de"})
    assert db.session.get(User, user.id).locale == "de"
    # The saved preference beats the browser's Accept-Language.
    assert '<html lang="de"' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


@pytest.mark.parametrize("lang,text", [("de", "Seite nicht gefunden"), ("en", "Page not found")])
def test_404_page_in_the_users_language(app, lang, text):
    response = app.test_client().get("/nope", headers={"Accept-Language": lang})
    assert response.status_code == 404
    assert text in response.get_data(as_text=True)


def test_403_page_for_signed_in_user_without_right(client, make_user, login):
    login(make_user())
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "Access denied" in response.get_data(as_text=True)


def test_unexpected_error_gives_a_friendly_500(tmp_path):
    # An app of its own: the shared one has served requests and takes no new routes.
    app = create_app(app_config(tmp_path))

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)


def test_405_page(client):
    response = client.post("/impressum")
    assert response.status_code == 405


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_database_is_unreachable(tmp_path):
    broken = app_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    app = create_app(broken)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


def test_static_css_is_served_locally_with_a_fingerprint(client):
    import re

    html = client.get("/").get_data(as_text=True)
    href = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', html).group(1)
    response = client.get(href)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_pages_work_without_javascript(client):
    """The base layout holds no script: every form posts as plain HTML."""
    html = client.get("/login").get_data(as_text=True)
    assert "<script" not in html
    assert '<form method="post" novalidate' in html


def test_foreign_keys_are_enforced(db):
    """On SQLite this needs PRAGMA foreign_keys=ON, which the app sets."""
    from datetime import datetime, timezone

    from sqlalchemy.exc import IntegrityError

    from miado_events.models.accounts import UserToken

    db.session.add(UserToken(user_id=424242, purpose="verify_email", token_hash="x" * 64,
                             expires_at=datetime.now(timezone.utc)))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
