"""Every role against every route. A new route fails the completeness test
until it is added to ROUTES with the status each role must get."""
from __future__ import annotations

import pytest

from miado_events.models.accounts import Role

ANON, MEMBER, DOOR, STAFF, ADMIN = "anonymous", "member", "door", "staff", "admin"
ROLES = [ANON, MEMBER, DOOR, STAFF, ADMIN]


def everyone(status):
    return {role: status for role in ROLES}


def signed_in_only(ok=200):
    return {ANON: 302, MEMBER: ok, DOOR: ok, STAFF: ok, ADMIN: ok}


def admin_only(ok=200):
    return {ANON: 302, MEMBER: 403, DOOR: 403, STAFF: 403, ADMIN: ok}


# (method, url, endpoint, expected status per role)
ROUTES = [
    ("GET", "/", "pages.home", everyone(200)),
    ("GET", "/impressum", "pages.imprint", everyone(200)),
    ("GET", "/datenschutz", "pages.privacy", everyone(200)),
    ("GET", "/barrierefreiheit", "pages.accessibility", everyone(200)),
    ("GET", "/healthz", "pages.healthz", everyone(200)),
    ("GET", "/signup", "accounts.signup", {ANON: 200, MEMBER: 302, DOOR: 302, STAFF: 302, ADMIN: 302}),
    ("GET", "/signup/check-your-mail", "accounts.signup_done", everyone(200)),
    ("GET", "/verify/unknown-token", "accounts.verify_email", everyone(302)),
    ("GET", "/login", "accounts.login", {ANON: 200, MEMBER: 302, DOOR: 302, STAFF: 302, ADMIN: 302}),
    ("POST", "/logout", "accounts.logout", signed_in_only(302)),
    ("GET", "/forgot-password", "accounts.forgot_password", everyone(200)),
    ("GET", "/reset/unknown-token", "accounts.reset_password", everyone(302)),
    ("GET", "/invitation/unknown-token", "accounts.accept_invite", everyone(302)),
    ("GET", "/account", "accounts.account", signed_in_only()),
    ("POST", "/account/profile", "accounts.update_profile", signed_in_only(400)),
    ("POST", "/account/password", "accounts.change_password", signed_in_only(400)),
    ("POST", "/account/email", "accounts.change_email", signed_in_only(400)),
    ("GET", "/account/email/unknown-token", "accounts.confirm_email_change", everyone(302)),
    ("POST", "/language", "accounts.set_language", everyone(400)),
    ("GET", "/admin/users", "admin.users", admin_only()),
    ("POST", "/admin/users/invite", "admin.invite", admin_only(302)),
    ("POST", "/admin/users/1/role", "admin.change_role", admin_only(302)),
]

NOT_ROUTES = {"static"}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - NOT_ROUTES
    covered = {endpoint for _, _, endpoint, _ in ROUTES}
    assert endpoints - covered == set(), "add these routes to ROUTES"
    assert covered - endpoints == set(), "ROUTES names endpoints that do not exist"


@pytest.fixture
def as_role(client, make_user, login):
    def become(role: str):
        if role != ANON:
            # user 1 is the target of role changes: make it someone else
            make_user(Role.MEMBER, email="target@example.org")
            login(make_user(Role(role)))
        return client

    return become


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,url,endpoint,expected", ROUTES,
                         ids=[f"{m} {u}" for m, u, _, _ in ROUTES])
def test_route_answers_each_role_as_expected(as_role, role, method, url, endpoint, expected):
    client = as_role(role)
    response = client.open(url, method=method)
    assert response.status_code == expected[role], (
        f"{role} {method} {url}: {response.status_code}")
    if response.status_code == 302 and role == ANON and expected[MEMBER] in (200, 400, 403):
        assert "/login" in response.headers["Location"]
