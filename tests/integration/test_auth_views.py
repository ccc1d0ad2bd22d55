"""Auth flows through the Flask test client, as a person would go through them."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from miado_events import create_app
from miado_events.extensions import db as _db
from miado_events.models.accounts import Role, User

from ..conftest import (
    PASSWORD,
    FreshGlobalsClient,
    app_config,
    csrf_token,
    link_from_mail,
    reset_schema,
)


def _path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def _signup(client, email="neu@example.org", **extra):
    data = {"name": "Nadia Neu", "email": email, "password": "long-enough-pw",
            "locale": "en", "privacy_consent": "y"}
    data.update(extra)
    return client.post("/signup", data=data)


def test_sign_up_verify_log_in_log_out(client, outbox):
    response = _signup(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/signup/check-your-mail")
    link = link_from_mail(outbox[0], "/verify/")

    # Not verified yet: log-in refused with a clear message.
    response = client.post("/login", data={"email": "neu@example.org", "password": "long-enough-pw"})
    assert response.status_code == 200
    assert "confirm your e-mail address first" in response.get_data(as_text=True)

    response = client.get(_path(link), follow_redirects=True)
    assert "your e-mail address is confirmed" in response.get_data(as_text=True)

    response = client.post("/login", data={"email": "neu@example.org", "password": "long-enough-pw"},
                           follow_redirects=True)
    assert "Welcome, Nadia Neu." in response.get_data(as_text=True)
    assert client.get("/account").status_code == 200

    response = client.post("/logout", follow_redirects=True)
    assert "You are logged out." in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_sign_up_form_errors_keep_input_and_change_nothing(client, db, outbox):
    response = _signup(client, password="short", privacy_consent="")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="neu@example.org"' in html
    assert 'aria-invalid="true"' in html and "error-summary" in html
    assert db.session.scalar(select(User).where(User.email == "neu@example.org")) is None
    assert outbox == []


def test_sign_up_with_taken_address_looks_the_same(client, make_user, outbox):
    make_user(email="taken@example.org")
    fresh = _signup(client, email="fresh@example.org")
    taken = _signup(client, email="taken@example.org")
    assert fresh.status_code == taken.status_code == 302
    assert fresh.headers["Location"] == taken.headers["Location"]


def test_wrong_password_and_unknown_address_get_the_same_answer(client, make_user):
    user = make_user()
    wrong = client.post("/login", data={"email": user.email, "password": "nope-nope-nope"})
    unknown = client.post("/login", data={"email": "ghost@example.org", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 200
    msg = "E-mail address or password is wrong."
    assert msg in wrong.get_data(as_text=True) and msg in unknown.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_forgot_password_answers_the_same_for_any_address(client, make_user, outbox):
    user = make_user()
    known = client.post("/forgot-password", data={"email": user.email}).get_data(as_text=True)
    unknown = client.post("/forgot-password", data={"email": "ghost@example.org"}).get_data(as_text=True)
    assert "If an account exists for this address" in known
    def normalise(html, email):  # CSRF tokens carry a timestamp
        return re.sub(r'name="csrf_token"[^>]*>', "", html.replace(email, ""))

    assert normalise(known, user.email) == normalise(unknown, "ghost@example.org")
    assert [m["To"] for m in outbox] == [user.email]


def test_password_reset_through_the_pages(client, make_user, outbox):
    user = make_user()
    client.post("/forgot-password", data={"email": user.email})
    path = _path(link_from_mail(outbox[0], "/reset/"))
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": "brand-new-password", "confirm": "brand-new-password"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    # The link works once.
    response = client.get(path, follow_redirects=True)
    assert "already been used" in response.get_data(as_text=True)
    assert client.post("/login", data={"email": user.email, "password": "brand-new-password"}).status_code == 302


def test_password_reset_with_mismatching_passwords_changes_nothing(client, make_user, outbox):
    user = make_user()
    client.post("/forgot-password", data={"email": user.email})
    path = _path(link_from_mail(outbox[0], "/reset/"))
    response = client.post(path, data={"password": "brand-new-password", "confirm": "other-password-x"})
    assert response.status_code == 200
    assert "do not match" in response.get_data(as_text=True)
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_change_password_keeps_this_session_and_ends_others(app, client, make_user, login):
    user = make_user()
    login(user)
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": PASSWORD})
    assert other.get("/account").status_code == 200
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "password": "brand-new-password", "confirm": "brand-new-password"})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert other.get("/account").status_code == 302


def test_change_password_with_wrong_current_password(client, make_user, login):
    login(make_user())
    response = client.post("/account/password", data={
        "current_password": "wrong-wrong", "password": "brand-new-password", "confirm": "brand-new-password"},
        follow_redirects=True)
    assert "current password is not correct" in response.get_data(as_text=True)


def test_change_email_through_the_pages(client, make_user, login, outbox, db):
    user = make_user(email="old@example.org")
    login(user)
    client.post("/account/email", data={"new_email": "new@example.org", "current_password": PASSWORD})
    assert db.session.get(User, user.id).email == "old@example.org"
    client.get(_path(link_from_mail(outbox[0], "/account/email/")))
    assert db.session.get(User, user.id).email == "new@example.org"


def test_remember_me_sets_a_lasting_cookie(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))
    client.post("/logout")
    without = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert "remember_token=" not in " ".join(without.headers.getlist("Set-Cookie"))


def test_log_in_redirects_only_to_local_next(client, make_user):
    user = make_user()
    response = client.post("/login?next=https://evil.example.com/", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/account", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/account"


def test_admin_invites_staff_through_the_pages(client, make_user, login, outbox, db):
    login(make_user(Role.ADMIN))
    response = client.post("/admin/users/invite", data={
        "name": "Tara Team", "email": "tara@example.org", "role": "door"}, follow_redirects=True)
    assert "tara@example.org has been invited." in response.get_data(as_text=True)
    client.post("/logout")
    path = _path(link_from_mail(outbox[0], "/invitation/"))
    response = client.post(path, data={"password": "door-password-1", "confirm": "door-password-1",
                                       "privacy_consent": "y"})
    assert response.status_code == 302
    response = client.post("/login", data={"email": "tara@example.org", "password": "door-password-1"})
    assert response.status_code == 302
    assert db.session.scalar(select(User.role).where(User.email == "tara@example.org")) == "door"


def test_admin_changes_a_role_through_the_page(client, make_user, login, db):
    admin, member = make_user(Role.ADMIN), make_user()
    login(admin)
    client.post(f"/admin/users/{member.id}/role", data={"role": "staff", "confirm": "1"})
    assert db.session.get(User, member.id).role == "staff"
    response = client.post(f"/admin/users/{member.id}/role", data={"role": "overlord"}, follow_redirects=True)
    assert "Please choose a valid role." in response.get_data(as_text=True)
    assert db.session.get(User, member.id).role == "staff"


def test_admin_role_change_of_unknown_user_is_404(client, make_user, login):
    login(make_user(Role.ADMIN))
    assert client.post("/admin/users/99999/role", data={"role": "staff"}).status_code == 404


# --- CSRF and rate limits ----------------------------------------------------

@pytest.fixture
def csrf_app(tmp_path):
    app = create_app(app_config(tmp_path, WTF_CSRF_ENABLED=True))
    app.test_client_class = FreshGlobalsClient
    reset_schema(app)
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


def test_post_without_csrf_token_is_refused_with_400(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/signup", data={"name": "X", "email": "x@example.org",
                                            "password": "long-enough-pw", "locale": "de",
                                            "privacy_consent": "y"})
    assert response.status_code == 400
    assert _db.session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_post_with_csrf_token_is_accepted(csrf_app):
    client = csrf_app.test_client()
    token = csrf_token(client, "/signup")
    response = client.post("/signup", data={"csrf_token": token, "name": "X", "email": "x@example.org",
                                            "password": "long-enough-pw", "locale": "de",
                                            "privacy_consent": "y"})
    assert response.status_code == 302


def test_language_switch_without_csrf_token_is_refused(csrf_app):
    assert csrf_app.test_client().post("/language", data={"locale": "en"}).status_code == 400


def test_log_in_is_rate_limited_with_a_page_in_the_users_language(client, make_user):
    user = make_user()
    statuses = [client.post("/login", data={"email": user.email, "password": "wrong-password"},
                            headers={"Accept-Language": "en"}).status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    response = client.post("/login", data={"email": user.email, "password": PASSWORD},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert "Retry-After" in response.headers


def test_sign_up_is_rate_limited(client):
    statuses = [_signup(client, email=f"s{i}@example.org").status_code for i in range(6)]
    assert statuses == [302] * 5 + [429]


def test_password_reset_is_rate_limited(client):
    statuses = [client.post("/forgot-password", data={"email": f"r{i}@example.org"}).status_code
                for i in range(6)]
    assert statuses == [200] * 5 + [429]
